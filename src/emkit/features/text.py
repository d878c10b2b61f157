"""The day's text as a feature column (role ``text``), for forecasters that read words.

Numeric forecasters never see this column (they keep numeric, non-``text`` columns only);
text forecasters such as ``tfidf`` (:class:`~emkit.TfidfForecaster`) read it and look back
over the patient's earlier rows themselves (their ``lookback``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import pandas as pd
from pydantic import Field

from emkit.features.schema import ColumnRole, FeatureColumn, FeatureSchema
from emkit.interfaces import FeatureExtractor
from emkit.models import FEATURE_INDEX, PatientDay

__all__ = ["TEXT_COLUMN", "TextExtractor"]

#: Name of the column holding a day's text.
TEXT_COLUMN = "text"


class TextExtractor(FeatureExtractor):
    """The day's messages joined into one string, in a ``text`` column of role ``text``.

    Messages are joined in time order with ``separator``; a day without messages gets the empty
    string. The column is a string column, not a number: the feature store does not keep it
    (the SQLite store refuses non-numeric columns), so build it from the cohort when you need
    it and join it to the stored features. It is not registered as a named extractor for the
    same reason (``emkit features`` writes to a store).
    """

    name: ClassVar[str] = "text"

    class Options(FeatureExtractor.Options):
        """Options of the text extractor."""

        separator: str = Field(default="\n", description="Put between two messages of a day.")

    options: Options

    def schema(self) -> FeatureSchema:
        """One column, ``text``, of role ``text``."""
        return FeatureSchema(columns=(FeatureColumn(name=TEXT_COLUMN, role=ColumnRole.TEXT),))

    def transform(self, days: Sequence[PatientDay]) -> pd.DataFrame:
        """One row per day, in input order: the day's messages joined (``""`` when none)."""
        index = pd.MultiIndex.from_tuples(
            [(d.patient_id, d.date) for d in days], names=list(FEATURE_INDEX)
        )
        texts = [self.options.separator.join(m.text for m in day.messages) for day in days]
        frame = pd.DataFrame({TEXT_COLUMN: pd.Series(texts, index=index, dtype=object)})
        return self.schema().attach(frame)

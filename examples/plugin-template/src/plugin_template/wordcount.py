"""An emkit plugin: words written per day, and the mean words per message."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import pandas as pd
from pydantic import Field

import emkit


class WordCountExtractor(emkit.FeatureExtractor):
    """Counts words per day; ``min_length`` drops shorter tokens (e.g. 2 to skip "y", "a")."""

    name: ClassVar[str] = "wordcount"

    class Options(emkit.FeatureExtractor.Options):
        """Options of the word counter."""

        min_length: int = Field(default=1, ge=1, description="Shortest token counted, in chars.")

    options: Options

    def transform(self, days: Sequence[emkit.PatientDay]) -> pd.DataFrame:
        """``words`` and ``words_per_message`` (NaN on days without messages) per day."""
        rows = []
        for day in days:
            counts = [
                sum(len(token) >= self.options.min_length for token in m.text.split())
                for m in day.messages
            ]
            total = sum(counts)
            rows.append(
                {
                    "words": float(total),
                    "words_per_message": total / len(counts) if counts else float("nan"),
                }
            )
        index = pd.MultiIndex.from_tuples(
            [(d.patient_id, d.date) for d in days], names=list(emkit.FEATURE_INDEX)
        )
        return pd.DataFrame(rows, index=index, columns=["words", "words_per_message"])


@emkit.hookimpl
def emkit_register_feature_extractors(
    register: Callable[[type[emkit.FeatureExtractor]], None],
) -> None:
    """Register the word counter."""
    register(WordCountExtractor)

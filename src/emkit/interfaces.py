"""emkit's stable interfaces. Each has at most two abstract methods; the rest is convenience.

Frames: per-day features and labels are :class:`pandas.DataFrame` objects indexed by
``(patient_id, date)`` (:data:`emkit.FEATURE_INDEX`), one row per patient-day.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Self

from _sdk import Component

if TYPE_CHECKING:
    import datetime as dt

    import pandas as pd

    from emkit.models import ChatExport, PatientDay


class ChatParser(Component, abc.ABC):
    """Turns a chat export file into :class:`~emkit.ChatExport` messages.

    Implementations raise :class:`~emkit.ParseError` (naming file and line) for malformed
    input, never another exception type.
    """

    interface: ClassVar[str] = "chat parser"

    @abc.abstractmethod
    def sniff(self, path: Path) -> float:
        """Confidence in ``[0, 1]`` that this parser understands the file at ``path``."""

    @abc.abstractmethod
    def parse(self, path: Path) -> ChatExport:
        """Parse the file at ``path``."""


class FeatureExtractor(Component, abc.ABC):
    """Computes per-day features from patient days.

    Features for day *t* may use messages up to the end of day *t* only. Extractors that learn
    from data set ``requires_fit = True`` and are fitted on the training split only.
    """

    interface: ClassVar[str] = "feature extractor"
    #: Whether :meth:`fit` must be called before :meth:`transform`.
    requires_fit: ClassVar[bool] = False

    def fit(self, days: Sequence[PatientDay]) -> Self:
        """Learn from training days (no-op unless ``requires_fit``). Returns ``self``."""
        return self

    @abc.abstractmethod
    def transform(self, days: Sequence[PatientDay]) -> pd.DataFrame:
        """Features of each day: one row per input day, indexed by ``(patient_id, date)``."""

    def fit_transform(self, days: Sequence[PatientDay]) -> pd.DataFrame:
        """:meth:`fit` then :meth:`transform` on the same days."""
        return self.fit(days).transform(days)


class FeatureStore(Component, abc.ABC):
    """Persists per-day feature frames under a named, versioned feature set."""

    interface: ClassVar[str] = "feature store"

    @abc.abstractmethod
    def write(self, feature_set: str, frame: pd.DataFrame) -> int:
        """Write (upsert) rows of ``frame`` into ``feature_set``; returns the rows written."""

    @abc.abstractmethod
    def read(
        self,
        feature_set: str,
        *,
        patients: Sequence[str] | None = None,
        as_of: dt.datetime | None = None,
    ) -> pd.DataFrame:
        """Read ``feature_set``; with ``as_of``, only rows as they were written by then."""


class Forecaster(Component, abc.ABC):
    """Predicts P(relapse onset within *h* days) for each patient-day and horizon."""

    interface: ClassVar[str] = "forecaster"
    #: Whether :meth:`save` / :meth:`load` are implemented.
    supports_save: ClassVar[bool] = False

    @abc.abstractmethod
    def fit(self, features: pd.DataFrame, labels: pd.DataFrame, horizons: Sequence[int]) -> Self:
        """Fit on ``features`` and the ``relapse_within_{h}d`` columns of ``labels``.

        Rows whose label is missing (excluded days) are ignored for that horizon.
        """

    @abc.abstractmethod
    def predict_proba(self, features: pd.DataFrame) -> pd.DataFrame:
        """Probabilities in ``[0, 1]``: one ``p_relapse_within_{h}d`` column per fitted horizon."""

    def feature_importance(self) -> pd.Series:
        """Importance per input feature (higher is more important); empty if none is used."""
        import pandas as pd

        return pd.Series(dtype=float, name="importance")

    @property
    def lookback(self) -> int | None:
        """How many of a patient's earlier rows the forecast for a row can depend on.

        ``None`` (the default) means any of them. Evaluations pass a forecaster only this much
        history before the days it is tested on, so a model with a short lookback predicts a
        test block without re-reading the whole past.
        """
        return None

    def save(self, path: Path) -> None:
        """Save the fitted model to ``path`` in a safe (non-pickle) format."""
        raise NotImplementedError(f"forecaster {self.name!r} cannot be saved (supports_save=False)")

    @classmethod
    def load(cls, path: Path) -> Self:
        """Load a model written by :meth:`save`."""
        raise NotImplementedError(f"forecaster {cls.name!r} cannot be loaded (supports_save=False)")

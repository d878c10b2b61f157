"""emkit's stable interfaces. Each has at most two abstract methods; the rest is convenience.

Frames: per-day features and labels are :class:`pandas.DataFrame` objects indexed by
``(patient_id, date)`` (:data:`emkit.FEATURE_INDEX`), one row per patient-day.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self

from _sdk import Component

if TYPE_CHECKING:
    import datetime as dt

    import pandas as pd

    from emkit.features.schema import FeatureSchema
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

    def schema(self) -> FeatureSchema:
        """The columns :meth:`transform` returns and the role of each (:class:`~emkit.ColumnRole`).

        Stores keep it with the feature set, and evaluations use it to find embeddings,
        perplexities and the like. The default declares nothing: the roles of the columns then
        follow the naming rule of :class:`~emkit.FeatureSchema` (``<block>_emb_NNN`` is an
        embedding, ``<block>_perplexity`` a perplexity, ...). An extractor whose columns the
        rule would misread overrides this; it may load its model to know its columns.
        """
        from emkit.features.schema import FeatureSchema

        return FeatureSchema()


class FeatureStore(Component, abc.ABC):
    """Persists per-day feature frames under a named, versioned feature set.

    Commands and evaluations open a store by its registered name
    (:func:`~emkit.open_feature_store`, ``--store-backend``) and use only the methods below.
    """

    interface: ClassVar[str] = "feature store"
    #: The option that the command line's ``--store`` value fills (a file path for SQLite, a
    #: connection string for a database server).
    location_option: ClassVar[str] = "path"

    @abc.abstractmethod
    def write(
        self, feature_set: str, frame: pd.DataFrame, *, schema: FeatureSchema | None = None
    ) -> int:
        """Write (upsert) rows of ``frame`` into ``feature_set``; returns the rows written.

        ``schema`` gives the roles of ``frame``'s columns (default: the schema attached to the
        frame, then the naming rule: :meth:`FeatureSchema.of <emkit.FeatureSchema.of>`). Stores
        keep it so that :meth:`read` and :meth:`schema` give the roles back.
        """

    @abc.abstractmethod
    def read(
        self,
        feature_set: str,
        *,
        patients: Sequence[str] | None = None,
        as_of: dt.datetime | None = None,
    ) -> pd.DataFrame:
        """Read ``feature_set``; with ``as_of``, only rows as they were written by then.

        The frame carries its column roles (:meth:`FeatureSchema.attach
        <emkit.FeatureSchema.attach>`).
        """

    def finished_days(self, feature_set: str) -> set[tuple[str, dt.date]]:
        """The ``(patient_id, date)`` pairs ``feature_set`` holds: what a resumed run skips.

        Empty for a feature set never written. The default reads the whole feature set; stores
        override it with a cheaper query (and must, if :meth:`read` raises for an unknown set).
        """
        import pandas as pd

        frame = self.read(feature_set)
        return {(str(p), pd.Timestamp(d).date()) for p, d in frame.index}

    def schema(self, feature_set: str) -> FeatureSchema:
        """The columns of ``feature_set``'s latest version and their roles.

        The default reads no row: it takes the roles of an empty :meth:`read` of no patient.
        """
        from emkit.features.schema import FeatureSchema

        return FeatureSchema.of(self.read(feature_set, patients=[]))


class Forecaster(Component, abc.ABC):
    """Predicts P(relapse onset within *h* days) for each patient-day and horizon."""

    interface: ClassVar[str] = "forecaster"
    #: Whether :meth:`save` / :meth:`load` are implemented.
    supports_save: ClassVar[bool] = False
    #: Whether the forecaster reads the day's text (columns of role ``text``, from
    #: :class:`~emkit.TextExtractor`). The conformance kit gives those that do a toy frame with
    #: a text column; the built-in numeric forecasters ignore text columns.
    reads_text: ClassVar[bool] = False

    @abc.abstractmethod
    def fit(self, features: pd.DataFrame, labels: pd.DataFrame, horizons: Sequence[int]) -> Self:
        """Fit on ``features`` and the :func:`~emkit.label_column` columns of ``labels``.

        Rows whose label is missing (excluded days) are ignored for that horizon.
        """

    @abc.abstractmethod
    def predict_proba(self, features: pd.DataFrame) -> pd.DataFrame:
        """Probabilities in ``[0, 1]``: one :func:`~emkit.proba_column` column per fitted horizon.

        ``proba_column(h)`` is ``p_relapse_within_{h}d``.
        """

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


class Executor(Component, abc.ABC):
    """Runs independent tasks, such as one feature extraction per patient, here or on a cluster.

    ``emkit features --executor NAME`` hands each patient to an executor; the built-in
    ``serial`` one runs them in turn in this process, and plugins add executors that fan them
    out over existing engines (``emkit-dask``). The task is a module-level function (or a
    :func:`functools.partial` of one) and its items are picklable, so an executor may run
    them in other processes or on other machines. A process that runs several tasks keeps
    what they load (extractors, a store connection) between them.

    An executor is a context manager: what it starts (a local cluster, a client) is released
    by :meth:`close`.
    """

    interface: ClassVar[str] = "executor"

    @abc.abstractmethod
    def map_unordered(
        self, task: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]:
        """Call ``task(item)`` for every item and yield ``(position, result)`` as each finishes.

        Results come in any order. A call that raises yields ``(position, exception)``: one
        failed item never stops the others.
        """

    def close(self) -> None:
        """Release what the executor started (the default holds nothing)."""

    def __enter__(self) -> Self:
        """The executor itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """:meth:`close`."""
        self.close()

"""``tfidf``: the reference text forecaster, TF-IDF n-grams and a logistic regression.

It reads the day's text (columns of role ``text``, :class:`~emkit.TextExtractor`) rather than
features, so it is the bar any learned feature must clear: a forecaster that only re-learns
which words precede a relapse gets this far without any lexicon or language model.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from pydantic import Field, PositiveInt

from emkit.columns import label_series, proba_column
from emkit.errors import EmkitError
from emkit.features.schema import ColumnRole, FeatureSchema
from emkit.forecasters.sklearn import read_skops_state, write_skops_state
from emkit.interfaces import Forecaster

__all__ = ["TfidfForecaster", "text_columns", "text_documents"]

_log = logging.getLogger(__name__)


def text_columns(features: pd.DataFrame) -> list[str]:
    """The columns of ``features`` with the ``text`` role (declared, or named ``text``)."""
    return [str(c) for c in FeatureSchema.of(features).columns_with(ColumnRole.TEXT)]


def text_documents(features: pd.DataFrame, columns: Sequence[str], days: int) -> pd.Series:
    """One document per row: the text of the row and the ``days - 1`` rows before it.

    Rows are a patient's days in date order (one row per day, as feature frames have), so the
    document of day *t* holds text of days up to *t* only. Returns a string Series on
    ``features``' index and row order.
    """
    if features.empty:
        return pd.Series([], index=features.index, dtype=object)
    joined = (
        features[list(columns)].fillna("").astype(str).agg("\n".join, axis=1)
        if columns
        else pd.Series("", index=features.index)
    )
    order = joined.sort_index(level=["patient_id", "date"])
    patients = order.index.get_level_values("patient_id")
    values = order.to_numpy(dtype=object)
    documents = np.empty(len(values), dtype=object)
    starts = np.flatnonzero(np.r_[True, patients[1:] != patients[:-1]])
    ends = np.r_[starts[1:], len(values)]
    for start, end in zip(starts, ends, strict=True):
        for i in range(start, end):
            documents[i] = "\n".join(values[max(start, i - days + 1) : i + 1])
    return pd.Series(documents, index=order.index, dtype=object).loc[features.index]


class TfidfForecaster(Forecaster):
    """TF-IDF 1-2-grams of the last days' text with a class-balanced logistic regression.

    Each row's document is the text of that day and the ``days - 1`` days before it
    (:func:`text_documents`); the vectoriser is fitted on the training rows only, then one
    L2 logistic regression (``class_weight="balanced"``) per horizon. The features must hold a
    text column (role ``text``, from :class:`~emkit.TextExtractor`); when every training
    document is empty (no messages at all), the model predicts each horizon's training base
    rate.
    Importance is the mean absolute coefficient over the vocabulary, given to each text
    column (:meth:`top_terms` lists the n-grams themselves). Saved with ``skops``.
    """

    name: ClassVar[str] = "tfidf"
    supports_save: ClassVar[bool] = True
    reads_text: ClassVar[bool] = True

    class Options(Forecaster.Options):
        """Options of the TF-IDF forecaster."""

        days: PositiveInt = Field(
            default=3, description="Days of text per document: the day and the days before it."
        )
        ngram_max: int = Field(default=2, ge=1, le=3, description="Longest n-gram, in words.")
        min_df: int = Field(default=3, ge=1, description="Training documents an n-gram needs.")
        max_features: PositiveInt | None = Field(
            default=50_000, description="Keep the most frequent n-grams only (None: all)."
        )
        C: float = Field(default=1.0, gt=0, description="Inverse L2 regularisation strength.")
        max_iter: int = Field(default=1000, ge=10, description="Solver iterations.")
        random_state: int = Field(default=0, description="Seed of the solver.")
        threads: int = Field(default=1, ge=1, description="BLAS threads while fitting.")

    options: Options

    def __init__(self, **options: object) -> None:
        """Validate options; nothing is fitted yet."""
        super().__init__(**options)
        self.horizons_: list[int] = []
        self.text_columns_: list[str] = []
        self.vectorizer_: Any = None
        self.models_: dict[int, Any] = {}
        self.base_rates_: dict[int, float] = {}

    @property
    def lookback(self) -> int:
        """The days of text before the forecast day that a document holds."""
        return self.options.days - 1

    def _documents(self, features: pd.DataFrame) -> pd.Series:
        missing = [c for c in self.text_columns_ if c not in features.columns]
        if missing:
            raise KeyError(f"features lack the text columns the model was fitted on: {missing}")
        return text_documents(features, self.text_columns_, self.options.days)

    def _threads(self) -> Any:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=self.options.threads)

    def fit(self, features: pd.DataFrame, labels: pd.DataFrame, horizons: Sequence[int]) -> Self:
        """Fit the vectoriser on the training documents, then one regression per horizon."""
        targets, documents = self._prepare(features, labels, horizons)
        matrix = self._vectorise(documents)
        if matrix is None:
            return self
        rows = pd.Series(np.arange(len(documents)), index=features.index)
        with self._threads():
            for h, y in targets.items():
                model = self._regression()
                model.fit(matrix[rows.loc[y.index].to_numpy()], y.to_numpy())
                self.models_[h] = model
        return self

    def _prepare(
        self, features: pd.DataFrame, labels: pd.DataFrame, horizons: Sequence[int]
    ) -> tuple[dict[int, pd.Series], pd.Series]:
        """Check the inputs, reset the fitted state; return (targets per horizon, documents)."""
        self.horizons_ = sorted(set(int(h) for h in horizons))
        if not self.horizons_:
            raise ValueError("at least one horizon is required")
        self.text_columns_ = text_columns(features)
        if not self.text_columns_:
            shown = ", ".join(map(str, features.columns[:8]))
            more = ", ..." if len(features.columns) > 8 else ""
            raise EmkitError(
                f"{self.name} reads the day's text, but the features have no column of role "
                f"'text' (columns: {shown}{more}): add the text extractor's column "
                "(emkit.TextExtractor)"
            )
        aligned = labels.reindex(features.index)
        targets = {h: label_series(aligned, h).dropna().astype(int) for h in self.horizons_}
        for h, y in targets.items():
            if y.nunique() < 2:
                raise ValueError(f"horizon {h}: training labels hold a single class")
        self.base_rates_ = {h: float(y.mean()) for h, y in targets.items()}
        self.vectorizer_, self.models_ = None, {}
        return targets, self._documents(features)

    def _vectorise(self, documents: pd.Series) -> Any:
        """Fit the vectoriser and return the documents' matrix; ``None`` without any text."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not documents.str.strip().astype(bool).any():
            _log.info("%s: every training document is empty; predicting the base rates", self.name)
            return None
        vectorizer = TfidfVectorizer(
            ngram_range=(1, self.options.ngram_max),
            min_df=min(self.options.min_df, max(1, len(documents) // 2)),
            max_features=self.options.max_features,
            sublinear_tf=True,
            dtype=np.float64,
        )
        try:
            matrix = vectorizer.fit_transform(documents.to_numpy())
        except ValueError:  # every document empty or stop words only
            _log.info("%s: empty vocabulary; predicting the base rates", self.name)
            return None
        self.vectorizer_ = vectorizer
        return matrix

    def _regression(self, C: float | None = None) -> Any:
        """A fresh class-balanced L2 logistic regression (``C`` defaults to the option's)."""
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(
            C=self.options.C if C is None else C,
            class_weight="balanced",
            max_iter=self.options.max_iter,
            random_state=self.options.random_state,
        )

    def predict_proba(self, features: pd.DataFrame) -> pd.DataFrame:
        """P(relapse onset within h days) for every row, one column per fitted horizon."""
        if not self.horizons_:
            raise RuntimeError(f"forecaster {self.name!r} is not fitted; call fit() first")
        out = pd.DataFrame(index=features.index)
        if self.vectorizer_ is None:
            for h in self.horizons_:
                out[proba_column(h)] = self.base_rates_[h]
            return out
        matrix = self.vectorizer_.transform(self._documents(features).to_numpy())
        with self._threads():
            for h in self.horizons_:
                out[proba_column(h)] = self.models_[h].predict_proba(matrix)[:, 1]
        return out

    def feature_importance(self) -> pd.Series:
        """Mean absolute coefficient over the n-grams and horizons, for each text column."""
        if not self.models_:
            return pd.Series(dtype=float, name="importance")
        value = float(np.mean([np.abs(m.coef_[0]).mean() for m in self.models_.values()]))
        return pd.Series({c: value for c in self.text_columns_}, dtype=float, name="importance")

    def top_terms(self, horizon: int, k: int = 20) -> pd.Series:
        """The ``k`` n-grams whose presence raises the ``horizon``-day risk most (coefficients)."""
        if self.vectorizer_ is None:
            return pd.Series(dtype=float, name="coefficient")
        coef = self.models_[int(horizon)].coef_[0]
        terms = self.vectorizer_.get_feature_names_out()
        series = pd.Series(coef, index=[str(t) for t in terms], name="coefficient")
        return series.sort_values(ascending=False).head(k)

    def save(self, path: Path) -> None:
        """Write the vectoriser, the regressions and metadata with ``skops`` (not pickle)."""
        if not self.horizons_:
            raise RuntimeError(f"forecaster {self.name!r} is not fitted; call fit() first")
        write_skops_state(Path(path), self._state())

    def _state(self) -> dict[str, Any]:
        """What :meth:`save` writes: metadata as JSON strings, and the fitted estimators."""
        return {
            "name": self.name,
            "options": json.dumps(self.options.model_dump()),
            "horizons": [int(h) for h in self.horizons_],
            "text_columns": list(self.text_columns_),
            "base_rates": json.dumps({str(h): r for h, r in self.base_rates_.items()}),
            "vectorizer": self.vectorizer_,
            "models": {str(h): m for h, m in self.models_.items()},
        }

    @classmethod
    def load(cls, path: Path) -> Self:
        """Read a model written by :meth:`save`, refusing any type outside scikit-learn/numpy."""
        state = read_skops_state(Path(path), cls.name)
        model = cls(**json.loads(state["options"]))
        model._restore(state)
        return model

    def _restore(self, state: dict[str, Any]) -> None:
        """Set the fitted attributes from a state :meth:`_state` wrote."""
        self.horizons_ = [int(h) for h in state["horizons"]]
        self.text_columns_ = [str(c) for c in state["text_columns"]]
        self.base_rates_ = {int(h): float(r) for h, r in json.loads(state["base_rates"]).items()}
        self.vectorizer_ = state["vectorizer"]
        self.models_ = {int(h): m for h, m in state["models"].items()}

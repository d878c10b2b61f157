"""``trajectory``: a score of each day's text, and a regression on the path of those scores.

:class:`~emkit.TfidfForecaster` reads the last three days of text as one bag of n-grams, so a
day that is getting worse and a day that is getting better look alike when they hold the same
words. This forecaster keeps the days apart: a TF-IDF regression scores each day's own text
(its log-odds), then a second regression reads where that score has been, through
:func:`score_trajectory` (the score and its lags, trailing means and maxima, their
differences, and the distance from the patient's own usual score).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from pydantic import Field, PositiveInt, field_validator

from emkit.columns import proba_column
from emkit.features.schema import ColumnRole
from emkit.forecasters.sklearn import numeric_columns
from emkit.forecasters.tfidf import TfidfForecaster

__all__ = ["TrajectoryForecaster", "score_trajectory"]

#: The score columns compared with the patient's own baseline (``{column}_vs_usual``).
_AGAINST_USUAL = ("score", "mean3d", "mean7d", "mean14d")


def score_trajectory(
    scores: pd.Series,
    windows: Sequence[int] = (3, 7, 14),
    lags: int = 6,
    baseline_days: int = 30,
) -> pd.DataFrame:
    """The path of each patient's day scores, one row per day, strictly from days up to it.

    Rows are a patient's days in date order (one row per day, as feature frames have). Columns:

    * ``score``: the day's own score;
    * ``lag{k}``: the score ``k`` rows before, for ``k`` in ``1..lags`` (before a patient's first
      rows, their mean so far);
    * ``mean{w}d`` and ``max{w}d``: trailing mean and maximum over ``w`` rows, for each window;
    * ``rise{a}_{b}``: ``mean{a}d - mean{b}d`` for consecutive windows ``a < b``: positive while
      the score climbs;
    * ``{c}_vs_usual``: for ``score`` and the 3/7/14-row means that exist, the distance from the
      median score of the ``baseline_days`` rows *before* the day (0 until 7 of them exist;
      none with ``baseline_days=0``).

    Returns a float frame on ``scores``' index and row order; no value is missing.
    """
    order = scores.astype(float).sort_index(level=["patient_id", "date"])
    grouped = order.groupby(level="patient_id", sort=False)
    columns: dict[str, pd.Series] = {"score": order}
    means: dict[int, pd.Series] = {}
    for window in sorted({int(w) for w in windows}):
        rolling = grouped.rolling(window, min_periods=1)
        means[window] = rolling.mean().reset_index(level=0, drop=True).loc[order.index]
        columns[f"mean{window}d"] = means[window]
        columns[f"max{window}d"] = rolling.max().reset_index(level=0, drop=True).loc[order.index]
    so_far = grouped.expanding().mean().reset_index(level=0, drop=True).loc[order.index]
    for k in range(1, lags + 1):
        columns[f"lag{k}"] = grouped.shift(k).fillna(so_far)
    shorter = sorted(means)
    for a, b in itertools.pairwise(shorter):
        columns[f"rise{a}_{b}"] = means[a] - means[b]
    if baseline_days > 0:
        usual = grouped.transform(
            lambda s: s.shift(1).rolling(baseline_days, min_periods=min(7, baseline_days)).median()
        )
        for name in _AGAINST_USUAL:
            if name in columns:
                columns[f"{name}_vs_usual"] = (columns[name] - usual).fillna(0.0)
    frame = pd.DataFrame(columns, index=order.index)
    return frame.loc[scores.index]


class TrajectoryForecaster(TfidfForecaster):
    """TF-IDF scores of each day's text, and a logistic regression on their recent path.

    Two stages per horizon, both fitted on the training rows only:

    1. **Day score.** TF-IDF 1-2-grams of each day's text (``days=1``; the options of
       :class:`~emkit.TfidfForecaster`) and a class-balanced logistic regression; a day's
       score is its log-odds. The scores that train stage 2 are *out-of-fold*: each comes from
       a regression fitted without that patient (``inner_folds`` groups of patients), so
       stage 2 learns how scores of unseen text behave, not how well the first stage
       memorised its own rows.
    2. **Path.** A standardised, class-balanced logistic regression on
       :func:`score_trajectory` of those scores: the score, its lags, trailing means and
       maxima over ``windows``, whether it is rising, and how far it is from the patient's
       usual score (the median of the ``baseline_days`` days before).

    With ``roles``, the numeric feature columns of those roles (for example the MiniLLM's) join
    the path regression as they are on the day, after median imputation.

    A forecast for day *t* reads text of days up to *t* only (:attr:`lookback` rows back).
    :meth:`top_terms` lists the day score's n-grams and :meth:`path_weights` the second stage's
    weights. Saved with ``skops``.
    """

    name: ClassVar[str] = "trajectory"

    class Options(TfidfForecaster.Options):
        """Options of the trajectory forecaster (the TF-IDF ones set the day score)."""

        days: PositiveInt = Field(
            default=1, description="Days of text per day-score document (1: the day alone)."
        )
        C: float = Field(
            default=0.3, gt=0, description="Inverse L2 regularisation of the day score."
        )
        windows: list[PositiveInt] = Field(
            default_factory=lambda: [3, 7, 14],
            min_length=1,
            description="Trailing windows (rows) for the score's means and maxima.",
        )
        lags: int = Field(default=6, ge=0, le=60, description="Earlier scores read one by one.")
        baseline_days: int = Field(
            default=30, ge=0, description="Days before each day that set the usual score (0: off)."
        )
        inner_folds: int = Field(
            default=5, ge=2, description="Patient groups for the out-of-fold day scores."
        )
        path_C: float = Field(
            default=1.0, gt=0, description="Inverse L2 regularisation of the path regression."
        )
        roles: list[ColumnRole] | None = Field(
            default=None,
            description="Numeric columns of these roles join the path regression, as they are "
            "on the day (default: none, the text alone).",
        )

        @field_validator("windows")
        @classmethod
        def _distinct_windows(cls, value: list[int]) -> list[int]:
            return sorted(set(value))

    options: Options

    def __init__(self, **options: object) -> None:
        """Validate options; nothing is fitted yet."""
        super().__init__(**options)
        self.path_models_: dict[int, Any] = {}
        self.feature_columns_: list[str] = []

    @property
    def lookback(self) -> int:
        """Rows before the forecast day that its forecast reads (the path's and the text's)."""
        reach = max(max(self.options.windows) - 1, self.options.lags, self.options.baseline_days)
        return reach + self.options.days - 1

    def _design(self, features: pd.DataFrame, scores: pd.Series) -> pd.DataFrame:
        """What the path regression reads: the scores' path, then the ``roles`` columns."""
        path = score_trajectory(
            scores, self.options.windows, self.options.lags, self.options.baseline_days
        )
        if not self.feature_columns_:
            return path
        missing = [c for c in self.feature_columns_ if c not in features.columns]
        if missing:
            raise KeyError(f"features lack columns the model was fitted on: {missing[:10]}")
        return pd.concat([path, features[self.feature_columns_].astype(float)], axis=1)

    def _role_columns(self, features: pd.DataFrame) -> list[str]:
        """The numeric, non-text columns of ``features`` with one of the ``roles`` (or none)."""
        if self.options.roles is None:
            return []
        return numeric_columns(features, self.options.roles, self.name)

    def fit(self, features: pd.DataFrame, labels: pd.DataFrame, horizons: Sequence[int]) -> Self:
        """Fit the day score (and its out-of-fold scores), then the path regression, per horizon."""
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        targets, documents = self._prepare(features, labels, horizons)
        self.path_models_ = {}
        self.feature_columns_ = self._role_columns(features)
        matrix = self._vectorise(documents)
        if matrix is None:
            return self
        position = pd.Series(np.arange(len(documents)), index=features.index)
        folds = self._inner_folds(features.index)
        with self._threads():
            for h, y in targets.items():
                labelled = position.loc[y.index].to_numpy()
                target = np.full(len(documents), -1)
                target[labelled] = y.to_numpy()
                held_out = self._out_of_fold(matrix, target, folds)
                self.models_[h] = self._regression().fit(matrix[labelled], target[labelled])
                design = self._design(features, pd.Series(held_out, index=features.index))
                path = make_pipeline(
                    SimpleImputer(strategy="median", keep_empty_features=True),
                    StandardScaler(),
                    self._regression(self.options.path_C),
                )
                self.path_models_[h] = path.fit(design.iloc[labelled], target[labelled])
        return self

    def _inner_folds(self, index: pd.Index) -> np.ndarray:
        """Fold number of every row: groups of whole patients, or of 30-day blocks for one."""
        patients = pd.Index(index.get_level_values("patient_id").astype(str))
        codes, uniques = pd.factorize(patients)
        # Whole patients; a single patient is cut into contiguous 30-day blocks instead.
        groups = codes if len(uniques) >= 2 else np.arange(len(index)) // 30
        n_groups = int(groups.max()) + 1
        folds = min(self.options.inner_folds, n_groups)
        rng = np.random.default_rng(self.options.random_state)
        assignment = rng.permutation(n_groups) % folds
        return np.asarray(assignment[groups])

    def _out_of_fold(self, matrix: Any, target: np.ndarray, folds: np.ndarray) -> np.ndarray:
        """Each row's day score from a regression fitted on the other folds' labelled rows."""
        scores = np.zeros(len(target))
        for fold in np.unique(folds):
            train = np.flatnonzero((folds != fold) & (target >= 0))
            rows = np.flatnonzero(folds == fold)
            classes = np.unique(target[train])
            if len(classes) < 2:  # a fold without both classes: the prior log-odds
                rate = float(np.clip(target[target >= 0].mean(), 1e-6, 1 - 1e-6))
                scores[rows] = np.log(rate / (1 - rate))
                continue
            model = self._regression().fit(matrix[train], target[train])
            scores[rows] = model.decision_function(matrix[rows])
        return scores

    def day_scores(self, features: pd.DataFrame, horizon: int) -> pd.Series:
        """The first stage's score (log-odds) of each row's text, for a fitted ``horizon``."""
        if int(horizon) not in self.models_:
            raise KeyError(f"no day score for horizon {horizon} (fitted: {sorted(self.models_)})")
        return self._day_scores(features, self._matrix(features), int(horizon))

    def _matrix(self, features: pd.DataFrame) -> Any:
        """The TF-IDF rows of ``features``' documents (one pass, shared by every horizon)."""
        return self.vectorizer_.transform(self._documents(features).to_numpy())

    def _day_scores(self, features: pd.DataFrame, matrix: Any, horizon: int) -> pd.Series:
        with self._threads():
            values = self.models_[horizon].decision_function(matrix)
        return pd.Series(values, index=features.index, name="day_score")

    def predict_proba(self, features: pd.DataFrame) -> pd.DataFrame:
        """P(relapse onset within h days) for every row, one column per fitted horizon."""
        if not self.horizons_:
            raise RuntimeError(f"forecaster {self.name!r} is not fitted; call fit() first")
        if self.vectorizer_ is None:
            return super().predict_proba(features)
        out = pd.DataFrame(index=features.index)
        matrix = self._matrix(features)
        for h in self.horizons_:
            design = self._design(features, self._day_scores(features, matrix, h))
            with self._threads():
                out[proba_column(h)] = self.path_models_[h].predict_proba(design)[:, 1]
        return out

    def path_weights(self, horizon: int) -> pd.Series:
        """The path regression's weight on each of its columns (standardised).

        The columns are those of :func:`score_trajectory`, then the ``roles`` feature columns.
        """
        if int(horizon) not in self.path_models_:
            return pd.Series(dtype=float, name="weight")
        path = self.path_models_[int(horizon)]
        names = [str(c) for c in path[0].feature_names_in_]
        return pd.Series(path[-1].coef_[0], index=names, name="weight")

    def feature_importance(self) -> pd.Series:
        """Importance of the text columns (as ``tfidf``'s) and of each ``roles`` column.

        A ``roles`` column's importance is its mean absolute path weight over the horizons.
        """
        importance = super().feature_importance()
        if not self.feature_columns_ or not self.path_models_:
            return importance
        weights = pd.concat([self.path_weights(h).abs() for h in self.path_models_], axis=1)
        extra = weights.loc[self.feature_columns_].mean(axis=1).rename("importance")
        combined: pd.Series = pd.concat([importance, extra]).rename("importance")
        return combined

    def _state(self) -> dict[str, Any]:
        return super()._state() | {
            "path_models": {str(h): m for h, m in self.path_models_.items()},
            "feature_columns": list(self.feature_columns_),
        }

    def _restore(self, state: dict[str, Any]) -> None:
        super()._restore(state)
        self.path_models_ = {int(h): m for h, m in state["path_models"].items()}
        self.feature_columns_ = [str(c) for c in state["feature_columns"]]

"""scikit-learn baselines: logistic regression and histogram gradient boosting.

Both fit one pipeline per horizon on :func:`rolling_design` (current features plus per-patient
trailing means) and save with ``skops`` (no pickle).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from pydantic import Field, PositiveInt

from _sdk import atomic_write_bytes
from emkit.columns import label_series, proba_column
from emkit.errors import EmkitError
from emkit.features.schema import ColumnRole, FeatureSchema
from emkit.interfaces import Forecaster

__all__ = [
    "DERIVED_SEPARATOR",
    "GBMForecaster",
    "LogisticForecaster",
    "rolling_design",
    "source_feature",
]


#: Separator between an input feature's name and the rolling summary derived from it.
DERIVED_SEPARATOR = "__"


def rolling_design(features: pd.DataFrame, windows: Sequence[int]) -> pd.DataFrame:
    """Current features plus per-patient trailing means over ``windows`` (days of rows).

    The row for day *t* uses rows up to and including *t* of the same patient only, so a change
    in a later day never changes an earlier row. Rows are ordered by date within each patient;
    the returned frame has the input's index and row order. Derived columns are named
    ``{feature}__mean{w}d``.
    """
    numeric = features.select_dtypes(include="number").astype(float)
    if numeric.shape[1] == 0:
        raise ValueError(
            f"the feature frame has no numeric columns (columns: {list(features.columns)})"
        )
    order = numeric.sort_index(level=["patient_id", "date"])
    grouped = order.groupby(level="patient_id", sort=False)
    parts = [order]
    for window in windows:
        means = grouped.rolling(int(window), min_periods=1).mean()
        # groupby().rolling() prepends the group key; drop it to get back (patient_id, date).
        means = means.reset_index(level=0, drop=True)
        means.columns = [f"{c}{DERIVED_SEPARATOR}mean{int(window)}d" for c in order.columns]
        parts.append(means.loc[order.index])
    design = pd.concat(parts, axis=1)
    return design.loc[features.index]


def numeric_columns(
    features: pd.DataFrame, roles: Sequence[ColumnRole] | None, forecaster: str
) -> list[str]:
    """The numeric, non-``text`` columns of ``features``, of ``roles`` when given.

    Raises:
        ValueError: no such column; the message names the ``forecaster``, the roles and the
            frame's columns.
    """
    schema = FeatureSchema.of(features)
    wanted = set(roles) if roles is not None else None
    columns = [
        str(c)
        for c in features.select_dtypes(include="number").columns
        if schema.role(str(c)) is not ColumnRole.TEXT
        and (wanted is None or schema.role(str(c)) in wanted)
    ]
    if not columns:
        raise ValueError(
            f"forecaster {forecaster!r}: no numeric feature columns"
            + (f" with roles {sorted(r.value for r in wanted)}" if wanted else "")
            + f" (columns: {list(features.columns)[:20]})"
        )
    return columns


def source_feature(column: str) -> str:
    """The input feature a design column was derived from (``x__mean7d`` → ``x``)."""
    return column.split(DERIVED_SEPARATOR, 1)[0]


class _SklearnForecaster(Forecaster):
    """Shared machinery: one scikit-learn pipeline per horizon on :func:`rolling_design`.

    Subclasses build the pipeline in :meth:`_make_pipeline`. Models are saved with ``skops``
    (no pickle); loading accepts only scikit-learn and numpy types.
    """

    supports_save: ClassVar[bool] = True

    class Options(Forecaster.Options):
        """Options shared by the scikit-learn baselines."""

        rolling_windows: list[PositiveInt] = Field(
            default=[3],
            description="Trailing windows (days) whose per-patient means are added as features.",
        )
        random_state: int = Field(default=0, description="Seed of any randomness in fitting.")
        roles: list[ColumnRole] | None = Field(
            default=None,
            description="Use only the columns with these roles (default: every numeric column; "
            "text columns are never used).",
        )
        threads: int = Field(
            default=1,
            ge=1,
            description="OpenMP/BLAS threads while fitting and predicting (1 avoids "
            "oversubscription when folds or processes run side by side).",
        )

    options: Options

    def __init__(self, **options: object) -> None:
        """Validate options; nothing is fitted yet."""
        super().__init__(**options)
        self.horizons_: list[int] = []
        self.feature_columns_: list[str] = []
        self.design_columns_: list[str] = []
        self.models_: dict[int, Any] = {}
        self.importance_: dict[str, float] = {}
        # Training design and labels kept (in memory only) until importance is asked for.
        self._importance_data: tuple[pd.DataFrame, dict[int, pd.Series]] | None = None

    # -- hooks for subclasses ------------------------------------------------------------------
    def _make_pipeline(self) -> Any:  # pragma: no cover - abstract in spirit
        raise NotImplementedError

    def _importance(self, design: pd.DataFrame, labels: dict[int, pd.Series]) -> pd.Series:
        raise NotImplementedError

    # -- Forecaster ----------------------------------------------------------------------------
    def design_matrix(self, features: pd.DataFrame) -> pd.DataFrame:
        """The design matrix the fitted pipelines see for ``features`` (columns as in fit)."""
        missing = [c for c in self.feature_columns_ if c not in features.columns]
        if missing:
            raise KeyError(f"features lack columns the model was fitted on: {missing[:10]}")
        design = rolling_design(features[self.feature_columns_], self.options.rolling_windows)
        return design[self.design_columns_]

    def input_columns(self, features: pd.DataFrame) -> list[str]:
        """The columns of ``features`` this model reads: numeric, not ``text``, of ``roles``.

        Roles come from the frame's schema (:meth:`FeatureSchema.of
        <emkit.FeatureSchema.of>`).
        """
        return numeric_columns(features, self.options.roles, self.name)

    @property
    def lookback(self) -> int:
        """The longest trailing window minus today (the design uses nothing older)."""
        return max(self.options.rolling_windows, default=1) - 1

    def estimator(self, horizon: int) -> Any:
        """The fitted scikit-learn pipeline for ``horizon`` days."""
        return self.models_[int(horizon)]

    def fit(self, features: pd.DataFrame, labels: pd.DataFrame, horizons: Sequence[int]) -> Self:
        """Fit one pipeline per horizon on rows whose label is present."""
        from sklearn.base import clone

        self.horizons_ = sorted(set(int(h) for h in horizons))
        if not self.horizons_:
            raise ValueError("at least one horizon is required")
        self.feature_columns_ = self.input_columns(features)
        design = rolling_design(features[self.feature_columns_], self.options.rolling_windows)
        self.design_columns_ = [str(c) for c in design.columns]
        aligned = labels.reindex(features.index)
        used: dict[int, pd.Series] = {}
        template = self._make_pipeline()
        for h in self.horizons_:
            y = label_series(aligned, h).dropna().astype(int)
            if y.nunique() < 2:
                raise ValueError(f"horizon {h}: training labels hold a single class")
            model = clone(template)
            with self._threads():
                model.fit(design.loc[y.index].to_numpy(), y.to_numpy())
            self.models_[h] = model
            used[h] = y
        self.importance_ = {}
        self._importance_data = (design, used)
        return self

    def _threads(self) -> Any:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=self.options.threads)

    def predict_proba(self, features: pd.DataFrame) -> pd.DataFrame:
        """P(relapse onset within h days) for every row, one column per fitted horizon."""
        if not self.models_:
            raise RuntimeError(f"forecaster {self.name!r} is not fitted; call fit() first")
        design = self.design_matrix(features).to_numpy()
        out = pd.DataFrame(index=features.index)
        with self._threads():
            for h in self.horizons_:
                out[proba_column(h)] = self.models_[h].predict_proba(design)[:, 1]
        return out

    def feature_importance(self) -> pd.Series:
        """Importance per input feature, summed over its rolling summaries and horizons.

        Computed on first call after :meth:`fit` (and stored by :meth:`save`).
        """
        if not self.importance_ and self._importance_data is not None:
            design, used = self._importance_data
            with self._threads():
                computed = self._importance(design, used)
            self.importance_ = {str(k): float(v) for k, v in computed.items()}
        series = pd.Series(self.importance_, dtype=float, name="importance")
        return series.sort_values(ascending=False)

    def save(self, path: Path) -> None:
        """Write the fitted pipelines and metadata to ``path`` with ``skops`` (not pickle)."""
        self.feature_importance()
        state = {
            "name": self.name,
            "options": json.dumps(self.options.model_dump()),
            "horizons": [int(h) for h in self.horizons_],
            "feature_columns": list(self.feature_columns_),
            "design_columns": list(self.design_columns_),
            "importance": json.dumps(self.importance_),
            "models": {str(h): m for h, m in self.models_.items()},
        }
        write_skops_state(Path(path), state)

    @classmethod
    def load(cls, path: Path) -> Self:
        """Read a model written by :meth:`save`, refusing any type outside scikit-learn/numpy."""
        state = read_skops_state(Path(path), cls.name)
        model = cls(**json.loads(state["options"]))
        model.horizons_ = [int(h) for h in state["horizons"]]
        model.feature_columns_ = [str(c) for c in state["feature_columns"]]
        model.design_columns_ = [str(c) for c in state["design_columns"]]
        model.importance_ = {str(k): float(v) for k, v in json.loads(state["importance"]).items()}
        model.models_ = {int(h): m for h, m in state["models"].items()}
        return model


_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "builtins.")


def _skops_io() -> Any:
    try:
        import skops.io as sio
    except ImportError as exc:  # pragma: no cover - skops is a core dependency
        raise EmkitError("saving scikit-learn forecasters needs skops: pip install skops") from exc
    return sio


def write_skops_state(path: Path, state: dict[str, Any]) -> None:
    """Write a forecaster's ``state`` (its ``name``, options, fitted estimators) with ``skops``."""
    atomic_write_bytes(path, _skops_io().dumps(state))


def read_skops_state(path: Path, name: str) -> dict[str, Any]:
    """The state :func:`write_skops_state` wrote for the forecaster ``name``.

    Raises:
        EmkitError: the file holds a type outside scikit-learn/numpy/builtins (never loaded), or
            another forecaster's model.
    """
    sio = _skops_io()
    data = path.read_bytes()
    untrusted = sio.get_untrusted_types(data=data)
    unsafe = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
    if unsafe:
        raise EmkitError(f"{path}: refusing to load untrusted types {unsafe}")
    state: dict[str, Any] = sio.loads(data, trusted=untrusted)
    if state.get("name") != name:
        raise EmkitError(f"{path}: holds a {state.get('name')!r} model, not {name!r}")
    return state


def _by_source(values: pd.Series) -> pd.Series:
    """Sum design-column importances back onto the input feature each was derived from."""
    return values.groupby([source_feature(str(c)) for c in values.index]).sum()


class LogisticForecaster(_SklearnForecaster):
    """Standardised, class-balanced logistic regression on current and rolling features.

    Missing feature values (days without messages) are imputed with the training median; each
    horizon gets its own model. Importance is the mean absolute standardised coefficient,
    summed over a feature's rolling summaries.
    """

    name: ClassVar[str] = "logistic"

    class Options(_SklearnForecaster.Options):
        """Options of the logistic baseline."""

        C: float = Field(default=0.1, gt=0, description="Inverse L2 regularisation strength.")
        max_iter: int = Field(default=500, ge=10, description="Solver iterations.")

    options: Options

    def _make_pipeline(self) -> Any:
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        return Pipeline(
            [
                ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                ("scale", StandardScaler()),
                (
                    "classify",
                    LogisticRegression(
                        C=self.options.C,
                        class_weight="balanced",
                        max_iter=self.options.max_iter,
                        random_state=self.options.random_state,
                    ),
                ),
            ]
        )

    def _importance(self, design: pd.DataFrame, labels: dict[int, pd.Series]) -> pd.Series:
        total = pd.Series(0.0, index=design.columns)
        for h in labels:
            coef = self.models_[h].named_steps["classify"].coef_[0]
            total += pd.Series(abs(coef), index=design.columns)
        return _by_source(total / max(len(labels), 1))


class GBMForecaster(_SklearnForecaster):
    """Histogram gradient boosting (scikit-learn) on current and rolling features.

    Handles missing values natively, balances classes, and stops early on an internal
    validation split. Importance is permutation importance (drop in ROC AUC) on a sample of
    training rows, shuffling a feature together with its rolling summaries.
    """

    name: ClassVar[str] = "gbm"

    class Options(_SklearnForecaster.Options):
        """Options of the gradient-boosting baseline."""

        learning_rate: float = Field(default=0.05, gt=0, description="Shrinkage per tree.")
        max_iter: int = Field(default=200, ge=1, description="Maximum boosting rounds.")
        max_leaf_nodes: int = Field(default=15, ge=2, description="Leaves per tree.")
        min_samples_leaf: int = Field(default=40, ge=1, description="Rows per leaf, at least.")
        l2_regularization: float = Field(default=1.0, ge=0, description="L2 penalty on leaves.")
        importance_rows: int = Field(
            default=1000, ge=50, description="Training rows sampled for permutation importance."
        )

    options: Options

    def _make_pipeline(self) -> Any:
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            learning_rate=self.options.learning_rate,
            max_iter=self.options.max_iter,
            max_leaf_nodes=self.options.max_leaf_nodes,
            min_samples_leaf=self.options.min_samples_leaf,
            l2_regularization=self.options.l2_regularization,
            class_weight="balanced",
            early_stopping=True,
            validation_fraction=0.15,
            n_iter_no_change=15,
            random_state=self.options.random_state,
        )

    def _importance(self, design: pd.DataFrame, labels: dict[int, pd.Series]) -> pd.Series:
        from emkit.evaluation.metrics import auroc

        rng = np.random.default_rng(self.options.random_state)
        groups: dict[str, list[int]] = {}
        for position, column in enumerate(design.columns):
            groups.setdefault(source_feature(str(column)), []).append(position)
        total = pd.Series(0.0, index=list(groups))
        for h, y in labels.items():
            rows = y.sample(
                n=min(len(y), self.options.importance_rows),
                random_state=self.options.random_state,
            )
            if rows.nunique() < 2:
                continue
            x = design.loc[rows.index].to_numpy()
            target = rows.to_numpy()
            model = self.models_[h]
            base = auroc(target, model.predict_proba(x)[:, 1])
            for source, positions in groups.items():
                # A feature and its rolling summaries are shuffled together (same row order).
                shuffled = x.copy()
                shuffled[:, positions] = x[rng.permutation(len(x))][:, positions]
                total[source] += base - auroc(target, model.predict_proba(shuffled)[:, 1])
        return total / max(len(labels), 1)

"""Out-of-fold forecasts and their scores, with patient-bootstrap intervals.

Every forecaster is fitted once per split on the training rows only (anything learned from
features, such as the PCA of each embedding block, is fitted there too) and scored on the test
rows it never saw. All forecasters and the oracle are scored on the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from emkit.columns import label_column, proba_column
from emkit.evaluation.bootstrap import Interval, patient_bootstrap
from emkit.evaluation.metrics import (
    auroc,
    binary_metrics,
    calibration_table,
    event_onsets_from_labels,
    event_sensitivity,
)
from emkit.evaluation.splits import Split
from emkit.features.pca import EmbeddingPCA
from emkit.features.schema import ColumnRole, FeatureColumn, FeatureSchema
from emkit.interfaces import Forecaster

#: Column of the prediction frame holding the oracle (the cohort's latent signal).
ORACLE = "oracle"

ForecasterFactory = Callable[[], Forecaster]


@contextmanager
def _progress(enabled: bool, total: int, description: str) -> Iterator[Callable[[], None]]:
    """A rich progress bar (or nothing); yields ``advance()``."""
    if not enabled:
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


def fold_features(
    features: pd.DataFrame,
    train: np.ndarray,
    n_components: int | float = 8,
    schema: FeatureSchema | None = None,
) -> pd.DataFrame:
    """Features for one fold: each embedding block replaced by a PCA fitted on training rows only.

    ``n_components`` is the components per block, or a share of variance in ``(0, 1)``: the
    fewest components that explain it on the fold's training rows (:class:`~emkit.EmbeddingPCA`).

    Embedding columns are found by role (``schema``, default :meth:`FeatureSchema.of(features)
    <emkit.FeatureSchema.of>`): ``llm_emb_*`` become ``llm_pca_*``, ``hf_emb_*`` become
    ``hf_pca_*``, each block with its own :class:`~emkit.EmbeddingPCA`. A block's existing
    ``embedding_pca`` columns are dropped in favour of the per-fold ones; frames without
    embedding columns are returned unchanged. The result carries its roles.
    """
    roles = (schema or FeatureSchema.of(features)).select(features.columns)
    blocks = roles.embedding_blocks()
    if not blocks:
        return features
    stale = [
        c.name for c in roles.columns if c.role is ColumnRole.EMBEDDING_PCA and c.block in blocks
    ]
    frame = features.drop(columns=stale)
    added: list[FeatureColumn] = []
    for block, columns in blocks.items():
        before = set(frame.columns)
        frame = (
            EmbeddingPCA(n_components, block=block, columns=columns, keep_empty_days=True)
            .fit(frame[train])
            .transform(frame)
        )
        added += [
            FeatureColumn(name=str(c), role=ColumnRole.EMBEDDING_PCA, block=block)
            for c in frame.columns
            if c not in before
        ]
    reduced = FeatureSchema.merge(roles, FeatureSchema(columns=tuple(added)))
    return reduced.select(frame.columns).attach(frame)


def history_mask(index: pd.Index, rows: np.ndarray, lookback: int) -> np.ndarray:
    """Rows at or after ``lookback`` rows before each patient's first row in ``rows``.

    Positions count each patient's rows in date order, so the mask is exact for forecasters
    whose lookback counts rows (one per day with features). Patients absent from ``rows`` are
    left out.
    """
    if lookback < 0:
        raise ValueError(f"lookback must be >= 0 (got {lookback})")
    patients = pd.Series(index.get_level_values("patient_id").astype(str), dtype=object)
    dates = pd.Series(pd.DatetimeIndex(index.get_level_values("date")))
    position = dates.groupby(patients).rank(method="first").to_numpy() - 1
    selected = np.asarray(rows, dtype=bool)
    first = pd.Series(position[selected]).groupby(patients[selected].to_numpy()).min()
    start = patients.map(first).to_numpy(dtype=float)
    return np.asarray(position >= start - lookback)  # NaN start (no selected row) → False


def out_of_fold_predictions(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    factory: ForecasterFactory,
    splits: Sequence[Split],
    horizons: Sequence[int],
    *,
    progress: bool = False,
    description: str = "fitting",
    on_fit: Callable[[Split, Forecaster], None] | None = None,
    pca_components: int | float = 8,
) -> pd.DataFrame:
    """Predictions for every test row of every split, from a model fitted on its train rows.

    The model predicts from the test patients' days up to the end of the test block (history
    is allowed as context, as far back as the model's :attr:`~emkit.Forecaster.lookback`;
    forecasters use no day after the one they predict), and only the test rows are kept.
    Returns :func:`~emkit.proba_column` columns plus ``fold``. ``on_fit`` receives each split
    with the model fitted on it (to keep a model without fitting it twice).
    ``pca_components`` sets each fold's embedding PCA (:func:`fold_features`).
    """
    labels = labels.reindex(features.index)
    patients = features.index.get_level_values("patient_id").astype(str)
    dates = pd.DatetimeIndex(features.index.get_level_values("date"))
    parts = []
    with _progress(progress, len(splits), description) as advance:
        schema = FeatureSchema.of(features)
        for split in splits:
            frame = fold_features(features, split.train, pca_components, schema=schema)
            model = factory().fit(frame[split.train], labels[split.train], horizons)
            if on_fit is not None:
                on_fit(split, model)
            test_patients = set(patients[split.test])
            last = dates[split.test].max()
            context = np.asarray(patients.isin(test_patients)) & np.asarray(dates <= last)
            if model.lookback is not None:
                context &= history_mask(features.index, split.test, model.lookback)
            proba = model.predict_proba(frame[context])
            keep = split.test[context]
            part = proba[keep].copy()
            part["fold"] = split.name
            parts.append(part)
            advance()
    return pd.concat(parts).sort_index()


@dataclass
class Evaluation:
    """Scores of several forecasters (and the oracle) on the same held-out rows.

    Attributes:
        horizons: Horizons in days.
        scheme: ``"rolling"`` or ``"patients"``.
        folds: Names of the splits.
        predictions: Held-out rows: ``y_{h}`` labels, ``{model}|p_{h}`` probabilities,
            ``oracle`` (latent signal, when known) and ``fold``.
        scores: ``scores[h][model]`` → metric name → :class:`Interval` or value.
        events: ``events[h][model]`` → per-event sensitivity summary.
        calibration: ``calibration[h][model]`` → reliability table.
        comparisons: ``comparisons[h]["{model}-prevalence"]`` → AUROC difference interval.
        last_models: Each forecaster as fitted on the last split (not part of the record).
    """

    horizons: list[int]
    scheme: str
    folds: list[str]
    predictions: pd.DataFrame
    scores: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)
    events: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)
    calibration: dict[int, dict[str, pd.DataFrame]] = field(default_factory=dict)
    comparisons: dict[int, dict[str, Interval]] = field(default_factory=dict)
    last_models: dict[str, Forecaster] = field(default_factory=dict, repr=False)

    @property
    def models(self) -> list[str]:
        """Names of the evaluated forecasters, in the order given."""
        seen: list[str] = []
        for column in self.predictions.columns:
            if "|" in str(column):
                name = str(column).split("|", 1)[0]
                if name not in seen:
                    seen.append(name)
        return seen

    def best(self, horizon: int) -> str:
        """The forecaster with the highest AUROC at ``horizon``."""
        table = self.scores[horizon]
        models = [m for m in self.models if m in table]
        return max(models, key=lambda m: _finite(table[m]["auroc"].estimate))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (no per-row predictions)."""

        def value(v: Any) -> Any:
            if isinstance(v, Interval):
                return {k: _json_float(x) for k, x in v.to_dict().items()}
            if isinstance(v, float):
                return _json_float(v)
            if isinstance(v, list):
                return [value(x) for x in v]
            if isinstance(v, dict):
                return {str(k): value(x) for k, x in v.items()}
            return v

        return {
            "horizons": self.horizons,
            "scheme": self.scheme,
            "folds": self.folds,
            "rows": len(self.predictions),
            "patients": int(self.predictions.index.get_level_values("patient_id").nunique()),
            "models": self.models,
            "best": {str(h): self.best(h) for h in self.horizons},
            "scores": value(self.scores),
            "events": value(self.events),
            "comparisons": value(self.comparisons),
            "calibration": {
                str(h): {m: t.to_dict(orient="list") for m, t in tables.items()}
                for h, tables in self.calibration.items()
            },
        }


def _finite(x: float) -> float:
    return x if math.isfinite(x) else -math.inf


def _json_float(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def prediction_column(model: str, horizon: int) -> str:
    """Column of the prediction frame for ``model`` at ``horizon``."""
    return f"{model}|{proba_column(horizon)}"


def evaluate(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    forecasters: dict[str, ForecasterFactory],
    splits: Sequence[Split],
    horizons: Sequence[int],
    *,
    scheme: str = "rolling",
    latent: pd.Series | None = None,
    onsets: pd.DataFrame | None = None,
    n_boot: int = 200,
    seed: int = 0,
    false_alarms_per_month: float = 1.0,
    progress: bool = False,
    pca_components: int | float = 8,
) -> Evaluation:
    """Fit each forecaster on the same splits and score the held-out predictions.

    Args:
        features: Per-day features indexed by ``(patient_id, date)``.
        labels: :func:`~emkit.label_column` columns on the same index (NaN = excluded day).
        forecasters: Display name → factory of an unfitted forecaster.
        splits: Folds from :mod:`emkit.evaluation.splits`.
        horizons: Horizons in days.
        scheme: Name of the split scheme, for the record.
        latent: The cohort's latent relapse signal per day (``latent.parquet``), scored as the
            oracle beside every model.
        onsets: ``patient_id``/``onset`` table; inferred from the labels when omitted.
        n_boot: Patient-bootstrap draws for the intervals.
        seed: Seed of the bootstrap.
        false_alarms_per_month: Alarm budget for the per-event sensitivity.
        progress: Show a progress bar.
        pca_components: Components of each fold's PCA per embedding block, or a share of
            variance in ``(0, 1)`` that sets their number on the fold's training rows
            (:func:`fold_features`).
    """
    horizons = sorted(int(h) for h in horizons)
    frames = []
    last_models: dict[str, Forecaster] = {}
    for name, factory in forecasters.items():

        def keep_last(split: Split, model: Forecaster, name: str = name) -> None:
            if split is splits[-1]:
                last_models[name] = model

        proba = out_of_fold_predictions(
            features,
            labels,
            factory,
            splits,
            horizons,
            progress=progress,
            description=name,
            on_fit=keep_last,
            pca_components=pca_components,
        )
        fold = proba.pop("fold")
        proba.columns = [f"{name}|{c}" for c in proba.columns]
        frames.append(proba)
    predictions = pd.concat(frames, axis=1)
    predictions["fold"] = fold
    aligned = labels.reindex(predictions.index)
    for h in horizons:
        predictions[f"y_{h}"] = aligned[label_column(h)]
    if latent is not None:
        predictions[ORACLE] = latent.reindex(predictions.index).to_numpy(dtype=float)
    result = Evaluation(
        horizons, scheme, [s.name for s in splits], predictions, last_models=last_models
    )
    names = list(forecasters)
    for h in horizons:
        rows = predictions[predictions[f"y_{h}"].notna()]
        stats = _statistics(names, h, latent is not None)
        intervals = patient_bootstrap(rows, stats, n_boot=n_boot, seed=seed)
        table: dict[str, dict[str, Any]] = {}
        for model in [*names, *([ORACLE] if latent is not None else [])]:
            plain = binary_metrics(
                rows[f"y_{h}"].to_numpy(),
                rows[ORACLE if model == ORACLE else prediction_column(model, h)]
                .fillna(0)
                .to_numpy(),
            )
            entry: dict[str, Any] = {
                "auroc": intervals[f"{model}/auroc"],
                "prevalence": plain["prevalence"],
                "n": plain["n"],
                "positives": plain["positives"],
            }
            if model != ORACLE:
                entry["auprc"] = intervals[f"{model}/auprc"]
                entry["brier"] = intervals[f"{model}/brier"]
            table[model] = entry
        result.scores[h] = table
        result.comparisons[h] = {
            key.removeprefix("diff/"): iv
            for key, iv in intervals.items()
            if key.startswith("diff/")
        }
        event_table = (
            onsets if onsets is not None else event_onsets_from_labels(aligned[label_column(h)])
        )
        result.events[h] = {
            m: event_sensitivity(
                rows[prediction_column(m, h)],
                rows[f"y_{h}"],
                event_table,
                h,
                false_alarms_per_month,
            )
            for m in names
        }
        result.calibration[h] = {
            m: calibration_table(
                rows[f"y_{h}"].to_numpy(), rows[prediction_column(m, h)].to_numpy()
            )
            for m in names
        }
    return result


def _statistics(
    names: Sequence[str], horizon: int, with_oracle: bool
) -> Callable[[pd.DataFrame], dict[str, float]]:
    """The per-draw statistics: AUROC/AUPRC/Brier per model, oracle AUROC, paired differences."""

    def compute(rows: pd.DataFrame) -> dict[str, float]:
        y = rows[f"y_{horizon}"].to_numpy()
        out: dict[str, float] = {}
        for model in names:
            m = binary_metrics(y, rows[prediction_column(model, horizon)].to_numpy())
            out[f"{model}/auroc"] = m["auroc"]
            out[f"{model}/auprc"] = m["auprc"]
            out[f"{model}/brier"] = m["brier"]
        if with_oracle:
            out[f"{ORACLE}/auroc"] = auroc(y, rows[ORACLE].fillna(rows[ORACLE].median()).to_numpy())
        if "prevalence" in names:
            for model in names:
                if model != "prevalence":
                    out[f"diff/{model}-prevalence"] = (
                        out[f"{model}/auroc"] - out["prevalence/auroc"]
                    )
        return out

    return compute

"""A whole evaluation study: forecasters on shared splits, ablation and analyses, saved to disk.

``run_study`` is what ``emkit evaluate`` runs; ``emkit report`` renders the folder it writes:

* ``evaluation.json``: scores, intervals, events, calibration, ablation, analyses, cohort summary;
* ``predictions.parquet``: the held-out forecasts of every model (and the oracle).
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from _sdk import atomic_write_bytes, atomic_write_text
from emkit.columns import label_column
from emkit.evaluation import analyses
from emkit.evaluation.ablation import run_ablation
from emkit.evaluation.data import normalise_index
from emkit.evaluation.experiment import Evaluation, ForecasterFactory, evaluate, fold_features
from emkit.evaluation.splits import make_splits
from emkit.features.schema import ColumnRole, FeatureSchema
from emkit.interfaces import Forecaster

if TYPE_CHECKING:
    from emkit.forecasters.tfidf import TfidfForecaster

__all__ = [
    "EVENT_LOCKED_ROLES",
    "cohort_summary",
    "event_locked_analyses",
    "factories",
    "importance_analyses",
    "read_study",
    "run_study",
    "write_study",
]

#: Roles of the features whose event-locked curves the seed asks for (perplexity and
#: embedding drift, of every language model present).
EVENT_LOCKED_ROLES = (ColumnRole.PERPLEXITY, ColumnRole.EMBEDDING_DRIFT)


def factories(
    names: Sequence[str], options: dict[str, dict[str, Any]] | None = None
) -> dict[str, ForecasterFactory]:
    """Factories of registered forecasters by name, with per-name options."""
    from emkit.plugins import get_forecaster

    options = options or {}

    def make(name: str) -> ForecasterFactory:
        return lambda: get_forecaster(name, **options.get(name, {}))

    return {name: make(name) for name in names}


def cohort_summary(
    features: pd.DataFrame, labels: pd.DataFrame, onsets: pd.DataFrame, horizons: Sequence[int]
) -> dict[str, Any]:
    """Patients, patient-days, onsets, and per horizon the positive rate and excluded share."""
    summary: dict[str, Any] = {
        "patients": int(features.index.get_level_values("patient_id").nunique()),
        "patient_days": len(features),
        "features": int(features.shape[1]),
        "onsets": len(onsets),
        "first_day": str(features.index.get_level_values("date").min().date()),
        "last_day": str(features.index.get_level_values("date").max().date()),
        "horizons": {},
    }
    for h in horizons:
        y = labels[label_column(h)].reindex(features.index)
        summary["horizons"][str(h)] = {
            "positive_rate": float(y.mean()),
            "excluded_share": float(y.isna().mean()),
        }
    return summary


def importance_analyses(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    forecasters: dict[str, ForecasterFactory],
    train: np.ndarray,
    test: np.ndarray,
    horizon: int,
    *,
    seed: int = 0,
    fitted: Mapping[str, Forecaster] | None = None,
    permutation: Collection[str] | None = None,
    pca_components: int | float = 8,
) -> dict[str, dict[str, dict[str, float]]]:
    """Top-10 importances of each forecaster fitted on ``train`` rows, tested on ``test`` rows.

    Methods: ``permutation`` (every forecaster), ``shap`` (logistic and gbm, when shap is
    installed) and ``model`` (the forecaster's own, e.g. TFT variable-selection weights). The
    text forecasters show what they read instead of one bar per text column: ``terms``, the
    n-grams that raise the risk most (:meth:`~emkit.TfidfForecaster.top_terms`), and for
    ``trajectory`` also ``path``, the path regression's largest weights by absolute value
    (:meth:`~emkit.TrajectoryForecaster.path_weights`; signed, on standardised columns).

    Args:
        features: Per-day features.
        labels: :func:`~emkit.label_column` labels on the same rows.
        forecasters: Display name → factory.
        train: Rows the forecasters are fitted on.
        test: Rows the importances are measured on.
        horizon: Horizon in days.
        seed: Seed of the permutations and the SHAP sample.
        fitted: Forecasters already fitted on ``train`` (such as
            :attr:`Evaluation.last_models`), used as they are instead of fitted again.
        permutation: Forecasters that get permutation importance (default: all but
            ``prevalence``). Each costs two predictions per feature.
        pca_components: The embedding PCA, as the forecasters were evaluated with
            (:func:`~emkit.evaluation.fold_features`).
    """
    from emkit.errors import EmkitError
    from emkit.forecasters.sklearn import GBMForecaster, LogisticForecaster
    from emkit.forecasters.tfidf import TfidfForecaster

    frame = fold_features(features, train, pca_components)
    fitted = fitted or {}
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name, factory in forecasters.items():
        model: Forecaster = (
            fitted[name]
            if name in fitted
            else factory().fit(frame[train], labels[train], [horizon])
        )
        methods: dict[str, dict[str, float]] = {}
        own = model.feature_importance()
        if len(own):
            methods["model"] = _as_floats(analyses.top_features(own))
        if isinstance(model, TfidfForecaster):
            if set(own.index) <= set(model.text_columns_):
                # One bar per text column: the terms below say what the text weighs.
                methods.pop("model", None)
            methods.update(_text_importance(model, horizon))
        permuted = name != "prevalence" if permutation is None else name in permutation
        if frame.shape[1] > 0 and permuted:
            drops = analyses.permutation_importance(
                model, frame[test], labels[test], horizon, n_repeats=2, seed=seed
            )
            methods["permutation"] = _as_floats(analyses.top_features(drops))
        if isinstance(model, LogisticForecaster | GBMForecaster):
            # Without shap installed, permutation importance still stands.
            with contextlib.suppress(EmkitError):
                methods["shap"] = _as_floats(
                    analyses.top_features(
                        analyses.shap_importance(model, frame[test], horizon, seed=seed)
                    )
                )
        out[name] = methods
    return out


def _text_importance(
    model: TfidfForecaster, horizon: int, k: int = 10
) -> dict[str, dict[str, float]]:
    """``terms`` (and ``path`` for trajectory) of a fitted text forecaster, top ``k`` each."""
    from emkit.forecasters.trajectory import TrajectoryForecaster

    methods: dict[str, dict[str, float]] = {}
    terms = model.top_terms(horizon, k=k)
    if len(terms):
        methods["terms"] = _as_floats(terms)
    if isinstance(model, TrajectoryForecaster):
        weights = model.path_weights(horizon)
        largest = weights.abs().sort_values(ascending=False).index[:k]
        if len(largest):
            methods["path"] = _as_floats(weights.loc[largest])
    return methods


def event_locked_analyses(
    features: pd.DataFrame, onsets: pd.DataFrame, columns: Sequence[str]
) -> dict[str, Any]:
    """Event-locked curve (-30…+7 days) and the 7-14-day rise test for each present column."""
    out: dict[str, Any] = {}
    for column in columns:
        if column not in features.columns or onsets.empty:
            continue
        matrix = analyses.event_locked_matrix(features, column, onsets)
        if matrix.empty:
            continue
        out[column] = {
            "curve": analyses.event_locked_curve(matrix).to_dict(orient="list"),
            "rise_test": analyses.rise_test(matrix),
        }
    return out


def run_study(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    forecasters: dict[str, ForecasterFactory],
    horizons: Sequence[int] = (7, 14, 30),
    scheme: str = "rolling",
    n_folds: int = 3,
    onsets: pd.DataFrame | None = None,
    latent: pd.Series | None = None,
    ablation: str | None = "logistic",
    n_boot: int = 200,
    seed: int = 0,
    false_alarms_per_month: float = 1.0,
    progress: bool = False,
    permutation: Collection[str] | None = None,
    log: Callable[[str], None] = lambda message: None,
    schema: FeatureSchema | None = None,
    pca_components: int | float = 8,
) -> tuple[Evaluation, dict[str, Any]]:
    """Evaluate ``forecasters``, the ablation and the analyses on the same splits.

    Args:
        features: Per-day features.
        labels: :func:`~emkit.label_column` labels.
        forecasters: Display name → factory.
        horizons: Horizons in days.
        scheme: ``"rolling"`` (purge gap = longest horizon) or ``"patients"``.
        n_folds: Number of folds.
        onsets: Relapse onsets (``patient_id``, ``onset``); inferred from labels if omitted.
        latent: Oracle signal (``latent.parquet``) when the cohort is synthetic.
        ablation: Registered forecaster used for the four-experiment ablation (None: skip).
        n_boot: Patient-bootstrap draws.
        seed: Seed of bootstrap and permutations.
        false_alarms_per_month: Alarm budget per patient-month for event sensitivity.
        progress: Show progress bars.
        permutation: Forecasters that get permutation importance (default: all but
            ``prevalence``); see :func:`importance_analyses`.
        log: Receives one line per finished stage.
        schema: Roles of the feature columns (default: :meth:`FeatureSchema.of(features)
            <emkit.FeatureSchema.of>`): which are embeddings to reduce per fold, which belong
            to which ablation experiment, which get event-locked curves.
        pca_components: Components of each fold's PCA per embedding block, or a share of
            variance in ``(0, 1)`` that the fold's training rows turn into a number
            (:func:`~emkit.evaluation.fold_features`); the ablation and the importances use
            the same.

    Returns:
        The :class:`Evaluation` and the JSON-ready study record.
    """
    from emkit.evaluation.metrics import event_onsets_from_labels

    schema = (schema or FeatureSchema.of(features)).select(features.columns)
    features = schema.attach(normalise_index(features))
    labels = normalise_index(labels).reindex(features.index)
    horizons = sorted(int(h) for h in horizons)
    if onsets is None:
        onsets = event_onsets_from_labels(labels[label_column(horizons[0])])
    index = pd.MultiIndex.from_tuples(features.index, names=features.index.names)
    splits = make_splits(index, scheme, horizons=horizons, n_folds=n_folds)
    result = evaluate(
        features,
        labels,
        forecasters,
        splits,
        horizons,
        scheme=scheme,
        latent=latent,
        onsets=onsets,
        n_boot=n_boot,
        seed=seed,
        false_alarms_per_month=false_alarms_per_month,
        progress=progress,
        pca_components=pca_components,
    )
    log(f"evaluated {', '.join(forecasters)} on {len(splits)} folds ({scheme})")
    record = result.to_dict()
    record["cohort"] = cohort_summary(features, labels, onsets, horizons)
    record["pca_components"] = pca_components
    record["onsets"] = [
        {"patient_id": str(p), "onset": str(pd.Timestamp(d).date())}
        for p, d in zip(onsets["patient_id"], onsets["onset"], strict=True)
    ]
    if ablation:
        table = run_ablation(
            features,
            labels,
            factories([ablation])[ablation],
            splits,
            horizons,
            n_boot=n_boot,
            seed=seed,
            progress=progress,
            schema=schema,
            pca_components=pca_components,
        )
        record["ablation"] = {"forecaster": ablation, "rows": _records(table)}
        log(f"ablation with {ablation}: {len(table)} experiments")
    record["event_locked"] = event_locked_analyses(
        features, onsets, schema.columns_with(*EVENT_LOCKED_ROLES)
    )
    middle = horizons[len(horizons) // 2]
    last = splits[-1]
    record["importance"] = {
        "horizon": middle,
        "fold": last.name,
        "models": importance_analyses(
            features,
            labels,
            forecasters,
            last.train,
            last.test,
            middle,
            seed=seed,
            fitted=result.last_models,
            permutation=permutation,
            pca_components=pca_components,
        ),
    }
    log("analyses: event-locked curves and feature importance")
    return result, record


def _as_floats(series: pd.Series) -> dict[str, float]:
    return {str(k): float(v) for k, v in series.items()}


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for row in table.to_dict(orient="records"):
        rows.append(
            {
                str(k): (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in row.items()
            }
        )
    return rows


def write_study(out_dir: Path, result: Evaluation, record: dict[str, Any]) -> Path:
    """Write ``evaluation.json`` and ``predictions.parquet`` under ``out_dir`` (atomically)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    predictions = result.predictions.reset_index()
    atomic_write_bytes(out_dir / "predictions.parquet", predictions.to_parquet(index=False))
    atomic_write_text(
        out_dir / "evaluation.json", json.dumps(_clean(record), indent=2, allow_nan=False)
    )
    return out_dir


def read_study(folder: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """The record and held-out predictions written by :func:`write_study`."""
    from emkit.errors import EmkitError

    folder = Path(folder)
    path = folder / "evaluation.json"
    if not path.exists():
        raise EmkitError(f"{path} not found: run `emkit evaluate ... --out {folder}` first")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise EmkitError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    predictions = normalise_index(pd.read_parquet(folder / "predictions.parquet"))
    return record, predictions


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN/inf → None, numpy scalars → Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

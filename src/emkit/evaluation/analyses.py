"""The seed's validation analyses: event-locked curves, the pre-onset rise, importance.

* **Event-locked curve**: a feature z-scored within each patient, aligned on relapse onsets
  from ``-before`` to ``+after`` days, averaged over events with a confidence band.
* **Rise test**: per event, the mean z over days -14…-7 minus the mean over -30…-21; a
  one-sided Wilcoxon signed-rank test of a rise (the seed expects perplexity to rise 7-14 days
  before onset).
* **Importance**: permutation importance (AUROC drop) for any forecaster; SHAP for the
  logistic and gradient-boosting baselines; a forecaster's own importance otherwise (the TFT's
  variable-selection weights).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from emkit.columns import label_column, proba_column
from emkit.errors import EmkitError
from emkit.evaluation.metrics import auroc
from emkit.forecasters.sklearn import GBMForecaster, LogisticForecaster, source_feature
from emkit.interfaces import Forecaster


def event_locked_matrix(
    features: pd.DataFrame,
    column: str,
    onsets: pd.DataFrame,
    *,
    before: int = 30,
    after: int = 7,
) -> pd.DataFrame:
    """Per-patient z-scores of ``column`` around each onset: one row per event.

    Columns are day offsets ``-before … +after`` (0 = onset day); days without a value are NaN.
    """
    if column not in features.columns:
        raise KeyError(f"features have no column {column!r}")
    series = features[column].astype(float)
    grouped = series.groupby(level="patient_id")
    z = (series - grouped.transform("mean")) / grouped.transform("std").replace(0, np.nan)
    offsets = list(range(-before, after + 1))
    rows, names = [], []
    patients = set(z.index.get_level_values("patient_id").astype(str))
    for patient, onset in zip(
        onsets["patient_id"].astype(str), pd.to_datetime(onsets["onset"]), strict=True
    ):
        if patient not in patients:
            continue
        values = z.xs(patient, level="patient_id")
        values.index = pd.DatetimeIndex(values.index)
        window = [onset + pd.Timedelta(days=k) for k in offsets]
        rows.append(values.reindex(window).to_numpy())
        names.append(f"{patient} {onset.date()}")
    return pd.DataFrame(rows, index=names, columns=offsets, dtype=float)


def event_locked_curve(matrix: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean over events per offset with a t-interval band: ``offset, mean, low, high, n``."""
    from scipy import stats

    n = matrix.notna().sum()
    mean = matrix.mean()
    sem = matrix.std(ddof=1) / np.sqrt(n)
    t = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
    return pd.DataFrame(
        {
            "offset": matrix.columns.astype(int),
            "mean": mean.to_numpy(),
            "low": (mean - t * sem).to_numpy(),
            "high": (mean + t * sem).to_numpy(),
            "n": n.to_numpy(),
        }
    )


def rise_test(
    matrix: pd.DataFrame,
    window: tuple[int, int] = (-14, -7),
    baseline: tuple[int, int] = (-30, -21),
) -> dict[str, Any]:
    """One-sided Wilcoxon signed-rank test that ``window`` is higher than ``baseline``.

    Returns the number of events with both windows observed, the mean per-event rise (in
    within-patient standard deviations), the statistic and the p-value.
    """
    from scipy import stats

    def mean_over(bounds: tuple[int, int]) -> pd.Series:
        cols = [c for c in matrix.columns if bounds[0] <= int(c) <= bounds[1]]
        return matrix[cols].mean(axis=1)

    rise = (mean_over(window) - mean_over(baseline)).dropna()
    result: dict[str, Any] = {
        "window": list(window),
        "baseline": list(baseline),
        "events": len(rise),
        "mean_rise_sd": float(rise.mean()) if len(rise) else float("nan"),
    }
    if len(rise) < 3 or np.allclose(rise, 0):
        return {**result, "statistic": float("nan"), "p_value": float("nan")}
    test = stats.wilcoxon(rise.to_numpy(), alternative="greater")
    return {**result, "statistic": float(test.statistic), "p_value": float(test.pvalue)}


def permutation_importance(
    model: Forecaster,
    features: pd.DataFrame,
    labels: pd.DataFrame,
    horizon: int,
    *,
    n_repeats: int = 3,
    seed: int = 0,
    columns: list[str] | None = None,
) -> pd.Series:
    """Mean drop in AUROC when each feature's values are shuffled across rows (any forecaster).

    Args:
        model: A fitted forecaster.
        features: Held-out features (the model's input columns).
        labels: Labels on the same rows.
        horizon: Which horizon's AUROC to use.
        n_repeats: Shuffles per feature.
        seed: Seed of the shuffles.
        columns: Features to test (default: every numeric column).
    """
    y = labels[label_column(horizon)].reindex(features.index)
    scored = y.notna().to_numpy()
    target = y.to_numpy()[scored]

    def score(frame: pd.DataFrame) -> float:
        p = model.predict_proba(frame)[proba_column(horizon)].to_numpy()
        return auroc(target, p[scored])

    base = score(features)
    rng = np.random.default_rng(seed)
    drops = {}
    for column in columns or [str(c) for c in features.select_dtypes("number").columns]:
        losses = []
        for _ in range(n_repeats):
            shuffled = features.copy()
            shuffled[column] = rng.permutation(shuffled[column].to_numpy())
            losses.append(base - score(shuffled))
        drops[column] = float(np.mean(losses))
    return pd.Series(drops, name="importance").sort_values(ascending=False)


def shap_importance(
    model: Forecaster, features: pd.DataFrame, horizon: int, *, max_rows: int = 500, seed: int = 0
) -> pd.Series:
    """Mean |SHAP value| per input feature for the logistic or gradient-boosting baseline.

    SHAP values of a feature's rolling summaries are summed onto the feature. Needs ``shap``.

    Raises:
        EmkitError: for other forecasters, or when shap is not installed.
    """
    if not isinstance(model, LogisticForecaster | GBMForecaster):
        raise EmkitError(f"SHAP importance is available for logistic and gbm, not {model.name!r}")
    try:
        with warnings.catch_warnings():
            # shap's import touches matplotlib APIs that warn about their own future; the
            # filter covers the import only.
            warnings.simplefilter("ignore")
            import shap
    except ImportError as exc:
        raise EmkitError("SHAP importance needs shap: pip install shap") from exc
    design = model.design_matrix(features)
    sample = design.sample(n=min(max_rows, len(design)), random_state=seed)
    estimator = model.estimator(horizon)
    if isinstance(model, LogisticForecaster):
        prepared = estimator[:-1].transform(sample.to_numpy())
        explainer = shap.LinearExplainer(estimator[-1], prepared)
        values = explainer.shap_values(prepared)
    else:
        explainer = shap.TreeExplainer(estimator)
        values = explainer.shap_values(sample.to_numpy())
    values = np.asarray(values)
    if values.ndim == 3:  # (rows, features, classes)
        values = values[..., -1]
    per_column = pd.Series(np.abs(values).mean(axis=0), index=design.columns)
    grouped = per_column.groupby([source_feature(str(c)) for c in per_column.index]).sum()
    return grouped.rename("importance").sort_values(ascending=False)


def top_features(importance: pd.Series, k: int = 10) -> pd.Series:
    """The ``k`` most important features, highest first."""
    return importance.sort_values(ascending=False).head(k)

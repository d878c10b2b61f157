"""Scores of probabilistic relapse forecasts: discrimination, calibration and alarms.

Per-day scores (AUROC, AUPRC, Brier) treat every labelled patient-day as one case. Per-event
scores follow how an alarm would be used: a fixed budget of false alarms per patient-month
sets the threshold, and an onset counts as caught when an alarm fires in the ``h`` days before
it; the lead time is how many days before onset the first such alarm fired.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Days in a patient-month, for false-alarm rates.
DAYS_PER_MONTH = 30.4375


def binary_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """AUROC, AUPRC, prevalence (the AUPRC of a random score) and Brier score.

    Args:
        y: 0/1 labels.
        p: Predicted probabilities (or any score for AUROC/AUPRC; Brier needs [0, 1]).

    Returns:
        ``auroc`` and ``auprc`` are NaN when only one class is present.
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    return {
        "n": float(len(y)),
        "positives": float(y.sum()),
        "prevalence": float(y.mean()) if len(y) else float("nan"),
        "auroc": auroc(y, p),
        "auprc": average_precision(y, p),
        "brier": float(np.mean((np.clip(p, 0, 1) - y) ** 2)) if len(y) else float("nan"),
    }


def auroc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (ties count one half); NaN when one class is missing.

    Computed from ranks (the Mann-Whitney statistic), equal to scikit-learn's
    ``roc_auc_score`` and fast enough to run inside thousands of bootstrap draws.
    """
    from scipy.stats import rankdata

    y = np.asarray(y, dtype=float) == 1
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(np.asarray(score, dtype=float))
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def average_precision(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the precision-recall curve as scikit-learn's ``average_precision_score``.

    The step-wise sum of precision times recall increments over distinct thresholds; NaN when
    one class is missing.
    """
    y = np.asarray(y, dtype=float) == 1
    score = np.asarray(score, dtype=float)
    if y.all() or not y.any():
        return float("nan")
    order = np.argsort(-score, kind="mergesort")
    y, score = y[order], score[order]
    last_of_each_threshold = np.r_[np.flatnonzero(np.diff(score)), len(y) - 1]
    true_positives = np.cumsum(y)[last_of_each_threshold]
    precision = true_positives / (last_of_each_threshold + 1)
    recall = true_positives / true_positives[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def calibration_table(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Reliability curve: mean predicted vs observed rate per quantile bin of ``p``."""
    from sklearn.calibration import calibration_curve

    observed, predicted = calibration_curve(
        np.asarray(y, dtype=float), np.clip(p, 0, 1), n_bins=n_bins, strategy="quantile"
    )
    return pd.DataFrame({"predicted": predicted, "observed": observed})


def event_onsets_from_labels(labels: pd.Series) -> pd.DataFrame:
    """Onsets implied by one horizon's labels: the day after each run of positive days.

    ``y_h(t) = 1`` iff an onset falls in ``(t, t+h]``, so the last positive day of a run is the
    day before an onset. Used when the cohort's own onset list is not available.
    """
    rows = []
    for patient, series in labels.groupby(level="patient_id", sort=False):
        series = series.droplevel("patient_id").sort_index()
        positive = series.fillna(0).to_numpy() == 1
        dates = pd.DatetimeIndex(series.index)
        for i in (int(k) for k in np.flatnonzero(positive)):
            next_day = dates[i] + pd.Timedelta(days=1)
            ends_run = i + 1 >= len(dates) or not positive[i + 1] or dates[i + 1] != next_day
            if ends_run:
                rows.append((str(patient), next_day))
    return pd.DataFrame(rows, columns=["patient_id", "onset"])


def alarm_threshold(scores: pd.Series, labels: pd.Series, false_alarms_per_month: float) -> float:
    """Lowest threshold whose false alarms stay within the budget per patient-month.

    A false alarm is a labelled-negative day whose score is at or above the threshold; the
    monitored time is every labelled day.
    """
    mask = labels.notna()
    y = labels[mask].to_numpy(dtype=float)
    s = scores[mask].to_numpy(dtype=float)
    months = len(y) / DAYS_PER_MONTH
    budget = int(np.floor(false_alarms_per_month * months))
    negatives = np.sort(s[y == 0])[::-1]
    if budget >= len(negatives):
        return float(np.min(s)) if len(s) else float("nan")
    # Strictly above the (budget+1)-th highest negative score: at most `budget` false alarms.
    return float(np.nextafter(negatives[budget], np.inf))


def event_sensitivity(
    scores: pd.Series,
    labels: pd.Series,
    onsets: pd.DataFrame,
    horizon: int,
    false_alarms_per_month: float = 1.0,
) -> dict[str, Any]:
    """Share of onsets with an alarm in the ``horizon`` days before them, and the lead times.

    Args:
        scores: Predicted probabilities indexed by ``(patient_id, date)``.
        labels: ``relapse_within_{h}d`` on the same index (NaN = excluded).
        onsets: ``patient_id`` and ``onset`` columns; only onsets whose whole warning window
            lies inside the scored days count.
        horizon: ``h`` in days.
        false_alarms_per_month: Budget that sets the threshold (see :func:`alarm_threshold`).

    Returns:
        ``threshold``, ``events``, ``detected``, ``sensitivity``, ``median_lead_days`` and the
        per-event ``lead_days`` (NaN when missed).
    """
    threshold = alarm_threshold(scores, labels, false_alarms_per_month)
    alarms = scores >= threshold
    leads: list[float] = []
    for patient, group in onsets.groupby("patient_id"):
        if str(patient) not in scores.index.get_level_values("patient_id"):
            continue
        patient_alarms = alarms.xs(str(patient), level="patient_id")
        dates = pd.DatetimeIndex(patient_alarms.index)
        for onset in pd.DatetimeIndex(group["onset"]):
            window_start = onset - pd.Timedelta(days=horizon)
            in_window = (dates >= window_start) & (dates < onset)
            if in_window.sum() < horizon:  # warning window not (fully) scored here
                continue
            fired = dates[in_window & patient_alarms.to_numpy()]
            leads.append(float((onset - fired.min()).days) if len(fired) else float("nan"))
    lead = np.asarray(leads, dtype=float)
    detected = lead[~np.isnan(lead)]
    return {
        "threshold": threshold,
        "false_alarms_per_month": false_alarms_per_month,
        "events": len(lead),
        "detected": len(detected),
        "sensitivity": float(len(detected) / len(lead)) if len(lead) else float("nan"),
        "median_lead_days": float(np.median(detected)) if len(detected) else float("nan"),
        "lead_days": [None if np.isnan(x) else x for x in lead],
    }

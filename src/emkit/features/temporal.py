"""Strictly causal temporal features over per-day feature frames.

Every function works per patient on calendar days: the value at day *t* uses rows dated *t* or
earlier only (windows are in calendar days, so missing days shorten a window instead of
stretching it). Frames are indexed by ``(patient_id, date)``; output rows keep the input order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from emkit.features.schema import embedding_columns

__all__ = [
    "add_temporal_features",
    "baseline_column",
    "baseline_deviations",
    "coherence_drop",
    "embedding_drift",
    "perplexity_trend",
    "rolling_zscores",
]

_EPOCH = dt.date(1970, 1, 1)


def _day_numbers(dates: Sequence[object]) -> np.ndarray:
    out = np.empty(len(dates), dtype=np.int64)
    for i, value in enumerate(dates):
        if isinstance(value, dt.datetime):
            value = value.date()
        elif not isinstance(value, dt.date):
            value = pd.Timestamp(value).date()  # type: ignore[arg-type]
        out[i] = (value - _EPOCH).days
    return out


def _per_patient(
    frame: pd.DataFrame,
    compute: Callable[[np.ndarray, np.ndarray], np.ndarray],
    values: np.ndarray,
) -> np.ndarray:
    """Apply ``compute(day_numbers, values)`` to each patient's rows sorted by date.

    ``values`` (2-D) is aligned with ``frame``'s rows; the result is too. ``compute`` gets the
    rows of one patient in date order and returns one value per input row.
    """
    patients = frame.index.get_level_values(0).to_numpy()
    days = _day_numbers(list(frame.index.get_level_values(1)))
    result = np.full(len(frame), np.nan)
    for patient in pd.unique(patients):
        rows = np.flatnonzero(patients == patient)
        order = rows[np.argsort(days[rows], kind="stable")]
        result[order] = compute(days[order], values[order])
    return result


def perplexity_trend(
    frame: pd.DataFrame,
    column: str = "llm_perplexity",
    *,
    window: int = 7,
    valid: pd.Series | None = None,
) -> pd.Series:
    """OLS slope of ``column`` against the day number over the last ``window`` days.

    The window is days ``t - window + 1 … t``; rows where ``valid`` is false or the value is NaN
    are left out. Units: ``column`` units per day; NaN with fewer than two usable days.
    """
    values = frame[column].to_numpy(dtype=np.float64).copy()
    if valid is not None:
        values[~valid.to_numpy(dtype=bool)] = np.nan

    def compute(days: np.ndarray, vals: np.ndarray) -> np.ndarray:
        vals = vals[:, 0]
        out = np.full(len(days), np.nan)
        for i in range(len(days)):
            lo = np.searchsorted(days, days[i] - window + 1, side="left")
            x, y = days[lo : i + 1].astype(np.float64), vals[lo : i + 1]
            keep = ~np.isnan(y)
            x, y = x[keep], y[keep]
            if len(x) >= 2 and np.ptp(x) > 0:
                xc = x - x.mean()
                out[i] = float(np.dot(xc, y - y.mean()) / np.dot(xc, xc))
        return out

    result = _per_patient(frame, compute, values[:, None])
    return pd.Series(result, index=frame.index, name=f"{column}_trend_{window}d")


def embedding_drift(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    window: int = 7,
    valid: pd.Series | None = None,
    name: str = "llm_emb_drift_7d",
) -> pd.Series:
    """Cosine distance between today's embedding and the mean embedding of the previous days.

    The previous days are ``t - window … t - 1`` (usable rows only). ``1 - cos`` in ``[0, 2]``;
    NaN when today is not usable or no previous day is.
    """
    emb = frame[list(columns)].to_numpy(dtype=np.float64)
    usable = np.ones(len(frame), dtype=bool) if valid is None else valid.to_numpy(dtype=bool)
    packed = np.concatenate([usable[:, None].astype(np.float64), emb], axis=1)

    def compute(days: np.ndarray, rows: np.ndarray) -> np.ndarray:
        ok, vectors = rows[:, 0] > 0, rows[:, 1:]
        out = np.full(len(days), np.nan)
        for i in range(len(days)):
            if not ok[i]:
                continue
            lo = np.searchsorted(days, days[i] - window, side="left")
            previous = vectors[lo:i][ok[lo:i]]
            if len(previous) == 0:
                continue
            out[i] = _cosine_distance(vectors[i], previous.mean(axis=0))
        return out

    result = _per_patient(frame, compute, packed)
    return pd.Series(result, index=frame.index, name=name)


def _cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norm == 0.0:
        return float("nan")
    return 1.0 - float(np.dot(a, b)) / norm


def coherence_drop(
    frame: pd.DataFrame,
    column: str = "llm_coherence",
    *,
    window: int = 7,
    name: str | None = None,
) -> pd.Series:
    """Mean ``column`` over the previous ``window`` days minus today's value.

    Positive when today's within-day coherence fell below its recent level. NaN when today's
    value or every previous value is NaN.
    """
    values = frame[column].to_numpy(dtype=np.float64)

    def compute(days: np.ndarray, vals: np.ndarray) -> np.ndarray:
        vals = vals[:, 0]
        out = np.full(len(days), np.nan)
        for i in range(len(days)):
            lo = np.searchsorted(days, days[i] - window, side="left")
            previous = vals[lo:i]
            previous = previous[~np.isnan(previous)]
            if len(previous) and not np.isnan(vals[i]):
                out[i] = float(previous.mean() - vals[i])
        return out

    result = _per_patient(frame, compute, values[:, None])
    return pd.Series(result, index=frame.index, name=name or f"{column}_drop")


def rolling_zscores(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    window: int = 28,
    min_periods: int = 3,
    include_today: bool = True,
    suffix: str = "_z",
) -> pd.DataFrame:
    """Per-patient z-score of each column against its own last ``window`` days (``<col>_z``).

    ``z_t = (x_t - mean) / std`` over days ``t - window + 1 … t`` (non-NaN values; sample
    standard deviation). NaN with fewer than ``min_periods`` values or a zero deviation.

    With ``include_today=False`` the reference is days ``t - window … t - 1``: a baseline that
    day *t* itself does not move (:func:`baseline_deviations`). Output columns are named
    ``<col><suffix>``.
    """
    columns = list(frame.columns if columns is None else columns)
    # Window [t - window + 1, t] (today included) or [t - window, t - 1] (strict baseline).
    first, last = (window - 1, 0) if include_today else (window, 1)
    out = {}
    for column in columns:
        values = frame[column].to_numpy(dtype=np.float64)

        def compute(days: np.ndarray, vals: np.ndarray) -> np.ndarray:
            vals = vals[:, 0]
            res = np.full(len(days), np.nan)
            for i in range(len(days)):
                if np.isnan(vals[i]):
                    continue
                lo = np.searchsorted(days, days[i] - first, side="left")
                hi = np.searchsorted(days, days[i] - last, side="right")
                span = vals[lo:hi]
                span = span[~np.isnan(span)]
                if len(span) >= max(min_periods, 2):
                    std = float(span.std(ddof=1))
                    if std > 0:
                        res[i] = (vals[i] - float(span.mean())) / std
            return res

        out[f"{column}{suffix}"] = _per_patient(frame, compute, values[:, None])
    return pd.DataFrame(out, index=frame.index)


def baseline_column(column: str, days: int) -> str:
    """Name of ``column``'s deviation from its ``days``-day personal baseline: ``x_base60d``."""
    return f"{column}_base{int(days)}d"


def baseline_deviations(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    days: int = 60,
    min_periods: int = 7,
) -> pd.DataFrame:
    """Each feature's deviation from the patient's own trailing baseline, z-scored.

    For day *t*, ``(x_t - mean) / std`` with the mean and sample deviation of the patient's
    non-NaN values on days ``t - days … t - 1``: strictly causal (day *t* and later days never
    enter its baseline) and personal (one patient's habits, such as writing many messages,
    are their own zero). NaN with fewer than ``min_periods`` baseline values, a zero deviation
    or a NaN value on day *t*. This is :func:`rolling_zscores` with ``include_today=False``.

    Args:
        frame: Per-day features indexed by ``(patient_id, date)``.
        columns: Columns to compare with their baseline (default: every numeric column that
            is not itself a baseline deviation).
        days: Length of the baseline, in calendar days.
        min_periods: Baseline days with a value needed for a deviation.

    Returns:
        One ``<col>_base<days>d`` column per input column (role ``baseline``), rows as
        ``frame``, carrying its schema.
    """
    from emkit.features.schema import ColumnRole, FeatureColumn, FeatureSchema

    if days < 2:
        raise ValueError(f"a baseline needs at least 2 days (got {days})")
    if columns is None:
        roles = FeatureSchema.of(frame)
        numeric = frame.select_dtypes(include="number").columns
        columns = [
            str(c)
            for c in numeric
            if roles.role(str(c)) not in (ColumnRole.BASELINE, ColumnRole.TEXT)
        ]
    out = rolling_zscores(
        frame,
        columns,
        window=int(days),
        min_periods=min_periods,
        include_today=False,
        suffix=f"_base{int(days)}d",
    )
    schema = FeatureSchema(
        columns=tuple(FeatureColumn(name=str(c), role=ColumnRole.BASELINE) for c in out.columns)
    )
    return schema.attach(out)


def add_temporal_features(
    frame: pd.DataFrame,
    prefix: str = "llm_",
    *,
    window: int = 7,
    zscore_columns: Sequence[str] = (),
    zscore_window: int = 28,
) -> pd.DataFrame:
    """``frame`` plus the temporal features whose inputs exist, and ``<col>_z`` z-scores.

    Adds ``<prefix>perplexity_trend_7d``, ``<prefix>emb_drift_7d`` and
    ``<prefix>coherence_drop``.

    Days with ``<prefix>seq_len == 0`` (no text) are left out of the trend and the drift, since
    their perplexity and embedding are placeholders.
    """
    out = frame.copy()
    valid = frame[f"{prefix}seq_len"] > 0 if f"{prefix}seq_len" in frame else None
    if f"{prefix}perplexity" in frame:
        out[f"{prefix}perplexity_trend_{window}d"] = perplexity_trend(
            frame, f"{prefix}perplexity", window=window, valid=valid
        )
    emb = embedding_columns(frame, prefix.rstrip("_"))
    if emb:
        out[f"{prefix}emb_drift_{window}d"] = embedding_drift(
            frame, emb, window=window, valid=valid, name=f"{prefix}emb_drift_{window}d"
        )
    if f"{prefix}coherence" in frame:
        out[f"{prefix}coherence_drop"] = coherence_drop(
            frame, f"{prefix}coherence", window=window, name=f"{prefix}coherence_drop"
        )
    if zscore_columns:
        out = out.join(rolling_zscores(out, zscore_columns, window=zscore_window))
    return out

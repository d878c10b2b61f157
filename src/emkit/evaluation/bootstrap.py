"""Confidence intervals by resampling patients (days of one patient are not independent)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Interval:
    """A point estimate with a percentile bootstrap interval."""

    estimate: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        """``{"estimate", "low", "high"}``."""
        return {"estimate": self.estimate, "low": self.low, "high": self.high}

    def __str__(self) -> str:
        """``0.812 [0.781, 0.840]``."""
        return f"{self.estimate:.3f} [{self.low:.3f}, {self.high:.3f}]"


def patient_bootstrap(
    frame: pd.DataFrame,
    statistics: Callable[[pd.DataFrame], dict[str, float]],
    *,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, Interval]:
    """Percentile intervals of ``statistics`` over patients drawn with replacement.

    Every statistic is computed on the same resampled patients, so differences between models
    (paired comparisons) get their interval from the same draw.

    Args:
        frame: Rows indexed by ``(patient_id, date)``.
        statistics: Maps a frame to named values; NaN values of a draw are skipped.
        n_boot: Number of bootstrap draws.
        level: Coverage of the interval.
        seed: Seed of the patient draws.
    """
    estimate = statistics(frame)
    patients = frame.index.get_level_values("patient_id").astype(str)
    codes, uniques = pd.factorize(patients)
    rows_of = [np.flatnonzero(codes == k) for k in range(len(uniques))]
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {key: [] for key in estimate}
    for _ in range(n_boot):
        chosen = rng.integers(0, len(uniques), size=len(uniques))
        sample = frame.iloc[np.concatenate([rows_of[k] for k in chosen])]
        for key, value in statistics(sample).items():
            if key in draws and np.isfinite(value):
                draws[key].append(float(value))
    alpha = (1 - level) / 2
    out = {}
    for key, value in estimate.items():
        values = np.asarray(draws[key])
        if len(values) == 0:
            out[key] = Interval(float(value), float("nan"), float("nan"))
        else:
            low, high = np.quantile(values, [alpha, 1 - alpha])
            out[key] = Interval(float(value), float(low), float(high))
    return out

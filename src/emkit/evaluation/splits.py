"""Train/test splits that keep the future out of training.

Two schemes, both over a frame indexed by ``(patient_id, date)``:

* **rolling origin**: the calendar is cut into consecutive test blocks; each fold trains on the
  days before its block, minus a *purge gap* of at least the longest horizon. A training label
  for day *t* looks at onsets in ``(t, t+h]``, so without the gap the last training labels would
  reveal onsets that fall inside the test block.
* **leave patients out**: folds of whole patients (scikit-learn ``GroupKFold``): the model never
  sees any day of the patients it is tested on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Split:
    """One fold: which rows train and which rows test.

    Attributes:
        name: Short label of the fold (``"origin 2024-07-01"``, ``"patients 2/5"``).
        train: Boolean mask over the frame's rows used for fitting.
        test: Boolean mask over the frame's rows that are scored.
        purge_days: Days dropped between the last training day and the first test day.
    """

    name: str
    train: np.ndarray
    test: np.ndarray
    purge_days: int = 0


def rolling_origin_splits(
    index: pd.MultiIndex,
    *,
    purge_days: int,
    n_folds: int = 3,
    min_train_fraction: float = 0.5,
) -> list[Split]:
    """Expanding-window folds over the calendar with a purge gap before each test block.

    Args:
        index: The ``(patient_id, date)`` index of the frame to split.
        purge_days: Gap in days between training and test; use at least the longest horizon.
        n_folds: Number of consecutive test blocks.
        min_train_fraction: Share of the calendar before the first test block (0 < x < 1).

    Returns:
        ``n_folds`` splits, oldest origin first.

    Raises:
        ValueError: when the calendar is too short for the folds and the gap.
    """
    if purge_days < 0:
        raise ValueError(f"purge_days must be >= 0, got {purge_days}")
    if not 0 < min_train_fraction < 1:
        raise ValueError(f"min_train_fraction must be in (0, 1), got {min_train_fraction}")
    dates = pd.DatetimeIndex(index.get_level_values("date"))
    calendar = dates.unique().sort_values()
    first_test = int(len(calendar) * min_train_fraction)
    block = (len(calendar) - first_test) // n_folds
    if n_folds < 1 or block < 1 or first_test - purge_days < 1:
        raise ValueError(
            f"{len(calendar)} days cannot hold {n_folds} test blocks after "
            f"{min_train_fraction:.0%} of training days and a {purge_days}-day purge gap"
        )
    splits = []
    for k in range(n_folds):
        start = calendar[first_test + k * block]
        end_position = first_test + (k + 1) * block
        end = calendar[end_position] if end_position < len(calendar) else None
        train = np.asarray(dates < start - pd.Timedelta(days=purge_days))
        test = np.asarray(dates >= start)
        if end is not None:
            test &= np.asarray(dates < end)
        splits.append(Split(f"origin {start.date()}", train, test, purge_days))
    return splits


def leave_patients_out_splits(index: pd.MultiIndex, *, n_folds: int = 5) -> list[Split]:
    """Folds of whole patients: each patient is tested once, by a model that never saw them.

    Args:
        index: The ``(patient_id, date)`` index of the frame to split.
        n_folds: Number of folds (at most the number of patients).
    """
    from sklearn.model_selection import GroupKFold

    patients = np.asarray(index.get_level_values("patient_id").astype(str))
    n_patients = len(set(patients))
    if n_folds < 2 or n_folds > n_patients:
        raise ValueError(f"n_folds must be in [2, {n_patients}] for {n_patients} patients")
    splits = []
    folds = GroupKFold(n_splits=n_folds).split(np.zeros(len(patients)), groups=patients)
    for k, (train_rows, test_rows) in enumerate(folds):
        train = np.zeros(len(patients), dtype=bool)
        test = np.zeros(len(patients), dtype=bool)
        train[train_rows] = True
        test[test_rows] = True
        splits.append(Split(f"patients {k + 1}/{n_folds}", train, test, 0))
    return splits


def make_splits(
    index: pd.MultiIndex, scheme: str, *, horizons: Sequence[int], n_folds: int
) -> list[Split]:
    """Splits of ``scheme`` (``"rolling"`` or ``"patients"``); the purge gap is max(horizons)."""
    if scheme == "rolling":
        return rolling_origin_splits(index, purge_days=max(horizons), n_folds=n_folds)
    if scheme == "patients":
        return leave_patients_out_splits(index, n_folds=n_folds)
    raise ValueError(f"unknown split scheme {scheme!r}; use 'rolling' or 'patients'")

"""Reading the evaluation's inputs: feature frames, cohort labels, onsets and the latent signal.

Frames from the store and the label builder carry ``datetime.date`` values; everything here
is normalised to a ``(patient_id: str, date: datetime64)`` index so that frames align.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from emkit.errors import EmkitError
from emkit.models import FEATURE_INDEX


def normalise_index(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``(patient_id, date)`` index of strings and midnight timestamps, sorted.

    Raises:
        EmkitError: when the frame has neither that index nor those two columns.
    """
    names = list(FEATURE_INDEX)
    if list(frame.index.names) != names:
        if not set(names) <= set(frame.columns):
            raise EmkitError(
                f"a per-day frame needs a (patient_id, date) index or columns; got index "
                f"{list(frame.index.names)} and columns {list(frame.columns)[:10]}"
            )
        frame = frame.set_index(names)
    patients = frame.index.get_level_values("patient_id").astype(str)
    dates = pd.to_datetime(frame.index.get_level_values("date")).normalize()
    out = frame.copy()
    out.index = pd.MultiIndex.from_arrays([patients, dates], names=names)
    if out.index.has_duplicates:
        duplicated = out.index[out.index.duplicated()][0]
        raise EmkitError(f"per-day frame has duplicate rows, e.g. {duplicated}")
    return out.sort_index()


def load_features(path: Path, feature_set: str = "features") -> pd.DataFrame:
    """A feature frame from a Parquet or CSV file, or from a SQLite feature store.

    Args:
        path: ``*.parquet`` / ``*.csv`` with ``patient_id`` and ``date`` columns (or index),
            or a SQLite store file written by ``emkit features``.
        feature_set: Feature set to read from a store.
    """
    path = Path(path)
    if not path.exists():
        raise EmkitError(f"{path}: feature file not found")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame = pd.read_parquet(path)
    elif suffix == ".csv":
        frame = pd.read_csv(path)
    else:
        from emkit.plugins import get_feature_store

        frame = get_feature_store("sqlite", path=path).read(feature_set)
        if frame.empty:
            raise EmkitError(f"{path}: feature set {feature_set!r} is empty or missing")
    frame = normalise_index(frame)
    numeric = frame.select_dtypes("number")
    if numeric.shape[1] == 0:
        raise EmkitError(f"{path}: no numeric feature columns")
    return numeric


def cohort_labels(
    cohort: Path, horizons: Sequence[int], recovery_days: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Labels and relapse onsets of the cohort folder (data contract of :mod:`emkit.dataset`).

    Returns:
        ``(labels, onsets)``: ``relapse_within_{h}d`` columns (NaN = excluded) indexed by
        ``(patient_id, date)``, and a ``patient_id``/``onset`` table.
    """
    from emkit.dataset import read_cohort
    from emkit.labels import DEFAULT_RECOVERY_DAYS, build_labels

    patients = read_cohort(cohort)
    if not patients:
        raise EmkitError(f"{cohort}: no patients found")
    labels = build_labels(
        patients,
        list(horizons),
        DEFAULT_RECOVERY_DAYS if recovery_days is None else recovery_days,
    )
    keep = [c for c in labels.columns if str(c).startswith("relapse_within_")]
    onsets = pd.DataFrame(
        [(p.patient_id, pd.Timestamp(d)) for p in patients for d in p.relapse_onsets],
        columns=["patient_id", "onset"],
    )
    return normalise_index(labels[keep].astype(float)), onsets


def load_latent(cohort: Path) -> pd.Series | None:
    """The hidden relapse signal of a synthetic cohort (``latent.parquet``), or ``None``."""
    path = Path(cohort) / "latent.parquet"
    if not path.exists():
        return None
    frame = pd.read_parquet(path)
    if "latent" not in frame.columns:
        raise EmkitError(f"{path}: no 'latent' column")
    return normalise_index(frame)["latent"].astype(float)

"""Reading the evaluation's inputs: feature frames, cohort labels, onsets and the latent signal.

Frames from the store and the label builder carry ``datetime.date`` values; everything here
is normalised to a ``(patient_id: str, date: datetime64)`` index so that frames align.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from emkit.columns import horizon_of, label_column
from emkit.errors import EmkitError
from emkit.models import FEATURE_INDEX
from emkit.store import DEFAULT_STORE_BACKEND

if TYPE_CHECKING:
    from emkit.dataset import Patient

__all__ = [
    "cohort_labels",
    "cohort_text",
    "cohort_onsets",
    "load_features",
    "load_latent",
    "normalise_index",
    "read_labels",
]


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


def load_features(
    source: Path | str,
    feature_set: str = "features",
    *,
    backend: str = DEFAULT_STORE_BACKEND,
    store_options: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """A feature frame from a Parquet or CSV file, or from a feature store.

    The frame carries its column roles (:meth:`FeatureSchema.of <emkit.FeatureSchema.of>`):
    the schema stored with the feature set or the Parquet file, else the naming rule. It keeps
    the numeric columns and the day's text (columns of role ``text``, for the text forecasters
    ``tfidf`` and ``trajectory``); other non-numeric columns are dropped.

    Args:
        source: ``*.parquet`` / ``*.csv`` with ``patient_id`` and ``date`` columns (or index),
            or the location of a feature store (for SQLite, the file ``emkit features`` wrote).
        feature_set: Feature set to read from a store.
        backend: Registered name of the feature store (``--store-backend``).
        store_options: The store's other options (``--store-option``).

    Raises:
        EmkitError: naming ``source`` when it is missing, empty or has no numeric column.
    """
    from emkit.features.schema import ColumnRole, FeatureSchema
    from emkit.plugins import host
    from emkit.store import open_feature_store

    suffix = Path(str(source)).suffix.lower()
    is_file = suffix in (".parquet", ".csv")
    on_disk = is_file or (
        getattr(host.get_class("feature_store", backend), "location_option", None) == "path"
    )
    # A store would create an empty file instead. A connection string (``postgresql://…``) goes
    # on to the store, which says which --store-backend reads it.
    if on_disk and "://" not in str(source) and not Path(source).exists():
        raise EmkitError(f"{source}: feature file not found")
    if suffix == ".parquet":
        frame = pd.read_parquet(source)
    elif suffix == ".csv":
        frame = pd.read_csv(source)
    else:
        store = open_feature_store(backend, source, **(store_options or {}))
        frame = store.read(feature_set)
        if frame.empty:
            raise EmkitError(f"{source}: feature set {feature_set!r} is empty or missing")
    schema = FeatureSchema.of(frame)
    frame = normalise_index(frame)
    numeric = frame.select_dtypes("number")
    if numeric.shape[1] == 0:
        raise EmkitError(f"{source}: no numeric feature columns")
    text = [c for c in schema.columns_with(ColumnRole.TEXT) if c in frame.columns]
    kept = [c for c in frame.columns if c in numeric.columns or c in text]
    return schema.attach(frame[kept])


def cohort_text(features: pd.DataFrame, cohort: Path | str) -> pd.DataFrame:
    """``features`` with the day's text from the cohort's messages, for the text forecasters.

    Feature stores do not keep text, so ``tfidf`` and ``trajectory`` get it from the cohort
    folder the labels come from: the ``text`` column of :class:`~emkit.TextExtractor` (role
    ``text``), aligned to ``features``' rows (``""`` on a row whose patient or day has no
    message). A frame that already holds a ``text``-role column is returned as it is.

    Raises:
        EmkitError: naming the cohort, when none of its patients has a row in ``features``.
    """
    from emkit.dataset import read_cohort
    from emkit.features.schema import ColumnRole, FeatureSchema
    from emkit.features.text import TEXT_COLUMN, TextExtractor

    schema = FeatureSchema.of(features)
    if schema.columns_with(ColumnRole.TEXT):
        return features
    wanted = set(features.index.get_level_values("patient_id").astype(str))
    extractor = TextExtractor()
    parts = [extractor.transform(p.days()) for p in read_cohort(cohort) if p.patient_id in wanted]
    if not parts:
        raise EmkitError(
            f"{cohort}: no patient of the cohort has features (features of "
            f"{', '.join(sorted(wanted)[:5])}{', ...' if len(wanted) > 5 else ''})"
        )
    text = normalise_index(pd.concat(parts))[TEXT_COLUMN]
    merged = features.copy()
    merged[TEXT_COLUMN] = text.reindex(features.index).fillna("").astype(object)
    return FeatureSchema.merge(schema, extractor.schema()).attach(merged)


def cohort_onsets(cohort: Path) -> pd.DataFrame:
    """Relapse onsets of the cohort folder: a ``patient_id``/``onset`` table."""
    from emkit.dataset import read_cohort

    return _onsets(read_cohort(cohort))


def _onsets(patients: Sequence[Patient]) -> pd.DataFrame:
    return pd.DataFrame(
        [(p.patient_id, pd.Timestamp(d)) for p in patients for d in p.relapse_onsets],
        columns=["patient_id", "onset"],
    )


def cohort_labels(
    cohort: Path, horizons: Sequence[int], recovery_days: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Labels and relapse onsets of the cohort folder (data contract of :mod:`emkit.dataset`).

    Returns:
        ``(labels, onsets)``: :func:`~emkit.label_column` columns (NaN = excluded) indexed by
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
    keep = [c for c in labels.columns if horizon_of(str(c)) is not None]
    return normalise_index(labels[keep].astype(float)), _onsets(patients)


def read_labels(path: Path, horizons: Sequence[int]) -> pd.DataFrame:
    """The label columns of ``horizons`` from a file written by ``emkit prepare``.

    Returns:
        :func:`~emkit.label_column` columns (NaN = excluded) indexed by ``(patient_id, date)``.

    Raises:
        EmkitError: naming the file when it cannot be read or lacks a horizon's column.
    """
    path = Path(path)
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise EmkitError(f"{path}: cannot read labels: {exc}") from None
    wanted = [label_column(h) for h in horizons]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise EmkitError(
            f"{path}: no label column {missing} (run `emkit prepare --horizons ...` with these "
            "horizons)"
        )
    return normalise_index(frame[wanted].astype(float))


def load_latent(cohort: Path) -> pd.Series | None:
    """The hidden relapse signal of a synthetic cohort (``latent.parquet``), or ``None``."""
    path = Path(cohort) / "latent.parquet"
    if not path.exists():
        return None
    frame = pd.read_parquet(path)
    if "latent" not in frame.columns:
        raise EmkitError(f"{path}: no 'latent' column")
    return normalise_index(frame)["latent"].astype(float)

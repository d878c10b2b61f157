"""SQLite feature store: the seed's ``feature_windows`` table, versioned and point-in-time.

Layout (one file, WAL journal):

``feature_sets(name, version, columns, created_at, schema)``
    One row per version of a named feature set; ``columns`` is the JSON list of its columns and
    ``schema`` the JSON :class:`~emkit.FeatureSchema` (the role of each column). Writing a
    frame whose columns or roles differ from the latest version's opens a new version.
``feature_windows(id, feature_set, version, patient_id, date, written_at, llm_embedding,
llm_perplexity, llm_perplexity_trend, features)``
    Append-only: a rewrite of a patient-day adds a row, so reads ``as_of`` an instant see the
    rows as they were then. ``llm_embedding`` holds every ``embedding`` column (any block:
    ``llm_emb_*``, ``hf_emb_*``…, in column order) as one float32 blob, ``features`` every
    other column as a float64 blob (NaN kept), and ``llm_perplexity`` / ``llm_perplexity_trend``
    repeat the first ``perplexity`` / ``perplexity_trend`` column as SQL columns for queries.
    (The SQL names are the seed's.)

Every write is one transaction: an interrupted write leaves the store as it was before it.

Schema versions: files written by emkit before feature schemas (store schema version 1) are
migrated in place when opened — ``feature_sets`` gains its ``schema`` column and nothing else
changes. Their versions have no stored schema: they keep their layout (only ``llm_emb_NNN`` in
the float32 blob) and their roles follow the naming rule. The next write with the same columns
and the same float32 columns records its schema on that version; a write that would store
other columns as float32 (such as ``hf_emb_*``) opens a new version.

The module is longer than most (about 500 lines) because it holds every SQL statement of the
store, its schema and its migration, the way ``medcards.study``'s repository does for
``temario.db``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from _sdk import atomic_write_bytes
from _sdk.sqlite import transaction, use_wal
from emkit.errors import EmkitError
from emkit.features.schema import ColumnRole, FeatureSchema
from emkit.interfaces import FeatureStore
from emkit.models import FEATURE_INDEX

__all__ = ["FeatureSetVersion", "FeatureStoreError", "SQLiteFeatureStore"]

SCHEMA_VERSION = 2
#: A location written as a URL (``postgresql://…``): meant for a server store.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
#: Float32 columns of versions written by store schema version 1 (no stored schema).
_LEGACY_EMBEDDING = re.compile(r"^llm_emb_\d+$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feature_sets (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    columns TEXT NOT NULL,
    created_at TEXT NOT NULL,
    schema TEXT,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS feature_windows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    feature_set TEXT NOT NULL,
    version INTEGER NOT NULL,
    patient_id TEXT NOT NULL,
    date TEXT NOT NULL,
    written_at TEXT NOT NULL,
    llm_embedding BLOB,
    llm_perplexity REAL,
    llm_perplexity_trend REAL,
    features BLOB NOT NULL,
    FOREIGN KEY (feature_set, version) REFERENCES feature_sets (name, version)
);
CREATE INDEX IF NOT EXISTS feature_windows_key
    ON feature_windows (feature_set, version, patient_id, date, id);
"""


class FeatureStoreError(EmkitError):
    """A feature store file or request is invalid (names the file and what is wrong)."""


@dataclass(frozen=True)
class FeatureSetVersion:
    """One version of a feature set: its columns, their roles and when it was created (UTC).

    Attributes:
        name: The feature set.
        version: Its version number (from 1).
        columns: Column names, in order.
        created_at: When the version was opened (UTC).
        schema: Roles of the columns (from the naming rule for versions written before
            feature schemas).
        float32_columns: The columns kept in the float32 blob, in order.
    """

    name: str
    version: int
    columns: tuple[str, ...]
    created_at: dt.datetime
    schema: FeatureSchema
    float32_columns: tuple[str, ...]

    @classmethod
    def from_row(
        cls, name: str, version: int, columns: str, created_at: str, schema: str | None
    ) -> FeatureSetVersion:
        """A version from its ``feature_sets`` row."""
        names = tuple(json.loads(columns))
        if schema is None:  # written by store schema version 1
            roles = FeatureSchema.infer(names)
            float32 = tuple(c for c in names if _LEGACY_EMBEDDING.match(c))
        else:
            roles = FeatureSchema.model_validate_json(schema).select(names)
            float32 = tuple(roles.columns_with(ColumnRole.EMBEDDING))
        return cls(name, int(version), names, dt.datetime.fromisoformat(created_at), roles, float32)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _instant(value: dt.datetime) -> str:
    """ISO text of ``value`` in UTC (naive instants are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _iso_date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return pd.Timestamp(value).date().isoformat()


class SQLiteFeatureStore(FeatureStore):
    """Per-day feature frames in one SQLite file, versioned, with point-in-time reads.

    Columns with the ``embedding`` role (any block: ``llm_emb_*``, ``hf_emb_*``…) are stored as
    float32 (the precision language models compute them in); every other column is stored as
    float64, so values round-trip exactly. Each version keeps its :class:`~emkit.FeatureSchema`.
    """

    name: ClassVar[str] = "sqlite"

    class Options(FeatureStore.Options):
        """Options of the SQLite store."""

        path: Path = Field(description="SQLite file (created if missing).")
        timeout_s: float = Field(default=30.0, gt=0, description="Lock wait, in seconds.")

        @field_validator("path", mode="before")
        @classmethod
        def _not_a_url(cls, value: Any) -> Any:
            """Refuse a connection string (``postgresql://…``) given where a file belongs."""
            if isinstance(value, str) and _URL.match(value):
                scheme = value.split(":", 1)[0]
                raise FeatureStoreError(
                    f"{scheme}://…: a connection string, not a SQLite file; choose the store "
                    f"that reads it with --store-backend (postgres for postgresql://)"
                )
            return value

    options: Options

    def __init__(self, **options: Any) -> None:
        """Open (or create) the store file and check its schema."""
        super().__init__(**options)
        self.path = Path(self.options.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._transaction() as conn:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                row = conn.execute(
                    "SELECT value FROM store_meta WHERE key = 'schema_version'"
                ).fetchone()
                if row is None:
                    conn.execute(
                        "INSERT INTO store_meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
                    )
                elif int(row[0]) == 1:
                    # Feature schemas: versions gain their roles; rows are untouched.
                    conn.execute("ALTER TABLE feature_sets ADD COLUMN schema TEXT")
                    conn.execute(
                        "UPDATE store_meta SET value = ? WHERE key = 'schema_version'",
                        (str(SCHEMA_VERSION),),
                    )
                elif int(row[0]) != SCHEMA_VERSION:
                    raise FeatureStoreError(
                        f"{self.path}: store schema version {row[0]}, "
                        f"this emkit reads versions 1 and {SCHEMA_VERSION}"
                    )
        except sqlite3.DatabaseError as exc:
            raise FeatureStoreError(
                f"{self.path}: not a usable SQLite feature store: {exc}"
            ) from None

    # -- connections -----------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.options.timeout_s, isolation_level=None)
        try:
            use_wal(conn, self.options.timeout_s)
            conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; any exception rolls everything back."""
        conn = self._connect()
        try:
            with transaction(conn):
                yield conn
        finally:
            conn.close()

    def _wait_for_writes(self) -> None:
        """Wait until no write is in flight: take the write lock for an instant.

        A write takes its ``written_at`` inside ``BEGIN IMMEDIATE`` and commits later; without
        this, a read ``as_of`` an instant made while such a write was open would miss its rows
        and the same read repeated later would include them. A write that begins after this
        lock gets a later ``written_at``. A store on a read-only file has no writers to wait for.
        """
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if "readonly" not in str(exc).replace("-", "").lower():
                raise
        finally:
            conn.close()

    # -- versions --------------------------------------------------------------------------

    def versions(self, feature_set: str) -> list[FeatureSetVersion]:
        """Every version of ``feature_set``, oldest first (empty if it does not exist)."""
        conn = self._connect()
        try:
            rows = conn.execute(
                "SELECT version, columns, created_at, schema FROM feature_sets WHERE name = ? "
                "ORDER BY version",
                (feature_set,),
            ).fetchall()
        finally:
            conn.close()
        return [FeatureSetVersion.from_row(feature_set, *row) for row in rows]

    def feature_sets(self) -> list[str]:
        """Names of the feature sets in the store."""
        conn = self._connect()
        try:
            rows = conn.execute("SELECT DISTINCT name FROM feature_sets ORDER BY name").fetchall()
        finally:
            conn.close()
        return [r[0] for r in rows]

    def _version(
        self, feature_set: str, version: int | None, as_of: dt.datetime | None
    ) -> FeatureSetVersion | None:
        versions = self.versions(feature_set)
        if as_of is not None:
            cutoff = _instant(as_of)
            versions = [v for v in versions if _instant(v.created_at) <= cutoff]
        if version is not None:
            chosen = [v for v in versions if v.version == version]
            if not chosen:
                known = [v.version for v in self.versions(feature_set)]
                raise FeatureStoreError(
                    f"{self.path}: feature set {feature_set!r} has no version {version} "
                    f"(versions: {known or 'none'})"
                )
            return chosen[0]
        return versions[-1] if versions else None

    # -- writing ---------------------------------------------------------------------------

    def write(
        self, feature_set: str, frame: pd.DataFrame, *, schema: FeatureSchema | None = None
    ) -> int:
        """Append the rows of ``frame`` to the latest version of ``feature_set``, atomically.

        A new version is opened when ``frame``'s columns or their roles differ from the latest
        version's. Rows must be indexed by ``(patient_id, date)`` with numeric columns; a
        rewritten patient-day supersedes the earlier row for reads after this write.

        Args:
            feature_set: Name of the feature set.
            frame: The rows.
            schema: Roles of the columns (default: :meth:`FeatureSchema.of(frame)
                <emkit.FeatureSchema.of>`). ``embedding`` columns are stored as float32.

        Returns:
            The number of rows written.
        """
        self._check_frame(frame)
        columns = tuple(str(c) for c in frame.columns)
        roles = (schema or FeatureSchema.of(frame)).select(columns)
        embedding_cols = roles.columns_with(ColumnRole.EMBEDDING)
        scalar_cols = [c for c in columns if c not in set(embedding_cols)]
        embeddings = frame[embedding_cols].to_numpy(dtype=np.float32) if embedding_cols else None
        scalars = frame[scalar_cols].to_numpy(dtype=np.float64)

        def first(role: ColumnRole) -> np.ndarray | None:
            named = roles.columns_with(role)
            return frame[named[0]].to_numpy(np.float64) if named else None

        perplexity = first(ColumnRole.PERPLEXITY)
        trend = first(ColumnRole.PERPLEXITY_TREND)
        patients = [str(p) for p in frame.index.get_level_values(0)]
        dates = [_iso_date(d) for d in frame.index.get_level_values(1)]

        def real(values: np.ndarray | None, i: int) -> float | None:
            if values is None or np.isnan(values[i]):
                return None
            return float(values[i])

        with self._transaction() as conn:
            version = self._version_for_write(conn, feature_set, roles)
            written_at = _now()
            rows = (
                (
                    feature_set,
                    version,
                    patients[i],
                    dates[i],
                    written_at,
                    None if embeddings is None else embeddings[i].tobytes(),
                    real(perplexity, i),
                    real(trend, i),
                    scalars[i].tobytes(),
                )
                for i in range(len(frame))
            )
            conn.executemany(
                "INSERT INTO feature_windows (feature_set, version, patient_id, date, written_at, "
                "llm_embedding, llm_perplexity, llm_perplexity_trend, features) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return len(frame)

    def _check_frame(self, frame: pd.DataFrame) -> None:
        if tuple(frame.index.names) != FEATURE_INDEX:
            raise FeatureStoreError(
                f"{self.path}: frames must be indexed by {FEATURE_INDEX}, "
                f"got {tuple(frame.index.names)}"
            )
        bad = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        if bad:
            raise FeatureStoreError(f"{self.path}: non-numeric feature columns: {bad}")
        if frame.columns.duplicated().any():
            raise FeatureStoreError(f"{self.path}: duplicated feature columns")
        if frame.index.duplicated().any():
            first = frame.index[frame.index.duplicated()][0]
            raise FeatureStoreError(f"{self.path}: duplicated patient-day {first}")

    def _version_for_write(
        self, conn: sqlite3.Connection, feature_set: str, schema: FeatureSchema
    ) -> int:
        row = conn.execute(
            "SELECT version, columns, created_at, schema FROM feature_sets WHERE name = ? "
            "ORDER BY version DESC LIMIT 1",
            (feature_set,),
        ).fetchone()
        stored = schema.model_dump_json()
        if row is not None:
            latest = FeatureSetVersion.from_row(feature_set, *row)
            same_layout = latest.columns == tuple(schema.names) and latest.float32_columns == tuple(
                schema.columns_with(ColumnRole.EMBEDDING)
            )
            if same_layout and row[3] == stored:
                return latest.version
            if same_layout and row[3] is None:  # a version written before feature schemas
                conn.execute(
                    "UPDATE feature_sets SET schema = ? WHERE name = ? AND version = ?",
                    (stored, feature_set, latest.version),
                )
                return latest.version
        version = 1 if row is None else int(row[0]) + 1
        conn.execute(
            "INSERT INTO feature_sets (name, version, columns, created_at, schema) "
            "VALUES (?, ?, ?, ?, ?)",
            (feature_set, version, json.dumps(schema.names), _now(), stored),
        )
        return version

    # -- reading ---------------------------------------------------------------------------

    def read(
        self,
        feature_set: str,
        *,
        patients: Sequence[str] | None = None,
        as_of: dt.datetime | None = None,
        version: int | None = None,
    ) -> pd.DataFrame:
        """The latest row of each patient-day of ``feature_set``.

        Args:
            feature_set: Name of the feature set.
            patients: Only these patients (all when ``None``).
            as_of: Only what had been written by this instant (naive means UTC); the version
                read is the latest that existed then.
            version: A specific version (default: the latest).

        Returns:
            A frame indexed by ``(patient_id, date)`` (dates as :class:`datetime.date`),
            sorted, with the version's columns and their roles attached
            (:meth:`FeatureSchema.of <emkit.FeatureSchema.of>`); empty when nothing matches.
        """
        if as_of is not None:
            self._wait_for_writes()
        chosen = self._version(feature_set, version, as_of)
        if chosen is None:
            if version is None and as_of is None and feature_set not in self.feature_sets():
                raise FeatureStoreError(
                    f"{self.path}: no feature set {feature_set!r} "
                    f"(feature sets: {self.feature_sets() or 'none'})"
                )
            return _empty_frame(())
        columns = chosen.columns
        if patients is not None and len(patients) == 0:
            return chosen.schema.attach(_empty_frame(columns))
        embedding_cols = list(chosen.float32_columns)
        scalar_cols = [c for c in columns if c not in set(embedding_cols)]
        where = ["feature_set = ?", "version = ?"]
        params: list[Any] = [feature_set, chosen.version]
        if as_of is not None:
            where.append("written_at <= ?")
            params.append(_instant(as_of))
        if patients is not None:
            where.append(f"patient_id IN ({','.join('?' * len(patients))})")
            params.extend(patients)
        query = (
            "SELECT patient_id, date, llm_embedding, features FROM ("
            "SELECT patient_id, date, llm_embedding, features, ROW_NUMBER() OVER ("
            "PARTITION BY patient_id, date ORDER BY id DESC) AS rn "
            f"FROM feature_windows WHERE {' AND '.join(where)}) WHERE rn = 1 "
            "ORDER BY patient_id, date"
        )
        conn = self._connect()
        try:
            rows = conn.execute(query, params).fetchall()
        finally:
            conn.close()
        if not rows:
            return chosen.schema.attach(_empty_frame(columns))
        scalars = np.frombuffer(b"".join(r[3] for r in rows), dtype=np.float64).reshape(
            len(rows), len(scalar_cols)
        )
        frame = pd.DataFrame(scalars, columns=scalar_cols)
        if embedding_cols:
            emb = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32).reshape(
                len(rows), len(embedding_cols)
            )
            frame = pd.concat([frame, pd.DataFrame(emb, columns=embedding_cols)], axis=1)
        frame.index = pd.MultiIndex.from_arrays(
            [[r[0] for r in rows], [dt.date.fromisoformat(r[1]) for r in rows]],
            names=list(FEATURE_INDEX),
        )
        return chosen.schema.attach(frame[list(columns)])

    def schema(self, feature_set: str) -> FeatureSchema:
        """Roles of the columns of ``feature_set``'s latest version.

        Raises:
            FeatureStoreError: when the store has no such feature set.
        """
        chosen = self._version(feature_set, None, None)
        if chosen is None:
            raise FeatureStoreError(
                f"{self.path}: no feature set {feature_set!r} "
                f"(feature sets: {self.feature_sets() or 'none'})"
            )
        return chosen.schema

    def finished_days(self, feature_set: str) -> set[tuple[str, dt.date]]:
        """The ``(patient_id, date)`` pairs stored in the latest version of ``feature_set``.

        Empty when the feature set does not exist yet.
        """
        chosen = self._version(feature_set, None, None)
        if chosen is None:
            return set()
        conn = self._connect()
        try:
            rows = conn.execute(
                "SELECT DISTINCT patient_id, date FROM feature_windows "
                "WHERE feature_set = ? AND version = ?",
                (feature_set, chosen.version),
            ).fetchall()
        finally:
            conn.close()
        return {(p, dt.date.fromisoformat(d)) for p, d in rows}

    # -- parquet ---------------------------------------------------------------------------

    def export_parquet(
        self,
        feature_set: str,
        path: Path,
        *,
        as_of: dt.datetime | None = None,
        version: int | None = None,
    ) -> int:
        """Write the frame :meth:`read` returns to a parquet file (atomically).

        Returns:
            The number of rows exported.
        """
        frame = self.read(feature_set, as_of=as_of, version=version)
        buffer = io.BytesIO()
        frame.reset_index().to_parquet(buffer, index=False)
        atomic_write_bytes(Path(path), buffer.getvalue())
        return len(frame)

    def import_parquet(self, feature_set: str, path: Path) -> int:
        """Write the rows of a parquet file (columns ``patient_id``, ``date`` + features).

        Column roles come with the file when :meth:`export_parquet` wrote it (pandas keeps
        ``attrs`` in the parquet metadata), else from the naming rule.

        Returns:
            The number of rows imported.
        """
        path = Path(path)
        try:
            table = pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise FeatureStoreError(f"{path}: cannot read parquet: {exc}") from None
        missing = [c for c in FEATURE_INDEX if c not in table.columns]
        if missing:
            raise FeatureStoreError(f"{path}: missing index columns {missing}")
        table["date"] = [dt.date.fromisoformat(_iso_date(d)) for d in table["date"]]
        table["patient_id"] = table["patient_id"].astype(str)
        return self.write(feature_set, table.set_index(list(FEATURE_INDEX)))


def _empty_frame(columns: Sequence[str]) -> pd.DataFrame:
    index = pd.MultiIndex.from_arrays([[], []], names=list(FEATURE_INDEX))
    return pd.DataFrame({c: pd.Series([], dtype=np.float64) for c in columns}, index=index)

"""PostgreSQL feature store: the seed's ``feature_windows`` table, versioned and point-in-time.

It keeps what the built-in SQLite store keeps, in the same shape, so that the two pass the same
conformance kit and a feature set moves between them through parquet:

``feature_sets(name, version, columns, created_at, schema)``
    One row per version of a named feature set; ``columns`` (jsonb) lists its columns and
    ``schema`` (jsonb) is the :class:`~emkit.FeatureSchema` (the role of each column). A write
    whose columns or roles differ from the latest version's opens a new version.
``feature_windows(id, write_id, feature_set, version, patient_id, date, written_at,
llm_embedding, llm_perplexity, llm_perplexity_trend, features)``
    Append-only. ``llm_embedding`` holds every ``embedding`` column (any block, in column
    order) as a little-endian float32 ``bytea`` (the default) or as ``real[]``; ``features``
    holds every other column as ``double precision[]`` (NaN kept), and ``llm_perplexity`` /
    ``llm_perplexity_trend`` repeat the first ``perplexity`` / ``perplexity_trend`` column for
    SQL queries, as in the seed.

Writes and concurrency. A write is one transaction, so a patient's frame is stored whole or not
at all. All rows of one write share a ``write_id`` (from a sequence) and a ``written_at``
instant; a read takes, for each patient-day, the row of the highest ``write_id``, so two
workers that write the same patient at once leave one complete frame of one of them visible,
never a mix. Writers of a feature set hold a shared advisory lock while they append; the rare
writer that opens a new version takes it exclusively, so no row lands in a version that stopped
being the latest while it was written.

``as_of`` reads keep rows whose ``written_at`` is not later than the instant, and use the
latest version created by then. ``written_at`` is taken from the server's clock inside the
write's transaction, so the server's clock, not the worker's, orders writes from many machines.
It is taken when the write starts copying its rows, before its commit; so that a write in
flight is not missed by a read and seen by the same read later, an ``as_of`` read first waits
for the writes of the feature set in flight to end (it takes the feature set's advisory lock
exclusively, for an instant). An ``as_of`` read therefore gives the same rows every time, for
any instant not later than the moment it starts (on the server's clock); an instant after it,
in the future, can still gain rows.

Every table lives in one PostgreSQL schema (option ``namespace``, default ``public``), so that
several stores can share a database.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, SecretStr

import emkit
from emkit import ColumnRole, FeatureSchema, FeatureSetVersion, FeatureStoreError
from emkit_postgres.dsn import DSN_ENV, ServerAddress, parse_address, redact

if TYPE_CHECKING:
    import psycopg

__all__ = ["EmbeddingFormat", "PostgresFeatureStore", "StoreConnectionError"]

#: Layout version of the tables (kept in ``emkit_store_meta``).
SCHEMA_VERSION = 1
#: How ``llm_embedding`` is stored.
EmbeddingFormat = Literal["real[]", "bytea"]
#: bytea: ``bench/bench_scale.py`` reads it several times faster than real[] (no per-element
#: decoding) and writes it faster; real[] stays available for SQL that indexes the array.
DEFAULT_EMBEDDING_FORMAT: EmbeddingFormat = "bytea"

_FEATURE_INDEX = list(emkit.FEATURE_INDEX)


class StoreConnectionError(FeatureStoreError):
    """The server cannot be reached, refuses the credentials, or has no such database.

    The message is one line naming the host and the database, and never holds a password.
    """


def _tables(namespace: str, embedding_sql: str) -> list[str]:
    ns = _ident(namespace)
    return [
        f"CREATE SCHEMA IF NOT EXISTS {ns}",
        f"CREATE TABLE IF NOT EXISTS {ns}.emkit_store_meta "
        "(key text PRIMARY KEY, value text NOT NULL)",
        f"""CREATE TABLE IF NOT EXISTS {ns}.feature_sets (
            name text NOT NULL,
            version integer NOT NULL,
            columns jsonb NOT NULL,
            created_at timestamptz NOT NULL,
            schema jsonb NOT NULL,
            PRIMARY KEY (name, version))""",
        f"CREATE SEQUENCE IF NOT EXISTS {ns}.feature_writes",
        f"""CREATE TABLE IF NOT EXISTS {ns}.feature_windows (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            write_id bigint NOT NULL,
            feature_set text NOT NULL,
            version integer NOT NULL,
            patient_id text NOT NULL,
            date date NOT NULL,
            written_at timestamptz NOT NULL,
            llm_embedding {embedding_sql},
            llm_perplexity double precision,
            llm_perplexity_trend double precision,
            features double precision[] NOT NULL,
            FOREIGN KEY (feature_set, version) REFERENCES {ns}.feature_sets (name, version))""",
        f"CREATE INDEX IF NOT EXISTS feature_windows_key ON {ns}.feature_windows "
        "(feature_set, version, patient_id, date, write_id)",
    ]


def _ident(name: str) -> str:
    """``name`` quoted as a PostgreSQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _instant(value: dt.datetime) -> dt.datetime:
    """``value`` as an aware UTC instant (naive instants are taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


class PostgresFeatureStore(emkit.FeatureStore):
    """Per-day feature frames in a PostgreSQL database, versioned, with point-in-time reads.

    Columns with the ``embedding`` role are stored as float32 (``bytea`` or ``real[]``), every
    other column as float64, so values round-trip exactly, as in the SQLite store. Each
    version keeps its :class:`~emkit.FeatureSchema`.

    The connection string comes from the ``dsn`` option (``--store`` on the command line) or,
    when it is not given, from the ``EMKIT_STORE_DSN`` environment variable. libpq's own
    ``PGPASSWORD`` and ``~/.pgpass`` supply a password that the string leaves out; no message
    of the store ever shows a password.
    """

    name: ClassVar[str] = "postgres"
    location_option: ClassVar[str] = "dsn"

    class Options(emkit.FeatureStore.Options):
        """Options of the PostgreSQL store."""

        dsn: SecretStr | None = Field(
            default=None,
            description=f"libpq connection string or postgresql:// URL (default: ${DSN_ENV}).",
        )
        namespace: str = Field(
            default="public",
            min_length=1,
            max_length=63,
            description="PostgreSQL schema that holds the store's tables (created if missing).",
        )
        embedding_format: EmbeddingFormat | None = Field(
            default=None,
            description="Column type of embedding blocks for a new store: 'bytea' (default) or "
            "'real[]'. An existing store keeps the type it was created with.",
        )
        connect_timeout_s: int = Field(
            default=10, ge=1, description="Seconds to wait for the server."
        )

    options: Options

    def __init__(self, **options: Any) -> None:
        """Connect, create the tables when missing and check their layout.

        Raises:
            StoreConnectionError: the server is down, refuses the credentials or has no such
                database (one line naming host and database).
            FeatureStoreError: no connection string, or an existing store of another layout.
        """
        super().__init__(**options)
        secret = self.options.dsn
        dsn = secret.get_secret_value() if secret is not None else os.environ.get(DSN_ENV)
        if not dsn:
            raise FeatureStoreError(
                f"postgres feature store: no connection string; give --store postgresql://HOST/DB "
                f"(the `dsn` option) or set {DSN_ENV}"
            )
        self._dsn = dsn
        try:
            self.address: ServerAddress = parse_address(dsn)
        except ValueError as exc:
            raise FeatureStoreError(
                f"postgres feature store: bad connection string: {exc}"
            ) from None
        self.namespace = self.options.namespace
        self._ns = _ident(self.namespace)
        self._conn: psycopg.Connection[Any] | None = None
        self._conn_pid = 0
        self._lock = threading.RLock()
        self.embedding_format = self._create_tables()

    def __repr__(self) -> str:
        """Where the store is (never its password)."""
        return f"PostgresFeatureStore({self})"

    def __str__(self) -> str:
        """``host H port P, database D, namespace N``."""
        return f"{self.address}, namespace {self.namespace}"

    # -- connections -----------------------------------------------------------------------

    def _connection(self) -> psycopg.Connection[Any]:
        """This process's connection (a forked worker opens its own)."""
        import psycopg

        if self._conn is not None and self._conn_pid == os.getpid() and not self._conn.closed:
            return self._conn
        try:
            conn = psycopg.connect(
                self._dsn,
                autocommit=True,
                connect_timeout=self.options.connect_timeout_s,
                application_name="emkit",
            )
        except psycopg.OperationalError as exc:
            raise StoreConnectionError(self._connect_message(exc)) from None
        self._conn, self._conn_pid = conn, os.getpid()
        # Closed with the store; a forked child never closes its parent's connection.
        self._finalizer = weakref.finalize(self, _close_in_process, conn, self._conn_pid)
        return conn

    def _connect_message(self, exc: Exception) -> str:
        detail = " ".join(redact(str(exc), self._dsn).split())
        text = detail.lower()
        if "does not exist" in text and "database" in text:
            reason = "the database does not exist"
        elif (
            "password" in text
            or "authentication" in text
            or ("role" in text and "does not exist" in text)
        ):
            reason = (
                f"the server refused the credentials of user {self.address.user or '(default)'}"
            )
        elif "timeout" in text:
            reason = "the server did not answer in time"
        else:
            reason = "the server is down or unreachable"
        return f"postgres feature store at {self.address}: {reason} ({detail})"

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        """One transaction on this process's connection; any exception rolls it back."""
        import psycopg

        with self._lock:
            conn = self._connection()
            try:
                with conn.transaction(), conn.cursor(binary=True) as cur:
                    yield cur
            except psycopg.OperationalError as exc:
                self._drop_connection()
                raise StoreConnectionError(self._connect_message(exc)) from None
            except psycopg.Error as exc:
                detail = " ".join(redact(str(exc), self._dsn).split())
                raise FeatureStoreError(f"postgres feature store at {self}: {detail}") from None

    def _drop_connection(self) -> None:
        if self._conn is not None and self._conn_pid == os.getpid():
            self._finalizer()
        self._conn = None

    def close(self) -> None:
        """Close this process's connection (the next call opens a new one)."""
        with self._lock:
            self._drop_connection()

    def _create_tables(self) -> EmbeddingFormat:
        wanted = self.options.embedding_format or DEFAULT_EMBEDDING_FORMAT
        with self._transaction() as cur:
            # Two workers opening a new store at once must not both create it.
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"emkit:{self.namespace}",))
            for statement in _tables(self.namespace, wanted):
                cur.execute(statement)
            cur.execute(f"SELECT key, value FROM {self._ns}.emkit_store_meta")
            meta = dict(cur.fetchall())
            if not meta:
                cur.execute(
                    f"INSERT INTO {self._ns}.emkit_store_meta VALUES "
                    "('schema_version', %s), ('embedding_format', %s)",
                    (str(SCHEMA_VERSION), wanted),
                )
                return wanted
        if int(meta.get("schema_version", 0)) != SCHEMA_VERSION:
            raise FeatureStoreError(
                f"postgres feature store at {self}: layout version "
                f"{meta.get('schema_version')}, this emkit-postgres reads version {SCHEMA_VERSION}"
            )
        stored: EmbeddingFormat = "bytea" if meta.get("embedding_format") == "bytea" else "real[]"
        if self.options.embedding_format not in (None, stored):
            raise FeatureStoreError(
                f"postgres feature store at {self}: embeddings are stored as {stored}, "
                f"not {self.options.embedding_format} (a store keeps the type it was created with)"
            )
        return stored

    # -- versions --------------------------------------------------------------------------

    def versions(self, feature_set: str) -> list[FeatureSetVersion]:
        """Every version of ``feature_set``, oldest first (empty if it does not exist)."""
        with self._transaction() as cur:
            return self._versions(cur, feature_set)

    def _versions(self, cur: psycopg.Cursor[Any], feature_set: str) -> list[FeatureSetVersion]:
        cur.execute(
            f"SELECT version, columns, created_at, schema FROM {self._ns}.feature_sets "
            "WHERE name = %s ORDER BY version",
            (feature_set,),
        )
        return [_version_of(feature_set, *row) for row in cur.fetchall()]

    def feature_sets(self) -> list[str]:
        """Names of the feature sets in the store."""
        with self._transaction() as cur:
            cur.execute(f"SELECT DISTINCT name FROM {self._ns}.feature_sets ORDER BY name")
            return [str(r[0]) for r in cur.fetchall()]

    def _version(
        self, feature_set: str, version: int | None, as_of: dt.datetime | None
    ) -> FeatureSetVersion | None:
        every = self.versions(feature_set)
        versions = every
        if as_of is not None:
            cutoff = _instant(as_of)
            versions = [v for v in versions if v.created_at <= cutoff]
        if version is not None:
            chosen = [v for v in versions if v.version == version]
            if not chosen:
                raise FeatureStoreError(
                    f"postgres feature store at {self}: feature set {feature_set!r} has no "
                    f"version {version} (versions: {[v.version for v in every] or 'none'})"
                )
            return chosen[0]
        return versions[-1] if versions else None

    def _unknown(self, feature_set: str) -> FeatureStoreError:
        return FeatureStoreError(
            f"postgres feature store at {self}: no feature set {feature_set!r} "
            f"(feature sets: {self.feature_sets() or 'none'})"
        )

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
        rows = self._rows(frame, roles, embedding_cols, scalar_cols)
        exclusive = False
        while True:
            with self._transaction() as cur:
                lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
                cur.execute(
                    f"SELECT {lock}(hashtext(%s), hashtext(%s))",
                    (f"emkit:{self.namespace}", feature_set),
                )
                version = self._version_for_write(cur, feature_set, roles, create=exclusive)
                if version is None:  # a new version: start again holding the lock alone
                    exclusive = True
                    continue
                cur.execute(
                    "SELECT nextval(%s::regclass), clock_timestamp()",
                    (f"{self._ns}.feature_writes",),
                )
                write_id, written_at = cur.fetchone() or (None, None)
                self._copy_rows(cur, feature_set, version, write_id, written_at, rows)
            return len(frame)

    def _rows(
        self,
        frame: pd.DataFrame,
        roles: FeatureSchema,
        embedding_cols: list[str],
        scalar_cols: list[str],
    ) -> list[tuple[Any, ...]]:
        """``(patient_id, date, embedding, perplexity, trend, features)`` per row, for COPY."""
        n = len(frame)
        embeddings: list[Any]
        if embedding_cols:
            block = frame[embedding_cols].to_numpy(dtype=np.float32)
            if self.embedding_format == "bytea":
                embeddings = [row.tobytes() for row in block]
            else:
                embeddings = block.tolist()
        else:
            embeddings = [None] * n
        scalars = frame[scalar_cols].to_numpy(dtype=np.float64).tolist()

        def first(role: ColumnRole) -> list[float | None]:
            named = roles.columns_with(role)
            if not named:
                return [None] * n
            values = frame[named[0]].to_numpy(np.float64)
            return [None if np.isnan(v) else float(v) for v in values]

        perplexity = first(ColumnRole.PERPLEXITY)
        trend = first(ColumnRole.PERPLEXITY_TREND)
        patients = [str(p) for p in frame.index.get_level_values(0)]
        dates = [_date(d) for d in frame.index.get_level_values(1)]
        return list(zip(patients, dates, embeddings, perplexity, trend, scalars, strict=True))

    def _copy_rows(
        self,
        cur: psycopg.Cursor[Any],
        feature_set: str,
        version: int,
        write_id: Any,
        written_at: Any,
        rows: list[tuple[Any, ...]],
    ) -> None:
        embedding_type = "bytea" if self.embedding_format == "bytea" else "float4[]"
        with cur.copy(
            f"COPY {self._ns}.feature_windows (write_id, feature_set, version, patient_id, date, "
            "written_at, llm_embedding, llm_perplexity, llm_perplexity_trend, features) "
            "FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(
                [
                    "int8",
                    "text",
                    "int4",
                    "text",
                    "date",
                    "timestamptz",
                    embedding_type,
                    "float8",
                    "float8",
                    "float8[]",
                ]
            )
            for patient, date, embedding, perplexity, trend, scalars in rows:
                copy.write_row(
                    (
                        write_id,
                        feature_set,
                        version,
                        patient,
                        date,
                        written_at,
                        embedding,
                        perplexity,
                        trend,
                        scalars,
                    )
                )

    def _check_frame(self, frame: pd.DataFrame) -> None:
        if tuple(frame.index.names) != emkit.FEATURE_INDEX:
            raise FeatureStoreError(
                f"postgres feature store at {self}: frames must be indexed by "
                f"{emkit.FEATURE_INDEX}, got {tuple(frame.index.names)}"
            )
        bad = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        if bad:
            raise FeatureStoreError(
                f"postgres feature store at {self}: non-numeric feature columns: {bad}"
            )
        if frame.columns.duplicated().any():
            raise FeatureStoreError(f"postgres feature store at {self}: duplicated feature columns")
        if frame.index.duplicated().any():
            first = frame.index[frame.index.duplicated()][0]
            raise FeatureStoreError(
                f"postgres feature store at {self}: duplicated patient-day {first}"
            )

    def _version_for_write(
        self, cur: psycopg.Cursor[Any], feature_set: str, schema: FeatureSchema, *, create: bool
    ) -> int | None:
        """The version to append to; ``None`` when a new one is needed and ``create`` is off."""
        cur.execute(
            f"SELECT version, columns, created_at, schema FROM {self._ns}.feature_sets "
            "WHERE name = %s ORDER BY version DESC LIMIT 1",
            (feature_set,),
        )
        row = cur.fetchone()
        if row is not None:
            latest = _version_of(feature_set, *row)
            if latest.columns == tuple(schema.names) and latest.schema == schema:
                return latest.version
        if not create:
            return None
        version = 1 if row is None else int(row[0]) + 1
        from psycopg.types.json import Jsonb

        cur.execute(
            f"INSERT INTO {self._ns}.feature_sets (name, version, columns, created_at, schema) "
            "VALUES (%s, %s, %s, clock_timestamp(), %s)",
            (feature_set, version, Jsonb(schema.names), Jsonb(schema.model_dump(mode="json"))),
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
                read is the latest that existed then. The read first waits for the writes of
                ``feature_set`` in flight, so it gives the same rows whenever it is repeated
                (for an instant that is not in the future).
            version: A specific version (default: the latest).

        Returns:
            A frame indexed by ``(patient_id, date)`` (dates as :class:`datetime.date`),
            sorted, with the version's columns and their roles attached; empty when nothing
            matches.

        Raises:
            FeatureStoreError: no such feature set, or no such version.
        """
        if as_of is not None:
            self._wait_for_writes(feature_set)
        chosen = self._version(feature_set, version, as_of)
        if chosen is None:
            if version is None and as_of is None and feature_set not in self.feature_sets():
                raise self._unknown(feature_set)
            return _empty_frame(())
        columns = chosen.columns
        if patients is not None and len(patients) == 0:
            return chosen.schema.attach(_empty_frame(columns))
        embedding_cols = list(chosen.float32_columns)
        scalar_cols = [c for c in columns if c not in set(embedding_cols)]
        where = ["feature_set = %s", "version = %s"]
        params: list[Any] = [feature_set, chosen.version]
        if as_of is not None:
            where.append("written_at <= %s")
            params.append(_instant(as_of))
        if patients is not None:
            where.append("patient_id = ANY(%s)")
            params.append([str(p) for p in patients])
        query = (
            "SELECT DISTINCT ON (patient_id, date) patient_id, date, llm_embedding, features "
            f"FROM {self._ns}.feature_windows WHERE {' AND '.join(where)} "
            "ORDER BY patient_id, date, write_id DESC, id DESC"
        )
        with self._transaction() as cur:
            cur.execute(query, params)
            rows = cur.fetchall()
        if not rows:
            return chosen.schema.attach(_empty_frame(columns))
        frame = pd.DataFrame(
            np.array([r[3] for r in rows], dtype=np.float64).reshape(len(rows), len(scalar_cols)),
            columns=scalar_cols,
        )
        if embedding_cols:
            if self.embedding_format == "bytea":
                emb = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32)
            else:
                emb = np.array([r[2] for r in rows], dtype=np.float32)
            emb = emb.reshape(len(rows), len(embedding_cols))
            frame = pd.concat([frame, pd.DataFrame(emb, columns=embedding_cols)], axis=1)
        frame.index = pd.MultiIndex.from_arrays(
            [[str(r[0]) for r in rows], [r[1] for r in rows]], names=_FEATURE_INDEX
        )
        return chosen.schema.attach(frame[list(columns)])

    def _wait_for_writes(self, feature_set: str) -> None:
        """Wait until the writes of ``feature_set`` in flight have committed or rolled back.

        Every write holds the feature set's advisory lock from before it takes its
        ``written_at`` until it commits; taking that lock exclusively (and letting it go at
        once) waits for them. A write that starts later takes a later ``written_at``.
        """
        with self._transaction() as cur:
            cur.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(%s))",
                (f"emkit:{self.namespace}", feature_set),
            )

    def schema(self, feature_set: str) -> FeatureSchema:
        """Roles of the columns of ``feature_set``'s latest version.

        Raises:
            FeatureStoreError: when the store has no such feature set.
        """
        chosen = self._version(feature_set, None, None)
        if chosen is None:
            raise self._unknown(feature_set)
        return chosen.schema

    def finished_days(self, feature_set: str) -> set[tuple[str, dt.date]]:
        """The ``(patient_id, date)`` pairs stored in the latest version of ``feature_set``.

        Empty when the feature set does not exist yet.
        """
        chosen = self._version(feature_set, None, None)
        if chosen is None:
            return set()
        with self._transaction() as cur:
            cur.execute(
                f"SELECT DISTINCT patient_id, date FROM {self._ns}.feature_windows "
                "WHERE feature_set = %s AND version = %s",
                (feature_set, chosen.version),
            )
            return {(str(p), d) for p, d in cur.fetchall()}

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
        emkit.atomic_write_bytes(Path(path), buffer.getvalue())
        return len(frame)

    def import_parquet(self, feature_set: str, path: Path) -> int:
        """Write the rows of a parquet file (columns ``patient_id``, ``date`` + features).

        Column roles come with the file when an emkit store exported it, else from the naming
        rule.

        Returns:
            The number of rows imported.
        """
        path = Path(path)
        try:
            table = pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise FeatureStoreError(f"{path}: cannot read parquet: {exc}") from None
        missing = [c for c in _FEATURE_INDEX if c not in table.columns]
        if missing:
            raise FeatureStoreError(f"{path}: missing index columns {missing}")
        table["date"] = [_date(d) for d in table["date"]]
        table["patient_id"] = table["patient_id"].astype(str)
        return self.write(feature_set, table.set_index(_FEATURE_INDEX))


def _close_in_process(conn: psycopg.Connection[Any], pid: int) -> None:
    if os.getpid() == pid:
        conn.close()


def _version_of(
    name: str, version: int, columns: list[str], created_at: dt.datetime, schema: dict[str, Any]
) -> FeatureSetVersion:
    names = tuple(str(c) for c in columns)
    roles = FeatureSchema.model_validate(schema).select(names)
    return FeatureSetVersion(
        name=name,
        version=int(version),
        columns=names,
        created_at=_instant(created_at),
        schema=roles,
        float32_columns=tuple(roles.columns_with(ColumnRole.EMBEDDING)),
    )


def _empty_frame(columns: Sequence[str]) -> pd.DataFrame:
    index = pd.MultiIndex.from_arrays([[], []], names=_FEATURE_INDEX)
    return pd.DataFrame({c: pd.Series([], dtype=np.float64) for c in columns}, index=index)

"""The study database, ``temario.db``: schema, migrations and connections (SQLite).

This module holds the schema (``CREATE`` statements, applied by migrations) and the connection
settings; every query and write on the tables is in :mod:`medcards.study.repository`.

Tables (times are UTC epoch seconds, ``REAL``; dates are ISO ``YYYY-MM-DD``):

- ``topics``: one row per topic: ``title``, ``context`` (source text cards are generated from),
  ``modulo``, ``priority`` (higher is studied first), ``date_assigned`` (calendar day),
  ``level`` (1 MCQ, 2 open recall, 3 mastered) and ``l2_streak`` (consecutive level-2 successes).
- ``cards``: generated cards stored as validated JSON with their ``kind``; ``uid`` is a stable
  identifier (Anki GUIDs derive from it); ``retired`` cards left the queue (a level-1 MCQ after
  promotion).
- ``card_state``: the scheduler state of each scheduled card (one row per card); ``due_day``
  (UTC day number) and a copy of the topic's ``priority`` make the review queue one index scan.
- ``angles``: angle sub-nodes: ``angle_id``, ``parent`` (the failed card), the variant card and
  its ``perspective``; ``passed_at`` is set when the variant is passed.
- ``reviews``: the append-only review log (triggers refuse UPDATE and DELETE).
- ``settings`` (schema version 2): the study preferences of this database as ``key`` ->
  JSON ``value`` (scheduler, desired retention, daily limits, generator, exam date, fitted
  FSRS parameters), so that every program opening the file studies it the same way.
- ``topics.source_json`` (schema version 3): where a topic's text came from, as JSON
  (:class:`medcards.study.records.TopicSource`: the guide file, the page or line of every
  stretch of the context, NotebookLM citations), so that the cards the engine generates later
  say on which page their evidence is printed. NULL for topics added by hand or from CSV, and
  for every topic of a database migrated from version 2.

The schema version is ``PRAGMA user_version``. Each migration runs inside one transaction
together with the version bump, so a database is never left half-migrated. The journal is WAL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from _sdk.sqlite import transaction, use_wal
from medcards.study.errors import StudyDatabaseError, StudyDatabaseVersionError, StudyError

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "StudyDatabaseError",
    "StudyDatabaseVersionError",
    "StudyError",
    "connect",
    "integrity_errors",
]

#: Migration ``i`` takes a database from version ``i`` to ``i + 1``; each is a list of statements.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE topics (
            topic_id INTEGER PRIMARY KEY,
            title TEXT NOT NULL UNIQUE CHECK (length(title) > 0),
            context TEXT NOT NULL DEFAULT '',
            modulo TEXT NOT NULL DEFAULT '',
            priority INTEGER NOT NULL DEFAULT 0,
            date_assigned TEXT NOT NULL,
            level INTEGER NOT NULL DEFAULT 1 CHECK (level IN (1, 2, 3)),
            l2_streak INTEGER NOT NULL DEFAULT 0,
            introduced_at REAL,
            created_at REAL NOT NULL
        )""",
        """CREATE INDEX topics_new ON topics(date_assigned, priority DESC, modulo, topic_id)
           WHERE introduced_at IS NULL""",
        "CREATE INDEX topics_introduced ON topics(introduced_at)",
        """CREATE TABLE cards (
            card_id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            topic_id INTEGER NOT NULL REFERENCES topics(topic_id),
            kind TEXT NOT NULL CHECK (kind IN ('battlecard', 'mcq', 'open', 'variant')),
            body TEXT NOT NULL,
            retired INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL
        )""",
        "CREATE INDEX cards_topic_kind ON cards(topic_id, kind)",
        """CREATE TABLE card_state (
            card_id INTEGER PRIMARY KEY REFERENCES cards(card_id),
            scheduler TEXT NOT NULL,
            due REAL NOT NULL,
            due_day INTEGER NOT NULL,
            priority INTEGER NOT NULL,
            interval_days REAL NOT NULL,
            ease REAL,
            repetitions INTEGER NOT NULL,
            last_review REAL,
            state_json TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1
        )""",
        "CREATE INDEX card_state_due ON card_state(active, due_day, priority DESC, due)",
        """CREATE TABLE angles (
            angle_id INTEGER PRIMARY KEY,
            parent INTEGER NOT NULL REFERENCES cards(card_id),
            card_id INTEGER NOT NULL UNIQUE REFERENCES cards(card_id),
            perspective TEXT NOT NULL,
            created_at REAL NOT NULL,
            passed_at REAL
        )""",
        "CREATE INDEX angles_pending ON angles(passed_at, created_at)",
        "CREATE INDEX angles_parent ON angles(parent)",
        """CREATE TABLE reviews (
            review_id INTEGER PRIMARY KEY,
            card_id INTEGER NOT NULL REFERENCES cards(card_id),
            topic_id INTEGER NOT NULL REFERENCES topics(topic_id),
            kind TEXT NOT NULL,
            rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
            reviewed_at REAL NOT NULL,
            first_review INTEGER NOT NULL,
            scheduler TEXT,
            interval_days REAL,
            due REAL,
            level_before INTEGER NOT NULL,
            level_after INTEGER NOT NULL
        )""",
        "CREATE INDEX reviews_time ON reviews(reviewed_at, first_review, kind)",
        "CREATE INDEX reviews_card ON reviews(card_id)",
        """CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews
           BEGIN SELECT RAISE(ABORT, 'reviews is an append-only log'); END""",
        """CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews
           BEGIN SELECT RAISE(ABORT, 'reviews is an append-only log'); END""",
    ],
    [
        """CREATE TABLE settings (
            key TEXT PRIMARY KEY CHECK (length(key) > 0),
            value TEXT NOT NULL,
            updated_at REAL NOT NULL
        )""",
    ],
    [
        # Added in place: existing rows keep everything and get NULL (no source data).
        "ALTER TABLE topics ADD COLUMN source_json TEXT",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)
_TABLES = {"topics", "cards", "card_state", "angles", "reviews", "settings"}
#: Seconds a connection waits for another's lock (and for the switch to WAL).
_LOCK_TIMEOUT_S = 30.0


def connect(path: str | Path, *, migrations: list[list[str]] | None = None) -> sqlite3.Connection:
    """Open (creating if needed) the study database at ``path`` and bring it to the current schema.

    The connection is in autocommit mode; writes go through
    :meth:`medcards.study.repository.StudyRepository.transaction`.

    Args:
        path: Database file, or ``":memory:"``.
        migrations: Override of :data:`MIGRATIONS` (tests).

    Raises:
        StudyDatabaseError: the file is not a usable SQLite database, naming it.
        StudyDatabaseVersionError: the database's schema is newer than this medcards knows.
    """
    steps = MIGRATIONS if migrations is None else migrations
    label = str(path)
    try:
        conn = sqlite3.connect(label, isolation_level=None, timeout=_LOCK_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise StudyDatabaseError(f"cannot open study database {label}: {exc}") from None
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > len(steps):
            raise StudyDatabaseVersionError(
                f"study database {label} has schema version {version}, but this medcards knows "
                f"versions up to {len(steps)}: upgrade medcards to open it"
            )
        if label != ":memory:":
            use_wal(conn, timeout_s=_LOCK_TIMEOUT_S)
        # NORMAL in WAL mode: a committed transaction survives a crash of the process.
        conn.execute("PRAGMA synchronous = NORMAL")
        _migrate(conn, label, version, steps)
        if steps is MIGRATIONS:
            _check_tables(conn, label)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StudyDatabaseError(
            f"study database {label} is corrupted or not a medcards database: {exc}"
        ) from None
    except StudyError:
        conn.close()
        raise
    return conn


def _migrate(conn: sqlite3.Connection, label: str, version: int, steps: list[list[str]]) -> None:
    for target in range(version + 1, len(steps) + 1):
        try:
            with transaction(conn):
                for statement in steps[target - 1]:
                    conn.execute(statement)
                # user_version lives in the database header and is rolled back with the rest.
                conn.execute(f"PRAGMA user_version = {target}")
        except sqlite3.Error as exc:
            raise StudyDatabaseError(
                f"migrating study database {label} to schema version {target} failed "
                f"(left at version {target - 1}, nothing half-applied): {exc}"
            ) from None


def _check_tables(conn: sqlite3.Connection, label: str) -> None:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    missing = _TABLES - {r[0] for r in rows}
    if missing:
        raise StudyDatabaseError(
            f"study database {label} lacks table(s) {sorted(missing)}: not a medcards database"
        )


def integrity_errors(conn: sqlite3.Connection) -> list[str]:
    """``PRAGMA integrity_check`` problems; empty when the database is sound."""
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    return [] if rows == ["ok"] else rows

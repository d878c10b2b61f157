"""SQLite helpers shared by the feature store and the study database."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``); rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def use_wal(conn: sqlite3.Connection, timeout_s: float) -> None:
    """Put the database in write-ahead-log mode, waiting up to ``timeout_s`` for other openers.

    Switching a new file to WAL needs its exclusive lock, and SQLite answers "database is
    locked" at once, without its busy timeout, when another process opens the same new file at
    that moment (several workers writing to one store). This retries with short pauses until
    the switch is done or ``timeout_s`` has passed; the mode then stays in the file.

    Raises:
        sqlite3.OperationalError: still locked after ``timeout_s``, or any other error.
    """
    deadline = time.monotonic() + timeout_s
    pause = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)

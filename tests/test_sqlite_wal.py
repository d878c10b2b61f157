"""Switching a SQLite file to WAL while another process holds it: wait, then switch or fail."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from _sdk.sqlite import use_wal


def _holder(path):
    """A connection that holds the new file's exclusive lock (as a second opener would)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("CREATE TABLE t (x)")
    return conn


def test_use_wal_waits_for_the_other_opener_then_switches(tmp_path):
    path = tmp_path / "new.db"
    holder = _holder(path)
    conn = sqlite3.connect(path, isolation_level=None, timeout=0)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        conn.execute("PRAGMA journal_mode = WAL")  # what a plain switch does: fail at once
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    use_wal(conn, timeout_s=10)
    release.join()
    assert time.monotonic() - started >= 0.25
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    holder.close()


def test_use_wal_gives_up_after_its_timeout(tmp_path):
    path = tmp_path / "held.db"
    holder = _holder(path)
    conn = sqlite3.connect(path, isolation_level=None, timeout=0)
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        use_wal(conn, timeout_s=0.3)
    assert 0.2 <= time.monotonic() - started < 2
    conn.close()
    holder.execute("ROLLBACK")
    holder.close()

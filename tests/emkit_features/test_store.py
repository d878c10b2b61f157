"""The SQLite feature store: conformance, lossless roundtrip, versions, point-in-time reads,
interrupted writes and parquet export/import."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import closing

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import emkit
from emkit.models import FEATURE_INDEX
from emkit.store import FeatureStoreError, SQLiteFeatureStore
from emkit.testing import feature_frames, feature_store_checks


@pytest.mark.parametrize("check", feature_store_checks(), ids=lambda c: c.__name__)
def test_conformance(check):
    check(lambda folder: SQLiteFeatureStore(path=folder / "features.db"))


def test_registered(tmp_path):
    store = emkit.get_feature_store("sqlite", path=tmp_path / "f.db")
    assert isinstance(store, SQLiteFeatureStore)
    with pytest.raises(emkit.InvalidOptionsError, match="pth"):
        emkit.get_feature_store("sqlite", pth=tmp_path / "f.db")


def _llm_frame(n_days=5, n_embd=4, patients=("p1", "p2"), seed=0):
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [list(patients), pd.date_range("2024-01-01", periods=n_days).date],
        names=list(FEATURE_INDEX),
    )
    emb = rng.normal(size=(len(index), n_embd)).astype(np.float32)
    frame = pd.DataFrame(emb, index=index, columns=[f"llm_emb_{i:03d}" for i in range(n_embd)])
    frame["llm_perplexity"] = rng.uniform(1, 50, len(index))
    frame["llm_perplexity_trend_7d"] = np.where(rng.random(len(index)) < 0.3, np.nan, 1.5)
    frame["lex_tokens"] = rng.integers(0, 100, len(index)).astype(float)
    return frame


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    frame=feature_frames(),
    embedding=st.lists(
        st.floats(width=32, allow_nan=False, allow_infinity=False), min_size=3, max_size=3
    ),
)
def test_roundtrip_is_lossless_with_float32_embeddings(tmp_path_factory, frame, embedding):
    frame = frame.copy()
    for i, value in enumerate(embedding):
        frame[f"llm_emb_{i:03d}"] = np.float32(value)
    store = SQLiteFeatureStore(path=tmp_path_factory.mktemp("s") / "f.db")
    assert store.write("set", frame) == len(frame)
    back = store.read("set")
    pd.testing.assert_frame_equal(
        back, frame.sort_index(), check_dtype=False, check_index_type=False
    )
    assert back[[f"llm_emb_{i:03d}" for i in range(3)]].dtypes.eq(np.float32).all()


def test_seed_columns_are_filled(tmp_path):
    store = SQLiteFeatureStore(path=tmp_path / "f.db")
    frame = _llm_frame()
    store.write("llm", frame)
    with closing(sqlite3.connect(tmp_path / "f.db")) as conn:
        row = conn.execute(
            "SELECT llm_embedding, llm_perplexity, llm_perplexity_trend FROM feature_windows "
            "WHERE patient_id = 'p1' AND date = '2024-01-01'"
        ).fetchone()
    first = frame.iloc[0]
    np.testing.assert_array_equal(
        np.frombuffer(row[0], dtype=np.float32), first.filter(like="llm_emb_").to_numpy(np.float32)
    )
    assert row[1] == pytest.approx(first["llm_perplexity"])


def test_versions_and_as_of(tmp_path):
    store = SQLiteFeatureStore(path=tmp_path / "f.db")
    frame = _llm_frame()
    store.write("llm", frame)
    time.sleep(0.01)
    mid = dt.datetime.now(dt.UTC)
    time.sleep(0.01)
    store.write("llm", frame.drop(columns=["lex_tokens"]))
    versions = store.versions("llm")
    assert [v.version for v in versions] == [1, 2]
    assert "lex_tokens" not in store.read("llm").columns
    assert "lex_tokens" in store.read("llm", version=1).columns
    assert "lex_tokens" in store.read("llm", as_of=mid).columns
    with pytest.raises(FeatureStoreError, match="no version 7"):
        store.read("llm", version=7)
    with pytest.raises(FeatureStoreError, match="no feature set 'nope'"):
        store.read("nope")
    assert len(store.read("llm", patients=[])) == 0
    assert set(store.read("llm", patients=["p2"]).index.get_level_values(0)) == {"p2"}
    early = store.read("llm", as_of=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert len(early) == 0


def test_as_of_read_during_a_slow_write_is_repeatable(tmp_path, monkeypatch):
    """A write in flight (its ``written_at`` taken, not committed) is not missed by a read."""
    import emkit.store.sqlite as sqlite_store

    store = SQLiteFeatureStore(path=tmp_path / "f.db")
    frame = _llm_frame()
    store.write("llm", frame.loc[["p1"]])
    stamped = threading.Event()
    real_now = sqlite_store._now

    def slow_now() -> str:  # the write's instant, then a pause before its rows and COMMIT
        instant = real_now()
        stamped.set()
        time.sleep(1.0)
        return instant

    monkeypatch.setattr(sqlite_store, "_now", slow_now)
    slow = threading.Thread(target=store.write, args=("llm", frame.loc[["p2"]]))
    slow.start()
    assert stamped.wait(timeout=20)
    instant = dt.datetime.now(dt.UTC)  # after the slow write took its written_at
    during = store.read("llm", as_of=instant)
    slow.join(timeout=20)
    monkeypatch.setattr(sqlite_store, "_now", real_now)
    later = store.read("llm", as_of=instant)
    assert set(later.index.get_level_values(0)) == {"p1", "p2"}
    pd.testing.assert_frame_equal(during, later)


def test_bad_frames_are_refused(tmp_path):
    store = SQLiteFeatureStore(path=tmp_path / "f.db")
    frame = _llm_frame()
    with pytest.raises(FeatureStoreError, match="indexed by"):
        store.write("x", frame.reset_index())
    text = frame.assign(note="a")
    with pytest.raises(FeatureStoreError, match="non-numeric"):
        store.write("x", text)


def test_not_a_database(tmp_path):
    path = tmp_path / "f.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(FeatureStoreError, match=str(path.name)):
        SQLiteFeatureStore(path=path)


def test_failure_mid_write_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    store = SQLiteFeatureStore(path=tmp_path / "f.db")
    frame = _llm_frame()
    store.write("llm", frame)
    before = store.read("llm")

    class Boom(RuntimeError):
        pass

    calls = {"n": 0}
    real_iso = emkit.store.sqlite._iso_date

    def failing(value):
        calls["n"] += 1
        if calls["n"] > 3:
            raise Boom("disk on fire")
        return real_iso(value)

    # the second write fails after its new version row would have been created
    monkeypatch.setattr(emkit.store.sqlite, "_iso_date", failing)
    with pytest.raises(Boom):
        store.write("llm", frame.assign(llm_perplexity=0.0, extra=1.0))
    monkeypatch.undo()
    pd.testing.assert_frame_equal(store.read("llm"), before)
    assert [v.version for v in store.versions("llm")] == [1]


def test_killed_writer_leaves_the_store_consistent(tmp_path):
    path = tmp_path / "f.db"
    SQLiteFeatureStore(path=path).write("llm", _llm_frame(n_days=3))
    code = textwrap.dedent(
        f"""
        import numpy as np, pandas as pd, sys
        from emkit.store import SQLiteFeatureStore
        index = pd.MultiIndex.from_product(
            [[f"q{{i}}" for i in range(400)], pd.date_range("2024-01-01", periods=365).date],
            names=["patient_id", "date"])
        frame = pd.DataFrame(np.ones((len(index), 64), dtype=np.float32), index=index,
                             columns=[f"llm_emb_{{i:03d}}" for i in range(64)])
        frame["llm_perplexity"] = 3.0
        print("writing", flush=True)
        SQLiteFeatureStore(path={str(path)!r}).write("llm", frame)
        print("done", flush=True)
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "writing"
        time.sleep(0.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    store = SQLiteFeatureStore(path=path)
    back = store.read("llm")
    # either nothing of the killed write is visible, or all of it is (if it finished first)
    assert len(back) in (6, 6 + 400 * 365)
    if len(back) == 6:
        pd.testing.assert_frame_equal(
            back, _llm_frame(n_days=3), check_dtype=False, check_index_type=False
        )
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_parquet_export_import(tmp_path):
    store = SQLiteFeatureStore(path=tmp_path / "f.db")
    frame = _llm_frame()
    store.write("llm", frame)
    assert store.export_parquet("llm", tmp_path / "llm.parquet") == len(frame)
    other = SQLiteFeatureStore(path=tmp_path / "g.db")
    assert other.import_parquet("copy", tmp_path / "llm.parquet") == len(frame)
    pd.testing.assert_frame_equal(other.read("copy"), store.read("llm"))
    (tmp_path / "bad.parquet").write_text("nope")
    with pytest.raises(FeatureStoreError, match=r"bad\.parquet"):
        other.import_parquet("x", tmp_path / "bad.parquet")


def test_finished_days(tmp_path):
    store = SQLiteFeatureStore(path=tmp_path / "f.db")
    assert store.finished_days("llm") == set()
    store.write("llm", _llm_frame(n_days=2, patients=("p1",)))
    assert store.finished_days("llm") == {("p1", dt.date(2024, 1, 1)), ("p1", dt.date(2024, 1, 2))}


def test_a_connection_string_is_not_taken_for_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FeatureStoreError, match="--store-backend") as caught:
        SQLiteFeatureStore(path="postgresql://emkit:pw@db/emkit")
    assert "pw" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # nothing created

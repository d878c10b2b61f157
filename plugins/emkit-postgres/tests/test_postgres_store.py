"""The ``postgres`` feature store against a real PostgreSQL 16 server (pgserver, unix socket).

Conformance kit (both embedding column types), lossless float32 embeddings, the seed's columns,
versions, interrupted writes, a killed writer, the connection string from the environment and
the one-line errors of a server that is down, refused credentials and a missing database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest
from emkit_postgres import DSN_ENV, PostgresFeatureStore, StoreConnectionError, redact

import emkit
from emkit.testing import feature_store_checks, parametrize_with_checks


def _namespace(folder: Path) -> str:
    return "t_" + hashlib.sha1(str(folder).encode()).hexdigest()[:16]


class StoreAt:
    """Kit factory: ``factory(folder)`` opens the store of ``folder`` (its own schema)."""

    def __init__(self, dsn: str, **options):
        self.dsn = dsn
        self.options = options

    def __call__(self, folder: Path) -> PostgresFeatureStore:
        return PostgresFeatureStore(dsn=self.dsn, namespace=_namespace(folder), **self.options)

    def __repr__(self) -> str:
        return f"postgres{self.options or ''}"


@pytest.fixture
def store(pg_dsn, tmp_path) -> PostgresFeatureStore:
    return StoreAt(pg_dsn)(tmp_path)


@pytest.mark.parametrize("check", feature_store_checks(), ids=lambda c: c.__name__)
def test_conformance(pg_dsn, check):
    check(StoreAt(pg_dsn))


@parametrize_with_checks([lambda: "real[]"], feature_store_checks()[:4])
def test_conformance_real_array_embeddings(pg_dsn, factory, check):
    check(StoreAt(pg_dsn, embedding_format=factory()))


def test_registered_and_opened_by_name(pg_dsn, tmp_path):
    store = emkit.open_feature_store("postgres", pg_dsn, namespace=_namespace(tmp_path))
    assert isinstance(store, PostgresFeatureStore)
    assert "postgres" in emkit.feature_store_names()
    with pytest.raises(emkit.InvalidOptionsError, match="namespce"):
        emkit.get_feature_store("postgres", dsn=pg_dsn, namespce="x")


def _llm_frame(n_days=5, n_embd=4, patients=("p1", "p2"), seed=0):
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [list(patients), pd.date_range("2024-01-01", periods=n_days).date],
        names=list(emkit.FEATURE_INDEX),
    )
    emb = rng.normal(size=(len(index), n_embd)).astype(np.float32)
    frame = pd.DataFrame(emb, index=index, columns=[f"llm_emb_{i:03d}" for i in range(n_embd)])
    frame["llm_perplexity"] = rng.uniform(1, 50, len(index))
    frame["llm_perplexity_trend_7d"] = np.where(rng.random(len(index)) < 0.3, np.nan, 1.5)
    frame["lex_tokens"] = rng.integers(0, 100, len(index)).astype(float)
    return frame


@pytest.mark.parametrize("embedding_format", ["real[]", "bytea"])
def test_float32_embeddings_and_seed_columns(pg_dsn, tmp_path, embedding_format):
    store = StoreAt(pg_dsn, embedding_format=embedding_format)(tmp_path)
    frame = _llm_frame()
    frame.iloc[0, 0] = np.float32(np.nan)  # a NaN inside an embedding survives too
    assert store.write("llm", frame) == len(frame)
    back = store.read("llm")
    pd.testing.assert_frame_equal(back, frame.sort_index(), check_index_type=False)
    assert back.filter(like="llm_emb_").dtypes.eq(np.float32).all()
    assert type(back.index[0][1]) is dt.date
    with psycopg.connect(pg_dsn) as conn:
        row = conn.execute(
            f"SELECT llm_embedding, llm_perplexity, llm_perplexity_trend, features "
            f"FROM {store.namespace}.feature_windows WHERE patient_id = 'p1' AND date = %s",
            (dt.date(2024, 1, 2),),
        ).fetchone()
    second = frame.loc[("p1", dt.date(2024, 1, 2))]
    if embedding_format == "bytea":
        embedding = np.frombuffer(row[0], dtype=np.float32)
    else:
        embedding = np.array(row[0], dtype=np.float32)
    np.testing.assert_array_equal(embedding, second.filter(like="llm_emb_").to_numpy(np.float32))
    assert row[1] == second["llm_perplexity"]
    assert len(row[3]) == 3  # perplexity, trend and lex_tokens as float8[]


def test_versions_and_as_of(store):
    frame = _llm_frame()
    store.write("llm", frame)
    time.sleep(0.01)
    mid = dt.datetime.now(dt.UTC)
    time.sleep(0.01)
    store.write("llm", frame.drop(columns=["lex_tokens"]))
    assert [v.version for v in store.versions("llm")] == [1, 2]
    assert isinstance(store.versions("llm")[0], emkit.FeatureSetVersion)
    assert "lex_tokens" not in store.read("llm").columns
    assert "lex_tokens" in store.read("llm", version=1).columns
    assert "lex_tokens" in store.read("llm", as_of=mid).columns
    assert "lex_tokens" in store.read("llm", as_of=mid.replace(tzinfo=None)).columns
    with pytest.raises(emkit.FeatureStoreError, match="no version 7"):
        store.read("llm", version=7)
    with pytest.raises(emkit.FeatureStoreError, match="no feature set 'nope'"):
        store.read("nope")
    with pytest.raises(emkit.FeatureStoreError, match="no feature set 'nope'"):
        store.schema("nope")
    assert set(store.read("llm", patients=["p2"]).index.get_level_values(0)) == {"p2"}
    assert len(store.read("llm", as_of=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))) == 0
    assert store.feature_sets() == ["llm"]


def test_as_of_read_during_a_slow_write_is_repeatable(pg_dsn, tmp_path):
    """A write in flight (its ``written_at`` taken, not committed) is not missed by a read."""
    writer, reader = StoreAt(pg_dsn)(tmp_path), StoreAt(pg_dsn)(tmp_path)
    table = f"{_namespace(tmp_path)}.feature_windows"
    writer.write("llm", _llm_frame(patients=("p1",)))
    blocker = psycopg.connect(pg_dsn)  # holds the table: the next write stops at its COPY
    blocker.execute(f"LOCK TABLE {table} IN SHARE MODE")
    slow = threading.Thread(target=writer.write, args=("llm", _llm_frame(patients=("p2",))))
    slow.start()
    with psycopg.connect(pg_dsn, autocommit=True) as watch:
        for _ in range(200):
            waiting = watch.execute(
                "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted",
                (table,),
            ).fetchone()
            if waiting and waiting[0]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the second write never reached its COPY")
    instant = dt.datetime.now(dt.UTC)  # after the slow write took its written_at
    during: list[pd.DataFrame] = []
    read = threading.Thread(target=lambda: during.append(reader.read("llm", as_of=instant)))
    read.start()
    read.join(timeout=1.0)
    blocker.commit()  # the slow write goes on and commits
    blocker.close()
    slow.join(timeout=20)
    read.join(timeout=20)
    later = reader.read("llm", as_of=instant)
    assert set(later.index.get_level_values(0)) == {"p1", "p2"}
    pd.testing.assert_frame_equal(during[0], later)


def test_bad_frames_are_refused(store):
    frame = _llm_frame()
    with pytest.raises(emkit.FeatureStoreError, match="indexed by"):
        store.write("x", frame.reset_index())
    with pytest.raises(emkit.FeatureStoreError, match="non-numeric"):
        store.write("x", frame.assign(note="a"))
    assert store.feature_sets() == []


def test_failure_mid_write_leaves_the_store_as_it_was(store, monkeypatch):
    frame = _llm_frame()
    store.write("llm", frame)
    before = store.read("llm")
    real_copy = PostgresFeatureStore._copy_rows

    def copy_then_fail(self, cur, *args):
        real_copy(self, cur, *args)  # the rows are sent, then the write fails before COMMIT
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(PostgresFeatureStore, "_copy_rows", copy_then_fail)
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.write("llm", frame.assign(llm_perplexity=0.0, extra=1.0))
    monkeypatch.undo()
    pd.testing.assert_frame_equal(store.read("llm"), before)
    assert [v.version for v in store.versions("llm")] == [1]


@pytest.mark.slow
def test_killed_writer_leaves_the_store_consistent(pg_dsn, tmp_path):
    store = StoreAt(pg_dsn)(tmp_path)
    store.write("llm", _llm_frame(n_days=3))
    code = textwrap.dedent(
        f"""
        import numpy as np, pandas as pd
        from emkit_postgres import PostgresFeatureStore
        index = pd.MultiIndex.from_product(
            [[f"q{{i}}" for i in range(300)], pd.date_range("2024-01-01", periods=365).date],
            names=["patient_id", "date"])
        frame = pd.DataFrame(np.ones((len(index), 64), dtype=np.float32), index=index,
                             columns=[f"llm_emb_{{i:03d}}" for i in range(64)])
        frame["llm_perplexity"] = 3.0
        store = PostgresFeatureStore(dsn={pg_dsn!r}, namespace={store.namespace!r})
        print("writing", flush=True)
        store.write("llm", frame)
        print("done", flush=True)
        """
    )
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "writing"
        time.sleep(1.0)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    back = StoreAt(pg_dsn)(tmp_path).read("llm")
    assert len(back) in (6, 6 + 300 * 365)
    if len(back) == 6:
        pd.testing.assert_frame_equal(back, _llm_frame(n_days=3), check_index_type=False)


def test_parquet_export_import_between_stores(store, tmp_path):
    frame = _llm_frame()
    store.write("llm", frame)
    assert store.export_parquet("llm", tmp_path / "llm.parquet") == len(frame)
    sqlite = emkit.open_feature_store("sqlite", tmp_path / "f.db")
    sqlite.import_parquet("llm", tmp_path / "llm.parquet")
    pd.testing.assert_frame_equal(sqlite.read("llm"), store.read("llm"))
    assert store.import_parquet("copy", tmp_path / "llm.parquet") == len(frame)
    pd.testing.assert_frame_equal(store.read("copy"), store.read("llm"))


def test_connection_string_from_the_environment(pg_dsn, tmp_path, monkeypatch):
    monkeypatch.setenv(DSN_ENV, pg_dsn)
    store = PostgresFeatureStore(namespace=_namespace(tmp_path))
    store.write("x", _llm_frame(n_days=1))
    assert len(store.read("x")) == 2
    monkeypatch.delenv(DSN_ENV)
    with pytest.raises(emkit.FeatureStoreError, match=DSN_ENV):
        PostgresFeatureStore()


def test_embedding_format_is_kept_by_an_existing_store(pg_dsn, tmp_path):
    assert StoreAt(pg_dsn)(tmp_path / "default").embedding_format == "bytea"
    StoreAt(pg_dsn, embedding_format="real[]")(tmp_path)
    assert StoreAt(pg_dsn)(tmp_path).embedding_format == "real[]"
    with pytest.raises(emkit.FeatureStoreError, match=r"stored as real\[\]"):
        StoreAt(pg_dsn, embedding_format="bytea")(tmp_path)


# -- connection errors: one line naming host and database, never the password --------------

PASSWORD = "Sup3r-s3cret!pw"


@pytest.fixture(scope="module")
def password_role(pg_server):
    """A role that must give its password (pg_hba: scram-sha-256 for roles but postgres)."""
    pg_server.psql(
        "DROP ROLE IF EXISTS emkit_writer; "
        f"CREATE ROLE emkit_writer LOGIN PASSWORD '{PASSWORD}'; "
        "GRANT CREATE ON DATABASE postgres TO emkit_writer;"
    )
    return "emkit_writer"


def _socket_dir(pg_dsn: str) -> str:
    return pg_dsn.split("host=")[1]


def _assert_one_clean_line(message: str, host: str, database: str) -> None:
    assert "\n" not in message, message
    assert f"host {host}" in message, message
    assert f"database {database}" in message, message
    assert PASSWORD not in message, message


def test_the_right_password_works(pg_dsn, password_role, tmp_path):
    dsn = f"postgresql://{password_role}:{PASSWORD}@/postgres?host={_socket_dir(pg_dsn)}"
    store = PostgresFeatureStore(dsn=dsn, namespace=_namespace(tmp_path))
    store.write("x", _llm_frame(n_days=1))
    assert PASSWORD not in repr(store) + str(store) + repr(store.options)


def test_bad_credentials(pg_dsn, password_role):
    host = _socket_dir(pg_dsn)
    dsn = f"postgresql://{password_role}:wrong-{PASSWORD}@/postgres?host={host}"
    with pytest.raises(StoreConnectionError) as caught:
        PostgresFeatureStore(dsn=dsn)
    message = str(caught.value)
    _assert_one_clean_line(message, host, "postgres")
    assert f"wrong-{PASSWORD}" not in message
    assert "refused the credentials of user emkit_writer" in message


def test_missing_database(pg_dsn):
    host = _socket_dir(pg_dsn)
    with pytest.raises(StoreConnectionError) as caught:
        PostgresFeatureStore(dsn=f"postgresql://postgres:{PASSWORD}@/no_such_db?host={host}")
    _assert_one_clean_line(str(caught.value), host, "no_such_db")
    assert "database does not exist" in str(caught.value)


def test_server_down(start_pg, tmp_path):
    server = start_pg(tmp_path / "down")
    host = _socket_dir(server.get_uri())
    dsn = f"postgresql://postgres:{PASSWORD}@/postgres?host={host}"
    store = PostgresFeatureStore(dsn=dsn)  # up: the store opens
    server.cleanup()  # the server stops
    store.close()
    with pytest.raises(StoreConnectionError) as caught:
        store.read("x")
    _assert_one_clean_line(str(caught.value), host, "postgres")
    assert "server is down or unreachable" in str(caught.value)
    with pytest.raises(StoreConnectionError) as caught:
        PostgresFeatureStore(dsn=dsn)
    _assert_one_clean_line(str(caught.value), host, "postgres")


def test_an_unparsable_connection_string_is_not_quoted():
    with pytest.raises(emkit.FeatureStoreError, match="bad connection string") as caught:
        PostgresFeatureStore(dsn="host=h password=sec ret")
    assert '"ret"' not in str(caught.value)
    assert "sec" not in str(caught.value)


def test_redact_removes_passwords_in_every_spelling():
    assert redact("postgresql://u:pw@h/db failed") == "postgresql://u:***@h/db failed"
    assert redact("host=h password=pw dbname=d") == "host=h password=*** dbname=d"
    assert "pw9" not in redact("echo pw9 here", "postgresql://u:pw9@h/d")


@pytest.mark.parametrize("spelling", ["{pw}", "'{pw}'"], ids=["bare", "quoted"])
def test_keyword_connection_string_is_shown_without_its_password(
    pg_dsn, password_role, tmp_path, spelling
):
    from typer.testing import CliRunner

    from emkit.cli import app
    from emkit.synth import synthesize_cohort

    synthesize_cohort(tmp_path / "cohort", patients=1, days=3)
    host = _socket_dir(pg_dsn)
    password = spelling.format(pw=PASSWORD)
    dsn = f"host={host} dbname=postgres user={password_role} password={password}"
    result = CliRunner().invoke(
        app,
        [
            "features",
            str(tmp_path / "cohort"),
            "--store-backend",
            "postgres",
            "--store",
            dsn,
            "--store-option",
            f"namespace={_namespace(tmp_path)}",
        ],
        env={**os.environ, "COLUMNS": "400"},
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output, result.output
    assert "a password in --store is visible to other users" in result.output
    shown = f"host={host} dbname=postgres user={password_role} password=***"
    assert f"3 patient-days written to {shown} (feature set 'features')" in result.output


def test_no_password_in_the_cli_output(pg_dsn, password_role, tmp_path):
    from typer.testing import CliRunner

    from emkit.cli import app
    from emkit.synth import synthesize_cohort

    synthesize_cohort(tmp_path / "cohort", patients=1, days=3)
    host = _socket_dir(pg_dsn)
    dsn = f"postgresql://{password_role}:wrong-{PASSWORD}@/postgres?host={host}"
    env = {**os.environ, DSN_ENV: dsn}
    result = CliRunner().invoke(
        app, ["features", str(tmp_path / "cohort"), "--store-backend", "postgres"], env=env
    )
    assert result.exit_code != 0
    text = result.output + str(result.exception)
    assert PASSWORD not in text, text
    assert f"host {host}" in text, text

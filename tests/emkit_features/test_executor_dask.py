"""``emkit features --executor dask`` on a 2-worker ``LocalCluster`` (processes), against the
SQLite and the PostgreSQL stores: the same rows as the in-process run, value by value; one
extractor load per worker; resume; a failed patient reported while the others are written."""

from __future__ import annotations

import functools
import shutil
import warnings

import pandas as pd
import pytest
from typer.testing import CliRunner

import emkit
from emkit.cli import app
from emkit.cli.commands.features import FeatureJob, PatientTask, extract_patient
from emkit.store import SQLiteFeatureStore
from emkit.synth import synthesize_cohort

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    ) as local:
        yield local


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return synthesize_cohort(tmp_path_factory.mktemp("c") / "cohort", patients=6, days=15)


@pytest.fixture(scope="module")
def pg_dsn(tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset
        import pgserver

        server = pgserver.get_server(tmp_path_factory.mktemp("pg") / "data", cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()


def _features(*args):
    return CliRunner().invoke(app, ["features", *map(str, args)])


def _store_args(kind, tmp_path, pg_dsn, name):
    if kind == "sqlite":
        return ["--store", tmp_path / f"{name}.db"]
    return ["--store-backend", "postgres", "--store", pg_dsn, "--store-option", f"namespace={name}"]


def _read(kind, tmp_path, pg_dsn, name):
    if kind == "sqlite":
        return SQLiteFeatureStore(path=tmp_path / f"{name}.db").read("features")
    return emkit.open_feature_store("postgres", pg_dsn, namespace=name).read("features")


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_cluster_writes_the_same_rows_as_the_in_process_run(
    cluster, cohort, tmp_path, pg_dsn, kind
):
    tag = f"{kind}_{tmp_path.name}"[-40:].lower()
    serial = _features(cohort, *_store_args(kind, tmp_path, pg_dsn, f"s_{tag}"))
    assert serial.exit_code == 0, serial.output
    dask_args = [*_store_args(kind, tmp_path, pg_dsn, f"d_{tag}"), "--executor", "dask"]
    scheduler = ["--scheduler", cluster.scheduler_address]
    fanned = _features(cohort, *dask_args, *scheduler)
    assert fanned.exit_code == 0, fanned.output
    assert "90 patient-days written" in fanned.output
    in_process = _read(kind, tmp_path, pg_dsn, f"s_{tag}")
    on_cluster = _read(kind, tmp_path, pg_dsn, f"d_{tag}")
    assert len(on_cluster) == 90
    pd.testing.assert_frame_equal(on_cluster, in_process, check_exact=True)
    assert emkit.FeatureSchema.of(on_cluster) == emkit.FeatureSchema.of(in_process)
    again = _features(cohort, *dask_args, *scheduler)
    assert again.exit_code == 0, again.output
    assert "6 finished patients skipped" in again.output
    pd.testing.assert_frame_equal(_read(kind, tmp_path, pg_dsn, f"d_{tag}"), on_cluster)


def test_each_worker_loads_the_extractor_once(cluster, cohort, tmp_path):
    job = FeatureJob(
        extractors=(("lexical", "{}"),),
        store_backend="sqlite",
        store_location=str(tmp_path / "f.db"),
        store_options="{}",
        feature_set="features",
    )
    tasks = [PatientTask(p.patient_id, str(p.path), frozenset()) for p in emkit.read_cohort(cohort)]
    with emkit.get_executor("dask", scheduler=cluster.scheduler_address) as executor:
        outcomes = [
            r for _, r in executor.map_unordered(functools.partial(extract_patient, job), tasks)
        ]
    assert all(o.error is None for o in outcomes), outcomes
    processes = {o.process for o in outcomes}
    assert len(outcomes) == 6
    assert 1 <= len(processes) <= 2
    assert sum(o.loaded for o in outcomes) == len(processes)  # once per worker process


def test_a_failed_patient_does_not_stop_the_cluster_run(cluster, cohort, tmp_path):
    broken = tmp_path / "cohort"
    shutil.copytree(cohort, broken)
    (broken / "p004" / "messages" / "junk.txt").write_text("x\n")
    store = tmp_path / "f.db"
    args = ["--store", store, "--executor", "dask", "--scheduler", cluster.scheduler_address]
    result = _features(broken, *args)
    assert result.exit_code != 0
    assert "patient p004 failed" in result.output, result.output
    assert "junk.txt" in str(result.exception)
    written = SQLiteFeatureStore(path=store).read("features")
    assert sorted(set(written.index.get_level_values(0))) == [
        "p001",
        "p002",
        "p003",
        "p005",
        "p006",
    ]


def test_workers_start_and_stop_a_local_cluster(cohort, tmp_path):
    result = _features(cohort, "--store", tmp_path / "f.db", "--executor", "dask", "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "90 patient-days written" in result.output

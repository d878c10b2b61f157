"""Executors: the ``serial`` default, the executor hook, and ``emkit features``' per-patient tasks
(failures reported by patient, resume, no Dask import unless asked)."""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import ClassVar

import pandas as pd
import pytest
from typer.testing import CliRunner

import emkit
from emkit.cli import app
from emkit.store import SQLiteFeatureStore
from emkit.synth import synthesize_cohort


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return synthesize_cohort(tmp_path_factory.mktemp("c") / "cohort", patients=4, days=12)


def _features(*args):
    return CliRunner().invoke(app, ["features", *map(str, args)])


def _halve(x):
    if x == 3:
        raise ValueError("three is odd")
    return x / 2


def test_serial_executor_yields_failures_and_goes_on():
    executor = emkit.get_executor("serial")
    with executor:
        results = dict(executor.map_unordered(_halve, [2, 3, 4]))
    assert results[0] == 1
    assert results[2] == 2
    assert isinstance(results[1], ValueError)
    assert "serial" in emkit.executor_names()


class _ReversedExecutor(emkit.Executor):
    """Runs the items last first: ``emkit features`` must not depend on the order."""

    name: ClassVar[str] = "test-reversed"
    closed: ClassVar[list[bool]] = []

    def map_unordered(self, task, items) -> Iterator:
        for position in reversed(range(len(items))):
            yield position, task(items[position])

    def close(self) -> None:
        self.closed.append(True)


class _ExecutorPlugin:
    @emkit.hookimpl
    def emkit_register_executors(self, register):
        register(_ReversedExecutor)


def test_emkit_register_executors_hook_runs_features_through_a_plugin(cohort, tmp_path):
    name = emkit.plugins.host.register(_ExecutorPlugin(), name="test-executor-plugin")
    try:
        assert "test-reversed" in emkit.executor_names()
        result = _features(cohort, "--store", tmp_path / "r.db", "--executor", "test-reversed")
        assert result.exit_code == 0, result.output
        assert _ReversedExecutor.closed == [True]
    finally:
        emkit.plugins.host.unregister(name)
    assert _features(cohort, "--store", tmp_path / "s.db").exit_code == 0
    reversed_rows = SQLiteFeatureStore(path=tmp_path / "r.db").read("features")
    serial_rows = SQLiteFeatureStore(path=tmp_path / "s.db").read("features")
    pd.testing.assert_frame_equal(reversed_rows, serial_rows, check_exact=True)


def test_a_failed_patient_is_reported_and_the_others_are_written(cohort, tmp_path):
    import shutil

    broken = tmp_path / "cohort"
    shutil.copytree(cohort, broken)
    bad_file = broken / "p002" / "messages" / "not-a-date.txt"
    bad_file.write_text("10:00\thola\n")
    store = tmp_path / "f.db"
    result = _features(broken, "--store", store)
    assert result.exit_code != 0
    text = result.output + str(result.exception)
    assert "patient p002 failed" in result.output, result.output
    assert "1 of 4 patients failed" in text, text
    assert "not-a-date.txt" in text, text
    written = SQLiteFeatureStore(path=store).read("features")
    assert sorted(set(written.index.get_level_values(0))) == ["p001", "p003", "p004"]
    bad_file.unlink()  # fixed: the rerun does only the failed patient
    again = _features(broken, "--store", store)
    assert again.exit_code == 0, again.output
    assert "12 patient-days written" in again.output
    assert "3 finished patients skipped" in again.output


def test_executor_option_errors_are_clear(cohort, tmp_path):
    db = tmp_path / "f.db"
    result = _features(cohort, "--store", db, "--executor", "dsak")
    assert "dsak" in str(result.exception) + result.output
    result = _features(cohort, "--store", db, "--workers", "2")
    assert "workers" in str(result.exception), result.exception
    result = _features(cohort, "--store", db, "--scheduler", "tcp://h:1", "--workers", "2")
    assert "exclude each other" in str(result.exception)


def test_the_default_run_imports_no_dask(cohort, tmp_path):
    code = textwrap.dedent(
        f"""
        import sys
        from typer.testing import CliRunner
        from emkit.cli import app
        result = CliRunner().invoke(
            app, ["features", {str(cohort)!r}, "--store", {str(tmp_path / "f.db")!r}])
        assert result.exit_code == 0, result.output
        assert "48 patient-days written" in result.output, result.output
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed"))
        print("loaded:", loaded)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "loaded: []" in out.stdout, out.stdout + out.stderr
    assert "dask" in emkit.executor_names()  # installed, registered, yet not imported


@pytest.mark.parametrize(
    "location",
    [
        "postgresql://writer:s3cret-pw@db.example/emkit",
        "host=db.example dbname=emkit user=writer password=s3cret-pw",
        "host=db.example dbname=emkit user=writer password='s3cret-pw'",
    ],
)
def test_a_job_never_shows_the_store_password(location):
    from emkit.cli.commands.features import FeatureJob, extract_patient

    job = FeatureJob(
        extractors=(("lexical", "{}"),),
        store_backend="postgres",
        store_location=location,
        store_options='{"namespace": "cohort_a"}',
        feature_set="features",
    )
    task = functools.partial(extract_patient, job)  # what an executor ships and logs
    for shown in (repr(job), str(job), repr(task), f"{job}", repr([job])):
        assert "s3cret-pw" not in shown, shown
        assert "db.example" in shown, shown
        assert "cohort_a" in shown, shown
    assert job.store_location == location  # the worker still opens the store with it

"""``emkit features``: cohort → feature extractors → feature store, one task per patient.

Each patient is one task, :func:`extract_patient`: it reads the patient's folder, runs the
extractors over its days and writes them to the store in one write (atomic per patient). An
:class:`~emkit.Executor` runs the tasks: ``serial`` (the default) in this process, or a
plugin's executor (``--executor dask``) on a cluster. A process keeps the extractors and the
store it loaded for the tasks that follow, so each worker loads a model once.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from emkit.cli.options import (
    DEFAULT_STORE_BACKEND,
    ExecutorName,
    ExecutorOptions,
    SchedulerAddress,
    StoreBackend,
    StoreOptions,
    WorkerCount,
    parse_options,
)
from emkit.errors import EmkitError

if TYPE_CHECKING:
    from emkit.interfaces import FeatureExtractor, FeatureStore

#: The executor ``--executor`` names when not given: every patient in turn, in this process.
DEFAULT_EXECUTOR = "serial"


def parse_extractor_options(extractors: list[str], options: list[str]) -> dict[str, dict[str, Any]]:
    """``["minillm.batch_size=32"]`` → ``{"minillm": {"batch_size": 32}}`` (JSON values, else text).

    Raises:
        EmkitError: an option not written ``extractor.key=value`` or naming an extractor that was
            not selected.
    """
    return parse_options(extractors, options, kind="extractor")


@dataclass(frozen=True)
class FeatureJob:
    """What every patient task of one run shares: the extractors, the store, the feature set.

    Options are kept as JSON text so that the job pickles to any worker and names its cache
    entry there. Its ``repr`` and ``str`` (what a cluster's logs and dashboards show of a task's
    arguments) hide a password in :attr:`store_location`; to keep it off the scheduler too,
    leave ``--store`` out and set ``$EMKIT_STORE_DSN`` on the workers.

    Attributes:
        extractors: ``(name, options as JSON)`` of each extractor, in column order.
        store_backend: Registered name of the store.
        store_location: The store's location (``None``: the store's own default, such as
            ``$EMKIT_STORE_DSN`` read on the worker).
        store_options: The store's other options, as JSON.
        feature_set: Feature set the rows go to.
    """

    extractors: tuple[tuple[str, str], ...]
    store_backend: str
    store_location: str | None
    store_options: str
    feature_set: str

    def __repr__(self) -> str:
        """The job's fields, the store location's password hidden."""
        from emkit.store import redact_password

        location = None if self.store_location is None else redact_password(self.store_location)
        return (
            f"FeatureJob(extractors={self.extractors!r}, store_backend={self.store_backend!r}, "
            f"store_location={location!r}, store_options={redact_password(self.store_options)!r}, "
            f"feature_set={self.feature_set!r})"
        )

    __str__ = __repr__


@dataclass(frozen=True)
class PatientTask:
    """One patient to extract.

    Attributes:
        patient_id: The patient.
        path: The patient's folder (workers on other machines need it on a shared file system).
        finished: Days of the patient already in the feature set's latest version.
    """

    patient_id: str
    path: str
    finished: frozenset[dt.date]


@dataclass(frozen=True)
class PatientOutcome:
    """What one task did.

    Attributes:
        patient_id: The patient.
        days_written: Patient-days written (0 when skipped or failed).
        skipped: Every day was already stored (a resumed run).
        error: ``"Type: message"`` when the patient failed, else ``None``.
        loaded: Whether this task loaded the extractors (the first task of its process).
        process: ``host:pid`` of the process that ran it.
    """

    patient_id: str
    days_written: int = 0
    skipped: bool = False
    error: str | None = None
    loaded: bool = False
    process: str = ""


# Extractors and stores loaded by this process, per job: a worker loads them once per run.
_LOADED: dict[FeatureJob, tuple[list[FeatureExtractor], FeatureStore]] = {}
_LOADED_LOCK = threading.Lock()
_KEEP_JOBS = 2


def _open_store(job: FeatureJob) -> FeatureStore:
    from emkit.store import open_feature_store

    return open_feature_store(
        job.store_backend, job.store_location, **json.loads(job.store_options)
    )


def _load(
    job: FeatureJob,
    extractors: list[FeatureExtractor] | None = None,
    store: FeatureStore | None = None,
) -> tuple[list[FeatureExtractor], FeatureStore, bool]:
    """The job's extractors and store in this process, loading them on first use."""
    from emkit.plugins import get_feature_extractor

    with _LOADED_LOCK:
        if job in _LOADED:
            return (*_LOADED[job], False)
        if extractors is None:
            extractors = [
                get_feature_extractor(name, **json.loads(options))
                for name, options in job.extractors
            ]
        if store is None:
            store = _open_store(job)
        while len(_LOADED) >= _KEEP_JOBS:  # a long-lived worker keeps the latest runs only
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[job] = (extractors, store)
        return extractors, store, True


def _forget(job: FeatureJob) -> None:
    with _LOADED_LOCK:
        _LOADED.pop(job, None)


def extract_patient(job: FeatureJob, task: PatientTask) -> PatientOutcome:
    """Extract one patient's features and write them to the store (one atomic write).

    Skips the patient when every one of its days is in ``task.finished``. Any error of the
    patient (a malformed file, an extractor or store failure) is returned in
    :attr:`PatientOutcome.error`, so that the other patients go on.
    """
    import pandas as pd

    from emkit.dataset import read_patient
    from emkit.features.schema import FeatureSchema

    process = f"{socket.gethostname()}:{os.getpid()}"
    loaded = False
    try:
        extractors, store, loaded = _load(job)
        days = read_patient(task.path).days()
        if days and all(d.date in task.finished for d in days):
            return PatientOutcome(task.patient_id, skipped=True, loaded=loaded, process=process)
        frames = [instance.transform(days) for instance in extractors]
        frame = pd.concat(frames, axis=1) if frames else pd.DataFrame()
        written = 0
        if len(frame):
            schema = FeatureSchema.merge(*(instance.schema() for instance in extractors))
            written = store.write(job.feature_set, frame, schema=schema)
    except Exception as exc:  # reported with the patient's id; the other patients go on
        error = " ".join(f"{type(exc).__name__}: {exc}".split())
        return PatientOutcome(task.patient_id, error=error, loaded=loaded, process=process)
    return PatientOutcome(task.patient_id, days_written=written, loaded=loaded, process=process)


def features_command(
    cohort: Annotated[Path, typer.Argument(help="Cohort folder (one sub-folder per patient).")],
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Where the feature store is: for sqlite the file (created if missing), for "
            "postgres a postgresql://HOST/DB connection string (default $EMKIT_STORE_DSN).",
        ),
    ] = None,
    extractor: Annotated[
        list[str] | None,
        typer.Option("--extractor", "-e", help="Feature extractor (repeatable; default lexical)."),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="Extractor option EXTRACTOR.KEY=VALUE (repeatable)."),
    ] = None,
    feature_set: Annotated[
        str, typer.Option("--feature-set", help="Feature set name.")
    ] = "features",
    store_backend: StoreBackend = DEFAULT_STORE_BACKEND,
    store_option: StoreOptions = None,
    executor: ExecutorName = DEFAULT_EXECUTOR,
    executor_option: ExecutorOptions = None,
    scheduler: SchedulerAddress = None,
    workers: WorkerCount = None,
) -> None:
    """Compute per-day features of COHORT and write them to --store.

    The store is opened by name (``--store-backend``, default sqlite) and receives the
    extractors' feature schemas (column roles) with the rows. Each patient is one task, run by
    ``--executor`` (default serial: in this process; dask: on a local or running Dask
    cluster). Resumable: a patient whose days are all in the latest version of the feature set
    is skipped; an interrupted patient is recomputed (temporal features need its earlier
    days). A patient that fails is reported with its id and error, and the others go on; the
    command then ends with an error.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from _sdk.cli import console
    from emkit.cli.options import executor_options, store_options
    from emkit.dataset import read_cohort
    from emkit.plugins import get_executor, get_feature_extractor
    from emkit.store import has_password, redact_password

    names = extractor or ["lexical"]
    per_extractor = parse_extractor_options(names, option or [])
    instances = [get_feature_extractor(name, **per_extractor[name]) for name in names]
    for instance in instances:
        if instance.requires_fit:
            raise EmkitError(
                f"feature extractor {instance.name!r} must be fitted on a training split; "
                "fit it with the Python API (FeatureExtractor.fit) instead"
            )
    if store is None and store_backend == DEFAULT_STORE_BACKEND:
        raise EmkitError(f"--store: give the {DEFAULT_STORE_BACKEND} store's file")
    if store is not None and has_password(store):
        console.print(
            "[yellow]warning:[/] a password in --store is visible to other users of this "
            "machine; give it through EMKIT_STORE_DSN, PGPASSWORD or ~/.pgpass instead"
        )
    run_executor = get_executor(executor, **executor_options(executor_option, scheduler, workers))
    patients = read_cohort(cohort)
    job = FeatureJob(
        extractors=tuple((name, json.dumps(per_extractor[name], sort_keys=True)) for name in names),
        store_backend=store_backend,
        store_location=store,
        store_options=json.dumps(store_options(store_option), sort_keys=True),
        feature_set=feature_set,
    )
    # Opened here first: a bad location fails before any work, and a new store is created once.
    _, feature_store, _ = _load(job, instances)
    finished: dict[str, set[dt.date]] = {}
    for patient_id, date in feature_store.finished_days(feature_set):
        finished.setdefault(patient_id, set()).add(date)
    tasks = [
        PatientTask(p.patient_id, str(p.path.resolve()), frozenset(finished.get(p.patient_id, ())))
        for p in patients
    ]
    written = skipped = 0
    failures: list[str] = []
    columns = (
        TextColumn("[bold]features"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[patient]}"),
        TimeElapsedColumn(),
    )
    try:
        with run_executor, Progress(*columns, console=console) as progress:
            bar = progress.add_task("features", total=len(tasks), patient="")
            task = functools.partial(extract_patient, job)
            for position, result in run_executor.map_unordered(task, tasks):
                patient_id = tasks[position].patient_id
                error = _error_of(result)
                if error is not None:
                    failures.append(f"{patient_id}: {error}")
                    progress.console.print(f"[red]patient {patient_id} failed:[/] {error}")
                elif result.skipped:
                    skipped += 1
                else:
                    written += result.days_written
                progress.update(bar, advance=1, patient=patient_id)
    finally:
        _forget(job)
    where = store if store is not None else f"the {store_backend} store"
    console.print(
        f"{written} patient-days written to {redact_password(where)} "
        f"(feature set {feature_set!r}); "
        f"{skipped} finished patients skipped"
    )
    if failures:
        raise EmkitError(
            f"{len(failures)} of {len(tasks)} patients failed (the others were written; "
            f"run again to retry them): " + "; ".join(failures)
        )


def _error_of(result: Any) -> str | None:
    """The error of a task's result: an exception from the executor, or the outcome's error."""
    if isinstance(result, BaseException):
        return " ".join(f"{type(result).__name__}: {result}".split())
    if isinstance(result, PatientOutcome):
        return result.error
    return f"unexpected result {result!r}"


def register(app: typer.Typer) -> None:
    """Add ``features`` to ``app``."""
    app.command("features")(features_command)

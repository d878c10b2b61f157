"""Options shared by emkit's commands.

``NAME.KEY=VALUE`` component options and the feature store (``--store-backend``,
``--store-option``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from _sdk.cli import parse_key_values
from emkit.errors import EmkitError
from emkit.store import DEFAULT_STORE_BACKEND

#: ``--features``: where a command reads features.
FeaturesSource = Annotated[
    str,
    typer.Option(
        "--features",
        help="Feature store (its location, for sqlite the file) or a .parquet/.csv feature file.",
    ),
]
#: ``--feature-set``: the feature set in the store.
FeatureSet = Annotated[str, typer.Option("--feature-set", help="Feature set name.")]
#: ``--labels``: labels written by ``emkit prepare``.
LabelsFile = Annotated[
    Path | None,
    typer.Option(
        "--labels",
        help="Labels written by `emkit prepare` (default: built from COHORT's events).",
    ),
]
#: ``--option``: forecaster options.
ForecasterOptions = Annotated[
    list[str] | None,
    typer.Option("--option", "-o", help="Forecaster option NAME.KEY=VALUE (repeatable)."),
]
#: ``--horizon``: horizons in days.
Horizons = Annotated[
    list[int] | None, typer.Option("--horizon", help="Horizon in days (default 7, 14, 30).")
]
#: ``--store-backend``: the registered feature store to open.
StoreBackend = Annotated[
    str,
    typer.Option(
        "--store-backend",
        help="Feature store backend: a registered store name (`emkit plugins --all`).",
    ),
]
#: ``--store-option``: the store's other options.
StoreOptions = Annotated[
    list[str] | None,
    typer.Option("--store-option", help="Feature store option KEY=VALUE (repeatable)."),
]

#: ``--executor``: where the per-patient tasks of ``emkit features`` run.
ExecutorName = Annotated[
    str,
    typer.Option(
        "--executor",
        help="Where per-patient tasks run: serial (this process, the default) or a registered "
        "executor such as dask (`emkit plugins --all`).",
    ),
]
#: ``--executor-option``: the executor's other options.
ExecutorOptions = Annotated[
    list[str] | None,
    typer.Option("--executor-option", help="Executor option KEY=VALUE (repeatable)."),
]
#: ``--scheduler``: the address of a running cluster's scheduler.
SchedulerAddress = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Scheduler of a running cluster (dask: tcp://HOST:8786); the executor's "
        "`scheduler` option.",
    ),
]
#: ``--workers``: how many workers a local cluster starts.
WorkerCount = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Workers of a cluster started on this machine (one process each); the executor's "
        "`workers` option.",
    ),
]

__all__ = [
    "DEFAULT_STORE_BACKEND",
    "ExecutorName",
    "ExecutorOptions",
    "FeatureSet",
    "FeaturesSource",
    "ForecasterOptions",
    "Horizons",
    "LabelsFile",
    "SchedulerAddress",
    "StoreBackend",
    "StoreOptions",
    "WorkerCount",
    "executor_options",
    "parse_options",
    "store_options",
]


def parse_options(
    names: Sequence[str], options: Sequence[str], kind: str = "forecaster", flag: str = "--option"
) -> dict[str, dict[str, Any]]:
    """``["gbm.max_iter=50"]`` → ``{"gbm": {"max_iter": 50}}`` (JSON values, else text).

    Each item is parsed by :func:`emkit.parse_key_values`; ``NAME.`` is then split off its key.
    ``kind`` names what the options configure ("forecaster", "extractor") in error messages.

    Raises:
        EmkitError: an option not written ``NAME.KEY=VALUE`` or for a name not selected.
    """
    parsed: dict[str, dict[str, Any]] = {name: {} for name in names}
    hint = f"write it as {kind.upper()}.OPTION=VALUE"
    for item in options:
        try:
            ((head, value),) = parse_key_values([item], flag=flag, error=EmkitError).items()
        except EmkitError:
            raise EmkitError(f"{flag} {item!r}: {hint}") from None
        name, dot, key = head.partition(".")
        if not dot or not key.strip():
            raise EmkitError(f"{flag} {item!r}: {hint}")
        if name not in parsed:
            raise EmkitError(
                f"{flag} {item!r}: {kind} {name!r} is not selected (selected: {list(names)})"
            )
        parsed[name][key.strip()] = value
    return parsed


def store_options(items: Sequence[str] | None) -> dict[str, Any]:
    """The ``--store-option KEY=VALUE`` items as the store's options."""
    return parse_key_values(items or [], flag="--store-option", error=EmkitError)


def executor_options(
    items: Sequence[str] | None, scheduler: str | None = None, workers: int | None = None
) -> dict[str, Any]:
    """``--executor-option KEY=VALUE`` items, with ``--scheduler`` and ``--workers`` when given.

    Raises:
        EmkitError: an item not written ``KEY=VALUE``, or both ``--scheduler`` and
            ``--workers`` (a running cluster has its own workers).
    """
    options = parse_key_values(items or [], flag="--executor-option", error=EmkitError)
    if scheduler is not None and workers is not None:
        raise EmkitError(
            "--scheduler and --workers exclude each other: a running cluster has its own workers"
        )
    if scheduler is not None:
        options["scheduler"] = scheduler
    if workers is not None:
        options["workers"] = workers
    return options


def reads_text(forecasters: Sequence[str]) -> bool:
    """Whether any of the named forecasters reads the day's text (``tfidf``, ``trajectory``).

    Raises:
        UnknownPluginError: a name no plugin registers, listing the valid names.
    """
    from emkit.plugins import host

    classes = [host.get_class("forecaster", name) for name in forecasters]
    return any(bool(getattr(cls, "reads_text", False)) for cls in classes)

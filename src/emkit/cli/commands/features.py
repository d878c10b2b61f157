"""``emkit features``: cohort → feature extractors → feature store (resumable)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from emkit.cli.options import DEFAULT_STORE_BACKEND, StoreBackend, StoreOptions, parse_options
from emkit.errors import EmkitError


def parse_extractor_options(extractors: list[str], options: list[str]) -> dict[str, dict[str, Any]]:
    """``["minillm.batch_size=32"]`` → ``{"minillm": {"batch_size": 32}}`` (JSON values, else text).

    Raises:
        EmkitError: an option not written ``extractor.key=value`` or naming an extractor that was
            not selected.
    """
    return parse_options(extractors, options, kind="extractor")


def features_command(
    cohort: Annotated[Path, typer.Argument(help="Cohort folder (one sub-folder per patient).")],
    store: Annotated[
        str,
        typer.Option(
            "--store", help="Where the feature store is (for sqlite, the file; created if missing)."
        ),
    ],
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
) -> None:
    """Compute per-day features of COHORT and write them to --store.

    The store is opened by name (``--store-backend``, default sqlite) and receives the
    extractors' feature schemas (column roles) with the rows. Resumable: a patient whose days
    are all in the latest version of the feature set is skipped; an interrupted patient is
    recomputed (temporal features need its earlier days).
    """
    import pandas as pd
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from _sdk.cli import console
    from emkit.cli.options import store_options
    from emkit.dataset import read_cohort
    from emkit.features.schema import FeatureSchema
    from emkit.plugins import get_feature_extractor
    from emkit.store import open_feature_store

    extractor = extractor or ["lexical"]
    per_extractor = parse_extractor_options(extractor, option or [])
    extractors = [get_feature_extractor(name, **per_extractor[name]) for name in extractor]
    for instance in extractors:
        if instance.requires_fit:
            raise EmkitError(
                f"feature extractor {instance.name!r} must be fitted on a training split; "
                "fit it with the Python API (FeatureExtractor.fit) instead"
            )
    patients = read_cohort(cohort)
    feature_store = open_feature_store(store_backend, store, **store_options(store_option))
    finished = feature_store.finished_days(feature_set)
    written = skipped = 0
    columns = (
        TextColumn("[bold]features"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[patient]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("features", total=len(patients), patient="")
        for patient in patients:
            progress.update(task, patient=patient.patient_id)
            days = patient.days()
            if days and all((d.patient_id, d.date) in finished for d in days):
                skipped += 1
                progress.advance(task)
                continue
            frames = [instance.transform(days) for instance in extractors]
            frame = pd.concat(frames, axis=1) if frames else pd.DataFrame()
            if len(frame):
                schema = FeatureSchema.merge(*(instance.schema() for instance in extractors))
                written += feature_store.write(feature_set, frame, schema=schema)
            progress.advance(task)
    console.print(
        f"{written} patient-days written to {store} (feature set {feature_set!r}); "
        f"{skipped} finished patients skipped"
    )


def register(app: typer.Typer) -> None:
    """Add ``features`` to ``app``."""
    app.command("features")(features_command)

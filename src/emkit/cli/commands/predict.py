"""``emkit predict``: each patient's latest relapse risk from a saved model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from emkit.cli.options import (
    DEFAULT_STORE_BACKEND,
    FeatureSet,
    FeaturesSource,
    StoreBackend,
    StoreOptions,
)
from emkit.errors import EmkitError

if TYPE_CHECKING:
    import pandas as pd


def predict_command(
    model: Annotated[Path, typer.Argument(help="Model folder written by `emkit train`.")],
    features: FeaturesSource,
    feature_set: FeatureSet = "features",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    store_backend: StoreBackend = DEFAULT_STORE_BACKEND,
    store_option: StoreOptions = None,
    cohort: Annotated[
        Path | None,
        typer.Option(
            "--cohort",
            help="Cohort folder whose messages give the day's text, for a text forecaster "
            "(tfidf, trajectory) when the features hold none.",
        ),
    ] = None,
) -> None:
    """Print P(relapse within h days) at each patient's latest day with features."""
    from rich.table import Table

    from _sdk.cli import console
    from emkit.cli.options import reads_text, store_options
    from emkit.columns import proba_column
    from emkit.evaluation.data import cohort_text, load_features
    from emkit.features.schema import ColumnRole, FeatureSchema
    from emkit.forecasters.model_folder import latest_risk, load_model

    trained = load_model(model)
    frame = load_features(
        features, feature_set, backend=store_backend, store_options=store_options(store_option)
    )
    name = str(trained.manifest["forecaster"])
    if reads_text([name]) and not FeatureSchema.of(frame).columns_with(ColumnRole.TEXT):
        if cohort is None:
            raise EmkitError(
                f"{features}: holds no text, and forecaster {name!r} reads the day's text: "
                "pass --cohort DIR, the cohort whose messages give it"
            )
        frame = cohort_text(frame, cohort)
    try:
        latest = latest_risk(trained, frame)
    except EmkitError as exc:  # name the feature file in the message
        raise EmkitError(f"{features}: {exc}") from None
    horizons = trained.horizons
    rows: list[dict[str, str | float]] = []
    for key, values in latest.iterrows():
        patient, date = cast("tuple[str, pd.Timestamp]", key)
        row: dict[str, str | float] = {"patient_id": str(patient), "date": str(date.date())}
        for h in horizons:
            row[proba_column(h)] = round(float(values[proba_column(h)]), 4)
        rows.append(row)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"latest relapse risk ({trained.manifest['forecaster']})")
    table.add_column("patient")
    table.add_column("date")
    for h in horizons:
        table.add_column(f"≤{h} days", justify="right")
    for row in rows:
        table.add_row(
            str(row["patient_id"]),
            str(row["date"]),
            *[f"{row[proba_column(h)]:.3f}" for h in horizons],
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``predict`` to ``app``."""
    app.command("predict")(predict_command)

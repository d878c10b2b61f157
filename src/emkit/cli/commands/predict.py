"""``emkit predict``: each patient's latest relapse risk from a saved model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from emkit.errors import EmkitError

if TYPE_CHECKING:
    import pandas as pd


def predict_command(
    model: Annotated[Path, typer.Argument(help="Model folder written by `emkit train`.")],
    features: Annotated[
        Path,
        typer.Option("--features", help="Feature store (SQLite) or a .parquet/.csv feature file."),
    ],
    feature_set: Annotated[
        str, typer.Option("--feature-set", help="Feature set name.")
    ] = "features",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print P(relapse within h days) at each patient's latest day with features."""
    import pandas as pd
    from rich.table import Table

    from _sdk.cli import console
    from emkit.cli.commands.train import MANIFEST, MODEL_FILE
    from emkit.evaluation.data import load_features
    from emkit.evaluation.experiment import history_mask
    from emkit.interfaces import Forecaster
    from emkit.plugins import host

    manifest_path = model / MANIFEST
    if not manifest_path.exists():
        raise EmkitError(f"{manifest_path} not found: is {model} a folder from `emkit train`?")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    cls = host.get_class("forecaster", manifest["forecaster"])
    if not (isinstance(cls, type) and issubclass(cls, Forecaster)):
        raise EmkitError(f"{manifest['forecaster']!r} is not a forecaster")
    forecaster = cls.load(model / MODEL_FILE)
    frame = load_features(features, feature_set)
    missing = [c for c in manifest["feature_columns"] if c not in frame.columns]
    if missing:
        raise EmkitError(f"{features}: lacks features the model was trained on: {missing[:10]}")
    frame = frame[manifest["feature_columns"]]
    dates = pd.Series(pd.DatetimeIndex(frame.index.get_level_values("date")), index=frame.index)
    last_day = (dates == dates.groupby(level="patient_id").transform("max")).to_numpy()
    if forecaster.lookback is not None:
        # Only the history the latest forecasts can read: far fewer rows for a TFT to predict.
        keep = history_mask(frame.index, last_day, forecaster.lookback)
        frame, last_day = frame[keep], last_day[keep]
    latest = forecaster.predict_proba(frame)[last_day]
    rows: list[dict[str, str | float]] = []
    for key, values in latest.iterrows():
        patient, date = cast("tuple[str, pd.Timestamp]", key)
        row: dict[str, str | float] = {"patient_id": str(patient), "date": str(date.date())}
        for h in manifest["horizons"]:
            row[f"p_relapse_within_{h}d"] = round(float(values[f"p_relapse_within_{h}d"]), 4)
        rows.append(row)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"latest relapse risk ({manifest['forecaster']})")
    table.add_column("patient")
    table.add_column("date")
    for h in manifest["horizons"]:
        table.add_column(f"≤{h} days", justify="right")
    for row in rows:
        table.add_row(
            str(row["patient_id"]),
            str(row["date"]),
            *[f"{row[f'p_relapse_within_{h}d']:.3f}" for h in manifest["horizons"]],
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``predict`` to ``app``."""
    app.command("predict")(predict_command)

"""``emkit train``: fit a forecaster on a cohort's features and labels and save it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from emkit.errors import EmkitError


def parse_options(
    names: list[str], options: list[str], kind: str = "forecaster"
) -> dict[str, dict[str, Any]]:
    """``["gbm.max_iter=50"]`` → ``{"gbm": {"max_iter": 50}}`` (JSON values, else text).

    ``kind`` names what the options configure ("forecaster", "extractor") in error messages.

    Raises:
        EmkitError: an option not written ``NAME.KEY=VALUE`` or for a name not selected.
    """
    parsed: dict[str, dict[str, Any]] = {name: {} for name in names}
    for item in options:
        head, sep, raw = item.partition("=")
        name, dot, key = head.partition(".")
        if not sep or not dot or not key:
            raise EmkitError(f"--option {item!r}: write it as {kind.upper()}.OPTION=VALUE")
        if name not in parsed:
            raise EmkitError(
                f"--option {item!r}: {kind} {name!r} is not selected (selected: {names})"
            )
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        parsed[name][key] = value
    return parsed


def train_command(
    cohort: Annotated[Path, typer.Argument(help="Cohort folder (labels come from its events).")],
    features: Annotated[Path, typer.Option("--features", help="Feature store or feature file.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to save the model in.")],
    feature_set: Annotated[
        str, typer.Option("--feature-set", help="Feature set name.")
    ] = "features",
    forecaster: Annotated[
        str, typer.Option("--forecaster", "-f", help="Forecaster name.")
    ] = "logistic",
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="Forecaster option NAME.KEY=VALUE (repeatable)."),
    ] = None,
    horizon: Annotated[
        list[int] | None, typer.Option("--horizon", help="Horizon in days (default 7, 14, 30).")
    ] = None,
) -> None:
    """Fit a forecaster on every labelled day of COHORT and save it to --out.

    Features come from a SQLite feature store (``emkit features``) or a .parquet/.csv file.
    """
    option = option or []
    horizon = horizon or [7, 14, 30]
    from _sdk.cli import console
    from emkit.evaluation.data import cohort_labels, load_features
    from emkit.forecasting import save_model
    from emkit.plugins import get_forecaster

    model = get_forecaster(forecaster, **parse_options([forecaster], option)[forecaster])
    if not model.supports_save:
        raise EmkitError(f"forecaster {forecaster!r} cannot be saved (supports_save=False)")
    frame = load_features(features, feature_set)
    labels, _ = cohort_labels(cohort, horizon)
    labels = labels.reindex(frame.index)
    with console.status(f"fitting {forecaster} on {len(frame)} patient-days"):
        model.fit(frame, labels, horizon)
    save_model(model, out, frame, horizon)
    console.print(f"saved {forecaster} ({len(frame)} patient-days, horizons {horizon}) to {out}")


def register(app: typer.Typer) -> None:
    """Add ``train`` to ``app``."""
    app.command("train")(train_command)

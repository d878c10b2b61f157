"""``emkit train``: fit a forecaster on a cohort's features and labels and save it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from emkit.cli.options import (
    DEFAULT_STORE_BACKEND,
    FeatureSet,
    FeaturesSource,
    ForecasterOptions,
    Horizons,
    LabelsFile,
    StoreBackend,
    StoreOptions,
    parse_options,
)
from emkit.errors import EmkitError

__all__ = ["parse_options", "register", "train_command"]


def train_command(
    cohort: Annotated[Path, typer.Argument(help="Cohort folder (labels come from its events).")],
    features: FeaturesSource,
    out: Annotated[Path, typer.Option("--out", help="Folder to save the model in.")],
    feature_set: FeatureSet = "features",
    forecaster: Annotated[
        str, typer.Option("--forecaster", "-f", help="Forecaster name.")
    ] = "logistic",
    option: ForecasterOptions = None,
    horizon: Horizons = None,
    labels_file: LabelsFile = None,
    store_backend: StoreBackend = DEFAULT_STORE_BACKEND,
    store_option: StoreOptions = None,
) -> None:
    """Fit a forecaster on every labelled day of COHORT and save it to --out.

    Features come from a feature store (``emkit features``; ``--store-backend``, default
    sqlite) or a .parquet/.csv file. Labels come from ``--labels`` (``emkit prepare``) or are
    built from COHORT's events with the default recovery window. Text forecasters (``tfidf``,
    ``trajectory``) read the day's text from COHORT's messages when the features hold none.
    """
    option = option or []
    horizon = horizon or [7, 14, 30]
    from _sdk.cli import console
    from emkit.cli.options import reads_text, store_options
    from emkit.evaluation.data import cohort_labels, cohort_text, load_features, read_labels
    from emkit.forecasters.model_folder import save_model
    from emkit.plugins import get_forecaster

    model = get_forecaster(forecaster, **parse_options([forecaster], option)[forecaster])
    if not model.supports_save:
        raise EmkitError(f"forecaster {forecaster!r} cannot be saved (supports_save=False)")
    frame = load_features(
        features, feature_set, backend=store_backend, store_options=store_options(store_option)
    )
    if reads_text([forecaster]):  # a store keeps no text: take the day's text from COHORT
        frame = cohort_text(frame, cohort)
    if labels_file is not None:
        labels = read_labels(labels_file, horizon)
    else:
        labels, _ = cohort_labels(cohort, horizon)
    labels = labels.reindex(frame.index)
    with console.status(f"fitting {forecaster} on {len(frame)} patient-days"):
        model.fit(frame, labels, horizon)
    save_model(model, out, frame, horizon)
    console.print(f"saved {forecaster} ({len(frame)} patient-days, horizons {horizon}) to {out}")


def register(app: typer.Typer) -> None:
    """Add ``train`` to ``app``."""
    app.command("train")(train_command)

"""``emkit evaluate``: forecasters, ablation and analyses on leakage-safe splits."""

from __future__ import annotations

import json
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
)


def evaluate_command(
    cohort: Annotated[Path, typer.Argument(help="Cohort folder (labels, onsets, latent.parquet).")],
    features: FeaturesSource,
    feature_set: FeatureSet = "features",
    forecaster: Annotated[
        list[str] | None,
        typer.Option(
            "--forecaster", "-f", help="Forecaster (repeatable; default prevalence, logistic, gbm)."
        ),
    ] = None,
    option: ForecasterOptions = None,
    horizon: Horizons = None,
    split: Annotated[
        str, typer.Option("--split", help="'rolling' (origin) or 'patients'.")
    ] = "rolling",
    folds: Annotated[int, typer.Option("--folds", help="Number of folds.")] = 3,
    ablation: Annotated[
        str, typer.Option("--ablation", help="Forecaster for the ablation ('none' to skip).")
    ] = "logistic",
    boot: Annotated[int, typer.Option("--boot", help="Patient-bootstrap draws.")] = 200,
    false_alarms: Annotated[
        float,
        typer.Option(
            "--false-alarms", help="False alarms per patient-month for event sensitivity."
        ),
    ] = 1.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of bootstrap and permutations.")] = 0,
    pca_components: Annotated[
        float,
        typer.Option(
            "--pca-components",
            help="Each fold's embedding PCA: components per block, or a share of variance in "
            "(0, 1) that sets their number on the fold's training rows.",
        ),
    ] = 8,
    out: Annotated[Path, typer.Option("--out", help="Folder for the results.")] = Path(
        "evaluation"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    labels_file: LabelsFile = None,
    store_backend: StoreBackend = DEFAULT_STORE_BACKEND,
    store_option: StoreOptions = None,
) -> None:
    """Evaluate forecasters on COHORT; write evaluation.json and predictions to --out.

    Onsets and the oracle (latent.parquet) always come from COHORT; labels from ``--labels``
    (``emkit prepare``) when given, else from COHORT's events. Text forecasters (``tfidf``,
    ``trajectory``) read the day's text from COHORT's messages when the features hold none.
    """
    forecaster = forecaster or ["prevalence", "logistic", "gbm"]
    option = option or []
    components = _pca_components(pca_components)
    horizon = horizon or [7, 14, 30]
    from rich.table import Table

    from _sdk.cli import console, stderr_console
    from emkit.cli.options import parse_options, reads_text, store_options
    from emkit.evaluation.data import (
        cohort_labels,
        cohort_onsets,
        cohort_text,
        load_features,
        load_latent,
        read_labels,
    )
    from emkit.evaluation.study import factories, run_study, write_study

    frame = load_features(
        features, feature_set, backend=store_backend, store_options=store_options(store_option)
    )
    if reads_text(forecaster):  # a store keeps no text: take the day's text from COHORT
        frame = cohort_text(frame, cohort)
    if labels_file is not None:
        labels, onsets = read_labels(labels_file, horizon), cohort_onsets(cohort)
    else:
        labels, onsets = cohort_labels(cohort, horizon)
    result, record = run_study(
        frame,
        labels,
        forecasters=factories(forecaster, parse_options(forecaster, option)),
        horizons=horizon,
        scheme=split,
        n_folds=folds,
        onsets=onsets,
        latent=load_latent(cohort),
        ablation=None if ablation == "none" else ablation,
        n_boot=boot,
        seed=seed,
        false_alarms_per_month=false_alarms,
        pca_components=components,
        progress=not as_json,
        log=lambda line: stderr_console.print(line, highlight=False),
    )
    write_study(out, result, record)
    if as_json:
        typer.echo(json.dumps(json.loads((out / "evaluation.json").read_text()), indent=2))
        return
    for h in result.horizons:
        table = Table(title=f"{h}-day horizon ({split} splits; 95% patient-bootstrap CI)")
        for column in ("model", "AUROC", "AUPRC", "prevalence", "Brier", "sens.", "lead"):
            table.add_column(column, justify="left" if column == "model" else "right")
        for model, s in result.scores[h].items():
            e = result.events[h].get(model, {})
            table.add_row(
                model,
                str(s["auroc"]),
                str(s.get("auprc", "-")),
                f"{s['prevalence']:.3f}",
                f"{s['brier'].estimate:.3f}" if "brier" in s else "-",
                f"{e['sensitivity']:.2f}" if e else "-",
                f"{e['median_lead_days']:.0f} d" if e else "-",
            )
        console.print(table)
    console.print(f"results in {out} (render with `emkit report {out}`)")


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` to ``app``."""
    app.command("evaluate")(evaluate_command)


def _pca_components(value: float) -> int | float:
    """``--pca-components`` as a count (a whole number >= 1) or a share of variance."""
    from emkit.errors import EmkitError
    from emkit.features.pca import EmbeddingPCA

    try:
        return EmbeddingPCA.parse_components(value)
    except EmkitError as exc:
        raise typer.BadParameter(str(exc), param_hint="--pca-components") from None

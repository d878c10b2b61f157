"""``emkit synth``: write a synthetic cohort."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from _sdk.cli import console


def register(app: typer.Typer) -> None:
    """Add ``synth`` to ``app``."""
    app.command("synth")(synth)


def synth(
    out: Annotated[Path, typer.Option("--out", help="Cohort directory to create.")],
    patients: int = typer.Option(50, "--patients", min=1, help="Number of patients."),
    days: int = typer.Option(365, "--days", min=1, help="Days of observation per patient."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same cohort)."),
    signal: float | None = typer.Option(
        None, "--signal", min=0.0, max=1.0, help="How strongly language follows the hidden signal."
    ),
    exports: bool = typer.Option(
        False, "--exports", help="Also write WhatsApp and Telegram exports."
    ),
    vocabulary: str = typer.Option(
        "default",
        "--vocabulary",
        help="How patients write: default, or alt (words and style disjoint from the lexicons).",
    ),
    force: bool = typer.Option(False, "--force", help="Replace existing patient directories."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Write a synthetic cohort: messages, events, metadata and latent.parquet."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from emkit.errors import EmkitError
    from emkit.synth import DEFAULT_SIGNAL, VOCABULARIES, oracle_auroc, synthesize_cohort

    if vocabulary not in VOCABULARIES:
        raise EmkitError(f"--vocabulary must be one of {list(VOCABULARIES)}, not {vocabulary!r}")

    strength = DEFAULT_SIGNAL if signal is None else signal
    with Progress(
        TextColumn("synthesising"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task("patients", total=patients)
        synthesize_cohort(
            out,
            patients=patients,
            days=days,
            seed=seed,
            signal=strength,
            exports=exports,
            vocabulary=vocabulary,
            overwrite=force,
            progress=lambda _p: progress.advance(task),
        )
    try:
        auroc: float | None = oracle_auroc(out, 14)
    except Exception:  # a tiny cohort may have no relapse at all
        auroc = None
    summary = {
        "out": str(out),
        "patients": patients,
        "days": days,
        "seed": seed,
        "signal": strength,
        "exports": exports,
        "vocabulary": vocabulary,
        "oracle_auroc_14d": auroc,
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    shown = "n/a (no relapse or no negative day)" if auroc is None else f"{auroc:.3f}"
    console.print(
        f"{patients} patients x {days} days -> {out} (oracle 14-day AUROC of latent: {shown})",
        highlight=False,
    )

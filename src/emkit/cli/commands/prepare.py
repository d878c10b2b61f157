"""``emkit prepare``: relapse labels for every patient-day of a cohort."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from _sdk.cli import console
from emkit.errors import EmkitError

_LABELS = Path("labels.parquet")


def register(app: typer.Typer) -> None:
    """Add ``prepare`` to ``app``."""
    app.command("prepare")(prepare)


def _horizons(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise EmkitError(
            f"--horizons must be whole days separated by commas (got {text!r})"
        ) from None


def prepare(
    cohort: Annotated[
        Path, typer.Argument(help="Cohort directory (one sub-directory per patient).")
    ],
    horizons: str = typer.Option(
        "7,14,30", "--horizons", help="Horizons in days, comma-separated."
    ),
    out: Annotated[Path, typer.Option("--out", help="Parquet file to write.")] = _LABELS,
    recovery_days: int | None = typer.Option(
        None, "--recovery-days", help="Days after an onset still inside that relapse (default 30)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Build relapse_within_{h}d labels (with exclusion reasons) for every patient-day.

    `emkit train` and `emkit evaluate` read the file with --labels.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from _sdk import atomic_write_bytes
    from emkit.dataset import read_cohort
    from emkit.labels import DEFAULT_RECOVERY_DAYS, build_labels, label_column, reason_column

    wanted = _horizons(horizons)
    recovery = DEFAULT_RECOVERY_DAYS if recovery_days is None else recovery_days
    patients = read_cohort(cohort)
    with Progress(
        TextColumn("labelling"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task("patients", total=len(patients))
        labels = build_labels(
            patients, wanted, recovery, progress=lambda _p: progress.advance(task)
        )
    atomic_write_bytes(out, labels.to_parquet())
    per_horizon: dict[str, dict[str, object]] = {}
    for h in wanted:
        label = labels[label_column(h)]
        reasons = labels[reason_column(h)].value_counts().to_dict()
        per_horizon[str(h)] = {
            "positive": int((label == 1.0).sum()),
            "negative": int((label == 0.0).sum()),
            "excluded": {str(k): int(v) for k, v in reasons.items()},
        }
    summary: dict[str, object] = {
        "cohort": str(cohort),
        "out": str(out),
        "patients": len(patients),
        "rows": len(labels),
        "recovery_days": recovery,
        "days_with_messages": int((labels["n_messages"] > 0).sum()),
        "horizons": per_horizon,
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    console.print(
        f"{summary['rows']} patient-days of {summary['patients']} patients -> {out}",
        highlight=False,
    )
    for horizon, counts in per_horizon.items():
        console.print(
            f"  {horizon:>3} d: {counts['positive']} positive, {counts['negative']} negative, "
            f"excluded {counts['excluded']}",
            highlight=False,
        )

"""``emkit report``: render an evaluation folder as one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def report_command(
    evaluation: Annotated[Path, typer.Argument(help="Folder written by `emkit evaluate --out`.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="HTML file (default: FOLDER/report.html).")
    ] = None,
    figures: Annotated[
        Path | None,
        typer.Option("--figures", help="Also write each figure as a PNG into this folder."),
    ] = None,
) -> None:
    """Write the HTML report (figures embedded) and print where it is."""
    from _sdk.cli import console
    from emkit.evaluation.report import write_report

    with console.status("drawing the report"):
        path = write_report(evaluation, out, figures)
    console.print(f"report: {path.resolve()}")


def register(app: typer.Typer) -> None:
    """Add ``report`` to ``app``."""
    app.command("report")(report_command)

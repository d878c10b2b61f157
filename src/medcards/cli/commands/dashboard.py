"""``medcards dashboard``: levels, today's load, 14-day forecast, retention by module."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from _sdk.cli import console
from medcards.study.cli_support import DEFAULT_DB, DbOption, open_engine, parse_when
from medcards.study.dashboard import compute_dashboard, dashboard_table, plot_dashboard


def register(app: typer.Typer) -> None:
    """Add ``dashboard`` to ``app``."""

    @app.command("dashboard")
    def dashboard(
        db: DbOption = DEFAULT_DB,
        now: Annotated[str | None, typer.Option(help="As of, ISO (default: now, UTC).")] = None,
        plot: Annotated[Path | None, typer.Option(help="Also write a PNG plot here.")] = None,
        json_: Annotated[
            bool, typer.Option("--json", help="Print JSON instead of tables.")
        ] = False,
    ) -> None:
        """Show the study dashboard."""
        with open_engine(db, create=False) as engine:
            board = compute_dashboard(engine, parse_when(now))
        if json_:
            console.print_json(board.model_dump_json())
        else:
            for table in dashboard_table(board):
                console.print(table)
        if plot is not None:
            plot_dashboard(board, plot)
            console.print(f"plot written to {plot}")

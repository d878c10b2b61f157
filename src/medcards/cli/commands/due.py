"""``medcards due``: what is due now."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from _sdk.cli import console
from medcards.study.cli_support import DEFAULT_DB, DbOption, open_engine, parse_when


def register(app: typer.Typer) -> None:
    """Add ``due`` to ``app``."""

    @app.command("due")
    def due(
        db: DbOption = DEFAULT_DB,
        now: Annotated[
            str | None, typer.Option(help="Time to check, ISO (default: now, UTC).")
        ] = None,
        limit: Annotated[int, typer.Option(help="Show at most this many cards.")] = 50,
    ) -> None:
        """List the cards due for review, most overdue first, and the pending angles."""
        when = parse_when(now) or dt.datetime.now(dt.UTC)
        with open_engine(db, create=False) as engine:
            rows = engine.due_cards(when, limit=limit)
            pending = engine.angles(pending_only=True)
            table = Table(title=f"Repasos pendientes al {when:%Y-%m-%d %H:%M} UTC")
            for column in ("tema", "módulo", "tarjeta", "vencía", "días de retraso"):
                table.add_column(column)
            for topic, card, due_at in rows:
                late = (when - due_at).total_seconds() / 86_400
                table.add_row(
                    topic.title,
                    topic.modulo,
                    card.kind.value,
                    f"{due_at:%Y-%m-%d %H:%M}",
                    f"{late:.1f}",
                )
            console.print(table)
            console.print(
                f"{engine.count_due(when)} repaso(s) vencidos, "
                f"{len(pending)} ángulo(s) pendientes, "
                f"{engine.reviews_today(when)} repaso(s) hechos hoy",
                highlight=False,
            )

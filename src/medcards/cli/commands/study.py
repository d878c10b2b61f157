"""``medcards study``: a study session in the terminal (interactive or from a ratings file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.text import Text

from _sdk.cli import console
from medcards.models import Rating
from medcards.study.cli_support import DEFAULT_DB, DbOption, back_text, open_engine, parse_when
from medcards.study.errors import InvalidRatingError
from medcards.study.records import ReviewOutcome, StudyItem, parse_rating
from medcards.study.session import card_front, read_ratings, run_session, scripted

_REASONS = {"review": "repaso", "angle": "ángulo", "new": "tema nuevo"}


def _show(item: StudyItem) -> None:
    title = Text(f"{item.topic.title} — {_REASONS[item.reason]} ({item.card.kind.value})")
    console.print(
        Panel(Text(card_front(item.card.card)), title=title, expand=False), highlight=False
    )


def _ask(item: StudyItem) -> Rating | None:
    _show(item)
    typer.prompt("Enter para ver la respuesta", default="", show_default=False)
    console.print(
        Panel(back_text(item.card.card), title="Respuesta", expand=False), highlight=False
    )
    while True:
        answer = typer.prompt("Calificación: 1 fail, 2 hard, 3 good, 4 easy (q: salir)")
        if answer.strip().lower() in {"q", "quit", "salir"}:
            return None
        try:
            return parse_rating(answer)
        except InvalidRatingError as exc:
            console.print(f"[red]{exc}[/]")


def _report(item: StudyItem, rating: Rating, outcome: ReviewOutcome) -> None:
    due = f", próximo repaso {outcome.state.due:%Y-%m-%d %H:%M}" if outcome.state else ""
    console.print(
        f"{item.topic.title}: {rating.name.lower()}{due}, nivel {outcome.level_after}",
        highlight=False,
    )
    if outcome.angle_id is not None and item.reason != "angle":
        console.print(f"  nuevo ángulo #{outcome.angle_id} creado")
    if outcome.angle_rejected:
        console.print(f"  no se pudo generar el ángulo: {'; '.join(outcome.angle_rejected)}")


def register(app: typer.Typer) -> None:
    """Add ``study`` to ``app``."""

    @app.command("study")
    def study(
        db: DbOption = DEFAULT_DB,
        scheduler: Annotated[str, typer.Option(help="Scheduler: sm2 or fsrs.")] = "sm2",
        generator: Annotated[
            str,
            typer.Option(help="Card generator for missing drills and angles ('none': off)."),
        ] = "extractive",
        non_interactive: Annotated[
            bool,
            typer.Option(
                "--non-interactive", help="Take the ratings from --ratings instead of asking."
            ),
        ] = False,
        ratings: Annotated[
            Path | None, typer.Option(help="File with one rating (1-4) per line.")
        ] = None,
        now: Annotated[
            str | None, typer.Option(help="Session time, ISO (default: now, UTC).")
        ] = None,
        max_items: Annotated[int | None, typer.Option(help="Stop after this many reviews.")] = None,
    ) -> None:
        """Study what is due: show the drill, reveal the answer, rate it 1-4."""
        if non_interactive and ratings is None:
            raise typer.BadParameter("--non-interactive needs --ratings FILE")
        if ratings is not None and not non_interactive:
            raise typer.BadParameter("--ratings needs --non-interactive")
        when = parse_when(now)
        with open_engine(db, scheduler=scheduler, generator=generator, create=False) as engine:
            if non_interactive and ratings is not None:
                answers = read_ratings(ratings)
                summary = run_session(
                    engine, scripted(answers), now=when, max_items=max_items, on_review=_report
                )
            else:
                summary = run_session(
                    engine, _ask, now=when, max_items=max_items, on_review=_report
                )
            for title, reasons in engine.rejections.items():
                console.print(
                    f"[yellow]{title}[/]: no card could be generated ({'; '.join(reasons)})",
                    highlight=False,
                )
        console.print(
            f"{summary.reviewed} repaso(s); ángulos creados {summary.angles_created}; "
            f"promociones a nivel 2 {summary.promotions}; dominados {summary.mastered} "
            f"({summary.stopped})",
            highlight=False,
        )

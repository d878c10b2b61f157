"""``medcards generate TOPIC --kind K --generator NAME``: cards for ingested topics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.rule import Rule
from rich.text import Text

from _sdk import atomic_write_text
from _sdk.cli import console, parse_key_values, stderr_console
from medcards.cards import Card, MCQDrill
from medcards.errors import CardRejected, MedcardsError
from medcards.generation.answer_key import check_deck_keys
from medcards.generation.prompts import render_target
from medcards.ingest import GuideSection, load_topics
from medcards.models import CardKind, CardRequest
from medcards.plugins import get_card_generator
from medcards.study.cli_support import back_text
from medcards.study.session import card_front
from medcards.study.supply import located


def parse_backend_options(pairs: list[str]) -> dict[str, Any]:
    """``--backend-option`` ``key=value`` pairs as a dict (values are JSON when they parse).

    Raises:
        MedcardsError: an item without ``=`` or with an empty key, naming it.
    """
    return parse_key_values(pairs, flag="--backend-option", error=MedcardsError)


def _select(topics: list[GuideSection], wanted: str, source: Path) -> list[GuideSection]:
    if wanted == "all":
        return topics
    if wanted.isdigit() and 1 <= int(wanted) <= len(topics):
        return [topics[int(wanted) - 1]]
    chosen = [t for t in topics if t.title.casefold() == wanted.casefold()]
    chosen = chosen or [t for t in topics if wanted.casefold() in t.title.casefold()]
    if not chosen:
        titles = "; ".join(t.title for t in topics)
        raise MedcardsError(f"{source}: no topic matches {wanted!r}; topics: {titles}")
    return chosen


def card_text(card: Card) -> Group:
    """A card as ``medcards generate`` prints it without ``--json``.

    A rule with its kind and topic, the question side, then the answer side with each evidence
    quote and, under it, where the quote is printed in the guide
    (``↳ cad.pdf, p. 3, Tratamiento``).
    """
    return Group(
        Rule(Text(f"{card.kind} · {card.topic}"), align="left"),
        Text(card_front(card)),
        Text(""),
        back_text(card),
    )


def register(app: typer.Typer) -> None:
    """Add ``generate`` to ``app``."""

    @app.command("generate")
    def generate(
        topic: Annotated[str, typer.Argument(help="Topic title, its number, or 'all'.")],
        topics_file: Annotated[
            Path, typer.Option("--topics", "-t", help="Topics file written by `medcards ingest`.")
        ],
        kind: Annotated[CardKind, typer.Option("--kind", "-k", help="Card kind.")] = (
            CardKind.BATTLECARD
        ),
        generator: Annotated[
            str, typer.Option("--generator", "-g", help="Card generator.")
        ] = "extractive",
        backend: Annotated[
            str | None, typer.Option("--backend", "-b", help="Backend of the llm generator.")
        ] = None,
        backend_option: Annotated[
            list[str] | None,
            typer.Option("--backend-option", "-o", help="Backend option key=value (repeatable)."),
        ] = None,
        count: Annotated[
            int, typer.Option("--count", "-n", min=1, help="Cards per topic (seeds 0..n-1).")
        ] = 1,
        perspective: Annotated[str | None, typer.Option(help="Variant perspective.")] = None,
        parent_id: Annotated[
            str | None, typer.Option("--parent-id", help="Variant parent card id.")
        ] = None,
        language: Annotated[str, typer.Option(help="Language: es or en.")] = "es",
        out: Annotated[
            Path | None, typer.Option("--out", help="Write the cards to this JSON Lines file.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print cards as JSON lines.")] = False,
    ) -> None:
        """Generate cards for ingested topics; rejections are reported, never stored.

        Every evidence quote carries where it is printed in the guide (file, page or line,
        section): in the JSON as ``location``, in the text output as a line under the quote.

        For MCQs, the deck's answer-key statistics are reported too: where the keys sit, how
        often the key is the longest option, and the drills failing the answer-key checks.
        """
        selected = _select(load_topics(topics_file), topic, topics_file)
        options: dict[str, Any] = {}
        if backend is not None:
            options = {
                "backend": backend,
                "backend_options": parse_backend_options(backend_option or []),
            }
        elif backend_option:
            raise MedcardsError("--backend-option needs --backend")
        card_generator = get_card_generator(generator, **options)
        requests = [
            (
                t,
                CardRequest(
                    topic=t.title,
                    context=t.context,
                    kind=kind,
                    language="en" if language == "en" else "es",
                    perspective=perspective,
                    parent_id=parent_id,
                    seed=seed,
                ),
            )
            for t in selected
            for seed in range(count)
        ]
        cards: list[Card] = []
        rejected: list[CardRejected] = []
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=stderr_console,
            disable=len(requests) < 2,
        ) as progress:
            task = progress.add_task(f"{kind.value} cards", total=len(requests))
            for section, request in requests:
                try:
                    card = card_generator.generate(request)
                    if section.source is not None or section.spans:
                        # Each evidence quote gets the page (PDF) or line of the guide it is on.
                        card = located(card, section)
                    cards.append(card)
                except CardRejected as exc:
                    rejected.append(exc)
                progress.advance(task)
        for rejection in rejected:
            stderr_console.print(f"[yellow]rejected:[/] {rejection}", highlight=False)
        lines = [render_target(card) for card in cards]
        if out is not None:
            atomic_write_text(out, "".join(line + "\n" for line in lines))
        if as_json:
            for line in lines:
                typer.echo(line)
        else:
            for card in cards:
                console.print(card_text(card), highlight=False)
        if kind == CardKind.MCQ or any(isinstance(card, MCQDrill) for card in cards):
            deck = check_deck_keys(cards)
            stderr_console.print(f"answer keys: {deck.summary()}", highlight=False)
            for problem in deck.problems:
                stderr_console.print(f"[yellow]deck:[/] {problem}", highlight=False)
        by_key = sum(
            1
            for r in rejected
            if any(x.startswith("answer key:") or ": answer key:" in x for x in r.reasons)
        )
        stderr_console.print(
            f"{len(cards)} card(s), {len(rejected)} rejected"
            + (f" ({by_key} by the answer-key checks)" if by_key else "")
        )
        if not cards:
            raise typer.Exit(1)

"""Shared plumbing of the study commands: the ``--db`` option, engine and generator set-up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from medcards.cards import Card
from medcards.interfaces import CardGenerator
from medcards.study.engine import StudyEngine
from medcards.study.errors import StudyError
from medcards.study.session import CAPTION_MARK, card_back

#: Default database file, relative to the working directory.
DEFAULT_DB = Path("temario.db")

#: The ``--db`` option of every study command.
DbOption = Annotated[Path, typer.Option("--db", help="Study database (temario.db).")]


def card_generator(name: str | None) -> CardGenerator | None:
    """The card generator ``name`` (None or ``"none"``: no generator).

    Raises:
        UnknownPluginError: no generator by that name, listing the known ones.
    """
    if name is None or name == "none":
        return None
    from medcards.plugins import get_card_generator

    return get_card_generator(name)


def open_engine(
    db: Path, *, scheduler: str = "sm2", generator: str | None = None, create: bool = True
) -> StudyEngine:
    """A :class:`StudyEngine` on ``db``.

    Raises:
        StudyError: ``db`` does not exist and ``create`` is False.
    """
    if not create and not db.exists():
        raise StudyError(f"study database {db} does not exist (create it with `medcards topics`)")
    return StudyEngine(db, scheduler=scheduler, generator=card_generator(generator))


def parse_when(value: str | None) -> dt.datetime | None:
    """An ISO date or datetime (UTC when no zone is given); None for None.

    Raises:
        StudyError: not ISO 8601.
    """
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise StudyError(
            f"--now {value!r} is not an ISO date/datetime (YYYY-MM-DD[THH:MM])"
        ) from None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def back_text(card: Card) -> Text:
    """The answer side of ``card`` for the terminal (``medcards study``, ``medcards generate``).

    The card's text is taken literally, never as rich markup; the caption under each evidence
    quote that says where it is printed (``↳ cad.pdf, p. 3, Tratamiento``) is dimmed.
    """
    text = Text(card_back(card))
    text.highlight_regex(rf"(?m)^ *{CAPTION_MARK} .*$", "dim italic")
    return text

"""A study session in the terminal: show the drill, reveal the answer, rate it 1-4.

The same loop runs interactively (``medcards study``) and from a ratings file
(``medcards study --non-interactive --ratings FILE``): one rating per line, ``1``-``4`` or
``fail`` / ``hard`` / ``good`` / ``easy``; blank lines and ``#`` comments are skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

from pydantic import BaseModel, Field

from medcards.cards import BattleCard, Card, MCQDrill, OpenDrill, Variant
from medcards.models import Rating, SourceLocation
from medcards.study.engine import StudyEngine
from medcards.study.errors import InvalidRatingError, StudyError
from medcards.study.ladder import TopicLevel
from medcards.study.records import ReviewOutcome, StudyItem, parse_rating


class SessionSummary(BaseModel):
    """What a session did."""

    reviewed: int = 0
    by_reason: dict[str, int] = Field(default_factory=dict)
    ratings: dict[int, int] = Field(default_factory=dict)
    angles_created: int = 0
    angles_rejected: int = 0
    promotions: int = 0
    mastered: int = 0
    stopped: str = ""


def read_ratings(path: str | Path) -> list[tuple[int, Rating]]:
    """The ratings in ``path`` with their line numbers.

    Raises:
        StudyError: unreadable file or a bad rating, naming the file and line.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise StudyError(f"cannot read ratings file {path}: {exc.strerror}") from None
    out = []
    for number, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            out.append((number, parse_rating(text)))
        except InvalidRatingError as exc:
            raise InvalidRatingError(f"{path}:{number}: {exc}") from None
    return out


def card_front(card: Card) -> str:
    """The question side of ``card`` as plain text."""
    if isinstance(card, MCQDrill):
        options = "\n".join(f"  {chr(ord('A') + i)}. {o}" for i, o in enumerate(card.options))
        return f"{card.vignette}\n\n{card.question}\n{options}"
    if isinstance(card, OpenDrill):
        return card.challenge
    if isinstance(card, Variant):
        return f"[{card.perspective}] {card.challenge}"
    if isinstance(card, BattleCard):
        return f"Resume el tema: {card.topic}"
    raise TypeError(f"not a medcards card: {type(card).__name__}")


#: Starts the caption line under an evidence quote that says where the quote is printed.
CAPTION_MARK = "↳"


def location_caption(location: SourceLocation | None) -> str:
    """The caption line under an evidence quote (``"    ↳ cad.pdf, p. 3, Tratamiento"``).

    Empty for a quote without a location (cards of topics without source data, older cards).
    """
    where = location.describe() if location is not None else ""
    return f"\n    {CAPTION_MARK} {where}" if where else ""


def card_back(card: Card) -> str:
    """The answer side of ``card`` as plain text.

    Each evidence quote is followed by a caption line saying where it is printed in the guide
    (:func:`location_caption`) when the card carries its location.
    """
    if isinstance(card, MCQDrill):
        letter = chr(ord("A") + card.answer_index)
        return (
            f"Respuesta: {letter}. {card.options[card.answer_index]}\n{card.explanation}\n"
            f"Fuente: «{card.evidence}»{location_caption(card.location)}"
        )
    if isinstance(card, OpenDrill | Variant):
        return "\n".join(
            f"• {p.text}  («{p.evidence}»){location_caption(p.location)}" for p in card.key_points
        )
    if isinstance(card, BattleCard):
        return "\n".join(
            f"• {f.text}  («{f.evidence}»){location_caption(f.location)}" for f in card.facts()
        )
    raise TypeError(f"not a medcards card: {type(card).__name__}")


def run_session(
    engine: StudyEngine,
    rate: Callable[[StudyItem], Rating | None],
    *,
    now: dt.datetime | None = None,
    max_items: int | None = None,
    advance: dt.timedelta = dt.timedelta(0),
    on_review: Callable[[StudyItem, Rating, ReviewOutcome], None] | None = None,
) -> SessionSummary:
    """Study until the queue is empty, ``rate`` returns None or ``max_items`` are done.

    Args:
        engine: The study engine.
        rate: Shows the item and returns the student's rating (None ends the session).
        now: Session time (UTC); default the wall clock at each item.
        max_items: Stop after this many reviews.
        advance: Added to ``now`` after each review (simulated sessions).
        on_review: Called after each recorded review.
    """
    summary = SessionSummary()
    clock = now
    while max_items is None or summary.reviewed < max_items:
        current = clock or dt.datetime.now(dt.UTC)
        item = engine.next_topic(current)
        if item is None:
            summary.stopped = "nothing left for today"
            break
        rating = rate(item)
        if rating is None:
            summary.stopped = "no more ratings"
            break
        outcome = engine.update_progress(item, rating, current)
        summary.reviewed += 1
        summary.by_reason[item.reason] = summary.by_reason.get(item.reason, 0) + 1
        summary.ratings[int(rating)] = summary.ratings.get(int(rating), 0) + 1
        if outcome.angle_id is not None and item.reason != "angle":
            summary.angles_created += 1
        if outcome.angle_rejected:
            summary.angles_rejected += 1
        if outcome.level_before == TopicLevel.MCQ and outcome.level_after == TopicLevel.OPEN:
            summary.promotions += 1
        if outcome.level_after == TopicLevel.MASTERED != outcome.level_before:
            summary.mastered += 1
        if on_review is not None:
            on_review(item, rating, outcome)
        if clock is not None:
            clock = clock + advance
    else:
        summary.stopped = f"reached {max_items} item(s)"
    return summary


def scripted(ratings: list[tuple[int, Rating]]) -> Callable[[StudyItem], Rating | None]:
    """A ``rate`` callback that answers from ``ratings`` in order, then stops."""
    iterator: Iterator[tuple[int, Rating]] = iter(ratings)

    def rate(item: StudyItem) -> Rating | None:
        nxt = next(iterator, None)
        return None if nxt is None else nxt[1]

    return rate

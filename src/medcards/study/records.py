"""What the study engine reads and returns: topics, stored cards, queue items, review outcomes."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from medcards.cards import Card
from medcards.ingest import Citation, GuideSection, SourceSpan
from medcards.models import CardKind, Rating, SchedulerState
from medcards.study.errors import InvalidRatingError, StudyError


class Topic(BaseModel):
    """A topic of the study calendar (a row of ``topics``)."""

    topic_id: int
    title: str
    context: str
    modulo: str
    priority: int
    date_assigned: dt.date
    level: int
    l2_streak: int
    introduced: bool


class TopicSource(BaseModel):
    """Where a topic's text came from: what :func:`medcards.locate_card` needs besides the text.

    Stored with the topic (``topics.source_json``, schema version 3) when it was imported from
    ``medcards ingest``'s JSON Lines or from :class:`~medcards.GuideSection` objects, so cards
    the study engine generates later (drills, angles) get the page of their evidence too.

    Attributes:
        file: The guide file the topic was ingested from.
        spans: Which characters of the topic's context were printed on which page (PDF) or
            written on which line (Markdown, text).
        citations: NotebookLM citation markers taken out of the context.
        references: The note's list of sources, marker number to title.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str | None = None
    spans: tuple[SourceSpan, ...] = ()
    citations: tuple[Citation, ...] = ()
    references: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def of_section(cls, section: GuideSection) -> TopicSource | None:
        """The source data of a guide section; None when it has none (text typed in)."""
        if section.source is None and not section.spans and not section.citations:
            return None
        return cls(
            file=section.source,
            spans=section.spans,
            citations=section.citations,
            references=dict(section.references),
        )

    def section(self, topic: Topic) -> GuideSection:
        """``topic`` as the guide section its cards are located in."""
        return GuideSection(
            title=topic.title,
            context=topic.context or " ",
            modulo=topic.modulo or "-",
            source=self.file,
            spans=self.spans,
            citations=self.citations,
            references=self.references,
        )


class StoredCard(BaseModel):
    """A card stored in ``cards``: its identity and the validated card."""

    card_id: int
    uid: str
    topic_id: int
    kind: CardKind
    card: Card
    retired: bool = False


class StudyItem(BaseModel):
    """What to study next.

    Attributes:
        reason: ``"review"`` (due by the scheduler), ``"angle"`` (a pending variant) or ``"new"``.
        topic: The topic.
        card: The card to show.
        due: When it was due (reviews only).
        angle_id: The angle (angles only).
    """

    reason: Literal["review", "angle", "new"]
    topic: Topic
    card: StoredCard
    due: dt.datetime | None = None
    angle_id: int | None = None


class ReviewOutcome(BaseModel):
    """What :meth:`StudyEngine.update_progress <medcards.study.StudyEngine.update_progress>` did.

    Attributes:
        review_id: Row of the review in the log.
        state: The card's new scheduler state (None for angle variants, which are not scheduled).
        level_before: Topic level before the review.
        level_after: Topic level after it.
        angle_id: The angle created by a Fail, if any.
        angle_rejected: Why no angle could be generated after a Fail (empty otherwise).
        angle_passed: For a variant: whether it was passed.
        recovered: For a variant: whether every angle of its parent is now passed.
        promotion_blocked: Why an eligible promotion did not happen (pending angles, no card).
    """

    review_id: int
    state: SchedulerState | None
    level_before: int
    level_after: int
    angle_id: int | None = None
    angle_rejected: list[str] = Field(default_factory=list)
    angle_passed: bool | None = None
    recovered: bool | None = None
    promotion_blocked: str | None = None


def parse_rating(value: object) -> Rating:
    """A :class:`~medcards.Rating` from 1-4 or a name (fail/hard/good/easy).

    Raises:
        InvalidRatingError: anything else, naming the value.
    """
    if isinstance(value, Rating):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.upper() in Rating.__members__:
            return Rating[text.upper()]
        with contextlib.suppress(ValueError):
            value = int(text)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4:
        return Rating(value)
    raise InvalidRatingError(
        f"rating {value!r} is out of range: use 1 (fail), 2 (hard), 3 (good) or 4 (easy)"
    )


def check_now(now: dt.datetime | None) -> dt.datetime:
    """``now`` in UTC (the wall clock when None).

    Raises:
        StudyError: a naive datetime.
    """
    if now is None:
        return dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise StudyError(f"time {now.isoformat()} has no timezone: pass an aware (UTC) datetime")
    return now.astimezone(dt.UTC)

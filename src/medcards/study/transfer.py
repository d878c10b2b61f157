"""JSON export and import of a whole ``temario.db``.

The document holds topics (with where their text came from, when known), cards, scheduler
state, angles and the review log. Cards, angles and
reviews refer to each other by the cards' stable ``uid`` and the topics' titles, so an import
never depends on row ids.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from _sdk import atomic_write_text
from _sdk.errors import error_field
from medcards.cards import Card
from medcards.models import CardKind, ExportResult, SchedulerState
from medcards.study.engine import StudyEngine
from medcards.study.errors import StudyError
from medcards.study.records import TopicSource
from medcards.study.repository import load_card_json, load_topic_source


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TopicRecord(_Strict):
    """A topic in the JSON document."""

    title: str = Field(min_length=1)
    context: str = ""
    modulo: str = ""
    priority: int = 0
    date_assigned: dt.date
    level: int = Field(default=1, ge=1, le=3)
    l2_streak: int = Field(default=0, ge=0)
    introduced_at: dt.datetime | None = None
    created_at: dt.datetime
    #: Where the topic's text came from (pages, lines); left out of the document when unset,
    #: so documents of topics without it read as before.
    source: TopicSource | None = Field(default=None, exclude_if=lambda v: v is None)


class CardRecord(_Strict):
    """A card, with its scheduler state when it is scheduled."""

    uid: str = Field(min_length=1)
    topic: str
    kind: CardKind
    card: Card = Field(discriminator="kind")
    retired: bool = False
    created_at: dt.datetime
    state: SchedulerState | None = None
    state_active: bool = True


class AngleRecord(_Strict):
    """An angle sub-node: ``parent`` and ``card`` are card uids."""

    parent: str
    card: str
    perspective: str
    created_at: dt.datetime
    passed_at: dt.datetime | None = None


class ReviewRecord(_Strict):
    """One entry of the review log."""

    card: str
    kind: CardKind
    rating: int = Field(ge=1, le=4)
    reviewed_at: dt.datetime
    first_review: bool
    scheduler: str | None = None
    interval_days: float | None = None
    due: dt.datetime | None = None
    level_before: int = Field(ge=1, le=3)
    level_after: int = Field(ge=1, le=3)


class TemarioDocument(_Strict):
    """The JSON form of a study database."""

    format: Literal["medcards-temario"] = "medcards-temario"
    version: Literal[1] = 1
    topics: list[TopicRecord] = Field(default_factory=list)
    cards: list[CardRecord] = Field(default_factory=list)
    angles: list[AngleRecord] = Field(default_factory=list)
    reviews: list[ReviewRecord] = Field(default_factory=list)


def _dt(ts: float | None) -> dt.datetime | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC)


def _ts(when: dt.datetime | None) -> float | None:
    return None if when is None else when.timestamp()


def export_document(engine: StudyEngine) -> TemarioDocument:
    """The whole database as a :class:`TemarioDocument`."""
    repo = engine.repo
    titles = repo.topic_titles()
    uids = repo.card_uids()
    topics = [
        TopicRecord(
            title=r[0],
            context=r[1],
            modulo=r[2],
            priority=r[3],
            date_assigned=dt.date.fromisoformat(r[4]),
            level=r[5],
            l2_streak=r[6],
            introduced_at=_dt(r[7]),
            created_at=_dt(r[8]) or dt.datetime.now(dt.UTC),
            source=None if r[9] is None else load_topic_source(r[9], where=f"topic {r[0]!r}"),
        )
        for r in repo.topic_records()
    ]
    states = repo.states()
    cards = []
    for card_id, uid, topic_id, kind, body, retired, created in repo.card_records():
        state, active = states.get(int(card_id), (None, True))
        cards.append(
            CardRecord(
                uid=uid,
                topic=titles[topic_id],
                kind=CardKind(kind),
                card=load_card_json(body, where=f"card {card_id}"),
                retired=bool(retired),
                created_at=_dt(created) or dt.datetime.now(dt.UTC),
                state=state,
                state_active=active,
            )
        )
    angles = [
        AngleRecord(
            parent=uids[r[1]],
            card=uids[r[2]],
            perspective=r[3],
            created_at=_dt(r[4]) or dt.datetime.now(dt.UTC),
            passed_at=_dt(r[5]),
        )
        for r in repo.angle_records()
    ]
    reviews = [
        ReviewRecord(
            card=uids[r["card_id"]],
            kind=CardKind(r["kind"]),
            rating=r["rating"],
            reviewed_at=_dt(r["reviewed_at"]) or dt.datetime.now(dt.UTC),
            first_review=bool(r["first_review"]),
            scheduler=r["scheduler"],
            interval_days=r["interval_days"],
            due=_dt(r["due"]),
            level_before=r["level_before"],
            level_after=r["level_after"],
        )
        for r in repo.review_log()
    ]
    return TemarioDocument(topics=topics, cards=cards, angles=angles, reviews=reviews)


def export_json(engine: StudyEngine, path: str | Path) -> ExportResult:
    """Write the database as JSON to ``path`` (atomically)."""
    path = Path(path)
    text = export_document(engine).model_dump_json(indent=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return ExportResult(path=path, format="json", size_bytes=len(text.encode("utf-8")))


def load_document(path: str | Path) -> TemarioDocument:
    """Read and validate a JSON document.

    Raises:
        StudyError: unreadable file or invalid content, naming the file and the field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StudyError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return TemarioDocument.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = error_field(first, "(document)")
        raise StudyError(
            f"{path}: invalid medcards JSON at {where}: {first['msg']}"
            + (f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else "")
        ) from None


def import_document(engine: StudyEngine, document: TemarioDocument) -> dict[str, int]:
    """Add ``document`` to ``engine``'s database in one transaction; returns counts added.

    Raises:
        StudyError: a topic title or card uid already in the database, or a dangling reference;
            nothing is imported then.
    """
    repo = engine.repo
    try:
        with repo.transaction():
            topic_ids: dict[str, int] = {}
            for t in document.topics:
                with _refused_if_taken(f"topic {t.title!r}"):
                    topic_ids[t.title] = repo.insert_topic_record(
                        (
                            t.title,
                            t.context,
                            t.modulo,
                            t.priority,
                            t.date_assigned.isoformat(),
                            t.level,
                            t.l2_streak,
                            _ts(t.introduced_at),
                            _ts(t.created_at),
                            None
                            if t.source is None
                            else t.source.model_dump_json(exclude_defaults=True),
                        )
                    )
            card_ids: dict[str, int] = {}
            priorities = {t.title: t.priority for t in document.topics}
            for c in document.cards:
                topic_id = _ref(topic_ids, c.topic, f"card {c.uid}: topic")
                with _refused_if_taken(f"card {c.uid!r}"):
                    card_ids[c.uid] = repo.insert_card(
                        topic_id, c.card, c.created_at.timestamp(), uid=c.uid, retired=c.retired
                    )
                if c.state is not None:
                    repo.write_state(
                        card_ids[c.uid], c.state, priorities[c.topic], active=c.state_active
                    )
            for a in document.angles:
                repo.insert_angle(
                    _ref(card_ids, a.parent, "angle parent"),
                    _ref(card_ids, a.card, "angle card"),
                    a.perspective,
                    a.created_at.timestamp(),
                    _ts(a.passed_at),
                )
            topic_of = {c.uid: topic_ids[c.topic] for c in document.cards}
            repo.insert_reviews(
                (
                    _ref(card_ids, r.card, "review card"),
                    topic_of[r.card],
                    r.kind.value,
                    r.rating,
                    _ts(r.reviewed_at),
                    int(r.first_review),
                    r.scheduler,
                    r.interval_days,
                    _ts(r.due),
                    r.level_before,
                    r.level_after,
                )
                for r in document.reviews
            )
    except sqlite3.IntegrityError as exc:
        raise StudyError(f"import refused, nothing was imported: {exc}") from None
    return {
        "topics": len(document.topics),
        "cards": len(document.cards),
        "angles": len(document.angles),
        "reviews": len(document.reviews),
    }


def import_json(engine: StudyEngine, path: str | Path) -> dict[str, int]:
    """:func:`load_document` then :func:`import_document`."""
    return import_document(engine, load_document(path))


@contextlib.contextmanager
def _refused_if_taken(label: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.IntegrityError:
        raise StudyError(f"import refused, nothing was imported: {label} already exists") from None


def _ref(ids: dict[str, int], key: str, what: str) -> int:
    if key not in ids:
        raise StudyError(f"import refused, nothing was imported: {what} {key!r} is not defined")
    return ids[key]


def document_summary(document: TemarioDocument) -> str:
    """One line: how many topics, cards, angles and reviews ``document`` holds."""
    return json.dumps(
        {
            "topics": len(document.topics),
            "cards": len(document.cards),
            "angles": len(document.angles),
            "reviews": len(document.reviews),
        }
    )

"""JSON export and import of a whole ``temario.db``.

The document holds topics, cards, scheduler state, angles and the review log. Cards, angles and
reviews refer to each other by the cards' stable ``uid`` and the topics' titles, so an import
never depends on row ids.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from _sdk import atomic_write_text
from _sdk.sqlite import transaction
from medcards.cards import Card
from medcards.models import CardKind, ExportResult, SchedulerState
from medcards.study.db import StudyError
from medcards.study.engine import CARD_ADAPTER, StudyEngine

_DAY = 86_400.0


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
    conn = engine.conn
    titles = dict(conn.execute("SELECT topic_id, title FROM topics"))
    uids = dict(conn.execute("SELECT card_id, uid FROM cards"))
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
        )
        for r in conn.execute(
            "SELECT title, context, modulo, priority, date_assigned, level, l2_streak,"
            " introduced_at, created_at FROM topics ORDER BY topic_id"
        )
    ]
    states = {
        int(r[0]): (SchedulerState.model_validate_json(r[1]), bool(r[2]))
        for r in conn.execute("SELECT card_id, state_json, active FROM card_state")
    }
    cards = []
    for card_id, uid, topic_id, kind, body, retired, created in conn.execute(
        "SELECT card_id, uid, topic_id, kind, body, retired, created_at FROM cards ORDER BY card_id"
    ):
        state, active = states.get(int(card_id), (None, True))
        cards.append(
            CardRecord(
                uid=uid,
                topic=titles[topic_id],
                kind=CardKind(kind),
                card=CARD_ADAPTER.validate_json(body),
                retired=bool(retired),
                created_at=_dt(created) or dt.datetime.now(dt.UTC),
                state=state,
                state_active=active,
            )
        )
    angles = [
        AngleRecord(
            parent=uids[r[0]],
            card=uids[r[1]],
            perspective=r[2],
            created_at=_dt(r[3]) or dt.datetime.now(dt.UTC),
            passed_at=_dt(r[4]),
        )
        for r in conn.execute(
            "SELECT parent, card_id, perspective, created_at, passed_at FROM angles"
            " ORDER BY angle_id"
        )
    ]
    reviews = [
        ReviewRecord(
            card=uids[r[0]],
            kind=CardKind(r[1]),
            rating=r[2],
            reviewed_at=_dt(r[3]) or dt.datetime.now(dt.UTC),
            first_review=bool(r[4]),
            scheduler=r[5],
            interval_days=r[6],
            due=_dt(r[7]),
            level_before=r[8],
            level_after=r[9],
        )
        for r in conn.execute(
            "SELECT card_id, kind, rating, reviewed_at, first_review, scheduler, interval_days,"
            " due, level_before, level_after FROM reviews ORDER BY review_id"
        )
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
        where = ".".join(str(p) for p in first["loc"]) or "(document)"
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
    conn = engine.conn
    try:
        with transaction(conn):
            topic_ids: dict[str, int] = {}
            for t in document.topics:
                topic_ids[t.title] = _insert(
                    conn,
                    "INSERT INTO topics (title, context, modulo, priority, date_assigned, level,"
                    " l2_streak, introduced_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                        f"topic {t.title!r}",
                    ),
                )
            card_ids: dict[str, int] = {}
            priorities = {t.title: t.priority for t in document.topics}
            for c in document.cards:
                topic_id = _ref(topic_ids, c.topic, f"card {c.uid}: topic")
                card_ids[c.uid] = _insert(
                    conn,
                    "INSERT INTO cards (uid, topic_id, kind, body, retired, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        c.uid,
                        topic_id,
                        c.kind.value,
                        c.card.model_dump_json(),
                        int(c.retired),
                        _ts(c.created_at),
                        f"card {c.uid!r}",
                    ),
                )
                if c.state is not None:
                    due = c.state.due.timestamp()
                    conn.execute(
                        "INSERT INTO card_state (card_id, scheduler, due, due_day, priority,"
                        " interval_days, ease, repetitions, last_review, state_json, active)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            card_ids[c.uid],
                            c.state.scheduler,
                            due,
                            math.floor(due / _DAY),
                            priorities[c.topic],
                            c.state.interval_days,
                            c.state.ease,
                            c.state.repetitions,
                            _ts(c.state.last_review),
                            c.state.model_dump_json(),
                            int(c.state_active),
                        ),
                    )
            for a in document.angles:
                conn.execute(
                    "INSERT INTO angles (parent, card_id, perspective, created_at, passed_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        _ref(card_ids, a.parent, "angle parent"),
                        _ref(card_ids, a.card, "angle card"),
                        a.perspective,
                        _ts(a.created_at),
                        _ts(a.passed_at),
                    ),
                )
            topic_of = {c.uid: topic_ids[c.topic] for c in document.cards}
            conn.executemany(
                "INSERT INTO reviews (card_id, topic_id, kind, rating, reviewed_at, first_review,"
                " scheduler, interval_days, due, level_before, level_after)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
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
                ],
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


def _insert(conn: sqlite3.Connection, sql: str, values: tuple[Any, ...]) -> int:
    *params, label = values
    try:
        return int(conn.execute(sql, params).lastrowid or 0)
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

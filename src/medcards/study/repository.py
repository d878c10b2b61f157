"""The repository of ``temario.db``: every query and write on its tables is here.

The engine, the queue, the JSON transfer and the dashboard read and write the study database
only through :class:`StudyRepository`; the schema itself (``CREATE`` statements, migrations)
is in :mod:`medcards.study.db`. Times are stored as UTC epoch seconds; the scheduler state is
stored whole as JSON, with the columns the queue sorts and filters on copied next to it.

This module is over 400 lines on purpose: it is the one place that knows the SQL, one short
method per statement, grouped by table.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from _sdk.errors import error_field
from _sdk.sqlite import transaction
from medcards.cards import Card, parse_card
from medcards.models import CardKind, SchedulerState
from medcards.study.db import connect
from medcards.study.errors import StudyError, UnknownCardError, UnknownTopicError
from medcards.study.records import StoredCard, Topic, TopicSource

#: Seconds in a day; ``due_day`` is ``floor(due / DAY)``.
DAY = 86_400.0

_TOPIC_COLUMNS = (
    "topic_id, title, context, modulo, priority, date_assigned, level, l2_streak,"
    " introduced_at IS NOT NULL"
)
_REVIEW_COLUMNS = (
    "card_id",
    "topic_id",
    "kind",
    "rating",
    "reviewed_at",
    "first_review",
    "scheduler",
    "interval_days",
    "due",
    "level_before",
    "level_after",
)
_INSERT_REVIEW = (
    f"INSERT INTO reviews ({', '.join(_REVIEW_COLUMNS)}) VALUES ({', '.join('?' * 11)})"
)
#: The columns of :meth:`StudyRepository.review_log`'s dicts.
REVIEW_LOG_COLUMNS = ("review_id", *_REVIEW_COLUMNS)
_INSERT_TOPIC = (
    "INSERT INTO topics (title, context, modulo, priority, date_assigned, created_at,"
    " source_json) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _topic_row(row: Sequence[Any]) -> tuple[Any, ...]:
    """A topic row with its ``source_json`` (None when the row has only the six columns)."""
    return tuple(row) if len(row) == 7 else (*row, None)


def ts(when: dt.datetime) -> float:
    """``when`` as UTC epoch seconds."""
    return when.timestamp()


def utc(stamp: float) -> dt.datetime:
    """UTC epoch seconds as an aware datetime."""
    return dt.datetime.fromtimestamp(stamp, dt.UTC)


def day_bounds(now: dt.datetime) -> tuple[float, float]:
    """Start and end (epoch seconds) of ``now``'s UTC day."""
    start = dt.datetime.combine(now.date(), dt.time(), dt.UTC).timestamp()
    return start, start + DAY


def load_card_json(text: str | bytes, *, where: str) -> Card:
    """Validate one stored card's JSON with :func:`medcards.parse_card`.

    Raises:
        StudyError: invalid card, naming ``where`` and the field.
    """
    try:
        return parse_card(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = error_field(first)
        raise StudyError(f"{where}: invalid card field {field!r}: {first['msg']}") from None
    except ValueError as exc:
        raise StudyError(f"{where}: invalid card: {exc}") from None


def load_topic_source(text: str | bytes, *, where: str) -> TopicSource:
    """Validate one topic's stored ``source_json``.

    Raises:
        StudyError: invalid source data, naming ``where`` and the field.
    """
    try:
        return TopicSource.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = error_field(first, "(record)")
        raise StudyError(
            f"{where}: invalid source data in topics.source_json at {field}: {first['msg']}"
        ) from None


class StudyRepository:
    """Every SQL statement on one ``temario.db`` connection.

    Args:
        db: Path of the database (created and migrated if needed) or an open connection from
            :func:`medcards.study.db.connect`.
    """

    def __init__(self, db: str | Path | sqlite3.Connection) -> None:
        """Open (or adopt) the connection."""
        self.conn = db if isinstance(db, sqlite3.Connection) else connect(db)

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[StudyRepository]:
        """One write transaction; everything in it is rolled back on any exception."""
        with transaction(self.conn):
            yield self

    # -- topics ------------------------------------------------------------------------------

    def insert_topics(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert topic rows.

        A row is ``(title, context, modulo, priority, date_assigned, created_at)``, optionally
        followed by ``source_json`` (:meth:`topic_source`; NULL when left out).

        Raises:
            sqlite3.IntegrityError: a title already stored (the caller's transaction decides).
        """
        self.conn.executemany(_INSERT_TOPIC, [_topic_row(row) for row in rows])

    def insert_topic(self, row: tuple[Any, ...]) -> int:
        """Insert one topic row (as :meth:`insert_topics`) and return its id."""
        cursor = self.conn.execute(_INSERT_TOPIC, _topic_row(row))
        return int(cursor.lastrowid or 0)

    def insert_topic_record(self, values: Sequence[Any]) -> int:
        """Insert a whole topic, as an import does; returns its id.

        ``values``: title, context, modulo, priority, date_assigned, level, l2_streak,
        introduced_at, created_at and, optionally, source_json.
        """
        row = tuple(values)
        if len(row) == 9:
            row = (*row, None)
        cursor = self.conn.execute(
            "INSERT INTO topics (title, context, modulo, priority, date_assigned, level,"
            " l2_streak, introduced_at, created_at, source_json)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
        return int(cursor.lastrowid or 0)

    def topic_source(self, topic_id: int) -> TopicSource | None:
        """Where topic ``topic_id``'s text came from (file, pages or lines), or None.

        Raises:
            StudyError: the stored source data is not valid, naming the topic.
        """
        row = self.conn.execute(
            "SELECT source_json FROM topics WHERE topic_id = ?", (topic_id,)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return load_topic_source(row[0], where=f"topic {topic_id}")

    def existing_titles(self, titles: Sequence[str]) -> set[str]:
        """Which of ``titles`` are stored."""
        marks = ",".join("?" * len(titles))
        rows = self.conn.execute(f"SELECT title FROM topics WHERE title IN ({marks})", titles)
        return {r[0] for r in rows}

    def topic(self, key: int | str) -> Topic | None:
        """The topic with id (int) or title (str) ``key``, or None."""
        column = "topic_id" if isinstance(key, int) else "title"
        row = self.conn.execute(
            f"SELECT {_TOPIC_COLUMNS} FROM topics WHERE {column} = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        return Topic(
            topic_id=row[0],
            title=row[1],
            context=row[2],
            modulo=row[3],
            priority=row[4],
            date_assigned=dt.date.fromisoformat(row[5]),
            level=row[6],
            l2_streak=row[7],
            introduced=bool(row[8]),
        )

    def require_topic(self, key: int | str) -> Topic:
        """The topic with id or title ``key``.

        Raises:
            UnknownTopicError: no such topic.
        """
        found = self.topic(key)
        if found is None:
            raise UnknownTopicError(f"unknown topic {key!r} in the study database")
        return found

    def topic_ids(self) -> list[int]:
        """Every topic id in calendar order (day assigned, priority, module, id)."""
        rows = self.conn.execute(
            "SELECT topic_id FROM topics ORDER BY date_assigned, priority DESC, modulo, topic_id"
        )
        return [int(r[0]) for r in rows]

    def count_topics(self) -> int:
        """Topics in the calendar."""
        return int(self.conn.execute("SELECT count(*) FROM topics").fetchone()[0])

    def topic_titles(self) -> dict[int, str]:
        """``topic_id -> title`` of every topic."""
        return {int(k): str(v) for k, v in self.conn.execute("SELECT topic_id, title FROM topics")}

    def card_topic_titles(self, card_ids: Sequence[int]) -> dict[int, str]:
        """``card_id -> title of its topic`` for ``card_ids``, in one query."""
        if not card_ids:
            return {}
        rows = self.conn.execute(
            "SELECT c.card_id, t.title FROM cards AS c JOIN topics AS t ON t.topic_id = c.topic_id"
            " WHERE c.card_id IN (SELECT value FROM json_each(?))",
            (json.dumps([int(card_id) for card_id in card_ids]),),
        )
        return {int(card_id): str(title) for card_id, title in rows}

    def update_topic_progress(self, topic_id: int, level: int, streak: int, stamp: float) -> None:
        """Set a topic's level and level-2 streak; mark it introduced at ``stamp`` if new."""
        self.conn.execute(
            "UPDATE topics SET level = ?, l2_streak = ?,"
            " introduced_at = coalesce(introduced_at, ?) WHERE topic_id = ?",
            (level, streak, stamp, topic_id),
        )

    def next_new_topic(self, day: dt.date, skipped: Iterable[str]) -> int | None:
        """The first never-studied topic assigned up to ``day``, in calendar order."""
        titles = sorted(skipped)
        row = self.conn.execute(
            "SELECT topic_id FROM topics WHERE introduced_at IS NULL AND date_assigned <= ?"
            f" AND title NOT IN ({','.join('?' * len(titles))})"
            " ORDER BY date_assigned, priority DESC, modulo, topic_id LIMIT 1",
            (day.isoformat(), *titles),
        ).fetchone()
        return None if row is None else int(row[0])

    def new_topic_ids(self, day: dt.date, limit: int) -> list[int]:
        """Up to ``limit`` never-studied topics assigned up to ``day``, in calendar order."""
        rows = self.conn.execute(
            "SELECT topic_id FROM topics WHERE introduced_at IS NULL AND date_assigned <= ?"
            " ORDER BY date_assigned, priority DESC, modulo, topic_id LIMIT ?",
            (day.isoformat(), limit),
        )
        return [int(r[0]) for r in rows]

    def count_introduced_between(self, start: float, end: float) -> int:
        """Topics first studied in ``[start, end)``."""
        row = self.conn.execute(
            "SELECT count(*) FROM topics WHERE introduced_at >= ? AND introduced_at < ?",
            (start, end),
        ).fetchone()
        return int(row[0])

    def count_new_topics(self) -> int:
        """Topics never studied."""
        row = self.conn.execute("SELECT count(*) FROM topics WHERE introduced_at IS NULL")
        return int(row.fetchone()[0])

    def level_counts(self) -> dict[int, int]:
        """Studied topics per level."""
        rows = self.conn.execute(
            "SELECT level, count(*) FROM topics WHERE introduced_at IS NOT NULL GROUP BY level"
        )
        return {int(level): int(count) for level, count in rows}

    def update_topic_calendar(
        self, topic_id: int, *, modulo: str, priority: int, date_assigned: dt.date
    ) -> None:
        """Set a topic's module, priority and day assigned (its scheduled card's priority too)."""
        self.conn.execute(
            "UPDATE topics SET modulo = ?, priority = ?, date_assigned = ? WHERE topic_id = ?",
            (modulo, priority, date_assigned.isoformat(), topic_id),
        )
        self.conn.execute(
            "UPDATE card_state SET priority = ? WHERE card_id IN"
            " (SELECT card_id FROM cards WHERE topic_id = ?)",
            (priority, topic_id),
        )

    def mastered_titles(self) -> list[str]:
        """Titles of the mastered (level 3) topics, in calendar order."""
        rows = self.conn.execute(
            "SELECT title FROM topics WHERE level = 3 AND introduced_at IS NOT NULL"
            " ORDER BY date_assigned, priority DESC, modulo, topic_id"
        )
        return [str(r[0]) for r in rows]

    def topic_records(self) -> list[tuple[Any, ...]]:
        """Every topic whole, by id.

        Columns: title, context, modulo, priority, date_assigned, level, l2_streak,
        introduced_at, created_at, source_json.
        """
        return self.conn.execute(
            "SELECT title, context, modulo, priority, date_assigned, level, l2_streak,"
            " introduced_at, created_at, source_json FROM topics ORDER BY topic_id"
        ).fetchall()

    # -- cards -------------------------------------------------------------------------------

    def insert_card(
        self,
        topic_id: int,
        card: Card,
        created_at: float,
        *,
        uid: str | None = None,
        retired: bool = False,
    ) -> int:
        """Store ``card`` (validated again) for ``topic_id``; a new random ``uid`` unless given.

        Raises:
            sqlite3.IntegrityError: the ``uid`` is taken or the topic does not exist.
        """
        validated = parse_card(card.model_dump())
        cursor = self.conn.execute(
            "INSERT INTO cards (uid, topic_id, kind, body, retired, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                uid or uuid.uuid4().hex,
                topic_id,
                validated.kind,
                validated.model_dump_json(),
                int(retired),
                created_at,
            ),
        )
        return int(cursor.lastrowid or 0)

    def card(self, card_id: int) -> StoredCard | None:
        """The stored card ``card_id``, or None."""
        row = self.conn.execute(
            "SELECT card_id, uid, topic_id, kind, body, retired FROM cards WHERE card_id = ?",
            (card_id,),
        ).fetchone()
        if row is None:
            return None
        return StoredCard(
            card_id=row[0],
            uid=row[1],
            topic_id=row[2],
            kind=CardKind(row[3]),
            card=load_card_json(row[4], where=f"card {row[0]}"),
            retired=bool(row[5]),
        )

    def require_card(self, card_id: int) -> StoredCard:
        """The stored card ``card_id``.

        Raises:
            UnknownCardError: no such card.
        """
        found = self.card(card_id)
        if found is None:
            raise UnknownCardError(f"unknown card id {card_id!r} in the study database")
        return found

    def card_ids(self, topic_id: int | None = None) -> list[int]:
        """Ids of every stored card (of ``topic_id`` when given), oldest first."""
        if topic_id is None:
            rows = self.conn.execute("SELECT card_id FROM cards ORDER BY card_id")
        else:
            rows = self.conn.execute(
                "SELECT card_id FROM cards WHERE topic_id = ? ORDER BY card_id", (topic_id,)
            )
        return [int(r[0]) for r in rows]

    def card_of_kind(self, topic_id: int, kind: CardKind) -> int | None:
        """The oldest non-retired card of ``kind`` of a topic."""
        row = self.conn.execute(
            "SELECT card_id FROM cards WHERE topic_id = ? AND kind = ? AND retired = 0"
            " ORDER BY card_id LIMIT 1",
            (topic_id, kind.value),
        ).fetchone()
        return None if row is None else int(row[0])

    def card_uids(self) -> dict[int, str]:
        """``card_id -> uid`` of every card."""
        return {int(k): str(v) for k, v in self.conn.execute("SELECT card_id, uid FROM cards")}

    def card_records(self) -> list[tuple[Any, ...]]:
        """Every card whole, by id: card_id, uid, topic_id, kind, body, retired, created_at."""
        return self.conn.execute(
            "SELECT card_id, uid, topic_id, kind, body, retired, created_at FROM cards"
            " ORDER BY card_id"
        ).fetchall()

    def retire_card(self, card_id: int) -> None:
        """Take a card out of the queue (a level-1 MCQ after promotion)."""
        self.conn.execute("UPDATE cards SET retired = 1 WHERE card_id = ?", (card_id,))
        self.conn.execute("UPDATE card_state SET active = 0 WHERE card_id = ?", (card_id,))

    # -- scheduler state ---------------------------------------------------------------------

    def state(self, card_id: int) -> SchedulerState | None:
        """The stored scheduler state of a card, or None."""
        row = self.conn.execute(
            "SELECT state_json FROM card_state WHERE card_id = ?", (card_id,)
        ).fetchone()
        return None if row is None else SchedulerState.model_validate_json(row[0])

    def states(self) -> dict[int, tuple[SchedulerState, bool]]:
        """``card_id -> (state, active)`` of every scheduled card."""
        return {
            int(r[0]): (SchedulerState.model_validate_json(r[1]), bool(r[2]))
            for r in self.conn.execute("SELECT card_id, state_json, active FROM card_state")
        }

    def write_state(
        self, card_id: int, state: SchedulerState, priority: int, *, active: bool = True
    ) -> None:
        """Store (or replace) a card's scheduler state, with the topic's ``priority``."""
        due = ts(state.due)
        self.conn.execute(
            "INSERT OR REPLACE INTO card_state (card_id, scheduler, due, due_day, priority,"
            " interval_days, ease, repetitions, last_review, state_json, active)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                card_id,
                state.scheduler,
                due,
                math.floor(due / DAY),
                priority,
                state.interval_days,
                state.ease,
                state.repetitions,
                None if state.last_review is None else ts(state.last_review),
                state.model_dump_json(),
                int(active),
            ),
        )

    def count_due(self, stamp: float) -> int:
        """Scheduled cards due at ``stamp`` (overdue included)."""
        row = self.conn.execute(
            "SELECT count(*) FROM card_state WHERE active = 1 AND due <= ?", (stamp,)
        ).fetchone()
        return int(row[0])

    def due(self, stamp: float, limit: int) -> list[tuple[int, float]]:
        """``(card_id, due)`` of up to ``limit`` cards due at ``stamp``, in queue order.

        Most overdue day first, then higher priority, then earliest due time (one index scan).
        """
        rows = self.conn.execute(
            "SELECT card_id, due FROM card_state WHERE active = 1 AND due_day <= ? AND due <= ?"
            " ORDER BY due_day, priority DESC, due LIMIT ?",
            (math.floor(stamp / DAY), stamp, limit),
        )
        return [(int(card_id), float(due)) for card_id, due in rows]

    def due_times_before(self, stamp: float) -> list[float]:
        """Due times of the scheduled cards due before ``stamp``."""
        rows = self.conn.execute(
            "SELECT due FROM card_state WHERE active = 1 AND due < ?", (stamp,)
        )
        return [float(r[0]) for r in rows]

    # -- angles ------------------------------------------------------------------------------

    def insert_angle(
        self,
        parent: int,
        card_id: int,
        perspective: str,
        created_at: float,
        passed_at: float | None = None,
    ) -> int:
        """Record an angle: variant ``card_id`` of the failed card ``parent``."""
        cursor = self.conn.execute(
            "INSERT INTO angles (parent, card_id, perspective, created_at, passed_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (parent, card_id, perspective, created_at, passed_at),
        )
        return int(cursor.lastrowid or 0)

    def count_angles_of(self, parent: int, *, pending_only: bool = False) -> int:
        """Angles of the card ``parent`` (only those not passed, if asked)."""
        query = "SELECT count(*) FROM angles WHERE parent = ?"
        if pending_only:
            query += " AND passed_at IS NULL"
        return int(self.conn.execute(query, (parent,)).fetchone()[0])

    def count_pending_angles(self, topic_id: int | None = None) -> int:
        """Angles not passed yet (of one topic's cards when ``topic_id`` is given)."""
        if topic_id is None:
            row = self.conn.execute("SELECT count(*) FROM angles WHERE passed_at IS NULL")
        else:
            row = self.conn.execute(
                "SELECT count(*) FROM angles a JOIN cards c ON c.card_id = a.card_id"
                " WHERE c.topic_id = ? AND a.passed_at IS NULL",
                (topic_id,),
            )
        return int(row.fetchone()[0])

    def angle_of_variant(self, card_id: int) -> tuple[int, int, float | None] | None:
        """``(angle_id, parent, passed_at)`` of the angle whose variant is ``card_id``."""
        row = self.conn.execute(
            "SELECT angle_id, parent, passed_at FROM angles WHERE card_id = ?", (card_id,)
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]), row[2])

    def pass_angle(self, angle_id: int, stamp: float) -> None:
        """Mark an angle passed at ``stamp``."""
        self.conn.execute("UPDATE angles SET passed_at = ? WHERE angle_id = ?", (stamp, angle_id))

    def oldest_pending_angle(self) -> tuple[int, int] | None:
        """``(angle_id, variant card_id)`` of the oldest angle not passed yet."""
        row = self.conn.execute(
            "SELECT angle_id, card_id FROM angles WHERE passed_at IS NULL"
            " ORDER BY created_at, angle_id LIMIT 1"
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    def angle_counts(self) -> tuple[int, int]:
        """``(pending, passed)`` angles."""
        row = self.conn.execute(
            "SELECT coalesce(sum(passed_at IS NULL), 0), coalesce(sum(passed_at IS NOT NULL), 0)"
            " FROM angles"
        ).fetchone()
        return int(row[0]), int(row[1])

    def recovered_parents(self) -> int:
        """Failed cards with angles, every one of them passed (the card is recovered)."""
        row = self.conn.execute(
            "SELECT count(*) FROM (SELECT parent FROM angles GROUP BY parent"
            " HAVING sum(passed_at IS NULL) = 0)"
        ).fetchone()
        return int(row[0])

    def angle_records(self, *, pending_only: bool = False) -> list[tuple[Any, ...]]:
        """Angles by id: angle_id, parent, card_id, perspective, created_at, passed_at."""
        query = "SELECT angle_id, parent, card_id, perspective, created_at, passed_at FROM angles"
        if pending_only:
            query += " WHERE passed_at IS NULL"
        return self.conn.execute(query + " ORDER BY angle_id").fetchall()

    # -- reviews -----------------------------------------------------------------------------

    def insert_review(self, row: Sequence[Any]) -> int:
        """Append one review (columns of :data:`REVIEW_LOG_COLUMNS` but the id); its id."""
        return int(self.conn.execute(_INSERT_REVIEW, tuple(row)).lastrowid or 0)

    def insert_reviews(self, rows: Iterable[Sequence[Any]]) -> None:
        """Append many reviews, as :meth:`insert_review`."""
        self.conn.executemany(_INSERT_REVIEW, (tuple(row) for row in rows))

    def was_reviewed(self, card_id: int) -> bool:
        """Whether the log has a review of ``card_id``."""
        row = self.conn.execute(
            "SELECT 1 FROM reviews WHERE card_id = ? LIMIT 1", (card_id,)
        ).fetchone()
        return row is not None

    def count_reviews_of(self, card_id: int) -> int:
        """Reviews of ``card_id`` in the log."""
        row = self.conn.execute(
            "SELECT count(*) FROM reviews WHERE card_id = ?", (card_id,)
        ).fetchone()
        return int(row[0])

    def review(self, review_id: int) -> dict[str, Any] | None:
        """One review of the log as a dict with :data:`REVIEW_LOG_COLUMNS`, or None."""
        row = self.conn.execute(
            f"SELECT {', '.join(REVIEW_LOG_COLUMNS)} FROM reviews WHERE review_id = ?",
            (review_id,),
        ).fetchone()
        return None if row is None else dict(zip(REVIEW_LOG_COLUMNS, row, strict=True))

    def angle_made_by(self, parent: int, stamp: float) -> int | None:
        """The angle created for the failed card ``parent`` at ``stamp`` (its review), or None."""
        row = self.conn.execute(
            "SELECT angle_id FROM angles WHERE parent = ? AND created_at = ?", (parent, stamp)
        ).fetchone()
        return None if row is None else int(row[0])

    def last_review_id(self, card_id: int) -> int | None:
        """The latest review of ``card_id`` in the log, or None."""
        row = self.conn.execute(
            "SELECT max(review_id) FROM reviews WHERE card_id = ?", (card_id,)
        ).fetchone()
        return None if row[0] is None else int(row[0])

    def reviews_per_day(self, start: float, end: float) -> list[tuple[int, int, int, int]]:
        """``(day, reviews, repeat reviews, repeat reviews not failed)`` per UTC day.

        Covers ``[start, end)``.

        Day numbers are ``floor(reviewed_at / DAY)``; the recalled count covers scheduled repeat
        reviews only (not first sights, not variants), as retention does.
        """
        rows = self.conn.execute(
            "SELECT CAST(reviewed_at / ? AS INTEGER) AS d, count(*),"
            " sum(first_review = 0 AND kind != 'variant'),"
            " sum(first_review = 0 AND kind != 'variant' AND rating > 1)"
            " FROM reviews WHERE reviewed_at >= ? AND reviewed_at < ? GROUP BY d ORDER BY d",
            (DAY, start, end),
        )
        return [(int(d), int(n), int(rep or 0), int(ok or 0)) for d, n, rep, ok in rows]

    def count_repeat_reviews_between(self, start: float, end: float) -> int:
        """Scheduled reviews (not first sights, not variants) logged in ``[start, end)``."""
        row = self.conn.execute(
            "SELECT count(*) FROM reviews WHERE reviewed_at >= ? AND reviewed_at < ?"
            " AND first_review = 0 AND kind != 'variant'",
            (start, end),
        ).fetchone()
        return int(row[0])

    def count_reviews(self) -> int:
        """Reviews in the log."""
        return int(self.conn.execute("SELECT count(*) FROM reviews").fetchone()[0])

    def retention_by_module(self) -> list[tuple[str, int, int]]:
        """``(modulo, recalled, reviews)`` of the repeat reviews (not variants), by module."""
        rows = self.conn.execute(
            "SELECT t.modulo, sum(r.rating > 1), count(*) FROM reviews r"
            " JOIN topics t ON t.topic_id = r.topic_id"
            " WHERE r.first_review = 0 AND r.kind != 'variant'"
            " GROUP BY t.modulo ORDER BY t.modulo"
        )
        return [(str(m), int(recalled), int(total)) for m, recalled, total in rows]

    # -- settings ----------------------------------------------------------------------------

    def settings(self) -> dict[str, str]:
        """Every stored setting, ``key -> JSON text``."""
        return {str(k): str(v) for k, v in self.conn.execute("SELECT key, value FROM settings")}

    def write_settings(self, values: dict[str, str], stamp: float) -> None:
        """Store (or replace) settings, ``key -> JSON text``."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES (?, ?, ?)",
            [(k, v, stamp) for k, v in values.items()],
        )

    def review_log(self) -> list[dict[str, Any]]:
        """The whole review log, oldest first, as dicts with :data:`REVIEW_LOG_COLUMNS`."""
        rows = self.conn.execute(
            f"SELECT {', '.join(REVIEW_LOG_COLUMNS)} FROM reviews ORDER BY review_id"
        )
        return [dict(zip(REVIEW_LOG_COLUMNS, row, strict=True)) for row in rows]

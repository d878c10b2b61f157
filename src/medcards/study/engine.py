"""The study loop: the calendar queue, reviews, the mastery ladder and angle sub-nodes.

:meth:`StudyEngine.next_topic` picks what to study; :meth:`StudyEngine.update_progress` records
a review.

A topic climbs three levels: 1 (multiple-choice drill), 2 (open recall drill) and 3 (mastered).
Each topic has one *scheduled* card at a time (its MCQ at level 1, its open drill from level 2;
the open drill inherits the MCQ's scheduler state on promotion, so the topic keeps its rhythm).
A Fail creates an *angle*: a variant of the failed card from another perspective, asked from the
configured card generator. The topic cannot climb while one of its angles is not yet passed.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import math
import sqlite3
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from _sdk.sqlite import transaction
from medcards.cards import Card
from medcards.errors import CardRejected
from medcards.interfaces import CardGenerator, Scheduler
from medcards.models import CardKind, CardRequest, Rating, SchedulerState
from medcards.study.db import StudyError, connect

_DAY = 86_400.0
CARD_ADAPTER: TypeAdapter[Card] = TypeAdapter(Annotated[Card, Field(discriminator="kind")])

#: Perspectives asked for, in turn, when a card is failed (the seed's "ángulos").
DEFAULT_PERSPECTIVES: tuple[str, ...] = (
    "complicaciones",
    "diagnóstico diferencial",
    "tratamiento de primera y segunda línea",
    "fisiopatología",
    "criterios diagnósticos",
)


class UnknownTopicError(StudyError):
    """No topic (or card) with that title or id in the study database."""


class InvalidRatingError(StudyError):
    """A rating outside 1 (Fail) ... 4 (Easy)."""


class TopicLevel:
    """Levels of the mastery ladder (plain ints in the database)."""

    MCQ = 1
    OPEN = 2
    MASTERED = 3
    NAMES: ClassVar[dict[int, str]] = {1: "Nivel 1 (MCQ)", 2: "Nivel 2 (abierto)", 3: "Dominado"}


class MasteryRules(BaseModel):
    """When a topic climbs the ladder.

    Attributes:
        min_ease: SM-2: level 1 -> 2 needs an easiness factor strictly above this.
        min_interval_days: Level 1 -> 2 needs an interval strictly above this many days (both
            schedulers).
        fsrs_max_difficulty: FSRS: level 1 -> 2 needs an FSRS difficulty (1-10) at or below this
            (the FSRS counterpart of a high ease factor).
        mastered_after: Level 2 -> mastered after this many consecutive level-2 successes.
        success_rating: The lowest rating that counts as a success (and passes an angle).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_ease: float = 2.6
    min_interval_days: float = 7.0
    fsrs_max_difficulty: float = Field(default=5.0, ge=1.0, le=10.0)
    mastered_after: int = Field(default=3, ge=1)
    success_rating: Rating = Rating.GOOD


class DailyLimits(BaseModel):
    """Most new topics and scheduled reviews served per UTC day (angle variants are not limited)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    new_topics: int = Field(default=20, ge=0)
    reviews: int = Field(default=200, ge=0)


class Topic(BaseModel):
    """A row of ``topics``."""

    topic_id: int
    title: str
    context: str
    modulo: str
    priority: int
    date_assigned: dt.date
    level: int
    l2_streak: int
    introduced: bool


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
    """What :meth:`StudyEngine.update_progress` did.

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


def _ts(when: dt.datetime) -> float:
    return when.timestamp()


def _utc(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)


def _check_now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise StudyError(f"time {now.isoformat()} has no timezone: pass an aware (UTC) datetime")
    return now.astimezone(dt.UTC)


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


class StudyEngine:
    """The study loop over one ``temario.db``.

    Args:
        db: Path of the database (created if missing) or an open connection from
            :func:`medcards.study.db.connect`.
        scheduler: A :class:`~medcards.Scheduler` or the name of one (``"sm2"``, ``"fsrs"``).
        generator: Card generator for missing MCQ / open drills and for angle variants; without
            one, topics need their cards stored beforehand and a Fail creates no angle.
        rules: Mastery rules.
        limits: Daily limits.
        perspectives: Angle perspectives, asked in turn for each failed card.
    """

    def __init__(
        self,
        db: str | Path | sqlite3.Connection,
        *,
        scheduler: Scheduler | str = "sm2",
        generator: CardGenerator | None = None,
        rules: MasteryRules | None = None,
        limits: DailyLimits | None = None,
        perspectives: Sequence[str] = DEFAULT_PERSPECTIVES,
    ) -> None:
        """Open the database and configure the loop."""
        if isinstance(scheduler, str):
            from medcards.plugins import get_scheduler

            scheduler = get_scheduler(scheduler)
        self.conn = db if isinstance(db, sqlite3.Connection) else connect(db)
        self.scheduler = scheduler
        self.generator = generator
        self.rules = rules or MasteryRules()
        self.limits = limits or DailyLimits()
        if not perspectives:
            raise StudyError("at least one angle perspective is needed")
        self.perspectives = tuple(perspectives)
        #: Topics whose card generation was rejected in this session: title -> reasons.
        self.rejections: dict[str, list[str]] = {}
        #: New topics skipped in this session because no MCQ drill could be made.
        self.skipped_new: set[str] = set()

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database connection."""
        self.conn.close()

    def __enter__(self) -> Self:
        """Use the engine as a context manager that closes the database."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the database."""
        self.close()

    # -- topics and cards ------------------------------------------------------------------

    def add_topic(
        self,
        title: str,
        context: str = "",
        *,
        modulo: str = "",
        priority: int = 0,
        date_assigned: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> Topic:
        """Add a topic to the calendar (``date_assigned`` defaults to today, UTC).

        Raises:
            StudyError: empty or duplicate title.
        """
        now = _check_now(now)
        title = title.strip()
        if not title:
            raise StudyError("a topic needs a non-empty title")
        day = date_assigned or now.date()
        try:
            with transaction(self.conn):
                cursor = self.conn.execute(
                    "INSERT INTO topics (title, context, modulo, priority, date_assigned,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (title, context, modulo, int(priority), day.isoformat(), _ts(now)),
                )
        except sqlite3.IntegrityError:
            raise StudyError(f"topic {title!r} already exists") from None
        return self.topic(int(cursor.lastrowid or 0))

    def import_topics_csv(self, path: str | Path, *, now: dt.datetime | None = None) -> list[Topic]:
        """Add the topics of a CSV file, all in one transaction.

        Columns: ``title`` and, optionally, ``context``, ``modulo``, ``priority`` and
        ``date_assigned`` (YYYY-MM-DD, default today).

        Raises:
            StudyError: a bad row, naming the file, line and field; nothing is added then.
        """
        now = _check_now(now)
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise StudyError(f"cannot read {path}: {exc.strerror}") from None
        reader = csv.DictReader(text.splitlines())
        if reader.fieldnames is None or "title" not in reader.fieldnames:
            raise StudyError(f"{path}:1: the header needs a 'title' column")
        rows: list[tuple[Any, ...]] = []
        for record in reader:
            line = reader.line_num
            title = (record.get("title") or "").strip()
            if not title:
                raise StudyError(f"{path}:{line}: field 'title' is empty")
            try:
                priority = int((record.get("priority") or "0").strip() or 0)
            except ValueError:
                raise StudyError(
                    f"{path}:{line}: field 'priority' must be an integer, got "
                    f"{record.get('priority')!r}"
                ) from None
            raw_day = (record.get("date_assigned") or "").strip()
            try:
                day = dt.date.fromisoformat(raw_day) if raw_day else now.date()
            except ValueError:
                raise StudyError(
                    f"{path}:{line}: field 'date_assigned' must be YYYY-MM-DD, got {raw_day!r}"
                ) from None
            context = record.get("context") or ""
            modulo = (record.get("modulo") or "").strip()
            rows.append((title, context, modulo, priority, day.isoformat(), _ts(now)))
        return self._insert_topics(rows, path)

    def import_topics_jsonl(
        self,
        path: str | Path,
        *,
        date_assigned: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> list[Topic]:
        """Add the topics written by ``medcards ingest`` (JSON Lines), in one transaction.

        Each topic keeps its ``title``, ``context`` and ``modulo``; all get ``date_assigned``
        (default today) and priorities that keep the guide's order (earlier sections first).

        Raises:
            MedcardsError: a malformed record (naming file and line) or a title already stored.
        """
        from medcards.ingest import load_topics

        now = _check_now(now)
        day = (date_assigned or now.date()).isoformat()
        topics = load_topics(Path(path))
        rows = [
            (t.title, t.context, t.modulo, len(topics) - i, day, _ts(now))
            for i, t in enumerate(topics)
        ]
        return self._insert_topics(rows, path)

    def _insert_topics(self, rows: Sequence[tuple[Any, ...]], path: str | Path) -> list[Topic]:
        """Insert topic rows (title, context, modulo, priority, date_assigned, created_at).

        All or nothing: a title already stored or repeated in ``rows`` rolls the whole batch back.
        """
        titles = [r[0] for r in rows]
        try:
            with transaction(self.conn):
                self.conn.executemany(
                    "INSERT INTO topics (title, context, modulo, priority, date_assigned,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.IntegrityError:
            existing = {
                r[0]
                for r in self.conn.execute(
                    f"SELECT title FROM topics WHERE title IN ({','.join('?' * len(titles))})",
                    titles,
                )
            }
            dupes = sorted(existing) or sorted({t for t in titles if titles.count(t) > 1})
            raise StudyError(f"{path}: topic(s) already exist or repeat: {dupes}") from None
        return [self.topic(t) for t in titles]

    def topic(self, key: int | str) -> Topic:
        """The topic with id or title ``key``.

        Raises:
            UnknownTopicError: no such topic.
        """
        column = "topic_id" if isinstance(key, int) else "title"
        row = self.conn.execute(
            "SELECT topic_id, title, context, modulo, priority, date_assigned, level, l2_streak,"
            f" introduced_at IS NOT NULL FROM topics WHERE {column} = ?",
            (key,),
        ).fetchone()
        if row is None:
            raise UnknownTopicError(f"unknown topic {key!r} in the study database")
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

    def topics(self) -> list[Topic]:
        """Every topic, in calendar order."""
        ids = self.conn.execute(
            "SELECT topic_id FROM topics ORDER BY date_assigned, priority DESC, modulo, topic_id"
        ).fetchall()
        return [self.topic(int(r[0])) for r in ids]

    def add_card(self, topic: Topic | int | str, card: Card) -> StoredCard:
        """Store a card (validated) for ``topic``.

        Raises:
            UnknownTopicError: no such topic.
        """
        found = topic if isinstance(topic, Topic) else self.topic(topic)
        with transaction(self.conn):
            card_id = self._insert_card(found.topic_id, card)
        return self.card(card_id)

    def _insert_card(self, topic_id: int, card: Card, now: float | None = None) -> int:
        validated = CARD_ADAPTER.validate_python(card.model_dump())
        cursor = self.conn.execute(
            "INSERT INTO cards (uid, topic_id, kind, body, created_at) VALUES (?, ?, ?, ?, ?)",
            (
                uuid.uuid4().hex,
                topic_id,
                validated.kind,
                validated.model_dump_json(),
                now if now is not None else dt.datetime.now(dt.UTC).timestamp(),
            ),
        )
        return int(cursor.lastrowid or 0)

    def card(self, card_id: int) -> StoredCard:
        """The stored card ``card_id``.

        Raises:
            UnknownTopicError: no such card.
        """
        row = self.conn.execute(
            "SELECT card_id, uid, topic_id, kind, body, retired FROM cards WHERE card_id = ?",
            (card_id,),
        ).fetchone()
        if row is None:
            raise UnknownTopicError(f"unknown card id {card_id!r} in the study database")
        return StoredCard(
            card_id=row[0],
            uid=row[1],
            topic_id=row[2],
            kind=CardKind(row[3]),
            card=CARD_ADAPTER.validate_json(row[4]),
            retired=bool(row[5]),
        )

    def cards(self, topic: Topic | int | str | None = None) -> list[StoredCard]:
        """Every stored card (of ``topic`` when given), oldest first."""
        if topic is None:
            rows = self.conn.execute("SELECT card_id FROM cards ORDER BY card_id").fetchall()
        else:
            found = topic if isinstance(topic, Topic) else self.topic(topic)
            rows = self.conn.execute(
                "SELECT card_id FROM cards WHERE topic_id = ? ORDER BY card_id",
                (found.topic_id,),
            ).fetchall()
        return [self.card(int(r[0])) for r in rows]

    def state(self, card_id: int) -> SchedulerState | None:
        """The scheduler state of card ``card_id`` (None when never reviewed or not scheduled)."""
        row = self.conn.execute(
            "SELECT state_json FROM card_state WHERE card_id = ?", (card_id,)
        ).fetchone()
        return None if row is None else SchedulerState.model_validate_json(row[0])

    # -- the queue -------------------------------------------------------------------------

    def _day_bounds(self, now: dt.datetime) -> tuple[float, float]:
        start = dt.datetime.combine(now.date(), dt.time(), dt.UTC).timestamp()
        return start, start + _DAY

    def reviews_today(self, now: dt.datetime | None = None) -> int:
        """Scheduled reviews (not first sights, not angle variants) logged today (UTC)."""
        now = _check_now(now)
        start, end = self._day_bounds(now)
        row = self.conn.execute(
            "SELECT count(*) FROM reviews WHERE reviewed_at >= ? AND reviewed_at < ?"
            " AND first_review = 0 AND kind != 'variant'",
            (start, end),
        ).fetchone()
        return int(row[0])

    def new_topics_today(self, now: dt.datetime | None = None) -> int:
        """Topics first studied today (UTC)."""
        now = _check_now(now)
        start, end = self._day_bounds(now)
        row = self.conn.execute(
            "SELECT count(*) FROM topics WHERE introduced_at >= ? AND introduced_at < ?",
            (start, end),
        ).fetchone()
        return int(row[0])

    def count_due(self, now: dt.datetime | None = None) -> int:
        """Scheduled cards due at ``now`` (overdue included)."""
        now = _check_now(now)
        row = self.conn.execute(
            "SELECT count(*) FROM card_state WHERE active = 1 AND due <= ?", (_ts(now),)
        ).fetchone()
        return int(row[0])

    def due_cards(
        self, now: dt.datetime | None = None, *, limit: int = 50
    ) -> list[tuple[Topic, StoredCard, dt.datetime]]:
        """Up to ``limit`` scheduled cards due at ``now``, in queue order: (topic, card, due)."""
        now = _check_now(now)
        stamp = _ts(now)
        rows = self.conn.execute(
            "SELECT card_id, due FROM card_state WHERE active = 1 AND due_day <= ? AND due <= ?"
            " ORDER BY due_day, priority DESC, due LIMIT ?",
            (math.floor(stamp / _DAY), stamp, limit),
        ).fetchall()
        out = []
        for card_id, due in rows:
            card = self.card(int(card_id))
            out.append((self.topic(card.topic_id), card, _utc(due)))
        return out

    def next_topic(self, now: dt.datetime | None = None) -> StudyItem | None:
        """What to study next at ``now``, or None when nothing is left for today.

        Order: due reviews (most overdue day first, then higher priority, then earliest due),
        then pending angle variants (oldest first), then new topics by calendar
        (``date_assigned`` up to today, higher ``priority``, ``modulo``). Reviews and new topics
        stop at the daily limits. A new topic without an MCQ drill gets one from the generator.
        """
        now = _check_now(now)
        stamp = _ts(now)
        if self.reviews_today(now) < self.limits.reviews:
            row = self.conn.execute(
                "SELECT card_id, due FROM card_state WHERE active = 1 AND due_day <= ?"
                " AND due <= ? ORDER BY due_day, priority DESC, due LIMIT 1",
                (math.floor(stamp / _DAY), stamp),
            ).fetchone()
            if row is not None:
                card = self.card(int(row[0]))
                return StudyItem(
                    reason="review", topic=self.topic(card.topic_id), card=card, due=_utc(row[1])
                )
        row = self.conn.execute(
            "SELECT angle_id, card_id FROM angles WHERE passed_at IS NULL"
            " ORDER BY created_at, angle_id LIMIT 1"
        ).fetchone()
        if row is not None:
            card = self.card(int(row[1]))
            return StudyItem(
                reason="angle", topic=self.topic(card.topic_id), card=card, angle_id=int(row[0])
            )
        if self.new_topics_today(now) >= self.limits.new_topics:
            return None
        while True:
            skipped = sorted(self.skipped_new)
            row = self.conn.execute(
                "SELECT topic_id FROM topics WHERE introduced_at IS NULL AND date_assigned <= ?"
                f" AND title NOT IN ({','.join('?' * len(skipped))})"
                " ORDER BY date_assigned, priority DESC, modulo, topic_id LIMIT 1",
                (now.date().isoformat(), *skipped),
            ).fetchone()
            if row is None:
                return None
            topic = self.topic(int(row[0]))
            card_id = self._card_of_kind(topic, CardKind.MCQ)
            if card_id is None:
                self.skipped_new.add(topic.title)
                continue
            return StudyItem(reason="new", topic=topic, card=self.card(card_id))

    def _card_of_kind(self, topic: Topic, kind: CardKind) -> int | None:
        """A stored, non-retired card of ``kind`` for ``topic``; generated (and stored) if none."""
        row = self.conn.execute(
            "SELECT card_id FROM cards WHERE topic_id = ? AND kind = ? AND retired = 0"
            " ORDER BY card_id LIMIT 1",
            (topic.topic_id, kind.value),
        ).fetchone()
        if row is not None:
            return int(row[0])
        generated = self._generate(topic, kind)
        if generated is None:
            return None
        with transaction(self.conn):
            return self._insert_card(topic.topic_id, generated)

    def _generate(
        self,
        topic: Topic,
        kind: CardKind,
        perspective: str | None = None,
        parent: str | None = None,
    ) -> Card | None:
        if self.generator is None:
            self.rejections[topic.title] = [f"no {kind.value} card stored and no card generator"]
            return None
        if not topic.context.strip():
            self.rejections[topic.title] = ["the topic has no context to generate from"]
            return None
        request = CardRequest(
            topic=topic.title,
            context=topic.context,
            kind=kind,
            perspective=perspective,
            parent_id=parent,
        )
        try:
            card = self.generator.generate(request)
        except CardRejected as exc:
            self.rejections[topic.title] = list(exc.reasons)
            return None
        if card.kind != kind.value:
            self.rejections[topic.title] = [f"asked for a {kind.value} card, got {card.kind}"]
            return None
        return card

    # -- reviews ---------------------------------------------------------------------------

    def update_progress(
        self,
        card: StudyItem | StoredCard | int,
        rating: Rating | int | str,
        now: dt.datetime | None = None,
    ) -> ReviewOutcome:
        """Record a review of ``card`` rated ``rating`` at ``now``, all in one transaction.

        Updates the scheduler state, appends to the review log, applies the mastery rules and,
        on a Fail, creates an angle variant (generated before the transaction, so a slow or
        failing generator never leaves a half-written review).

        Raises:
            InvalidRatingError: rating not in 1-4.
            UnknownTopicError: no such card.
        """
        rating = parse_rating(rating)
        now = _check_now(now)
        if isinstance(card, StudyItem):
            card = card.card
        card_id = card.card_id if isinstance(card, StoredCard) else int(card)
        stored = self.card(card_id)
        topic = self.topic(stored.topic_id)
        if stored.kind == CardKind.VARIANT:
            return self._review_variant(stored, topic, rating, now)
        if stored.retired:
            raise StudyError(
                f"card {card_id} of topic {topic.title!r} is retired (the topic moved to level "
                f"{topic.level}); review its current card"
            )
        before = self.state(card_id)
        if before is not None and before.scheduler != self.scheduler.name:
            raise StudyError(
                f"card {card_id} is scheduled by {before.scheduler!r} but this session uses "
                f"{self.scheduler.name!r}: study this database with --scheduler "
                f"{before.scheduler}"
            )
        after = self.scheduler.review(before, rating, now)
        level, streak = topic.level, topic.l2_streak
        success = rating >= self.rules.success_rating
        pending = self._pending_angles(topic.topic_id)
        angle_card: Card | None = None
        perspective = ""
        rejected: list[str] = []
        promote_to: int | None = None
        blocked: str | None = None
        if rating == Rating.FAIL:
            streak = 0
            level = min(level, TopicLevel.OPEN)
            perspective = self._next_perspective(card_id)
            angle_card = self._generate(
                topic, CardKind.VARIANT, perspective=perspective, parent=stored.uid
            )
            if angle_card is None:
                rejected = self.rejections.get(topic.title, ["no variant generated"])
        elif level == TopicLevel.MCQ and self.eligible_for_open_recall(after):
            if pending:
                blocked = f"{pending} angle(s) of this topic not passed yet"
            else:
                promote_to = self._card_of_kind(topic, CardKind.OPEN)
                if promote_to is None:
                    blocked = "; ".join(self.rejections.get(topic.title, ["no open drill"]))
        elif level == TopicLevel.OPEN:
            if not success:
                streak = 0
            elif pending:
                blocked = f"{pending} angle(s) of this topic not passed yet"
            else:
                streak += 1
                if streak >= self.rules.mastered_after:
                    level = TopicLevel.MASTERED
        if promote_to is not None:
            level, streak = TopicLevel.OPEN, 0
        stamp = _ts(now)
        with transaction(self.conn):
            cursor = self.conn.execute(
                "INSERT INTO reviews (card_id, topic_id, kind, rating, reviewed_at, first_review,"
                " scheduler, interval_days, due, level_before, level_after)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    card_id,
                    topic.topic_id,
                    stored.kind.value,
                    int(rating),
                    stamp,
                    int(before is None),
                    after.scheduler,
                    after.interval_days,
                    _ts(after.due),
                    topic.level,
                    level,
                ),
            )
            review_id = int(cursor.lastrowid or 0)
            scheduled_id = card_id
            if promote_to is not None:
                self.conn.execute("UPDATE cards SET retired = 1 WHERE card_id = ?", (card_id,))
                self.conn.execute("UPDATE card_state SET active = 0 WHERE card_id = ?", (card_id,))
                scheduled_id = promote_to
            self._write_state(scheduled_id, after, topic.priority)
            self.conn.execute(
                "UPDATE topics SET level = ?, l2_streak = ?,"
                " introduced_at = coalesce(introduced_at, ?) WHERE topic_id = ?",
                (level, streak, stamp, topic.topic_id),
            )
            angle_id = None
            if angle_card is not None:
                variant_id = self._insert_card(topic.topic_id, angle_card, stamp)
                angle_id = int(
                    self.conn.execute(
                        "INSERT INTO angles (parent, card_id, perspective, created_at)"
                        " VALUES (?, ?, ?, ?)",
                        (card_id, variant_id, perspective, stamp),
                    ).lastrowid
                    or 0
                )
        return ReviewOutcome(
            review_id=review_id,
            state=after,
            level_before=topic.level,
            level_after=level,
            angle_id=angle_id,
            angle_rejected=rejected,
            promotion_blocked=blocked,
        )

    def eligible_for_open_recall(self, state: SchedulerState) -> bool:
        """Whether a level-1 card in ``state`` has earned level 2 (see :class:`MasteryRules`).

        SM-2 (and any scheduler with an ease): ease > ``min_ease`` and interval >
        ``min_interval_days``. FSRS: difficulty <= ``fsrs_max_difficulty`` and interval >
        ``min_interval_days``.
        """
        if state.interval_days <= self.rules.min_interval_days:
            return False
        difficulty = state.data.get("difficulty") if state.scheduler == "fsrs" else None
        if difficulty is not None:
            return float(difficulty) <= self.rules.fsrs_max_difficulty
        return state.ease is not None and state.ease > self.rules.min_ease

    def _write_state(self, card_id: int, state: SchedulerState, priority: int) -> None:
        due = _ts(state.due)
        self.conn.execute(
            "INSERT OR REPLACE INTO card_state (card_id, scheduler, due, due_day, priority,"
            " interval_days, ease, repetitions, last_review, state_json, active)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (
                card_id,
                state.scheduler,
                due,
                math.floor(due / _DAY),
                priority,
                state.interval_days,
                state.ease,
                state.repetitions,
                None if state.last_review is None else _ts(state.last_review),
                state.model_dump_json(),
            ),
        )

    def _pending_angles(self, topic_id: int) -> int:
        row = self.conn.execute(
            "SELECT count(*) FROM angles a JOIN cards c ON c.card_id = a.card_id"
            " WHERE c.topic_id = ? AND a.passed_at IS NULL",
            (topic_id,),
        ).fetchone()
        return int(row[0])

    def _next_perspective(self, parent: int) -> str:
        used = self.conn.execute(
            "SELECT count(*) FROM angles WHERE parent = ?", (parent,)
        ).fetchone()
        return self.perspectives[int(used[0]) % len(self.perspectives)]

    def _review_variant(
        self, stored: StoredCard, topic: Topic, rating: Rating, now: dt.datetime
    ) -> ReviewOutcome:
        row = self.conn.execute(
            "SELECT angle_id, parent, passed_at FROM angles WHERE card_id = ?", (stored.card_id,)
        ).fetchone()
        if row is None:
            raise StudyError(f"variant card {stored.card_id} belongs to no angle")
        angle_id, parent, passed_at = int(row[0]), int(row[1]), row[2]
        passed = rating >= self.rules.success_rating
        stamp = _ts(now)
        with transaction(self.conn):
            cursor = self.conn.execute(
                "INSERT INTO reviews (card_id, topic_id, kind, rating, reviewed_at, first_review,"
                " scheduler, interval_days, due, level_before, level_after)"
                " VALUES (?, ?, 'variant', ?, ?, ?, NULL, NULL, NULL, ?, ?)",
                (
                    stored.card_id,
                    topic.topic_id,
                    int(rating),
                    stamp,
                    int(passed_at is None and not self._was_reviewed(stored.card_id)),
                    topic.level,
                    topic.level,
                ),
            )
            if passed and passed_at is None:
                self.conn.execute(
                    "UPDATE angles SET passed_at = ? WHERE angle_id = ?", (stamp, angle_id)
                )
            left = self.conn.execute(
                "SELECT count(*) FROM angles WHERE parent = ? AND passed_at IS NULL", (parent,)
            ).fetchone()
        return ReviewOutcome(
            review_id=int(cursor.lastrowid or 0),
            state=None,
            level_before=topic.level,
            level_after=topic.level,
            angle_id=angle_id,
            angle_passed=passed or passed_at is not None,
            recovered=int(left[0]) == 0,
        )

    def _was_reviewed(self, card_id: int) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM reviews WHERE card_id = ? LIMIT 1", (card_id,)
        ).fetchone()
        return row is not None

    def angles(self, *, pending_only: bool = False) -> list[dict[str, Any]]:
        """Angle sub-nodes: ``angle_id``, ``parent``, ``card_id``, ``perspective``, ``passed``."""
        query = "SELECT angle_id, parent, card_id, perspective, passed_at FROM angles"
        if pending_only:
            query += " WHERE passed_at IS NULL"
        return [
            {
                "angle_id": r[0],
                "parent": r[1],
                "card_id": r[2],
                "perspective": r[3],
                "passed": r[4] is not None,
            }
            for r in self.conn.execute(query + " ORDER BY angle_id")
        ]

    def review_log(self) -> list[dict[str, Any]]:
        """The whole review log, oldest first, as dicts (times as UTC datetimes)."""
        columns = [
            "review_id",
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
        ]
        out = []
        for row in self.conn.execute(
            f"SELECT {', '.join(columns)} FROM reviews ORDER BY review_id"
        ):
            record = dict(zip(columns, row, strict=True))
            record["reviewed_at"] = _utc(record["reviewed_at"])
            if record["due"] is not None:
                record["due"] = _utc(record["due"])
            record["first_review"] = bool(record["first_review"])
            out.append(record)
        return out


def load_card_json(text: str, *, where: str) -> Card:
    """Validate one card's JSON.

    Raises:
        StudyError: invalid card, naming ``where`` and the field.
    """
    try:
        return CARD_ADAPTER.validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise StudyError(f"{where}: invalid card field {field!r}: {first['msg']}") from None


__all__ = [
    "CARD_ADAPTER",
    "DEFAULT_PERSPECTIVES",
    "DailyLimits",
    "InvalidRatingError",
    "MasteryRules",
    "ReviewOutcome",
    "StoredCard",
    "StudyEngine",
    "StudyItem",
    "Topic",
    "TopicLevel",
    "UnknownTopicError",
    "load_card_json",
    "parse_rating",
]

"""The study loop: topics and cards in, the next item out, reviews recorded.

:meth:`StudyEngine.next_topic` picks what to study (:mod:`~medcards.study.queue`);
:meth:`StudyEngine.update_progress` records a review: the scheduler's new state, the review log,
the mastery ladder (:mod:`~medcards.study.ladder`) and, after a Fail, an angle variant
(:mod:`~medcards.study.angles`). Every statement on the database goes through the
:class:`~medcards.study.repository.StudyRepository`.

A topic climbs three levels: 1 (multiple-choice drill), 2 (open recall drill) and 3 (mastered).
Each topic has one *scheduled* card at a time (its MCQ at level 1, its open drill from level 2;
the open drill inherits the MCQ's scheduler state on promotion, so the topic keeps its rhythm).
A Fail creates an *angle*: a variant of the failed card from another perspective, asked from the
configured card generator. The topic cannot climb while one of its angles is not yet passed.

At about 550 lines this module is the loop's public methods only; each job they delegate to has
its own module (``calendar``, ``supply``, ``queue``, ``ladder``, ``angles``, ``repository``).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

from _sdk.deprecation import deprecated_aliases
from medcards.cards import Card
from medcards.ingest import GuideSection
from medcards.interfaces import CardGenerator, Scheduler
from medcards.models import CardKind, Rating, SchedulerState
from medcards.study import angles, calendar, ladder
from medcards.study.angles import DEFAULT_PERSPECTIVES
from medcards.study.errors import (
    DuplicateReviewError,
    InvalidRatingError,
    StudyError,
    UnknownTopicError,
)
from medcards.study.ladder import MasteryRules, TopicLevel
from medcards.study.queue import DailyLimits, StudyQueue
from medcards.study.records import (
    ReviewOutcome,
    StoredCard,
    StudyItem,
    Topic,
    check_now,
    parse_rating,
)
from medcards.study.repository import StudyRepository, ts, utc
from medcards.study.supply import CardSupply

__all__ = [
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
    "parse_rating",
]


class StudyEngine:
    """The study loop over one ``temario.db``.

    Args:
        db: Path of the database (created if missing) or an open connection from
            :func:`medcards.study.connect`.
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
        if not perspectives:
            raise StudyError("at least one angle perspective is needed")
        self.repo = StudyRepository(db)
        #: The open database connection (read-only use; writes go through ``repo``).
        self.conn = self.repo.conn
        self.scheduler = scheduler
        self.rules = rules or MasteryRules()
        self.limits = limits or DailyLimits()
        self.queue = StudyQueue(self.repo, self.limits)
        self.perspectives = tuple(perspectives)
        self.supply = CardSupply(self.repo, generator)
        #: Topics whose card generation was rejected in this session: title -> reasons.
        self.rejections: dict[str, list[str]] = self.supply.rejections
        #: New topics skipped in this session because no MCQ drill could be made.
        self.skipped_new: set[str] = set()

    @property
    def generator(self) -> CardGenerator | None:
        """The card generator for missing drills and angle variants (None: stored cards only)."""
        return self.supply.generator

    @generator.setter
    def generator(self, value: CardGenerator | None) -> None:
        self.supply.generator = value

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database connection."""
        self.repo.close()

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
        topic_id = calendar.add_topic(
            self.repo,
            title,
            context,
            modulo=modulo,
            priority=priority,
            date_assigned=date_assigned,
            now=check_now(now),
        )
        return self.topic(topic_id)

    def import_topics_csv(self, path: str | Path, *, now: dt.datetime | None = None) -> list[Topic]:
        """Add the topics of a CSV file, all in one transaction.

        Columns: ``title`` and, optionally, ``context``, ``modulo``, ``priority`` and
        ``date_assigned`` (YYYY-MM-DD, default today).

        Raises:
            StudyError: a bad row, naming the file, line and field; nothing is added then.
        """
        rows = calendar.csv_rows(Path(path), check_now(now))
        return [self.topic(t) for t in calendar.insert_topics(self.repo, rows, path)]

    def import_topics_jsonl(
        self,
        path: str | Path,
        *,
        date_assigned: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> list[Topic]:
        """Add the guide sections written by ``medcards ingest`` (JSON Lines), in one transaction.

        Each section becomes a topic with its ``title``, ``context`` and ``modulo``; all get
        ``date_assigned`` (default today) and priorities that keep the guide's order (earlier
        sections first). Each keeps where its text came from (the guide file, the page or line
        of every stretch: :meth:`guide_section`), so the cards generated for it are located.

        Raises:
            MedcardsError: a malformed record (naming file and line) or a title already stored.
        """
        rows = calendar.jsonl_rows(Path(path), check_now(now), date_assigned)
        return [self.topic(t) for t in calendar.insert_topics(self.repo, rows, path)]

    def import_sections(
        self,
        sections: Sequence[Any],
        *,
        date_assigned: dt.date | None = None,
        now: dt.datetime | None = None,
        source: str = "guide",
    ) -> list[Topic]:
        """Add guide sections (:class:`medcards.GuideSection`) as topics, in one transaction.

        As :meth:`import_topics_jsonl`: priorities keep the guide's order, every topic gets
        ``date_assigned`` (default today), and a section's source data is kept.

        Raises:
            StudyError: a title already stored or repeated, naming ``source``; nothing is added.
        """
        rows = calendar.section_rows(sections, check_now(now), date_assigned)
        return [self.topic(t) for t in calendar.insert_topics(self.repo, rows, source)]

    def edit_topic(
        self, key: int | str, *, modulo: str, priority: int, date_assigned: dt.date
    ) -> Topic:
        """Change a topic's module, priority and calendar day.

        Raises:
            UnknownTopicError: no such topic.
        """
        found = self.topic(key)
        with self.repo.transaction():
            self.repo.update_topic_calendar(
                found.topic_id,
                modulo=modulo.strip(),
                priority=priority,
                date_assigned=date_assigned,
            )
        return self.topic(found.topic_id)

    def ensure_card(self, topic: Topic | int | str, kind: CardKind | str) -> int | None:
        """The id of a stored card of ``kind`` for ``topic``, generated and stored if missing.

        Returns None when no card could be made; the reasons are in :attr:`rejections`.

        Raises:
            UnknownTopicError: no such topic.
            BackendError: the generator's backend failed (nothing is stored then).
        """
        found = topic if isinstance(topic, Topic) else self.topic(topic)
        return self.supply.card_of_kind(found, CardKind(kind))

    def guide_section(self, topic: Topic | int | str) -> GuideSection | None:
        """``topic`` as the guide section it was imported from, with its source data.

        This is what :func:`medcards.locate_card` needs to say where a card's evidence is
        printed; None for a topic without source data (added by hand, from CSV, or stored
        before schema version 3).

        Raises:
            UnknownTopicError: no such topic.
        """
        found = topic if isinstance(topic, Topic) else self.topic(topic)
        source = self.repo.topic_source(found.topic_id)
        return None if source is None else source.section(found)

    def topic(self, key: int | str) -> Topic:
        """The topic with id or title ``key``.

        Raises:
            UnknownTopicError: no such topic.
        """
        return self.repo.require_topic(key)

    def topics(self, *, limit: int | None = None) -> list[Topic]:
        """Every topic (the first ``limit`` when given), in calendar order."""
        ids = self.repo.topic_ids()
        return [self.topic(topic_id) for topic_id in ids[:limit]]

    def count_topics(self) -> int:
        """Topics in the calendar."""
        return self.repo.count_topics()

    def card_titles(self, card_ids: Sequence[int]) -> dict[int, str]:
        """``card_id -> title of its topic`` for ``card_ids`` (one query, for long listings)."""
        return self.repo.card_topic_titles(card_ids)

    def scheduled_states(self) -> dict[int, SchedulerState]:
        """``card_id -> scheduler state`` of the cards in the queue (retired cards left out)."""
        return {card_id: s for card_id, (s, active) in self.repo.states().items() if active}

    def add_card(self, topic: Topic | int | str, card: Card) -> StoredCard:
        """Store a card (validated) for ``topic``.

        A card without locations, for a topic that keeps its source data (imported from
        ``medcards ingest``), is located first (:func:`medcards.locate_card`): each evidence
        quote gets the page or line of the guide it is printed on. A card that carries
        locations is stored as it is.

        Raises:
            UnknownTopicError: no such topic.
        """
        found = topic if isinstance(topic, Topic) else self.topic(topic)
        card = self.supply.locate(found, card)
        with self.repo.transaction():
            card_id = self.repo.insert_card(found.topic_id, card, ts(dt.datetime.now(dt.UTC)))
        return self.card(card_id)

    def card(self, card_id: int) -> StoredCard:
        """The stored card ``card_id``.

        Raises:
            UnknownCardError: no such card (a subclass of :class:`UnknownTopicError`).
        """
        return self.repo.require_card(card_id)

    def cards(self, topic: Topic | int | str | None = None) -> list[StoredCard]:
        """Every stored card (of ``topic`` when given), oldest first."""
        if topic is None:
            ids = self.repo.card_ids()
        else:
            found = topic if isinstance(topic, Topic) else self.topic(topic)
            ids = self.repo.card_ids(found.topic_id)
        return [self.card(card_id) for card_id in ids]

    def state(self, card_id: int) -> SchedulerState | None:
        """The scheduler state of card ``card_id`` (None when never reviewed or not scheduled)."""
        return self.repo.state(card_id)

    # -- the queue -------------------------------------------------------------------------

    def reviews_today(self, now: dt.datetime | None = None) -> int:
        """Scheduled reviews (not first sights, not angle variants) logged today (UTC)."""
        return self.queue.reviews_today(check_now(now))

    def new_topics_today(self, now: dt.datetime | None = None) -> int:
        """Topics first studied today (UTC)."""
        return self.queue.new_topics_today(check_now(now))

    def count_due(self, now: dt.datetime | None = None) -> int:
        """Scheduled cards due at ``now`` (overdue included)."""
        return self.queue.count_due(check_now(now))

    def due_cards(
        self, now: dt.datetime | None = None, *, limit: int = 50
    ) -> list[tuple[Topic, StoredCard, dt.datetime]]:
        """Up to ``limit`` scheduled cards due at ``now``, in queue order: (topic, card, due)."""
        return self.queue.due_cards(check_now(now), limit)

    def new_topics(self, now: dt.datetime | None = None, *, limit: int = 50) -> list[Topic]:
        """Up to ``limit`` never-studied topics assigned up to today, in the queue's order."""
        day = check_now(now).date()
        return [self.topic(t) for t in self.repo.new_topic_ids(day, limit)]

    def next_topic(self, now: dt.datetime | None = None) -> StudyItem | None:
        """What to study next at ``now``, or None when nothing is left for today.

        Order: due reviews (most overdue day first, then higher priority, then earliest due),
        then pending angle variants (oldest first), then new topics by calendar
        (``date_assigned`` up to today, higher ``priority``, ``modulo``). Reviews and new topics
        stop at the daily limits. A new topic without an MCQ drill gets one from the generator.
        """
        return self.queue.next_item(
            check_now(now),
            skipped=self.skipped_new,
            mcq_for=lambda topic: self.supply.card_of_kind(topic, CardKind.MCQ),
        )

    # -- settings --------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """The preferences stored in this database (``key -> value``), empty when none."""
        return {k: json.loads(v) for k, v in self.repo.settings().items()}

    def save_settings(self, values: Mapping[str, Any]) -> None:
        """Store preferences (JSON-serialisable values), replacing those with the same keys."""
        encoded = {str(k): json.dumps(v, ensure_ascii=False) for k, v in values.items()}
        with self.repo.transaction():
            self.repo.write_settings(encoded, ts(dt.datetime.now(dt.UTC)))

    # -- reviews ---------------------------------------------------------------------------

    def reviews_of(self, card_id: int) -> int:
        """How many reviews of ``card_id`` the log holds (the idempotency count of a shown card)."""
        return self.repo.count_reviews_of(card_id)

    def preview(
        self, card: StudyItem | StoredCard | int, now: dt.datetime | None = None
    ) -> dict[Rating, dt.datetime | None]:
        """When ``card`` would next be due after each rating at ``now`` (nothing is stored).

        Angle variants are not scheduled: their values are None.

        Raises:
            UnknownCardError: no such card.
        """
        now = check_now(now)
        if isinstance(card, StudyItem):
            card = card.card
        stored = card if isinstance(card, StoredCard) else self.card(int(card))
        if stored.kind == CardKind.VARIANT:
            return dict.fromkeys(Rating)
        before = self.state(stored.card_id)
        if before is not None and before.scheduler != self.scheduler.name:
            return dict.fromkeys(Rating)
        return {r: self.scheduler.review(before, r, now).due for r in Rating}

    def update_progress(
        self,
        card: StudyItem | StoredCard | int,
        rating: Rating | int | str,
        now: dt.datetime | None = None,
        *,
        shown_reviews: int | None = None,
    ) -> ReviewOutcome:
        """Record a review of ``card`` rated ``rating`` at ``now``, all in one transaction.

        Updates the scheduler state, appends to the review log, applies the mastery rules and,
        on a Fail, creates an angle variant (generated before the transaction, so a slow or
        failing generator never leaves a half-written review).

        Args:
            card: The card (or the queue item) reviewed.
            rating: 1-4 or a rating name.
            now: Time of the review (UTC; default now).
            shown_reviews: The idempotency key of a shown card: :meth:`reviews_of` when it was
                shown. If the log has more reviews of the card by the time this one is written
                (a double submit, a reload, a second tab), nothing is recorded.

        Raises:
            InvalidRatingError: rating not in 1-4.
            UnknownCardError: no such card.
            DuplicateReviewError: ``shown_reviews`` is stale: the card was already rated.
        """
        rating = parse_rating(rating)
        now = check_now(now)
        if isinstance(card, StudyItem):
            card = card.card
        card_id = card.card_id if isinstance(card, StoredCard) else int(card)
        stored = self.card(card_id)
        topic = self.topic(stored.topic_id)
        self._check_fresh(card_id, shown_reviews)
        if stored.kind == CardKind.VARIANT:
            return angles.review_variant(
                self.repo,
                stored,
                topic,
                rating,
                now,
                self.rules.success_rating,
                check=lambda: self._check_fresh(card_id, shown_reviews),
            )
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
        ready = (
            topic.level == TopicLevel.MCQ
            and rating != Rating.FAIL
            and self.eligible_for_open_recall(after)
        )
        step = ladder.climb(
            topic.level,
            topic.l2_streak,
            rating,
            ready=ready,
            pending_angles=self.repo.count_pending_angles(topic.topic_id),
            rules=self.rules,
        )
        promote_to: int | None = None
        if step.promote:
            promote_to = self.supply.card_of_kind(topic, CardKind.OPEN)
            if promote_to is None:
                reason = "; ".join(self.rejections.get(topic.title, ["no open drill"]))
                step = ladder.blocked(step, reason)
            else:
                step = ladder.promoted(step)
        angle_card: Card | None = None
        perspective = ""
        rejected: list[str] = []
        if rating == Rating.FAIL:
            perspective = angles.next_perspective(self.repo, self.perspectives, card_id)
            angle_card = self.supply.generate(
                topic, CardKind.VARIANT, perspective=perspective, parent=stored.uid
            )
            if angle_card is None:
                rejected = self.rejections.get(topic.title, ["no variant generated"])
        stamp = ts(now)
        with self.repo.transaction():
            self._check_fresh(card_id, shown_reviews)
            review_id = self.repo.insert_review(
                (
                    card_id,
                    topic.topic_id,
                    stored.kind.value,
                    int(rating),
                    stamp,
                    int(before is None),
                    after.scheduler,
                    after.interval_days,
                    ts(after.due),
                    topic.level,
                    step.level,
                )
            )
            scheduled_id = card_id
            if promote_to is not None:
                self.repo.retire_card(card_id)
                scheduled_id = promote_to
            self.repo.write_state(scheduled_id, after, topic.priority)
            self.repo.update_topic_progress(topic.topic_id, step.level, step.streak, stamp)
            angle_id = None
            if angle_card is not None:
                angle_id = angles.store_angle(
                    self.repo, topic.topic_id, card_id, angle_card, perspective, stamp
                )
        return ReviewOutcome(
            review_id=review_id,
            state=after,
            level_before=topic.level,
            level_after=step.level,
            angle_id=angle_id,
            angle_rejected=rejected,
            promotion_blocked=step.blocked,
        )

    def _check_fresh(self, card_id: int, shown_reviews: int | None) -> None:
        if shown_reviews is None:
            return
        if self.repo.count_reviews_of(card_id) != shown_reviews:
            last = self.repo.last_review_id(card_id)
            raise DuplicateReviewError(
                f"card {card_id} was already rated since it was shown (review #{last}); "
                "the rating was not recorded twice",
                card_id=card_id,
                review_id=last,
            )

    def eligible_for_open_recall(self, state: SchedulerState) -> bool:
        """Whether a level-1 card in ``state`` has earned level 2 (see :class:`MasteryRules`).

        The scheduler decides (:meth:`medcards.Scheduler.ready_for_open_recall`) against the
        rules' thresholds: SM-2 needs ease > ``min_ease`` and interval > ``min_interval_days``;
        FSRS difficulty <= ``max_difficulty`` and the same interval.
        """
        return ladder.ready_for_open_recall(self.scheduler, state, self.rules)

    def angles(self, *, pending_only: bool = False) -> list[dict[str, Any]]:
        """Angle sub-nodes: ``angle_id``, ``parent``, ``card_id``, ``perspective``, ``passed``."""
        return angles.list_angles(self.repo, pending_only=pending_only)

    def review(self, review_id: int) -> dict[str, Any] | None:
        """One review of the log, as :meth:`review_log`'s dicts, or None.

        The dict has ``angle_id`` too: the angle its Fail created, if any.
        """
        record = self.repo.review(review_id)
        if record is None:
            return None
        record["angle_id"] = self.repo.angle_made_by(record["card_id"], record["reviewed_at"])
        record["reviewed_at"] = utc(record["reviewed_at"])
        if record["due"] is not None:
            record["due"] = utc(record["due"])
        record["first_review"] = bool(record["first_review"])
        return record

    def review_log(self) -> list[dict[str, Any]]:
        """The whole review log, oldest first, as dicts (times as UTC datetimes)."""
        out = []
        for record in self.repo.review_log():
            record["reviewed_at"] = utc(record["reviewed_at"])
            if record["due"] is not None:
                record["due"] = utc(record["due"])
            record["first_review"] = bool(record["first_review"])
            out.append(record)
        return out


__getattr__ = deprecated_aliases(
    "medcards.study.engine",
    {
        "CARD_ADAPTER": "medcards.CARD_ADAPTER",
        "load_card_json": "medcards.study.repository.load_card_json",
    },
    advice={"load_card_json": "medcards.parse_card"},
)

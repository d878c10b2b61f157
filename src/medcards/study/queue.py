"""The study queue: what to study next, within the daily limits.

Order: due reviews (most overdue day first, then higher priority, then earliest due), then
pending angle variants (oldest first), then new topics by calendar (``date_assigned`` up to
today, higher ``priority``, ``modulo``). Reviews and new topics stop at the daily limits; angle
variants are not limited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from medcards.study.records import StoredCard, StudyItem, Topic
from medcards.study.repository import StudyRepository, day_bounds, ts, utc


class DailyLimits(BaseModel):
    """Most new topics and scheduled reviews served per UTC day (angle variants are not limited)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    new_topics: int = Field(default=20, ge=0)
    reviews: int = Field(default=200, ge=0)


class StudyQueue:
    """The queue over one study database.

    Args:
        repo: The database.
        limits: The daily limits.
    """

    def __init__(self, repo: StudyRepository, limits: DailyLimits) -> None:
        """Keep the repository and the limits."""
        self.repo = repo
        self.limits = limits

    def reviews_today(self, now: dt.datetime) -> int:
        """Scheduled reviews (not first sights, not angle variants) logged on ``now``'s day."""
        return self.repo.count_repeat_reviews_between(*day_bounds(now))

    def new_topics_today(self, now: dt.datetime) -> int:
        """Topics first studied on ``now``'s UTC day."""
        return self.repo.count_introduced_between(*day_bounds(now))

    def count_due(self, now: dt.datetime) -> int:
        """Scheduled cards due at ``now`` (overdue included)."""
        return self.repo.count_due(ts(now))

    def due_cards(
        self, now: dt.datetime, limit: int
    ) -> list[tuple[Topic, StoredCard, dt.datetime]]:
        """Up to ``limit`` scheduled cards due at ``now``, in queue order: (topic, card, due)."""
        out = []
        for card_id, due in self.repo.due(ts(now), limit):
            card = self.repo.require_card(card_id)
            out.append((self.repo.require_topic(card.topic_id), card, utc(due)))
        return out

    def next_item(
        self,
        now: dt.datetime,
        *,
        skipped: set[str],
        mcq_for: Callable[[Topic], int | None],
    ) -> StudyItem | None:
        """What to study next at ``now``, or None when nothing is left for today.

        Args:
            now: The time (UTC).
            skipped: Titles of new topics to pass over; a new topic for which ``mcq_for``
                finds no MCQ drill is added to it.
            mcq_for: The id of the MCQ drill a new topic starts with (stored or generated), or
                None when there is none.
        """
        if self.reviews_today(now) < self.limits.reviews:
            due = self.repo.due(ts(now), 1)
            if due:
                card_id, when = due[0]
                card = self.repo.require_card(card_id)
                topic = self.repo.require_topic(card.topic_id)
                return StudyItem(reason="review", topic=topic, card=card, due=utc(when))
        angle = self.repo.oldest_pending_angle()
        if angle is not None:
            card = self.repo.require_card(angle[1])
            topic = self.repo.require_topic(card.topic_id)
            return StudyItem(reason="angle", topic=topic, card=card, angle_id=angle[0])
        if self.new_topics_today(now) >= self.limits.new_topics:
            return None
        while True:
            topic_id = self.repo.next_new_topic(now.date(), skipped)
            if topic_id is None:
                return None
            topic = self.repo.require_topic(topic_id)
            mcq_id = mcq_for(topic)
            if mcq_id is None:
                skipped.add(topic.title)
                continue
            return StudyItem(reason="new", topic=topic, card=self.repo.require_card(mcq_id))

"""Angle sub-nodes: after a Fail, a variant of the failed card from another perspective.

The perspectives are asked in turn for each failed card (the seed's "ángulos"). A variant is
not scheduled: it waits in the queue (after due reviews) until it is passed; while any angle of
a topic is pending, the mastery ladder holds the topic where it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from medcards.cards import Card
from medcards.models import Rating
from medcards.study.errors import StudyError
from medcards.study.records import ReviewOutcome, StoredCard, Topic
from medcards.study.repository import StudyRepository, ts

#: Perspectives asked for, in turn, when a card is failed (the seed's "ángulos").
DEFAULT_PERSPECTIVES: tuple[str, ...] = (
    "complicaciones",
    "diagnóstico diferencial",
    "tratamiento de primera y segunda línea",
    "fisiopatología",
    "criterios diagnósticos",
)


def next_perspective(repo: StudyRepository, perspectives: tuple[str, ...], parent: int) -> str:
    """The perspective of the next angle of the card ``parent``: the perspectives in turn."""
    return perspectives[repo.count_angles_of(parent) % len(perspectives)]


def store_angle(
    repo: StudyRepository,
    topic_id: int,
    parent: int,
    variant: Card,
    perspective: str,
    stamp: float,
) -> int:
    """Store ``variant`` and its angle under the failed card ``parent`` (inside a transaction)."""
    variant_id = repo.insert_card(topic_id, variant, stamp)
    return repo.insert_angle(parent, variant_id, perspective, stamp)


def review_variant(
    repo: StudyRepository,
    stored: StoredCard,
    topic: Topic,
    rating: Rating,
    now: dt.datetime,
    success_rating: Rating,
    check: Callable[[], None] | None = None,
) -> ReviewOutcome:
    """Log a review of an angle variant, passing the angle when ``rating >= success_rating``.

    ``check`` runs first inside the write transaction (the idempotency check); what it raises
    leaves nothing written.

    Raises:
        StudyError: the variant belongs to no angle.
    """
    found = repo.angle_of_variant(stored.card_id)
    if found is None:
        raise StudyError(f"variant card {stored.card_id} belongs to no angle")
    angle_id, parent, passed_at = found
    passed = rating >= success_rating
    stamp = ts(now)
    with repo.transaction():
        if check is not None:
            check()
        first = passed_at is None and not repo.was_reviewed(stored.card_id)
        review_id = repo.insert_review(
            (
                stored.card_id,
                topic.topic_id,
                "variant",
                int(rating),
                stamp,
                int(first),
                None,
                None,
                None,
                topic.level,
                topic.level,
            )
        )
        if passed and passed_at is None:
            repo.pass_angle(angle_id, stamp)
        left = repo.count_angles_of(parent, pending_only=True)
    return ReviewOutcome(
        review_id=review_id,
        state=None,
        level_before=topic.level,
        level_after=topic.level,
        angle_id=angle_id,
        angle_passed=passed or passed_at is not None,
        recovered=left == 0,
    )


def list_angles(repo: StudyRepository, *, pending_only: bool = False) -> list[dict[str, Any]]:
    """Angle sub-nodes: ``angle_id``, ``parent``, ``card_id``, ``perspective``, ``passed``."""
    return [
        {
            "angle_id": r[0],
            "parent": r[1],
            "card_id": r[2],
            "perspective": r[3],
            "passed": r[5] is not None,
        }
        for r in repo.angle_records(pending_only=pending_only)
    ]

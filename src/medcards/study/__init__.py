"""The study engine: ``temario.db``, the calendar queue, reviews, mastery and angles.

Typical use::

    from medcards.study import StudyEngine

    with StudyEngine("temario.db", scheduler="sm2", generator=generator) as engine:
        item = engine.next_topic()
        engine.update_progress(item, rating=3)
"""

from __future__ import annotations

from medcards.study.db import (
    SCHEMA_VERSION,
    StudyDatabaseError,
    StudyDatabaseVersionError,
    StudyError,
    connect,
)
from medcards.study.engine import (
    DailyLimits,
    InvalidRatingError,
    MasteryRules,
    ReviewOutcome,
    StoredCard,
    StudyEngine,
    StudyItem,
    Topic,
    TopicLevel,
    UnknownTopicError,
    parse_rating,
)

__all__ = [
    "SCHEMA_VERSION",
    "DailyLimits",
    "InvalidRatingError",
    "MasteryRules",
    "ReviewOutcome",
    "StoredCard",
    "StudyDatabaseError",
    "StudyDatabaseVersionError",
    "StudyEngine",
    "StudyError",
    "StudyItem",
    "Topic",
    "TopicLevel",
    "UnknownTopicError",
    "connect",
    "parse_rating",
]

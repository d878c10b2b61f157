"""The mastery ladder: Level 1 (MCQ) → Level 2 (open recall) → mastered, as pure functions.

A topic climbs from Level 1 to Level 2 when its scheduler says the card's memory is strong
enough (:meth:`medcards.Scheduler.ready_for_open_recall`, given the
:class:`~medcards.MemoryThresholds` of the :class:`MasteryRules`); the ladder knows nothing of
any particular scheduler. From Level 2 it is mastered after ``mastered_after`` consecutive
successes. A Fail sends a mastered topic back to Level 2 and resets the streak; pending angles
hold every climb back.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from medcards.interfaces import Scheduler
from medcards.models import MemoryThresholds, Rating, SchedulerState


class TopicLevel:
    """Levels of the mastery ladder (plain ints in the database)."""

    MCQ = 1
    OPEN = 2
    MASTERED = 3
    NAMES: ClassVar[dict[int, str]] = {1: "Nivel 1 (MCQ)", 2: "Nivel 2 (abierto)", 3: "Dominado"}


class MasteryRules(BaseModel):
    """When a topic climbs the ladder.

    Attributes:
        min_ease: Schedulers with an ease factor (SM-2): level 1 -> 2 needs the ease strictly
            above this.
        min_interval_days: Level 1 -> 2 needs an interval strictly above this many days (every
            scheduler).
        max_difficulty: Schedulers with a 1-10 difficulty (FSRS): level 1 -> 2 needs the
            difficulty at or below this (the counterpart of a high ease factor). Formerly
            ``fsrs_max_difficulty``, still accepted with a deprecation warning.
        mastered_after: Level 2 -> mastered after this many consecutive level-2 successes.
        success_rating: The lowest rating that counts as a success (and passes an angle).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_ease: float = 2.6
    min_interval_days: float = 7.0
    max_difficulty: float = Field(default=5.0, ge=1.0, le=10.0)
    mastered_after: int = Field(default=3, ge=1)
    success_rating: Rating = Rating.GOOD

    @model_validator(mode="before")
    @classmethod
    def _renamed_fields(cls, data: Any) -> Any:
        if isinstance(data, dict) and "fsrs_max_difficulty" in data:
            warnings.warn(
                "MasteryRules(fsrs_max_difficulty=...) is deprecated; use max_difficulty",
                DeprecationWarning,
                stacklevel=4,
            )
            data = dict(data)
            data.setdefault("max_difficulty", data.pop("fsrs_max_difficulty"))
            data.pop("fsrs_max_difficulty", None)
        return data

    @property
    def fsrs_max_difficulty(self) -> float:
        """Deprecated name of :attr:`max_difficulty`."""
        warnings.warn(
            "MasteryRules.fsrs_max_difficulty is deprecated; use max_difficulty",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.max_difficulty

    def thresholds(self) -> MemoryThresholds:
        """The thresholds the scheduler's Level-2 signal is compared with."""
        return MemoryThresholds(
            min_interval_days=self.min_interval_days,
            min_ease=self.min_ease,
            max_difficulty=self.max_difficulty,
        )


def ready_for_open_recall(scheduler: Scheduler, state: SchedulerState, rules: MasteryRules) -> bool:
    """Whether a level-1 card in ``state`` has earned level 2: the scheduler's own signal."""
    return scheduler.ready_for_open_recall(state, rules.thresholds())


@dataclass(frozen=True)
class LadderStep:
    """Where a topic stands after one review of its scheduled card.

    Attributes:
        level: The topic's level after the review.
        streak: Consecutive level-2 successes after the review.
        promote: Level 1 -> 2 is earned and not held back: the topic moves up once its open
            drill is found (:func:`promoted`), else the promotion is blocked (:func:`blocked`).
        blocked: Why an earned climb did not happen.
    """

    level: int
    streak: int
    promote: bool = False
    blocked: str | None = None


def climb(
    level: int,
    streak: int,
    rating: Rating,
    *,
    ready: bool,
    pending_angles: int,
    rules: MasteryRules,
) -> LadderStep:
    """The ladder step of a review rated ``rating`` of a topic at ``level`` with ``streak``.

    Args:
        level: The topic's level before the review.
        streak: Its consecutive level-2 successes before the review.
        rating: The review's rating.
        ready: The scheduler's Level-2 signal for the card's new state (see
            :func:`ready_for_open_recall`); only read at level 1.
        pending_angles: Angles of the topic not passed yet; any holds every climb back.
        rules: The mastery rules.
    """
    held = f"{pending_angles} angle(s) of this topic not passed yet" if pending_angles else None
    if rating == Rating.FAIL:
        return LadderStep(level=min(level, TopicLevel.OPEN), streak=0)
    if level == TopicLevel.MCQ:
        if not ready:
            return LadderStep(level, streak)
        return (
            LadderStep(level, streak, blocked=held)
            if held
            else LadderStep(level, streak, promote=True)
        )
    if level == TopicLevel.OPEN:
        if rating < rules.success_rating:
            return LadderStep(level, 0)
        if held:
            return LadderStep(level, streak, blocked=held)
        streak += 1
        return LadderStep(TopicLevel.MASTERED if streak >= rules.mastered_after else level, streak)
    return LadderStep(level, streak)


def promoted(step: LadderStep) -> LadderStep:
    """``step`` after the promotion it earned: level 2, streak restarted."""
    return LadderStep(level=TopicLevel.OPEN, streak=0)


def blocked(step: LadderStep, reason: str) -> LadderStep:
    """``step`` with its earned promotion refused for ``reason`` (no open drill to study)."""
    return LadderStep(level=step.level, streak=step.streak, blocked=reason)

"""The built-in ``sm2`` scheduler: SuperMemo SM-2."""

from __future__ import annotations

import datetime as dt
import math
from typing import ClassVar

from pydantic import Field

from medcards.interfaces import Scheduler
from medcards.models import MemoryThresholds, Rating, SchedulerState


class SM2Scheduler(Scheduler):
    """SuperMemo SM-2, computed exactly as the ``supermemo2`` reference package does.

    A rating is mapped to an SM-2 grade (0-5) by ``grades`` (default Fail=1, Hard=3, Good=4,
    Easy=5). Then: grade < 3 restarts (repetitions 0, interval 1 day); otherwise the interval
    is 1 day, then 6 days, then ``ceil(interval * EF)`` using the EF from *before* this review.
    EF is updated on every review, ``EF += 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)``, floored at
    1.3. Intervals are whole days, capped at ``maximum_interval`` (default 36500 days, as FSRS;
    the reference package has no cap and overflows Python's dates instead; below the cap the two
    agree exactly).
    """

    name: ClassVar[str] = "sm2"

    class Options(Scheduler.Options):
        """Options of the SM-2 scheduler."""

        initial_ease: float = Field(default=2.5, ge=1.3, description="EF of a new card.")
        grades: dict[Rating, int] = Field(
            default={Rating.FAIL: 1, Rating.HARD: 3, Rating.GOOD: 4, Rating.EASY: 5},
            description="SM-2 grade (0-5) for each rating.",
        )
        maximum_interval: int = Field(default=36500, ge=1, description="Longest interval, days.")

    options: Options

    def grade(self, rating: Rating) -> int:
        """The SM-2 grade (0-5) ``rating`` maps to."""
        return self.options.grades[Rating(rating)]

    def review(
        self, state: SchedulerState | None, rating: Rating, now: dt.datetime
    ) -> SchedulerState:
        """Apply one SM-2 review at ``now`` (timezone-aware)."""
        if now.tzinfo is None:
            raise ValueError("`now` must be timezone-aware (UTC)")
        quality = self.grade(rating)
        if state is None:
            ease, interval, repetitions = self.options.initial_ease, 0, 0
        else:
            ease = state.ease if state.ease is not None else self.options.initial_ease
            interval, repetitions = int(state.interval_days), state.repetitions
        if quality < 3:
            interval, repetitions = 1, 0
        else:
            if repetitions == 0:
                interval = 1
            elif repetitions == 1:
                interval = 6
            else:
                interval = math.ceil(interval * ease)
            interval = min(interval, self.options.maximum_interval)
            repetitions += 1
        ease += 0.1 - (5 - quality) * (0.08 + (5 - quality) * 0.02)
        ease = max(ease, 1.3)
        return SchedulerState(
            scheduler=self.name,
            due=now + dt.timedelta(days=interval),
            interval_days=interval,
            ease=ease,
            repetitions=repetitions,
            last_review=now,
        )

    def ready_for_open_recall(self, state: SchedulerState, thresholds: MemoryThresholds) -> bool:
        """The seed's rule: ease above ``min_ease`` and interval above ``min_interval_days``.

        With the defaults: easiness factor > 2.6 and interval > 7 days.
        """
        return (
            state.interval_days > thresholds.min_interval_days
            and state.ease is not None
            and state.ease > thresholds.min_ease
        )

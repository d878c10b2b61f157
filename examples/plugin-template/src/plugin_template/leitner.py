"""A medcards plugin: the Leitner box system, a rule-based scheduler."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import ClassVar

from pydantic import Field

import medcards


class LeitnerScheduler(medcards.Scheduler):
    """Cards move up one box on success (two on Easy) and back to box 1 on failure.

    Box *b* is reviewed every ``intervals[b - 1]`` days. A card is strong enough for open
    recall (mastery Level 2) once its box is reviewed less often than every
    ``min_interval_days`` days: box 4 (14 days) with the default boxes and thresholds.
    """

    name: ClassVar[str] = "leitner"

    class Options(medcards.Scheduler.Options):
        """Options of the Leitner scheduler."""

        intervals: tuple[int, ...] = Field(
            default=(1, 3, 7, 14, 30), min_length=1, description="Days between reviews per box."
        )

    options: Options

    def review(
        self, state: medcards.SchedulerState | None, rating: medcards.Rating, now: dt.datetime
    ) -> medcards.SchedulerState:
        """Move the card between boxes and schedule it by its new box."""
        box = int(state.data.get("box", 1)) if state is not None else 0
        streak = state.repetitions if state is not None else 0
        if rating == medcards.Rating.FAIL:
            box, streak = 1, 0
        else:
            step = 2 if rating == medcards.Rating.EASY else 1
            if rating == medcards.Rating.HARD:
                step = 0 if box > 0 else 1
            box = min(box + step, len(self.options.intervals))
            streak += 1
        interval = self.options.intervals[box - 1]
        return medcards.SchedulerState(
            scheduler=self.name,
            due=now + dt.timedelta(days=interval),
            interval_days=interval,
            repetitions=streak,
            last_review=now,
            data={"box": box},
        )

    def ready_for_open_recall(
        self, state: medcards.SchedulerState, thresholds: medcards.MemoryThresholds
    ) -> bool:
        """Whether the card's box is reviewed less often than every ``min_interval_days`` days."""
        box = int(state.data.get("box", 1))
        return self.options.intervals[box - 1] > thresholds.min_interval_days


@medcards.hookimpl
def medcards_register_schedulers(register: Callable[[type[medcards.Scheduler]], None]) -> None:
    """Register the Leitner scheduler."""
    register(LeitnerScheduler)

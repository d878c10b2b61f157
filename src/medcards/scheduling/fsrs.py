"""The built-in ``fsrs`` scheduler: FSRS, computed by the ``fsrs`` package."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from pydantic import Field

from medcards.interfaces import Scheduler
from medcards.models import MemoryThresholds, Rating, SchedulerState

#: FSRS difficulty bounds (easiest, hardest).
_FSRS_DIFFICULTY_RANGE = (1.0, 10.0)


def fsrs_difficulty_to_ease(difficulty: float) -> float:
    """Map an FSRS difficulty (1 = easiest ... 10 = hardest) onto the SM-2 ease scale.

    The map is linear: difficulty 1 -> ease 3.1, difficulty 10 -> ease 1.3 (SM-2's floor), so
    ``ease = 1.3 + 0.2 * (10 - difficulty)``. It exists only so that the scheduler-neutral
    :class:`~medcards.SchedulerState` carries an ease-like number for display; FSRS itself never
    reads it.
    """
    low, high = _FSRS_DIFFICULTY_RANGE
    clamped = min(max(difficulty, low), high)
    return 1.3 + 0.2 * (high - clamped)


class FSRSScheduler(Scheduler):
    """FSRS (Free Spaced Repetition Scheduler), computed by the ``fsrs`` package.

    Ratings map one-to-one onto FSRS's Again / Hard / Good / Easy. Every call rebuilds an
    ``fsrs.Card`` from :attr:`SchedulerState.data` (``Card.to_dict()``), reviews it with
    ``fsrs.Scheduler.review_card`` at ``now`` (converted to UTC), and returns the new state.
    ``interval_days`` is the time until due, in days (fractional while in the learning steps);
    ``ease`` is the difficulty mapped by :func:`fsrs_difficulty_to_ease`; ``repetitions`` counts
    consecutive non-Fail reviews. Interval fuzzing is off by default so that replays are exact;
    with ``seed`` set it is always off.

    **Exam-date mode** (``exam_date`` and ``exam_target``): when a review would schedule the
    card after the exam while its predicted recall on the exam day (FSRS retrievability at
    00:00 UTC of ``exam_date``) is below ``exam_target``, the card is brought forward to the
    earliest day on which one more successful (Good) review lifts the exam-day recall to the
    target; if no day before the exam can, to the day before it. Each review re-applies the
    rule, so the last review before the exam leaves every card at the target when it is
    passed. After the exam day the mode has no effect.
    """

    name: ClassVar[str] = "fsrs"
    provides_recall_probability: ClassVar[bool] = True

    class Options(Scheduler.Options):
        """Options of the FSRS scheduler."""

        desired_retention: float = Field(
            default=0.9, gt=0.0, lt=1.0, description="Target probability of recall at due time."
        )
        maximum_interval: int = Field(default=36500, ge=1, description="Longest interval, days.")
        learning_steps_minutes: tuple[float, ...] = Field(
            default=(1.0, 10.0), description="Learning steps of a new card, minutes."
        )
        relearning_steps_minutes: tuple[float, ...] = Field(
            default=(10.0,), description="Relearning steps after a lapse, minutes."
        )
        fuzzing: bool = Field(default=False, description="Randomise long intervals slightly.")
        seed: int | None = Field(
            default=None, description="Reproducible run: when set, fuzzing is turned off."
        )
        parameters: tuple[float, ...] | None = Field(
            default=None, description="The 21 FSRS-6 weights; None uses the package defaults."
        )
        exam_date: dt.date | None = Field(
            default=None, description="Exam day: schedule so recall that day reaches the target."
        )
        exam_target: float = Field(
            default=0.9, gt=0.0, lt=1.0, description="Predicted recall wanted on the exam day."
        )

    options: Options

    def _fsrs(self) -> Any:
        cached = getattr(self, "_fsrs_scheduler", None)
        if cached is not None:
            return cached
        import fsrs

        opts = self.options
        kwargs: dict[str, Any] = {
            "desired_retention": opts.desired_retention,
            "maximum_interval": opts.maximum_interval,
            "learning_steps": tuple(dt.timedelta(minutes=m) for m in opts.learning_steps_minutes),
            "relearning_steps": tuple(
                dt.timedelta(minutes=m) for m in opts.relearning_steps_minutes
            ),
            "enable_fuzzing": opts.fuzzing and opts.seed is None,
        }
        if opts.parameters is not None:
            kwargs["parameters"] = opts.parameters
        try:
            scheduler = fsrs.Scheduler(**kwargs)
        except ValueError as exc:
            raise ValueError(f"scheduler 'fsrs': invalid parameters: {exc}") from None
        self._fsrs_scheduler = scheduler
        return scheduler

    @staticmethod
    def _card(state: SchedulerState | None) -> Any:
        import fsrs

        if state is None or not state.data:
            return fsrs.Card(card_id=0)
        return fsrs.Card.from_dict(state.data)  # type: ignore[arg-type]

    def review(
        self, state: SchedulerState | None, rating: Rating, now: dt.datetime
    ) -> SchedulerState:
        """Apply one FSRS review at ``now`` (timezone-aware; converted to UTC)."""
        import fsrs

        if now.tzinfo is None:
            raise ValueError("`now` must be timezone-aware (UTC)")
        now = now.astimezone(dt.UTC)
        rating = Rating(rating)
        card = self._card(state)
        if state is None:
            card.due = now
        new_card, _ = self._fsrs().review_card(card, fsrs.Rating(int(rating)), now)
        exam_due = self._exam_due(new_card, now)
        if exam_due is not None and exam_due < new_card.due:
            new_card.due = exam_due
        repetitions = 0 if rating == Rating.FAIL else (state.repetitions if state else 0) + 1
        interval = (new_card.due - now).total_seconds() / 86_400
        return SchedulerState(
            scheduler=self.name,
            due=new_card.due,
            interval_days=interval,
            ease=fsrs_difficulty_to_ease(new_card.difficulty),
            repetitions=repetitions,
            last_review=now,
            data=dict(new_card.to_dict()),
        )

    def exam_time(self) -> dt.datetime | None:
        """Start (00:00 UTC) of the exam day, or None outside exam-date mode."""
        day = self.options.exam_date
        return None if day is None else dt.datetime.combine(day, dt.time(), dt.UTC)

    def _exam_due(self, card: Any, now: dt.datetime) -> dt.datetime | None:
        """The earlier due exam-date mode asks for, or None when the card needs none."""
        import fsrs

        exam = self.exam_time()
        if exam is None or card.due < exam or card.stability is None:
            return None
        scheduler = self._fsrs()
        target = self.options.exam_target
        if scheduler.get_card_retrievability(card, exam) >= target:
            return None
        days = int((exam - now).total_seconds() // 86_400)
        if days < 1:
            return None

        def reaches(day: int) -> bool:
            when = now + dt.timedelta(days=day)
            passed, _ = scheduler.review_card(card, fsrs.Rating.Good, when)
            return bool(scheduler.get_card_retrievability(passed, exam) >= target)

        # Exam-day recall after a Good review rises as the review nears the exam: bisect for
        # the earliest day that reaches the target (the day before the exam when none does).
        low, high = 1, days
        if not reaches(high):
            return now + dt.timedelta(days=high)
        while low < high:
            mid = (low + high) // 2
            if reaches(mid):
                high = mid
            else:
                low = mid + 1
        return now + dt.timedelta(days=low)

    def recall_probability(self, state: SchedulerState, now: dt.datetime) -> float | None:
        """FSRS retrievability at ``now``: the probability (0-1) of recalling the card."""
        if now.tzinfo is None:
            raise ValueError("`now` must be timezone-aware (UTC)")
        card = self._card(state)
        return float(self._fsrs().get_card_retrievability(card, now.astimezone(dt.UTC)))

    def ready_for_open_recall(self, state: SchedulerState, thresholds: MemoryThresholds) -> bool:
        """Interval above ``min_interval_days`` and difficulty at or below ``max_difficulty``.

        FSRS has no ease factor; its counterpart is a low difficulty (1-10). A state without a
        difficulty falls back to the ease rule.
        """
        if state.interval_days <= thresholds.min_interval_days:
            return False
        difficulty = self.difficulty(state)
        if difficulty is not None:
            return difficulty <= thresholds.max_difficulty
        return state.ease is not None and state.ease > thresholds.min_ease

    def difficulty(self, state: SchedulerState) -> float | None:
        """FSRS difficulty (1-10) of the card, None before its first review."""
        value = state.data.get("difficulty")
        return None if value is None else float(value)

    def stability(self, state: SchedulerState) -> float | None:
        """FSRS stability in days (the interval at which recall falls to 90 %)."""
        value = state.data.get("stability")
        return None if value is None else float(value)

"""Conformance checks for :class:`~medcards.Scheduler` implementations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medcards.interfaces import Scheduler
from medcards.models import MemoryThresholds, Rating, SchedulerState

Factory = Callable[[], Scheduler]
_START = dt.datetime(2025, 1, 6, 8, 0, tzinfo=dt.UTC)


@st.composite
def review_sequences(draw: st.DrawFn, max_reviews: int = 15) -> list[tuple[Rating, dt.datetime]]:
    """Ratings at increasing UTC times, minutes to months apart."""
    ratings = draw(st.lists(st.sampled_from(list(Rating)), min_size=1, max_size=max_reviews))
    gaps = draw(
        st.lists(st.integers(60, 90 * 86_400), min_size=len(ratings), max_size=len(ratings))
    )
    when, out = _START, []
    for rating, gap in zip(ratings, gaps, strict=True):
        when = when + dt.timedelta(seconds=gap)
        out.append((rating, when))
    return out


def _states(
    scheduler: Scheduler, reviews: Sequence[tuple[Rating, dt.datetime]]
) -> Iterator[tuple[Rating, dt.datetime, SchedulerState]]:
    """Each review with the state it leads to (what :meth:`Scheduler.replay` goes through)."""
    state: SchedulerState | None = None
    for rating, when in reviews:
        state = scheduler.review(state, rating, when)
        yield rating, when, state


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_scheduler_state_invariants(factory: Factory) -> None:
    """After each review: due is after the review, interval >= 0, UTC datetimes, JSON roundtrip."""

    @_SETTINGS
    @given(reviews=review_sequences())
    def run(reviews: list[tuple[Rating, dt.datetime]]) -> None:
        for rating, when, state in _states(factory(), reviews):
            assert state.due > when, (state.due, when)
            assert state.interval_days >= 0
            assert state.due.utcoffset() == dt.timedelta(0)
            assert SchedulerState.model_validate_json(state.model_dump_json()) == state
            if rating == Rating.FAIL:
                assert state.repetitions == 0, "a failed review must restart the repetitions"

    run()


def check_scheduler_deterministic(factory: Factory) -> None:
    """Replaying the same reviews gives the same state."""

    @_SETTINGS
    @given(reviews=review_sequences())
    def run(reviews: list[tuple[Rating, dt.datetime]]) -> None:
        assert factory().replay(reviews) == factory().replay(reviews)

    run()


def check_scheduler_recall_probability(factory: Factory) -> None:
    """When provided, recall probability is in [0, 1] and does not rise as time passes."""
    scheduler = factory()
    state = scheduler.review(None, Rating.GOOD, _START)
    probabilities = [
        scheduler.recall_probability(state, _START + dt.timedelta(days=d)) for d in (1, 5, 30)
    ]
    if not scheduler.provides_recall_probability:
        assert probabilities == [None, None, None]
        return
    values = [p for p in probabilities if p is not None]
    assert len(values) == 3 and all(0.0 <= p <= 1.0 for p in values), values
    assert values[0] >= values[1] >= values[2], values


def check_scheduler_easy_not_sooner_than_hard(factory: Factory) -> None:
    """From the same state, an Easy rating is never due before a Hard one."""
    scheduler = factory()
    state = scheduler.review(None, Rating.GOOD, _START)
    later = _START + dt.timedelta(days=1)
    hard = scheduler.review(state, Rating.HARD, later)
    easy = scheduler.review(state, Rating.EASY, later)
    assert easy.due >= hard.due, (easy.due, hard.due)


def check_scheduler_open_recall_signal(factory: Factory) -> None:
    """The Level-2 signal is a bool, never true at or below ``min_interval_days``.

    Some run of Easy reviews makes it true with the default thresholds (a scheduler whose cards
    can never reach Level 2 would stall every topic at Level 1).
    """

    @_SETTINGS
    @given(reviews=review_sequences())
    def run(reviews: list[tuple[Rating, dt.datetime]]) -> None:
        scheduler = factory()
        for _, _, state in _states(scheduler, reviews):
            for thresholds in (MemoryThresholds(), MemoryThresholds(min_interval_days=1e6)):
                ready = scheduler.ready_for_open_recall(state, thresholds)
                assert isinstance(ready, bool), ready
                if state.interval_days <= thresholds.min_interval_days:
                    assert not ready, (state, thresholds)

    run()
    scheduler = factory()
    state = None
    when = _START
    reached = False
    for _ in range(30):
        state = scheduler.review(state, Rating.EASY, when)
        if scheduler.ready_for_open_recall(state, MemoryThresholds()):
            reached = True
            break
        when = state.due
    assert reached, f"30 Easy reviews never made the card ready for open recall: {state}"


def scheduler_checks() -> list[Callable[[Factory], None]]:
    """Every check a scheduler must pass."""
    from _sdk.testing import check_component_contract

    return [
        check_component_contract,
        check_scheduler_state_invariants,
        check_scheduler_deterministic,
        check_scheduler_recall_probability,
        check_scheduler_easy_not_sooner_than_hard,
        check_scheduler_open_recall_signal,
    ]

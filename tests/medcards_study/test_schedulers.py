"""SM-2 against the ``supermemo2`` reference, FSRS against the ``fsrs`` package, and the kit."""

from __future__ import annotations

import datetime as dt

import fsrs
import pytest
import supermemo2
from hypothesis import given, settings
from hypothesis import strategies as st

import medcards
from medcards.models import Rating
from medcards.scheduling import FSRSScheduler, SM2Scheduler, fsrs_difficulty_to_ease
from medcards.testing import parametrize_with_checks, review_sequences, scheduler_checks


@parametrize_with_checks(
    [SM2Scheduler, FSRSScheduler, lambda: FSRSScheduler(desired_retention=0.8, seed=7)],
    scheduler_checks(),
)
def test_conformance(factory, check):
    check(factory)


@settings(max_examples=150, deadline=None)
@given(reviews=review_sequences(max_reviews=25))
def test_sm2_matches_supermemo2(reviews):
    scheduler = SM2Scheduler()
    state = None
    easiness, interval, repetitions = 2.5, 0, 0
    for rating, when in reviews:
        state = scheduler.review(state, rating, when)
        naive = when.replace(tzinfo=None)
        try:
            ref = supermemo2.review(scheduler.grade(rating), easiness, interval, repetitions, naive)
        except OverflowError:  # the reference has no interval cap
            assert state.interval_days == scheduler.options.maximum_interval
            return
        if ref["interval"] > scheduler.options.maximum_interval:
            assert state.interval_days == scheduler.options.maximum_interval
            return
        easiness, interval, repetitions = ref["easiness"], ref["interval"], ref["repetitions"]
        assert state.ease == easiness
        assert state.interval_days == interval
        assert state.repetitions == repetitions
        expected_due = dt.datetime.fromisoformat(ref["review_datetime"]).replace(tzinfo=dt.UTC)
        assert state.due == expected_due


def test_sm2_caps_the_interval():
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    state = SM2Scheduler(maximum_interval=100).replay([(Rating.EASY, start)] * 12)
    assert state is not None
    assert state.interval_days == 100


def test_sm2_grade_mapping_is_documented_default():
    scheduler = SM2Scheduler()
    assert [scheduler.grade(r) for r in Rating] == [1, 3, 4, 5]


@settings(max_examples=100, deadline=None)
@given(
    reviews=review_sequences(max_reviews=20),
    retention=st.sampled_from([0.8, 0.9, 0.95]),
)
def test_fsrs_matches_fsrs_package(reviews, retention):
    ours = FSRSScheduler(desired_retention=retention, seed=1)
    reference = fsrs.Scheduler(desired_retention=retention, enable_fuzzing=False)
    card = fsrs.Card(card_id=0, due=reviews[0][1])
    state = None
    for rating, when in reviews:
        state = ours.review(state, rating, when)
        card, _ = reference.review_card(card, fsrs.Rating(int(rating)), when)
        assert state.due == card.due
        assert state.data["stability"] == card.stability
        assert state.data["difficulty"] == card.difficulty
        assert state.data["state"] == int(card.state)
        assert state.ease == fsrs_difficulty_to_ease(card.difficulty)
        later = when + dt.timedelta(days=3)
        assert ours.recall_probability(state, later) == reference.get_card_retrievability(
            card, later
        )


def test_fsrs_desired_retention_shortens_intervals():
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    reviews = [(Rating.GOOD, start + dt.timedelta(days=d)) for d in (0, 1, 4, 15)]
    low = FSRSScheduler(desired_retention=0.8).replay(reviews)
    high = FSRSScheduler(desired_retention=0.97).replay(reviews)
    assert low is not None
    assert high is not None
    assert high.interval_days < low.interval_days


def test_fsrs_seed_turns_fuzzing_off():
    scheduler = FSRSScheduler(fuzzing=True, seed=3)
    assert scheduler._fsrs().enable_fuzzing is False
    assert FSRSScheduler(fuzzing=True)._fsrs().enable_fuzzing is True


def test_fsrs_rejects_naive_datetime_and_bad_options():
    with pytest.raises(ValueError, match="timezone"):
        FSRSScheduler().review(None, Rating.GOOD, dt.datetime(2025, 1, 1))
    with pytest.raises(medcards.InvalidOptionsError, match="desired_retention"):
        FSRSScheduler(desired_retention=1.5)


def test_both_schedulers_are_registered():
    assert {"sm2", "fsrs"} <= set(medcards.scheduler_names())
    assert isinstance(medcards.get_scheduler("fsrs", desired_retention=0.85), FSRSScheduler)

"""Fitting FSRS to a simulated learner's log (200 topics x 120 days) with the fsrs optimizer."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from medcards_web import MIN_REVIEWS_TO_FIT, NotEnoughReviewsError, fit_fsrs
from medcards_web.fitting import count_fit_reviews, histories, log_loss
from medcards_web.simulation import simulate_study


@pytest.mark.slow
def test_fsrs_fits_a_simulated_learner_and_lowers_the_held_out_log_loss(tmp_path: Path) -> None:
    engine = simulate_study(tmp_path / "sim.db", topics=200, days=120)
    log = engine.review_log()
    engine.close()
    result = fit_fsrs(log, holdout=0.2, seed=0)
    print(
        f"{len(log)} reviews; fitted on {result.train_reviews} ({result.train_topics} topics); "
        f"held-out {result.heldout_reviews} reviews ({result.heldout_topics} topics): log loss "
        f"{result.loss_default:.4f} with the defaults, {result.loss_fitted:.4f} fitted "
        f"({result.seconds:.1f} s)"
    )
    assert result.train_reviews >= MIN_REVIEWS_TO_FIT
    assert result.heldout_topics == 40
    assert result.heldout_reviews > 100
    assert len(result.parameters) == 21
    assert result.parameters != result.default_parameters
    assert math.isfinite(result.loss_fitted)
    assert result.loss_fitted < result.loss_default


def test_a_short_log_is_refused_with_the_count_it_needs() -> None:
    start = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)
    log = [
        {"kind": "mcq", "topic_id": t, "rating": 3, "reviewed_at": start + dt.timedelta(days=d)}
        for t in range(20)
        for d in (0, 1, 3)
    ]
    assert count_fit_reviews(histories(log)) == 40
    with pytest.raises(NotEnoughReviewsError, match=r"at least 512 reviews.* has 3[0-9] in"):
        fit_fsrs(log)
    with pytest.raises(ValueError, match="holdout"):
        fit_fsrs(log, holdout=0.9)


def test_log_loss_scores_later_day_reviews_only() -> None:
    start = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)
    same_day = {1: [(start, 3), (start + dt.timedelta(hours=2), 3)]}
    import fsrs

    defaults = list(fsrs.scheduler.DEFAULT_PARAMETERS)
    loss, scored = log_loss(same_day, defaults)
    assert scored == 0
    assert math.isnan(loss)
    recalled = {1: [(start, 3), (start + dt.timedelta(days=3), 3)]}
    forgot = {1: [(start, 3), (start + dt.timedelta(days=3), 1)]}
    (low, n1), (high, n2) = log_loss(recalled, defaults), log_loss(forgot, defaults)
    assert n1 == n2 == 1
    assert low < high  # predicting recall is right when the learner recalled

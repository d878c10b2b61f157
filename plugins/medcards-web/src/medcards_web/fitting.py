"""Fit FSRS to the student: the ``fsrs`` package's optimizer on the study database's review log.

Each topic is one memory (its MCQ and, from level 2, its open drill share one scheduler state),
so the log's scheduled reviews (angle variants left out) are grouped by topic. A share of the
topics is held out: the optimizer never sees their reviews, and the log loss of both the default
and the fitted weights is measured on them, so "after" is not flattered by fitting the same
reviews it is scored on.

How many reviews: the optimizer learns only from reviews made on a later day than the same
card's previous review (same-day steps say nothing about forgetting), from the first 64 reviews
of each card, in mini-batches of 512; with fewer than 512 such reviews it returns the default
weights unchanged. :data:`MIN_REVIEWS_TO_FIT` is that floor, counted on the training share.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

import medcards

#: Reviews on a later day than the card's previous one (training share) needed to fit.
MIN_REVIEWS_TO_FIT = 512
#: The optimizer reads at most this many reviews of each card.
MAX_REVIEWS_PER_CARD = 64


class NotEnoughReviewsError(medcards.MedcardsError):
    """The review log is too short to fit FSRS (fewer than :data:`MIN_REVIEWS_TO_FIT`)."""


class FitResult(BaseModel):
    """What fitting FSRS to a review log gave.

    Attributes:
        parameters: The fitted FSRS-6 weights (21).
        default_parameters: The package's default weights, for comparison.
        train_topics: Topics whose reviews were fitted on.
        heldout_topics: Topics held out for scoring.
        train_reviews: Reviews the optimizer learns from (later-day reviews, training share).
        heldout_reviews: Held-out reviews scored.
        loss_default: Log loss of the default weights on the held-out reviews.
        loss_fitted: Log loss of the fitted weights on the held-out reviews.
        seconds: Time the fit took.
        fitted_at: When it was fitted (UTC).
    """

    parameters: list[float]
    default_parameters: list[float]
    train_topics: int
    heldout_topics: int
    train_reviews: int
    heldout_reviews: int
    loss_default: float
    loss_fitted: float
    seconds: float
    fitted_at: dt.datetime


History = list[tuple[dt.datetime, int]]


def histories(review_log: Iterable[Mapping[str, Any]]) -> dict[int, History]:
    """Scheduled reviews per topic, oldest first: ``topic_id -> [(time, rating)]``."""
    out: dict[int, History] = defaultdict(list)
    for review in review_log:
        if review["kind"] == "variant":
            continue
        out[int(review["topic_id"])].append((review["reviewed_at"], int(review["rating"])))
    for reviews in out.values():
        reviews.sort(key=lambda item: item[0])
    return dict(out)


def count_fit_reviews(by_topic: Mapping[int, History]) -> int:
    """Reviews the optimizer learns from: later-day reviews among each topic's first 64."""
    total = 0
    for reviews in by_topic.values():
        head = reviews[:MAX_REVIEWS_PER_CARD]
        total += sum(1 for a, b in itertools.pairwise(head) if (b[0] - a[0]).days > 0)
    return total


def log_loss(by_topic: Mapping[int, History], parameters: Sequence[float]) -> tuple[float, int]:
    """Mean binary log loss of FSRS ``parameters`` predicting recall (rating > Fail).

    Scored as the optimizer scores: at each review on a later day than the topic's previous
    one, the predicted retrievability against whether the topic was recalled; the state is
    then updated with the review. Returns ``(loss, reviews scored)``.
    """
    import fsrs

    scheduler = fsrs.Scheduler(parameters=tuple(parameters), enable_fuzzing=False)
    total, count = 0.0, 0
    for topic_id, reviews in by_topic.items():
        card = None
        for when, rating in reviews[:MAX_REVIEWS_PER_CARD]:
            if card is None:
                card = fsrs.Card(card_id=topic_id, due=when)
            elif card.last_review is not None and (when - card.last_review).days > 0:
                p = float(scheduler.get_card_retrievability(card, when))
                p = min(max(p, 1e-7), 1 - 1e-7)
                recalled = rating > 1
                total -= math.log(p) if recalled else math.log(1 - p)
                count += 1
            card, _ = scheduler.review_card(card, fsrs.Rating(rating), when)
    return (total / count if count else float("nan")), count


def fit_fsrs(
    review_log: Iterable[Mapping[str, Any]], *, holdout: float = 0.2, seed: int = 0
) -> FitResult:
    """Fit FSRS weights to ``review_log`` (:meth:`medcards.study.StudyEngine.review_log`).

    Args:
        review_log: The study database's review log.
        holdout: Share of the topics held out for scoring (0-0.5).
        seed: Seed of the topic split.

    Raises:
        NotEnoughReviewsError: fewer than :data:`MIN_REVIEWS_TO_FIT` reviews to learn from.
        ValueError: ``holdout`` out of range.
    """
    if not 0.0 < holdout <= 0.5:
        raise ValueError(f"holdout must be in (0, 0.5], got {holdout}")
    import fsrs

    started = time.perf_counter()
    by_topic = histories(review_log)
    topics = sorted(by_topic)
    random.Random(seed).shuffle(topics)
    cut = max(1, round(len(topics) * holdout)) if len(topics) > 1 else 0
    heldout = {t: by_topic[t] for t in topics[:cut]}
    train = {t: by_topic[t] for t in topics[cut:]}
    usable = count_fit_reviews(train)
    if usable < MIN_REVIEWS_TO_FIT:
        raise NotEnoughReviewsError(
            f"FSRS needs at least {MIN_REVIEWS_TO_FIT} reviews made on a later day than the "
            f"topic's previous review to fit (the optimizer's mini-batch); this log has {usable} "
            f"in its training share ({count_fit_reviews(by_topic)} in all): keep studying with "
            "the default weights"
        )
    from fsrs import Optimizer, ReviewLog  # torch: imported only when there is a fit to run

    logs = [
        ReviewLog(
            card_id=topic_id, rating=fsrs.Rating(rating), review_datetime=when, review_duration=None
        )
        for topic_id, reviews in train.items()
        for when, rating in reviews
    ]
    fitted = [float(w) for w in Optimizer(logs).compute_optimal_parameters()]
    defaults = [float(w) for w in fsrs.scheduler.DEFAULT_PARAMETERS]
    loss_default, scored = log_loss(heldout, defaults)
    loss_fitted, _ = log_loss(heldout, fitted)
    return FitResult(
        parameters=fitted,
        default_parameters=defaults,
        train_topics=len(train),
        heldout_topics=len(heldout),
        train_reviews=usable,
        heldout_reviews=scored,
        loss_default=loss_default,
        loss_fitted=loss_fitted,
        seconds=time.perf_counter() - started,
        fitted_at=dt.datetime.now(dt.UTC),
    )

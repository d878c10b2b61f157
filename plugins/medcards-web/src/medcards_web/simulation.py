"""A simulated learner studying through the engine: review logs to fit and score FSRS on.

The learner is the one of the study engine's own simulation test: recall probability
``exp(-t / S)`` with ``S`` growing 3x on each success and halving on a lapse (first sight
recalled with probability 0.75), ratings Hard / Good / Easy by how likely recall was. It is not
an FSRS learner, so the default FSRS weights are not its truth and fitting has something to
learn.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path

from pydantic import BaseModel

import medcards
from medcards.study import DailyLimits, StudyEngine

#: Start of the simulated study.
START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
MODULES = ("Cardiología", "Neumología", "Endocrinología", "Neurología")


class Learner:
    """Recall probability ``exp(-t / S)``; ``S`` grows 3x per success and halves on a lapse."""

    def __init__(self, seed: int) -> None:
        """A learner whose recalls are drawn from ``seed``."""
        self.rng = random.Random(seed)
        self.stability: dict[int, float] = {}
        self.last: dict[int, dt.datetime] = {}

    def rate(self, topic_id: int, now: dt.datetime) -> medcards.Rating:
        """The learner's rating of ``topic_id`` at ``now`` (drawn, then remembered)."""
        s = self.stability.get(topic_id, 4.0)
        elapsed = (now - self.last.get(topic_id, now)).total_seconds() / 86_400
        p = math.exp(-elapsed / s) if topic_id in self.last else 0.75
        self.last[topic_id] = now
        if self.rng.random() > p:
            self.stability[topic_id] = max(2.0, s * 0.5)
            return medcards.Rating.FAIL
        self.stability[topic_id] = s * 3.0
        if p > 0.85:
            return medcards.Rating.EASY
        return medcards.Rating.GOOD if p > 0.6 else medcards.Rating.HARD


def simulate_study(
    path: str | Path,
    *,
    topics: int = 200,
    days: int = 120,
    scheduler: medcards.Scheduler | str = "fsrs",
    seed: int = 11,
    start: dt.datetime = START,
) -> StudyEngine:
    """Study ``topics`` topics (10 new per day) for ``days`` days; returns the open engine.

    Cards come from the ``extractive`` generator; angle variants are passed 70 % of the time.
    """
    learner = Learner(seed)
    engine = StudyEngine(
        path,
        scheduler=scheduler,
        generator=medcards.get_card_generator("extractive"),
        limits=DailyLimits(new_topics=10, reviews=10_000),
    )
    for i in range(topics):
        engine.add_topic(
            f"Tema {i:03d}",
            f"El tema {i:03d} trata la dosis de {10 + i} mg/kg en la primera hora. "
            f"El control se repite a las {2 + i % 5} horas del inicio.",
            modulo=MODULES[i % len(MODULES)],
            priority=i % 3,
            date_assigned=start.date() + dt.timedelta(days=i // 10),
            now=start,
        )
    angle_rng = random.Random(seed + 1)
    for day in range(days):
        now = start + dt.timedelta(days=day, hours=8)
        while (item := engine.next_topic(now)) is not None:
            if item.reason == "angle":
                rating = medcards.Rating.GOOD if angle_rng.random() < 0.7 else medcards.Rating.FAIL
            else:
                rating = learner.rate(item.topic.topic_id, now)
            engine.update_progress(item, rating, now)
            now += dt.timedelta(minutes=2)
    return engine


class ExamRun(BaseModel):
    """What a simulated run up to an exam gave.

    Attributes:
        recall: FSRS-predicted recall of each scheduled card at 00:00 UTC of the exam day.
        reviews: Reviews made before the exam.
    """

    recall: list[float]
    reviews: int

    def reached(self, target: float) -> float:
        """Share of the cards whose predicted recall is at or above ``target``."""
        return sum(p >= target for p in self.recall) / len(self.recall) if self.recall else 0.0

    @property
    def mean(self) -> float:
        """Mean predicted recall on the exam day."""
        return sum(self.recall) / len(self.recall) if self.recall else 0.0


def simulate_exam(
    path: str | Path,
    *,
    exam_target: float | None,
    topics: int = 60,
    days: int = 40,
    desired_retention: float = 0.8,
    seed: int = 3,
    start: dt.datetime = START,
) -> ExamRun:
    """Study up to an exam ``days`` away, with exam-date mode (``exam_target``) or without.

    The learner is FSRS itself with the default weights: a card is recalled with its predicted
    retrievability (new cards with 0.8), so the recall FSRS predicts for the exam day is the
    learner's true one. Ten topics a day are introduced; each day the student comes back every
    15 minutes for 12 hours while anything is due, so relearning steps are done the same day.
    """
    exam = (start + dt.timedelta(days=days)).date()
    options: dict[str, object] = {"desired_retention": desired_retention}
    if exam_target is not None:
        options |= {"exam_date": exam, "exam_target": exam_target}
    truth = medcards.get_scheduler("fsrs")
    engine = StudyEngine(
        path,
        scheduler=medcards.get_scheduler("fsrs", **options),
        generator=medcards.get_card_generator("extractive"),
        limits=DailyLimits(new_topics=10, reviews=10_000),
    )
    for i in range(topics):
        engine.add_topic(
            f"Tema {i:03d}",
            f"El tema {i:03d} trata la dosis de {10 + i} mg/kg en la primera hora. "
            f"La complicación grave aparece a las {2 + i % 5} horas del inicio.",
            date_assigned=start.date() + dt.timedelta(days=i // 10),
            now=start,
        )
    rng = random.Random(seed)
    day = start
    while day.date() < exam:
        now, end = day, day + dt.timedelta(hours=12)
        while now < end:
            item = engine.next_topic(now)
            if item is None:
                now += dt.timedelta(minutes=15)
                continue
            state = engine.state(item.card.card_id)
            p = 0.8 if state is None else truth.recall_probability(state, now) or 0.0
            ok = item.reason == "angle" or rng.random() < p
            engine.update_progress(item, medcards.Rating.GOOD if ok else medcards.Rating.FAIL, now)
            now += dt.timedelta(minutes=1)
        day += dt.timedelta(days=1)
    at = dt.datetime.combine(exam, dt.time(), dt.UTC)
    recall = [truth.recall_probability(s, at) or 0.0 for s in engine.scheduled_states().values()]
    run = ExamRun(recall=recall, reviews=len(engine.review_log()))
    engine.close()
    return run

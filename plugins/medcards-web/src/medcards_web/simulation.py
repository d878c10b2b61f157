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

"""A simulated learner with known forgetting curves: 200 topics, 120 days.

The dashboard is computed from the database's current state; every number is recomputed here
independently from the append-only review log (replaying the scheduler), and must agree.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict

import pytest

import medcards
from medcards.models import Rating
from medcards.study import StudyEngine, compute_dashboard, plot_dashboard

START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
TOPICS, DAYS = 200, 120
MODULES = ["Cardiología", "Neumología", "Endocrinología", "Neurología"]


class Learner:
    """Recall probability exp(-t / S); S grows 3x per success and halves on a lapse."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.stability: dict[int, float] = {}
        self.last: dict[int, dt.datetime] = {}

    def rate(self, topic_id: int, now: dt.datetime) -> Rating:
        s = self.stability.get(topic_id, 4.0)
        elapsed = (now - self.last.get(topic_id, now)).total_seconds() / 86_400
        p = math.exp(-elapsed / s) if topic_id in self.last else 0.75
        self.last[topic_id] = now
        if self.rng.random() > p:
            self.stability[topic_id] = max(2.0, s * 0.5)
            return Rating.FAIL
        self.stability[topic_id] = s * 3.0
        return Rating.EASY if p > 0.85 else Rating.GOOD if p > 0.6 else Rating.HARD


def _simulate(tmp_path, generator, scheduler: str):
    learner = Learner(seed=11)
    engine = StudyEngine(tmp_path / f"{scheduler}.db", scheduler=scheduler, generator=generator)
    modulo_of = {}
    for i in range(TOPICS):
        modulo = MODULES[i % len(MODULES)]
        topic = engine.add_topic(
            f"Tema {i:03d}",
            f"Tema {i:03d}: hecho clave número {i}. Detalle.",
            modulo=modulo,
            priority=i % 3,
            date_assigned=START.date() + dt.timedelta(days=i // 10),
            now=START,
        )
        modulo_of[topic.topic_id] = modulo
    angle_rng = random.Random(5)
    for day in range(DAYS):
        now = START + dt.timedelta(days=day, hours=8)
        while (item := engine.next_topic(now)) is not None:
            if item.reason == "angle":
                rating = Rating.GOOD if angle_rng.random() < 0.7 else Rating.FAIL
            else:
                rating = learner.rate(item.topic.topic_id, now)
            engine.update_progress(item, rating, now)
            now += dt.timedelta(minutes=2)
    return engine, modulo_of


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
def test_dashboard_equals_counts_from_the_review_log(tmp_path, generator, scheduler):
    engine, modulo_of = _simulate(tmp_path, generator, scheduler)
    as_of = START + dt.timedelta(days=DAYS, hours=7)
    board = compute_dashboard(engine, as_of)
    log = engine.review_log()
    assert board.total_reviews == len(log) > 1_000

    # levels: the last level each topic reached, topics never reviewed are new
    last_level = {}
    for review in log:
        last_level[review["topic_id"]] = review["level_after"]
    assert board.new_topics == TOPICS - len(last_level)
    assert board.levels == {lvl: Counter(last_level.values())[lvl] for lvl in (1, 2, 3)}
    assert board.levels[3] > 0
    assert board.levels[2] > 0

    # due dates: replay each topic's scheduled reviews through a fresh scheduler
    replayer = medcards.get_scheduler(scheduler)
    per_topic = defaultdict(list)
    for review in log:
        if review["kind"] != "variant":
            per_topic[review["topic_id"]].append((Rating(review["rating"]), review["reviewed_at"]))
    today = as_of.date()
    forecast = Counter()
    for reviews in per_topic.values():
        state = replayer.replay(reviews)
        index = max(0, (state.due.date() - today).days)
        if index < 14:
            forecast[index] += 1
    assert board.due_today == forecast[0]
    assert [c for _, c in board.forecast] == [forecast[i] for i in range(14)]

    # retention by module: repeat (not first) scheduled reviews not failed
    seen, recalled, total = set(), Counter(), Counter()
    for review in log:
        if review["kind"] == "variant":
            continue
        topic_id = review["topic_id"]
        if topic_id in seen:
            total[modulo_of[topic_id]] += 1
            recalled[modulo_of[topic_id]] += review["rating"] > Rating.FAIL
        seen.add(topic_id)
    assert {r.modulo: (r.recalled, r.reviews) for r in board.retention} == {
        m: (recalled[m], total[m]) for m in total
    }

    # angles: one per failed scheduled review; passed once a variant is rated Good or better
    fails = sum(1 for r in log if r["kind"] != "variant" and r["rating"] == Rating.FAIL)
    passed = {r["card_id"] for r in log if r["kind"] == "variant" and r["rating"] >= Rating.GOOD}
    assert len(engine.angles()) == fails > 0
    assert board.pending_angles == fails - len(passed)

    png = plot_dashboard(board, tmp_path / "dashboard.png")
    assert png.read_bytes().startswith(b"\x89PNG")
    engine.close()

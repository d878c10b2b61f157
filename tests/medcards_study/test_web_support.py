"""What the web app needs from the study engine: previews, idempotent ratings, settings,
calendar edits, guide sections, the FSRS exam-date mode and the workload simulator."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import medcards
from medcards.models import Rating
from medcards.study import (
    DuplicateReviewError,
    StudyEngine,
    compute_dashboard,
    simulate_workload,
)
from medcards.study import db as study_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CONTEXT = "La dosis es 15 mg/kg en la primera hora. El control se repite a las 4 horas."


def _engine(tmp_path, generator, scheduler="sm2", **kwargs):
    engine = StudyEngine(tmp_path / "t.db", scheduler=scheduler, generator=generator, **kwargs)
    for i in range(3):
        engine.add_topic(f"Tema {i}", CONTEXT, modulo="M", now=NOW)
    return engine


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ratings=st.lists(st.integers(1, 4), min_size=1, max_size=6))
def test_preview_is_the_due_the_rating_then_gets(tmp_path_factory, generator, scheduler, ratings):
    engine = _engine(tmp_path_factory.mktemp("p"), generator, scheduler)
    now = NOW
    for rating in ratings:
        item = engine.next_topic(now) or engine.next_topic(now + dt.timedelta(days=400))
        assert item is not None
        if item.reason == "angle":
            engine.update_progress(item, 3, now)
            continue
        preview = engine.preview(item, now)
        outcome = engine.update_progress(item, rating, now)
        assert outcome.state is not None
        assert preview[Rating(rating)] == outcome.state.due
        now = outcome.state.due + dt.timedelta(minutes=1)
    engine.close()


def test_a_stale_shown_count_records_nothing(tmp_path, generator):
    engine = _engine(tmp_path, generator)
    item = engine.next_topic(NOW)
    shown = engine.reviews_of(item.card.card_id)
    first = engine.update_progress(item, 1, NOW, shown_reviews=shown)
    with pytest.raises(DuplicateReviewError, match="already rated") as caught:
        engine.update_progress(item, 1, NOW, shown_reviews=shown)
    assert caught.value.review_id == first.review_id
    assert len(engine.review_log()) == 1
    assert len(engine.angles()) == 1  # the second Fail made no second angle
    angle = engine.next_topic(NOW)
    assert angle.reason == "angle"
    count = engine.reviews_of(angle.card.card_id)
    engine.update_progress(angle, 3, NOW, shown_reviews=count)
    with pytest.raises(DuplicateReviewError):
        engine.update_progress(angle, 3, NOW, shown_reviews=count)
    assert len(engine.review_log()) == 2
    record = engine.review(first.review_id)
    assert record["angle_id"] == first.angle_id
    assert record["rating"] == 1
    assert engine.review(999) is None
    engine.close()


def test_settings_round_trip_and_the_v1_migration(tmp_path):
    path = tmp_path / "old.db"
    conn = study_db.connect(path, migrations=study_db.MIGRATIONS[:1])
    conn.execute(
        "INSERT INTO topics (title, date_assigned, created_at) VALUES ('Viejo', '2025-01-01', 0)"
    )
    conn.close()
    with StudyEngine(path) as engine:
        assert engine.topic("Viejo").title == "Viejo"
        assert engine.settings() == {}
        engine.save_settings({"web": {"scheduler": "fsrs", "exam_date": "2026-06-01"}})
        engine.save_settings({"other": [1, 2]})
    with StudyEngine(path) as engine:
        assert engine.settings() == {
            "web": {"scheduler": "fsrs", "exam_date": "2026-06-01"},
            "other": [1, 2],
        }
        version = engine.conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == study_db.SCHEMA_VERSION == 3


def test_calendar_edits_and_guide_sections(tmp_path, generator):
    engine = _engine(tmp_path, generator)
    topic = engine.edit_topic("Tema 1", modulo=" Cardio ", priority=7, date_assigned=NOW.date())
    assert (topic.modulo, topic.priority) == ("Cardio", 7)
    assert [t.title for t in engine.new_topics(NOW, limit=2)] == ["Tema 1", "Tema 0"]
    sections = [
        medcards.GuideSection(title="A", context=CONTEXT, modulo="G"),
        medcards.GuideSection(title="B", context=CONTEXT, modulo="G"),
    ]
    added = engine.import_sections(sections, now=NOW, source="guia.md")
    assert [t.priority for t in added] == [2, 1]
    with pytest.raises(medcards.MedcardsError, match=r"guia\.md"):
        engine.import_sections(sections, now=NOW, source="guia.md")
    assert engine.count_topics() == 5
    assert engine.ensure_card(added[0], "mcq") == engine.ensure_card(added[0], "mcq")
    engine.close()


def test_dashboard_history_and_recovered_angles(tmp_path, generator):
    engine = _engine(tmp_path, generator)
    item = engine.next_topic(NOW)
    engine.update_progress(item, 1, NOW)
    angle = engine.next_topic(NOW)
    engine.update_progress(angle, 3, NOW)
    board = compute_dashboard(engine, NOW, days=30)
    assert len(board.history) == 30
    assert board.history[-1] == (NOW.date(), 2, 0, 0)
    assert (board.pending_angles, board.angles_passed, board.recovered_cards) == (0, 1, 1)
    assert len(board.forecast) == 30
    engine.close()


def test_web_and_cli_connections_share_the_database(tmp_path, generator):
    first = _engine(tmp_path, generator)
    second = StudyEngine(tmp_path / "t.db", generator=generator)
    assert first.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    item = first.next_topic(NOW)
    reader = second.conn.execute("SELECT count(*) FROM reviews")
    first.update_progress(item, 3, NOW)
    assert reader.fetchone()[0] in (0, 1)
    assert len(second.review_log()) == 1
    first.close()
    second.close()


def test_workload_grows_with_the_desired_retention():
    states = []
    low = simulate_workload(desired_retention=0.8, days=60, new_per_day=10, states=states)
    high = simulate_workload(desired_retention=0.95, days=60, new_per_day=10, states=states)
    assert len(low.days) == 60
    assert low.days[0][1] == 10
    assert high.mean > low.mean * 1.3
    assert high.recalled > low.recalled
    with pytest.raises(ValueError, match="retention"):
        simulate_workload(desired_retention=1.0)


def _exam_run(tmp_path, generator, exam_mode: bool):
    exam = (NOW + dt.timedelta(days=40)).date()
    options = {"desired_retention": 0.8}
    if exam_mode:
        options |= {"exam_date": exam, "exam_target": 0.9}
    scheduler = medcards.get_scheduler("fsrs", **options)
    truth = medcards.get_scheduler("fsrs")
    engine = StudyEngine(tmp_path / f"exam{exam_mode}.db", scheduler=scheduler, generator=generator)
    for i in range(60):
        engine.add_topic(
            f"T{i}", CONTEXT, date_assigned=NOW.date() + dt.timedelta(days=i // 10), now=NOW
        )
    import random

    rng = random.Random(3)
    day = NOW
    while day.date() < exam:
        now, end = day, day + dt.timedelta(hours=12)
        while now < end:
            item = engine.next_topic(now)
            if item is None:
                now += dt.timedelta(minutes=15)
                continue
            state = engine.state(item.card.card_id)
            p = 0.8 if state is None else truth.recall_probability(state, now)
            rating = 3 if item.reason == "angle" or rng.random() < p else 1
            engine.update_progress(item, rating, now)
            now += dt.timedelta(minutes=1)
        day += dt.timedelta(days=1)
    at = dt.datetime.combine(exam, dt.time(), dt.UTC)
    recall = [truth.recall_probability(s, at) for s in engine.scheduled_states().values()]
    reviews = len(engine.review_log())
    engine.close()
    return recall, reviews


def test_exam_date_mode_meets_its_recall_target_in_simulation(tmp_path, generator):
    recall, reviews = _exam_run(tmp_path, generator, exam_mode=True)
    plain, plain_reviews = _exam_run(tmp_path, generator, exam_mode=False)
    reached = sum(p >= 0.9 for p in recall) / len(recall)
    plain_reached = sum(p >= 0.9 for p in plain) / len(plain)
    print(
        f"exam mode: {reached:.0%} of {len(recall)} topics at >= 90 % recall on the exam day "
        f"(mean {sum(recall) / len(recall):.3f}, {reviews} reviews); without it "
        f"{plain_reached:.0%} (mean {sum(plain) / len(plain):.3f}, {plain_reviews} reviews)"
    )
    assert len(recall) == 60
    assert reached >= 0.95
    assert sum(recall) / len(recall) >= 0.9
    assert plain_reached < reached


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(1, 4), st.floats(0.0, 30.0)), min_size=1, max_size=12),
    exam_in=st.integers(1, 200),
    target=st.floats(0.7, 0.97),
)
def test_exam_mode_never_leaves_a_card_due_after_the_exam_below_target(steps, exam_in, target):
    exam = (NOW + dt.timedelta(days=exam_in)).date()
    scheduler = medcards.get_scheduler("fsrs", exam_date=exam, exam_target=target)
    exam_at = dt.datetime.combine(exam, dt.time(), dt.UTC)
    state, now = None, NOW
    for rating, gap in steps:
        state = scheduler.review(state, Rating(rating), now)
        left = (exam_at - now).total_seconds() / 86_400
        assert (
            state.due <= exam_at
            or scheduler.recall_probability(state, exam_at) >= target
            or left < 1
        )
        now += dt.timedelta(days=gap)

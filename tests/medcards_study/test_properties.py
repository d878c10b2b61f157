"""Property tests of the study store: whatever the answers, the log and the ladder stay sound."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medcards.models import Rating
from medcards.study import StudyEngine, TopicLevel, export_document, import_document

START = dt.datetime(2025, 1, 6, 8, tzinfo=dt.UTC)

answers = st.lists(
    st.tuples(st.sampled_from(list(Rating)), st.integers(0, 40 * 24)),  # rating, hours later
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answers=answers, scheduler=st.sampled_from(["sm2", "fsrs"]))
def test_log_levels_and_round_trip_stay_consistent(generator, answers, scheduler):
    with StudyEngine(":memory:", scheduler=scheduler, generator=generator) as engine:
        for i in range(3):
            engine.add_topic(
                f"Tema {i}",
                f"Hecho {i}. Más.",
                modulo=f"M{i % 2}",
                now=START,
                date_assigned=START.date(),
            )
        now, done, levels = START, 0, {}
        for rating, hours in answers:
            now += dt.timedelta(hours=hours)
            item = engine.next_topic(now)
            if item is None:
                continue
            before = engine.topic(item.topic.topic_id).level
            outcome = engine.update_progress(item, rating, now)
            done += 1
            after = engine.topic(item.topic.topic_id).level
            assert outcome.level_before == before
            assert outcome.level_after == after
            # the ladder moves one step up at a time, and only a Fail moves it down
            assert after - before in (0, 1) or (rating == Rating.FAIL and after < before)
            levels[item.topic.topic_id] = after
        log = engine.review_log()
        assert len(log) == done
        assert [r["review_id"] for r in log] == list(range(1, done + 1))
        for topic in engine.topics():
            cards = engine.cards(topic)
            scheduled = [c for c in cards if c.kind.value in ("mcq", "open") and not c.retired]
            if topic.level >= TopicLevel.OPEN:
                assert any(c.kind.value == "open" for c in scheduled)
                assert all(c.retired for c in cards if c.kind.value == "mcq")
            if topic.introduced:
                active = [c for c in scheduled if engine.state(c.card_id) is not None]
                assert len(active) >= 1
        fails = sum(1 for r in log if r["kind"] != "variant" and r["rating"] == Rating.FAIL)
        assert len(engine.angles()) == fails
        document = export_document(engine)
        with StudyEngine(":memory:", scheduler=scheduler) as copy:
            import_document(copy, document)
            assert export_document(copy) == document

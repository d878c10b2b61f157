"""The queue, mastery ladder, angles, limits, the database's errors and migrations."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from medcards.models import CardKind, CardRequest, Rating
from medcards.study import (
    DailyLimits,
    InvalidRatingError,
    MasteryRules,
    StudyDatabaseError,
    StudyDatabaseVersionError,
    StudyEngine,
    StudyError,
    TopicLevel,
    UnknownTopicError,
    connect,
)
from medcards.study import db as study_db

T0 = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def engine(tmp_path, generator):
    with StudyEngine(tmp_path / "temario.db", generator=generator) as eng:
        yield eng


def _add(engine, title, **kw):
    kw.setdefault("date_assigned", T0.date())
    return engine.add_topic(title, f"{title}: contexto de la guía. Más texto.", now=T0, **kw)


def test_new_topics_follow_the_calendar(engine):
    _add(engine, "B tardío", date_assigned=T0.date() + dt.timedelta(days=2), priority=9)
    _add(engine, "A baja", priority=1, modulo="M2")
    _add(engine, "A alta", priority=5, modulo="M2")
    _add(engine, "A alta M1", priority=5, modulo="M1")
    order = []
    now = T0
    while (item := engine.next_topic(now)) is not None:
        assert item.reason == "new"
        order.append(item.topic.title)
        engine.update_progress(item, Rating.EASY, now)
    assert order == ["A alta M1", "A alta", "A baja"]  # "B tardío" is not assigned yet
    later = T0 + dt.timedelta(days=2)
    first = engine.next_topic(later)
    assert first is not None
    assert first.reason == "review"


def test_due_reviews_first_most_overdue_then_priority(engine, generator):
    for title, priority, when in (
        ("Baja", 0, T0),
        ("Alta", 5, T0),
        ("Tarde", 9, T0 + dt.timedelta(days=1)),
    ):
        topic = _add(engine, title, priority=priority)
        request = CardRequest(topic=title, context=topic.context, kind=CardKind.MCQ)
        card = engine.add_card(topic, generator.generate(request))
        engine.update_progress(card, Rating.GOOD, when)
    _add(engine, "Nuevo", priority=99)
    now = T0 + dt.timedelta(days=2, hours=1)
    seen = []
    for _ in range(3):
        item = engine.next_topic(now)
        assert item is not None
        assert item.reason == "review"
        seen.append(item.topic.title)
        engine.update_progress(item, Rating.GOOD, now)
    assert seen == ["Alta", "Baja", "Tarde"]
    item = engine.next_topic(now)
    assert item is not None
    assert item.reason == "new"
    assert item.topic.title == "Nuevo"


def test_daily_limits(tmp_path, generator):
    limits = DailyLimits(new_topics=2, reviews=1)
    with StudyEngine(tmp_path / "t.db", generator=generator, limits=limits) as engine:
        for i in range(4):
            _add(engine, f"T{i}")
        for _ in range(2):
            item = engine.next_topic(T0)
            assert item is not None
            engine.update_progress(item, Rating.GOOD, T0)
        assert engine.next_topic(T0) is None
        tomorrow = T0 + dt.timedelta(days=1, hours=1)
        item = engine.next_topic(tomorrow)
        assert item is not None
        assert item.reason == "review"
        engine.update_progress(item, Rating.GOOD, tomorrow)
        item = engine.next_topic(tomorrow)
        assert item is not None
        assert item.reason == "new"


def _review_until(engine, topic, ratings, start):
    """Review ``topic``'s current card on its due dates with ``ratings``; return outcomes."""
    now, outcomes = start, []
    for rating in ratings:
        card = next(c for c in engine.cards(topic) if not c.retired and c.kind.value != "variant")
        state = engine.state(card.card_id)
        now = max(now, state.due) if state else now
        outcomes.append(engine.update_progress(card, rating, now))
    return outcomes, now


def test_sm2_mastery_ladder(engine, generator):
    topic = _add(engine, "Cetoacidosis")
    item = engine.next_topic(T0)
    assert item.card.kind.value == "mcq"
    outcomes, now = _review_until(engine, topic, [Rating.EASY] * 4, T0)
    # EF 2.6, 2.7, 2.8, 2.9 and intervals 1, 6, 17, 48: promoted on the third Easy (EF 2.8 > 2.6,
    # interval 17 > 7); the second (EF 2.7, interval 6) is not enough.
    assert [o.level_after for o in outcomes] == [1, 1, 2, 2]
    assert engine.topic(topic.title).level == TopicLevel.OPEN
    mcq = next(c for c in engine.cards(topic) if c.kind.value == "mcq")
    assert mcq.retired
    open_card = next(c for c in engine.cards(topic) if c.kind.value == "open")
    # the open drill inherits the MCQ's schedule; level-2 successes count after the promotion
    assert engine.state(open_card.card_id) == outcomes[-1].state
    assert outcomes[-1].state.interval_days == 48
    assert engine.topic(topic.title).l2_streak == 1
    outcomes, _ = _review_until(engine, topic, [Rating.GOOD, Rating.GOOD], now)
    assert engine.topic(topic.title).level == TopicLevel.MASTERED
    assert [r.kind for r in generator.requests] == ["mcq", "open"]


def test_fail_creates_angle_that_blocks_promotion_until_passed(engine, generator):
    topic = _add(engine, "Apendicitis")
    engine.next_topic(T0)
    outcomes, now = _review_until(engine, topic, [Rating.FAIL], T0)
    angle_id = outcomes[0].angle_id
    assert angle_id is not None
    assert outcomes[0].level_after == 1
    request = generator.requests[-1]
    assert request.kind == "variant"
    assert request.perspective == "complicaciones"
    assert request.parent_id == engine.cards(topic)[0].uid
    # the variant comes before new topics
    _add(engine, "Otro")
    item = engine.next_topic(now)
    assert item.reason == "angle"
    assert item.angle_id == angle_id
    # enough Easy reviews to qualify (EF 1.96 after the Fail, +0.1 each), but the pending
    # angle blocks the promotion
    outcomes, now = _review_until(engine, topic, [Rating.EASY] * 7, now)
    assert outcomes[-1].state.ease > 2.6
    assert outcomes[-1].promotion_blocked
    assert "angle" in outcomes[-1].promotion_blocked
    assert engine.topic(topic.title).level == TopicLevel.MCQ
    failed = engine.update_progress(item, Rating.HARD, now)
    assert failed.angle_passed is False
    assert failed.recovered is False
    passed = engine.update_progress(item, Rating.GOOD, now)
    assert passed.angle_passed
    assert passed.recovered
    outcomes, _ = _review_until(engine, topic, [Rating.EASY], now)
    assert outcomes[-1].level_after == TopicLevel.OPEN


def test_second_fail_asks_another_perspective(engine, generator):
    topic = _add(engine, "Sepsis")
    engine.next_topic(T0)
    _review_until(engine, topic, [Rating.FAIL, Rating.FAIL], T0)
    perspectives = [r.perspective for r in generator.requests if r.kind == "variant"]
    assert perspectives == ["complicaciones", "diagnóstico diferencial"]


def test_rejected_variant_is_reported_not_stored(engine):
    topic = engine.add_topic("Rechazo", "REJECT. contexto", now=T0, date_assigned=T0.date())
    assert engine.next_topic(T0) is None  # no MCQ can be generated: the topic is skipped
    assert engine.rejections["Rechazo"] == ["context marked REJECT"]
    assert not engine.cards(topic)


def test_fsrs_engine_and_rule(tmp_path, generator):
    with StudyEngine(tmp_path / "f.db", scheduler="fsrs", generator=generator) as engine:
        topic = _add(engine, "Ictus")
        engine.next_topic(T0)
        outcomes, _ = _review_until(engine, topic, [Rating.EASY] * 3, T0)
        state = outcomes[-1].state
        assert state.scheduler == "fsrs"
        assert state.interval_days > 7
        assert state.data["difficulty"] <= 5
        assert outcomes[-1].level_after == TopicLevel.OPEN
    with StudyEngine(tmp_path / "f.db", scheduler="sm2") as engine:
        card = next(c for c in engine.cards() if not c.retired)
        with pytest.raises(StudyError, match="scheduled by 'fsrs'"):
            engine.update_progress(card, Rating.GOOD, T0 + dt.timedelta(days=99))


def test_configurable_rules(tmp_path, generator):
    rules = MasteryRules(min_ease=2.0, min_interval_days=0.5, mastered_after=1)
    with StudyEngine(tmp_path / "r.db", generator=generator, rules=rules) as engine:
        topic = _add(engine, "Rápido")
        engine.next_topic(T0)
        outcomes, _ = _review_until(engine, topic, [Rating.GOOD] * 3, T0)
        assert [o.level_after for o in outcomes] == [2, 3, 3]


def test_clear_errors(engine):
    _add(engine, "Tema")
    item = engine.next_topic(T0)
    with pytest.raises(UnknownTopicError, match="unknown topic 'Nope'"):
        engine.topic("Nope")
    with pytest.raises(UnknownTopicError, match="unknown card id 999"):
        engine.update_progress(999, Rating.GOOD, T0)
    for bad in (0, 5, "7", "regular", True):
        with pytest.raises(InvalidRatingError, match="out of range"):
            engine.update_progress(item, bad, T0)
    assert engine.review_log() == []
    with pytest.raises(StudyError, match="already exists"):
        _add(engine, "Tema")
    with pytest.raises(StudyError, match="timezone"):
        engine.next_topic(dt.datetime(2025, 1, 1))


def test_reviews_log_is_append_only(engine):
    _add(engine, "Tema")
    engine.update_progress(engine.next_topic(T0), Rating.GOOD, T0)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        engine.conn.execute("DELETE FROM reviews")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        engine.conn.execute("UPDATE reviews SET rating = 4")


def test_corrupted_and_foreign_databases(tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite at all" * 200)
    with pytest.raises(StudyDatabaseError, match=r"garbage\.db is corrupted or not a medcards"):
        connect(garbage)
    good = tmp_path / "good.db"
    connect(good).close()
    data = bytearray(good.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # smash the schema page
    good.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"good.db{suffix}").unlink(missing_ok=True)
    with pytest.raises(StudyDatabaseError, match=r"good\.db"):
        StudyEngine(good)
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE x (y)")
    conn.execute(f"PRAGMA user_version = {study_db.SCHEMA_VERSION}")
    conn.commit()
    conn.close()
    with pytest.raises(StudyDatabaseError, match="lacks table"):
        connect(foreign)


def test_newer_version_database(tmp_path):
    path = tmp_path / "new.db"
    connect(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {study_db.SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StudyDatabaseVersionError, match="upgrade medcards"):
        StudyEngine(path)


def test_failed_migration_leaves_previous_version(tmp_path):
    path = tmp_path / "m.db"
    connect(path).close()
    broken = [
        *study_db.MIGRATIONS,
        ["CREATE TABLE extra (a)", "ALTER TABLE extra ADD COLUMN b", "THIS IS NOT SQL"],
    ]
    with pytest.raises(StudyDatabaseError, match="nothing half-applied"):
        connect(path, migrations=broken)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == study_db.SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "extra" not in tables
    conn.close()
    good = [*study_db.MIGRATIONS, ["CREATE TABLE extra (a)"]]
    connect(path, migrations=good).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == study_db.SCHEMA_VERSION + 1
    conn.close()


def test_wal_mode(tmp_path):
    conn = connect(tmp_path / "w.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_csv_import(tmp_path, engine):
    good = tmp_path / "temas.csv"
    good.write_text(
        "title,context,modulo,priority,date_assigned\n"
        'Asma,"Broncoespasmo, sibilancias.",Neumología,2,2025-03-01\n'
        "EPOC,Obstrucción crónica.,Neumología,1,2025-03-02\n",
        encoding="utf-8",
    )
    topics = engine.import_topics_csv(good, now=T0)
    assert [t.title for t in topics] == ["Asma", "EPOC"]
    assert topics[0].context == "Broncoespasmo, sibilancias."
    assert topics[0].priority == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("title,priority\nUno,1\nDos,alta\n", encoding="utf-8")
    with pytest.raises(StudyError, match=r"bad\.csv:3: field 'priority'"):
        engine.import_topics_csv(bad, now=T0)
    assert "Uno" not in [t.title for t in engine.topics()]
    with pytest.raises(StudyError, match="already exist"):
        engine.import_topics_csv(good, now=T0)
    nohead = tmp_path / "nohead.csv"
    nohead.write_text("name\nx\n", encoding="utf-8")
    with pytest.raises(StudyError, match="'title' column"):
        engine.import_topics_csv(nohead)

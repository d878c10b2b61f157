"""Anki export (stable GUIDs, escaped fields, a note type per kind) and the JSON round trip."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import zipfile

import pytest

from medcards import BattleCard, Fact
from medcards.models import CardKind, CardRequest, Rating
from medcards.study import (
    StudyEngine,
    StudyError,
    export_apkg,
    export_document,
    export_json,
    import_json,
)

T0 = dt.datetime(2025, 3, 3, 8, tzinfo=dt.UTC)


def _notes(apkg, tmp_path):
    with zipfile.ZipFile(apkg) as archive:
        archive.extract("collection.anki2", tmp_path / "x")
    conn = sqlite3.connect(tmp_path / "x" / "collection.anki2")
    notes = conn.execute("SELECT guid, mid, flds, tags FROM notes").fetchall()
    models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
    conn.close()
    return notes, models


@pytest.fixture
def engine(tmp_path, generator):
    engine = StudyEngine(tmp_path / "t.db", generator=generator)
    topic = engine.add_topic(
        "Hiperkalemia",
        "K+ mayor de 5,5 <mEq/L> & ECG con T picudas. Calcio.",
        modulo="Nefro logía",
        now=T0,
        date_assigned=T0.date(),
    )
    for kind in (CardKind.MCQ, CardKind.OPEN):
        engine.add_card(
            topic,
            generator.generate(CardRequest(topic=topic.title, context=topic.context, kind=kind)),
        )
    fact = Fact(text="Gluconato de <calcio> & insulina", evidence="Calcio.")
    engine.add_card(topic, BattleCard(topic="Hiperkalemia", first_line_treatment=[fact]))
    engine.update_progress(engine.next_topic(T0), Rating.FAIL, T0)  # creates a variant
    yield engine
    engine.close()


def test_apkg_has_stable_guids_escaped_fields_and_a_model_per_kind(engine, tmp_path, generator):
    first = export_apkg(engine, tmp_path / "a.apkg")
    notes, models = _notes(first.path, tmp_path / "1")
    assert len(notes) == 4
    names = {m["name"] for m in models.values()}
    assert {"medcards mcq", "medcards open", "medcards variant", "medcards battlecard"} <= names
    assert len({mid for _, mid, _, _ in notes}) == 4
    fields = "\x1f".join(f for _, _, f, _ in notes)
    assert "&lt;mEq/L&gt; &amp; ECG" in fields
    assert "<mEq/L>" not in fields
    assert "Gluconato de &lt;calcio&gt; &amp; insulina" in fields
    assert all("Nefro_logía" in tags for *_, tags in notes)
    # re-export after adding a card: the old notes keep their GUIDs (Anki updates them)
    topic = engine.topic("Hiperkalemia")
    engine.add_card(
        topic,
        generator.generate(
            CardRequest(topic=topic.title, context="Otro hecho.", kind=CardKind.OPEN)
        ),
    )
    second = export_apkg(engine, tmp_path / "a.apkg")
    again, _ = _notes(second.path, tmp_path / "2")
    old = {g for g, *_ in notes}
    assert old < {g for g, *_ in again}
    assert len(again) == 5


def test_json_round_trip_keeps_everything(engine, tmp_path):
    path = export_json(engine, tmp_path / "t.json").path
    with StudyEngine(tmp_path / "copy.db") as copy:
        counts = import_json(copy, path)
        assert counts == {"topics": 1, "cards": 4, "angles": 1, "reviews": 1}
        original = export_document(engine).model_dump()
        assert export_document(copy).model_dump() == original
        # the imported queue behaves the same: the angle is pending, the review is due
        item = copy.next_topic(T0)
        assert item is not None
        assert item.reason == "angle"
        assert copy.state(1) == engine.state(1)
        notes_a, _ = _notes(export_apkg(engine, tmp_path / "a.apkg").path, tmp_path / "a")
        notes_b, _ = _notes(export_apkg(copy, tmp_path / "b.apkg").path, tmp_path / "b")
        assert sorted(g for g, *_ in notes_a) == sorted(g for g, *_ in notes_b)


def test_json_import_errors_name_the_field_and_import_nothing(tmp_path, engine):
    doc = json.loads(export_json(engine, tmp_path / "t.json").path.read_text(encoding="utf-8"))
    doc["reviews"][0]["rating"] = 9
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with StudyEngine(tmp_path / "c.db") as copy:
        with pytest.raises(
            StudyError, match=r"bad\.json: invalid medcards JSON at reviews\.0\.rating"
        ):
            import_json(copy, bad)
        doc["reviews"][0]["rating"] = 3
        doc["reviews"][0]["card"] = "nope"
        bad.write_text(json.dumps(doc), encoding="utf-8")
        with pytest.raises(StudyError, match="review card 'nope' is not defined"):
            import_json(copy, bad)
        assert copy.topics() == []

"""Topics keep where their text came from (schema version 3), so stored cards are located."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import medcards
from medcards import MCQDrill, SourceLocation
from medcards.models import CardKind, CardRequest
from medcards.study import (
    StudyEngine,
    StudyError,
    TopicSource,
    card_back,
    connect,
    export_document,
    import_document,
    location_caption,
    note_fields,
)
from medcards.study import db as study_db

NOW = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)
GUIDE = """# Guía de prueba

## Hiperpotasemia <grave>

El potasio por encima de 6,5 mmol/L es una urgencia vital.

### Tratamiento

El gluconato cálcico estabiliza la membrana del miocardio en 1-3 minutos.
La insulina con glucosa desplaza el potasio al interior de la célula.
"""


def _sections(tmp_path):
    guide = tmp_path / "guia.md"
    guide.write_text(GUIDE, encoding="utf-8")
    return guide, medcards.split_guide(guide, "nefro")


def _rows(conn: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    return conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()


def test_version_2_database_migrates_in_place_keeping_every_row(tmp_path, generator):
    path = tmp_path / "v2.db"
    conn = connect(path, migrations=study_db.MIGRATIONS[:2])
    conn.execute(
        "INSERT INTO topics (title, context, modulo, date_assigned, created_at, introduced_at,"
        " level) VALUES ('Asma', 'Broncoespasmo reversible.', 'Neumo', '2025-03-01', 0, 1, 1)"
    )
    conn.execute(
        "INSERT INTO topics (title, context, date_assigned, created_at)"
        " VALUES ('Ictus', 'Déficit focal súbito.', '2025-03-01', 0)"
    )
    card = generator.generate(
        CardRequest(topic="Asma", context="Broncoespasmo reversible.", kind="mcq")
    )
    conn.execute(
        "INSERT INTO cards (uid, topic_id, kind, body, created_at) VALUES ('u1', 1, 'mcq', ?, 0)",
        (card.model_dump_json(),),
    )
    conn.execute(
        "INSERT INTO reviews (card_id, topic_id, kind, rating, reviewed_at, first_review,"
        " level_before, level_after) VALUES (1, 1, 'mcq', 3, 1, 1, 1, 1)"
    )
    conn.execute("INSERT INTO settings VALUES ('web', '{\"scheduler\": \"sm2\"}', 0)")
    before = {t: _rows(conn, t) for t in ("topics", "cards", "reviews", "settings")}
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()

    with StudyEngine(path, generator=generator) as engine:
        conn = engine.conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == study_db.SCHEMA_VERSION == 3
        after = {t: _rows(conn, t) for t in before}
        # Every row kept as it was; the topics gained one column, NULL for all.
        assert after["topics"] == [(*row, None) for row in before["topics"]]
        assert {t: after[t] for t in ("cards", "reviews", "settings")} == {
            t: before[t] for t in ("cards", "reviews", "settings")
        }
        assert engine.guide_section("Asma") is None
        # Old topics keep working: a card generated now has no location, nothing is shown.
        open_id = engine.ensure_card("Ictus", CardKind.MCQ)
        assert open_id is not None
        stored = engine.card(open_id).card
        assert isinstance(stored, MCQDrill)
        assert stored.location is None
        assert "↳" not in card_back(stored)
        assert 'class="source"' not in note_fields(stored)[-1]
        assert (
            "location"
            not in engine.conn.execute(
                "SELECT body FROM cards WHERE card_id = ?", (open_id,)
            ).fetchone()[0]
        )
    connect(path).close()  # opening again migrates nothing


def test_imported_sections_keep_their_lines_and_cards_are_located(tmp_path, generator):
    guide, sections = _sections(tmp_path)
    topics_file = tmp_path / "temas.jsonl"
    medcards.save_topics(topics_file, sections)
    with StudyEngine(tmp_path / "t.db", generator=generator) as engine:
        (topic,) = engine.import_topics_jsonl(topics_file, now=NOW)
        section = engine.guide_section(topic)
        assert section is not None
        assert section.spans == sections[0].spans
        assert section.source == str(guide)
        card_id = engine.ensure_card(topic, CardKind.MCQ)
        assert card_id is not None
        card = engine.card(card_id).card
        assert isinstance(card, MCQDrill)
        assert card.location == SourceLocation(
            file=str(guide), line=5, section="Hiperpotasemia <grave>"
        )
        caption = location_caption(card.location)
        assert caption == "\n    ↳ guia.md, l. 5, Hiperpotasemia <grave>"
        assert card_back(card).endswith(f"«{card.evidence}»{caption}")
        # Anki: escaped, after the quote, in the same Evidence field.
        evidence = note_fields(card)[-1]
        assert evidence.endswith(
            '<br><small class="source">guia.md, l. 5, Hiperpotasemia &lt;grave&gt;</small>'
        )
        # A variant made after a Fail is located too.
        outcome = engine.update_progress(card_id, 1, NOW)
        assert outcome.angle_id is not None
        variant = engine.card(engine.angles()[0]["card_id"]).card
        assert all(p.location is not None and p.location.line == 5 for p in variant.key_points)


def test_add_card_locates_cards_without_locations_and_keeps_given_ones(tmp_path, generator):
    _, sections = _sections(tmp_path)
    with StudyEngine(tmp_path / "t.db") as engine:
        (topic,) = engine.import_sections(sections, now=NOW, source="guia.md")
        request = CardRequest(topic=topic.title, context=topic.context, kind="mcq")
        plain = generator.generate(request)
        stored = engine.add_card(topic, plain).card
        assert isinstance(stored, MCQDrill)
        assert stored.location is not None
        assert stored.location.line == 5
        given = plain.model_copy(update={"location": SourceLocation(file="otra.pdf", first_page=9)})
        kept = engine.add_card(topic, given).card
        assert isinstance(kept, MCQDrill)
        assert kept.location == SourceLocation(file="otra.pdf", first_page=9)
        # Typed-in topics have nothing to locate in.
        typed = engine.add_topic("Escrito", "Texto escrito a mano.", now=NOW)
        by_hand = generator.generate(
            CardRequest(topic="Escrito", context=typed.context, kind="mcq")
        )
        assert engine.add_card(typed, by_hand).card == by_hand


def test_json_export_and_import_keep_the_source_data(tmp_path, generator):
    _, sections = _sections(tmp_path)
    with StudyEngine(tmp_path / "a.db", generator=generator) as engine:
        engine.import_sections(sections, now=NOW)
        engine.add_topic("Escrito", "Texto escrito a mano.", now=NOW)
        document = export_document(engine)
        located_id = engine.ensure_card(sections[0].title, CardKind.MCQ)
        assert located_id is not None
        document = export_document(engine)
    text = document.model_dump_json()
    assert text.count('"source":') == 1  # the typed-in topic has none: left out of the document
    with StudyEngine(tmp_path / "b.db", generator=generator) as copy:
        import_document(copy, type(document).model_validate_json(text))
        section = copy.guide_section(sections[0].title)
        assert section is not None
        assert section.spans == sections[0].spans
        assert copy.guide_section("Escrito") is None
        (card,) = copy.cards(sections[0].title)
        assert isinstance(card.card, MCQDrill)
        assert card.card.location is not None


def test_bad_source_data_is_named(tmp_path):
    _, sections = _sections(tmp_path)
    with StudyEngine(tmp_path / "t.db") as engine:
        (topic,) = engine.import_sections(sections, now=NOW)
        engine.conn.execute("UPDATE topics SET source_json = '{\"spans\": 3}'")
        with pytest.raises(
            StudyError, match=rf"topic {topic.topic_id}: invalid source data.*spans"
        ):
            engine.guide_section(topic)
        with pytest.raises(StudyError, match=r"topic 'Hiperpotasemia <grave>': invalid source"):
            export_document(engine)


spans = st.lists(
    st.tuples(
        st.integers(0, 200),
        st.integers(0, 50),
        st.integers(0, 9),
        st.none() | st.integers(1, 500),
        st.none() | st.integers(1, 5000),
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(
    raw=spans,
    markers=st.lists(st.tuples(st.integers(0, 300), st.integers(1, 99)), max_size=4),
    references=st.dictionaries(st.integers(1, 99).map(str), st.text(min_size=1, max_size=20)),
    file=st.none() | st.text(min_size=1, max_size=30),
)
def test_source_data_round_trips_through_the_database(raw, markers, references, file):
    section = medcards.GuideSection(
        title="Tema",
        context="Un contexto cualquiera.",
        modulo="m",
        source=file,
        spans=tuple(
            medcards.SourceSpan(start=a, end=a + n, paragraph=p, page=page, line=line)
            for a, n, p, page, line in raw
        ),
        citations=tuple(medcards.Citation(offset=o, marker=f"[{m}]") for o, m in markers),
        references=references,
    )
    with StudyEngine(":memory:") as engine:
        (topic,) = engine.import_sections([section], now=NOW)
        back = engine.guide_section(topic)
        expected = TopicSource.of_section(section)
        if expected is None:
            assert back is None
        else:
            assert back is not None
            assert (back.source, back.spans, back.citations) == (
                section.source,
                section.spans,
                section.citations,
            )
            assert back.references == section.references

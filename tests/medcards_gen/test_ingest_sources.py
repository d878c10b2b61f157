"""Source spans of ingested guides, document readers by suffix, and evidence locations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import medcards
import medcards.plugins

GUIDES = Path(__file__).parents[2] / "examples" / "guides"
GUIDE = GUIDES / "cetoacidosis_diabetica.md"


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=50, max_value=1500))
def test_every_span_is_text_of_the_line_it_names(budget):
    """Whatever the cut, every span of a Markdown guide is written on the line it names."""
    for guide in sorted(GUIDES.glob("*.md"))[:4]:
        lines = guide.read_text(encoding="utf-8").splitlines()
        for section in medcards.split_guide(guide, "m", max_context_tokens=budget):
            assert section.spans
            covered = 0
            for span in section.spans:
                text = section.context[span.start : span.end]
                assert span.line is not None
                assert span.page is None
                assert text.strip() == text
                assert text in lines[span.line - 1], (guide.name, span.line, text)
                covered += len(text)
            assert covered >= len("".join(section.context.split())) * 0.9


# Words with accents, decimal commas, typographic quotes and dashes, micro and >= signs.
WORDS = st.sampled_from(
    [
        "La", "insulina", "regular", "se", "inicia", "a", "0,1", "U/kg/h", "tras", "la",
        "reposición;", "pH", "<", "7,30", "\u00abgrave\u00bb", "\u2013rápido\u2013", "\u2265",
        "250", "mg/dL", "niño", "\u00b5g", "ÁCIDO", "Ñandú",
    ]
)  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(
    st.lists(WORDS, min_size=4, max_size=40),
    st.data(),
    st.sampled_from([" ", "\n", "\n\n", "  \t"]),
)
def test_find_quote_maps_back_across_line_and_page_breaks(words, data, joiner):
    """A quote re-wrapped with other whitespace is found where it stands in the context."""
    context = " ".join(words)
    a = data.draw(st.integers(min_value=0, max_value=len(words) - 2))
    b = data.draw(st.integers(min_value=a + 2, max_value=len(words)))
    quote = joiner.join(words[a:b])
    if len(medcards.normalize(quote).strip(" .;:,")) <= 3:
        return
    found = medcards.find_quote(quote, context)
    assert found is not None
    start, end = found
    assert medcards.normalize(context[start:end]) == medcards.normalize(quote).strip(" .;:,")


def test_locations_of_extractive_cards_from_a_markdown_guide():
    lines = GUIDE.read_text(encoding="utf-8").splitlines()
    (section,) = medcards.split_guide(GUIDE, "endo")
    generator = medcards.get_card_generator("extractive")
    card = generator.generate(
        medcards.CardRequest(topic=section.title, context=section.context, kind="battlecard")
    )
    located = medcards.locate_card(card, section)
    assert isinstance(located, medcards.BattleCard)
    for fact in located.facts():
        assert fact.location is not None
        assert fact.location.file == str(GUIDE)
        assert fact.location.line is not None
        assert fact.evidence[:30] in lines[fact.location.line - 1]
        heading = next(
            line for line in reversed(lines[: fact.location.line]) if line.startswith("#")
        )
        assert heading.lstrip("# ") == fact.location.section
    mcq = generator.generate(
        medcards.CardRequest(topic=section.title, context=section.context, kind="mcq", seed=3)
    )
    location = medcards.locate_card(mcq, section).location
    assert location is not None
    assert mcq.evidence[:30] in lines[location.line - 1]
    assert location.describe().startswith(f"cetoacidosis_diabetica.md, l. {location.line}, ")


def test_a_quote_not_in_the_context_gets_the_file_only():
    (section,) = medcards.split_guide(GUIDE, "endo")
    assert medcards.locate_quote("La apendicitis se opera por laparoscopia.", section) is None
    fact = medcards.Fact(text="x", evidence="La apendicitis se opera por laparoscopia.")
    card = medcards.OpenDrill(topic="t", challenge="c", key_points=[fact])
    located = medcards.locate_card(card, section)
    assert located.key_points[0].location == medcards.SourceLocation(file=str(GUIDE))


def test_a_close_quote_is_located_like_grounding_accepts_it():
    (section,) = medcards.split_guide(GUIDE, "endo")
    quote = "Tras la reposicion inicial de fluidos se inicia insulina regular IV en perfusion"
    assert medcards.quote_support(quote, section.context) >= 0.8
    location = medcards.locate_quote(quote, section)
    assert location is not None
    assert location.line == 19


def test_cards_without_a_location_are_unchanged():
    """The location is optional: old cards load, dumps, ids and schemas stay as they were."""
    old = {
        "kind": "open",
        "topic": "CAD",
        "challenge": "Describe el tratamiento.",
        "key_points": [
            {"text": "Insulina 0,1 U/kg/h", "evidence": "insulina regular intravenosa en perfusión"}
        ],
    }
    card = medcards.parse_card(old)
    assert card.model_dump(mode="json") == old
    assert json.loads(medcards.render_target(card)) == old
    for kind in ("battlecard", "mcq", "open", "variant"):
        assert "location" not in json.dumps(medcards.card_json_schema(kind))
    (section,) = medcards.split_guide(GUIDE, "endo")
    located = medcards.locate_card(card, section)
    dumped = located.model_dump(mode="json")
    assert dumped["key_points"][0]["location"]["line"] == 19
    assert medcards.parse_card(dumped) == located  # a located card round-trips
    # Fine-tuning targets are written from the card without its locations.
    assert medcards.without_locations(located) == card
    assert medcards.render_target(medcards.without_locations(located)) == medcards.render_target(
        card
    )


def test_sections_with_spans_round_trip_through_the_topics_file(tmp_path):
    sections = medcards.split_guide(GUIDE, "endo", max_context_tokens=100)
    path = tmp_path / "t.jsonl"
    medcards.save_topics(path, sections)
    assert medcards.load_topics(path) == sections
    old = tmp_path / "old.jsonl"
    old.write_text('{"title": "T", "context": "Texto.", "modulo": "m"}\n', encoding="utf-8")
    (loaded,) = medcards.load_topics(old)
    assert loaded.spans == ()
    assert loaded.pages is None
    assert medcards.locate_quote("Texto.", loaded) == medcards.SourceLocation(section="T")


class _CsvReader(medcards.DocumentReader):
    name: ClassVar[str] = "test-csv"
    suffixes: ClassVar[tuple[str, ...]] = (".csv",)

    def read(self, path: Path) -> medcards.GuideDocument:
        rows = path.read_text(encoding="utf-8").splitlines()
        text = "# Tabla\n\n" + "\n".join(f"- {row}" for row in rows) + "\n"
        return medcards.GuideDocument(
            text=text, format="csv", page_starts=((0, 1), (text.index("- b"), 2)), page_count=2
        )


class _ReaderPlugin:
    @medcards.hookimpl
    def medcards_register_readers(self, register):
        register(_CsvReader)


@pytest.fixture
def csv_reader():
    name = medcards.plugins.host.register(_ReaderPlugin(), name="test-readers")
    yield
    medcards.plugins.host.unregister(name)


def test_medcards_register_readers_adds_a_reader_by_suffix(tmp_path, csv_reader):
    assert "test-csv" in medcards.reader_names()
    path = tmp_path / "dosis.CSV"
    path.write_text("a 1 mg\nb 2 mg\n", encoding="utf-8")
    assert isinstance(medcards.reader_for(path), _CsvReader)
    (section,) = medcards.split_guide(path, "m")
    assert section.context == "- a 1 mg\n- b 2 mg"
    assert [s.page for s in section.spans] == [1, 2]
    assert section.pages == (1, 2)
    location = medcards.locate_quote("b 2 mg", section)
    assert location == medcards.SourceLocation(
        file=str(path), first_page=2, last_page=2, section="Tabla"
    )
    assert location.describe() == "dosis.CSV, p. 2, Tabla"


def test_unknown_formats_missing_files_and_the_size_limit(tmp_path):
    with pytest.raises(medcards.IngestError, match=r"unsupported guide format '\.odt'"):
        medcards.read_guide(tmp_path / "g.odt")
    with pytest.raises(medcards.IngestError, match="no such guide file"):
        medcards.read_guide(tmp_path / "g.md")
    big = tmp_path / "grande.md"
    big.write_text("# T\n\n" + "Texto. " * 400, encoding="utf-8")
    with pytest.raises(medcards.IngestError, match=r"grande.md: 0\.0 MB is over the guide size"):
        medcards.split_guide(big, "m", max_mb=0.001)
    assert medcards.split_guide(big, "m", max_mb=None)

"""The PDF reader on sample guides printed like published ones (two columns, hyphenation,
running headers and footers, a table, an outline or none)."""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from medcards_documents import PdfReader
from medcards_documents.samples import GUIDE_TABLES, write_sample_pdf

import medcards

GUIDES_DIR = Path(__file__).parents[3] / "examples" / "guides"
TABLE_GUIDES = [GUIDES_DIR / f"{stem}.md" for stem in sorted(GUIDE_TABLES)]
ALL_GUIDES = sorted(GUIDES_DIR.glob("*.md"))


def _headings(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("#")]


def test_the_pdf_reader_is_registered_by_suffix():
    assert "pdf" in medcards.reader_names()
    assert isinstance(medcards.reader_for(Path("guia.PDF")), PdfReader)
    assert {"html", "docx"} <= set(medcards.reader_names())


@pytest.mark.parametrize("layout", ["two-columns", "no-outline", "one-column"])
def test_headings_and_text_come_back_in_order(printed, reading, layout):
    """Headings (outline, or font sizes without one) equal the guide's; every paragraph and list
    item comes back whole and in order: columns read left then right, hyphenation undone."""
    for guide in ALL_GUIDES:
        pdf = printed(guide, layout)
        if layout == "no-outline":
            assert pypdf.PdfReader(pdf).outline == []
        document = medcards.read_guide(pdf)
        assert _headings(document.text) == _headings(guide.read_text(encoding="utf-8")), guide
        text = re.sub(r"\s+", " ", document.text)
        cursor = 0
        for unit in reading.guide_units(guide):
            at = text.find(unit, cursor)
            assert at >= 0, f"{pdf.name}: not found in order: {unit!r}"
            cursor = at + len(unit)


def test_running_headers_footers_and_page_numbers_are_dropped(printed, reading):
    for guide in TABLE_GUIDES:
        pdf = printed(guide)
        pages = reading.page_texts(pdf)
        assert len(pages) >= 2
        assert all(f"Página {n} de {len(pages)}" in page for n, page in enumerate(pages, 1))
        assert all("Guía de ejemplo medcards" in page for page in pages)
        text = medcards.read_guide(pdf).text
        assert "Página" not in text
        assert "Guía de ejemplo medcards" not in text


def test_words_hyphenated_at_line_ends_are_joined(printed, reading):
    broken = 0
    for guide in TABLE_GUIDES:
        pdf = printed(guide)
        text = medcards.read_guide(pdf).text
        for page in reading.page_texts(pdf):
            for left, right in re.findall(r"([a-záéíóúñ]+)-\n([a-záéíóúñ]+)", page):
                broken += 1
                assert f"{left}{right}" in text, f"{pdf.name}: {left}-{right} not joined"
        assert "tónico-clónica" not in guide.read_text() or "tónico-clónica" in text
    assert broken >= 10  # the samples do break words across lines


def test_tables_become_markdown_tables(printed):
    for guide in TABLE_GUIDES:
        table = GUIDE_TABLES[guide.stem]
        for layout in ("two-columns", "no-outline", "one-column"):
            lines = medcards.read_guide(printed(guide, layout)).text.splitlines()
            at = lines.index("| " + " | ".join(table.header) + " |")
            assert lines[at + 1] == "|" + " --- |" * len(table.header)
            body = lines[at + 2 : at + 2 + len(table.rows)]
            assert body == ["| " + " | ".join(row) + " |" for row in table.rows]


@pytest.mark.parametrize("layout", ["two-columns", "one-column"])
def test_every_paragraph_knows_its_pages(printed, reading, layout):
    """Every span of every topic is printed on the page it names, checked against each page's
    own text; each paragraph's page range is that of its spans, and some paragraphs do run
    across a page break."""
    across = 0
    for guide in TABLE_GUIDES + ALL_GUIDES[:6]:
        pdf = printed(guide, layout)
        pages = [reading.squash(t) for t in reading.page_texts(pdf)]
        for topic in medcards.split_guide(pdf, "m"):
            assert topic.pages is not None
            for span in topic.spans:
                printed_text = reading.squash(
                    re.sub(r"^#+\s*", "", topic.context[span.start : span.end])
                )
                assert span.page is not None
                assert printed_text in pages[span.page - 1], (pdf.name, span.page, printed_text)
            for n, (_, first, last) in enumerate(topic.paragraph_pages()):
                spans = [s.page for s in topic.spans if s.paragraph == n]
                assert (first, last) == (min(spans), max(spans))
                across += first != last
    assert across >= 1


def test_a_paragraph_across_a_page_break_has_a_span_per_page(printed):
    pdf = printed(GUIDES_DIR / "fibrilacion_auricular.md")
    topics = medcards.split_guide(pdf, "m")
    crossing = [(t, p) for t in topics for p in t.paragraph_pages() if p[1] != p[2]]
    assert crossing
    topic, (text, first, last) = crossing[0]
    spans = [s for s in topic.spans if topic.context[s.start : s.end] in text]
    assert [s.page for s in spans] == list(range(first, last + 1))


def test_reading_is_registered_cheaply():
    """Registering the plugin imports none of the PDF libraries."""
    import subprocess
    import sys

    code = (
        "import sys, medcards; medcards.load_plugins(); medcards.reader_names(); "
        "print(sorted(m for m in ('pdfplumber', 'pypdf', 'mammoth', 'markdownify') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


_WORDS = [
    "la", "insulina", "regular", "intravenosa", "se", "administra", "tras", "reposición",
    "inicial", "de", "fluidos", "con", "suero", "salino", "cuando", "glucemia", "desciende",
    "menor", "mayor", "250", "mg/dL", "0,1", "U/kg/h", "pH", "7,30", "hipopotasemia",
    "arritmias", "bicarbonato", "perfusión", "subcutánea", "cetoacidosis", "diabética",
    "benzodiacepinas", "levetiracetam", "fenitoína", "hipotensión", "anticoagulación",
    "ecocardiograma",
]  # fmt: skip
_sentence = st.lists(st.sampled_from(_WORDS), min_size=3, max_size=18).map(
    lambda words: " ".join(words).capitalize() + "."
)
_paragraph = st.lists(_sentence, min_size=1, max_size=5).map(" ".join)
_item = _sentence.map(lambda s: "- " + s)
_subsection = st.tuples(
    st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4).map(
        lambda w: "### " + " ".join(w).capitalize()
    ),
    st.lists(
        st.one_of(_paragraph, st.lists(_item, min_size=1, max_size=4).map("\n".join)),
        min_size=1,
        max_size=3,
    ),
)


@pytest.mark.slow
# Each example prints and reads a PDF (about 0.1 s): few examples, and no shrinking, which
# would take minutes; a failure is reported with the guide that failed.
@settings(
    max_examples=20,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(_subsection, min_size=1, max_size=5), st.sampled_from([1, 2]), st.booleans())
def test_any_printed_guide_reads_back_whole_and_in_order(
    tmp_path_factory, subsections, columns, outline
):
    """Property: whatever the guide, printed in one or two columns with or without an outline,
    its headings come back and every paragraph and list item is read whole and in order."""
    folder = tmp_path_factory.mktemp("property")
    lines = ["# Guía de prueba", "", "## Tema de prueba", ""]
    for heading, blocks in subsections:
        lines += [heading, ""]
        for block in blocks:
            lines += [block, ""]
    guide = folder / "guia_de_prueba.md"
    guide.write_text("\n".join(lines), encoding="utf-8")
    pdf = write_sample_pdf(guide, folder / "guia.pdf", columns=columns, outline=outline)
    document = medcards.read_guide(pdf)
    assert _headings(document.text) == _headings(guide.read_text(encoding="utf-8"))
    text = re.sub(r"\s+", " ", document.text)
    cursor = 0
    for block in (b for _, blocks in subsections for b in blocks):
        for unit in block.split("\n"):
            unit = unit.removeprefix("- ")
            at = text.find(unit, cursor)
            assert at >= 0, f"not found in order: {unit!r}"
            cursor = at + len(unit)

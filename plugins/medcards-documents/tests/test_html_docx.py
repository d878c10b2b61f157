"""HTML pages and Word documents ingest like the Markdown guide they were written from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from medcards_documents import DocxReader, HtmlReader
from medcards_documents.html import html_to_markdown
from medcards_documents.samples import GUIDE_TABLES

import medcards

GUIDES_DIR = Path(__file__).parents[3] / "examples" / "guides"
TABLE_GUIDES = [GUIDES_DIR / f"{stem}.md" for stem in sorted(GUIDE_TABLES)]


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_topics_text_and_table_match_the_markdown_guide(printed, reading, fmt):
    for guide in TABLE_GUIDES:
        path = printed(guide, fmt=fmt)
        assert isinstance(medcards.reader_for(path), HtmlReader if fmt == "html" else DocxReader)
        topics = medcards.split_guide(path, "m")
        expected = medcards.split_guide(guide, "m")
        assert [t.title for t in topics] == [t.title for t in expected]
        text = re.sub(r"\s+", " ", "\n".join(t.context for t in topics))
        cursor = 0
        for unit in reading.guide_units(guide):
            at = text.find(unit, cursor)
            assert at >= 0, f"{path.name}: not found in order: {unit!r}"
            cursor = at + len(unit)
        table = GUIDE_TABLES[guide.stem]
        lines = "\n".join(t.context for t in topics).splitlines()
        assert "| " + " | ".join(table.header) + " |" in lines
        assert all("| " + " | ".join(row) + " |" in lines for row in table.rows)
        # Navigation, footer, scripts and the note stay out; there are no pages.
        for stray in ("Inicio", "Servicio de Urgencias", "analytics", "Extracto de guía"):
            assert stray not in text
        assert all(s.page is None and s.line is None for t in topics for s in t.spans)


def test_a_page_without_h1_takes_its_title_and_an_empty_page_is_refused():
    markdown = html_to_markdown(
        "<html><head><title>Sepsis</title></head><body><h2>Shock</h2><p>Uno.</p></body></html>"
    )
    assert markdown.startswith("# Sepsis\n\n## Shock")
    with pytest.raises(medcards.IngestError, match=r"vacia.html: the page has no text"):
        html_to_markdown("<html><body><nav>menu</nav></body></html>", source="vacia.html")


def test_a_file_that_is_not_a_word_document_is_named(tmp_path):
    fake = tmp_path / "falsa.docx"
    fake.write_text("no soy un docx", encoding="utf-8")
    with pytest.raises(medcards.IngestError, match=r"falsa.docx: not a readable Word document"):
        medcards.read_guide(fake)

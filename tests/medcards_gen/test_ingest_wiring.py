"""Where a card's evidence is printed, carried from ingest to everything the student sees.

A sample guide printed as a PDF (by ``medcards_documents.samples``, at test time) goes through
``medcards ingest`` → ``medcards topics import`` → the study engine's generated cards → the
terminal view, the web page and the Anki note; the page shown must be the page where pypdf,
independently of the reader, finds the quote. ``medcards generate`` on a Markdown guide shows
the line of each quote.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pypdf
import pytest
from fastapi.testclient import TestClient
from medcards_documents.samples import write_sample_pdf
from medcards_web import create_app
from typer.testing import CliRunner

import medcards
from medcards.cli import app
from medcards.study import StudyEngine, card_back, note_fields
from medcards.study.cli_support import back_text

GUIDES = Path(__file__).parents[2] / "examples" / "guides"
runner = CliRunner()


def _squash(text: str) -> str:
    """Text compared with pypdf's: normalised, without whitespace, hyphens or table pipes."""
    return re.sub(r"[\s\-|\u00ad\u2022]", "", medcards.normalize(text))


def _printed_on(quote: str, pages: list[str], location: medcards.SourceLocation) -> bool:
    """Whether pypdf finds ``quote`` on the page(s) ``location`` names."""
    first, last = location.first_page, location.last_page
    assert first is not None
    assert last is not None
    squashed = _squash(quote)
    if first == last:
        return squashed in pages[first - 1]
    return last == first + 1 and any(
        squashed[:k] in pages[first - 1] and squashed[k:] in pages[last - 1]
        for k in range(1, len(squashed))
    )


def _quotes(card: medcards.Card) -> list[tuple[str, medcards.SourceLocation | None]]:
    if isinstance(card, medcards.MCQDrill):
        return [(card.evidence, card.location)]
    facts = card.facts() if isinstance(card, medcards.BattleCard) else card.key_points
    return [(f.evidence, f.location) for f in facts]


@pytest.mark.e2e
def test_pdf_guide_page_reaches_terminal_web_and_anki(tmp_path):
    guides = tmp_path / "guias"
    guides.mkdir()
    pdf = write_sample_pdf(GUIDES / "cetoacidosis_diabetica.md", guides / "cad.pdf")
    pages = [_squash(page.extract_text()) for page in pypdf.PdfReader(pdf).pages]
    assert len(pages) >= 2
    topics_file, db = tmp_path / "temas.jsonl", tmp_path / "temario.db"
    result = runner.invoke(app, ["ingest", str(pdf), "-m", "endocrino", "-o", str(topics_file)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["topics", "import", str(topics_file), "--db", str(db)])
    assert result.exit_code == 0, result.output

    checked: list[tuple[int, medcards.Card]] = []
    with StudyEngine(db, generator=medcards.get_card_generator("extractive")) as engine:
        for topic in engine.topics():
            section = engine.guide_section(topic)
            assert section is not None
            assert section.pages is not None
            for kind in (medcards.CardKind.MCQ, medcards.CardKind.OPEN):
                card_id = engine.ensure_card(topic, kind)
                if card_id is None:
                    continue  # nothing of this kind in the topic (the guide's note)
                card = engine.card(card_id).card
                for quote, location in _quotes(card):
                    assert location is not None, quote
                    assert location.file == str(pdf)
                    assert location.section
                    assert _printed_on(quote, pages, location), (location.describe(), quote)
                checked.append((card_id, card))
        item = engine.next_topic()  # the queue shows a stored, located card
    assert item is not None
    assert all(location is not None for _, location in _quotes(item.card.card))
    assert len(checked) >= 2
    assert {type(card) for _, card in checked} == {medcards.MCQDrill, medcards.OpenDrill}

    client = TestClient(create_app(db, guides=guides), base_url=LOCAL)
    for card_id, card in checked:
        for quote, location in _quotes(card):
            assert location is not None
            described = location.describe()
            pages_shown = (
                f"p. {location.first_page}"
                if location.last_page == location.first_page
                else f"pp. {location.first_page}-{location.last_page}"
            )
            assert described.startswith(f"cad.pdf, {pages_shown}, ")
            # Terminal: the caption line under the quote.
            back = card_back(card)
            under = re.escape(f"«{quote}»") + r"\)?\n    ↳ " + re.escape(described)
            assert re.search(under, back), back
            assert f"↳ {described}" in back_text(card).plain
            # Anki: appended to the evidence on the back, the note type unchanged.
            fields = note_fields(card)
            assert any(html.escape(described, quote=True) in f for f in fields)
            # Web: the caption, linked to the page of the served PDF.
            shown = _evidence_html(client, card_id, card)
            link = f'href="/guides/cad.pdf#page={location.first_page}"'
            assert link in shown
            assert f">{html.escape(described, quote=True)}</a>" in shown
        assert len(fields) == {"mcq": 7, "open": 3}[card.kind]
    served = client.get("/guides/cad.pdf")
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/pdf"
    assert served.content == pdf.read_bytes()
    # Without --guides the location is shown as text, with no link.
    plain = _evidence_html(TestClient(create_app(db), base_url=LOCAL), *checked[0])
    assert "cad.pdf, p" in plain
    assert "/guides/" not in plain


#: The web app answers only to local host names when it runs without a token.
LOCAL = "http://127.0.0.1:8000"


def _evidence_html(client: TestClient, card_id: int, card: object) -> str:
    """The HTML in which the web app shows ``card``'s evidence: an MCQ's comes with the answer."""
    page = client.get(f"/study?card={card_id}")
    assert page.status_code == 200
    if not isinstance(card, medcards.MCQDrill):
        return page.text
    csrf = client.cookies["medcards_csrf"]
    answer = client.post("/study/answer", data={"csrf": csrf, "card_id": card_id, "chosen": 0})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["html"])


def _line_of(quote: str, guide: Path) -> list[int]:
    """The lines of ``guide`` a (single-line) quote's start could be on."""
    head = medcards.normalize(quote)[:25]
    lines = guide.read_text(encoding="utf-8").splitlines()
    return [n for n, line in enumerate(lines, start=1) if head in medcards.normalize(line)]


def test_generate_prints_and_writes_each_quotes_location(tmp_path):
    guide = GUIDES / "estatus_epileptico.md"
    topics = tmp_path / "t.jsonl"
    result = runner.invoke(app, ["ingest", str(guide), "-m", "neuro", "-o", str(topics)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "cards.jsonl"
    args = ["generate", "all", "--topics", str(topics), "--kind", "mcq", "--count", "2"]
    result = runner.invoke(app, [*args, "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    cards = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(cards) == 2
    for card in cards:
        location = medcards.SourceLocation.model_validate(card["location"])
        assert location.file == str(guide)
        assert location.line in _line_of(card["evidence"], guide)
        assert location.first_page is None
    text = runner.invoke(app, [*args[:-2], "--count", "1"], terminal_width=200)
    assert text.exit_code == 0, text.output
    first = medcards.parse_card(cards[0])
    assert isinstance(first, medcards.MCQDrill)
    assert first.location is not None
    caption = f"↳ {first.location.describe()}"
    assert caption.startswith("↳ estatus_epileptico.md, l. ")
    # Under the quote (the terminal may wrap a long quote over several lines).
    shown = " ".join(line.strip() for line in text.output.splitlines())
    assert f"Fuente: «{first.evidence}» {caption}" in shown


def test_generate_for_topics_without_source_data_is_unchanged(tmp_path):
    topics = tmp_path / "t.jsonl"
    section = medcards.GuideSection(
        title="Hiperpotasemia",
        context="El gluconato cálcico estabiliza la membrana del miocardio en 1-3 minutos.",
        modulo="nefro",
    )
    medcards.save_topics(topics, [section])
    result = runner.invoke(app, ["generate", "1", "--topics", str(topics), "--json"])
    assert result.exit_code == 0, result.output
    card = json.loads(result.output.splitlines()[0])
    assert card["kind"] == "battlecard"
    assert "location" not in json.dumps(card)  # nothing to locate in: the card as before
    text = runner.invoke(app, ["generate", "1", "--topics", str(topics)], terminal_width=200)
    assert text.exit_code == 0, text.output
    assert "«El gluconato cálcico" in text.output
    assert "↳" not in text.output

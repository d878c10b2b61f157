"""Where each evidence quote is printed: a caption under it, linked to the PDF page if served."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from medcards_web import create_app
from medcards_web.app import guide_link
from medcards_web.plugin import serve

import medcards
from medcards import MCQDrill, SourceLocation
from medcards.study import StudyEngine

from .conftest import GUIDE, LOCAL, Student

EVIL = "Tabla <script>window.__pwned = 3</script>"


def _mcq(topic: str, location: SourceLocation) -> MCQDrill:
    return MCQDrill(
        topic=topic,
        vignette="Paciente con potasio de 7 mEq/L.",
        question="¿Qué se administra primero?",
        options=["Gluconato cálcico", "Furosemida", "Resinas", "Diálisis"],
        answer_index=0,
        explanation="Estabiliza la membrana.",
        evidence="El gluconato cálcico al 10 % se administra en 10 mL intravenosos.",
        location=location,
    )


def _card_page(db: Path, location: SourceLocation, guides: Path | None) -> str:
    with StudyEngine(db) as engine:
        topic = engine.add_topic("Hiperpotasemia", "El gluconato cálcico al 10 %.")
        card_id = engine.add_card(topic, _mcq(topic.title, location)).card_id
    with TestClient(create_app(db, guides=guides), base_url=LOCAL) as client:
        student = Student(client)
        page = student.get(f"/study?card={card_id}")
        assert page.status_code == 200
        assert '<p class="source">' not in page.text  # the evidence comes with the answer
        response = student.post("/study/answer", {"card_id": card_id, "chosen": 1})
    assert response.status_code == 200
    return str(response.json()["html"])


def test_uploaded_guide_cards_show_the_file_line_and_section_escaped(student: Student) -> None:
    student.import_guide()
    card_id, _ = student.shown_card()
    assert "<script>window.__pwned" not in student.get("/study").text
    # The caption comes with the answer, once the student has chosen.
    page = student.post("/study/answer", {"card_id": card_id, "chosen": 0}).json()["html"]
    caption = re.search(r'<p class="source">([^<]*)</p>', page)
    assert caption is not None, page
    shown = html.unescape(caption.group(1))
    # The uploaded file's name (not the temporary copy's path), the line of the quote, and the
    # section title escaped like all card text.
    assert re.fullmatch(r"guia_prueba\.md, l\. \d+, Hiperpotasemia <script>.*</script>", shown)
    line = int(re.search(r"l\. (\d+)", shown).group(1))  # type: ignore[union-attr]
    evidence = re.search(r'<blockquote class="evidence">([^<]*)</blockquote>', page)
    assert evidence is not None
    quoted = html.unescape(evidence.group(1))
    assert quoted[:30] in GUIDE.read_text(encoding="utf-8").splitlines()[line - 1]
    assert "<script>window.__pwned" not in page
    assert "/guides/" not in page


def test_served_pdf_page_is_linked_others_are_text(db: Path, tmp_path: Path) -> None:
    guides = tmp_path / "guias"
    guides.mkdir()
    (guides / "cad.pdf").write_bytes(b"%PDF-1.4\n% a guide\n")
    location = SourceLocation(file="/elsewhere/cad.pdf", first_page=3, last_page=4, section=EVIL)
    page = _card_page(db, location, guides)
    described = html.escape(location.describe(), quote=True)
    assert '<a href="/guides/cad.pdf#page=3" target="_blank"' in page
    assert f">{described}</a>" in page
    assert "cad.pdf, pp. 3-4, Tabla &lt;script&gt;" in page
    assert "<script>window.__pwned = 3" not in page


def test_without_guides_folder_the_location_is_text_only(db: Path) -> None:
    location = SourceLocation(file="cad.pdf", first_page=3, last_page=3, section="Tratamiento")
    page = _card_page(db, location, None)
    assert '<p class="source">cad.pdf, p. 3, Tratamiento</p>' in page
    assert 'href="/guides/' not in page


def test_guide_link_only_for_pdfs_in_the_served_folder(tmp_path: Path) -> None:
    guides = tmp_path / "guias"
    guides.mkdir()
    (guides / "cad.pdf").write_bytes(b"%PDF-1.4\n")
    (guides / "notas.md").write_text("# notas\n", encoding="utf-8")
    on_page = SourceLocation(file="cad.pdf", first_page=2, last_page=2)
    assert guide_link(guides, on_page) == "/guides/cad.pdf#page=2"
    assert guide_link(guides, SourceLocation(file="x/cad.pdf")) == "/guides/cad.pdf"
    assert guide_link(None, on_page) is None
    assert guide_link(guides, None) is None
    assert guide_link(guides, SourceLocation(file="otra.pdf", first_page=1)) is None
    assert guide_link(guides, SourceLocation(file="notas.md", line=1)) is None
    assert guide_link(guides, SourceLocation(section="Tratamiento")) is None


def test_only_pdfs_directly_in_the_folder_are_served(db: Path, tmp_path: Path) -> None:
    guides = tmp_path / "guias"
    guides.mkdir()
    (guides / "cad.pdf").write_bytes(b"%PDF-1.4\n% cad\n")
    (guides / ".oculto.pdf").write_bytes(b"%PDF-1.4\n")
    (guides / "notas.md").write_text("# notas\n", encoding="utf-8")
    (tmp_path / "fuera.pdf").write_bytes(b"%PDF-1.4\n% secret\n")
    with TestClient(create_app(db, guides=guides), base_url=LOCAL) as client:
        served = client.get("/guides/cad.pdf")
        assert served.status_code == 200
        assert served.content == b"%PDF-1.4\n% cad\n"
        assert served.headers["content-type"] == "application/pdf"
        assert served.headers["content-disposition"].startswith("inline")
        for refused in ("notas.md", ".oculto.pdf", "..%2Ffuera.pdf", "nada.pdf", "..%5Cfuera.pdf"):
            response = client.get(f"/guides/{refused}")
            assert response.status_code == 404, refused
            assert b"secret" not in response.content
    with TestClient(create_app(db), base_url=LOCAL) as client:
        assert client.get("/guides/cad.pdf").status_code == 404


def test_a_missing_guides_folder_is_refused(db: Path, tmp_path: Path) -> None:
    with pytest.raises(medcards.MedcardsError, match=r"--guides .*no such folder"):
        create_app(db, guides=tmp_path / "no-existe")
    with pytest.raises(medcards.MedcardsError, match="no such folder"):
        serve(
            db,
            host="127.0.0.1",
            port=8000,
            token=None,
            demo=False,
            echo=lambda _: None,
            run=lambda *a, **k: None,
            guides=tmp_path / "no-existe",
        )

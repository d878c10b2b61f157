"""Guides that cannot be read are refused with the reason, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from medcards_documents.samples import write_encrypted_pdf, write_scanned_pdf
from typer.testing import CliRunner

import medcards
from medcards.cli import app

GUIDE = Path(__file__).parents[3] / "examples" / "guides" / "cetoacidosis_diabetica.md"
runner = CliRunner()


def test_a_scanned_pdf_needs_ocr_and_the_error_names_the_pages(tmp_path):
    scan = write_scanned_pdf(GUIDE, tmp_path / "escaneada.pdf")
    with pytest.raises(medcards.IngestError) as caught:
        medcards.split_guide(scan, "endo")
    message = str(caught.value)
    assert "escaneada.pdf" in message
    assert "pages 1-2 of 2 have no text layer" in message
    assert "OCR" in message


def test_a_pdf_with_one_scanned_page_is_refused_whole(tmp_path, printed):
    from pypdf import PdfReader, PdfWriter

    scan = write_scanned_pdf(GUIDE, tmp_path / "scan.pdf")
    mixed = PdfWriter()
    mixed.append(PdfReader(printed(GUIDE)))
    mixed.append(PdfReader(scan), pages=[1])
    path = tmp_path / "mixta.pdf"
    with path.open("wb") as handle:
        mixed.write(handle)
    with pytest.raises(medcards.IngestError, match=r"mixta.pdf: page 3 of 3 has no text layer"):
        medcards.read_guide(path)


def test_an_encrypted_pdf_is_named_as_such(tmp_path):
    locked = write_encrypted_pdf(GUIDE, tmp_path / "protegida.pdf")
    with pytest.raises(medcards.IngestError, match=r"protegida.pdf: the PDF is encrypted"):
        medcards.split_guide(locked, "endo")


def test_a_damaged_pdf_is_named(tmp_path, printed):
    broken = tmp_path / "rota.pdf"
    broken.write_bytes(printed(GUIDE).read_bytes()[:300])
    with pytest.raises(medcards.IngestError, match=r"rota.pdf: not a readable PDF"):
        medcards.read_guide(broken)


def _damage(pdf: Path, out: Path, how: str) -> Path:
    """``pdf`` with its first content stream broken: the keyword misspelt or the bytes garbled."""
    data = pdf.read_bytes()
    if how == "keyword":
        out.write_bytes(data.replace(b"stream", b"strEam", 1))
    else:
        start = data.index(b"stream\n") + len(b"stream\n") + 20
        garbled = bytes(b ^ 0x55 for b in data[start : start + 200])
        out.write_bytes(data[:start] + garbled + data[start + 200 :])
    return out


@pytest.mark.parametrize("how", ["keyword", "compression"])
def test_a_page_with_damaged_content_is_named_not_skipped(tmp_path, printed, how):
    broken = _damage(printed(GUIDE), tmp_path / "dañada.pdf", how)
    with pytest.raises(medcards.IngestError) as caught:
        medcards.split_guide(broken, "endo")
    assert str(caught.value).startswith(f"{broken}: page 1 of 2 could not be read: damaged content")


def test_blank_pages_are_no_damage_and_an_all_blank_pdf_has_no_text(tmp_path, printed):
    from pypdf import PdfReader, PdfWriter

    with_blank = PdfWriter()
    with_blank.append(PdfReader(printed(GUIDE)))
    with_blank.add_blank_page()
    path = tmp_path / "con_blanca.pdf"
    with path.open("wb") as handle:
        with_blank.write(handle)
    assert medcards.read_guide(path).page_count == 3
    assert [t.pages for t in medcards.split_guide(path, "endo")][-1] == (1, 2)

    from fpdf import FPDF

    blank = FPDF()
    blank.add_page()
    blank.add_page()
    empty = tmp_path / "en_blanco.pdf"
    blank.output(str(empty))
    with pytest.raises(medcards.IngestError) as caught:
        medcards.split_guide(empty, "endo")
    assert str(caught.value) == f"{empty}: the guide has no text to make topics from"


def test_a_guide_over_the_size_limit_is_refused(tmp_path, printed):
    pdf = printed(GUIDE)
    size_mb = pdf.stat().st_size / 1_000_000
    with pytest.raises(medcards.IngestError, match=r"over the guide size limit of .* MB"):
        medcards.read_guide(pdf, max_mb=size_mb / 2)
    assert medcards.read_guide(pdf, max_mb=size_mb * 2).page_count == 2


def test_nothing_half_ingested_is_written(tmp_path, printed):
    """A refused guide leaves the topics file as it was; a good one replaces it whole."""
    topics = tmp_path / "temas.jsonl"
    good = printed(GUIDE)
    result = runner.invoke(app, ["ingest", str(good), "-m", "endo", "-o", str(topics)])
    assert result.exit_code == 0, result.output
    before = topics.read_bytes()
    assert [t.pages for t in medcards.load_topics(topics)][-1] == (1, 2)
    for bad in (
        write_scanned_pdf(GUIDE, tmp_path / "escaneada.pdf"),
        write_encrypted_pdf(GUIDE, tmp_path / "protegida.pdf"),
        _damage(good, tmp_path / "dañada.pdf", "keyword"),
    ):
        result = runner.invoke(app, ["ingest", str(bad), "-m", "endo", "-o", str(topics)])
        assert result.exit_code == 1
        assert isinstance(result.exception, medcards.IngestError)
        assert bad.name in str(result.exception)
        assert topics.read_bytes() == before
    result = runner.invoke(
        app, ["ingest", str(good), "-m", "endo", "-o", str(topics), "--max-mb", "0.001"]
    )
    assert result.exit_code == 1
    assert "size limit" in str(result.exception)
    assert topics.read_bytes() == before
    assert not list(tmp_path.glob("*.tmp*"))

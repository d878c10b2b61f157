"""Sample guides in PDF, HTML and DOCX, written from the Markdown sample guides.

No real clinical guide may be downloaded, so the tests and the bench print their own: each
sample guide of ``examples/guides/`` (Markdown) becomes

- a PDF laid out like a published guide (:func:`write_sample_pdf`): A5 pages, the body in two
  columns, words hyphenated at line ends, a running header with the guide's title, a footer
  ``Página N de M``, a ruled table of doses and thresholds, and a PDF outline (bookmarks) that
  can be left out so headings must be found from font sizes;
- an HTML page with navigation and a footer around the guide (:func:`write_sample_html`);
- a DOCX with heading styles, bullet lists and the table (:func:`write_sample_docx`);
- for the error paths, an image-only ("scanned") PDF (:func:`write_scanned_pdf`) and a
  password-protected PDF (:func:`write_encrypted_pdf`).

They are written at run time (milliseconds each) rather than committed: the Markdown guides
stay the one source, and a change to a guide shows up in every format. Writing them needs the
plugin's ``test`` extra (``fpdf2``, ``python-docx``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "GUIDE_TABLES",
    "GuideTable",
    "write_encrypted_pdf",
    "write_sample_docx",
    "write_sample_html",
    "write_sample_pdf",
    "write_scanned_pdf",
]


@dataclass(frozen=True)
class GuideTable:
    """A table of doses and thresholds printed with a sample guide.

    Attributes:
        caption: The caption printed above it (``"Tabla 1. ..."``).
        header: Column names.
        rows: Body rows, one cell per column.
    """

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


#: The table printed with each sample guide (by file stem); its values are the guide's own.
GUIDE_TABLES: dict[str, GuideTable] = {
    "cetoacidosis_diabetica": GuideTable(
        "Tabla 1. Dosis y umbrales en la cetoacidosis diabética",
        ("Medida", "Dosis o umbral", "Momento"),
        (
            ("Suero salino al 0,9 %", "15-20 mL/kg", "Primera hora"),
            ("Insulina regular intravenosa", "0,1 U/kg/h", "Tras la reposición de fluidos"),
            ("Retrasar la insulina", "Potasio menor de 3,3 mEq/L", "Hasta corregir el potasio"),
            (
                "Añadir suero glucosado al 5 %",
                "Glucemia menor de 200 mg/dL",
                "Durante la perfusión",
            ),
            ("Bicarbonato", "pH menor de 6,9", "Solo en la acidosis grave"),
        ),
    ),
    "estatus_epileptico": GuideTable(
        "Tabla 1. Dosis de los antiepilépticos intravenosos",
        ("Fármaco", "Dosis", "Máximo"),
        (
            ("Lorazepam intravenoso", "0,1 mg/kg", "4 mg por dosis"),
            ("Levetiracetam intravenoso", "60 mg/kg", "4500 mg"),
            ("Ácido valproico intravenoso", "40 mg/kg", "3000 mg"),
            ("Fenitoína intravenosa", "20 mg/kg", "50 mg/min"),
        ),
    ),
    "apendicitis_aguda": GuideTable(
        "Tabla 1. Umbrales diagnósticos y dosis en la apendicitis aguda",
        ("Criterio o fármaco", "Umbral o dosis"),
        (
            ("Puntuación de Alvarado", "7 o más puntos"),
            ("Fiebre", "Mayor de 37,3 °C"),
            ("Diámetro apendicular en la ecografía", "Mayor de 6 mm"),
            ("Cefazolina intravenosa", "2 g antes de la incisión"),
            ("Metronidazol intravenoso", "500 mg antes de la incisión"),
        ),
    ),
    "neumonia_comunitaria": GuideTable(
        "Tabla 1. Antibióticos en la neumonía adquirida en la comunidad",
        ("Fármaco", "Dosis", "Intervalo"),
        (
            ("Amoxicilina oral", "1 g", "Cada 8 horas"),
            ("Ceftriaxona intravenosa", "1-2 g", "Cada 24 horas"),
            ("Levofloxacino", "500 mg", "Cada 24 horas"),
            ("Piperacilina-tazobactam", "4,5 g", "Cada 6 horas"),
        ),
    ),
}


# -- reading the Markdown guide ----------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    kind: str  # "h1".."h3", "note", "p", "li", "table"
    text: str


def _blocks(guide: Path) -> list[_Block]:
    """The guide's headings, note, paragraphs and list items, and its table.

    The table goes before the last sub-section: after the treatment, where doses belong.
    """
    blocks: list[_Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(_Block("p", " ".join(paragraph)))
            paragraph.clear()

    for line in guide.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        heading = re.match(r"^(#{1,3})\s+(.*)$", stripped)
        if not stripped:
            flush()
        elif heading:
            flush()
            blocks.append(_Block(f"h{len(heading.group(1))}", heading.group(2)))
        elif stripped.startswith(">"):
            flush()
            blocks.append(_Block("note", stripped.lstrip("> ")))
        elif stripped.startswith("- "):
            flush()
            blocks.append(_Block("li", stripped[2:]))
        else:
            paragraph.append(stripped)
    flush()
    if guide.stem in GUIDE_TABLES:
        last = max(i for i, b in enumerate(blocks) if b.kind == "h3")
        blocks.insert(last, _Block("table", guide.stem))
    return blocks


def _table(guide: Path) -> GuideTable:
    return GUIDE_TABLES[guide.stem]


# -- PDF -------------------------------------------------------------------------------------

_PAGE = (148.0, 210.0)  # A5, millimetres
_MARGIN = 14.0
_TOP = 20.0
_BOTTOM = 20.0
_GUTTER = 7.0
_BODY_PT = 10.0
_LINE_MM = 4.6
_HEADING_PT = {"h1": 16.0, "h2": 13.0, "h3": 11.0}
_VOWELS = set("aeiouáéíóú")


def _hyphenate(text: str) -> str:
    """Put soft hyphens between syllables of long words, so lines end in ``reposi-``."""

    def word(match: re.Match[str]) -> str:
        w = match.group(0)
        out = [w[0]]
        for i in range(1, len(w)):
            if (
                3 <= i <= len(w) - 3
                and w[i] not in _VOWELS
                and w[i - 1] in _VOWELS
                and i + 1 < len(w)
                and w[i + 1] in _VOWELS
            ):
                out.append("\u00ad")
            out.append(w[i])
        return "".join(out)

    return re.sub(r"\b[a-záéíóúñ]{8,}\b", word, text)


def _pdf_class() -> Any:
    from fpdf import FPDF

    class GuidePDF(FPDF):
        running_title = ""

        def header(self) -> None:
            self.set_font("Helvetica", "I", 7)
            self.set_xy(_MARGIN, 8)
            self.cell(_PAGE[0] - 2 * _MARGIN, 4, f"Guía de ejemplo medcards - {self.running_title}")
            self.line(_MARGIN, 13, _PAGE[0] - _MARGIN, 13)

        def footer(self) -> None:
            self.set_font("Helvetica", "", 7)
            self.set_xy(_MARGIN, _PAGE[1] - 12)
            self.cell(_PAGE[0] - 2 * _MARGIN, 4, f"Página {self.page_no()} de {{nb}}", align="C")

    return GuidePDF


class _Flow:
    """Lays text out in columns that run on to the next column and the next page."""

    def __init__(self, pdf: Any, columns: int) -> None:
        self.pdf = pdf
        self.columns = columns
        self.width = (_PAGE[0] - 2 * _MARGIN - (columns - 1) * _GUTTER) / columns
        self.column = 0
        self.region_top = _TOP
        self.y = _TOP
        self.lowest = _TOP

    def _x(self) -> float:
        return _MARGIN + self.column * (self.width + _GUTTER)

    def _next_column(self) -> None:
        self.lowest = max(self.lowest, self.y)
        if self.column + 1 < self.columns:
            self.column += 1
        else:
            self.pdf.add_page()
            self.column = 0
            self.region_top = self.lowest = _TOP
        self.y = self.region_top

    def lines(
        self, text: str, style: str, size: float, *, indent: float = 0.0, bullet: str = ""
    ) -> None:
        """Wrap ``text`` to the column and print it line by line, breaking across columns."""
        pdf = self.pdf
        pdf.set_font("Helvetica", style, size)
        height = _LINE_MM * size / _BODY_PT
        wrapped = pdf.multi_cell(
            self.width - indent, height, _hyphenate(text), dry_run=True, output="LINES"
        )
        for n, line in enumerate(wrapped):
            if self.y + height > _PAGE[1] - _BOTTOM:
                self._next_column()
            if n == 0 and bullet:
                pdf.set_xy(self._x(), self.y)
                pdf.cell(indent, height, bullet)
            pdf.set_xy(self._x() + indent, self.y)
            pdf.cell(self.width - indent, height, line)
            self.y += height
        self.lowest = max(self.lowest, self.y)

    def space(self, mm: float) -> None:
        self.y += mm

    def full_width(self) -> float:
        """Leave the columns: the y under everything printed on this page."""
        y = max(self.lowest, self.y)
        self.column = 0
        self.region_top = self.y = self.lowest = y
        return y

    def restart(self, y: float) -> None:
        """Start columns again at ``y`` (after full-width content)."""
        if y > _PAGE[1] - _BOTTOM - 2 * _LINE_MM:
            self.pdf.add_page()
            y = _TOP
        self.column = 0
        self.region_top = self.y = self.lowest = y


def write_sample_pdf(
    guide: Path, out: Path, *, outline: bool = True, columns: int = 2, table: bool = True
) -> Path:
    """Print a Markdown sample guide as a published-looking PDF.

    Args:
        guide: A guide of ``examples/guides/`` (``#`` title, ``##`` topic, ``###`` sub-sections,
            ``-`` lists).
        out: The PDF to write.
        outline: Write the headings into the PDF outline (bookmarks); without it, headings are
            only larger bold type.
        columns: Body columns (2: the usual guide layout).
        table: Print the guide's :data:`GUIDE_TABLES` table before its last sub-section.

    Returns:
        ``out``.
    """
    pdf = _pdf_class()(unit="mm", format=_PAGE)
    pdf.core_fonts_encoding = "windows-1252"  # the WinAnsi encoding of the core fonts: has •
    pdf.set_auto_page_break(False)
    pdf.set_margins(_MARGIN, _TOP, _MARGIN)
    blocks = _blocks(guide)
    pdf.running_title = next((b.text for b in blocks if b.kind == "h1"), guide.stem)
    pdf.add_page()
    flow = _Flow(pdf, columns)
    for block in blocks:
        if block.kind in ("h1", "h2", "note"):
            y = flow.full_width()
            pdf.set_xy(_MARGIN, y)
            if block.kind == "note":
                pdf.set_font("Helvetica", "I", 8)
                pdf.multi_cell(_PAGE[0] - 2 * _MARGIN, 3.6, block.text)
                flow.restart(pdf.get_y() + 3)
                continue
            if outline:
                pdf.start_section(block.text, level=int(block.kind[1]) - 1)
            pdf.set_font("Helvetica", "B", _HEADING_PT[block.kind])
            pdf.multi_cell(
                _PAGE[0] - 2 * _MARGIN, _HEADING_PT[block.kind] * 0.5, block.text, align="L"
            )
            flow.restart(pdf.get_y() + 3)
        elif block.kind == "h3":
            flow.space(1.5)
            if flow.y + 3 * _LINE_MM > _PAGE[1] - _BOTTOM:
                flow._next_column()
            if outline:
                pdf.set_y(flow.y)
                pdf.start_section(block.text, level=2)
            flow.lines(block.text, "B", _HEADING_PT["h3"])
            flow.space(1.0)
        elif block.kind == "p":
            flow.lines(block.text, "", _BODY_PT)
            flow.space(2.0)
        elif block.kind == "li":
            flow.lines(block.text, "", _BODY_PT, indent=4.0, bullet="\u2022")
            flow.space(0.8)
        elif block.kind == "table" and table:
            _print_table(pdf, flow, _table(guide))
    pdf.output(str(out))
    return out


def _print_table(pdf: Any, flow: _Flow, table: GuideTable) -> None:
    from fpdf.fonts import FontFace

    y = flow.full_width() + 2
    needed = (len(table.rows) + 3) * 2 * _LINE_MM
    if y + needed > _PAGE[1] - _BOTTOM:
        pdf.add_page()
        y = _TOP
    pdf.set_xy(_MARGIN, y)
    pdf.set_font("Helvetica", "B", _BODY_PT)
    pdf.multi_cell(_PAGE[0] - 2 * _MARGIN, _LINE_MM, table.caption)
    pdf.set_y(pdf.get_y() + 1)
    pdf.set_font("Helvetica", "", 8.5)
    with pdf.table(
        width=_PAGE[0] - 2 * _MARGIN,
        line_height=4.2,
        text_align="LEFT",
        headings_style=FontFace(emphasis="BOLD"),
    ) as printed:
        for cells in (table.header, *table.rows):
            row = printed.row()
            for cell in cells:
                row.cell(cell)
    flow.restart(pdf.get_y() + 4)


def write_scanned_pdf(guide: Path, out: Path, *, resolution: int = 60) -> Path:
    """A PDF whose pages are only pictures of the sample PDF's pages: no text layer.

    Args:
        guide: A Markdown sample guide.
        out: The PDF to write.
        resolution: Dots per inch of the page pictures.

    Returns:
        ``out``.
    """
    import pdfplumber
    from fpdf import FPDF

    printed = write_sample_pdf(guide, out.with_suffix(".text.pdf"))
    scan = FPDF(unit="mm", format=_PAGE)
    scan.set_auto_page_break(False)
    with pdfplumber.open(printed) as document:
        for page in document.pages:
            picture = page.to_image(resolution=resolution).original
            scan.add_page()
            scan.image(picture, x=0, y=0, w=_PAGE[0], h=_PAGE[1])
    printed.unlink()
    scan.output(str(out))
    return out


def write_encrypted_pdf(guide: Path, out: Path, *, password: str = "guia") -> Path:
    """The sample PDF, protected by a user password (it cannot be opened without it).

    Returns:
        ``out``.
    """
    from pypdf import PdfReader, PdfWriter

    printed = write_sample_pdf(guide, out.with_suffix(".plain.pdf"))
    writer = PdfWriter(clone_from=PdfReader(printed))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    with out.open("wb") as handle:
        writer.write(handle)
    printed.unlink()
    return out


# -- HTML and DOCX ---------------------------------------------------------------------------


def write_sample_html(guide: Path, out: Path) -> Path:
    """The sample guide as a web page: navigation, the guide in ``<main>``, a footer.

    Returns:
        ``out``.
    """
    blocks = _blocks(guide)
    title = next((b.text for b in blocks if b.kind == "h1"), guide.stem)
    body: list[str] = []
    in_list = False
    for block in blocks:
        if block.kind != "li" and in_list:
            body.append("</ul>")
            in_list = False
        text = html.escape(block.text)
        if block.kind in ("h1", "h2", "h3"):
            body.append(f"<{block.kind}>{text}</{block.kind}>")
        elif block.kind == "note":
            body.append(f"<aside><em>{text}</em></aside>")
        elif block.kind == "p":
            body.append(f"<p>{text}</p>")
        elif block.kind == "li":
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{text}</li>")
        elif block.kind == "table":
            table = _table(guide)
            head = "".join(f"<th>{html.escape(c)}</th>" for c in table.header)
            rows = "".join(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                for row in table.rows
            )
            body.append(
                f"<p><strong>{html.escape(table.caption)}</strong></p>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
            )
    if in_list:
        body.append("</ul>")
    page = (
        '<!DOCTYPE html>\n<html lang="es"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>body {{ font-family: serif; }}</style>"
        '<script>console.log("analytics");</script></head>\n<body>\n'
        '<nav><a href="/">Inicio</a> | <a href="/guias">Guías</a></nav>\n<main>\n'
        + "\n".join(body)
        + "\n</main>\n<footer>Servicio de Urgencias - Guías de ejemplo</footer>\n</body></html>\n"
    )
    out.write_text(page, encoding="utf-8")
    return out


def write_sample_docx(guide: Path, out: Path) -> Path:
    """The sample guide as a Word document: heading styles, bullet lists, a table.

    Returns:
        ``out``.
    """
    import docx

    document = docx.Document()
    for block in _blocks(guide):
        if block.kind in ("h1", "h2", "h3"):
            document.add_heading(block.text, level=int(block.kind[1]))
        elif block.kind == "note":
            document.add_paragraph(block.text, style="Quote")
        elif block.kind == "p":
            document.add_paragraph(block.text)
        elif block.kind == "li":
            document.add_paragraph(block.text, style="List Bullet")
        elif block.kind == "table":
            table = _table(guide)
            document.add_paragraph().add_run(table.caption).bold = True
            printed = document.add_table(rows=0, cols=len(table.header))
            printed.style = "Table Grid"
            for cells in (table.header, *table.rows):
                row = printed.add_row().cells
                for cell, text in zip(row, cells, strict=True):
                    cell.text = text
    document.save(str(out))
    return out

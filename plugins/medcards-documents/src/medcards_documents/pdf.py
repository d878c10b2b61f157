"""The ``pdf`` reader: a guide's text layer (pdfplumber) as Markdown, with the page of each line.

How a page becomes Markdown:

1. Words (with size and font) are grouped into lines, and a line is cut where a gap wider
   than a column gutter opens, so the two columns of a page give two lines at the same height.
2. Two columns: when several lines start right of the page's middle, the page has a gutter.
   Lines that cross it (titles, full-width paragraphs) cut the page into bands; inside a band
   the left column is read before the right one.
3. Running headers and footers: lines in the top or bottom tenth of the page whose text,
   digits aside, repeats on other pages are dropped, and so are page numbers there
   (``3``, ``- 3 -``, ``Página 3 de 8``, ``p. 3``).
4. Tables found by their ruling lines (pdfplumber's ``find_tables``) become Markdown pipe
   tables in their place; their words are not read again as text.
5. Headings come from the PDF outline (bookmarks) when it has one: each entry's title is
   matched to a line on its page, and its depth gives the level. Without an outline, lines
   set larger than the body text (by 8 % or more) are headings, one level per size; the body
   text is the size most non-bold characters between the top and bottom bands are set in.
6. Lines join into paragraphs; a paragraph runs on across a column or page break when its
   last line does not end a sentence. A word hyphenated at a line end is joined
   (``reposi-`` + ``ción``) unless the hyphenated form is written whole elsewhere in the guide
   (``tónico-clónica``). Bullets (``•``, ``-``, ``1.``) start ``-`` list items.

Pages without a text layer but with pictures (a scan) make the reader refuse the file, naming
the pages, rather than ingest part of a guide; so do pages whose content stream is damaged
(pypdf cannot read it, or it shows text of which pdfminer read none). A page that is blank, or
only drawn, gives no text and no error.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import medcards

__all__ = ["PdfReader"]

_BULLET = re.compile(r"^(?:[\u2022\u25cf\u25aa\u2013\u2014*-]|\d{1,2}[.)])\s+")
_PAGE_NUMBER = re.compile(
    r"^(?:[-\u2013\u2014]\s*)?(?:p[aá]g(?:ina)?\.?|p\.|page)?\s*#+(?:\s*(?:de|of|/)\s*#+)?"
    r"(?:\s*[-\u2013\u2014])?$",
    re.IGNORECASE,
)
_SENTENCE_END = (".", ":", "!", "?", ";")
_SHOWS_TEXT = re.compile(rb"[\s)\]>]T[jJ](?![^\s/\[\]()<>])")  # a text-showing operator
_MARGIN_BAND = 0.1  # top and bottom tenth of a page: where running headers and footers sit
_GUTTER_MIN = 14.0  # points: a gap this wide between words is a column gutter
_HEADING_RATIO = 1.08  # a line this much larger than body text is a heading (no outline)


@dataclass
class _Line:
    """A line of one column (or a whole table), with what the layout knows about it."""

    page: int
    top: float
    bottom: float
    x0: float
    x1: float
    text: str
    size: float
    bold: bool
    table: str | None = None  # Markdown of a table standing in for its words
    heading: int = 0  # heading level, 0 for body text
    column: int = 0  # 0 left or full width, 1 right


@dataclass
class _Page:
    number: int
    width: float
    height: float
    lines: list[_Line] = field(default_factory=list)


def _clean_cell(cell: str | None) -> str:
    text = _join_lines((cell or "").split("\n"), set())
    return text.replace("|", "\\|").strip()


def _table_markdown(rows: list[list[str | None]]) -> str:
    cells = [[_clean_cell(c) for c in row] for row in rows if any((c or "").strip() for c in row)]
    if not cells:
        return ""
    width = max(len(r) for r in cells)
    cells = [r + [""] * (width - len(r)) for r in cells]
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(r) + " |" for r in cells[1:]]
    return "\n".join(lines)


def _join_lines(lines: list[str], keep_hyphen: set[str]) -> str:
    """Join wrapped lines with spaces, undoing end-of-line hyphenation."""
    text = ""
    for line in (x.strip() for x in lines):
        if not line:
            continue
        if not text:
            text = line
            continue
        text = _join(text, line, keep_hyphen)
    return text


def _join(left: str, right: str, keep_hyphen: set[str]) -> str:
    broken = re.search(r"(\w+)-$", left)
    if broken and right[:1].islower() and broken.group(1)[-1:].isalpha():
        first = re.match(r"\w+", right)
        whole = f"{broken.group(1)}-{first.group(0) if first else ''}".casefold()
        if whole not in keep_hyphen:
            return left[:-1] + right
        return left + right
    return f"{left} {right}"


class PdfReader(medcards.DocumentReader):
    """Reads PDF guides with pdfplumber (text, tables) and pypdf (outline, encryption)."""

    name: ClassVar[str] = "pdf"
    suffixes: ClassVar[tuple[str, ...]] = (".pdf",)

    def read(self, path: Path) -> medcards.GuideDocument:
        """Read ``path`` into Markdown with the page of every stretch of text.

        Raises:
            medcards.IngestError: an encrypted PDF, a damaged one, or pages without a text
                layer (naming them: the guide needs OCR first).
        """
        import pdfplumber
        import pypdf
        from pdfminer.pdfparser import PDFSyntaxError

        try:
            outline_reader = pypdf.PdfReader(path)
            if outline_reader.is_encrypted and not outline_reader.decrypt(""):
                raise medcards.IngestError(
                    f"{path}: the PDF is encrypted (password-protected); save an unprotected "
                    "copy and ingest that"
                )
            outline = _outline(outline_reader)
        except pypdf.errors.PdfReadError as exc:
            raise medcards.IngestError(f"{path}: not a readable PDF ({exc})") from None
        try:
            with pdfplumber.open(path, password="") as document:
                pages = [_read_page(page) for page in document.pages]
                textless = [page for page in document.pages if not page.chars]
                blind = [page.page_number for page in textless if page.images or page.rects]
                damaged = [
                    page.page_number
                    for page in textless
                    if page.page_number not in blind and _damaged(page)
                ]
        except PDFSyntaxError as exc:
            raise medcards.IngestError(f"{path}: not a readable PDF ({exc})") from None
        if damaged:
            raise medcards.IngestError(
                f"{path}: {_pages(damaged, len(pages))} could not be read: damaged content "
                "(the PDF's content stream is broken); repair the PDF (for example by printing "
                "it to a new PDF) and ingest the result"
            )
        if blind:
            raise medcards.IngestError(
                f"{path}: {_pages(blind, len(pages))} {'have' if len(blind) > 1 else 'has'} no "
                "text layer (a scanned document?); run OCR on the PDF (for example ocrmypdf) and "
                "ingest the result"
            )
        _drop_running_lines(pages)
        if outline:
            _headings_from_outline(pages, outline)
        else:
            _headings_from_sizes(pages)
        text, marks = _markdown(pages)
        return medcards.GuideDocument(
            text=text, format="pdf", page_starts=tuple(marks), page_count=len(pages)
        )


def _pages(numbers: list[int], total: int) -> str:
    """``"page 3 of 3"``, ``"pages 1-2 of 2"``."""
    return f"page{'s' if len(numbers) > 1 else ''} {_ranges(numbers)} of {total}"


def _damaged(page: Any) -> bool:
    """Whether a pdfplumber page's content stream is broken (asked of pages without text).

    It is when the page lists contents that are not a stream (the ``stream`` keyword or the
    object is damaged), a stream whose bytes decode to nothing (damaged compression), or a
    stream that shows text (``Tj``, ``TJ``) although no character was read from it. A page
    without contents, or one that only draws, is not.
    """
    import zlib

    from pdfminer.pdftypes import PDFException, PDFStream, resolve1

    try:
        for item in page.page_obj.contents:
            stream = resolve1(item)
            if not isinstance(stream, PDFStream):
                return True
            data = stream.get_data()
            if int(resolve1(stream.attrs.get("Length", 0)) or 0) > 0 and not data.strip():
                return True
            if _SHOWS_TEXT.search(data):
                return True
    except (PDFException, zlib.error, ValueError, KeyError, TypeError):
        return True
    return False


def _ranges(numbers: list[int]) -> str:
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _outline(reader: Any) -> list[tuple[str, int, int]]:
    """``(title, level, page)`` of every outline entry (level 1 = top), in order."""
    found: list[tuple[str, int, int]] = []

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            page = reader.get_destination_page_number(item)
            if item.title and page is not None and page >= 0:
                found.append((str(item.title).strip(), level, page + 1))

    walk(reader.outline, 1)
    return found


def _read_page(page: Any) -> _Page:
    result = _Page(page.page_number, float(page.width), float(page.height))
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]

    def outside(word: dict[str, Any]) -> bool:
        cx, cy = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
        return not any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes)

    words = [
        w
        for w in page.extract_words(extra_attrs=["size", "fontname"], use_text_flow=False)
        if outside(w)
    ]
    result.lines, gutter = _lines(page.page_number, words, result.width, result.height)
    for table in tables:
        markdown = _table_markdown(table.extract())
        if markdown:
            x0, top, x1, bottom = table.bbox
            result.lines.append(
                _Line(page.page_number, top, bottom, x0, x1, "", 0.0, False, table=markdown)
            )
    _order(result, gutter)
    return result


def _lines(
    page: int, words: list[dict[str, Any]], width: float, height: float
) -> tuple[list[_Line], float | None]:
    """Group words into lines; with two columns, cut each line at the gutter.

    Returns the lines and the gutter's x (``None`` on a one-column page). The gutter is the
    x in the middle of the page crossed by the fewest lines, when at most a third of them
    cross it and several lines have words on both sides of it.
    """
    rows: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if rows and abs(rows[-1][0]["top"] - word["top"]) <= 2.0:
            rows[-1].append(word)
        else:
            rows.append([word])
    for row in rows:
        row.sort(key=lambda w: w["x0"])
    found = _gutter(rows, width) or _lone_right_column(rows, width, height)
    gutter = found[0] if found is not None else None
    body = Counter(round(float(w["size"])) for w in words).most_common(1)[0][0] if words else 0
    lines: list[_Line] = []
    for row in rows:
        cut = len(row)
        title = statistics.median(float(w["size"]) for w in row) >= 1.3 * body
        if found is not None and not title:  # titles run across both columns
            x, least = found
            for i in range(1, len(row)):
                gap = row[i]["x0"] - row[i - 1]["x1"]
                if row[i - 1]["x1"] <= x <= row[i]["x0"] and gap >= least:
                    cut = i
                    break
        lines.append(_make_line(page, row[:cut]))
        if cut < len(row):
            lines.append(_make_line(page, row[cut:]))
    return lines, gutter


def _gutter(rows: list[list[dict[str, Any]]], width: float) -> tuple[float, float] | None:
    """``(x, least gap)`` of the gutter between two columns, or ``None`` for one column.

    ``x`` is the middle of the widest stretch, around the middle of the page, that the fewest
    lines cross. It is a gutter when at most a third of the lines cross it and at least three
    have words on both sides with a gap wider than a word space there (one or two do when the
    gap is 14 points or more). The least gap is the narrowest such gap, and at least 14 points:
    a line is cut at ``x`` only where its gap is that wide, so a justified full-width line,
    whose word spaces are wide but not that wide, stays whole.
    """
    if len(rows) < 6:
        return None
    counts: list[tuple[float, int]] = []
    x = width * 0.3
    while x <= width * 0.7:
        counts.append((x, sum(1 for row in rows if any(w["x0"] < x < w["x1"] for w in row))))
        x += 1.0
    least = min(c for _, c in counts)
    if least > len(rows) / 3:
        return None
    # The longest run of x crossed by about that few lines: the gutter; x is its middle.
    allowed = least + max(1, len(rows) // 20)
    runs: list[list[float]] = []
    for x, count in counts:
        if count > allowed:
            runs.append([])
        elif runs:
            runs[-1].append(x)
        else:
            runs.append([x])
    widest = max(runs, key=len)
    if not widest:
        return None
    x = (widest[0] + widest[-1]) / 2
    sides = [
        (max(w["x1"] for w in row if w["x1"] <= x), min(w["x0"] for w in row if w["x0"] >= x))
        for row in rows
        if row[0]["x1"] <= x <= row[-1]["x0"] and not any(w["x0"] < x < w["x1"] for w in row)
    ]
    # Lines whose gap at x is wider than a word space are column lines. Three make a gutter;
    # fewer do when the gap is as wide as a gutter (a right column of one or two lines).
    sides = [(a, b) for a, b in sides if b - a >= 8.0]
    if not sides or (len(sides) < 3 and min(b - a for a, b in sides) < _GUTTER_MIN):
        return None
    # Cut lines whose gap there is as wide as the narrowest gap of a column line (a gutter
    # is never narrower than 14 points: a justified line's wide word space is not one).
    return x, max(_GUTTER_MIN, min(b - a for a, b in sides) - 0.5)


def _lone_right_column(
    rows: list[list[dict[str, Any]]], width: float, height: float
) -> tuple[float, float] | None:
    """A right column of a line or two that shares no height with the left one.

    Lines (outside the top and bottom bands) that start right of the middle at one x (or
    indented from it, as list items are), with at least three lines ending a gutter's width
    left of that x, are a right column.
    """
    body = [
        row
        for row in rows
        if row[0]["top"] > height * _MARGIN_BAND and row[-1]["bottom"] < height * (1 - _MARGIN_BAND)
    ]
    right = [row[0]["x0"] for row in body if row[0]["x0"] >= width * 0.45]
    if not right or max(right) - min(right) > 20.0:  # one edge, list items indented
        return None
    edge = min(right)
    left = [
        row for row in body if row[0]["x0"] < width * 0.3 and row[-1]["x1"] <= edge - _GUTTER_MIN
    ]
    if len(left) < 3:
        return None
    return edge - _GUTTER_MIN / 2, _GUTTER_MIN


def _make_line(page: int, words: list[dict[str, Any]]) -> _Line:
    size = statistics.median(float(w["size"]) for w in words)
    bold = sum(1 for w in words if "bold" in str(w["fontname"]).lower()) > len(words) / 2
    return _Line(
        page=page,
        top=min(float(w["top"]) for w in words),
        bottom=max(float(w["bottom"]) for w in words),
        x0=min(float(w["x0"]) for w in words),
        x1=max(float(w["x1"]) for w in words),
        text=" ".join(str(w["text"]) for w in words),
        size=round(size * 2) / 2,
        bold=bold,
    )


def _order(page: _Page, gutter: float | None) -> None:
    """Put the page's lines in reading order: bands top to bottom, left column first."""
    if gutter is None:
        page.lines.sort(key=lambda ln: (ln.top, ln.x0))
        return
    ordered: list[_Line] = []
    band: list[_Line] = []

    def flush() -> None:
        for line in band:
            line.column = 1 if line.x0 >= gutter else 0
        ordered.extend(sorted(band, key=lambda ln: (ln.column, ln.top, ln.x0)))
        band.clear()

    # A line is full width when it runs into the right column, not just past the gutter's
    # middle (a ragged left column can).
    right_edge = min((ln.x0 for ln in page.lines if ln.x0 >= gutter), default=gutter)
    for line in sorted(page.lines, key=lambda ln: (ln.top, ln.x0)):
        if line.table is not None or (line.x0 < gutter and line.x1 > right_edge - 2.0):
            flush()  # a full-width line closes the band above it
            ordered.append(line)
        else:
            band.append(line)
    flush()
    page.lines = ordered


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", text.casefold()).strip()


def _in_band(page: _Page, line: _Line) -> bool:
    """Whether ``line`` sits in the top or bottom band, where running lines are printed."""
    return line.table is None and (
        line.bottom <= page.height * _MARGIN_BAND or line.top >= page.height * (1 - _MARGIN_BAND)
    )


def _drop_running_lines(pages: list[_Page]) -> None:
    """Drop running headers, footers and page numbers from the top and bottom bands."""
    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({_shape(ln.text) for ln in page.lines if _in_band(page, ln)})
    repeated = {shape for shape, count in seen.items() if count >= 2}
    for page in pages:
        page.lines = [
            ln
            for ln in page.lines
            if not (
                _in_band(page, ln)
                and (_shape(ln.text) in repeated or _PAGE_NUMBER.match(_shape(ln.text)))
            )
        ]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", medcards.normalize(text)).strip()


def _headings_from_outline(pages: list[_Page], outline: list[tuple[str, int, int]]) -> None:
    by_number = {p.number: p for p in pages}
    for title, level, number in outline:
        page = by_number.get(number)
        if page is None:
            continue
        wanted = _norm(title)
        lines = [ln for ln in page.lines if ln.table is None and not ln.heading]
        for i, line in enumerate(lines):
            if not _norm(line.text) or not wanted.startswith(_norm(line.text).rstrip("-")):
                continue
            # A long title may wrap (and be hyphenated): take the lines that continue it.
            taken, raw = [line], line.text
            for nxt in lines[i + 1 :]:
                if _norm(raw) == wanted:
                    break
                joined = _join(raw, nxt.text, set())
                if not wanted.startswith(_norm(joined).rstrip("-")):
                    break
                taken.append(nxt)
                raw = joined
            if _norm(raw) != wanted:
                continue
            line.heading, line.text = level, title
            for extra in taken[1:]:
                extra.text = ""
            break
    for page in pages:
        page.lines = [ln for ln in page.lines if ln.text or ln.table is not None]


def _headings_from_sizes(pages: list[_Page]) -> None:
    sizes: Counter[float] = Counter()
    plain: Counter[float] = Counter()
    for page in pages:
        for line in page.lines:
            if line.table is None:
                sizes[line.size] += len(line.text)
                if not line.bold and not _in_band(page, line):
                    plain[line.size] += len(line.text)
    if not sizes:
        return
    # Body text: the size most characters are set in, bold ones and the top and bottom bands
    # aside (headings are usually bold, and in a short guide they, or a running header that
    # one page cannot show to be running, can outweigh the body).
    body = (plain or sizes).most_common(1)[0][0]
    larger = sorted({s for s in sizes if s >= body * _HEADING_RATIO}, reverse=True)
    level_of = {size: n + 1 for n, size in enumerate(larger)}
    for page in pages:
        merged: list[_Line] = []
        for line in page.lines:
            level = level_of.get(line.size, 0) if line.table is None else 0
            previous = merged[-1] if merged else None
            if (
                level
                and previous is not None
                and previous.heading == level
                and line.top - previous.bottom < line.size
            ):
                previous.text = _join(previous.text, line.text, set())  # a wrapped heading
                previous.bottom = line.bottom
                continue
            line.heading = level
            merged.append(line)
        page.lines = merged


def _markdown(pages: list[_Page]) -> tuple[str, list[tuple[int, int]]]:
    """Markdown of the ordered lines, and ``(offset, page)`` where each page's text starts."""
    keep_hyphen = {
        m.group(0).casefold()
        for page in pages
        for line in page.lines
        for m in re.finditer(r"\w+-\w+", line.text)
    }
    out: list[str] = []
    marks: list[tuple[int, int]] = []
    length = 0
    current: _Line | None = None  # the last line of the open paragraph or list item
    open_text = ""

    def emit(text: str, page: int, *, glue: str) -> None:
        nonlocal length
        if out:
            out.append(glue)
            length += len(glue)
        if not marks or marks[-1][1] != page:
            marks.append((length, page))
        out.append(text)
        length += len(text)

    def close() -> None:
        nonlocal current, open_text
        current, open_text = None, ""

    for page in pages:
        for line in page.lines:
            if line.table is not None:
                close()
                emit(line.table, page.number, glue="\n\n")
                continue
            if line.heading:
                close()
                emit("#" * min(line.heading, 6) + " " + line.text, page.number, glue="\n\n")
                continue
            bullet = _BULLET.match(line.text)
            if bullet:
                item = line.text[bullet.end() :]
                glue = "\n" if open_text.startswith("- ") else "\n\n"
                emit("- " + item, page.number, glue=glue)
                current, open_text = line, "- " + item
                continue
            if current is not None and _continues(current, line, open_text):
                right = line.text.strip()
                joined = _join(open_text, right, keep_hyphen)
                block_start = length - len(open_text)
                if line.page != current.page and (not marks or marks[-1][1] != line.page):
                    marks.append((block_start + len(joined) - len(right), line.page))
                out[-1] = joined
                length = block_start + len(joined)
                current, open_text = line, joined
                continue
            emit(line.text, page.number, glue="\n\n")
            current, open_text = line, line.text
    return "".join(out), marks


def _continues(previous: _Line, line: _Line, open_text: str) -> bool:
    """Whether ``line`` carries on the paragraph (or list item) that ``previous`` ends."""
    if line.size != previous.size:
        return False
    same_flow = line.page == previous.page and line.column == previous.column
    if same_flow and line.top >= previous.top:
        gap = line.top - previous.bottom
        if open_text.startswith("- "):
            return gap < previous.size * 0.6 and line.x0 > previous.x0 - 1.0
        return gap < previous.size * 0.6
    # A column or page break: the paragraph runs on when its sentence is not finished.
    return not open_text.rstrip().endswith(_SENTENCE_END)

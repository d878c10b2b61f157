"""Ingestion: split a guide into sections (topics) that cards are generated from.

A section is one topic of the guide: by default every ``##`` section of a guide whose single
``#`` heading is its title (or every ``#`` section when there are several), with its
sub-sections included. A section longer than the backend's context budget is cut, at
sub-section, paragraph and then sentence boundaries, into parts titled ``"<title> (parte i/n)"``.
Headings are read by :mod:`medcards.markdown`, the parser the extractive generator uses too.

Sections are plain :class:`GuideSection` models (formerly ``Topic``; the study database's
topics are :class:`medcards.study.Topic`); ``medcards ingest`` writes them as JSON Lines (one
per line), which :func:`load_topics` reads back and the study database imports.

Formats. Markdown and plain text are read here. Other formats (PDF, HTML, DOCX in the
``medcards-documents`` plugin) come from :class:`DocumentReader` plugins, chosen by file suffix,
which turn a file into a :class:`GuideDocument`: Markdown text plus the page each stretch of it
is printed on. Splitting is the same for every format.

Where the text came from. Every section keeps :class:`SourceSpan` records: which characters of
its context were printed on which page (PDF) or written on which line (Markdown, text), paragraph
by paragraph, so :func:`medcards.locate_card` can say where an evidence quote is printed.
NotebookLM notes end with a list of sources (``Fuentes``/``Sources``/``Referencias``: ``[1]
Título`` lines), which becomes the section's ``references``. In such a note, and only there, the
citation markers (``[1]``, ``[1, 3]``, ``[2-4]``) whose numbers are all in that list are taken out
of the text, so a card never quotes them, and kept as :class:`Citation` records at the place they
stood. A bracket holding a decimal comma (``[3,5-5,0]``) or followed by a unit (``[70-180]
mg/dL``) is never a marker, and a guide without a sources list keeps every bracket as written:
doses and thresholds in brackets are text.
"""

from __future__ import annotations

import abc
import re
from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from _sdk import Component, atomic_write_text
from _sdk.deprecation import deprecated_aliases
from _sdk.errors import error_field
from medcards.errors import MedcardsError
from medcards.markdown import Heading, find_headings, split_before_headings

__all__ = [
    "CHARS_PER_TOKEN",
    "DEFAULT_CONTEXT_TOKENS",
    "DEFAULT_MAX_GUIDE_MB",
    "Citation",
    "DocumentReader",
    "GuideDocument",
    "GuideSection",
    "IngestError",
    "SourceSpan",
    "TEXT_SUFFIXES",
    "load_topics",
    "read_guide",
    "save_topics",
    "split_document",
    "split_guide",
]

#: Default budget of one topic's context, in tokens (leaves room for prompt and answer in 4096).
DEFAULT_CONTEXT_TOKENS = 1500
#: Characters per token assumed when converting a token budget to characters (Spanish prose
#: with medical terms runs at 3-4 characters per token on Llama-family tokenizers; 3 is safe).
CHARS_PER_TOKEN = 3.0

#: Largest guide file read by default, in megabytes (``medcards ingest --max-mb``).
DEFAULT_MAX_GUIDE_MB = 50.0
#: Suffixes read by the core itself (Markdown and plain text).
TEXT_SUFFIXES = (".md", ".markdown", ".txt")

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÁÉÍÓÚÑ¿¡0-9])")
# What a NotebookLM citation marker looks like: [1], [1, 3], [2-4] right after text (not a
# Markdown link "[1](url)", a reference link "[text][1]" or a definition "[1]: url"). It is one
# only in a note with a sources list that names all its numbers (see _take_citations).
_CITATION = re.compile(r"(?<=\S)(?<!\])[ \t]?\[(\d{1,3}(?:\s*[,\u2013-]\s*\d{1,3})*)\](?![(\[:])")
# A decimal comma inside the brackets ("[3,5-5,0]"): a value, never a list of sources.
_DECIMAL_COMMA = re.compile(r"\d,\d")
# A unit right after the brackets ("[70-180] mg/dL", "[0,5-1] %"): the brackets hold a value.
_UNIT_AFTER = re.compile(
    r"[ \t]*(?:[%\u2030\u00b0\u00d7]|[^\W\d_]+/|(?:[\u00b5\u03bc]g|mcg|ng|pg|mg|g|kg|mEq|mmol"
    r"|[\u00b5\u03bc]mol|mol|mOsm|UI|IU|U|mU|mL|ml|dL|dl|L|l|cc|mmHg|cmH2O|kPa|lpm|rpm|lat|mm|cm|m"
    r"|kcal|h|min|seg|s|d[i\u00ed]as?|semanas?|mes|meses|a\u00f1os?|horas?|minutos?|veces)"
    r"(?![^\W\d_]))"
)
_SOURCES_HEADING = re.compile(
    r"^\s*(?:#{1,6}\s*)?\**(fuentes|sources|referencias|references|citas|bibliograf[ií]a)\**:?\s*$",
    re.IGNORECASE,
)
_SOURCE_ENTRY = re.compile(r"^\s*(?:[-*]\s*)?\[?(\d{1,3})[\].)]\s+(.+?)\s*$")


class IngestError(MedcardsError):
    """A guide could not be read or split; the message names the file (and line)."""


class SourceSpan(BaseModel):
    """A stretch of a section's context and where it was printed or written in the guide.

    Spans never cross a paragraph, a page or (for text guides) a line of the guide, so a
    paragraph running across a page break has one span per page.

    Attributes:
        start: First character of the stretch in the section's ``context``.
        end: One past its last character.
        paragraph: 0-based paragraph of the context it belongs to.
        page: 1-based page of the guide (PDF), else ``None``.
        line: 1-based line of the guide file (Markdown, text), else ``None``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    paragraph: int = Field(ge=0)
    page: int | None = Field(default=None, ge=1)
    line: int | None = Field(default=None, ge=1)


class Citation(BaseModel):
    """A NotebookLM citation marker taken out of a section's context.

    Attributes:
        offset: Character of the context the marker stood before (it followed the text that
            ends there).
        marker: The marker as written, e.g. ``"[1]"`` or ``"[2, 3]"``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    offset: int = Field(ge=0)
    marker: str = Field(min_length=3)


class GuideSection(BaseModel):
    """One section (topic) of a guide: what a card generator receives.

    Attributes:
        title: The section heading, e.g. ``"Cetoacidosis diabética (CAD)"`` (with
            ``" (parte i/n)"`` when a long section was cut).
        context: The section's text, Markdown sub-headings and lists included.
        modulo: The study module the guide belongs to (the seed's ``modulo``).
        source: The guide file it came from, if any.
        position: 0-based order of the topic in the guide.
        line: 1-based line of the section heading in the guide.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1)
    context: str = Field(min_length=1)
    modulo: str = Field(min_length=1)
    source: str | None = None
    position: int = Field(default=0, ge=0)
    line: int = Field(default=1, ge=1)
    spans: tuple[SourceSpan, ...] = ()
    citations: tuple[Citation, ...] = ()
    references: dict[str, str] = Field(default_factory=dict)

    @property
    def pages(self) -> tuple[int, int] | None:
        """``(first, last)`` page the section is printed on, or ``None`` without page numbers."""
        numbers = [s.page for s in self.spans if s.page is not None]
        return (min(numbers), max(numbers)) if numbers else None

    def paragraph_pages(self) -> list[tuple[str, int | None, int | None]]:
        """Every paragraph of the context with the first and last page it is printed on."""
        by_paragraph: dict[int, list[SourceSpan]] = {}
        for span in self.spans:
            by_paragraph.setdefault(span.paragraph, []).append(span)
        result = []
        for spans in by_paragraph.values():
            numbers = [s.page for s in spans if s.page is not None]
            text = self.context[spans[0].start : spans[-1].end]
            result.append(
                (text, min(numbers) if numbers else None, max(numbers) if numbers else None)
            )
        return result


class GuideDocument(BaseModel):
    """A guide read into Markdown by a :class:`DocumentReader`.

    Attributes:
        text: The guide as Markdown: ``#`` headings, paragraphs (one per line is fine), ``-``
            lists, and pipe tables.
        format: What it was read from, e.g. ``"pdf"``, ``"html"``, ``"docx"``, ``"markdown"``.
        page_starts: ``(offset, page)`` pairs, sorted by offset: the text from character
            ``offset`` on is printed on 1-based ``page``. Empty when the format has no pages.
        page_count: Pages of the document, when it has pages.
        lines_are_source: Whether the lines of ``text`` are the lines of the file (Markdown and
            text guides), so locations can give line numbers.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    format: str = Field(min_length=1)
    page_starts: tuple[tuple[int, int], ...] = ()
    page_count: int | None = Field(default=None, ge=0)
    lines_are_source: bool = False


class DocumentReader(Component, abc.ABC):
    """Reads guide files of some formats into a :class:`GuideDocument`.

    ``suffixes`` lists the lower-case file suffixes it reads (``(".pdf",)``); ``medcards
    ingest`` picks the reader by the guide's suffix. Raise :class:`IngestError`, naming the
    file (and page), for a file that cannot be read: damaged, encrypted, or without a text
    layer.
    """

    interface: ClassVar[str] = "document reader"
    suffixes: ClassVar[tuple[str, ...]] = ()

    @abc.abstractmethod
    def read(self, path: Path) -> GuideDocument:
        """Read ``path`` into Markdown with its page positions."""


def _read_text_file(path: Path) -> GuideDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise IngestError(f"{path}, line {line}: not UTF-8 text ({exc.reason})") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return GuideDocument(text=text, format="markdown", lines_are_source=True)


def read_guide(path: Path, *, max_mb: float | None = DEFAULT_MAX_GUIDE_MB) -> GuideDocument:
    """Read a guide file with the reader its suffix calls for.

    ``.md``/``.markdown``/``.txt`` are read here; every other suffix goes to the
    :class:`DocumentReader` plugin registered for it.

    Args:
        path: The guide file.
        max_mb: Refuse files larger than this many megabytes (``None``: no limit).

    Raises:
        IngestError: missing file, a file over the size limit, a suffix no reader handles, or
            whatever the reader refuses (naming the file).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    reader: DocumentReader | None = None
    if suffix not in TEXT_SUFFIXES:
        from medcards.plugins import reader_for  # the registry imports this module

        reader = reader_for(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such guide file")
    size = path.stat().st_size
    if max_mb is not None and size > max_mb * 1_000_000:
        raise IngestError(
            f"{path}: {size / 1_000_000:.1f} MB is over the guide size limit of {max_mb:g} MB "
            "(raise it with --max-mb)"
        )
    if reader is None:
        return _read_text_file(path)
    return reader.read(path)


def _topic_level(headings: Sequence[Heading]) -> int | None:
    levels = sorted({h.level for h in headings})
    if not levels:
        return None
    top = levels[0]
    if sum(1 for h in headings if h.level == top) == 1 and len(levels) > 1:
        return levels[1]  # a single top heading is the guide's title
    return top


def _clean(block: Iterable[str]) -> str:
    kept = [line.rstrip() for line in block if not line.lstrip().startswith(">")]
    text = "\n".join(kept).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def _split_units(text: str) -> list[str]:
    """Sub-sections, else paragraphs, else sentences: the pieces a long section is cut into."""
    units = split_before_headings(text)
    if len(units) > 1:
        return units
    units = [u.strip() for u in re.split(r"\n\s*\n", text) if u.strip()]
    if len(units) > 1:
        return units
    return [u.strip() for u in _SENTENCE_END.split(text) if u.strip()]


def _chunk(text: str, max_chars: int) -> list[str]:
    if len(text) <= max_chars:
        return [text]
    units = _split_units(text)
    if len(units) == 1:  # one sentence longer than the budget: cut at a word boundary
        words, chunks, current = text.split(), [], ""
        for word in words:
            if current and len(current) + 1 + len(word) > max_chars:
                chunks.append(current)
                current = word
            else:
                current = f"{current} {word}".strip()
        return [*chunks, current] if current else chunks
    chunks, current = [], ""
    for unit in units:
        for piece in _chunk(unit, max_chars):
            joined = f"{current}\n\n{piece}" if current else piece
            if len(joined) <= max_chars:
                current = joined
            else:
                if current:
                    chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def _page_array(document: GuideDocument) -> array[int]:
    pages = array("i", bytes(4 * len(document.text)))
    marks = sorted(document.page_starts)
    for n, (offset, page) in enumerate(marks):
        end = marks[n + 1][0] if n + 1 < len(marks) else len(document.text)
        pages[offset:end] = array("i", [page]) * max(0, end - offset)
    return pages


def _line_array(text: str) -> array[int]:
    lines = array("i", bytes(4 * len(text)))
    number, start = 1, 0
    for match in re.finditer("\n", text):
        lines[start : match.end()] = array("i", [number]) * (match.end() - start)
        number, start = number + 1, match.end()
    lines[start:] = array("i", [number]) * (len(text) - start)
    return lines


def _take_references(text: str, keep: list[int]) -> tuple[str, list[int], dict[str, str]]:
    """Cut a trailing list of sources (``Fuentes:`` then ``[1] Título`` lines) off ``text``."""
    lines = text.split("\n")
    for i in range(len(lines) - 1, -1, -1):
        if not _SOURCES_HEADING.match(lines[i]):
            continue
        rest = [line for line in lines[i + 1 :] if line.strip()]
        entries = [_SOURCE_ENTRY.match(line) for line in rest]
        if not rest or not all(entries):
            return text, keep, {}
        cut = sum(len(line) + 1 for line in lines[:i])
        references = {m.group(1): m.group(2) for m in entries if m is not None}
        return text[:cut], keep[:cut], references
    return text, keep, {}


def _marker_numbers(inside: str) -> list[str] | None:
    """The source numbers a marker's contents name (``"1, 3-4"``), or ``None`` if it is no list."""
    if _DECIMAL_COMMA.search(inside):
        return None
    numbers: list[str] = []
    for item in re.split(r"\s*,\s*", inside.strip()):
        ends = [int(n) for n in re.split(r"\s*[\u2013-]\s*", item)]
        if len(ends) == 1:
            numbers.append(str(ends[0]))
        elif len(ends) == 2 and ends[0] < ends[1] and ends[1] - ends[0] <= 50:
            numbers.extend(str(n) for n in range(ends[0], ends[1] + 1))
        else:
            return None
    return numbers


def _take_citations(
    text: str, keep: list[int], references: dict[str, str]
) -> tuple[str, list[int], list[tuple[int, str]]]:
    """Remove citation markers; return the text, its origins and (offset, marker) pairs.

    A bracket is a marker only when the note has a sources list (``references``) naming every
    number in it, holds no decimal comma and no unit follows it; any other bracket stays.
    """
    pieces: list[str] = []
    origins: list[int] = []
    found: list[tuple[int, str]] = []
    last = 0
    if not references:
        return text, keep, found
    for match in _CITATION.finditer(text):
        numbers = _marker_numbers(match.group(1))
        if (
            numbers is None
            or any(n not in references for n in numbers)
            or _UNIT_AFTER.match(text, match.end())
        ):
            continue
        pieces.append(text[last : match.start()])
        origins.extend(keep[last : match.start()])
        found.append((len(origins), f"[{match.group(1)}]"))
        last = match.end()
    pieces.append(text[last:])
    origins.extend(keep[last:])
    return "".join(pieces), origins, found


def _clean_mapped(
    lines: Sequence[str], starts: Sequence[int], origin: Sequence[int]
) -> tuple[str, list[int]]:
    """:func:`_clean` of ``lines``, with the document offset of every character kept."""
    text_parts: list[str] = []
    where: list[int] = []
    for line, start in zip(lines, starts, strict=True):
        if line.lstrip().startswith(">"):
            continue
        kept = line.rstrip()
        if text_parts:
            text_parts.append("\n")
            where.append(where[-1] if where else -1)
        text_parts.append(kept)
        where.extend(origin[start : start + len(kept)])
    text = "".join(text_parts)
    left = len(text) - len(text.lstrip())
    right = len(text.rstrip())
    text, where = text[left:right], where[left:right]
    out: list[str] = []
    out_where: list[int] = []
    last = 0
    for match in re.finditer(r"\n{3,}", text):
        out.append(text[last : match.start()] + "\n\n")
        out_where.extend(where[last : match.start() + 2])
        last = match.end()
    out.append(text[last:])
    out_where.extend(where[last:])
    return "".join(out), out_where


def _align(piece: str, body: str, body_where: list[int], cursor: int) -> tuple[list[int], int]:
    """Document offsets of the characters of ``piece``, and the new cursor.

    ``piece`` is a stretch of ``body`` at or after ``cursor`` that may differ from it in
    whitespace only (a section cut at a word boundary joins lines with spaces).
    """
    at = body.find(piece, cursor)
    if at >= 0:
        return body_where[at : at + len(piece)], at + len(piece)
    words = piece.split()
    match = re.compile(r"\s+".join(re.escape(w) for w in words)).search(body, cursor)
    if match is None:
        return [-1] * len(piece), cursor
    result: list[int] = []
    j = match.start()
    for ch in piece:
        if ch.isspace():
            while j < match.end() and body[j].isspace():
                j += 1
            result.append(body_where[j - 1] if j > 0 else -1)
        else:
            result.append(body_where[j] if j < match.end() else -1)
            j += 1
    return result, match.end()


def _spans_of(
    context: str, where: Sequence[int], pages: array[int], lines: array[int] | None
) -> list[SourceSpan]:
    """Stretches of ``context`` with one paragraph, page and line each (whitespace-trimmed)."""
    spans: list[SourceSpan] = []
    offset = 0
    for paragraph, piece in enumerate(context.split("\n\n")):
        key: tuple[int, int] | None = None
        start = end = offset
        for k in range(offset, offset + len(piece)):
            if context[k].isspace() or where[k] < 0:
                continue  # whitespace joins stretches; it never starts or ends one
            here = (pages[where[k]], lines[where[k]] if lines is not None else 0)
            if here != key:
                if key is not None:
                    spans.append(_span(start, end, paragraph, key))
                key, start = here, k
            end = k + 1
        if key is not None:
            spans.append(_span(start, end, paragraph, key))
        offset += len(piece) + 2
    return spans


def _span(start: int, end: int, paragraph: int, key: tuple[int, int]) -> SourceSpan:
    return SourceSpan(
        start=start, end=end, paragraph=paragraph, page=key[0] or None, line=key[1] or None
    )


def split_document(
    document: GuideDocument,
    modulo: str,
    *,
    source: str | None = None,
    fallback_title: str = "guía",
    max_context_tokens: int = DEFAULT_CONTEXT_TOKENS,
) -> list[GuideSection]:
    """Split a read guide into sections by headings, keeping where each paragraph came from.

    Args:
        document: The guide as Markdown with its page positions (:func:`read_guide`).
        modulo: Study module the topics belong to.
        source: The guide file, recorded on every section.
        fallback_title: Title of a guide without headings or a usable first line.
        max_context_tokens: Budget of one topic's context in tokens (see :func:`split_guide`).

    Returns:
        The topics in guide order, each with its :class:`SourceSpan` records, citations and
        references.

    Raises:
        IngestError: a guide with no text, an empty modulo or a budget under 50 tokens.
    """
    if not modulo.strip():
        raise IngestError("modulo must not be empty")
    if max_context_tokens < 50:
        raise IngestError(f"max_context_tokens={max_context_tokens} is too small (minimum 50)")
    label = source or "<text>"
    pages = _page_array(document)
    line_numbers = _line_array(document.text) if document.lines_are_source else None
    text, origin, references = _take_references(document.text, list(range(len(document.text))))
    text, origin, markers = _take_citations(text, origin, references)
    lines = text.split("\n")
    line_starts: list[int] = []
    offset = 0
    for line in lines:
        line_starts.append(offset)
        offset += len(line) + 1
    headings = find_headings(lines)
    level = _topic_level(headings)

    def clean(a: int, b: int) -> tuple[str, list[int]]:
        return _clean_mapped(lines[a:b], line_starts[a:b], origin)

    sections: list[tuple[str, int, str, list[int]]] = []  # (title, heading line, body, where)
    if level is None:
        body, where = clean(0, len(lines))
        first = next((line.strip() for line in lines if line.strip()), "")
        title = first if 0 < len(first) <= 80 and not first.endswith(".") else fallback_title
        if body:  # an empty guide has no topic (the error below names the file)
            sections.append((title, 1, body, where))
    else:
        starts = [h for h in headings if h.level == level]
        guide_title = next((h.title for h in headings if h.level < level), fallback_title)
        heading_lines = {h.index for h in headings}
        kept = [i for i in range(starts[0].index) if i not in heading_lines]
        preamble, pre_where = _clean_mapped(
            [lines[i] for i in kept], [line_starts[i] for i in kept], origin
        )
        if preamble and not set(preamble) <= set("=- \n"):
            sections.append((guide_title, 1, preamble, pre_where))
        for n, start in enumerate(starts):
            end = starts[n + 1].index if n + 1 < len(starts) else len(lines)
            body, where = clean(start.body_start, end)
            if body:
                sections.append((start.title, start.index + 1, body, where))
    # Map every marker to the document offset of the character it followed.
    marker_at: dict[int, list[str]] = {}
    for at, marker in markers:
        if at > 0:
            marker_at.setdefault(origin[at - 1], []).append(marker)
    max_chars = int(max_context_tokens * CHARS_PER_TOKEN)
    topics: list[GuideSection] = []
    for title, heading_line, body, where in sections:
        parts = _chunk(body, max_chars)
        cursor = 0
        for i, part in enumerate(parts, start=1):
            part_where: list[int] = []
            pieces = part.split("\n\n")
            for n, piece in enumerate(pieces):
                mapped, cursor = _align(piece, body, where, cursor)
                part_where.extend(mapped)
                if n + 1 < len(pieces):
                    part_where.extend([-1, -1])
            spans = _spans_of(part, part_where, pages, line_numbers)
            citations = [
                Citation(offset=k + 1, marker=marker)
                for k, doc_offset in enumerate(part_where)
                if doc_offset >= 0 and not part[k].isspace()
                for marker in marker_at.get(doc_offset, [])
            ]
            part_title = title if len(parts) == 1 else f"{title} (parte {i}/{len(parts)})"
            topics.append(
                GuideSection(
                    title=part_title,
                    context=part,
                    modulo=modulo.strip(),
                    source=source,
                    position=len(topics),
                    line=heading_line,
                    spans=tuple(spans),
                    citations=tuple(citations),
                    references=dict(references),
                )
            )
    if not topics:
        raise IngestError(f"{label}: the guide has no text to make topics from")
    return topics


def split_guide(
    path_or_text: str | Path,
    modulo: str,
    *,
    max_context_tokens: int = DEFAULT_CONTEXT_TOKENS,
    max_mb: float | None = DEFAULT_MAX_GUIDE_MB,
) -> list[GuideSection]:
    """Split a guide into sections by headings, cutting sections longer than the context budget.

    Args:
        path_or_text: A guide file (a :class:`~pathlib.Path`, or a one-line string naming an
            existing file): ``.md``/``.txt``, or any format a :class:`DocumentReader` plugin
            reads (``.pdf``, ``.html``, ``.docx`` with ``medcards-documents``); or the guide's
            Markdown text itself.
        modulo: Study module the topics belong to.
        max_context_tokens: Budget of one topic's context in tokens (converted to characters at
            3 characters per token); use the backend's context size minus prompt and answer.
        max_mb: Refuse guide files larger than this many megabytes (``None``: no limit).

    Returns:
        The topics in guide order.

    Raises:
        IngestError: unreadable file, unsupported format, a file over the size limit, or a
            guide with no text.
    """
    if isinstance(path_or_text, Path) or (
        "\n" not in path_or_text and len(path_or_text) < 4096 and Path(path_or_text).is_file()
    ):
        path = Path(path_or_text)
        return split_document(
            read_guide(path, max_mb=max_mb),
            modulo,
            source=str(path),
            fallback_title=path.stem.replace("_", " ").strip() or "guía",
            max_context_tokens=max_context_tokens,
        )
    document = GuideDocument(text=str(path_or_text), format="markdown", lines_are_source=True)
    return split_document(document, modulo, max_context_tokens=max_context_tokens)


def save_topics(path: Path, topics: Sequence[GuideSection]) -> None:
    """Write ``topics`` to ``path`` as JSON Lines, atomically (a failed write keeps the old)."""
    atomic_write_text(Path(path), "".join(t.model_dump_json() + "\n" for t in topics))


def load_topics(path: Path) -> list[GuideSection]:
    """Read topics written by :func:`save_topics` (or ``medcards ingest``).

    Raises:
        IngestError: naming the file and line of a malformed record.
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IngestError(
            f"{path}: no such topics file (create it with `medcards ingest`)"
        ) from None
    topics = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            topics.append(GuideSection.model_validate_json(line))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = error_field(first, "(record)")
            raise IngestError(f"{path}, line {number}: {where}: {first['msg']}") from None
    return topics


__getattr__ = deprecated_aliases("medcards.ingest", {"Topic": "medcards.GuideSection"})

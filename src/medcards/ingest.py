"""Ingestion: split a guide (Markdown or plain text) into sections that cards are generated from.

A section is one topic of the guide: by default every ``##`` section of a guide whose single
``#`` heading is its title (or every ``#`` section when there are several), with its
sub-sections included. A section longer than the backend's context budget is cut, at
sub-section, paragraph and then sentence boundaries, into parts titled ``"<title> (parte i/n)"``.
Headings are read by :mod:`medcards.markdown`, the parser the extractive generator uses too.

Sections are plain :class:`GuideSection` models (formerly ``Topic``; the study database's
topics are :class:`medcards.study.Topic`); ``medcards ingest`` writes them as JSON Lines (one
per line), which :func:`load_topics` reads back and the study database imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from _sdk import atomic_write_text
from _sdk.deprecation import deprecated_aliases
from medcards.errors import MedcardsError
from medcards.markdown import Heading, find_headings, split_before_headings

__all__ = [
    "CHARS_PER_TOKEN",
    "DEFAULT_CONTEXT_TOKENS",
    "GuideSection",
    "IngestError",
    "load_topics",
    "save_topics",
    "split_guide",
]

#: Default budget of one topic's context, in tokens (leaves room for prompt and answer in 4096).
DEFAULT_CONTEXT_TOKENS = 1500
#: Characters per token assumed when converting a token budget to characters (Spanish prose
#: with medical terms runs at 3-4 characters per token on Llama-family tokenizers; 3 is safe).
CHARS_PER_TOKEN = 3.0

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÁÉÍÓÚÑ¿¡0-9])")


class IngestError(MedcardsError):
    """A guide could not be read or split; the message names the file (and line)."""


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


def _read(path: Path) -> str:
    if path.suffix.lower() not in {".md", ".markdown", ".txt"}:
        raise IngestError(f"{path}: unsupported guide format {path.suffix!r} (use .md or .txt)")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IngestError(f"{path}: no such guide file") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise IngestError(f"{path}, line {line}: not UTF-8 text ({exc.reason})") from None


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


def split_guide(
    path_or_text: str | Path,
    modulo: str,
    *,
    max_context_tokens: int = DEFAULT_CONTEXT_TOKENS,
) -> list[GuideSection]:
    """Split a guide into sections by headings, cutting sections longer than the context budget.

    Args:
        path_or_text: A ``.md``/``.txt`` file (a :class:`~pathlib.Path`, or a one-line string
            naming an existing file) or the guide's text itself.
        modulo: Study module the topics belong to.
        max_context_tokens: Budget of one topic's context in tokens (converted to characters at
            3 characters per token); use the backend's context size minus prompt and answer.

    Returns:
        The topics in guide order.

    Raises:
        IngestError: unreadable file, unsupported format, or a guide with no text.
    """
    if not modulo.strip():
        raise IngestError("modulo must not be empty")
    if max_context_tokens < 50:
        raise IngestError(f"max_context_tokens={max_context_tokens} is too small (minimum 50)")
    source: str | None = None
    if isinstance(path_or_text, Path) or (
        "\n" not in path_or_text and len(path_or_text) < 4096 and Path(path_or_text).is_file()
    ):
        path = Path(path_or_text)
        text, source = _read(path), str(path)
        fallback_title = path.stem.replace("_", " ").strip() or "guía"
    else:
        text = str(path_or_text)
        fallback_title = "guía"
    label = source or "<text>"
    lines = text.splitlines()
    headings = find_headings(lines)
    level = _topic_level(headings)
    sections: list[tuple[str, int, str]] = []  # (title, heading line, body)
    if level is None:
        body = _clean(lines)
        first = next((line.strip() for line in lines if line.strip()), "")
        title = first if 0 < len(first) <= 80 and not first.endswith(".") else fallback_title
        sections.append((title, 1, body))
    else:
        starts = [h for h in headings if h.level == level]
        guide_title = next((h.title for h in headings if h.level < level), fallback_title)
        preamble_end = starts[0].index
        heading_lines = {h.index for h in headings}
        preamble = _clean(
            line for i, line in enumerate(lines[:preamble_end]) if i not in heading_lines
        )
        if preamble and not set(preamble) <= set("=- \n"):
            sections.append((guide_title, 1, preamble))
        for n, start in enumerate(starts):
            end = starts[n + 1].index if n + 1 < len(starts) else len(lines)
            body = _clean(lines[start.body_start : end])
            if body:
                sections.append((start.title, start.index + 1, body))
    max_chars = int(max_context_tokens * CHARS_PER_TOKEN)
    topics: list[GuideSection] = []
    for title, line, body in sections:
        parts = _chunk(body, max_chars)
        for i, part in enumerate(parts, start=1):
            part_title = title if len(parts) == 1 else f"{title} (parte {i}/{len(parts)})"
            topics.append(
                GuideSection(
                    title=part_title,
                    context=part,
                    modulo=modulo.strip(),
                    source=source,
                    position=len(topics),
                    line=line,
                )
            )
    if not topics:
        raise IngestError(f"{label}: the guide has no text to make topics from")
    return topics


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
            where = ".".join(str(p) for p in first["loc"]) or "(record)"
            raise IngestError(f"{path}, line {number}: {where}: {first['msg']}") from None
    return topics


__getattr__ = deprecated_aliases("medcards.ingest", {"Topic": "medcards.GuideSection"})

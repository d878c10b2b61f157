"""Where a card's evidence is printed: page, line and section of the guide.

:func:`locate_card` takes a card and the :class:`~medcards.GuideSection` it was generated from
and sets a :class:`~medcards.SourceLocation` on every evidence quote (each
:class:`~medcards.Fact`, and the evidence of an :class:`~medcards.MCQDrill`). The quote is found
in the section's context the way grounding compares text (:func:`medcards.normalize`: case,
accents, typographic punctuation, decimal commas, and any run of whitespace, so a quote running
across a line or page break is found), then mapped back through the section's
:class:`~medcards.SourceSpan` records to the pages or lines it covers.

The quote is looked for verbatim first, then part by part around an ellipsis, then as the best
fuzzy match that grounding itself would accept (lenient level); a quote found nowhere gets a
location with the file only.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import TypeVar

from medcards.cards import BattleCard, Fact, MCQDrill, OpenDrill, Variant
from medcards.generation.grounding import normalize
from medcards.ingest import GuideSection
from medcards.markdown import find_headings
from medcards.models import SourceLocation

__all__ = ["find_quote", "locate_card", "locate_quote", "without_locations"]

#: Minimum :func:`medcards.quote_support` of a fuzzy match (grounding's lenient level).
_FUZZY_MIN = 0.80
_PART_TITLE = re.compile(r" \(parte \d+/\d+\)$")
_CAPTION = re.compile(r"^\W*((?:Tabla|Table|Cuadro)\s+[\w.-]*\w)", re.IGNORECASE)
_FACT_LISTS = (
    "definition",
    "key_facts",
    "diagnosis",
    "first_line_treatment",
    "second_line_treatment",
    "pitfalls",
    "key_points",
)

CardT = TypeVar("CardT", BattleCard, MCQDrill, OpenDrill, Variant)


def _normalized_map(text: str) -> tuple[str, list[int]]:
    """``normalize(text)`` and, for each of its characters, the index in ``text`` it came from."""
    out: list[str] = []
    origin: list[int] = []
    space = True  # drops leading whitespace, like normalize's strip()
    for i, ch in enumerate(text):
        if ch.isspace():
            if not space:
                out.append(" ")
                origin.append(i)
                space = True
            continue
        if ch == "," and 0 < i < len(text) - 1 and _digit(text[i - 1]) and _digit(text[i + 1]):
            piece = "."
        else:
            piece = normalize(ch) if not unicodedata.combining(ch) else ""
        for c in piece:
            out.append(c)
            origin.append(i)
        if piece:
            space = False
    if out and out[-1] == " ":
        out.pop()
        origin.pop()
    return "".join(out), origin


def _digit(ch: str) -> bool:
    return normalize(ch).isdigit() if ch.strip() else False


def find_quote(quote: str, context: str) -> tuple[int, int] | None:
    """Where ``quote`` occurs in ``context``, as grounding compares text.

    Args:
        quote: An evidence quote (may contain an ellipsis between parts).
        context: The text it should come from.

    Returns:
        ``(start, end)`` character offsets of ``context`` covering the quote (from the start of
        its first part to the end of its last), or ``None`` when no match reaches grounding's
        lenient level.
    """
    haystack, origin = _normalized_map(context)
    if not haystack:
        return None
    parts = [p.strip(" .;:,") for p in re.split(r"\.\.\.|\u2026", normalize(quote))]
    parts = [p for p in parts if len(p) > 3]
    if not parts:
        return None
    found: list[tuple[int, int]] = []
    cursor = 0
    for part in parts:
        at = haystack.find(part, cursor)
        if at < 0:
            at = haystack.find(part)
        if at >= 0:
            found.append((at, at + len(part)))
            cursor = at + len(part)
            continue
        window = _fuzzy_window(part, haystack)
        if window is None:
            return None
        found.append(window)
    start, end = min(a for a, _ in found), max(b for _, b in found)
    return origin[start], origin[end - 1] + 1


def _fuzzy_window(part: str, haystack: str) -> tuple[int, int] | None:
    matcher = difflib.SequenceMatcher(None, part, haystack, autojunk=False)
    best: tuple[float, int] | None = None
    for block in matcher.get_matching_blocks():
        if block.size == 0:
            continue
        start = max(0, block.b - block.a)
        window = haystack[start : start + len(part)]
        score = difflib.SequenceMatcher(None, part, window, autojunk=False).ratio()
        if best is None or score > best[0]:
            best = (score, start)
    if best is None or best[0] < _FUZZY_MIN:
        return None
    return best[1], min(len(haystack), best[1] + len(part))


def _section_title(section: GuideSection, offset: int) -> str:
    """The table caption (``Tabla 3``) of a quote in a table, else the heading above it."""
    lines = section.context.split("\n")
    line_of_offset = section.context.count("\n", 0, offset)
    if lines[line_of_offset].lstrip().startswith("|"):
        above_table = line_of_offset
        while above_table > 0 and (
            lines[above_table].lstrip().startswith("|") or not lines[above_table].strip()
        ):
            above_table -= 1
        caption = _CAPTION.match(lines[above_table])
        if caption:
            return caption.group(1)
    above = [h for h in find_headings(lines) if h.index <= line_of_offset]
    if above:
        return above[-1].title
    return _PART_TITLE.sub("", section.title)


def locate_quote(quote: str, section: GuideSection) -> SourceLocation | None:
    """Where ``quote`` is printed in the guide ``section`` came from.

    Args:
        quote: An evidence quote of a card generated from ``section``.
        section: The topic, as ``medcards ingest`` wrote it (with its source spans).

    Returns:
        The file, first and last page (PDF) or line (text guides), the heading the quote sits
        under, and the citation markers next to it (NotebookLM notes, with the source each names
        when the note lists them); ``None`` when the quote is not in the context.
    """
    where = find_quote(quote, section.context)
    if where is None:
        return None
    start, end = where
    covered = [s for s in section.spans if s.start < end and s.end > start]
    pages = [s.page for s in covered if s.page is not None]
    lines = [s.line for s in covered if s.line is not None]
    # A marker belongs to the quote when it stands inside the sentence the quote ends in, or
    # right after its full stop ("... 5 min.[2]").
    stop = re.compile(r"[.!?](?=\s|$)|\n")
    sentence_end = stop.search(section.context, max(start, end - 1))
    last = (sentence_end.end() if sentence_end else len(section.context)) + 1
    markers: list[str] = []
    for citation in section.citations:
        if start < citation.offset <= last and citation.marker not in markers:
            markers.append(citation.marker)
    citations = []
    for marker in markers:
        numbers = re.findall(r"\d+", marker)
        names = [section.references[n] for n in numbers if n in section.references]
        citations.append(f"{marker} {'; '.join(names)}" if names else marker)
    return SourceLocation(
        file=section.source,
        first_page=min(pages) if pages else None,
        last_page=max(pages) if pages else None,
        line=min(lines) if lines else None,
        section=_section_title(section, start),
        citations=tuple(citations),
    )


def _locate_fact(fact: Fact, section: GuideSection) -> Fact:
    location = locate_quote(fact.evidence, section) or SourceLocation(file=section.source)
    return fact.model_copy(update={"location": location})


def locate_card(card: CardT, section: GuideSection) -> CardT:
    """A copy of ``card`` with the location of every evidence quote set.

    Args:
        card: Any card generated from ``section`` (a BattleCard, MCQ, open drill or variant).
        section: The topic it was generated from (:func:`medcards.load_topics` reads them back
            from the file ``medcards ingest`` wrote).

    Returns:
        The same card with ``location`` set on each :class:`~medcards.Fact` and on an MCQ; a
        quote not found in the context gets a location with the file only. Nothing else of the
        card changes.
    """
    if isinstance(card, MCQDrill):
        location = locate_quote(card.evidence, section) or SourceLocation(file=section.source)
        return card.model_copy(update={"location": location})
    update = {}
    for name in _FACT_LISTS:
        facts = getattr(card, name, None)
        if facts:
            update[name] = [_locate_fact(f, section) for f in facts]
    return card.model_copy(update=update)


def without_locations(card: CardT) -> CardT:
    """A copy of ``card`` with every ``location`` unset: the card as a model writes it.

    Fine-tuning targets (:func:`medcards.render_target`) must not teach a model to write page
    numbers it cannot see; keep the location beside the example instead.
    """
    if isinstance(card, MCQDrill):
        return card.model_copy(update={"location": None})
    update = {}
    for name in _FACT_LISTS:
        facts = getattr(card, name, None)
        if facts:
            update[name] = [f.model_copy(update={"location": None}) for f in facts]
    return card.model_copy(update=update)

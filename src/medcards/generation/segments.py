"""Segmentation of a topic's context for the extractive generator (private).

The context is cut into headed sections (headings read by :mod:`medcards.markdown`), list items
and sentences; each segment is classified (definition, key facts, diagnosis, first- and
second-line treatment, pitfalls) from its heading and cue phrases. Doses and thresholds are
found with the one quantity pattern (:mod:`medcards.generation.quantities`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from medcards.generation.grounding import normalize
from medcards.generation.quantities import QUANTITY, canonical_unit
from medcards.markdown import find_headings

__all__ = [
    "Parsed",
    "Quantity",
    "Section",
    "Segment",
    "context_quotes",
    "quantities",
    "segment_context",
]

Section = Literal[
    "definition", "key_facts", "diagnosis", "first_line", "second_line", "pitfalls", "other"
]

# Heading cues, checked in this order (the first that matches wins).
_HEADING_CUES: list[tuple[Section, tuple[str, ...]]] = [
    ("second_line", ("segunda linea", "second line", "second-line", "rescate", "refractar")),
    (
        "first_line",
        (
            "primera linea",
            "first line",
            "first-line",
            "de eleccion",
            "tratamiento",
            "treatment",
            "manejo",
            "management",
        ),
    ),
    (
        "pitfalls",
        (
            "error",
            "alarma",
            "complicac",
            "precauc",
            "pitfall",
            "red flag",
            "warning",
            "diferencial",
            "differential",
        ),
    ),
    (
        "diagnosis",
        (
            "diagnost",
            "criterio",
            "gravedad",
            "escala",
            "clasificac",
            "criteria",
            "severity",
            "diagnosis",
        ),
    ),
    ("definition", ("definic", "definition", "concepto")),
]
# Sentence cues override the heading where they are explicit.
_SENTENCE_CUES: list[tuple[Section, tuple[str, ...]]] = [
    (
        "second_line",
        (
            "segunda linea",
            "second line",
            "second-line",
            "se reserva",
            "alternativa",
            "is reserved",
            "alternative",
        ),
    ),
    (
        "first_line",
        (
            "primera linea",
            "first line",
            "first-line",
            "de eleccion",
            "primera medida",
            "treatment of choice",
        ),
    ),
    (
        "pitfalls",
        (
            "no se debe",
            "evitar",
            "contraindicad",
            "riesgo de",
            "should not",
            "avoid",
            "contraindicated",
            "risk of",
        ),
    ),
]
_DEFINITION_CUES = (
    " es una ",
    " es un ",
    " es la ",
    " es el ",
    " se define",
    " is a ",
    " is an ",
    " is the ",
    " consiste",
)

_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+(.*\S)\s*$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÁÉÍÓÚÑ¿¡])")
# A blanked number must stand on its own: not after a comma, a dash or a slash (a list, a
# negative value, a ratio), not before a word character or a slash.
_NOT_BEFORE = frozenset(",-/")


@dataclass(frozen=True)
class Segment:
    """One sentence or list item of a context.

    Attributes:
        text: The sentence or item, verbatim (list marker removed).
        heading: The nearest heading above it (``""`` before any).
        section: Its class: definition, key_facts, diagnosis, first_line, second_line,
            pitfalls or other.
        list_id: Index of the list it belongs to (``None`` for prose).
        list_intro: The heading or lead-in line of its list.
        index: Position in the context.
    """

    text: str
    heading: str
    section: Section
    list_id: int | None
    list_intro: str
    index: int


@dataclass
class Quantity:
    """A number of a segment that can be blanked out: where it is, its value(s) and unit."""

    start: int
    end: int
    low: str
    high: str | None
    joiner: str | None
    unit: str

    @property
    def text(self) -> str:
        """The quantity as an MCQ option shows it: ``"0,1 U/kg/h"``, ``"1-2 L"``."""
        value = self.low if self.high is None else f"{self.low}-{self.high}"
        return f"{value} {self.unit}".strip()


@dataclass
class Parsed:
    """The segments of one context, with lookups by section and by list."""

    segments: list[Segment] = field(default_factory=list)

    def by_section(self, section: Section) -> list[Segment]:
        """The segments classified as ``section``, in order."""
        return [s for s in self.segments if s.section == section]

    def lists(self) -> dict[int, list[Segment]]:
        """The list items of each list, by list id."""
        out: dict[int, list[Segment]] = {}
        for s in self.segments:
            if s.list_id is not None:
                out.setdefault(s.list_id, []).append(s)
        return out


def _classify_heading(heading: str) -> Section:
    norm = normalize(heading)
    for section, cues in _HEADING_CUES:
        if any(cue in norm for cue in cues):
            return section
    return "other"


def _classify(text: str, heading_section: Section, first_prose: bool) -> Section:
    norm = f" {normalize(text)} "
    for section, cues in _SENTENCE_CUES:
        if any(cue in norm for cue in cues):
            return section
    if first_prose and any(cue in norm for cue in _DEFINITION_CUES):
        return "definition"
    if heading_section != "other":
        return heading_section
    if quantities(text):
        return "key_facts"
    if any(cue in norm for cue in _DEFINITION_CUES):
        return "definition"
    return "other"


def segment_context(context: str) -> list[Segment]:
    """Split ``context`` into classified sentences and list items, in order."""
    segments: list[Segment] = []
    heading = ""
    heading_section: Section = "other"
    list_id: int | None = None
    lists = 0
    last_prose = ""
    seen_prose = False

    def add(text: str, section: Section, in_list: int | None, intro: str) -> None:
        segments.append(Segment(text, heading, section, in_list, intro, len(segments)))

    lines = context.splitlines()
    headings = {h.index: h for h in find_headings(lines)}
    underlines = {h.index + 1 for h in headings.values() if h.setext}
    for number, line in enumerate(lines):
        if not line.strip() or number in underlines:
            continue
        found = headings.get(number)
        if found is not None:
            heading = found.title
            heading_section = _classify_heading(heading)
            list_id = None
            last_prose = ""
            continue
        item = _LIST_ITEM.match(line)
        if item:
            if list_id is None:
                list_id, lists = lists, lists + 1
            intro = last_prose.rstrip(":").strip() or heading
            text = item.group(1).strip()
            add(text, _classify(text, heading_section, False), list_id, intro)
            continue
        list_id = None
        for sentence in _SENTENCE_SPLIT.split(line.strip()):
            sentence = sentence.strip()
            if not sentence or sentence.startswith(">"):
                continue
            if sentence.endswith(":"):
                last_prose = sentence
                continue
            add(sentence, _classify(sentence, heading_section, not seen_prose), None, "")
            seen_prose = True
            last_prose = ""
    return segments


def context_quotes(context: str) -> list[str]:
    """The quotable sentences and list items of ``context``, verbatim, in order, without repeats.

    These are what :func:`medcards.card_json_schema` ``(kind, quotes=...)`` lets a constrained
    model choose as evidence: each is a sentence or list item of the context as written, so any
    of them passes the strictest grounding of a quote.
    """
    return list(dict.fromkeys(s.text for s in segment_context(context)))


def _stands_alone(text: str, end: int) -> bool:
    return end >= len(text) or not (text[end].isalnum() or text[end] in "_/")


def quantities(text: str) -> list[Quantity]:
    """Numbers of ``text`` (with range and unit) that can be blanked out, in order."""
    found = []
    position = 0
    while (m := QUANTITY.search(text, position)) is not None:
        if m.start() > 0 and text[m.start() - 1] in _NOT_BEFORE:
            position = m.start() + 1
            continue
        low, high, joiner = m.group("low"), m.group("high"), m.group("joiner")
        raw_unit = m.group("unit") or ""
        end = m.end()
        if not _stands_alone(text, end):  # the unit runs on: keep the number, or the range
            raw_unit = ""
            end = m.end("high") if high is not None else m.end("low")
            if not _stands_alone(text, end):
                high = joiner = None
                end = m.end("low")
        if not _stands_alone(text, end):
            position = m.start() + 1
            continue
        unit = raw_unit if (raw_unit and canonical_unit(normalize(raw_unit))) else ""
        if not unit:
            end = m.end("high") if high is not None else m.end("low")
        found.append(Quantity(m.start(), end, low, high, joiner, unit))
        position = end
    return found

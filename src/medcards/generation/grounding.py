"""Grounding checks: is every claim of a card supported by the context it was generated from?

A claim is a fact (statement + evidence quote), the correct answer of an MCQ with its evidence,
or a key point of an open drill. A claim is supported when

1. its evidence quote occurs in the context, after normalising whitespace, case, accents and
   typographic punctuation, exactly or (by strictness) with small differences;
2. every number with its unit in the statement (``0,1 U/kg/h``, ``< 200 mg/dL``, ``18 mEq/L``)
   appears in the context with the same value and unit; a bare number must appear too;
3. (``normal`` and ``strict``) most of the statement's content words occur in the evidence or
   the context, so a real quote cannot carry an invented statement.

Fuzzy matching uses :mod:`difflib` only, so scores do not depend on which optional packages
are installed.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from medcards.cards import BattleCard, Card, Fact, MCQDrill, OpenDrill, Variant
from medcards.generation.quantities import QUANTITY, canonical_unit

Strictness = Literal["lenient", "normal", "strict"]

__all__ = [
    "ClaimCheck",
    "GroundingReport",
    "Strictness",
    "canonical_unit",
    "check_card",
    "find_quantities",
    "normalize",
    "quote_support",
]


@dataclass(frozen=True)
class _Level:
    quote_threshold: float  # minimum fuzzy score of an evidence quote, 0..1
    word_coverage: float  # minimum share of content words of a statement found in the sources


_LEVELS: dict[str, _Level] = {
    "lenient": _Level(quote_threshold=0.80, word_coverage=0.0),
    "normal": _Level(quote_threshold=0.90, word_coverage=0.5),
    "strict": _Level(quote_threshold=1.00, word_coverage=0.7),
}

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2264": "<=",
        "\u2265": ">=",
        "\u00b5": "u",
        "\u03bc": "u",
    }
)


def normalize(text: str) -> str:
    """Lower-case ``text``, strip accents, unify quotes/dashes/≤≥, collapse whitespace.

    A decimal comma between digits becomes a point (``0,1`` and ``0.1`` are the same dose).
    """
    text = text.translate(_QUOTES)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"(?<=\d),(?=\d)", ".", text.casefold())
    return re.sub(r"\s+", " ", text).strip()


# -- quotes ---------------------------------------------------------------------------------


def _partial_ratio(needle: str, haystack: str) -> float:
    """Best similarity (0..1) of ``needle`` against any same-length window of ``haystack``."""
    if len(needle) > len(haystack):
        needle, haystack = haystack, needle
    matcher = difflib.SequenceMatcher(None, needle, haystack, autojunk=False)
    best = 0.0
    for block in matcher.get_matching_blocks():
        start = max(0, block.b - block.a)
        window = haystack[start : start + len(needle)]
        score = difflib.SequenceMatcher(None, needle, window, autojunk=False).ratio()
        best = max(best, score)
        if best == 1.0:
            break
    return best


def quote_support(quote: str, context: str) -> float:
    """How well ``quote`` occurs in ``context``: 1.0 verbatim (after :func:`normalize`), else 0..1.

    An ellipsis (``...``) in the quote splits it into parts that must each occur; the score is
    that of the worst part.
    """
    parts = [p for p in re.split(r"\.\.\.|\u2026", normalize(quote)) if len(p.strip()) > 3]
    if not parts:
        return 0.0
    haystack = normalize(context)
    scores = []
    for part in parts:
        part = part.strip(" .;:,")
        scores.append(1.0 if part in haystack else _partial_ratio(part, haystack))
    return min(scores)


# -- numbers and units ----------------------------------------------------------------------


def find_quantities(text: str) -> list[tuple[str, str]]:
    """Numbers with their canonical unit (``""`` when none) in ``text``, e.g. ``("0.1", "u/kg/h")``.

    A range ``1-2 L`` gives both ends with the unit.
    """
    found: list[tuple[str, str]] = []
    for match in QUANTITY.finditer(normalize(text)):
        low, high = match.group("low"), match.group("high")
        unit = canonical_unit(match.group("unit"))
        found.append((_canonical_number(low), unit))
        if high is not None:
            found.append((_canonical_number(high), unit))
    return found


def _canonical_number(value: str) -> str:
    number = float(value)
    return f"{number:g}"


def _missing_quantities(statement: str, context: str) -> list[str]:
    available = find_quantities(context)
    values = {v for v, _ in available}
    with_unit = set(available)
    missing = []
    for value, unit in find_quantities(statement):
        if value not in values or (unit and (value, unit) not in with_unit):
            missing.append(f"{value} {unit}".strip())
    return missing


# -- content words --------------------------------------------------------------------------

_STOPWORDS = set(
    [
        "para",
        "como",
        "pero",
        "sobre",
        "entre",
        "desde",
        "hasta",
        "cuando",
        "donde",
        "porque",
        "segun",
        "sera",
        "debe",
        "deben",
        "puede",
        "pueden",
        "tiene",
        "tienen",
        "este",
        "esta",
        "estos",
        "estas",
        "otro",
        "otra",
        "otros",
        "otras",
        "todo",
        "toda",
        "todos",
        "todas",
        "cada",
        "which",
        "there",
        "their",
        "about",
        "with",
        "from",
        "that",
        "this",
        "these",
        "those",
        "into",
        "than",
        "then",
        "them",
        "they",
        "have",
        "been",
        "should",
        "would",
        "could",
        "when",
        "where",
        "after",
        "before",
        "under",
        "over",
        "while",
        "also",
        "only",
        "more",
        "most",
        "less",
    ]
)


def _content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]{4,}", normalize(text)) if w not in _STOPWORDS]


def _word_coverage(statement: str, sources: str) -> float:
    words = _content_words(statement)
    if not words:
        return 1.0
    pool = set(_content_words(sources))
    # A word counts when it, or its first five letters (plural/gender variants), is in a source.
    stems = {w[:5] for w in pool}
    hits = sum(1 for w in words if w in pool or w[:5] in stems)
    return hits / len(words)


# -- report ---------------------------------------------------------------------------------


class ClaimCheck(BaseModel):
    """The grounding verdict on one claim of a card.

    Attributes:
        field: Where the claim sits in the card, e.g. ``"key_facts[2]"`` or ``"answer"``.
        statement: The claim as the student reads it.
        evidence: The quote offered as support.
        quote_score: How well the quote occurs in the context (1.0 = verbatim), 0..1.
        missing_quantities: Numbers (with unit) of the statement absent from the context.
        word_coverage: Share of the statement's content words found in evidence or context.
        problems: Why the claim is unsupported (empty when supported).
    """

    field: str
    statement: str
    evidence: str
    quote_score: float = Field(ge=0.0, le=1.0)
    missing_quantities: list[str] = Field(default_factory=list)
    word_coverage: float = Field(ge=0.0, le=1.0)
    problems: list[str] = Field(default_factory=list)

    @property
    def supported(self) -> bool:
        """Whether the claim passed every check."""
        return not self.problems


class GroundingReport(BaseModel):
    """Per-card grounding report.

    Attributes:
        card_kind: ``battlecard``, ``mcq``, ``open`` or ``variant``.
        topic: The card's topic.
        strictness: The level the card was checked at.
        claims: One :class:`ClaimCheck` per claim, in card order.
    """

    card_kind: str
    topic: str
    strictness: Strictness
    claims: list[ClaimCheck]

    @property
    def grounded(self) -> bool:
        """True when the card has claims and every one is supported."""
        return bool(self.claims) and all(c.supported for c in self.claims)

    @property
    def unsupported(self) -> list[ClaimCheck]:
        """The claims that failed."""
        return [c for c in self.claims if not c.supported]

    def reasons(self) -> list[str]:
        """One readable line per problem, naming the field (used as retry feedback)."""
        if not self.claims:
            return ["the card makes no claim that could be checked against the context"]
        return [f"{c.field}: {p}" for c in self.unsupported for p in c.problems]


def _claims(card: Card) -> Iterator[tuple[str, str, str]]:
    """``(field, statement, evidence)`` for every checkable claim of ``card``."""
    if isinstance(card, BattleCard):
        for section in (
            "definition",
            "key_facts",
            "diagnosis",
            "first_line_treatment",
            "second_line_treatment",
            "pitfalls",
        ):
            facts: list[Fact] = getattr(card, section)
            for i, fact in enumerate(facts):
                yield f"{section}[{i}]", fact.text, fact.evidence
    elif isinstance(card, MCQDrill):
        # Distractors are wrong on purpose and the vignette is a made-up patient; the answer and
        # its explanation are what must come from the guide.
        yield "answer", card.answer, card.evidence
        yield "explanation", card.explanation, card.evidence
    elif isinstance(card, OpenDrill | Variant):
        for i, fact in enumerate(card.key_points):
            yield f"key_points[{i}]", fact.text, fact.evidence


def check_card(card: Card, context: str, strictness: Strictness = "normal") -> GroundingReport:
    """Check every claim of ``card`` against ``context``.

    Args:
        card: Any card.
        context: The source text the card was generated from.
        strictness: ``"lenient"`` (quotes ≥ 80 % similar, numbers must appear), ``"normal"``
            (≥ 90 %, and half the statement's content words found in evidence or context) or
            ``"strict"`` (verbatim quotes after normalisation, 70 % of the content words). At
            ``normal`` and ``strict`` a statement must also share a content word with its own
            evidence, so a true sentence paired with a quote about something else fails.

    Returns:
        A :class:`GroundingReport`; ``report.grounded`` is the verdict.
    """
    if strictness not in _LEVELS:
        raise ValueError(f"strictness must be one of {sorted(_LEVELS)}, got {strictness!r}")
    level = _LEVELS[strictness]
    checks = []
    for field, statement, evidence in _claims(card):
        problems = []
        score = quote_support(evidence, context)
        if score < level.quote_threshold:
            problems.append(
                f"evidence not found in the context (best match {score:.0%}): {evidence[:80]!r}"
            )
        missing = _missing_quantities(statement, context)
        if missing:
            problems.append(f"numbers not in the context: {', '.join(missing)}")
        coverage = _word_coverage(statement, evidence + " " + context)
        if coverage < level.word_coverage:
            problems.append(
                f"statement not supported by its evidence ({coverage:.0%} of its words found)"
            )
        elif level.word_coverage > 0 and _word_coverage(statement, evidence) == 0.0:
            problems.append("statement shares no word with its evidence: the quote is not about it")
        checks.append(
            ClaimCheck(
                field=field,
                statement=statement,
                evidence=evidence,
                quote_score=round(min(max(score, 0.0), 1.0), 4),
                missing_quantities=missing,
                word_coverage=round(coverage, 4),
                problems=problems,
            )
        )
    return GroundingReport(
        card_kind=card.kind, topic=card.topic, strictness=strictness, claims=checks
    )

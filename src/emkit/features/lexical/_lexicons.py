"""Loading and matching the lexicons shipped in :mod:`emkit.features.lexical` (package data)."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field
from importlib import resources

#: Symptom categories of ``symptoms.tsv``, in column order.
SYMPTOM_CATEGORIES: tuple[str, ...] = (
    "fatigue",
    "pain",
    "sensory",
    "vision",
    "mobility",
    "cognition",
    "mood",
)


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents, so "Cansadísima" matches "cansadisima"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass
class TermSet:
    """Exact terms plus prefixes (terms written with a trailing ``*``), both folded."""

    exact: set[str] = field(default_factory=set)
    prefixes: tuple[str, ...] = ()

    def add(self, term: str) -> None:
        """Add ``term`` (``word`` or ``prefix*``)."""
        term = fold(term.strip())
        if term.endswith("*"):
            self.prefixes = (*self.prefixes, term[:-1])
        else:
            self.exact.add(term)

    def __contains__(self, word: object) -> bool:
        """Whether folded ``word`` is a term or starts with a prefix."""
        return isinstance(word, str) and (word in self.exact or word.startswith(self.prefixes))


@dataclass
class Polarities:
    """Polarity in ``[-1, 1]`` of exact terms and of prefixes (longest prefix wins)."""

    exact: dict[str, float] = field(default_factory=dict)
    prefixes: list[tuple[str, float]] = field(default_factory=list)

    def add(self, term: str, value: float) -> None:
        """Add ``term`` with ``value``."""
        term = fold(term.strip())
        if term.endswith("*"):
            self.prefixes.append((term[:-1], value))
            self.prefixes.sort(key=lambda kv: -len(kv[0]))
        else:
            self.exact[term] = value

    def get(self, word: str) -> float | None:
        """Polarity of folded ``word``, or ``None`` when the lexicon does not know it."""
        if word in self.exact:
            return self.exact[word]
        for prefix, value in self.prefixes:
            if word.startswith(prefix):
                return value
        return None


@dataclass
class Lexicon:
    """Every word list the lexical extractor uses for one language."""

    language: str
    sentiment: Polarities
    symptoms: dict[str, TermSet]
    first_person: TermSet
    negations: TermSet
    vocabulary: set[str]


def _rows(name: str) -> list[list[str]]:
    text = (
        resources.files("emkit.features.lexical").joinpath("data", name).read_text(encoding="utf-8")
    )
    return [line.split("\t") for line in text.splitlines() if line.strip()]


@functools.cache
def emoji_polarities() -> dict[str, float]:
    """Emoji → polarity in ``[-1, 1]`` (variation selectors stripped from the keys)."""
    return {row[0].replace("\ufe0f", ""): float(row[1]) for row in _rows("emoji.tsv")}


@functools.cache
def load_lexicon(language: str) -> Lexicon:
    """The shipped lexicon of ``language`` (``"es"`` or ``"en"``)."""
    sentiment = Polarities()
    for term, value in _rows(f"sentiment_{language}.tsv"):
        sentiment.add(term, float(value))
    symptoms = {category: TermSet() for category in SYMPTOM_CATEGORIES}
    for category, lang, term in _rows("symptoms.tsv"):
        if lang == language:
            symptoms[category].add(term)
    first_person, negations = TermSet(), TermSet()
    for kind, lang, term in _rows("function_words.tsv"):
        if lang == language:
            (first_person if kind == "first_person" else negations).add(term)
    vocabulary = {fold(w) for (w, *_) in _rows(f"vocabulary_{language}.txt")}
    vocabulary |= sentiment.exact.keys() | first_person.exact | negations.exact
    for terms in symptoms.values():
        vocabulary |= terms.exact
    return Lexicon(language, sentiment, symptoms, first_person, negations, vocabulary)

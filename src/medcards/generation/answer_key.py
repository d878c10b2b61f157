"""Answer-key checks of multiple-choice drills: is the key right, and are the options fair?

Schema validation says a drill has 4-5 options and one ``answer_index``; it cannot say whether
the key is the option the evidence states, whether two options say the same thing, or whether a
dose is offered among drug names. :func:`check_answer_key` checks one drill:

1. **the key is supported by its evidence**: every number of the key, with its unit, is in the
   evidence quote (``0,1 U/kg/h`` = ``0.1 U/kg/hr``), and at least half of the key's content
   words (by their first five letters) are in it;
2. **no two options are equal or equivalent**: same text after :func:`~medcards.normalize` and
   without punctuation or articles, or the same numbers in the same units (``1 g`` =
   ``1000 mg``, ``8 h`` = ``480 min``) with the same words around them;
3. **distractors are of the key's type**: a quantity of the same dimension (a dose in mg is
   offered against other masses, a threshold in mg/dL against other mass concentrations), a
   bare number against bare numbers; a drug against drugs and a text (a procedure, a next
   step, a diagnosis) against texts, where at most half of the distractors may be of the other
   of these two kinds (a "next step" may weigh a drug against a procedure, but the key must not
   be the odd one out).

:func:`check_deck_keys` looks at a whole deck: the share of drills whose key is the longest
option, and whether the keys are spread over the positions (a chi-square test against the
uniform spread). Both are reported by ``medcards generate``.

Drugs are recognised by their international non-proprietary name stems (``-cilina``,
``-floxacino``, ``-azepam``, ``cef-``...), in Spanish and English spelling: a heuristic that
covers the drug classes of the sample guides and most others, and errs on the side of "text".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from medcards.cards import Card, MCQDrill
from medcards.generation.grounding import normalize
from medcards.generation.quantities import QUANTITY, canonical_unit

__all__ = [
    "AnswerKeyReport",
    "DeckKeyReport",
    "check_answer_key",
    "check_deck_keys",
    "option_kind",
    "options_equivalent",
]

#: A deck smaller than this is too small for the deck checks to mean anything.
DECK_MIN_CARDS = 8
#: Largest share of drills whose key is the strictly longest option.
LONGEST_KEY_MAX_SHARE = 0.5
#: Smallest p-value of the chi-square test of key positions before the spread counts as biased.
POSITION_MIN_P_VALUE = 0.01
#: Smallest share of the key's content words that must be in its evidence.
KEY_WORDS_IN_EVIDENCE = 0.5

# Dimension of each canonical unit, and its factor to the dimension's base unit.
_UNITS: dict[str, tuple[str, float]] = {
    "ng": ("mass", 1e-9),
    "ug": ("mass", 1e-6),
    "mg": ("mass", 1e-3),
    "g": ("mass", 1.0),
    "kg": ("mass", 1e3),
    "ml": ("volume", 1e-3),
    "dl": ("volume", 0.1),
    "l": ("volume", 1.0),
    "s": ("time", 1.0),
    "seg": ("time", 1.0),
    "min": ("time", 60.0),
    "h": ("time", 3600.0),
    "d": ("time", 86400.0),
    "sem": ("time", 604800.0),
    "mes": ("time", 2629800.0),
    "a": ("time", 31557600.0),
    "meq": ("amount", 1.0),
    "mmol": ("amount", 1.0),
    "mol": ("amount", 1e3),
    "mosm": ("osmoles", 1.0),
    "u": ("units", 1.0),
    "mu": ("units", 1e-3),
    "mmhg": ("pressure", 1.0),
    "lpm": ("rate", 1.0),
    "rpm": ("rate", 1.0),
    "mm": ("length", 1e-3),
    "cm": ("length", 1e-2),
    "m": ("length", 1.0),
    "c": ("temperature", 1.0),
    "%": ("percent", 1.0),
    "x": ("factor", 1.0),
    "veces": ("factor", 1.0),
    "times": ("factor", 1.0),
    "kcal": ("energy", 1.0),
}

# International non-proprietary name stems (Spanish and English spellings), plus a few drugs
# whose names carry no stem. Checked against each word of an option.
_DRUG_SUFFIXES = (
    "cilina",
    "cillin",
    "micina",
    "mycin",
    "floxacino",
    "floxacina",
    "floxacin",
    "ciclina",
    "cycline",
    "penem",
    "bactam",
    "azol",
    "azole",
    "prazol",
    "pril",
    "sartan",
    "olol",
    "alol",
    "dipino",
    "dipine",
    "parina",
    "parin",
    "statina",
    "statin",
    "tidina",
    "tidine",
    "azepam",
    "azolam",
    "zepam",
    "zolam",
    "racetam",
    "toina",
    "toin",
    "semida",
    "semide",
    "tiazida",
    "thiazide",
    "metasona",
    "methasone",
    "nisona",
    "nisone",
    "nisolona",
    "nisolone",
    "cortisona",
    "cortisone",
    "butamol",
    "buterol",
    "terol",
    "tropio",
    "tropium",
    "tropina",
    "tropine",
    "ciclovir",
    "clovir",
    "mivir",
    "mab",
    "tinib",
    "teplasa",
    "teplase",
    "quinasa",
    "kinase",
    "darona",
    "darone",
    "goxina",
    "goxin",
    "fentanilo",
    "fentanyl",
    "morfina",
    "morphine",
    "ketamina",
    "ketamine",
    "propofol",
    "grel",
    "formina",
    "formin",
    "tiroxina",
    "thyroxine",
    "setron",
    "pramida",
    "pramide",
    "profeno",
    "profen",
    "tamol",
    "amadol",
    "furantoina",
    "furantoin",
    "alazina",
    "alazine",
    "zenilo",
    "zenil",
    "loxona",
    "loxone",
    "diacepina",
    "diazepine",
    "valproico",
    "valproic",
    "valproate",
    "insulina",
    "insulin",
    "adrenalina",
    "adrenaline",
    "epinefrina",
    "epinephrine",
    "glucagon",
    "gluconato",
    "gluconate",
    "sulfato",
    "sulfate",
    "bicarbonato",
    "bicarbonate",
    "pamilo",
    "pamil",
    "ainida",
    "ainide",
    "iramina",
    "iramine",
    "tiazem",
    "xaban",
    "gatran",
    "steina",
    "steine",
    "kinra",
    "stat",
    "colchicina",
    "colchicine",
    "purinol",
    "proxeno",
    "proxen",
    "quina",
    "quine",
    "sonida",
    "sonide",
)
_DRUG_PREFIXES = ("cef", "ceph")
_ARTICLES = frozenset({"el", "la", "los", "las", "un", "una", "unos", "unas", "the", "a", "an"})
_WORD = re.compile(r"[a-z]+")

OptionKind = Literal["quantity", "number", "drug", "text"]


def _head_unit(unit: str) -> tuple[str, float]:
    """Dimension and factor to the base unit of a canonical unit's first part (``mg/kg``: mg).

    ``("", 1.0)`` for no unit or an unknown one.
    """
    head = unit.split("/")[0] if unit else ""
    return _UNITS.get(head, ("", 1.0)) if head else ("", 1.0)


def _quantities(text: str) -> list[tuple[float, str, str]]:
    """``(value in base units, dimension, canonical unit)`` of every number in ``text``."""
    found = []
    for match in QUANTITY.finditer(normalize(text)):
        unit = canonical_unit(match.group("unit"))
        dimension, factor = _head_unit(unit)
        per = "/".join(_UNITS.get(p, (p, 1.0))[0] for p in unit.split("/")[1:])
        dimension = f"{dimension}/{per}" if per else dimension
        for group in ("low", "high"):
            value = match.group(group)
            if value is not None:
                found.append((round(float(value) * factor, 12), dimension, unit))
    return found


def _shown(value: float, unit: str) -> str:
    """A value of :func:`_quantities` (in base units) written back in its own ``unit``."""
    factor = _head_unit(unit)[1]
    return f"{round(value / factor, 9):g}{' ' + unit if unit else ''}"


def _words(text: str) -> list[str]:
    """Words of ``text`` without numbers, units, articles and punctuation."""
    without_numbers = QUANTITY.sub(" ", normalize(text))
    return [w for w in _WORD.findall(without_numbers) if w not in _ARTICLES]


def _content_stems(text: str) -> set[str]:
    """First five letters of each word of four letters or more (``oral`` stays ``oral``)."""
    return {w[:5] for w in _words(text) if len(w) >= 4}


def _stem_found(stem: str, pool: set[str]) -> bool:
    # A four-letter word ("oral") matches the four-letter start of a longer one ("orales").
    return stem in pool or (len(stem) == 4 and any(p.startswith(stem) for p in pool))


def _is_drug_word(word: str) -> bool:
    if len(word) < 5:
        return False
    return word.endswith(_DRUG_SUFFIXES) or (word.startswith(_DRUG_PREFIXES) and len(word) >= 8)


def option_kind(option: str) -> tuple[OptionKind, str]:
    """What an option is: ``("quantity", dimension)``, ``("number", "")``, ``("drug", "")``...

    An option is a ``"drug"`` when one of its words carries a drug-name stem (``"Amoxicilina
    oral 1 g"`` too). Otherwise it is a quantity when it is mostly numbers (at most two other
    words, as in ``"1 g cada 8 horas"``), with the dimension of its first number (``"mass"``,
    ``"mass/volume"``, ``"units/mass/time"``), or a ``"number"`` when that has no unit; else a
    ``"text"``.
    """
    quantities = _quantities(option)
    words = _words(option)
    if any(_is_drug_word(w) for w in words):
        return "drug", ""
    if quantities and len([w for w in words if len(w) > 1]) <= 2:
        _, dimension, _ = quantities[0]
        return ("quantity", dimension) if dimension else ("number", "")
    return "text", ""


def options_equivalent(first: str, second: str) -> bool:
    """Whether two options say the same thing (see the module docstring, check 2)."""
    a, b = normalize(first), normalize(second)
    if a == b:
        return True
    if _words(first) == _words(second) and not _quantities(first) and not _quantities(second):
        return True
    qa, qb = _quantities(first), _quantities(second)
    if not qa or not qb:
        return False
    same_numbers = sorted((v, d) for v, d, _ in qa) == sorted((v, d) for v, d, _ in qb)
    return same_numbers and _words(first) == _words(second)


class AnswerKeyReport(BaseModel):
    """The answer-key verdict on one multiple-choice drill.

    Attributes:
        key: The text of the option marked correct.
        key_kind: What the key is: ``quantity:<dimension>``, ``number``, ``drug`` or ``text``.
        problems: Why the key or the options are wrong (empty when the drill passes); each
            names the option it is about.
    """

    key: str
    key_kind: str
    problems: list[str] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether the drill passed every check."""
        return not self.problems

    def reasons(self) -> list[str]:
        """One readable line per problem, prefixed ``answer key:`` (used as retry feedback)."""
        return [f"answer key: {p}" for p in self.problems]


def _kind_label(kind: tuple[OptionKind, str]) -> str:
    return f"{kind[0]}:{kind[1]}" if kind[1] else kind[0]


def _kind_problems(card: MCQDrill, key_kind: tuple[OptionKind, str]) -> list[str]:
    """Distractors of another kind than the key's (check 3)."""
    problems = []
    others = []
    for i, option in enumerate(card.options):
        if i == card.answer_index:
            continue
        kind = option_kind(option)
        numeric = key_kind[0] in ("quantity", "number")
        if (numeric and kind != key_kind) or (not numeric and kind[0] in ("quantity", "number")):
            problems.append(
                f"option {i} {option!r} is a {_kind_label(kind)} but the key is a "
                f"{_kind_label(key_kind)}"
            )
        elif not numeric and kind[0] != key_kind[0]:
            others.append(i)
    # Drugs and texts (a procedure, a next step) may be mixed, but the key must not be the odd
    # one out: a drug among mostly other actions, or an action among mostly drugs.
    if 2 * len(others) > len(card.options) - 1:
        problems.append(
            f"the key is a {key_kind[0]} but most distractors are not (options "
            f"{', '.join(map(str, others))}): the key stands out"
        )
    return problems


def check_answer_key(card: MCQDrill) -> AnswerKeyReport:
    """Check the key and the options of one drill (any generator's, or a hand-written one).

    Args:
        card: The drill.

    Returns:
        An :class:`AnswerKeyReport`; ``report.passed`` is the verdict and ``report.reasons()``
        the lines a rejection lists.
    """
    key = card.answer
    key_kind = option_kind(key)
    problems: list[str] = []
    # 1. The key is what the evidence says.
    evidence_quantities = _quantities(card.evidence)
    with_unit = {(v, d) for v, d, _ in evidence_quantities}
    values = {v for v, _, _ in evidence_quantities}
    for value, dimension, unit in _quantities(key):
        found = (value, dimension) in with_unit if dimension else value in values
        if not found:
            problems.append(
                f"the key {key!r} says {_shown(value, unit)}, which its evidence does not"
            )
    stems = _content_stems(key)
    if stems:
        evidence_stems = _content_stems(card.evidence)
        share = sum(_stem_found(stem, evidence_stems) for stem in stems) / len(stems)
        if share < KEY_WORDS_IN_EVIDENCE:
            problems.append(
                f"the key {key!r} is not in its evidence ({share:.0%} of its words found)"
            )
    elif not _quantities(key) and normalize(key) not in normalize(card.evidence):
        problems.append(f"the key {key!r} is not in its evidence")
    # 2. No two options are the same.
    for i, first in enumerate(card.options):
        for j in range(i + 1, len(card.options)):
            if options_equivalent(first, card.options[j]):
                problems.append(
                    f"options {i} and {j} are equivalent ({first!r} / {card.options[j]!r})"
                )
    # 3. Distractors are of the key's kind.
    problems += _kind_problems(card, key_kind)
    return AnswerKeyReport(key=key, key_kind=_kind_label(key_kind), problems=problems)


class DeckKeyReport(BaseModel):
    """Where the keys of a deck's drills sit, and whether that gives them away.

    Attributes:
        mcq_count: Drills in the deck (other cards are ignored).
        positions: How many keys sit at each option position (A, B, C, D, E).
        longest_key_share: Share of drills whose key is the strictly longest option (0..1);
            about 1/4 is what chance gives with 4 options.
        position_p_value: p-value of a chi-square test that the keys are spread uniformly over
            each drill's positions (1.0 when there are no drills).
        failed_cards: Drills that fail :func:`check_answer_key`.
        problems: What is wrong with the deck as a whole (empty when fine, or when the deck has
            fewer than :data:`DECK_MIN_CARDS` drills).
    """

    mcq_count: int = Field(ge=0)
    positions: list[int]
    longest_key_share: float = Field(ge=0.0, le=1.0)
    position_p_value: float = Field(ge=0.0, le=1.0)
    failed_cards: int = Field(default=0, ge=0)
    problems: list[str] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether the deck shows no key bias."""
        return not self.problems

    def summary(self) -> str:
        """One line: drills, key positions, longest-key share, p-value, failures."""
        spread = " ".join(f"{'ABCDE'[i]}={n}" for i, n in enumerate(self.positions))
        return (
            f"{self.mcq_count} MCQ(s); keys at {spread}; key longest in "
            f"{self.longest_key_share:.0%}; positions p={self.position_p_value:.3f}; "
            f"{self.failed_cards} failing the answer-key checks"
        )


def _upper_gamma_regularized(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a): the chi-square survival function is Q(dof / 2, chi2 / 2)."""
    if x <= 0:
        return 1.0
    if x < a + 1:  # series for P(a, x)
        term = total = 1.0 / a
        n = a
        for _ in range(500):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(-x + a * math.log(x) - math.lgamma(a)))
    # Continued fraction for Q(a, x) (modified Lentz).
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 500):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return min(1.0, math.exp(-x + a * math.log(x) - math.lgamma(a)) * h)


def check_deck_keys(cards: Iterable[Card]) -> DeckKeyReport:
    """Key position spread and longest-key share over the drills of ``cards``.

    A deck of at least :data:`DECK_MIN_CARDS` drills has a problem when the key is the strictly
    longest option in more than :data:`LONGEST_KEY_MAX_SHARE` of them, or when the chi-square
    test of uniform key positions gives p < :data:`POSITION_MIN_P_VALUE`.
    """
    drills: Sequence[MCQDrill] = [c for c in cards if isinstance(c, MCQDrill)]
    positions = [0] * 5
    expected = [0.0] * 5
    longest = 0
    failed = 0
    for card in drills:
        positions[card.answer_index] += 1
        for j in range(len(card.options)):
            expected[j] += 1 / len(card.options)
        lengths = [len(o) for o in card.options]
        key_length = lengths[card.answer_index]
        if all(key_length > n for i, n in enumerate(lengths) if i != card.answer_index):
            longest += 1
        failed += not check_answer_key(card).passed
    used = [j for j in range(5) if expected[j] > 0]
    chi2 = sum((positions[j] - expected[j]) ** 2 / expected[j] for j in used)
    p_value = _upper_gamma_regularized((len(used) - 1) / 2, chi2 / 2) if len(used) > 1 else 1.0
    share = longest / len(drills) if drills else 0.0
    problems = []
    if len(drills) >= DECK_MIN_CARDS:
        if share > LONGEST_KEY_MAX_SHARE:
            problems.append(
                f"the key is the longest option in {share:.0%} of the drills "
                f"(more than {LONGEST_KEY_MAX_SHARE:.0%})"
            )
        if p_value < POSITION_MIN_P_VALUE:
            spread = ", ".join(f"{'ABCDE'[j]}: {positions[j]}" for j in used)
            problems.append(f"the keys cluster on some positions ({spread}; p={p_value:.4f})")
    return DeckKeyReport(
        mcq_count=len(drills),
        positions=positions[: max(used) + 1] if used else [],
        longest_key_share=round(share, 4),
        position_p_value=round(min(max(p_value, 0.0), 1.0), 6),
        failed_cards=failed,
        problems=problems,
    )

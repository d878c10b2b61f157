"""Clinical-case MCQs from a guide's structure (private): the extractive generator's Level 1.

A case is built from what the guide says, not from blanks in its sentences. The context is read
into *decision items*:

- **doses**: a drug and its dose (``Se administra lorazepam intravenoso a 0,1 mg/kg``), found
  as a dose quantity (mass, units, volume per kg, per time...) and the drug phrase before it;
- **thresholds**: a value behind a comparator (``Glucemia mayor de 250 mg/dL``, ``Si el potasio
  es menor de 3,3 mEq/L se retrasa la insulina``, ``CURB-65 de 3 o más``), with the variable it
  is about and the decision it leads to (the rest of the sentence, or the list it belongs to);
- **treatment choices**: a drug given in a named situation (``Si no hay acceso venoso se
  administra midazolam``), with the situation from the sentence's leading clause;
- **contraindications**: ``El ácido valproico está contraindicado en la insuficiencia hepática``.

Each item becomes a patient (findings taken from the guide's criteria lists), a decision
question and options of the key's own kind taken from the guide's sibling items: the doses of
the other drugs, the other values of the same unit (first those about the same variable), the
drugs of the other situations and lines. Only when the guide has too few siblings are the
options completed with neighbouring values on a clinical rounding grid (``250`` -> ``200``,
``300``; ``0,1`` -> ``0,08``, ``0,15``; a pH ``7,30`` -> ``7,25``, ``7,35``; a score ``3`` ->
``2``, ``4``), never with tenfold or absurd values. Every case is then checked for grounding
and with :func:`medcards.check_answer_key` by the generator; a case that fails is dropped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from medcards.generation.answer_key import option_kind, options_equivalent
from medcards.generation.grounding import normalize
from medcards.generation.quantities import canonical_unit
from medcards.generation.segments import Parsed, Quantity, Segment, quantities

__all__ = ["CaseDraft", "clinical_cases", "value_options"]

# Dimensions (of the first part of a canonical unit) that a dose is written in.
_DOSE_HEADS = frozenset({"mg", "g", "ug", "ng", "u", "mu", "ml", "l", "meq", "mmol"})
# Per-parts that make a unit a concentration (a lab value), not a dose.
_CONCENTRATION_PER = frozenset({"dl", "l", "ml", "mm3", "ul"})

_COMPARATOR_BEFORE = re.compile(
    r"(?P<cmp>(?:mayor|menor|superior|inferior)(?:es)?\s+(?:o\s+igual\s+)?(?:de|que|a|al|del)"
    r"|m[aá]s\s+de|menos\s+de|por\s+encima\s+de|por\s+debajo\s+de|baja\s+de|supera(?:n)?"
    r"|greater\s+than|less\s+than|more\s+than|above|below|over|under"
    r"|>=?|<=?|≥|≤)\s*(?:el|la|los|las|del|the)?\s*$",
    re.IGNORECASE,
)
_COMPARATOR_AFTER = re.compile(r"^\s*(?P<cmp>o\s+m[aá]s|o\s+menos|or\s+more|or\s+less)\b", re.I)
_NOT_A_THRESHOLD = re.compile(r"(m[aá]xim[oa]|maximum|max\.?)\s+(?:de\s+)?$", re.IGNORECASE)
_VARIABLE_SPLIT = re.compile(
    r",|;|:|\b(?:si|cuando|con|y|se|es|son|sea|est[aá]|if|when|with|and|is|are)\b", re.IGNORECASE
)
_LEADING_WORDS = re.compile(r"^(?:(?:el|la|los|las|un|una|the|a|an|en|de|o|or)\s+)+", re.I)
_TRAILING_WORDS = re.compile(r"(?:\s+(?:de|del|of|una|un|a|al|en|con|es|the))+\s*$", re.I)
_CONDITION = re.compile(
    r"^(?P<lead>Si|Cuando|En|Tras|Antes\s+de|Ante|If|When|In|After|Before)\s+(?P<cond>.+?)"
    r"\s+(?:se|we|give|start)\s+\w+",
    re.IGNORECASE,
)
# Verbs after which a drug is named: "se administra lorazepam", "se trata con labetalol".
_GIVE = re.compile(
    r"\b(?:se\s+(?:administra|administran|utiliza|utilizan|usa|usan|inicia|añade|combina|"
    r"pauta|indica|mantiene|trata\s+con|da)|recibe\s+una\s+dosis\s+(?:única\s+)?de|"
    r"(?:give|start|use|add)s?)\s+",
    re.IGNORECASE,
)
_SUBJECT_VERB = re.compile(
    r"\s+se\s+(?:administra|administran|utiliza|usa|inicia|pauta|da)$|"
    r"\s+(?:is|are)\s+(?:given|started)$",
    re.IGNORECASE,
)
_DOSE_LEADIN = re.compile(
    r"(?:\s+(?:a|al|de|en|con|una|un|dosis|perfusi[oó]n|bolo|at|of|in|dose))+\s*$", re.IGNORECASE
)
_QUANTITY_TAIL = re.compile(r"^\S+(?:\s*(?:-|a|to)\s*\S+)?(?:\s+[^\s\d]+)?")
_BOUNDARY = re.compile(r",|;|:|\s+con\s+|\s+y\s+|\s+with\s+|\s+and\s+", re.IGNORECASE)
_NOT_DRUG_START = frozenset(
    {
        "se",
        "seguida",
        "seguido",
        "despues",
        "luego",
        "maximo",
        "hasta",
        "dosis",
        "perfusion",
        "bolo",
        "tratamiento",
        "un",
        "una",
        "velocidad",
        "ritmo",
        "then",
        "followed",
        "maximum",
        "dose",
        "treatment",
        "a",
        "an",
    }
)
_CONTRAINDICATED = re.compile(
    r"^(?:(?:El|La|Los|Las|The)\s+)?(?P<drug>.+?)\s+(?:est[aá]n?|is|are)\s+"
    r"(?:contraindicad[oa]s?|contraindicated)\s+(?:en|durante|con|in|during|with)\s+"
    r"(?P<cond>.+?)\.?$",
    re.IGNORECASE,
)
_TRAILING_CLAUSE = re.compile(
    r"(?:\s+(?:si|cuando|con|y|se|es|son|sea|est[aá]|if|when|with|and|is|are|el|la|los|las|"
    r"un|una|de|del|a|an|the))+"
    r"\s*$",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"^(?:el|la|los|las|the)\s+", re.IGNORECASE)
_SINGULAR = {
    "hora": "horas",
    "minuto": "minutos",
    "día": "días",
    "dia": "dias",
    "semana": "semanas",
    "mes": "meses",
    "año": "años",
    "hour": "hours",
    "day": "days",
    "week": "weeks",
}
_NICE = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 8.0)


@dataclass(frozen=True)
class CaseDraft:
    """A clinical case before its options are shuffled.

    Attributes:
        kind: What is decided: ``dose``, ``threshold``, ``drug`` or ``contraindication``.
        vignette: The patient.
        question: The decision question.
        key: The correct option.
        distractors: The wrong options, best first.
        evidence: The guide's sentence the key comes from, verbatim.
        salt: A number that differs between cases of one context (for seeded shuffling).
    """

    kind: str
    vignette: str
    question: str
    key: str
    distractors: tuple[str, ...]
    evidence: str
    salt: int


@dataclass(frozen=True)
class _Dose:
    segment: Segment
    quantity: Quantity
    drug: str
    unit: str


@dataclass(frozen=True)
class _Threshold:
    segment: Segment
    quantity: Quantity
    variable: str
    comparator: str
    after: bool  # the comparator follows the value ("3 o más")
    decision: str


@dataclass(frozen=True)
class _Choice:
    segment: Segment
    drug: str
    condition: str | None


# -- reading the guide ------------------------------------------------------------------------


def _unit_parts(quantity: Quantity) -> list[str]:
    return canonical_unit(normalize(quantity.unit)).split("/") if quantity.unit else []


def _is_dose_unit(quantity: Quantity) -> bool:
    parts = _unit_parts(quantity)
    if not parts or parts[0] not in _DOSE_HEADS:
        return False
    return not (len(parts) == 2 and parts[1] in _CONCENTRATION_PER)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _lower_first(text: str) -> str:
    if len(text) > 1 and not text[1].islower():  # an acronym or a prefix: "CURB-65", "N-acetil"
        return text
    return text[:1].lower() + text[1:]


def _clean_drug(phrase: str) -> str | None:
    phrase = phrase.strip(" ,;:.")
    phrase = re.sub(r"\s+al\s+\d.*$", "", phrase)  # "suero salino al 0,9 %" -> "suero salino"
    phrase = _ARTICLE.sub("", phrase).strip()
    words = phrase.split()
    if not words or len(words) > 6 or any(ch.isdigit() for ch in phrase):
        return None
    if normalize(words[0]) in _NOT_DRUG_START:
        return None
    return phrase


def _drug_before(text: str, start: int) -> str | None:
    """The drug phrase a dose at ``start`` belongs to, or ``None``."""
    before = _DOSE_LEADIN.sub("", text[:start].rstrip())
    if _NOT_A_THRESHOLD.search(text[:start]) or _COMPARATOR_BEFORE.search(text[:start]):
        return None
    after = _QUANTITY_TAIL.sub("", text[start:], count=1)
    if _COMPARATOR_AFTER.match(after):  # "Proteinuria de 300 mg o más": a threshold
        return None
    subject = _SUBJECT_VERB.search(before)
    if subject is not None:  # "El levetiracetam intravenoso se administra a 60 mg/kg"
        head = before[: subject.start()]
        head = _BOUNDARY.split(head)[-1]
        articles = list(re.finditer(r"\b(?:el|la|los|las|the)\s+", head, re.IGNORECASE))
        return _clean_drug(head[articles[-1].end() :] if articles else head)
    gives = list(_GIVE.finditer(before))
    tail = before[gives[-1].end() :] if gives else before
    tail = _BOUNDARY.split(tail)[-1]
    return _clean_drug(tail)


def _doses(parsed: Parsed) -> list[_Dose]:
    found = []
    for segment in parsed.segments:
        for quantity in quantities(segment.text):
            if quantity.unit and _is_dose_unit(quantity):
                drug = _drug_before(segment.text, quantity.start)
                if drug is not None:
                    unit = canonical_unit(normalize(quantity.unit))
                    found.append(_Dose(segment, quantity, drug, unit))
    return found


_COPULA = re.compile(r"\s(?:es|son|sea|sean|est[aá]|est[aá]n|is|are)\s*$", re.IGNORECASE)
_CLAUSE_SPLIT = re.compile(r",|;|:|\b(?:si|cuando|y|se|if|when|and)\b", re.IGNORECASE)
_TRAILING_VERBS = re.compile(
    r"(?:\s+(?:fue|hace|dura|duran|lleva|llevan|tiene|tienen|presenta|persiste|mide|was|has))+"
    r"\s*$",
    re.IGNORECASE,
)


def _variable(before: str) -> str | None:
    """What a threshold is about: the noun phrase before its comparator."""
    copula = _COPULA.search(before)
    if copula is not None:  # "Si el potasio es menor de": the subject of "es"
        chunks = [c.strip() for c in _CLAUSE_SPLIT.split(before[: copula.start()]) if c]
    else:
        chunks = [c.strip() for c in _VARIABLE_SPLIT.split(before) if c]
    chunks = [c for c in chunks if c]
    if not chunks:
        return None
    variable = _TRAILING_VERBS.sub("", _TRAILING_WORDS.sub("", " " + chunks[-1]))
    variable = _LEADING_WORDS.sub("", variable.strip()).strip(" ,.")
    if not re.search(r"[^\W\d_]{3,}", variable) or re.search(r"(?<![\w-])\d", variable):
        return None
    if normalize(variable) in _NOT_DRUG_START or len(variable.split()) > 7:
        return None
    return _lower_first(variable)


def _thresholds(parsed: Parsed) -> list[_Threshold]:
    found = []
    for segment in parsed.segments:
        text = segment.text
        for quantity in quantities(text):
            head = text[: quantity.start]
            if _NOT_A_THRESHOLD.search(head):
                continue
            before = _COMPARATOR_BEFORE.search(head)
            after = _COMPARATOR_AFTER.match(text[quantity.end :])
            if before is None and after is None:
                continue
            if before is not None:
                comparator = before.group("cmp")
                subject = head[: before.start()]
                rest = text[quantity.end :]
            else:
                assert after is not None
                comparator = after.group("cmp")
                subject = head
                rest = text[quantity.end + after.end() :]
            variable = _variable(subject)
            if variable is None:
                continue
            rest = re.sub(r"^\s*(?:puntos?|points?)\b", "", rest).strip(" ,.;")
            per = re.match(
                r"^(?:por|per|al|a la|cada)\s+(?:hora|minuto|d[ií]a|semana|hour|day)\b",
                rest,
                re.IGNORECASE,
            )
            if per is not None:  # "mayor de 100 mg/dL por hora": the rate belongs to the variable
                variable = f"{variable} {per.group(0)}"
                rest = rest[per.end() :].strip(" ,.;")
            if segment.list_id is not None:
                decision = ""
            elif segment.section == "definition" or re.match(r"^(?:o|y|u|or|and)\b", rest, re.I):
                continue
            elif rest and not any(ch.isdigit() for ch in rest):
                decision = rest
            else:
                cut = subject.casefold().rfind(variable.casefold())
                decision = _TRAILING_CLAUSE.sub("", subject[: max(cut, 0)]).strip(" ,.;")
                if len(decision.split()) < 3:
                    continue
            if segment.list_id is None and not decision:
                continue
            found.append(
                _Threshold(segment, quantity, variable, comparator, after is not None, decision)
            )
    return found


def _condition(text: str) -> str | None:
    match = _CONDITION.match(text)
    if match is None:
        return None
    lead = match.group("lead").casefold()
    condition = match.group("cond").strip(" ,")
    if lead in ("si", "cuando", "if", "when"):
        return condition
    return f"{lead} {condition}"


def _choices(parsed: Parsed, doses: list[_Dose]) -> list[_Choice]:
    found: list[_Choice] = []
    seen: set[tuple[int, str]] = set()
    treatment = {"first_line", "second_line"}
    for dose in doses:
        if dose.segment.section in treatment and (dose.segment.index, dose.drug) not in seen:
            seen.add((dose.segment.index, dose.drug))
            found.append(_Choice(dose.segment, dose.drug, _condition(dose.segment.text)))
    # Drugs named without a dose: "En la embarazada se administra ceftriaxona intravenosa y ..."
    for segment in parsed.segments:
        if segment.section not in treatment:
            continue
        for give in _GIVE.finditer(segment.text):
            phrase = re.split(
                r",|;|\.|\s+y\s+|\s+para\s+|\s+hasta\s+|\s+si\s+|\s+cuando\s+|\s+a\s+"
                r"|\s+en\s+|\s+and\s+|\s+for\s+",
                segment.text[give.end() :],
            )[0]
            drug = _clean_drug(phrase)
            if drug and option_kind(drug)[0] == "drug" and (segment.index, drug) not in seen:
                if any(normalize(drug) in normalize(c.drug) for c in found if c.segment == segment):
                    continue
                seen.add((segment.index, drug))
                found.append(_Choice(segment, drug, _condition(segment.text)))
    return found


# -- options ----------------------------------------------------------------------------------


def _decimals(text: str) -> int:
    match = re.search(r"[.,](\d+)$", text)
    return len(match.group(1)) if match else 0


def _format(value: float, template: str, decimals: int | None = None) -> str:
    places = _decimals(template) if decimals is None else decimals
    text = f"{value:.{places}f}" if places else f"{round(value):d}"
    if places and "," not in template and "." not in template:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if "," in template or "." not in template else text


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _grid(value: float, template: str, stepwise: bool, step: float | None = None) -> list[str]:
    """Neighbouring values a clinician could confuse with ``value``, closest first.

    ``stepwise`` values (scores, pH, temperatures, percentages) move by their own precision;
    others move on the clinical rounding grid 1-1.5-2-2.5-3-4-5-6-7.5-8 within half and double
    the value, whole numbers first when the value is whole.
    """
    if value <= 0:
        return []
    comma = "," in template or "." not in template
    places = _decimals(template)
    if stepwise:
        if step is None:
            step = 10.0**-places * (5 if places >= 2 else 1)
        candidates = [value + k * step for k in (1, -1, 2, -2, 3, -3)]
        texts = [f"{c:.{places}f}" for c in candidates if c >= 0]
        return [t.replace(".", ",") if comma else t for t in texts]
    candidates = []
    for exponent in range(math.floor(math.log10(value)) - 2, int(math.log10(value)) + 3):
        for nice in _NICE:
            candidate = round(nice * 10**exponent, 6)
            ratio = candidate / value
            if 0.5 <= ratio <= 2 and not math.isclose(candidate, value, rel_tol=1e-9):
                candidates.append(candidate)
    whole = value == int(value) and places == 0
    candidates.sort(key=lambda c: (whole and c != int(c), abs(math.log(c / value))))
    out = []
    for candidate in candidates:
        text = f"{candidate:.6f}".rstrip("0").rstrip(".")
        out.append(text.replace(".", ",") if comma else text)
    return out


def _range_grid(quantity: Quantity) -> list[str]:
    assert quantity.high is not None
    low, high = _number(quantity.low), _number(quantity.high)
    width = high - low
    if width <= 0:
        return []
    out = []
    for shift in (1, -1, 2, -2, 3):
        a, b = low + shift * width, high + shift * width
        if a > 0:
            out.append(f"{_format(a, quantity.low)}-{_format(b, quantity.high)}")
    return out


def _pick(key: str, candidates: list[str], wanted: int) -> list[str]:
    chosen: list[str] = []
    key_kind = option_kind(key)
    for candidate in candidates:
        if len(chosen) == wanted:
            break
        if options_equivalent(candidate, key) or any(
            options_equivalent(candidate, c) for c in chosen
        ):
            continue
        if option_kind(candidate) != key_kind and key_kind[0] in ("quantity", "number"):
            continue
        if key_kind[0] not in ("quantity", "number") and _head(candidate) in {
            _head(c) for c in [key, *chosen]
        }:
            continue
        chosen.append(candidate)
    return chosen


def value_options(
    quantity: Quantity, siblings: list[Quantity], wanted: int, prefix: str, suffix: str
) -> tuple[str, list[str]]:
    """The key and distractors of a value question: siblings first, then the grid."""
    unit = f" {quantity.unit}" if quantity.unit else ""

    def shown(value: str) -> str:
        unit_text = unit
        if unit_text.strip().casefold() in _SINGULAR and _number(value.split("-")[-1]) != 1:
            unit_text = " " + _SINGULAR[unit_text.strip().casefold()]
        return f"{prefix}{value}{unit_text}{suffix}".strip()

    key_value = quantity.low if quantity.high is None else f"{quantity.low}-{quantity.high}"
    key = shown(key_value)
    values = []
    key_low = _number(quantity.low)
    for other in siblings:
        if (other.high is None) != (quantity.high is None):
            continue
        value = other.low if other.high is None else f"{other.low}-{other.high}"
        if quantity.high is not None and other.high is not None:
            overlaps = _number(other.low) <= _number(quantity.high) and _number(
                quantity.low
            ) <= _number(other.high)
            if overlaps:
                continue
        values.append(value)
    unit_name = canonical_unit(normalize(quantity.unit)) if quantity.unit else ""
    if quantity.high is not None:
        grid = _range_grid(quantity)
    elif unit_name == "%":
        grid = _grid(key_low, quantity.low, stepwise=True, step=2.0)
    elif unit_name == "c":  # a temperature
        grid = _grid(key_low, quantity.low, stepwise=True, step=0.5 if "," in quantity.low else 1)
    elif not unit_name:  # a score or a pH; a count (10000 cells) moves on the grid
        grid = _grid(key_low, quantity.low, stepwise=key_low < 20 or "," in quantity.low)
    else:
        grid = _grid(key_low, quantity.low, stepwise=False)
    chosen = _pick(key, [shown(v) for v in [*values, *grid]], wanted)
    return key, chosen


# -- the patient ------------------------------------------------------------------------------


def _findings(parsed: Parsed, avoid: list[str], es: bool, limit: int = 3) -> list[str]:
    """Up to ``limit`` findings from the guide's diagnostic lists, none mentioning ``avoid``."""
    stems = {w[:5] for a in avoid for w in re.findall(r"[a-z]{4,}", normalize(a))}
    numbers = {q for a in avoid for q in re.findall(r"\d+(?:[.,]\d+)?", a)}
    found = []
    for segment in parsed.segments:
        if segment.section != "diagnosis" or segment.list_id is None:
            continue
        words = {w[:5] for w in re.findall(r"[a-z]{4,}", normalize(segment.text))}
        if words & stems or numbers & set(re.findall(r"\d+(?:[.,]\d+)?", segment.text)):
            continue
        if len(segment.text) > 160:
            continue
        found.append(_lower_first(segment.text.rstrip(". ")))
        if len(found) == limit:
            break
    return found


def _patient(topic: str, findings: list[str], es: bool) -> str:
    topic = _lower_first(topic)
    if es:
        text = f"Paciente atendido por {topic}."
        if findings:
            text += f" Presenta: {'; '.join(findings)}."
        return text
    text = f"A patient is seen for {topic}."
    if findings:
        text += f" Findings: {'; '.join(findings)}."
    return text


# -- the cases --------------------------------------------------------------------------------


def _condition_words(condition: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]{4,}", normalize(condition))}


def _head(drug: str) -> str:
    words = re.findall(r"[a-z]{3,}", normalize(drug))
    return words[0] if words else normalize(drug)


def _dose_cases(
    topic: str, parsed: Parsed, doses: list[_Dose], wanted: int, es: bool
) -> Iterator[CaseDraft]:
    for dose in doses:
        # The same unit, not only the same dimension: a sibling's value is shown with the
        # key's unit (8,4 g must not become "8,4 mg").
        same_dimension = [
            d
            for d in doses
            if d is not dose and d.unit == dose.unit and _head(d.drug) != _head(dose.drug)
        ]
        value = _number(dose.quantity.low)

        def closeness(d: _Dose, value: float = value, dose: _Dose = dose) -> tuple[int, float]:
            ratio = abs(math.log(max(_number(d.quantity.low), 1e-9) / max(value, 1e-9)))
            return (0 if d.segment.section == dose.segment.section else 1, ratio)

        near = sorted((d for d in same_dimension if closeness(d)[1] <= math.log(10)), key=closeness)
        far = sorted((d for d in same_dimension if closeness(d)[1] > math.log(10)), key=closeness)
        key, distractors = value_options(dose.quantity, [d.quantity for d in near], wanted, "", "")
        if len(distractors) < wanted:
            extra = _pick(key, [*distractors, *(d.quantity.text for d in far)], wanted)
            distractors = extra
        condition = _condition(dose.segment.text)
        findings = _findings(parsed, [dose.drug, dose.quantity.text], es)
        vignette = _patient(topic, findings, es)
        if condition:
            vignette += f" Dato clave del caso: {condition}." if es else f" Key point: {condition}."
        drug = _lower_first(dose.drug)
        vignette += (
            f" Se decide administrar {drug}." if es else f" The team decides to give {drug}."
        )
        question = (
            f"¿Qué dosis de {drug} indica la guía?"
            if es
            else f"Which dose of {drug} does the guide give?"
        )
        yield CaseDraft(
            "dose",
            vignette,
            question,
            key,
            tuple(distractors),
            dose.segment.text,
            dose.segment.index * 100 + dose.quantity.start,
        )


def _threshold_cases(
    topic: str, parsed: Parsed, thresholds: list[_Threshold], wanted: int, es: bool
) -> Iterator[CaseDraft]:
    for item in thresholds:
        stems = {w[:5] for w in re.findall(r"[a-z]{4,}", normalize(item.variable))}
        unit = canonical_unit(normalize(item.quantity.unit)) if item.quantity.unit else ""
        same_variable, same_unit = [], []
        for segment in parsed.segments:
            for other in quantities(segment.text):
                if segment.index == item.segment.index:
                    continue  # the sentence's other values may be right too (2 men / 3 women)
                other_unit = canonical_unit(normalize(other.unit)) if other.unit else ""
                if other_unit != unit or (not unit and other.unit):
                    continue
                words = {w[:5] for w in re.findall(r"[a-z]{4,}", normalize(segment.text))}
                ratio = _number(other.low) / max(_number(item.quantity.low), 1e-9)
                if words & stems:
                    if 1 / 3 <= ratio <= 3:
                        same_variable.append(other)
                elif unit and 1 / 3 <= ratio <= 3:
                    same_unit.append(other)
        comparator = re.sub(r"\s+", " ", item.comparator)
        prefix = "" if item.after else f"{_capitalise(comparator.casefold())} "
        suffix = f" {comparator}" if item.after else ""
        key, distractors = value_options(
            item.quantity, [*same_variable, *same_unit], wanted, prefix, suffix
        )
        avoid = [item.variable, item.quantity.text]
        findings = _findings(parsed, avoid, es)
        vignette = _patient(topic, findings, es)
        variable = item.variable
        if item.segment.list_id is not None:
            where = item.segment.heading or item.segment.list_intro
            vignette += (
                f" Para decidir, el equipo comprueba si cumple «{where}» según la guía."
                if es
                else f" To decide, the team checks \u201c{where}\u201d in the guide."
            )
            question = (
                f"¿Qué umbral de {variable} recoge la guía en «{where}»?"
                if es
                else f"Which threshold of {variable} does the guide list under \u201c{where}\u201d?"
            )
        else:
            decision = _lower_first(item.decision.rstrip("."))
            vignette += f" En discusión: {decision}." if es else f" Under discussion: {decision}."
            question = (
                f"¿Qué umbral de {variable} fija la guía para esa decisión?"
                if es
                else f"Which threshold of {variable} does the guide set for that decision?"
            )
        yield CaseDraft(
            "threshold",
            vignette,
            question,
            key,
            tuple(distractors),
            item.segment.text,
            item.segment.index * 100 + item.quantity.start + 50,
        )


def _choice_cases(
    topic: str,
    parsed: Parsed,
    choices: list[_Choice],
    contraindicated: list[tuple[str, str]],
    wanted: int,
    es: bool,
) -> Iterator[CaseDraft]:
    for choice in choices:
        key_head = _head(choice.drug)
        if choice.condition is None:
            continue
        key_words = _condition_words(choice.condition)
        other_situation, general, same_line = [], [], []
        for other in choices:
            if _head(other.drug) == key_head or other.segment.index == choice.segment.index:
                continue
            if other.condition is None:
                if other.segment.section != choice.segment.section:
                    general.append(_capitalise(other.drug))
                else:
                    same_line.append(_capitalise(other.drug))
                continue
            words = _condition_words(other.condition)
            if words <= key_words or key_words <= words:
                continue  # the same situation, or one inside the other
            other_situation.append(_capitalise(other.drug))
        # A drug contraindicated in the case's own situation is the best wrong answer; one
        # contraindicated elsewhere may be right here (a class that contains the key).
        against = [
            _capitalise(drug)
            for drug, condition in contraindicated
            if _condition_words(condition) & key_words
        ]
        specific = [*other_situation, *against]
        specific = [c for c in specific if _head(c) != key_head]
        if not _pick(_capitalise(choice.drug), specific + same_line, wanted):
            continue
        pool = [*specific, *same_line, *general]
        key = _capitalise(choice.drug)
        distractors = _pick(key, pool, wanted)
        findings = _findings(parsed, [choice.drug], es)
        vignette = _patient(topic, findings, es)
        vignette += (
            f" Dato clave del caso: {choice.condition}."
            if es
            else f" Key point: {choice.condition}."
        )
        if key_head in normalize(vignette):
            continue
        question = (
            "¿Qué tratamiento indica la guía específicamente para esta situación?"
            if es
            else "Which treatment does the guide give specifically for this situation?"
        )
        yield CaseDraft(
            "drug",
            vignette,
            question,
            key,
            tuple(distractors),
            choice.segment.text,
            choice.segment.index * 100 + 77,
        )


def _contraindication_cases(
    topic: str, parsed: Parsed, choices: list[_Choice], wanted: int, es: bool
) -> Iterator[CaseDraft]:
    for segment in parsed.segments:
        match = _CONTRAINDICATED.match(segment.text)
        if match is None:
            continue
        drug = _clean_drug(match.group("drug"))
        if drug is None:
            continue
        key_head = _head(drug)
        pool = [_capitalise(c.drug) for c in choices if _head(c.drug) != key_head]
        key = _capitalise(drug)
        distractors = _pick(key, pool, wanted)
        condition = match.group("cond").strip()
        findings = _findings(parsed, [drug, condition], es)
        vignette = _patient(topic, findings, es)
        vignette += (
            f" Antecedente relevante: {condition}." if es else f" Relevant history: {condition}."
        )
        question = (
            "¿Qué fármaco está contraindicado en este paciente según la guía?"
            if es
            else "Which drug is contraindicated in this patient according to the guide?"
        )
        yield CaseDraft(
            "contraindication",
            vignette,
            question,
            key,
            tuple(distractors),
            segment.text,
            segment.index * 100 + 88,
        )


def clinical_cases(topic: str, parsed: Parsed, n_options: int, es: bool) -> list[CaseDraft]:
    """Every clinical case the guide's structure supports, with ``n_options - 1`` distractors.

    Cases are ordered so that consecutive ones come from different sentences (seeds 0, 1, 2...
    of the generator walk through different decisions).
    """
    wanted = n_options - 1
    doses = _doses(parsed)
    choices = _choices(parsed, doses)
    contraindicated = [
        (drug, match.group("cond"))
        for segment in parsed.segments
        if (match := _CONTRAINDICATED.match(segment.text)) is not None
        and (drug := _clean_drug(match.group("drug"))) is not None
    ]
    drafts = [
        *_choice_cases(topic, parsed, choices, contraindicated, wanted, es),
        *_dose_cases(topic, parsed, doses, wanted, es),
        *_threshold_cases(topic, parsed, _thresholds(parsed), wanted, es),
        *_contraindication_cases(topic, parsed, choices, wanted, es),
    ]
    drafts = [d for d in drafts if len(d.distractors) == wanted]
    # Round-robin over evidence sentences, so neighbours differ.
    by_sentence: dict[str, list[CaseDraft]] = {}
    for draft in drafts:
        by_sentence.setdefault(draft.evidence, []).append(draft)
    ordered: list[CaseDraft] = []
    groups = list(by_sentence.values())
    while any(groups):
        for group in groups:
            if group:
                ordered.append(group.pop(0))
    return ordered

"""The one quantity pattern of medcards (private): a number, an optional range and a unit.

Grounding reads it on normalised text (:func:`medcards.check_card` compares the numbers of a
statement with those of its context); the extractive generator reads it on the guide's own text
to blank out doses and thresholds. The unit tables say which words are units and their
canonical spelling (``hr``, ``horas`` and ``hours`` are all ``h``).
"""

from __future__ import annotations

import re

_UNIT_ALIASES = {
    "hr": "h",
    "hrs": "h",
    "hora": "h",
    "horas": "h",
    "hour": "h",
    "hours": "h",
    "segundo": "s",
    "segundos": "s",
    "second": "s",
    "seconds": "s",
    "minutos": "min",
    "minuto": "min",
    "minutes": "min",
    "dia": "d",
    "dias": "d",
    "day": "d",
    "days": "d",
    "semana": "sem",
    "semanas": "sem",
    "week": "sem",
    "weeks": "sem",
    "mes": "mes",
    "meses": "mes",
    "month": "mes",
    "months": "mes",
    "ano": "a",
    "anos": "a",
    "year": "a",
    "years": "a",
    "mcg": "ug",
    "ui": "u",
    "iu": "u",
    "l": "l",
    "litro": "l",
    "litros": "l",
}
_UNIT_WORDS = {
    "mg",
    "g",
    "kg",
    "ug",
    "ng",
    "mcg",
    "ml",
    "l",
    "dl",
    "meq",
    "mmol",
    "mol",
    "mosm",
    "u",
    "ui",
    "iu",
    "h",
    "hr",
    "hrs",
    "min",
    "s",
    "seg",
    "mmhg",
    "lpm",
    "rpm",
    "cm",
    "mm",
    "m",
    "c",
    "%",
    "x",
    "veces",
    "times",
    "kcal",
    "mu",
} | set(_UNIT_ALIASES)
#: A number (decimal point or comma), an optional range ("1-2", "1 a 2", "1 to 2") and an
#: optional unit, maybe per-something ("mg/dL", "U/kg/h", "%", "°C"). Groups: ``low``,
#: ``joiner``, ``high``, ``unit``.
QUANTITY = re.compile(
    r"(?<![\w.])(?P<low>\d+(?:[.,]\d+)?)"
    r"(?:\s*(?P<joiner>-|a|to)\s*(?P<high>\d+(?:[.,]\d+)?))?"
    r"(?:\s?(?P<unit>%|°?[cC]\b|[A-Za-zµμ]+(?:/[A-Za-z0-9]+)*))?"
)


def canonical_unit(raw: str | None) -> str:
    """Canonical form of a normalised unit (``u/kg/hr`` -> ``u/kg/h``); ``""`` if not a unit."""
    if not raw:
        return ""
    raw = raw.lstrip("°")
    parts = raw.split("/")
    if parts[0] not in _UNIT_WORDS:
        return ""
    return "/".join(_UNIT_ALIASES.get(p, p) for p in parts)

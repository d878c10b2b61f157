"""Anki export (``.apkg``) with genanki.

One note type per card kind (BattleCard, MCQ, open drill, variant), with fixed model ids. Each
note's GUID derives from the card's stable ``uid`` in ``temario.db``, so importing a re-export
into Anki updates the existing notes instead of adding duplicates. Every field is HTML-escaped
(card text can contain ``<``, ``&``...); the only markup is the one this module adds.

Where an evidence quote is printed in the guide (:meth:`medcards.SourceLocation.describe`,
``cad.pdf, p. 3, Tratamiento``) is appended after the quote on the back, in the same fields:
the note types, their ids and fields do not change.
"""

from __future__ import annotations

import html
import io
import zlib
from pathlib import Path
from typing import Any

from _sdk import atomic_write_bytes
from medcards.cards import BattleCard, Card, Fact, MCQDrill, OpenDrill, Variant
from medcards.models import ExportResult, SourceLocation
from medcards.study.engine import StudyEngine

_CSS = ".card { font-family: sans-serif; font-size: 18px; text-align: left; }"


def _stable_id(name: str) -> int:
    # Anki wants 32-63-bit ids that never change for the same note type or deck.
    return (1 << 30) + zlib.crc32(name.encode("utf-8"))


def _model(kind: str, fields: list[str], front: str, back: str) -> Any:
    import genanki

    return genanki.Model(
        _stable_id(f"medcards-model-{kind}"),
        f"medcards {kind}",
        fields=[{"name": f} for f in fields],
        templates=[{"name": f"medcards {kind}", "qfmt": front, "afmt": back}],
        css=_CSS,
    )


def _models() -> dict[str, Any]:
    return {
        "battlecard": _model(
            "battlecard",
            ["Topic", "Summary"],
            "<h2>{{Topic}}</h2>",
            "{{FrontSide}}<hr id=answer>{{Summary}}",
        ),
        "mcq": _model(
            "mcq",
            ["Topic", "Vignette", "Question", "Options", "Answer", "Explanation", "Evidence"],
            "<b>{{Topic}}</b><p>{{Vignette}}</p><p>{{Question}}</p>{{Options}}",
            "{{FrontSide}}<hr id=answer><p><b>{{Answer}}</b></p><p>{{Explanation}}</p>"
            "<p><i>{{Evidence}}</i></p>",
        ),
        "open": _model(
            "open",
            ["Topic", "Challenge", "KeyPoints"],
            "<b>{{Topic}}</b><p>{{Challenge}}</p>",
            "{{FrontSide}}<hr id=answer>{{KeyPoints}}",
        ),
        "variant": _model(
            "variant",
            ["Topic", "Perspective", "Challenge", "KeyPoints"],
            "<b>{{Topic}}</b> — <i>{{Perspective}}</i><p>{{Challenge}}</p>",
            "{{FrontSide}}<hr id=answer>{{KeyPoints}}",
        ),
    }


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _where(location: SourceLocation | None) -> str:
    """Where an evidence quote is printed, appended after it (empty without a location)."""
    described = location.describe() if location is not None else ""
    return f'<br><small class="source">{_esc(described)}</small>' if described else ""


def _facts(facts: list[Fact]) -> str:
    items = "".join(
        f"<li>{_esc(f.text)}<br><small><i>{_esc(f.evidence)}</i></small>{_where(f.location)}</li>"
        for f in facts
    )
    return f"<ul>{items}</ul>"


def note_fields(card: Card) -> list[str]:
    """The HTML-escaped Anki fields of ``card``, in its note type's field order."""
    if isinstance(card, MCQDrill):
        options = "".join(f"<li>{_esc(o)}</li>" for o in card.options)
        return [
            _esc(card.topic),
            _esc(card.vignette),
            _esc(card.question),
            f"<ol type=A>{options}</ol>",
            _esc(f"{chr(ord('A') + card.answer_index)}. {card.options[card.answer_index]}"),
            _esc(card.explanation),
            _esc(card.evidence) + _where(card.location),
        ]
    if isinstance(card, OpenDrill):
        return [_esc(card.topic), _esc(card.challenge), _facts(card.key_points)]
    if isinstance(card, Variant):
        return [
            _esc(card.topic),
            _esc(card.perspective),
            _esc(card.challenge),
            _facts(card.key_points),
        ]
    if isinstance(card, BattleCard):
        sections = [
            ("Definición", card.definition),
            ("Datos clave", card.key_facts),
            ("Diagnóstico", card.diagnosis),
            ("Tratamiento de primera línea", card.first_line_treatment),
            ("Tratamiento de segunda línea", card.second_line_treatment),
            ("Errores frecuentes", card.pitfalls),
        ]
        body = "".join(f"<h3>{_esc(name)}</h3>{_facts(facts)}" for name, facts in sections if facts)
        return [_esc(card.topic), body]
    raise TypeError(f"not a medcards card: {type(card).__name__}")


def export_apkg(
    engine: StudyEngine,
    path: str | Path,
    *,
    deck_name: str = "medcards",
    include_retired: bool = True,
) -> ExportResult:
    """Write every stored card to an Anki package at ``path`` (atomically).

    Each topic's ``modulo`` becomes a sub-deck (``deck_name::modulo``) and a tag, the topic's
    level a tag (``nivel-1``, ``nivel-2``, ``dominado``).
    """
    import genanki

    path = Path(path)
    models = _models()
    decks: dict[str, Any] = {}
    for stored in engine.cards():
        if stored.retired and not include_retired:
            continue
        topic = engine.topic(stored.topic_id)
        name = f"{deck_name}::{topic.modulo}" if topic.modulo else deck_name
        deck = decks.get(name)
        if deck is None:
            deck = decks[name] = genanki.Deck(_stable_id(f"medcards-deck-{name}"), name)
        tags = [
            f"medcards-{stored.kind.value}",
            {1: "nivel-1", 2: "nivel-2", 3: "dominado"}[topic.level],
        ]
        if topic.modulo:
            tags.append("modulo-" + "_".join(topic.modulo.split()))
        deck.add_note(
            genanki.Note(
                model=models[stored.kind.value],
                fields=note_fields(stored.card),
                tags=tags,
                guid=genanki.guid_for("medcards", stored.uid),
            )
        )
    if not decks:
        decks[deck_name] = genanki.Deck(_stable_id(f"medcards-deck-{deck_name}"), deck_name)
    buffer = io.BytesIO()
    genanki.Package(list(decks.values())).write_to_file(buffer)
    data = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)
    return ExportResult(path=path, format="apkg", size_bytes=len(data))


__all__ = ["export_apkg", "note_fields"]

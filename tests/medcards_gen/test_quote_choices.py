"""Evidence quotes chosen from the context: the schema's enum and what the generator sends."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import medcards
from medcards import (
    QUOTE_MAX,
    CardKind,
    CardRequest,
    card_json_schema,
    context_quotes,
    quote_support,
)
from medcards.backends import EchoBackend
from medcards.generation.llm import LLMCardGenerator

GUIDE = (
    "# Hiponatremia\n\n"
    "## Diagnóstico\n"
    "La hiponatremia es un sodio plasmático menor de 135 mmol/L. Se mide la osmolalidad "
    "plasmática.\n\n"
    "## Tratamiento\n"
    "Según los síntomas:\n"
    "- Suero salino hipertónico al 3 % en bolo de 150 mL si hay síntomas graves.\n"
    "- Restricción hídrica en el SIADH.\n\n"
    "No se corrige más de 10 mmol/L en 24 horas.\n"
)


def evidence_nodes(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Every ``evidence`` property of a card schema, top level and ``$defs``."""
    nodes = [schema, *schema.get("$defs", {}).values()]
    return [n["properties"]["evidence"] for n in nodes if "evidence" in n.get("properties", {})]


def test_context_quotes_are_the_sentences_and_items_verbatim():
    quotes = context_quotes(GUIDE)
    assert quotes == [
        "La hiponatremia es un sodio plasmático menor de 135 mmol/L.",
        "Se mide la osmolalidad plasmática.",
        "Suero salino hipertónico al 3 % en bolo de 150 mL si hay síntomas graves.",
        "Restricción hídrica en el SIADH.",
        "No se corrige más de 10 mmol/L en 24 horas.",
    ]
    assert context_quotes("") == []


@pytest.mark.parametrize("kind", list(CardKind))
def test_every_evidence_field_becomes_an_enum_of_the_quotes(kind):
    quotes = context_quotes(GUIDE)
    schema = card_json_schema(kind, quotes)
    nodes = evidence_nodes(schema)
    assert nodes, kind
    for node in nodes:
        assert node["enum"] == quotes
        assert node["type"] == "string"
    # Without quotes the schema is the plain one: a free string with its length limit.
    for node in evidence_nodes(card_json_schema(kind)):
        assert "enum" not in node
        assert node["maxLength"] == QUOTE_MAX


def test_quote_choices_drop_overlong_and_repeated_quotes_and_refuse_none():
    long = "x" * (QUOTE_MAX + 1)
    schema = card_json_schema("mcq", ["a b c.", long, "a b c."])
    assert schema["properties"]["evidence"]["enum"] == ["a b c."]
    with pytest.raises(ValueError, match="no quote"):
        card_json_schema("mcq", [long])
    with pytest.raises(ValueError, match="no quote"):
        card_json_schema("mcq", [])


_WORD = st.text(alphabet="abcdefghijklmnñopqrstuvwxyzáéíóú", min_size=1, max_size=8)
_SENTENCE = st.lists(_WORD, min_size=2, max_size=8).map(lambda ws: " ".join(ws).capitalize() + ".")


@settings(max_examples=60, deadline=None)
@given(
    blocks=st.lists(
        st.tuples(
            st.sampled_from(["prose", "list", "heading"]),
            st.lists(_SENTENCE, min_size=1, max_size=4),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_every_context_quote_is_verbatim_in_its_context(blocks):
    lines: list[str] = []
    for shape, sentences in blocks:
        if shape == "prose":
            lines += [" ".join(sentences), ""]
        elif shape == "list":
            lines += [f"- {s}" for s in sentences] + [""]
        else:
            lines += [f"## {sentences[0].rstrip('.')}", ""]
    context = "\n".join(lines)
    quotes = context_quotes(context)
    assert len(quotes) == len(set(quotes))
    for quote in quotes:
        assert quote in context
        assert quote_support(quote, context) == 1.0
    headings = [s[0].rstrip(".") for shape, s in blocks if shape == "heading"]
    for heading in headings:
        assert heading not in quotes


def test_gold_contexts_give_quotes_that_ground_strictly():
    for split in ("train", "held_out"):
        for gold in medcards.load_gold_cards(split):
            quotes = context_quotes(gold.context)
            assert quotes, gold.topic
            for quote in quotes:
                assert quote_support(quote, gold.context) == 1.0, quote
            # Every gold card quotes one of them: the constrained schema allows the gold cards.
            for check in medcards.check_card(gold.card, gold.context).claims:
                assert check.evidence in quotes, (gold.id, check.evidence)


class ConstrainedEcho(EchoBackend):
    """The echo test double, advertising constrained decoding (so the schema is sent)."""

    name: ClassVar[str] = "constrained-echo"
    supports_json_schema: ClassVar[bool] = True


def generate_with_schema(
    context: str = GUIDE, **options: Any
) -> tuple[medcards.Card | None, dict[str, Any] | None]:
    """One MCQ request to the ``llm`` generator: its card (or None) and the schema it sent."""
    backend = ConstrainedEcho(responses=[json.dumps(REPLY)])
    generator = LLMCardGenerator(backend=backend, max_attempts=1, **options)
    request = CardRequest(topic="Hiponatremia", context=context, kind="mcq", seed=1)
    try:
        card: medcards.Card | None = generator.generate(request)
    except medcards.CardRejected:
        card = None
    (call,) = backend.calls
    return card, call["json_schema"]


REPLY = {
    "kind": "mcq",
    "topic": "Hiponatremia",
    "vignette": "Mujer de 70 años con sodio de 118 mmol/L y convulsiones.",
    "question": "¿Qué tratamiento inicial indica la guía?",
    "options": [
        "Suero salino hipertónico al 3 %",
        "Restricción hídrica",
        "Suero glucosado al 5 %",
        "Furosemida intravenosa",
    ],
    "answer_index": 0,
    "explanation": "Con síntomas graves, suero salino hipertónico al 3 % en bolo.",
    "evidence": "Suero salino hipertónico al 3 % en bolo de 150 mL si hay síntomas graves.",
}


def test_generator_sends_the_contexts_quotes_to_a_constrained_backend():
    card, schema = generate_with_schema()
    assert isinstance(card, medcards.MCQDrill)
    assert card.evidence == REPLY["evidence"]
    assert schema is not None
    assert schema["properties"]["evidence"]["enum"] == context_quotes(GUIDE)


def test_quote_choices_off_sends_the_plain_schema():
    card, schema = generate_with_schema(quote_choices=False)
    assert card is not None
    assert schema == card_json_schema("mcq")


def test_a_context_without_sentences_keeps_the_free_quote():
    card, schema = generate_with_schema(context="## Solo un título")
    assert card is None  # the reply's quote is not in that context
    assert schema == card_json_schema("mcq")

"""Card models, their JSON Schemas and the versioned prompt templates."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from medcards import (
    TEMPLATE_VERSION,
    BattleCard,
    CardKind,
    CardRequest,
    Fact,
    MCQDrill,
    OpenDrill,
    Variant,
    build_messages,
    card_id,
    card_json_schema,
    card_model,
    format_skeleton,
    parse_card,
    render_target,
    template_versions,
)
from medcards.generation.prompts import load_template

REQUEST = CardRequest(
    topic="Cetoacidosis diabética", context="Insulina IV a 0,1 U/kg/h.", kind="mcq"
)


def test_schemas_come_from_models_with_length_limits():
    for kind in CardKind:
        schema = card_json_schema(kind)
        assert schema["required"] == list(schema["properties"])
        assert schema["additionalProperties"] is False
        text = json.dumps(schema)
        assert '"maxLength"' in text
    mcq = card_json_schema("mcq")
    assert mcq["properties"]["options"]["maxItems"] == 5
    assert mcq["properties"]["options"]["minItems"] == 4
    assert card_json_schema("battlecard")["properties"]["key_facts"]["maxItems"] == 12


def test_mcq_answer_must_be_in_range():
    with pytest.raises(ValidationError, match="out of range"):
        MCQDrill(
            topic="t",
            vignette="v",
            question="q",
            options=["a", "b", "c", "d"],
            answer_index=4,
            explanation="e",
            evidence="x",
        )


def test_battlecard_needs_a_fact_and_rejects_runaway_text():
    with pytest.raises(ValidationError, match="at least one fact"):
        BattleCard(topic="t")
    with pytest.raises(ValidationError, match="at most 300"):
        Fact(text="x" * 301, evidence="y")


facts = st.builds(
    Fact,
    text=st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40).filter(
        str.strip
    ),
    evidence=st.text(
        st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=60
    ).filter(str.strip),
)


@settings(max_examples=40, deadline=None)
@given(key_points=st.lists(facts, min_size=1, max_size=8), seed=st.integers(0, 10))
def test_render_target_round_trips(key_points, seed):
    cards = [
        OpenDrill(topic="CAD", challenge="Enumera", key_points=key_points),
        Variant(
            topic="CAD",
            parent_id="p",
            perspective="complicaciones",
            challenge="c",
            key_points=key_points,
        ),
        BattleCard(topic="CAD", key_facts=key_points),
    ]
    for card in cards:
        target = render_target(card)
        assert parse_card(target) == card
        assert list(json.loads(target)) == list(card_json_schema(card.kind)["properties"])
        assert card_id(card) == card_id(parse_card(target))


def test_card_model_and_parse_errors():
    assert card_model("variant") is Variant
    with pytest.raises(ValueError, match="kind"):
        parse_card({"topic": "x"})


def test_build_messages_renders_versioned_spanish_template():
    messages = build_messages(REQUEST)
    assert [m.role for m in messages] == ["system", "user"]
    assert "inventar datos" in messages[0].content
    user = messages[1].content
    assert "### Tema Solicitado:\nCetoacidosis diabética" in user
    assert "0,1 U/kg/h" in user
    assert format_skeleton("mcq") in user
    assert TEMPLATE_VERSION in template_versions()


def test_build_messages_english_and_feedback():
    request = REQUEST.model_copy(update={"language": "en"})
    messages = build_messages(request, ["options: two options are the same"])
    assert "Requested topic" in messages[1].content
    assert "previous attempt was rejected" in messages[1].content
    assert "- options: two options are the same" in messages[1].content


def test_variant_and_open_prompts_follow_the_seed():
    variant = CardRequest(
        topic="Apendicitis",
        context="x.",
        kind="variant",
        perspective="diagnóstico diferencial pélvico",
        parent_id="abc123",
    )
    text = build_messages(variant)[1].content
    assert "falló la pregunta [abc123]" in text
    assert "diagnóstico diferencial pélvico" in text
    open_text = build_messages(CardRequest(topic="Estatus epiléptico", context="x.", kind="open"))[
        1
    ].content
    assert "Nivel 2 en [Estatus epiléptico]" in open_text
    assert "primera y segunda línea" in open_text


def test_unknown_template_version_is_a_clear_error():
    with pytest.raises(ValueError, match="no prompt template v999"):
        load_template("mcq", "es", "v999")

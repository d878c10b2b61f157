"""The LLM card generator's pipeline, driven by scripted backends."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest

import medcards
from medcards import (
    BackendError,
    CardKind,
    CardRejected,
    CardRequest,
    ChatTurn,
    Completion,
    MCQDrill,
    extract_json,
    render_target,
    sanity_problems,
)
from medcards.backends import EchoBackend
from medcards.generation.extractive import ExtractiveGenerator
from medcards.generation.llm import LLMCardGenerator
from medcards.testing import parametrize_with_checks
from medcards.testing.card_generators import card_generator_checks

CONTEXT = (
    "### Tratamiento de primera línea\n"
    "Se inicia insulina intravenosa a 0,1 U/kg/h tras los fluidos."
)
REQUEST = CardRequest(topic="CAD", context=CONTEXT, kind="mcq", seed=7)
GOOD = {
    "kind": "mcq",
    "topic": "CAD",
    "vignette": "Paciente con CAD en urgencias.",
    "question": "¿A qué ritmo se inicia la insulina?",
    "options": ["0,1 U/kg/h", "1 U/kg/h", "0,5 U/kg/h", "0,01 U/kg/h"],
    "answer_index": 0,
    "explanation": "Se inicia insulina intravenosa a 0,1 U/kg/h.",
    "evidence": "Se inicia insulina intravenosa a 0,1 U/kg/h tras los fluidos.",
}


def generator(*responses: str, **options: Any) -> tuple[LLMCardGenerator, EchoBackend]:
    backend = EchoBackend(responses=list(responses))
    return LLMCardGenerator(backend=backend, **options), backend


def test_valid_grounded_card_is_accepted_and_options_shuffled_by_seed():
    gen, backend = generator(json.dumps(GOOD))
    card = gen.generate(REQUEST)
    assert isinstance(card, MCQDrill)
    assert card.answer == "0,1 U/kg/h"
    assert sorted(card.options) == sorted(GOOD["options"])
    again, _ = generator(json.dumps(GOOD))
    assert again.generate(REQUEST) == card
    (call,) = backend.calls
    assert call["json_schema"] is None  # echo has no constrained decoding
    assert call["seed"] == 7


def test_malformed_json_then_valid_card_feeds_reasons_back():
    gen, backend = generator('{"kind": "mcq", "topic": "CAD", "vignette": "Paci', json.dumps(GOOD))
    card = gen.generate(REQUEST)
    assert card.answer == "0,1 U/kg/h"
    retry_prompt = backend.calls[1]["messages"][1].content
    assert "rechazado" in retry_prompt
    assert "malformed JSON" in retry_prompt
    assert backend.calls[1]["temperature"] == gen.options.retry_temperature
    assert gen.last_attempts[0][1]
    assert gen.last_attempts[1] == (1, [])


def test_ungrounded_cards_are_rejected_with_every_reason():
    invented = {**GOOD, "options": ["0,5 U/kg/h", "1 U/kg/h", "2 U/kg/h", "0,01 U/kg/h"]}
    gen, _ = generator(json.dumps(invented), json.dumps(invented), max_attempts=2)
    with pytest.raises(CardRejected) as info:
        gen.generate(REQUEST)
    reasons = info.value.reasons
    assert len([r for r in reasons if "numbers not in the context: 0.5 u/kg/h" in r]) == 2
    assert reasons[0].startswith("attempt 1: answer:")


def test_key_marked_on_a_wrong_option_is_rejected_then_fixed():
    # The model marks "1 U/kg/h" although its evidence says 0,1 U/kg/h; then it offers a mass
    # among rates. Both are answer-key reasons, fed back until a fair drill comes.
    wrong_key = {**GOOD, "answer_index": 1, "explanation": "Se inicia insulina intravenosa."}
    mixed = {**GOOD, "options": ["0,1 U/kg/h", "1 g", "0,5 U/kg/h", "0,01 U/kg/h"]}
    gen, backend = generator(json.dumps(wrong_key), json.dumps(mixed), json.dumps(GOOD))
    card = gen.generate(REQUEST)
    assert card.answer == "0,1 U/kg/h"
    first, second = gen.last_attempts[0][1], gen.last_attempts[1][1]
    assert any(r.startswith("answer key: the key '1 U/kg/h'") for r in first)
    assert second == [
        "answer key: option 1 '1 g' is a quantity:mass but the key is a quantity:units/mass/time"
    ]
    assert "answer key:" in backend.calls[2]["messages"][1].content


def test_schema_errors_duplicate_options_and_loops_are_reasons():
    duplicate = {**GOOD, "options": ["0,1 U/kg/h", "0,1 u/kg/h", "1 U/kg/h", "2 U/kg/h"]}
    three = {**GOOD, "options": ["0,1 U/kg/h", "1 U/kg/h", "2 U/kg/h"]}
    gen, _ = generator(json.dumps(duplicate), json.dumps(three), "[1, 2]", max_attempts=3)
    with pytest.raises(CardRejected) as info:
        gen.generate(REQUEST)
    text = "\n".join(info.value.reasons)
    assert "two options are the same" in text
    assert "options: List should have at least 4 items" in text
    assert "one JSON object" in text
    loop = {**GOOD, "vignette": "la clave de " * 10}
    assert any("repeats itself" in p for p in sanity_problems(MCQDrill.model_validate(loop)))


def test_truncated_answer_is_reported():
    gen, _ = generator(json.dumps(GOOD), max_attempts=1, max_tokens=16)
    with pytest.raises(CardRejected, match="cut at 16 tokens"):
        gen.generate(REQUEST)


def test_backend_errors_propagate_unchanged():
    class Down(EchoBackend):
        name: ClassVar[str] = "down"

        def complete(self, messages, **kwargs):
            raise BackendError("server at http://127.0.0.1:9 is not reachable")

    gen = LLMCardGenerator(backend=Down())
    with pytest.raises(BackendError, match="not reachable"):
        gen.generate(REQUEST)


def test_request_fields_override_the_model_for_variants():
    variant = {
        "kind": "variant",
        "topic": "otro",
        "parent_id": "zzz",
        "perspective": "otra",
        "challenge": "¿Qué ritmo?",
        "key_points": [
            {"text": "Insulina a 0,1 U/kg/h", "evidence": "insulina intravenosa a 0,1 U/kg/h"}
        ],
    }
    gen, _ = generator(json.dumps(variant))
    request = CardRequest(
        topic="CAD", context=CONTEXT, kind="variant", perspective="dosis", parent_id="abc"
    )
    card = gen.generate(request)
    assert (card.topic, card.parent_id, card.perspective) == ("CAD", "abc", "dosis")


def test_extract_json_tolerates_fences_and_chatter():
    assert extract_json('```json\n{"a": 1}\n```') == {"a": 1}
    assert extract_json('Aquí está: {"a": 1} fin') == {"a": 1}
    with pytest.raises(ValueError, match="malformed JSON"):
        extract_json('{"a": ')


def test_generator_by_name_with_named_backend():
    gen = medcards.get_card_generator(
        "llm", backend="echo", backend_options={"responses": [json.dumps(GOOD)]}
    )
    assert isinstance(gen.generate(REQUEST), MCQDrill)


class OracleBackend(medcards.Backend):
    """A model that answers every prompt perfectly: the extractive card for the prompt's context."""

    name: ClassVar[str] = "oracle"
    supports_json_schema: ClassVar[bool] = True

    def complete(
        self,
        messages: Sequence[ChatTurn],
        *,
        json_schema=None,
        max_tokens=1024,
        temperature=0.0,
        seed=None,
    ) -> Completion:
        user = messages[-1].content
        kind = json.loads(
            re.search(
                r"(\{.*\})\s*$", user.split("###")[-2] if "rechaz" in user else user, re.S
            ).group(1)
        )["kind"]
        topic = re.search(r":\n(.*?)\n", user).group(1)
        context = user.split("\n\n", 2)[1].split(":\n", 1)[1].rsplit("\n\n### Tarea", 1)[0]
        perspective = re.search(r"perspectiva diferente: (.*?)\. Usa", user)
        parent = re.search(r"falló la pregunta \[(.*?)\]", user)
        request = CardRequest(
            topic=topic,
            context=context,
            kind=kind,
            perspective=perspective.group(1) if perspective else None,
            parent_id=parent.group(1) if parent else None,
        )
        try:
            card = ExtractiveGenerator().generate(request)
        except CardRejected:
            return Completion(text="{}", model="oracle")
        return Completion(text=render_target(card), model="oracle", finish_reason="stop")


def oracle_llm():
    return LLMCardGenerator(backend=OracleBackend(), max_attempts=2)


oracle_llm.name = "llm-oracle"


def test_oracle_is_accepted_for_every_kind():
    gen = oracle_llm()
    for kind in CardKind:
        request = CardRequest(
            topic="CAD", context=CONTEXT, kind=kind, perspective="tratamiento", parent_id="abc"
        )
        assert gen.generate(request).kind == kind.value
        assert gen.backend.supports_json_schema


@parametrize_with_checks([oracle_llm, LLMCardGenerator], card_generator_checks())
def test_llm_generator_conformance(factory, check):
    check(factory)

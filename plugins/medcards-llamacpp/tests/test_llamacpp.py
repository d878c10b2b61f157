"""The llama.cpp backend against the real SmolLM2 GGUF (in-process)."""

from __future__ import annotations

import json

import pytest
from medcards_llamacpp import LlamaCppBackend
from medcards_llamacpp.backend import without_string_limits

import medcards
from medcards import BackendError, CardRejected, CardRequest, ChatTurn, check_card
from medcards.testing import SEED_CONTEXT, backend_checks, parametrize_with_checks

pytestmark = pytest.mark.slow
_SHARED: dict[str, LlamaCppBackend] = {}


@pytest.fixture(scope="module")
def backend(smollm2_gguf):
    if "b" not in _SHARED:
        _SHARED["b"] = LlamaCppBackend(model_path=smollm2_gguf, n_ctx=1024, n_threads=2)
    yield _SHARED["b"]
    _SHARED.pop("b").close()


def shared_backend():
    return _SHARED["b"]


shared_backend.name = "llamacpp-smollm2"


@parametrize_with_checks([shared_backend], backend_checks())
def test_conformance(backend, factory, check):
    check(factory)


def test_registered_by_entry_point():
    assert "llamacpp" in medcards.backend_names()
    assert type(medcards.get_backend("llamacpp", model_path="x.gguf")) is LlamaCppBackend


def test_schema_constrained_json_and_usage(backend):
    schema = {
        "type": "object",
        "properties": {"dosis": {"type": "string", "maxLength": 20}},
        "required": ["dosis"],
    }
    messages = [
        ChatTurn(role="user", content="Dosis de insulina en CAD: 0,1 U/kg/h. Responde en JSON.")
    ]
    completion = backend.complete(messages, json_schema=schema, max_tokens=24, seed=3)
    assert completion.model == "SmolLM2-135M-Instruct.Q4_1"
    assert completion.prompt_tokens
    assert completion.completion_tokens <= 24
    assert backend.context_size() == 1024


def test_malformed_json_is_a_clear_error(backend):
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
    }
    with pytest.raises(BackendError, match="malformed JSON"):
        backend.complete_json(
            [ChatTurn(role="user", content="Di hola en JSON.")], schema, max_tokens=3
        )


def test_missing_model_file_is_named(tmp_path):
    missing = tmp_path / "nope.gguf"
    with pytest.raises(BackendError, match=r"model file not found: .*nope.gguf"):
        LlamaCppBackend(model_path=missing).complete([ChatTurn(role="user", content="hola")])


def test_context_too_long_is_a_clear_error(smollm2_gguf):
    small = LlamaCppBackend(model_path=smollm2_gguf, n_ctx=128, n_threads=2)
    long_text = "La cetoacidosis diabética es una complicación aguda. " * 40
    with pytest.raises(BackendError, match=r"context too long .*raise n_ctx \(now 128\)"):
        small.complete([ChatTurn(role="user", content=long_text)], max_tokens=8)
    small.close()


def test_timeout_stops_generation(smollm2_gguf):
    slow = LlamaCppBackend(model_path=smollm2_gguf, n_ctx=512, n_threads=2, timeout_s=0.001)
    with pytest.raises(BackendError, match=r"timed out after 0\.001 s"):
        slow.complete([ChatTurn(role="user", content="Cuenta hasta cien.")], max_tokens=64)
    slow.close()


def test_string_limits_are_dropped_from_the_grammar_only():
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "maxLength": 300, "minLength": 1},
            "b": {"type": "array", "maxItems": 4},
        },
    }
    stripped = without_string_limits(schema, 120)
    assert stripped["properties"]["a"] == {"type": "string", "minLength": 1}
    assert without_string_limits({"type": "string", "maxLength": 80}, 120)["maxLength"] == 80
    assert stripped["properties"]["b"]["maxItems"] == 4
    assert schema["properties"]["a"]["maxLength"] == 300


def test_llm_generator_with_smollm2_returns_grounded_card_or_reports(backend):
    generator = medcards.get_card_generator("llm", backend=backend, max_attempts=1, max_tokens=48)
    request = CardRequest(
        topic="Cetoacidosis diabética (CAD)", context=SEED_CONTEXT, kind="battlecard", seed=0
    )
    outcome: object
    try:
        outcome = generator.generate(request)
    except CardRejected as exc:
        outcome = exc
    if isinstance(outcome, CardRejected):
        assert outcome.reasons
    else:
        assert check_card(outcome, SEED_CONTEXT).grounded
    (call_attempt,) = generator.last_attempts
    assert call_attempt[0] == 0


def test_evidence_is_one_of_the_contexts_sentences_under_the_grammar(backend):
    quotes = medcards.context_quotes(SEED_CONTEXT)
    evidence = medcards.card_json_schema("mcq", quotes)["properties"]["evidence"]
    schema = {"type": "object", "properties": {"evidence": evidence}, "required": ["evidence"]}
    messages = [
        ChatTurn(
            role="user", content=f"{SEED_CONTEXT}\n\nCita la frase sobre la insulina, en JSON."
        )
    ]
    completion = backend.complete(messages, json_schema=schema, max_tokens=200, seed=0)
    assert completion.finish_reason == "stop"
    assert json.loads(completion.text)["evidence"] in quotes

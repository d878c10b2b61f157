"""The LM Studio backend against llama-cpp-python's OpenAI-compatible server."""

from __future__ import annotations

import socket

import pytest
from medcards_lmstudio import LMStudioBackend

import medcards
from medcards import BackendError, ChatTurn
from medcards.testing import backend_checks, parametrize_with_checks

pytestmark = [pytest.mark.server, pytest.mark.slow]
MESSAGES = [ChatTurn(role="user", content="Un síntoma de cetoacidosis diabética.")]
_URL: dict[str, str] = {}
_OPEN: list[LMStudioBackend] = []


@pytest.fixture(autouse=True)
def _server(openai_server):
    _URL["url"] = openai_server
    yield
    while _OPEN:
        _OPEN.pop().close()


def llamacpp_server():
    backend = LMStudioBackend(base_url=_URL["url"], model="smollm2", dialect="json_object")
    _OPEN.append(backend)
    return backend


llamacpp_server.name = "lmstudio-json_object"


@parametrize_with_checks([llamacpp_server], backend_checks())
def test_conformance(factory, check):
    check(factory)


def test_defaults_point_at_lm_studio():
    backend = LMStudioBackend()
    assert backend.options.base_url == "http://localhost:1234/v1"
    assert backend.options.dialect == "json_schema"
    assert type(medcards.get_backend("lmstudio")) is LMStudioBackend


def test_json_schema_dialect_payload_matches_lm_studio_docs():
    """LM Studio's structured output: response_format type json_schema with name/strict/schema."""
    backend = LMStudioBackend(model="qwen2.5-7b-instruct", check_model=False)
    schema = {
        "title": "MCQDrill",
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a"],
    }
    payload = backend.request_payload(MESSAGES, json_schema=schema, max_tokens=32, seed=5)
    assert payload["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "MCQDrill", "strict": True, "schema": schema},
    }
    assert payload["model"] == "qwen2.5-7b-instruct"
    assert payload["max_tokens"] == 32
    assert payload["seed"] == 5
    assert payload["messages"] == [{"role": "user", "content": MESSAGES[0].content}]
    llama = LMStudioBackend(model="m", check_model=False, dialect="json_object")
    assert llama.response_format(schema) == {"type": "json_object", "schema": schema}


def test_first_served_model_is_used_when_none_is_named(openai_server):
    backend = LMStudioBackend(base_url=openai_server, dialect="json_object")
    _OPEN.append(backend)
    assert backend.available_models() == ["smollm2"]
    assert backend.complete(MESSAGES, max_tokens=4).model


def test_unknown_model_is_a_clear_error(openai_server):
    backend = LMStudioBackend(base_url=openai_server, model="llama-3.1-8b")
    _OPEN.append(backend)
    with pytest.raises(
        BackendError, match=r"model 'llama-3.1-8b' not found \(available: smollm2\)"
    ):
        backend.complete(MESSAGES, max_tokens=4)


def test_context_too_long_is_a_clear_error(openai_server):
    backend = LMStudioBackend(base_url=openai_server, model="smollm2", dialect="json_object")
    _OPEN.append(backend)
    long_text = "La cetoacidosis diabética es una complicación aguda. " * 60
    with pytest.raises(BackendError, match="context too long"):
        backend.complete([ChatTurn(role="user", content=long_text)], max_tokens=4)


def test_server_rejecting_the_dialect_is_reported(openai_server):
    backend = LMStudioBackend(base_url=openai_server, model="smollm2", max_retries=0)
    _OPEN.append(backend)
    with pytest.raises(BackendError, match=r"(?s)answered [45]\d\d: .*json_schema"):
        backend.complete(MESSAGES, json_schema={"type": "object"}, max_tokens=4)


def test_server_down_is_a_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = LMStudioBackend(base_url=f"http://127.0.0.1:{port}/v1", max_retries=1, timeout_s=5)
    _OPEN.append(backend)
    with pytest.raises(BackendError, match=rf"127.0.0.1:{port}/v1 is not reachable"):
        backend.complete(MESSAGES, max_tokens=4)

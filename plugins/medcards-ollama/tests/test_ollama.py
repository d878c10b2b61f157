"""The Ollama backend against a loopback server speaking Ollama's REST API (see conftest)."""

from __future__ import annotations

import socket

import pytest
from medcards_ollama import OllamaBackend

import medcards
from medcards import BackendError, ChatTurn
from medcards.testing import backend_checks, parametrize_with_checks

pytestmark = [pytest.mark.server, pytest.mark.slow]
MESSAGES = [
    ChatTurn(role="system", content="Responde breve."),
    ChatTurn(role="user", content="Un síntoma de CAD."),
]
_URL: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _server(ollama_server):
    _URL["url"] = ollama_server[0]
    return ollama_server


def streaming():
    return OllamaBackend(model="smollm2:135m", host=_URL["url"], stream=True)


def not_streaming():
    return OllamaBackend(model="smollm2:135m", host=_URL["url"], stream=False)


streaming.name, not_streaming.name = "ollama-stream", "ollama-nostream"


@parametrize_with_checks([streaming, not_streaming], backend_checks())
def test_conformance(factory, check):
    check(factory)


def test_request_payload_follows_the_api_documentation(ollama_server):
    """/api/chat body as documented: model, messages, stream, format (schema), options."""
    url, state = ollama_server
    schema = {
        "type": "object",
        "properties": {"sintoma": {"type": "string", "maxLength": 40}},
        "required": ["sintoma"],
    }
    backend = OllamaBackend(model="smollm2:135m", host=url, num_ctx=1024, keep_alive="5m")
    state.requests.clear()
    backend.complete(MESSAGES, json_schema=schema, max_tokens=12, temperature=0.0, seed=42)
    (sent,) = [r["body"] for r in state.requests if r["path"] == "/api/chat"]
    assert sent["model"] == "smollm2:135m"
    assert sent["messages"] == [
        {"role": "system", "content": "Responde breve."},
        {"role": "user", "content": "Un síntoma de CAD."},
    ]
    assert sent["stream"] is True
    assert sent["format"] == schema  # structured outputs: a JSON schema in `format`
    assert sent["options"] == {"num_predict": 12, "temperature": 0.0, "seed": 42, "num_ctx": 1024}
    assert sent["keep_alive"] == "5m"
    assert set(backend.request_payload(MESSAGES)) == {
        "model",
        "messages",
        "stream",
        "options",
        "keep_alive",
    }


def test_completion_reports_tokens_and_done_reason(ollama_server):
    completion = streaming().complete(MESSAGES, max_tokens=8, seed=1)
    assert completion.completion_tokens <= 8
    assert completion.prompt_tokens > 0
    assert completion.finish_reason in {"stop", "length"}


def test_unknown_model_lists_available_ones(ollama_server):
    backend = OllamaBackend(model="llama3.2:70b", host=ollama_server[0])
    with pytest.raises(
        BackendError,
        match=r"model 'llama3.2:70b' not found .*ollama pull llama3.2:70b.*smollm2:135m",
    ):
        backend.complete(MESSAGES, max_tokens=4)


def test_error_inside_the_stream_is_reported(ollama_server):
    backend = OllamaBackend(model="smollm2:broken", host=ollama_server[0])
    with pytest.raises(BackendError, match="error was encountered while running the model"):
        backend.complete(MESSAGES, max_tokens=32, seed=1)


def test_server_down_after_bounded_retries():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = OllamaBackend(host=f"http://127.0.0.1:{port}", max_retries=2, backoff_s=0.01)
    with pytest.raises(
        BackendError, match=rf"127.0.0.1:{port} is not reachable .*gave up after 3 tries"
    ):
        backend.complete(MESSAGES, max_tokens=4)


def test_busy_server_is_retried_with_backoff(ollama_server):
    url, state = ollama_server
    state.busy_replies = 2
    completion = OllamaBackend(
        model="smollm2:135m", host=url, max_retries=2, backoff_s=0.01
    ).complete(MESSAGES, max_tokens=4)
    assert completion.text is not None
    state.busy_replies = 5
    with pytest.raises(BackendError, match="server busy"):
        OllamaBackend(model="smollm2:135m", host=url, max_retries=1, backoff_s=0.01).complete(
            MESSAGES, max_tokens=4
        )
    state.busy_replies = 0


def test_context_too_long_when_the_server_truncates(ollama_server):
    backend = OllamaBackend(model="smollm2:135m", host=ollama_server[0], num_ctx=256)
    long_text = "La cetoacidosis diabética es una complicación aguda. " * 60
    with pytest.raises(BackendError, match="context too long: the prompt filled num_ctx=256"):
        backend.complete([ChatTurn(role="user", content=long_text)], max_tokens=4)


def test_tags_and_show(ollama_server):
    backend = OllamaBackend(model="smollm2:135m", host=ollama_server[0])
    assert backend.available_models() == ["smollm2:135m", "smollm2:broken"]
    assert backend.context_size() == 8192
    assert OllamaBackend(num_ctx=2048).context_size() == 2048


def test_registered():
    assert type(medcards.get_backend("ollama")) is OllamaBackend

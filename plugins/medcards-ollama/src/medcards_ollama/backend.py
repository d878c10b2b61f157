"""The Ollama backend: ``/api/chat`` with ``format`` set to the card's JSON Schema."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import Field

from medcards import Backend, BackendError, ChatTurn, Completion, call_with_retries


class OllamaBackend(Backend):
    """Talks to an Ollama server (``ollama serve``) through the official ``ollama`` client.

    Structured output uses Ollama's top-level ``format`` field holding the JSON Schema.
    Generation options go in ``options`` (``num_predict``, ``temperature``, ``seed``,
    ``num_ctx``). Transport failures (server down, timeouts, HTTP 5xx) are retried
    ``max_retries`` times with exponential backoff (:func:`medcards.call_with_retries`; the
    ``ollama`` client has no retry option of its own); a missing model, a bad request or an
    error reported inside a response stream is not retried and becomes a
    :class:`~medcards.BackendError` naming the host and the model.

    The backend owns the HTTP transport it gives the client, so :meth:`close` (or leaving a
    ``with`` block) closes its pooled connections.
    """

    name: ClassVar[str] = "ollama"
    supports_json_schema: ClassVar[bool] = True

    class Options(Backend.Options):
        """Options of the Ollama backend."""

        model: str = Field(default="llama3.2", description="Model name, e.g. 'llama3.2:3b'.")
        host: str = Field(default="http://127.0.0.1:11434", description="Ollama server URL.")
        timeout_s: float = Field(default=300.0, gt=0, description="Per-request timeout (s).")
        max_retries: int = Field(default=2, ge=0, le=10, description="Transport retries.")
        backoff_s: float = Field(default=0.5, ge=0, description="First retry delay (doubles).")
        stream: bool = Field(default=True, description="Stream tokens (NDJSON) from the server.")
        num_ctx: int | None = Field(default=None, ge=128, description="Context window (tokens).")
        keep_alive: str | None = Field(default=None, description="How long the model stays loaded.")

    options: Options

    def __init__(self, **options: Any) -> None:
        """Validate options; the client is created on first use."""
        super().__init__(**options)
        self._client: Any = None
        self._transport: Any = None

    def close(self) -> None:
        """Close the HTTP connections (a new client is made on the next call)."""
        if self._transport is not None:
            self._transport.close()
        self._client = self._transport = None

    @property
    def client(self) -> Any:
        """The ``ollama.Client`` for ``host``, on an HTTP transport this backend owns."""
        if self._client is None:
            try:
                import httpx
                import ollama
            except ImportError:
                raise BackendError("ollama: the ollama client is not installed") from None
            # Extra keyword arguments of ollama.Client go to its httpx.Client.
            transport = httpx.HTTPTransport()
            self._client = ollama.Client(
                host=self.options.host, timeout=self.options.timeout_s, transport=transport
            )
            self._transport = transport
        return self._client

    def _where(self) -> str:
        return f"ollama at {self.options.host}"

    def _call(self, what: str, func: Any) -> Any:
        """Run ``func`` with bounded, backed-off retries of transport failures."""
        return call_with_retries(
            func,
            transient=self._transient,
            max_retries=self.options.max_retries,
            backoff_s=self.options.backoff_s,
            what=what,
        )

    def _transient(self, exc: Exception) -> str | None:
        """What went wrong when ``exc`` is worth retrying; a missing model etc. is raised."""
        import httpx
        import ollama

        if isinstance(exc, ConnectionError | httpx.ConnectError):
            return f"{self._where()} is not reachable (is `ollama serve` running?)"
        if isinstance(exc, httpx.TimeoutException):
            return f"{self._where()} timed out after {self.options.timeout_s:g} s"
        if isinstance(exc, ollama.ResponseError):
            if exc.status_code >= 500 and "context" not in exc.error.lower():
                return f"{self._where()} failed ({exc.status_code}): {exc.error}"
            raise self._response_error(exc) from None
        return None

    def _response_error(self, exc: Any) -> BackendError:
        text = str(exc.error)
        lowered = text.lower()
        if exc.status_code == 404 or "not found" in lowered:
            available = ", ".join(self.available_models(quiet=True)) or "none"
            return BackendError(
                f"{self._where()}: model {self.options.model!r} not found "
                f"(`ollama pull {self.options.model}`; available: {available})"
            )
        if "context" in lowered and (
            "length" in lowered or "exceed" in lowered or "long" in lowered
        ):
            return BackendError(
                f"{self._where()}: context too long for {self.options.model!r}: {text} "
                "(raise num_ctx or split the guide into smaller topics)"
            )
        code = f" ({exc.status_code})" if exc.status_code and exc.status_code > 0 else ""
        return BackendError(f"{self._where()}{code} with model {self.options.model!r}: {text}")

    def available_models(self, *, quiet: bool = False) -> list[str]:
        """Model names the server has (``GET /api/tags``); ``[]`` on failure when ``quiet``."""
        try:
            listing = self.client.list()
        except Exception as exc:  # only used to enrich another error message when quiet
            if quiet:
                return []
            raise BackendError(f"{self._where()} is not reachable: {exc}") from None
        return sorted(m.model for m in listing.models if m.model)

    def context_size(self) -> int | None:
        """``num_ctx`` if set, else the model's trained context length (``POST /api/show``)."""
        if self.options.num_ctx is not None:
            return self.options.num_ctx
        info = self._call("show", lambda: self.client.show(self.options.model))
        for key, value in (info.modelinfo or {}).items():
            if key.endswith(".context_length"):
                return int(value)
        return None

    def request_payload(
        self,
        messages: Sequence[ChatTurn],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """The keyword arguments given to ``ollama.Client.chat`` (the ``/api/chat`` body)."""
        options: dict[str, Any] = {"num_predict": max_tokens, "temperature": temperature}
        if seed is not None:
            options["seed"] = seed
        if self.options.num_ctx is not None:
            options["num_ctx"] = self.options.num_ctx
        payload: dict[str, Any] = {
            "model": self.options.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": self.options.stream,
            "options": options,
        }
        if json_schema is not None:
            payload["format"] = json_schema
        if self.options.keep_alive is not None:
            payload["keep_alive"] = self.options.keep_alive
        return payload

    def complete(
        self,
        messages: Sequence[ChatTurn],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> Completion:
        """Chat with the model; streams when ``stream`` is set and joins the pieces.

        Raises:
            BackendError: server down, model missing, context too long, error inside the stream.
        """
        payload = self.request_payload(
            messages,
            json_schema=json_schema,
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
        )
        start = time.perf_counter()

        def run() -> tuple[str, Any]:
            if not payload["stream"]:
                response = self.client.chat(**payload)
                return response.message.content or "", response
            pieces, last = [], None
            for part in self.client.chat(**payload):
                pieces.append(part.message.content or "")
                last = part
            if last is None or not last.done:
                raise BackendError(f"{self._where()}: the response stream ended before 'done'")
            return "".join(pieces), last

        text, final = self._call("chat", run)
        prompt_tokens = final.prompt_eval_count
        if (
            self.options.num_ctx is not None
            and prompt_tokens is not None
            and prompt_tokens >= self.options.num_ctx
        ):
            # Ollama truncates an over-long prompt instead of failing: the card would be made
            # from a cut context, so treat it as the error it is.
            raise BackendError(
                f"{self._where()}: context too long: the prompt filled num_ctx="
                f"{self.options.num_ctx} tokens and was truncated by the server"
            )
        return Completion(
            text=text,
            model=final.model or self.options.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=final.eval_count,
            finish_reason=final.done_reason,
            seconds=time.perf_counter() - start,
        )

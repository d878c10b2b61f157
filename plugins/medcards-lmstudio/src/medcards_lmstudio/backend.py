"""The LM Studio backend: ``/v1/chat/completions`` of an OpenAI-compatible server."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from pydantic import Field

from medcards import Backend, BackendError, ChatTurn, Completion


class LMStudioBackend(Backend):
    """Talks to LM Studio (or another OpenAI-compatible server) through the ``openai`` client.

    Two structured-output dialects:

    - ``json_schema`` (default, LM Studio and OpenAI): ``response_format={"type": "json_schema",
      "json_schema": {"name": ..., "strict": true, "schema": ...}}``. LM Studio rejects
      ``json_object``.
    - ``json_object`` (llama.cpp's servers, e.g. ``python -m llama_cpp.server``):
      ``response_format={"type": "json_object", "schema": ...}``.

    Timeouts and retries (connection errors, 408/409/429/5xx, with exponential backoff) are the
    ``openai`` client's own (``timeout_s``, ``max_retries``). :meth:`close` (or leaving a
    ``with`` block) closes the client's connections.
    """

    name: ClassVar[str] = "lmstudio"
    supports_json_schema: ClassVar[bool] = True

    class Options(Backend.Options):
        """Options of the LM Studio backend."""

        base_url: str = Field(default="http://localhost:1234/v1", description="Server URL.")
        model: str = Field(default="", description="Model id; empty: the server's first model.")
        api_key: str = Field(default="lm-studio", description="Sent as bearer token.")
        dialect: Literal["json_schema", "json_object"] = "json_schema"
        timeout_s: float = Field(default=300.0, gt=0, description="Per-request timeout (s).")
        max_retries: int = Field(default=2, ge=0, le=10, description="Transport retries.")
        check_model: bool = Field(
            default=True, description="Check the model is served (GET /v1/models) before use."
        )

    options: Options

    def __init__(self, **options: Any) -> None:
        """Validate options; the client is created on first use."""
        super().__init__(**options)
        self._client: Any = None
        self._model: str | None = None

    def close(self) -> None:
        """Close the HTTP connections (a new client is made on the next call)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def client(self) -> Any:
        """The ``openai.OpenAI`` client for ``base_url``."""
        if self._client is None:
            try:
                import openai
            except ImportError:
                raise BackendError("lmstudio: the openai client is not installed") from None
            self._client = openai.OpenAI(
                base_url=self.options.base_url,
                api_key=self.options.api_key,
                timeout=self.options.timeout_s,
                max_retries=self.options.max_retries,
            )
        return self._client

    def _where(self) -> str:
        return f"server at {self.options.base_url}"

    def _translate(self, exc: Exception) -> BackendError:
        import openai

        if isinstance(exc, openai.APITimeoutError):
            return BackendError(
                f"{self._where()} timed out after {self.options.timeout_s:g} s "
                f"({self.options.max_retries} retries)"
            )
        if isinstance(exc, openai.APIConnectionError):
            return BackendError(
                f"{self._where()} is not reachable (is the server running? "
                f"{self.options.max_retries} retries)"
            )
        if isinstance(exc, openai.APIStatusError):
            detail = _detail(exc)
            lowered = detail.lower()
            if exc.status_code == 404 or ("model" in lowered and "not found" in lowered):
                return BackendError(
                    f"{self._where()}: model {self.options.model!r} not found: {detail}"
                )
            if "context" in lowered and ("exceed" in lowered or "length" in lowered):
                return BackendError(
                    f"{self._where()}: context too long: {detail} "
                    "(load the model with a larger context or split the guide)"
                )
            return BackendError(f"{self._where()} answered {exc.status_code}: {detail}")
        return BackendError(f"{self._where()}: {type(exc).__name__}: {exc}")

    def available_models(self) -> list[str]:
        """Model ids the server lists (``GET /v1/models``)."""
        import openai

        try:
            return [m.id for m in self.client.models.list().data]
        except openai.OpenAIError as exc:
            raise self._translate(exc) from None

    def model_id(self) -> str:
        """The model requests name: ``model``, checked against the server's list when asked."""
        if self._model is not None:
            return self._model
        if not self.options.check_model:
            self._model = self.options.model or "default"
            return self._model
        available = self.available_models()
        if not self.options.model:
            if not available:
                raise BackendError(f"{self._where()} serves no model; load one first")
            self._model = available[0]
        elif self.options.model not in available:
            raise BackendError(
                f"{self._where()}: model {self.options.model!r} not found "
                f"(available: {', '.join(available) or 'none'})"
            )
        else:
            self._model = self.options.model
        return self._model

    def response_format(self, json_schema: dict[str, Any]) -> dict[str, Any]:
        """The ``response_format`` of the configured dialect for ``json_schema``."""
        if self.options.dialect == "json_object":
            return {"type": "json_object", "schema": json_schema}
        title = str(json_schema.get("title") or "card")
        return {
            "type": "json_schema",
            "json_schema": {"name": title, "strict": True, "schema": json_schema},
        }

    def request_payload(
        self,
        messages: Sequence[ChatTurn],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """The keyword arguments given to ``client.chat.completions.create``."""
        payload: dict[str, Any] = {
            "model": self.model_id(),
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if seed is not None:
            payload["seed"] = seed
        if json_schema is not None:
            payload["response_format"] = self.response_format(json_schema)
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
        """Chat with the served model.

        Raises:
            BackendError: server down, model missing, context too long, timeouts.
        """
        import openai

        payload = self.request_payload(
            messages,
            json_schema=json_schema,
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
        )
        start = time.perf_counter()
        try:
            response = self.client.chat.completions.create(**payload)
        except openai.OpenAIError as exc:
            raise self._translate(exc) from None
        if not response.choices:
            raise BackendError(f"{self._where()} returned no choices")
        choice = response.choices[0]
        usage = response.usage
        return Completion(
            text=choice.message.content or "",
            model=response.model or payload["model"],
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            finish_reason=choice.finish_reason,
            seconds=time.perf_counter() - start,
        )


def _detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body))
        if isinstance(error, dict):
            return str(error.get("message") or error)
        return str(error)
    return str(getattr(exc, "message", exc))

"""The llama.cpp backend: a GGUF model loaded in-process by llama-cpp-python."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from medcards import Backend, BackendError, ChatTurn, Completion


def without_string_limits(schema: Any, keep_up_to: int = 0) -> Any:
    """A copy of ``schema`` without string ``maxLength`` above ``keep_up_to`` characters.

    llama.cpp's JSON-Schema converter expands ``maxLength: 300`` into 300 nested optional
    rules: grammar sampling slows to a crawl and long limits fail to parse ("exceeds sane
    defaults"). Short limits and list limits (``maxItems``) stay; long string limits are
    enforced by ``max_tokens`` and by the card models' validation after generation.
    """
    if isinstance(schema, dict):
        drop = isinstance(schema.get("maxLength"), int) and schema["maxLength"] > keep_up_to
        return {
            k: without_string_limits(v, keep_up_to)
            for k, v in schema.items()
            if not (drop and k == "maxLength")
        }
    if isinstance(schema, list):
        return [without_string_limits(v, keep_up_to) for v in schema]
    return schema


class LlamaCppBackend(Backend):
    """Runs a local GGUF model in this process, constraining output with a JSON-Schema grammar.

    The schema is passed as ``response_format={"type": "json_object", "schema": ...}``, which
    llama-cpp-python turns into a GBNF grammar (``maxLength``/``maxItems`` included). The chat
    template is the one stored in the GGUF (``tokenizer.chat_template``) unless ``chat_format``
    names another. ``n_ctx`` is always set explicitly: llama-cpp-python's default (512) silently
    truncates guide-sized prompts. :meth:`close` (or leaving a ``with`` block) frees the model;
    the next call loads it again. In-process generation has no transport to retry.
    """

    name: ClassVar[str] = "llamacpp"
    supports_json_schema: ClassVar[bool] = True

    class Options(Backend.Options):
        """Options of the llama.cpp backend."""

        model_path: Path = Field(description="The GGUF file.")
        n_ctx: int = Field(default=4096, ge=128, description="Context window in tokens.")
        n_threads: int | None = Field(default=None, ge=1, description="CPU threads (None: auto).")
        n_gpu_layers: int = Field(default=0, description="Layers offloaded to a GPU (-1: all).")
        chat_format: str | None = Field(
            default=None, description="llama-cpp-python chat format; None uses the GGUF template."
        )
        timeout_s: float | None = Field(
            default=None, gt=0, description="Abort a generation after this many seconds."
        )
        seed: int = Field(default=0, description="Seed used when a call gives none.")
        grammar_max_length: int = Field(
            default=120,
            ge=0,
            description="String maxLength above this is left out of the grammar (llama.cpp "
            "expands it into nested rules); validation still enforces it.",
        )
        verbose: bool = False

    options: Options

    def __init__(self, **options: Any) -> None:
        """Validate options; the model is loaded on the first call."""
        super().__init__(**options)
        self._llm: Any = None

    @property
    def model_name(self) -> str:
        """The GGUF file name without its suffix."""
        return self.options.model_path.stem

    def context_size(self) -> int:
        """The context window in tokens (``n_ctx``)."""
        return self.options.n_ctx

    def load(self) -> Any:
        """Load the model (once) and return the ``llama_cpp.Llama`` object.

        Raises:
            BackendError: if the file is missing, llama-cpp-python is not installed, or the
                file is not a loadable GGUF.
        """
        if self._llm is not None:
            return self._llm
        path = self.options.model_path
        if not path.is_file():
            raise BackendError(f"llamacpp: model file not found: {path}")
        try:
            from llama_cpp import Llama
        except ImportError:
            raise BackendError(
                "llamacpp: llama-cpp-python is not installed (pip install medcards-llamacpp)"
            ) from None
        try:
            self._llm = Llama(
                model_path=str(path),
                n_ctx=self.options.n_ctx,
                n_threads=self.options.n_threads,
                n_gpu_layers=self.options.n_gpu_layers,
                chat_format=self.options.chat_format,
                seed=self.options.seed,
                verbose=self.options.verbose,
            )
        except (ValueError, RuntimeError) as exc:
            raise BackendError(f"llamacpp: could not load {path}: {exc}") from None
        return self._llm

    def close(self) -> None:
        """Free the model (it is loaded again on the next call)."""
        if self._llm is not None:
            self._llm.close()
            self._llm = None

    def complete(
        self,
        messages: Sequence[ChatTurn],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> Completion:
        """Generate a reply in-process.

        Raises:
            BackendError: model missing, prompt longer than ``n_ctx``, or ``timeout_s`` exceeded.
        """
        llm = self.load()
        kwargs: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "seed": self.options.seed if seed is None else seed,
        }
        if json_schema is not None:
            schema = without_string_limits(json_schema, self.options.grammar_max_length)
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        start = time.perf_counter()
        try:
            if self.options.timeout_s is None:
                result = llm.create_chat_completion(**kwargs)
                text = result["choices"][0]["message"]["content"] or ""
                finish = result["choices"][0].get("finish_reason")
                usage = result.get("usage") or {}
                prompt_tokens = usage.get("prompt_tokens")
                completion_tokens = usage.get("completion_tokens")
            else:
                text, finish, completion_tokens = self._stream(llm, kwargs, start)
                prompt_tokens = None
        except ValueError as exc:
            if "exceed context window" in str(exc):
                raise BackendError(
                    f"llamacpp: context too long for {self.model_name} ({exc}); raise n_ctx "
                    f"(now {self.options.n_ctx}) or split the guide into smaller topics"
                ) from None
            raise BackendError(f"llamacpp: generation failed: {exc}") from None
        return Completion(
            text=text,
            model=self.model_name,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            finish_reason=finish,
            seconds=time.perf_counter() - start,
        )

    def _stream(
        self, llm: Any, kwargs: dict[str, Any], start: float
    ) -> tuple[str, str | None, int]:
        """Stream so that a deadline can stop generation between tokens."""
        assert self.options.timeout_s is not None
        deadline = start + self.options.timeout_s
        pieces: list[str] = []
        finish: str | None = None
        chunks = 0
        stream = llm.create_chat_completion(stream=True, **kwargs)
        try:
            for chunk in stream:
                choice = chunk["choices"][0]
                content = choice.get("delta", {}).get("content")
                if content:
                    pieces.append(content)
                    chunks += 1
                finish = choice.get("finish_reason") or finish
                if time.perf_counter() > deadline:
                    raise BackendError(
                        f"llamacpp: generation timed out after {self.options.timeout_s:g} s "
                        f"({chunks} tokens)"
                    )
        finally:
            stream.close()
        return "".join(pieces), finish, chunks

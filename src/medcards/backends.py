"""Built-in backends that need no model (the ``echo`` test double) and backend helpers."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from pydantic import Field

from medcards.errors import BackendError
from medcards.interfaces import Backend
from medcards.models import ChatTurn, Completion

T = TypeVar("T")


def call_with_retries(
    call: Callable[[], T],
    *,
    transient: Callable[[Exception], str | None],
    max_retries: int,
    backoff_s: float,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``call``, retrying transport failures with exponential backoff.

    The one retry loop of medcards' backends. A backend whose client has no retry option of its
    own (the ``openai`` client has one; ``ollama``'s has none) wraps each request in it.

    Args:
        call: The request.
        transient: Says whether an exception is a transport failure worth retrying: returns a
            description of it (``"ollama at http://... is not reachable"``), or ``None`` for
            anything else, which propagates at once. It may raise a
            :class:`~medcards.BackendError` of its own instead (a missing model).
        max_retries: Retries after the first try.
        backoff_s: Delay before the first retry; it doubles before each next one.
        what: The operation, named in the final error (``"chat"``).
        sleep: The delay function (tests pass a fake).

    Raises:
        BackendError: after ``max_retries + 1`` failed tries, with the last description, the
            operation and the number of tries.
    """
    delay = backoff_s
    message, problem = "", ""
    for attempt in range(max_retries + 1):
        try:
            return call()
        except Exception as exc:  # classified by `transient`; the rest is re-raised
            description = transient(exc)
            if description is None:
                raise
            message, problem = description, type(exc).__name__
        if attempt < max_retries:
            sleep(delay)
            delay *= 2
    raise BackendError(
        f"{message} during {what}; gave up after {max_retries + 1} tries ({problem})"
    )


class EchoBackend(Backend):
    """A test double: replies with queued ``responses`` in order, else echoes the last user turn.

    Every call is recorded in ``calls`` (messages and keyword arguments), so tests can assert
    what a generator sent. Queued responses let a test script a backend's misbehaviour
    (malformed JSON, ungrounded cards) and the recovery.
    """

    name: ClassVar[str] = "echo"
    supports_json_schema: ClassVar[bool] = False

    class Options(Backend.Options):
        """Options of the echo backend."""

        responses: list[str] = Field(default_factory=list, description="Replies, in order.")
        model: str = "echo"

    options: Options

    def __init__(self, **options: Any) -> None:
        """Validate options and start an empty call log."""
        super().__init__(**options)
        self._queue = list(self.options.responses)
        self.calls: list[dict[str, Any]] = []

    def queue(self, *responses: str) -> None:
        """Append replies to the queue."""
        self._queue.extend(responses)

    def complete(
        self,
        messages: Sequence[ChatTurn],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> Completion:
        """The next queued reply, or the last user message."""
        start = time.perf_counter()
        self.calls.append(
            {
                "messages": list(messages),
                "json_schema": json_schema,
                "max_tokens": max_tokens,
                "temperature": temperature,
                "seed": seed,
            }
        )
        if self._queue:
            text = self._queue.pop(0)
        else:
            users = [m.content for m in messages if m.role == "user"]
            if not users:
                raise BackendError("echo backend: no user message to echo")
            text = users[-1]
        # The echo backend's "tokens" are whitespace-separated words.
        words = text.split()
        finish_reason = "stop"
        if len(words) > max_tokens:
            words, finish_reason = words[:max_tokens], "length"
            text = " ".join(words)
        return Completion(
            text=text,
            model=self.options.model,
            prompt_tokens=sum(len(m.content.split()) for m in messages),
            completion_tokens=len(words),
            finish_reason=finish_reason,
            seconds=time.perf_counter() - start,
        )

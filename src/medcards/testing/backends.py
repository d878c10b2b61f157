"""Conformance checks for :class:`~medcards.Backend` implementations.

These run a real generation, so a factory must return a backend that can answer (a local model,
a loopback server, or the echo double).
"""

from __future__ import annotations

from collections.abc import Callable

from medcards.interfaces import Backend
from medcards.models import ChatTurn, Completion

Factory = Callable[[], Backend]

_MESSAGES = [
    ChatTurn(role="system", content="Answer briefly."),
    ChatTurn(role="user", content="Name one symptom of diabetic ketoacidosis."),
]
_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string", "maxLength": 80}},
    "required": ["answer"],
}


def check_backend_completes(factory: Factory) -> None:
    """``complete`` returns a :class:`~medcards.Completion` with text and the model name."""
    completion = factory().complete(_MESSAGES, max_tokens=16, seed=1)
    assert isinstance(completion, Completion)
    assert isinstance(completion.text, str)
    assert completion.model


def check_backend_respects_max_tokens(factory: Factory) -> None:
    """When the backend reports token counts, it never generates more than ``max_tokens``."""
    completion = factory().complete(_MESSAGES, max_tokens=4, seed=1)
    if completion.completion_tokens is not None:
        assert completion.completion_tokens <= 4, completion.completion_tokens


def check_backend_json_schema(factory: Factory) -> None:
    """A backend that ``supports_json_schema`` returns JSON matching a simple schema."""
    backend = factory()
    if not backend.supports_json_schema:
        return
    value = backend.complete_json(_MESSAGES, _SCHEMA, max_tokens=48, seed=1)
    assert isinstance(value, dict) and isinstance(value.get("answer"), str), value


def backend_checks() -> list[Callable[[Factory], None]]:
    """Every check a backend must pass."""
    from _sdk.testing import check_component_contract

    return [
        check_component_contract,
        check_backend_completes,
        check_backend_respects_max_tokens,
        check_backend_json_schema,
    ]

"""Building many :class:`~emkit.ChatMessage` objects fast, from values a parser has checked.

Validating every message of a 100k-message export through pydantic costs more than parsing the
file. A parser that builds each field itself, with its own checks and its own
:class:`~emkit.ParseError` naming the line (dates, clocks, offsets), gains nothing from a second
check, so :func:`trusted_message` builds the model the way ``model_construct`` does, without
its per-call overhead. ``tests/emkit_data/test_parsers.py`` checks that the result equals, field
for field and in every behaviour (frozen, hashable, copies, dumps), what validation builds.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from emkit.models import ChatMessage

__all__ = ["FIELDS", "paused_gc", "trusted_message"]

#: Every field of :class:`~emkit.ChatMessage`, in declaration order.
FIELDS = tuple(ChatMessage.model_fields)

_new = ChatMessage.__new__
_set = object.__setattr__


def trusted_message(row: dict[str, Any], fields_set: set[str]) -> ChatMessage:
    """A :class:`~emkit.ChatMessage` holding ``row``, without validation.

    ``row`` must hold every field of :data:`FIELDS`, in that order, each with a value of the
    field's type, and ``sent_at`` must already be in UTC; it becomes the model's ``__dict__``
    and is not copied. ``fields_set`` (what ``model_fields_set`` reports) may be shared by many
    messages: the model is frozen, and pydantic copies the set before changing it
    (``model_copy``).
    """
    message = _new(ChatMessage)
    _set(message, "__dict__", row)
    _set(message, "__pydantic_fields_set__", fields_set)
    _set(message, "__pydantic_extra__", None)
    _set(message, "__pydantic_private__", None)
    return message


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a parser builds its messages.

    Building some 200,000 container objects (a model and its ``__dict__`` per message) makes
    CPython run full collections over the whole heap while they are built, none of which can
    free anything: the messages hold no reference cycles. Reference counting still frees
    everything as usual; the collector is switched back on afterwards (if it was on), and its
    next collection then sees the new objects once. The same remedy as Mercurial's ``nogc``.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

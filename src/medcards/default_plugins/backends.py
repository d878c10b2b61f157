"""Built-in backends."""

from __future__ import annotations

from collections.abc import Callable

from medcards.backends import EchoBackend
from medcards.interfaces import Backend
from medcards.plugins import hookimpl


@hookimpl
def medcards_register_backends(register: Callable[[type[Backend]], None]) -> None:
    """Register the echo test backend."""
    register(EchoBackend)

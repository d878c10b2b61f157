"""medcards-ollama: the ``ollama`` backend (an Ollama server, via the ``ollama`` client).

Registration imports nothing heavy: ``ollama`` is imported when the client is first needed.
"""

from __future__ import annotations

from collections.abc import Callable

import medcards
from medcards_ollama.backend import OllamaBackend

__all__ = ["OllamaBackend", "medcards_register_backends"]


@medcards.hookimpl
def medcards_register_backends(register: Callable[[type[medcards.Backend]], None]) -> None:
    """Register the Ollama backend."""
    register(OllamaBackend)

"""medcards-llamacpp: the ``llamacpp`` backend (GGUF models in-process via llama-cpp-python).

Registration imports nothing heavy: ``llama_cpp`` is imported when the model is first loaded.
"""

from __future__ import annotations

from collections.abc import Callable

import medcards
from medcards_llamacpp.backend import LlamaCppBackend

__all__ = ["LlamaCppBackend", "medcards_register_backends"]


@medcards.hookimpl
def medcards_register_backends(register: Callable[[type[medcards.Backend]], None]) -> None:
    """Register the llama.cpp backend."""
    register(LlamaCppBackend)

"""medcards-lmstudio: the ``lmstudio`` backend (LM Studio or any OpenAI-compatible server).

Registration imports nothing heavy: ``openai`` is imported when the client is first needed.
"""

from __future__ import annotations

from collections.abc import Callable

import medcards
from medcards_lmstudio.backend import LMStudioBackend

__all__ = ["LMStudioBackend", "medcards_register_backends"]


@medcards.hookimpl
def medcards_register_backends(register: Callable[[type[medcards.Backend]], None]) -> None:
    """Register the LM Studio backend."""
    register(LMStudioBackend)

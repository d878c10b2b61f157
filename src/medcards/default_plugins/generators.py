"""Built-in card generators: ``extractive`` (offline, no model) and ``llm`` (any backend)."""

from __future__ import annotations

from collections.abc import Callable

from medcards.generation.extractive import ExtractiveGenerator
from medcards.generation.llm import LLMCardGenerator
from medcards.interfaces import CardGenerator
from medcards.plugins import hookimpl


@hookimpl
def medcards_register_card_generators(register: Callable[[type[CardGenerator]], None]) -> None:
    """Register the extractive and the LLM card generators."""
    register(ExtractiveGenerator)
    register(LLMCardGenerator)

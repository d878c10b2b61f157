"""Deprecated alias of the ``llm`` card generator: :mod:`medcards.generation.llm`.

Public names are in :mod:`medcards`; this alias will be removed in the next release.
"""

from medcards._deprecated import moved_module

__getattr__ = moved_module("medcards.generator", "medcards.generation.llm")

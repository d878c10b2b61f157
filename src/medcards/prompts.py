"""Deprecated alias of the prompt templates: :mod:`medcards.generation.prompts`.

Public names are in :mod:`medcards`; this alias will be removed in the next release.
"""

from medcards._deprecated import moved_module

__getattr__ = moved_module("medcards.prompts", "medcards.generation.prompts")

"""Deprecated alias of the grounding checks: :mod:`medcards.generation.grounding`.

Public names are in :mod:`medcards`; this alias will be removed in the next release.
"""

from medcards._deprecated import moved_module

__getattr__ = moved_module("medcards.grounding", "medcards.generation.grounding")

"""Deprecated alias of the ``extractive`` generator: :mod:`medcards.generation.extractive`.

Public names are in :mod:`medcards`; this alias will be removed in the next release.
"""

from medcards._deprecated import moved_module

__getattr__ = moved_module("medcards.extractive", "medcards.generation.extractive")

"""Deprecated alias of :mod:`medcards.scheduling`; it will be removed in the next release.

Schedulers are picked by name with :func:`medcards.get_scheduler`.
"""

from medcards._deprecated import moved_module

__getattr__ = moved_module("medcards.schedulers", "medcards.scheduling")

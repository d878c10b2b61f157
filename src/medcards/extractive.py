"""Deprecated alias of the ``extractive`` generator: :mod:`medcards.generation.extractive`.

Public names are in :mod:`medcards`; this alias will be removed in 0.3.0.
"""

from _sdk.deprecation import deprecated_aliases

__getattr__ = deprecated_aliases(
    "medcards.extractive",
    module="medcards.generation.extractive",
    public=("medcards", "medcards.study"),
)

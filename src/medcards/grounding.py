"""Deprecated alias of the grounding checks: :mod:`medcards.generation.grounding`.

Public names are in :mod:`medcards`; this alias will be removed in 0.3.0.
"""

from _sdk.deprecation import deprecated_aliases

__getattr__ = deprecated_aliases(
    "medcards.grounding",
    module="medcards.generation.grounding",
    public=("medcards", "medcards.study"),
)

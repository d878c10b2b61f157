"""Deprecated alias of the ``llm`` card generator: :mod:`medcards.generation.llm`.

Public names are in :mod:`medcards`; this alias will be removed in 0.3.0.
"""

from _sdk.deprecation import deprecated_aliases

__getattr__ = deprecated_aliases(
    "medcards.generator",
    module="medcards.generation.llm",
    public=("medcards", "medcards.study"),
)

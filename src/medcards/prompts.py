"""Deprecated alias of the prompt templates: :mod:`medcards.generation.prompts`.

Public names are in :mod:`medcards`; this alias will be removed in 0.3.0.
"""

from _sdk.deprecation import deprecated_aliases

__getattr__ = deprecated_aliases(
    "medcards.prompts",
    module="medcards.generation.prompts",
    public=("medcards", "medcards.study"),
)

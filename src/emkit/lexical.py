"""Deprecated: the lexical extractor moved to :mod:`emkit.features.lexical`.

Get it by name, ``emkit.get_feature_extractor("lexical")``. Reading a name here warns.
"""

from __future__ import annotations

from _sdk.deprecation import deprecated_aliases

__getattr__ = deprecated_aliases(
    __name__,
    {
        name: f"emkit.features.lexical.{name}"
        for name in (
            "LexicalExtractor",
            "count_syllables",
            "lexical_columns",
            "mattr",
            "readability",
        )
    },
)

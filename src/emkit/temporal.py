"""Deprecated: the temporal features moved to :mod:`emkit.features.temporal`.

Use :func:`emkit.add_temporal_features` and its helpers. Reading a name here warns.
"""

from __future__ import annotations

from _sdk.deprecation import deprecated_aliases

__getattr__ = deprecated_aliases(
    __name__,
    {
        name: f"emkit.{name}"
        for name in (
            "add_temporal_features",
            "coherence_drop",
            "embedding_columns",
            "embedding_drift",
            "perplexity_trend",
            "rolling_zscores",
        )
    },
)

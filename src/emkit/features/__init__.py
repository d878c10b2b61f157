"""Feature helpers shared by language-model extractors: day aggregation and PCA."""

from __future__ import annotations

from emkit.features.daily import (
    MessageFeatures,
    day_frame,
    length_sorted_batches,
    message_day_columns,
)
from emkit.features.pca import EmbeddingPCA

__all__ = [
    "EmbeddingPCA",
    "MessageFeatures",
    "day_frame",
    "length_sorted_batches",
    "message_day_columns",
]

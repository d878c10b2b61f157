"""Feature code in one place.

Schemas and roles, day aggregation, temporal features, PCA and the built-in lexical extractor
(:mod:`emkit.features.lexical`).

The public names are re-exported by :mod:`emkit`.
"""

from __future__ import annotations

from emkit.features.daily import (
    MessageFeatures,
    day_frame,
    length_sorted_batches,
    message_day_columns,
    message_day_schema,
)
from emkit.features.pca import EmbeddingPCA
from emkit.features.schema import (
    SCHEMA_ATTR,
    ColumnRole,
    FeatureColumn,
    FeatureSchema,
    embedding_columns,
    pca_column,
)
from emkit.features.temporal import (
    add_temporal_features,
    baseline_column,
    baseline_deviations,
    coherence_drop,
    embedding_drift,
    perplexity_trend,
    rolling_zscores,
)
from emkit.features.text import TEXT_COLUMN, TextExtractor

__all__ = [
    "SCHEMA_ATTR",
    "TEXT_COLUMN",
    "ColumnRole",
    "EmbeddingPCA",
    "FeatureColumn",
    "FeatureSchema",
    "MessageFeatures",
    "TextExtractor",
    "add_temporal_features",
    "baseline_column",
    "baseline_deviations",
    "coherence_drop",
    "day_frame",
    "embedding_columns",
    "embedding_drift",
    "length_sorted_batches",
    "message_day_columns",
    "message_day_schema",
    "pca_column",
    "perplexity_trend",
    "rolling_zscores",
]

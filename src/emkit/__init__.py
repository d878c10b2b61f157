"""emkit: forecast multiple-sclerosis relapses from a patient's daily chat messages.

This module is emkit's public contract: the interfaces plugins implement, the data models and
typed data contracts they exchange (feature schemas with column roles, label and probability
column names), the helpers a plugin needs, the registries, and the user-level functions of the
pipeline. Plugins implement the interfaces and are selected by name::

    import emkit

    forecaster = emkit.get_forecaster("prevalence")

Besides this module, three sub-packages are public: :mod:`emkit.testing` (conformance kit),
:mod:`emkit.evaluation` (leakage-safe evaluation and the report) and :mod:`emkit.synth`
(synthetic cohorts). Every other module is private to the package.
"""

from __future__ import annotations

from _sdk import (
    VERSION as _VERSION,
)
from _sdk import (
    InvalidOptionsError,
    PluginError,
    PluginInfo,
    PluginLoadWarning,
    UnknownPluginError,
    UserError,
    atomic_write_bytes,
    atomic_write_text,
)
from _sdk.cli import parse_key_values
from emkit.columns import horizon_of, label_column, label_series, proba_column, reason_column
from emkit.dataset import (
    RELAPSE,
    ClinicalEvent,
    Patient,
    PatientMetadata,
    UtcOffsetSpan,
    decode_message_line,
    encode_message_line,
    read_cohort,
    read_day_messages,
    read_events,
    read_patient,
    write_patient,
)
from emkit.errors import EmkitError, ParseError
from emkit.features import (
    TEXT_COLUMN,
    ColumnRole,
    EmbeddingPCA,
    FeatureColumn,
    FeatureSchema,
    MessageFeatures,
    TextExtractor,
    add_temporal_features,
    baseline_column,
    baseline_deviations,
    coherence_drop,
    day_frame,
    embedding_columns,
    embedding_drift,
    length_sorted_batches,
    message_day_columns,
    message_day_schema,
    pca_column,
    perplexity_trend,
    rolling_zscores,
)
from emkit.forecasters import (
    GBMForecaster,
    LogisticForecaster,
    PrevalenceForecaster,
    TfidfForecaster,
    TrainedModel,
    latest_risk,
    load_model,
    save_model,
)
from emkit.interfaces import ChatParser, FeatureExtractor, FeatureStore, Forecaster
from emkit.labels import (
    DEFAULT_HORIZONS,
    DEFAULT_RECOVERY_DAYS,
    HORIZON_AFTER_END,
    ONGOING_RELAPSE,
    build_labels,
    patient_labels,
    plot_label_timeline,
)
from emkit.models import (
    FEATURE_INDEX,
    ChatExport,
    ChatMessage,
    DayMessage,
    MessageKind,
    PatientDay,
    SkippedLine,
)
from emkit.parsers import (
    ParseSummary,
    Pseudonymiser,
    SenderNotFoundError,
    UnknownFormatError,
    export_to_patient,
    find_sender,
    open_parser,
    sniff,
)
from emkit.plugins import (
    chat_parser_names,
    feature_extractor_names,
    feature_store_names,
    forecaster_names,
    get_chat_parser,
    get_feature_extractor,
    get_feature_store,
    get_forecaster,
    hookimpl,
    list_plugins,
    load_plugins,
)
from emkit.store import (
    DEFAULT_STORE_BACKEND,
    FeatureSetVersion,
    FeatureStoreError,
    open_feature_store,
)

__version__ = _VERSION

__all__ = [
    "ChatExport",
    "ChatMessage",
    "ChatParser",
    "ClinicalEvent",
    "ColumnRole",
    "DEFAULT_HORIZONS",
    "DEFAULT_RECOVERY_DAYS",
    "DEFAULT_STORE_BACKEND",
    "DayMessage",
    "EmbeddingPCA",
    "EmkitError",
    "FEATURE_INDEX",
    "FeatureColumn",
    "FeatureExtractor",
    "FeatureSchema",
    "FeatureSetVersion",
    "FeatureStore",
    "FeatureStoreError",
    "Forecaster",
    "GBMForecaster",
    "HORIZON_AFTER_END",
    "InvalidOptionsError",
    "LogisticForecaster",
    "MessageFeatures",
    "MessageKind",
    "ONGOING_RELAPSE",
    "ParseError",
    "ParseSummary",
    "Patient",
    "PatientDay",
    "PatientMetadata",
    "PluginError",
    "PluginInfo",
    "PluginLoadWarning",
    "PrevalenceForecaster",
    "Pseudonymiser",
    "RELAPSE",
    "SenderNotFoundError",
    "SkippedLine",
    "TEXT_COLUMN",
    "TextExtractor",
    "TfidfForecaster",
    "TrainedModel",
    "UnknownFormatError",
    "UnknownPluginError",
    "UserError",
    "UtcOffsetSpan",
    "__version__",
    "add_temporal_features",
    "atomic_write_bytes",
    "atomic_write_text",
    "baseline_column",
    "baseline_deviations",
    "build_labels",
    "chat_parser_names",
    "coherence_drop",
    "day_frame",
    "decode_message_line",
    "embedding_columns",
    "embedding_drift",
    "encode_message_line",
    "export_to_patient",
    "feature_extractor_names",
    "feature_store_names",
    "find_sender",
    "forecaster_names",
    "get_chat_parser",
    "get_feature_extractor",
    "get_feature_store",
    "get_forecaster",
    "hookimpl",
    "horizon_of",
    "label_column",
    "label_series",
    "latest_risk",
    "length_sorted_batches",
    "list_plugins",
    "load_model",
    "load_plugins",
    "message_day_columns",
    "message_day_schema",
    "open_feature_store",
    "open_parser",
    "parse_key_values",
    "patient_labels",
    "pca_column",
    "perplexity_trend",
    "plot_label_timeline",
    "proba_column",
    "read_cohort",
    "read_day_messages",
    "read_events",
    "read_patient",
    "reason_column",
    "rolling_zscores",
    "save_model",
    "sniff",
    "write_patient",
]

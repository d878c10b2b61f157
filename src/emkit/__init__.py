"""emkit: forecast multiple-sclerosis relapses from a patient's daily chat messages.

Plugins implement the interfaces below and are selected by name::

    import emkit

    forecaster = emkit.get_forecaster("prevalence")
"""

from __future__ import annotations

import importlib.metadata

from _sdk import (
    InvalidOptionsError,
    PluginError,
    PluginInfo,
    PluginLoadWarning,
    UnknownPluginError,
    UserError,
)
from emkit.errors import EmkitError, ParseError
from emkit.interfaces import ChatParser, FeatureExtractor, FeatureStore, Forecaster
from emkit.models import (
    FEATURE_INDEX,
    ChatExport,
    ChatMessage,
    DayMessage,
    MessageKind,
    PatientDay,
    SkippedLine,
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

try:
    __version__ = importlib.metadata.version("emkit-medcards")
except importlib.metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "ChatExport",
    "ChatMessage",
    "ChatParser",
    "DayMessage",
    "EmkitError",
    "FEATURE_INDEX",
    "FeatureExtractor",
    "FeatureStore",
    "Forecaster",
    "InvalidOptionsError",
    "MessageKind",
    "ParseError",
    "PatientDay",
    "PluginError",
    "PluginInfo",
    "PluginLoadWarning",
    "SkippedLine",
    "UnknownPluginError",
    "UserError",
    "__version__",
    "chat_parser_names",
    "feature_extractor_names",
    "feature_store_names",
    "forecaster_names",
    "get_chat_parser",
    "get_feature_extractor",
    "get_feature_store",
    "get_forecaster",
    "hookimpl",
    "list_plugins",
    "load_plugins",
]

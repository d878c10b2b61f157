"""emkit's plugin manager and registries.

Built-in plugins live in :mod:`emkit.default_plugins` and use the same hooks as third-party
plugins, which are discovered through the ``emkit`` entry-point group. Set
``EMKIT_LOAD_PLUGINS=a,b`` to load only those entry points (empty: none).
"""

from __future__ import annotations

from typing import Any, cast

import pluggy

from _sdk import PluginHost, PluginInfo, RegistrySpec
from emkit import hookspecs
from emkit.interfaces import ChatParser, Executor, FeatureExtractor, FeatureStore, Forecaster

hookimpl = pluggy.HookimplMarker("emkit")

host = PluginHost(
    project="emkit",
    hookspecs=hookspecs,
    default_plugins="emkit.default_plugins",
    registries=[
        RegistrySpec("chat_parser", "chat parser", "emkit_register_chat_parsers", ChatParser),
        RegistrySpec(
            "feature_extractor",
            "feature extractor",
            "emkit_register_feature_extractors",
            FeatureExtractor,
        ),
        RegistrySpec(
            "feature_store", "feature store", "emkit_register_feature_stores", FeatureStore
        ),
        RegistrySpec("forecaster", "forecaster", "emkit_register_forecasters", Forecaster),
        RegistrySpec("executor", "executor", "emkit_register_executors", Executor),
    ],
    env_var="EMKIT_LOAD_PLUGINS",
)

#: The pluggy plugin manager (advanced use: blocking or inspecting plugins).
pm = host.pm


def load_plugins() -> None:
    """Register built-in plugins and installed entry-point plugins (idempotent)."""
    host.load_plugins()


def list_plugins(*, include_builtin: bool = True) -> list[PluginInfo]:
    """Loaded plugins with their distribution, hooks and what they registered."""
    return host.list_plugins(include_builtin=include_builtin)


def get_chat_parser(name: str, **options: Any) -> ChatParser:
    """The chat parser registered as ``name``, configured with ``options``."""
    return cast(ChatParser, host.get("chat_parser", name, **options))


def get_feature_extractor(name: str, **options: Any) -> FeatureExtractor:
    """The feature extractor registered as ``name``, configured with ``options``."""
    return cast(FeatureExtractor, host.get("feature_extractor", name, **options))


def get_feature_store(name: str, **options: Any) -> FeatureStore:
    """The feature store registered as ``name``, configured with ``options``."""
    return cast(FeatureStore, host.get("feature_store", name, **options))


def get_forecaster(name: str, **options: Any) -> Forecaster:
    """The forecaster registered as ``name``, configured with ``options``."""
    return cast(Forecaster, host.get("forecaster", name, **options))


def get_executor(name: str, **options: Any) -> Executor:
    """The executor registered as ``name``, configured with ``options``."""
    return cast(Executor, host.get("executor", name, **options))


def chat_parser_names() -> list[str]:
    """Names of every registered chat parser."""
    return [i.name for i in host.implementations("chat_parser")]


def feature_extractor_names() -> list[str]:
    """Names of every registered feature extractor."""
    return [i.name for i in host.implementations("feature_extractor")]


def feature_store_names() -> list[str]:
    """Names of every registered feature store."""
    return [i.name for i in host.implementations("feature_store")]


def forecaster_names() -> list[str]:
    """Names of every registered forecaster."""
    return [i.name for i in host.implementations("forecaster")]


def executor_names() -> list[str]:
    """Names of every registered executor."""
    return [i.name for i in host.implementations("executor")]

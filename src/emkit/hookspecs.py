"""Hook specifications of emkit: each one lets a plugin register implementations of an interface.

A plugin module implements any of these with ``@emkit.hookimpl`` and calls ``register`` once per
class it provides. The host owns naming, clashes and unknown-name errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import typer

    from emkit.interfaces import (
        ChatParser,
        Executor,
        FeatureExtractor,
        FeatureStore,
        Forecaster,
    )

hookspec = pluggy.HookspecMarker("emkit")


@hookspec
def emkit_register_chat_parsers(register: Callable[[type[ChatParser]], None]) -> None:
    """Register chat-export parsers.

    :param register: call ``register(ParserClass)`` for each :class:`~emkit.ChatParser`
        subclass the plugin provides.
    """


@hookspec
def emkit_register_feature_extractors(register: Callable[[type[FeatureExtractor]], None]) -> None:
    """Register feature extractors.

    :param register: call ``register(ExtractorClass)`` for each
        :class:`~emkit.FeatureExtractor` subclass the plugin provides.
    """


@hookspec
def emkit_register_feature_stores(register: Callable[[type[FeatureStore]], None]) -> None:
    """Register feature stores.

    :param register: call ``register(StoreClass)`` for each :class:`~emkit.FeatureStore`
        subclass the plugin provides.
    """


@hookspec
def emkit_register_executors(register: Callable[[type[Executor]], None]) -> None:
    """Register executors: where ``emkit features`` runs its per-patient tasks.

    :param register: call ``register(ExecutorClass)`` for each :class:`~emkit.Executor`
        subclass the plugin provides. Import the engine (Dask, Ray...) inside its methods, so
        that commands run without it unless the executor is chosen.
    """


@hookspec
def emkit_register_forecasters(register: Callable[[type[Forecaster]], None]) -> None:
    """Register relapse forecasters.

    :param register: call ``register(ForecasterClass)`` for each :class:`~emkit.Forecaster`
        subclass the plugin provides.
    """


@hookspec
def emkit_register_commands(cli: typer.Typer) -> None:
    """Add sub-commands to the ``emkit`` command line.

    :param cli: the typer application; add commands with ``@cli.command()`` or whole groups with
        ``cli.add_typer(group, name=...)``. Import heavy libraries inside the commands, not here.
    """

"""Hook specifications of medcards: each one lets a plugin register implementations of an interface.

A plugin module implements any of these with ``@medcards.hookimpl`` and calls ``register`` once
per class it provides. The host owns naming, clashes and unknown-name errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import typer

    from medcards.ingest import DocumentReader
    from medcards.interfaces import Backend, CardGenerator, ModelExporter, Scheduler, Trainer

hookspec = pluggy.HookspecMarker("medcards")


@hookspec
def medcards_register_backends(register: Callable[[type[Backend]], None]) -> None:
    """Register LLM backends.

    :param register: call ``register(BackendClass)`` for each :class:`~medcards.Backend`
        subclass the plugin provides.
    """


@hookspec
def medcards_register_card_generators(register: Callable[[type[CardGenerator]], None]) -> None:
    """Register card generators.

    :param register: call ``register(GeneratorClass)`` for each
        :class:`~medcards.CardGenerator` subclass the plugin provides.
    """


@hookspec
def medcards_register_exporters(register: Callable[[type[ModelExporter]], None]) -> None:
    """Register model exporters.

    :param register: call ``register(ExporterClass)`` for each :class:`~medcards.ModelExporter`
        subclass the plugin provides.
    """


@hookspec
def medcards_register_readers(register: Callable[[type[DocumentReader]], None]) -> None:
    """Register guide readers (PDF, HTML, DOCX...) that ``medcards ingest`` picks by suffix.

    :param register: call ``register(ReaderClass)`` for each :class:`~medcards.DocumentReader`
        subclass the plugin provides; its ``suffixes`` name the files it reads.
    """


@hookspec
def medcards_register_schedulers(register: Callable[[type[Scheduler]], None]) -> None:
    """Register spaced-repetition schedulers.

    :param register: call ``register(SchedulerClass)`` for each :class:`~medcards.Scheduler`
        subclass the plugin provides.
    """


@hookspec
def medcards_register_trainers(register: Callable[[type[Trainer]], None]) -> None:
    """Register fine-tuning trainers.

    :param register: call ``register(TrainerClass)`` for each :class:`~medcards.Trainer`
        subclass the plugin provides.
    """


@hookspec
def medcards_register_commands(cli: typer.Typer) -> None:
    """Add sub-commands to the ``medcards`` command line.

    :param cli: the typer application; add commands with ``@cli.command()`` or whole groups with
        ``cli.add_typer(group, name=...)``. Import heavy libraries inside the commands, not here.
    """

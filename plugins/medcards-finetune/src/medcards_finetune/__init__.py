"""medcards fine-tuning: SFT dataset, LoRA trainers, merge, GGUF export and quantization.

Registers the ``peft`` and ``unsloth`` trainers, the ``gguf`` exporter and the
``medcards finetune`` command group. Importing this package loads nothing heavy: torch,
transformers, peft, trl, gguf and llama_cpp are imported inside the methods that use them, and
unsloth only inside :meth:`UnslothTrainer.train <medcards_finetune.trainers.UnslothTrainer.train>`
once a CUDA device was found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import medcards
from medcards_finetune.errors import (
    CudaUnavailableError,
    DatasetError,
    ExportError,
    FinetuneError,
)
from medcards_finetune.exporters import GgufExporter
from medcards_finetune.trainers import PeftTrainer, UnslothTrainer

if TYPE_CHECKING:
    import typer

__all__ = [
    "CudaUnavailableError",
    "DatasetError",
    "ExportError",
    "FinetuneError",
    "GgufExporter",
    "PeftTrainer",
    "UnslothTrainer",
]


@medcards.hookimpl
def medcards_register_trainers(register: Callable[[type[medcards.Trainer]], None]) -> None:
    """Register the ``peft`` and ``unsloth`` trainers."""
    register(PeftTrainer)
    register(UnslothTrainer)


@medcards.hookimpl
def medcards_register_exporters(
    register: Callable[[type[medcards.ModelExporter]], None],
) -> None:
    """Register the ``gguf`` exporter."""
    register(GgufExporter)


@medcards.hookimpl
def medcards_register_commands(cli: typer.Typer) -> None:
    """Add the ``medcards finetune`` command group."""
    from medcards_finetune.cli import finetune_app

    cli.add_typer(finetune_app, name="finetune")

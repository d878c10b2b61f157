"""medcards' plugin manager and registries.

Built-in plugins live in :mod:`medcards.default_plugins` and use the same hooks as third-party
plugins, which are discovered through the ``medcards`` entry-point group. Set
``MEDCARDS_LOAD_PLUGINS=a,b`` to load only those entry points (empty: none).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pluggy

from _sdk import PluginHost, PluginInfo, RegistrySpec
from medcards import hookspecs
from medcards.ingest import TEXT_SUFFIXES, DocumentReader, IngestError
from medcards.interfaces import Backend, CardGenerator, ModelExporter, Scheduler, Trainer

hookimpl = pluggy.HookimplMarker("medcards")

host = PluginHost(
    project="medcards",
    hookspecs=hookspecs,
    default_plugins="medcards.default_plugins",
    registries=[
        RegistrySpec("backend", "backend", "medcards_register_backends", Backend),
        RegistrySpec(
            "card_generator", "card generator", "medcards_register_card_generators", CardGenerator
        ),
        RegistrySpec("exporter", "exporter", "medcards_register_exporters", ModelExporter),
        RegistrySpec("reader", "document reader", "medcards_register_readers", DocumentReader),
        RegistrySpec("scheduler", "scheduler", "medcards_register_schedulers", Scheduler),
        RegistrySpec("trainer", "trainer", "medcards_register_trainers", Trainer),
    ],
    env_var="MEDCARDS_LOAD_PLUGINS",
)

#: The pluggy plugin manager (advanced use: blocking or inspecting plugins).
pm = host.pm


def load_plugins() -> None:
    """Register built-in plugins and installed entry-point plugins (idempotent)."""
    host.load_plugins()


def list_plugins(*, include_builtin: bool = True) -> list[PluginInfo]:
    """Loaded plugins with their distribution, hooks and what they registered."""
    return host.list_plugins(include_builtin=include_builtin)


def get_backend(name: str, **options: Any) -> Backend:
    """The backend registered as ``name``, configured with ``options``."""
    return cast(Backend, host.get("backend", name, **options))


def get_card_generator(name: str, **options: Any) -> CardGenerator:
    """The card generator registered as ``name``, configured with ``options``."""
    return cast(CardGenerator, host.get("card_generator", name, **options))


def get_exporter(name: str, **options: Any) -> ModelExporter:
    """The model exporter registered as ``name``, configured with ``options``."""
    return cast(ModelExporter, host.get("exporter", name, **options))


def get_reader(name: str, **options: Any) -> DocumentReader:
    """The document reader registered as ``name``, configured with ``options``."""
    return cast(DocumentReader, host.get("reader", name, **options))


#: Suffixes the ``medcards-documents`` plugin reads, for the "install it" advice.
_DOCUMENT_SUFFIXES = (".pdf", ".html", ".htm", ".docx")


def reader_for(path: Path) -> DocumentReader:
    """The document reader for ``path``'s suffix (the first registered, by name, that reads it).

    Raises:
        IngestError: naming the file and the suffixes that can be read.
    """
    suffix = Path(path).suffix.lower()
    readable = set(TEXT_SUFFIXES)
    for impl in host.implementations("reader"):
        cls = cast(type[DocumentReader], impl.cls)
        if suffix in cls.suffixes:
            return cast(DocumentReader, host.get("reader", impl.name))
        readable.update(cls.suffixes)
    advice = ""
    if suffix in _DOCUMENT_SUFFIXES:
        advice = "; install medcards-documents to read PDF, HTML and DOCX guides"
    raise IngestError(
        f"{path}: unsupported guide format {suffix!r} "
        f"(readable: {', '.join(sorted(readable))}){advice}"
    )


def reader_names() -> list[str]:
    """Names of every registered document reader."""
    return [i.name for i in host.implementations("reader")]


def get_scheduler(name: str, **options: Any) -> Scheduler:
    """The scheduler registered as ``name``, configured with ``options``."""
    return cast(Scheduler, host.get("scheduler", name, **options))


def get_trainer(name: str, **options: Any) -> Trainer:
    """The trainer registered as ``name``, configured with ``options``."""
    return cast(Trainer, host.get("trainer", name, **options))


def backend_names() -> list[str]:
    """Names of every registered backend."""
    return [i.name for i in host.implementations("backend")]


def card_generator_names() -> list[str]:
    """Names of every registered card generator."""
    return [i.name for i in host.implementations("card_generator")]


def exporter_names() -> list[str]:
    """Names of every registered model exporter."""
    return [i.name for i in host.implementations("exporter")]


def scheduler_names() -> list[str]:
    """Names of every registered scheduler."""
    return [i.name for i in host.implementations("scheduler")]


def trainer_names() -> list[str]:
    """Names of every registered trainer."""
    return [i.name for i in host.implementations("trainer")]

"""medcards: grounded study cards from medical-guide text, scheduled by spaced repetition.

Plugins implement the interfaces below and are selected by name::

    import medcards

    scheduler = medcards.get_scheduler("sm2")
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
from medcards.cards import BattleCard, Card, Fact, MCQDrill, OpenDrill, Variant
from medcards.errors import BackendError, CardRejected, MedcardsError
from medcards.interfaces import Backend, CardGenerator, Exporter, Scheduler, Trainer
from medcards.models import (
    CardKind,
    CardRequest,
    ChatTurn,
    Completion,
    ExportResult,
    Rating,
    SchedulerState,
    TrainResult,
)
from medcards.plugins import (
    backend_names,
    card_generator_names,
    exporter_names,
    get_backend,
    get_card_generator,
    get_exporter,
    get_scheduler,
    get_trainer,
    hookimpl,
    list_plugins,
    load_plugins,
    scheduler_names,
    trainer_names,
)

try:
    __version__ = importlib.metadata.version("emkit-medcards")
except importlib.metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "Backend",
    "BackendError",
    "BattleCard",
    "Card",
    "CardGenerator",
    "CardKind",
    "CardRejected",
    "CardRequest",
    "ChatTurn",
    "Completion",
    "ExportResult",
    "Exporter",
    "Fact",
    "InvalidOptionsError",
    "MCQDrill",
    "MedcardsError",
    "OpenDrill",
    "PluginError",
    "PluginInfo",
    "PluginLoadWarning",
    "Rating",
    "Scheduler",
    "SchedulerState",
    "TrainResult",
    "Trainer",
    "UnknownPluginError",
    "UserError",
    "Variant",
    "__version__",
    "backend_names",
    "card_generator_names",
    "exporter_names",
    "get_backend",
    "get_card_generator",
    "get_exporter",
    "get_scheduler",
    "get_trainer",
    "hookimpl",
    "list_plugins",
    "load_plugins",
    "scheduler_names",
    "trainer_names",
]

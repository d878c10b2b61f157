"""medcards: grounded study cards from medical-guide text, scheduled by spaced repetition.

This package is medcards' public contract: card and data models, the interfaces plugins
implement, errors, the helpers a plugin needs (grounding, answer-key checks, prompts, reply
parsing, guide sections, atomic writes, option parsing, retries), the gold set and the
registries. Plugins implement the
interfaces and are selected by name::

    import medcards

    scheduler = medcards.get_scheduler("sm2")

Two public subpackages complete it: :mod:`medcards.study` (the study database, queue, mastery
ladder, exports and dashboard) and :mod:`medcards.testing` (conformance kits). Every other
module is private to the package.
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
from _sdk.deprecation import deprecated_aliases as _deprecated_aliases
from medcards.backends import call_with_retries
from medcards.cards import (
    CARD_ADAPTER,
    LONG_TEXT_MAX,
    QUOTE_MAX,
    SHORT_TEXT_MAX,
    BattleCard,
    Card,
    Fact,
    MCQDrill,
    OpenDrill,
    Variant,
    apply_request_fields,
    card_id,
    card_json_schema,
    card_model,
    parse_card,
)
from medcards.errors import BackendError, CardRejected, MedcardsError
from medcards.generation.answer_key import (
    AnswerKeyReport,
    DeckKeyReport,
    check_answer_key,
    check_deck_keys,
)
from medcards.generation.gold import (
    GoldCard,
    GoldSplit,
    gold_set_path,
    load_gold_cards,
    load_gold_split,
)
from medcards.generation.grounding import (
    ClaimCheck,
    GroundingReport,
    Strictness,
    check_card,
    find_quantities,
    normalize,
    quote_support,
)
from medcards.generation.llm import card_from_reply, extract_json, sanity_problems
from medcards.generation.prompts import (
    TEMPLATE_VERSION,
    build_messages,
    format_skeleton,
    render_target,
    template_versions,
)
from medcards.generation.segments import context_quotes
from medcards.ingest import (
    DEFAULT_CONTEXT_TOKENS,
    DEFAULT_MAX_GUIDE_MB,
    Citation,
    DocumentReader,
    GuideDocument,
    GuideSection,
    IngestError,
    SourceSpan,
    load_topics,
    read_guide,
    save_topics,
    split_document,
    split_guide,
)
from medcards.interfaces import Backend, CardGenerator, ModelExporter, Scheduler, Trainer
from medcards.models import (
    CardKind,
    CardRequest,
    ChatTurn,
    Completion,
    ExportResult,
    MemoryThresholds,
    ModelExportResult,
    Rating,
    SchedulerState,
    SourceLocation,
    TrainResult,
)
from medcards.plugins import (
    backend_names,
    card_generator_names,
    exporter_names,
    get_backend,
    get_card_generator,
    get_exporter,
    get_reader,
    get_scheduler,
    get_trainer,
    hookimpl,
    list_plugins,
    load_plugins,
    reader_for,
    reader_names,
    scheduler_names,
    trainer_names,
)
from medcards.sources import find_quote, locate_card, locate_quote, without_locations

__version__ = _VERSION


__getattr__ = _deprecated_aliases("medcards", {"Exporter": "medcards.ModelExporter"})

__all__ = [
    "AnswerKeyReport",
    "Backend",
    "BackendError",
    "BattleCard",
    "CARD_ADAPTER",
    "Card",
    "CardGenerator",
    "CardKind",
    "CardRejected",
    "CardRequest",
    "ChatTurn",
    "Citation",
    "ClaimCheck",
    "Completion",
    "DEFAULT_CONTEXT_TOKENS",
    "DEFAULT_MAX_GUIDE_MB",
    "DeckKeyReport",
    "DocumentReader",
    "ExportResult",
    "Fact",
    "GoldCard",
    "GoldSplit",
    "GroundingReport",
    "GuideDocument",
    "GuideSection",
    "IngestError",
    "InvalidOptionsError",
    "LONG_TEXT_MAX",
    "MCQDrill",
    "MedcardsError",
    "MemoryThresholds",
    "ModelExportResult",
    "ModelExporter",
    "OpenDrill",
    "PluginError",
    "PluginInfo",
    "PluginLoadWarning",
    "QUOTE_MAX",
    "Rating",
    "SHORT_TEXT_MAX",
    "Scheduler",
    "SchedulerState",
    "SourceLocation",
    "SourceSpan",
    "Strictness",
    "TEMPLATE_VERSION",
    "TrainResult",
    "Trainer",
    "UnknownPluginError",
    "UserError",
    "Variant",
    "__version__",
    "apply_request_fields",
    "atomic_write_bytes",
    "atomic_write_text",
    "backend_names",
    "build_messages",
    "call_with_retries",
    "card_from_reply",
    "card_generator_names",
    "card_id",
    "card_json_schema",
    "card_model",
    "check_answer_key",
    "check_card",
    "check_deck_keys",
    "context_quotes",
    "exporter_names",
    "extract_json",
    "find_quantities",
    "find_quote",
    "format_skeleton",
    "get_backend",
    "get_card_generator",
    "get_exporter",
    "get_reader",
    "get_scheduler",
    "get_trainer",
    "gold_set_path",
    "hookimpl",
    "list_plugins",
    "load_gold_cards",
    "load_gold_split",
    "load_plugins",
    "load_topics",
    "locate_card",
    "locate_quote",
    "normalize",
    "parse_card",
    "parse_key_values",
    "quote_support",
    "read_guide",
    "reader_for",
    "reader_names",
    "render_target",
    "sanity_problems",
    "save_topics",
    "scheduler_names",
    "split_document",
    "split_guide",
    "template_versions",
    "trainer_names",
    "without_locations",
]

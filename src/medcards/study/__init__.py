"""The study side of medcards (public): ``temario.db``, the queue, reviews, mastery and angles.

Typical use::

    from medcards.study import StudyEngine

    with StudyEngine("temario.db", scheduler="sm2", generator=generator) as engine:
        item = engine.next_topic()
        engine.update_progress(item, rating=3)

Inside, each job has its module (all private): ``repository`` (every SQL statement on the
database), ``db`` (schema and migrations), ``queue``, ``ladder`` (the mastery rules, as pure
functions of the scheduler's Level-2 signal), ``angles``, ``engine`` (the loop that ties them),
``transfer`` (JSON), ``anki``, ``dashboard``, ``workload`` (the FSRS workload simulator) and
``session`` (the terminal loop).
"""

from __future__ import annotations

from medcards.study.angles import DEFAULT_PERSPECTIVES
from medcards.study.anki import export_apkg, note_fields
from medcards.study.dashboard import (
    Dashboard,
    ModuleRetention,
    compute_dashboard,
    dashboard_table,
    plot_dashboard,
)
from medcards.study.db import SCHEMA_VERSION, connect, integrity_errors
from medcards.study.engine import StudyEngine
from medcards.study.errors import (
    DuplicateReviewError,
    InvalidRatingError,
    StudyDatabaseError,
    StudyDatabaseVersionError,
    StudyError,
    UnknownCardError,
    UnknownTopicError,
)
from medcards.study.ladder import LadderStep, MasteryRules, TopicLevel, climb, ready_for_open_recall
from medcards.study.queue import DailyLimits
from medcards.study.records import (
    ReviewOutcome,
    StoredCard,
    StudyItem,
    Topic,
    TopicSource,
    parse_rating,
)
from medcards.study.session import (
    SessionSummary,
    card_back,
    card_front,
    location_caption,
    read_ratings,
    run_session,
    scripted,
)
from medcards.study.transfer import (
    TemarioDocument,
    document_summary,
    export_document,
    export_json,
    import_document,
    import_json,
    load_document,
)
from medcards.study.workload import WorkloadForecast, simulate_workload

__all__ = [
    "DEFAULT_PERSPECTIVES",
    "DailyLimits",
    "Dashboard",
    "DuplicateReviewError",
    "InvalidRatingError",
    "LadderStep",
    "MasteryRules",
    "ModuleRetention",
    "ReviewOutcome",
    "SCHEMA_VERSION",
    "SessionSummary",
    "StoredCard",
    "StudyDatabaseError",
    "StudyDatabaseVersionError",
    "StudyEngine",
    "StudyError",
    "StudyItem",
    "TemarioDocument",
    "Topic",
    "TopicLevel",
    "TopicSource",
    "UnknownCardError",
    "UnknownTopicError",
    "WorkloadForecast",
    "card_back",
    "card_front",
    "climb",
    "compute_dashboard",
    "connect",
    "dashboard_table",
    "document_summary",
    "export_apkg",
    "export_document",
    "export_json",
    "import_document",
    "import_json",
    "integrity_errors",
    "load_document",
    "location_caption",
    "note_fields",
    "parse_rating",
    "plot_dashboard",
    "read_ratings",
    "ready_for_open_recall",
    "run_session",
    "scripted",
    "simulate_workload",
]

"""Every built-in implementation passes its interface's conformance kit."""

from __future__ import annotations

import emkit
import medcards
from emkit.store import SQLiteFeatureStore
from emkit.testing import feature_extractor_checks, feature_store_checks, forecaster_checks
from emkit.testing import parametrize_with_checks as emkit_checks
from medcards.testing import backend_checks, card_generator_checks, scheduler_checks
from medcards.testing import parametrize_with_checks as medcards_checks


@emkit_checks(
    [i.cls for i in emkit.plugins.host.implementations("forecaster") if i.builtin],
    forecaster_checks(),
)
def test_builtin_forecasters(factory, check):
    check(factory)


@medcards_checks(
    [i.cls for i in medcards.plugins.host.implementations("scheduler") if i.builtin],
    scheduler_checks(),
)
def test_builtin_schedulers(factory, check):
    check(factory)


@medcards_checks(
    [i.cls for i in medcards.plugins.host.implementations("backend") if i.builtin],
    backend_checks(),
)
def test_builtin_backends(factory, check):
    check(factory)


@medcards_checks(
    [i.cls for i in medcards.plugins.host.implementations("card_generator") if i.builtin],
    card_generator_checks(),
)
def test_builtin_card_generators(factory, check):
    check(factory)


@emkit_checks(
    [i.cls for i in emkit.plugins.host.implementations("feature_extractor") if i.builtin],
    feature_extractor_checks(),
)
def test_builtin_feature_extractors(factory, check):
    check(factory)


def sqlite_store(folder):
    return SQLiteFeatureStore(path=folder / "features.db")


@emkit_checks([sqlite_store], feature_store_checks())
def test_builtin_feature_store(factory, check):
    check(factory)

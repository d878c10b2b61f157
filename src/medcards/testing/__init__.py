"""Conformance kit: checks every implementation of a medcards interface must pass.

Use them from pytest, for your own plugin as for the built-ins::

    from medcards.testing import parametrize_with_checks, scheduler_checks

    @parametrize_with_checks([MyScheduler], scheduler_checks())
    def test_conformance(factory, check):
        check(factory)

Requires the ``testing`` extra (hypothesis, pytest).
"""

from __future__ import annotations

from _sdk.testing import check_component_contract, parametrize_with_checks
from medcards.testing.backends import backend_checks
from medcards.testing.card_generators import SAMPLE_CONTEXT, SEED_CONTEXT, card_generator_checks
from medcards.testing.schedulers import review_sequences, scheduler_checks

__all__ = [
    "SAMPLE_CONTEXT",
    "SEED_CONTEXT",
    "backend_checks",
    "card_generator_checks",
    "check_component_contract",
    "parametrize_with_checks",
    "review_sequences",
    "scheduler_checks",
]

"""Conformance kit: checks every implementation of an emkit interface must pass.

Use them from pytest, for your own plugin as for the built-ins::

    from emkit.testing import feature_extractor_checks, parametrize_with_checks

    @parametrize_with_checks([MyExtractor], feature_extractor_checks())
    def test_conformance(factory, check):
        check(factory)

Requires the ``testing`` extra (hypothesis, pytest).
"""

from __future__ import annotations

from _sdk.testing import check_component_contract, parametrize_with_checks
from emkit.testing.chat_parsers import chat_parser_checks
from emkit.testing.feature_extractors import feature_extractor_checks
from emkit.testing.feature_stores import feature_frames, feature_store_checks
from emkit.testing.forecasters import forecaster_checks, relapse_cohort_frames, toy_problem
from emkit.testing.strategies import message_texts, patient_days

__all__ = [
    "chat_parser_checks",
    "check_component_contract",
    "feature_extractor_checks",
    "feature_frames",
    "feature_store_checks",
    "forecaster_checks",
    "message_texts",
    "parametrize_with_checks",
    "patient_days",
    "relapse_cohort_frames",
    "toy_problem",
]

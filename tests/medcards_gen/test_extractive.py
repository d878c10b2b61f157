"""The offline extractive generator on the sample guides, and its conformance."""

from __future__ import annotations

from pathlib import Path

import pytest

import medcards
from medcards import (
    BattleCard,
    CardKind,
    CardRejected,
    CardRequest,
    MCQDrill,
    OpenDrill,
    Variant,
    check_card,
    split_guide,
)
from medcards.generation.extractive import ExtractiveGenerator, segment_context
from medcards.testing import parametrize_with_checks
from medcards.testing.card_generators import card_generator_checks

GUIDES = sorted((Path(__file__).parents[2] / "examples" / "guides").glob("*.md"))
TOPICS = [t for guide in GUIDES for t in split_guide(guide, "muestra")]


def test_sample_guides_exist():
    assert len(GUIDES) >= 3
    assert any("cetoacidosis" in g.name for g in GUIDES)


@pytest.mark.parametrize("topic", TOPICS, ids=[t.title for t in TOPICS])
def test_every_sample_topic_gets_battlecard_three_mcqs_and_an_open_drill(topic):
    generator = medcards.get_card_generator("extractive")

    def all_of(kind):
        request = CardRequest(topic=topic.title, context=topic.context, kind=kind)
        return generator.candidates(request)

    battlecards, mcqs, opens = all_of("battlecard"), all_of("mcq"), all_of("open")
    assert [type(c) for c in battlecards] == [BattleCard]
    assert len(mcqs) >= 3
    assert all(isinstance(c, MCQDrill) for c in mcqs)
    assert len(opens) >= 1
    assert all(isinstance(c, OpenDrill) for c in opens)
    card = battlecards[0]
    assert card.definition
    assert card.diagnosis
    assert card.first_line_treatment
    for c in [*battlecards, *mcqs, *opens]:
        report = check_card(c, topic.context, "strict")
        assert report.grounded, report.reasons()
    for mcq in mcqs:
        assert len(set(mcq.options)) == len(mcq.options) == 4


def test_seeds_walk_through_different_mcqs_and_are_deterministic():
    topic = TOPICS[0]
    generator = ExtractiveGenerator()
    cards = [
        generator.generate(
            CardRequest(topic=topic.title, context=topic.context, kind="mcq", seed=s)
        )
        for s in range(3)
    ]
    assert len({c.evidence for c in cards}) == 3
    again = generator.generate(
        CardRequest(topic=topic.title, context=topic.context, kind="mcq", seed=1)
    )
    assert again == cards[1]


def test_dose_case_names_the_drug_and_offers_doses_of_the_same_unit():
    context = (
        "### Tratamiento de primera línea\n"
        "Se inicia insulina intravenosa a 0,1 U/kg/h tras los fluidos."
    )
    card = ExtractiveGenerator().generate(CardRequest(topic="CAD", context=context, kind="mcq"))
    assert card.answer == "0,1 U/kg/h"
    assert all(o.endswith("U/kg/h") for o in card.options)
    assert "Se decide administrar insulina intravenosa" in card.vignette
    assert card.question == "¿Qué dosis de insulina intravenosa indica la guía?"
    assert "____" not in card.vignette


def test_variant_for_the_study_engine():
    topic = next(t for t in TOPICS if "Apendicitis" in t.title)
    request = CardRequest(
        topic=topic.title,
        context=topic.context,
        kind=CardKind.VARIANT,
        perspective="diagnóstico diferencial pélvico",
        parent_id="9f2c0a1b3d4e5f60",
    )
    card = medcards.get_card_generator("extractive").generate(request)
    assert isinstance(card, Variant)
    assert card.parent_id == "9f2c0a1b3d4e5f60"
    assert any("ectópico" in p.evidence for p in card.key_points)
    assert check_card(card, topic.context, "strict").grounded


def test_variant_without_perspective_and_empty_context_are_rejected():
    generator = ExtractiveGenerator()
    with pytest.raises(CardRejected, match="perspective"):
        generator.generate(CardRequest(topic="x", context="Algo.", kind="variant"))
    with pytest.raises(CardRejected, match="nothing to build a mcq"):
        generator.generate(CardRequest(topic="x", context="Sin datos.", kind="mcq"))


def test_segments_are_classified_from_headings_and_cues():
    segments = segment_context(TOPICS[0].context)
    sections = {s.section for s in segments}
    assert {"definition", "diagnosis", "first_line", "second_line", "pitfalls"} <= sections
    assert all(s.text for s in segments)


def test_english_output():
    context = (
        "Diabetic ketoacidosis is an acute complication of diabetes.\n\n"
        "### First-line treatment\nStart IV insulin at 0.1 U/kg/h after fluids."
    )
    card = ExtractiveGenerator().generate(
        CardRequest(topic="DKA", context=context, kind="mcq", language="en")
    )
    assert card.question == "Which dose of IV insulin does the guide give?"


@parametrize_with_checks([ExtractiveGenerator], card_generator_checks())
def test_extractive_conformance(factory, check):
    check(factory)

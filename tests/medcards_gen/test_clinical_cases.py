"""The extractive generator's Level 1: clinical cases from guide structure, never give-aways."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import medcards
from medcards import CardRequest, MCQDrill, check_answer_key, check_card, split_guide
from medcards.generation.extractive import ExtractiveGenerator

GUIDES = sorted((Path(__file__).parents[2] / "examples" / "guides").glob("*.md"))
TOPICS = [t for guide in GUIDES for t in split_guide(guide, "muestra")]
#: Written for these tests before the generator's clinical cases existed; the generator was
#: never tuned on it, and nothing below is an expectation taken from its text.
HELD_OUT_GUIDE = Path(__file__).parent / "guides" / "hiperpotasemia.md"
DECISIONS = re.compile(
    r"^¿Qué (?:dosis de .+ indica la guía|umbral de .+|tratamiento indica la guía "
    r"específicamente para esta situación|fármaco está contraindicado en este paciente "
    r"según la guía)\?$"
)
FALLBACK = "[Pregunta de repaso, no caso clínico"


def mcqs(topic, n_options: int = 4) -> list[MCQDrill]:
    request = CardRequest(topic=topic.title, context=topic.context, kind="mcq")
    cards = ExtractiveGenerator(n_options=n_options).candidates(request)
    assert all(isinstance(c, MCQDrill) for c in cards)
    return cards  # type: ignore[return-value]


def assert_clinical_case(card: MCQDrill, context: str) -> None:
    assert card.vignette.startswith("Paciente atendido por "), card.vignette
    assert FALLBACK not in card.vignette
    assert "____" not in card.vignette
    assert DECISIONS.match(card.question), card.question
    assert card.answer not in card.vignette
    report = check_answer_key(card)
    assert report.passed, report.reasons()
    assert check_card(card, context, "strict").grounded
    assert card.evidence in context


@pytest.mark.parametrize("topic", TOPICS, ids=[t.title for t in TOPICS])
def test_every_sample_mcq_is_a_clinical_case_that_passes_the_key_checks(topic):
    cards = mcqs(topic)
    assert len(cards) >= 4
    for card in cards:
        assert_clinical_case(card, topic.context)


def test_five_options_are_clinical_cases_too():
    for topic in TOPICS:
        cards = mcqs(topic, n_options=5)
        assert cards, topic.title
        for card in cards:
            assert len(card.options) == 5
            assert_clinical_case(card, topic.context)


def _values(option: str) -> list[float]:
    return [float(v.replace(",", ".")) for v in re.findall(r"\d+(?:[.,]\d+)?", option)]


def test_numeric_distractors_are_never_tenfold_give_aways():
    for topic in TOPICS:
        for card in mcqs(topic):
            key = _values(card.answer)
            if not key or not key[0]:
                continue
            for option in card.options:
                value = _values(option)[0]
                assert key[0] / 10 <= value <= key[0] * 10, (card.question, card.options)


def test_sample_deck_shows_no_key_bias():
    cards = [card for topic in TOPICS for card in mcqs(topic)]
    report = medcards.check_deck_keys(cards)
    assert report.mcq_count >= 4 * len(TOPICS)
    assert report.failed_cards == 0
    assert report.passed, report.problems


def test_cases_of_several_decision_kinds_across_the_samples():
    questions = [card.question for topic in TOPICS for card in mcqs(topic)]
    for start in ("¿Qué dosis", "¿Qué umbral", "¿Qué tratamiento", "¿Qué fármaco está"):
        assert any(q.startswith(start) for q in questions), start


def test_held_out_guide_gets_clinical_cases_too():
    (topic,) = split_guide(HELD_OUT_GUIDE, "pruebas")
    cards = mcqs(topic)
    assert len(cards) >= 4
    for card in cards:
        assert_clinical_case(card, topic.context)
    kinds = {card.question.split(" de ")[0] for card in cards}
    assert len(kinds) >= 2, kinds


def test_dose_options_are_the_doses_of_the_sibling_drugs():
    context = (
        "### Tratamiento de primera línea\n"
        "Se administra amikacina intravenosa a 15 mg/kg cada 24 horas.\n"
        "Se administra vancomicina intravenosa a 20 mg/kg cada 12 horas.\n"
        "### Tratamiento de segunda línea\n"
        "Se administra linezolid intravenoso a 10 mg/kg cada 12 horas.\n"
    )
    request = CardRequest(topic="Sepsis", context=context, kind="mcq")
    cards = ExtractiveGenerator().candidates(request)
    amikacin = next(c for c in cards if "amikacina" in c.question)
    assert amikacin.answer == "15 mg/kg"
    assert {"20 mg/kg", "10 mg/kg"} <= set(amikacin.options)


def test_sibling_doses_keep_their_own_unit():
    context = (
        "### Tratamiento de primera línea\n"
        "Se administra sulfato de magnesio intravenoso a 2 g en 20 minutos.\n"
        "Se administra dexametasona intravenosa a 4 mg cada 6 horas.\n"
    )
    request = CardRequest(topic="Eclampsia", context=context, kind="mcq")
    cards = ExtractiveGenerator().candidates(request)
    dexamethasone = next(c for c in cards if "dexametasona" in c.question)
    assert dexamethasone.answer == "4 mg"
    assert "2 mg" not in dexamethasone.options  # the 2 g of magnesium, not 2 mg
    assert all(o.endswith(" mg") for o in dexamethasone.options)


def test_threshold_case_states_the_decision_and_asks_for_the_value():
    context = (
        "La hiponatremia es un sodio sérico bajo.\n\n"
        "### Tratamiento de primera línea\n"
        "Si la natremia es menor de 120 mEq/L se administra suero salino hipertónico.\n"
    )
    request = CardRequest(topic="Hiponatremia", context=context, kind="mcq")
    cards = ExtractiveGenerator().candidates(request)
    case = next(c for c in cards if c.question.startswith("¿Qué umbral"))
    assert case.question == "¿Qué umbral de natremia fija la guía para esa decisión?"
    assert "se administra suero salino hipertónico" in case.vignette
    assert case.answer == "Menor de 120 mEq/L"
    assert all(o.startswith("Menor de ") and o.endswith(" mEq/L") for o in case.options)


def test_a_context_without_decisions_falls_back_to_a_labelled_cloze():
    context = "El cuadro dura de media 72 horas y se resuelve solo en la mayoría de los casos."
    card = ExtractiveGenerator().generate(CardRequest(topic="Cuadro", context=context, kind="mcq"))
    assert card.vignette.startswith(FALLBACK)
    assert "____" in card.vignette
    assert check_answer_key(card).passed

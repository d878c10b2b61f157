"""Answer-key checks (medcards.check_answer_key, medcards.check_deck_keys) as properties."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from medcards import MCQDrill, check_answer_key, check_deck_keys

UNITS = ["mg", "g", "mg/kg", "mL/kg", "U/kg/h", "mmHg", "mEq/L", "mg/dL"]
DRUGS = [
    "Amoxicilina oral",
    "Ceftriaxona intravenosa",
    "Levofloxacino",
    "Enoxaparina",
    "Metoprolol",
]


def drill(options: list[str], answer: int, evidence: str) -> MCQDrill:
    return MCQDrill(
        topic="Tema",
        vignette="Paciente atendido por el tema.",
        question="¿Qué dosis indica la guía?",
        options=options,
        answer_index=answer,
        explanation=evidence,
        evidence=evidence,
    )


@st.composite
def dose_drills(draw: st.DrawFn) -> MCQDrill:
    unit = draw(st.sampled_from(UNITS))
    values = draw(st.lists(st.integers(1, 900), min_size=4, max_size=5, unique=True))
    options = [f"{v} {unit}" for v in values]
    answer = draw(st.integers(0, len(options) - 1))
    evidence = f"Se administra el fármaco a {options[answer]} según la guía."
    return drill(options, answer, evidence)


@st.composite
def drug_drills(draw: st.DrawFn) -> MCQDrill:
    options = draw(st.permutations(DRUGS).map(lambda p: list(p[:4])))
    answer = draw(st.integers(0, 3))
    return drill(options, answer, f"En este caso se administra {options[answer].lower()}.")


@given(st.one_of(dose_drills(), drug_drills()))
def test_well_formed_drills_pass(card):
    report = check_answer_key(card)
    assert report.passed, report.reasons()


@given(st.one_of(dose_drills(), drug_drills()), st.randoms(use_true_random=False))
def test_the_verdict_does_not_depend_on_the_order_of_the_options(card, rnd):
    order = list(range(len(card.options)))
    rnd.shuffle(order)
    moved = card.model_copy(
        update={
            "options": [card.options[i] for i in order],
            "answer_index": order.index(card.answer_index),
        }
    )
    assert check_answer_key(moved).passed == check_answer_key(card).passed
    assert len(check_answer_key(moved).problems) == len(check_answer_key(card).problems)


def _variants(option: str) -> st.SearchStrategy[str]:
    """Texts that say the same as ``option``: case, spacing, decimal comma, unit scale."""
    plain = [option.upper(), f"  {option} ", option.replace(" ", "  ")]
    value, _, unit = option.partition(" ")
    if unit == "g":
        plain.append(f"{int(value) * 1000} mg")
    if unit == "mg" and int(value) % 1000 == 0:
        plain.append(f"{int(value) // 1000} g")
    plain.append(f"{value},0 {unit}")
    return st.sampled_from(plain)


@given(dose_drills(), st.data())
def test_an_equivalent_option_is_always_caught(card, data):
    assert check_answer_key(card).passed
    if len(card.options) == 5:
        return
    copied = data.draw(st.integers(0, len(card.options) - 1))
    twin = data.draw(_variants(card.options[copied]))
    options = [*card.options, twin]
    report = check_answer_key(card.model_copy(update={"options": options}))
    assert any("equivalent" in p for p in report.problems), report.problems


@given(dose_drills(), st.integers(901, 5000))
def test_a_key_its_evidence_does_not_state_is_caught(card, wrong):
    unit = card.answer.split(" ", 1)[1]
    options = list(card.options)
    options[card.answer_index] = f"{wrong} {unit}"
    report = check_answer_key(card.model_copy(update={"options": options}))
    assert any("which its evidence does not" in p for p in report.problems), report.problems


@given(dose_drills(), st.sampled_from(["25 %", "38 °C", "12 horas", "Amoxicilina oral"]))
def test_a_distractor_of_another_kind_is_caught(card, stranger):
    options = list(card.options)
    index = (card.answer_index + 1) % len(options)
    options[index] = stranger
    report = check_answer_key(card.model_copy(update={"options": options}))
    assert any(f"option {index}" in p and "but the key is" in p for p in report.problems)


def test_a_text_key_among_drugs_stands_out():
    card = drill(
        ["Cardioversión eléctrica urgente", "Metoprolol", "Diltiazem", "Amiodarona"],
        0,
        "En la inestabilidad se realiza cardioversión eléctrica urgente.",
    )
    report = check_answer_key(card)
    assert any("stands out" in p for p in report.problems)


@settings(max_examples=30)
@given(st.lists(dose_drills(), min_size=8, max_size=30), st.integers(0, 3))
def test_keys_piled_on_one_position_are_flagged(cards, position):
    piled = []
    for card in cards:
        options = list(card.options)
        options.insert(position, options.pop(card.answer_index))
        piled.append(card.model_copy(update={"options": options, "answer_index": position}))
    report = check_deck_keys(piled)
    assert report.positions[position] == len(cards)
    assert any("cluster" in p for p in report.problems)


@settings(max_examples=30)
@given(st.lists(dose_drills(), min_size=8, max_size=40))
def test_keys_spread_over_positions_are_not_flagged(cards):
    spread = []
    for i, card in enumerate(cards):
        target = i % len(card.options)
        options = list(card.options)
        options.insert(target, options.pop(card.answer_index))
        spread.append(card.model_copy(update={"options": options, "answer_index": target}))
    report = check_deck_keys(spread)
    assert not any("cluster" in p for p in report.problems)
    assert 0.0 <= report.position_p_value <= 1.0


@settings(max_examples=30)
@given(st.lists(drug_drills(), min_size=8, max_size=20))
def test_a_key_that_is_always_the_longest_is_flagged(cards):
    longest = []
    for card in cards:
        options = list(card.options)
        options[card.answer_index] = options[card.answer_index] + " en perfusión continua"
        evidence = f"Se administra {options[card.answer_index].lower()}."
        longest.append(card.model_copy(update={"options": options, "evidence": evidence}))
    report = check_deck_keys(longest)
    assert report.longest_key_share == 1.0
    assert any("longest" in p for p in report.problems)


def test_small_decks_are_reported_but_not_judged():
    card = drill(["1 g", "2 g", "3 g", "4 g"], 0, "Se administra 1 g.")
    report = check_deck_keys([card] * 3)
    assert report.mcq_count == 3
    assert report.positions[0] == 3
    assert report.passed


def test_a_key_quantity_is_named_in_its_own_unit():
    card = drill(
        ["150 mg/kg", "100 mg/kg", "50 mg/kg", "20 mg/kg"],
        0,
        "Se administra N-acetilcisteína 50 mg/kg en 4 horas.",
    )
    (reason,) = [r for r in check_answer_key(card).reasons() if "says" in r]
    assert "says 150 mg/kg," in reason

"""Grounding: quotes, numbers with units, strictness levels, per-claim reports."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import medcards
from medcards import (
    BattleCard,
    Fact,
    MCQDrill,
    check_card,
    find_quantities,
    normalize,
    quote_support,
)

CONTEXT = (
    "Las guías 2024 recomiendan bolos de fluidos iniciales seguidos de insulina IV a 0.1 U/kg/hr. "
    "Criterios de resolución: Glucosa < 200, HCO3 >= 18. "
    "El bicarbonato se reserva para la acidosis grave con pH menor de 6,9."
)


def card(*facts):
    return BattleCard(topic="CAD", key_facts=[Fact(text=t, evidence=e) for t, e in facts])


def test_normalize_accents_case_space_and_decimal_comma():
    assert normalize("  Insulina\n IV a 0,1  U/kg/h  ") == "insulina iv a 0.1 u/kg/h"
    assert normalize("RESOLUCIÓN ≥ 18") == "resolucion >= 18"


def test_quantities_with_units_and_aliases():
    assert ("0.1", "u/kg/h") in find_quantities("insulina a 0,1 U/kg/hr")
    assert find_quantities("15-20 mL/kg") == [("15", "ml/kg"), ("20", "ml/kg")]
    assert ("250", "mg/dl") in find_quantities("Glucemia mayor de 250 mg/dL")


def test_verbatim_quote_with_different_case_accents_and_spacing_is_grounded():
    report = check_card(
        card(("Insulina IV a 0,1 U/kg/h tras fluidos", "seguidos de INSULINA IV a 0.1   U/kg/hr")),
        CONTEXT,
    )
    assert report.grounded, report.reasons()
    assert report.claims[0].quote_score == 1.0


def test_small_differences_pass_normal_but_not_strict():
    quote = "bolos de fluido iniciales seguidos de insulina IV"  # "fluido" for "fluidos"
    fact = ("Bolos de fluidos iniciales y luego insulina IV", quote)
    assert quote_support(quote, CONTEXT) > 0.9
    assert check_card(card(fact), CONTEXT, "normal").grounded
    assert not check_card(card(fact), CONTEXT, "strict").grounded


def test_invented_quote_and_number_are_reported_per_claim():
    report = check_card(
        card(
            ("Insulina IV a 0,1 U/kg/h", "insulina IV a 0.1 U/kg/hr"),
            ("Insulina IV a 0,5 U/kg/h", "insulina IV a 0.1 U/kg/hr"),
            ("Se administra potasio 20 mEq/L", "Añadir potasio a 20 mEq por litro"),
        ),
        CONTEXT,
    )
    assert not report.grounded
    assert [c.supported for c in report.claims] == [True, False, False]
    assert report.claims[1].missing_quantities == ["0.5 u/kg/h"]
    reasons = report.reasons()
    assert any(
        r.startswith("key_facts[1]: numbers not in the context: 0.5 u/kg/h") for r in reasons
    )
    assert any(r.startswith("key_facts[2]: evidence not found") for r in reasons)


def test_number_with_wrong_unit_is_unsupported():
    report = check_card(card(("Insulina a 0,1 mg/kg/h", "insulina IV a 0.1 U/kg/hr")), CONTEXT)
    assert report.claims[0].missing_quantities == ["0.1 mg/kg/h"]


def test_mcq_checks_answer_and_explanation_not_distractors():
    mcq = MCQDrill(
        topic="CAD",
        vignette="Paciente de 23 años con glucemia de 480 mg/dL.",
        question="¿pH?",
        options=["6,9", "7,1", "7,5", "6,5"],
        answer_index=0,
        explanation="El bicarbonato se reserva para pH menor de 6,9.",
        evidence="El bicarbonato se reserva para la acidosis grave con pH menor de 6,9.",
    )
    assert check_card(mcq, CONTEXT).grounded
    wrong = mcq.model_copy(update={"answer_index": 1})
    assert not check_card(wrong, CONTEXT).grounded


def test_statement_unrelated_to_its_quote_is_caught():
    fact = (
        "La apendicectomía laparoscópica es obligatoria",
        "Criterios de resolución: Glucosa < 200",
    )
    assert not check_card(card(fact), CONTEXT, "normal").grounded
    assert check_card(card(fact), CONTEXT, "lenient").grounded


def test_unknown_strictness():
    with pytest.raises(ValueError, match="strictness"):
        check_card(card(("a", "b")), CONTEXT, "paranoid")  # type: ignore[arg-type]


sentences = [s.strip() for s in CONTEXT.split(". ") if s.strip()]


@settings(max_examples=50, deadline=None)
@given(index=st.sampled_from(range(len(sentences))), upper=st.booleans(), pad=st.integers(0, 3))
def test_any_context_sentence_quoted_in_any_case_or_spacing_is_grounded(index, upper, pad):
    quote = sentences[index]
    quote = quote.upper() if upper else quote
    quote = quote.replace(" ", " " * (pad + 1))
    report = check_card(card((sentences[index], quote)), CONTEXT, "strict")
    assert report.grounded, report.reasons()


@settings(max_examples=50, deadline=None)
@given(value=st.integers(1, 5000).filter(lambda v: v not in {2024, 200, 18, 1, 6, 9, 0}))
def test_any_number_not_in_the_context_is_unsupported(value):
    fact = (f"Glucosa < {value} mg/dL", "Criterios de resolución: Glucosa < 200, HCO3 >= 18.")
    assert not check_card(card(fact), CONTEXT, "lenient").grounded


_SCORES_SCRIPT = """
import json, sys
{prelude}
from medcards import BattleCard, Fact, check_card, quote_support
context = {context!r}
quotes = {quotes!r}
card = BattleCard(
    topic="CAD",
    key_facts=[Fact(text=q, evidence=q) for q in quotes],
)
out = {{
    "quotes": [quote_support(q, context) for q in quotes],
    "card": [c.quote_score for c in check_card(card, context, "lenient").claims],
    "rapidfuzz_loaded": "rapidfuzz" in sys.modules,
}}
print(json.dumps(out))
"""
_BLOCK_OPTIONAL = """
import importlib.abc
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"rapidfuzz", "Levenshtein", "thefuzz"}:
            raise ImportError(f"{name} blocked by the test")
        return None
sys.meta_path.insert(0, _Block())
"""


def test_grounding_scores_do_not_depend_on_optional_packages(tmp_path):
    """Scores are difflib's whether a fuzzy-matching package is importable or blocked."""
    import json
    import subprocess
    import sys

    # A stand-in rapidfuzz whose scores are absurd: if grounding used it, scores would change.
    fake = tmp_path / "site" / "rapidfuzz"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("", encoding="utf-8")
    (fake / "fuzz.py").write_text("def partial_ratio(a, b):\n    return 3.0\n", encoding="utf-8")
    context = "Insulina IV a 0,1 U/kg/h tras los fluidos. Glucosa < 200 mg/dL, HCO3 >= 18 mEq/L."
    quotes = [
        "insulina iv a 0,1 U/kg/h tras los fluidos",
        "Insulina intravenosa a 0,1 U/kg/h tras fluidos",
        "Glucosa < 250 mg/dL",
        "HCO3 >= 18 mEq/L ... insulina IV",
    ]

    def run(prelude: str) -> dict[str, object]:
        script = _SCORES_SCRIPT.format(prelude=prelude, context=context, quotes=quotes)
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        return json.loads(done.stdout)

    with_fake = run(f"sys.path.insert(0, {str(tmp_path / 'site')!r})\nimport rapidfuzz")
    blocked = run(_BLOCK_OPTIONAL)
    assert with_fake["rapidfuzz_loaded"] is True
    assert blocked["rapidfuzz_loaded"] is False
    assert with_fake["quotes"] == blocked["quotes"]
    assert with_fake["card"] == blocked["card"]
    assert blocked["quotes"] == [quote_support(q, context) for q in quotes]
    assert blocked["quotes"][0] == 1.0
    assert 0.0 < blocked["quotes"][1] < 1.0  # a fuzzy score, not 0.03 from the stand-in


def test_a_statement_paired_with_a_quote_about_something_else_is_not_grounded():
    context = (
        "La colchicina se evita en la insuficiencia renal grave.\n"
        "El alopurinol se inicia a 100 mg al día."
    )
    mispaired = medcards.OpenDrill(
        topic="Gota",
        challenge="¿Qué fármaco se evita en la insuficiencia renal grave?",
        key_points=[
            medcards.Fact(
                text="La colchicina se evita en la insuficiencia renal grave.",
                evidence="El alopurinol se inicia a 100 mg al día.",
            )
        ],
    )
    for strictness in ("normal", "strict"):
        report = medcards.check_card(mispaired, context, strictness)
        assert not report.grounded
        assert any("shares no word with its evidence" in r for r in report.reasons())
    assert medcards.check_card(mispaired, context, "lenient").grounded
    paired = mispaired.model_copy(
        update={
            "key_points": [
                medcards.Fact(
                    text="La colchicina se evita en la insuficiencia renal grave.",
                    evidence="La colchicina se evita en la insuficiencia renal grave.",
                )
            ]
        }
    )
    assert medcards.check_card(paired, context, "strict").grounded

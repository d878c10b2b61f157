"""Conformance checks for :class:`~medcards.CardGenerator` implementations.

The contract: ``generate`` returns a card of the requested kind that validates against its
model and passes :func:`medcards.check_card` at ``normal`` strictness, or raises
:class:`~medcards.CardRejected` with at least one reason. Never anything else, never an
ungrounded card. A factory must return a ready generator (an LLM generator with its backend).
"""

from __future__ import annotations

from collections.abc import Callable

from medcards.cards import Card, MCQDrill, Variant, card_model
from medcards.errors import CardRejected
from medcards.generation.grounding import check_card, normalize
from medcards.interfaces import CardGenerator
from medcards.models import CardKind, CardRequest

Factory = Callable[[], CardGenerator]

#: The seed's anti-hallucination test context (section 6 of the original notebook).
SEED_CONTEXT = (
    "Las guías 2024 recomiendan bolos de fluidos iniciales seguidos de insulina IV a "
    "0.1 U/kg/hr. Criterios de resolución: Glucosa < 200, HCO3 >= 18."
)
#: A short guide excerpt with a definition, a list of criteria and first/second-line treatment.
SAMPLE_CONTEXT = """La cetoacidosis diabética es una complicación aguda de la diabetes.

### Criterios diagnósticos
- Glucemia mayor de 250 mg/dL.
- pH arterial menor de 7,30.
- Bicarbonato sérico menor de 18 mEq/L.

### Tratamiento de primera línea
La reposición de fluidos es la primera medida con suero salino al 0,9 %.
Tras los fluidos se inicia insulina intravenosa a 0,1 U/kg/h.

### Tratamiento de segunda línea
El bicarbonato se reserva para la acidosis grave con pH menor de 6,9.

### Errores frecuentes
Un descenso de la glucemia mayor de 100 mg/dL por hora aumenta el riesgo de edema cerebral.
"""
TOPIC = "Cetoacidosis diabética"


def _request(kind: CardKind, context: str = SAMPLE_CONTEXT, seed: int = 0) -> CardRequest:
    return CardRequest(
        topic=TOPIC,
        context=context,
        kind=kind,
        perspective="complicaciones" if kind == CardKind.VARIANT else None,
        parent_id="0123456789abcdef" if kind == CardKind.VARIANT else None,
        seed=seed,
    )


def _outcome(generator: CardGenerator, request: CardRequest) -> Card | CardRejected:
    try:
        return generator.generate(request)
    except CardRejected as exc:
        return exc


def _assert_valid_and_grounded(card: Card, request: CardRequest) -> None:
    assert card.kind == request.kind.value, (card.kind, request.kind)
    model = card_model(request.kind)
    assert isinstance(card, model), type(card)
    assert model.model_validate(card.model_dump()) == card
    report = check_card(card, request.context, "normal")
    assert report.grounded, report.reasons()
    if isinstance(card, MCQDrill):
        options = [normalize(o) for o in card.options]
        assert len(set(options)) == len(options), card.options
        assert 0 <= card.answer_index < len(card.options)
    if isinstance(card, Variant):
        assert card.parent_id == request.parent_id
        assert card.perspective == request.perspective


def check_generator_cards_are_valid_and_grounded(factory: Factory) -> None:
    """Every kind: a valid, grounded card of that kind, or ``CardRejected`` with reasons."""
    generator = factory()
    for kind in CardKind:
        request = _request(kind)
        outcome = _outcome(generator, request)
        if isinstance(outcome, CardRejected):
            assert outcome.reasons, f"{kind}: CardRejected without reasons"
            assert outcome.topic == request.topic
        else:
            _assert_valid_and_grounded(outcome, request)


def check_generator_seed_context(factory: Factory) -> None:
    """On the seed's two-sentence context a card, if any, invents nothing."""
    generator = factory()
    for kind in (CardKind.BATTLECARD, CardKind.MCQ):
        request = _request(kind, SEED_CONTEXT)
        outcome = _outcome(generator, request)
        if not isinstance(outcome, CardRejected):
            _assert_valid_and_grounded(outcome, request)


def check_generator_deterministic(factory: Factory) -> None:
    """The same request with the same seed gives the same outcome."""
    request = _request(CardKind.MCQ, seed=3)
    first, second = _outcome(factory(), request), _outcome(factory(), request)
    if isinstance(first, CardRejected):
        assert isinstance(second, CardRejected)
    else:
        assert first == second


def check_generator_rejects_unusable_context(factory: Factory) -> None:
    """A context with no medical content yields ``CardRejected`` or a grounded card, no crash."""
    request = CardRequest(topic="Vacío", context="Sin datos.", kind=CardKind.MCQ, seed=0)
    outcome = _outcome(factory(), request)
    if isinstance(outcome, CardRejected):
        assert outcome.reasons
    else:
        _assert_valid_and_grounded(outcome, request)


def check_generator_many_keeps_order(factory: Factory) -> None:
    """``generate_many`` returns one card per request, in order (when none is rejected)."""
    generator = factory()
    requests = [_request(CardKind.BATTLECARD), _request(CardKind.OPEN)]
    try:
        cards = generator.generate_many(requests)
    except CardRejected:
        return
    assert [c.kind for c in cards] == ["battlecard", "open"]


def card_generator_checks() -> list[Callable[[Factory], None]]:
    """Every check a card generator must pass."""
    from _sdk.testing import check_component_contract

    return [
        check_component_contract,
        check_generator_cards_are_valid_and_grounded,
        check_generator_seed_context,
        check_generator_deterministic,
        check_generator_rejects_unusable_context,
        check_generator_many_keeps_order,
    ]

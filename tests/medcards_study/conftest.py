"""Fixtures of the study-engine tests: a deterministic card generator double."""

from __future__ import annotations

from typing import ClassVar

import pytest

import medcards
from medcards import Card, Fact, MCQDrill, OpenDrill, Variant


class FakeGenerator(medcards.CardGenerator):
    """Builds cards from the first sentence of the context; rejects contexts marked REJECT."""

    name: ClassVar[str] = "fake"

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self.requests: list[medcards.CardRequest] = []

    def generate(self, request: medcards.CardRequest) -> Card:
        self.requests.append(request)
        if "REJECT" in request.context:
            raise medcards.CardRejected(request.topic, ["context marked REJECT"])
        sentence = request.context.split(".")[0].strip() or request.context[:100]
        fact = Fact(text=sentence[:300], evidence=sentence[:1200])
        if request.kind == medcards.CardKind.MCQ:
            return MCQDrill(
                topic=request.topic,
                vignette=f"Paciente con {request.topic}.",
                question="¿Cuál es correcta?",
                options=[sentence[:300], "Opción B", "Opción C", "Opción D"],
                answer_index=0,
                explanation=sentence[:1200],
                evidence=sentence[:1200],
            )
        if request.kind == medcards.CardKind.OPEN:
            return OpenDrill(topic=request.topic, challenge="Explica el manejo.", key_points=[fact])
        if request.kind == medcards.CardKind.VARIANT:
            return Variant(
                topic=request.topic,
                parent_id=request.parent_id or "?",
                perspective=request.perspective or "otra",
                challenge=f"Desde {request.perspective}: {request.topic}",
                key_points=[fact],
            )
        raise medcards.CardRejected(request.topic, [f"kind {request.kind} not supported"])


@pytest.fixture
def generator() -> FakeGenerator:
    """A fresh deterministic generator double."""
    return FakeGenerator()

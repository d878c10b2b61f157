"""Study-card models. Every fact carries the evidence quote it came from.

JSON Schemas for constrained generation come from these models (:func:`card_json_schema`); the
length limits on strings and lists stop runaway generation (a small model under a schema grammar
can otherwise loop on the same phrase until ``max_tokens``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator
from pydantic.json_schema import SkipJsonSchema

from medcards.models import CardKind, CardRequest, SourceLocation

#: Longest short statement: a fact, an option, a question, a topic title (characters).
SHORT_TEXT_MAX = 300
#: Longest long text: a vignette, an explanation, a challenge (characters).
LONG_TEXT_MAX = 1200
#: Longest evidence quote of the context (characters).
QUOTE_MAX = 600

#: A short statement: a fact, an option, a question (at most :data:`SHORT_TEXT_MAX` characters).
ShortText = Annotated[str, Field(min_length=1, max_length=SHORT_TEXT_MAX)]
#: A longer text: a vignette, an explanation, a challenge (at most :data:`LONG_TEXT_MAX`).
LongText = Annotated[str, Field(min_length=1, max_length=LONG_TEXT_MAX)]
#: A verbatim quote of the context (at most :data:`QUOTE_MAX` characters).
Quote = Annotated[str, Field(min_length=1, max_length=QUOTE_MAX)]
#: Where an evidence quote is printed in the guide (``location`` of a :class:`Fact` or an
#: :class:`MCQDrill`; see :func:`medcards.locate_card`): set after generation, never by a
#: model, so it is left out of the JSON Schema and the schema's descriptions; left out of dumps
#: while unset, so cards without one serialise, and get their :func:`card_id`, as before.
Location = Annotated[
    SkipJsonSchema[SourceLocation | None], Field(default=None, exclude_if=lambda v: v is None)
]


class _CardModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Fact(_CardModel):
    """A statement and the verbatim quote of the context that supports it.

    Attributes:
        text: The statement, as the student reads it.
        evidence: The sentence of the source context it comes from, quoted verbatim.
    """

    text: ShortText
    evidence: Quote
    location: Location = None


class BattleCard(_CardModel):
    """Summary card of a topic (the seed's BattleCard).

    Every section is a list of :class:`Fact`; empty sections mean "not in the context".
    """

    kind: Literal["battlecard"] = "battlecard"
    topic: ShortText
    definition: list[Fact] = Field(default_factory=list, max_length=4)
    key_facts: list[Fact] = Field(default_factory=list, max_length=12)
    diagnosis: list[Fact] = Field(default_factory=list, max_length=8)
    first_line_treatment: list[Fact] = Field(default_factory=list, max_length=8)
    second_line_treatment: list[Fact] = Field(default_factory=list, max_length=8)
    pitfalls: list[Fact] = Field(default_factory=list, max_length=8)

    @model_validator(mode="after")
    def _not_empty(self) -> BattleCard:
        if not self.facts():
            raise ValueError("a BattleCard needs at least one fact")
        return self

    def facts(self) -> list[Fact]:
        """Every fact on the card, section by section."""
        return [
            *self.definition,
            *self.key_facts,
            *self.diagnosis,
            *self.first_line_treatment,
            *self.second_line_treatment,
            *self.pitfalls,
        ]


class MCQDrill(_CardModel):
    """Level-1 drill: a clinical vignette with 4-5 options and exactly one answer.

    Attributes:
        vignette: The clinical case.
        question: What is asked about it.
        options: 4 or 5 distinct answer options.
        answer_index: Index (0-based) of the one correct option.
        explanation: Why that option is right.
        evidence: Verbatim quote of the context that supports the answer.
    """

    kind: Literal["mcq"] = "mcq"
    topic: ShortText
    vignette: LongText
    question: ShortText
    options: list[ShortText] = Field(min_length=4, max_length=5)
    answer_index: int = Field(ge=0, le=4)
    explanation: LongText
    evidence: Quote
    location: Location = None

    @model_validator(mode="after")
    def _answer_in_range(self) -> MCQDrill:
        if self.answer_index >= len(self.options):
            raise ValueError(
                f"answer_index {self.answer_index} is out of range for {len(self.options)} options"
            )
        return self

    @property
    def answer(self) -> str:
        """The text of the correct option."""
        return self.options[self.answer_index]


class OpenDrill(_CardModel):
    """Level-2 drill: an open challenge without options, marked against key points."""

    kind: Literal["open"] = "open"
    topic: ShortText
    challenge: LongText
    key_points: list[Fact] = Field(min_length=1, max_length=8)


class Variant(_CardModel):
    """An angle variant of a failed card, from another perspective.

    Attributes:
        parent_id: Id of the card the student failed: its :func:`card_id`, or, for a card
            stored in the study database, the stored card's ``uid``.
        perspective: The angle taken (complications, differential diagnosis...).
        challenge: The new question.
        key_points: What a complete answer contains, with evidence.
    """

    kind: Literal["variant"] = "variant"
    topic: ShortText
    parent_id: ShortText
    perspective: ShortText
    challenge: LongText
    key_points: list[Fact] = Field(min_length=1, max_length=8)


#: Any card medcards produces.
Card = BattleCard | MCQDrill | OpenDrill | Variant

_MODELS: dict[CardKind, type[BattleCard | MCQDrill | OpenDrill | Variant]] = {
    CardKind.BATTLECARD: BattleCard,
    CardKind.MCQ: MCQDrill,
    CardKind.OPEN: OpenDrill,
    CardKind.VARIANT: Variant,
}


def card_model(kind: CardKind | str) -> type[BattleCard | MCQDrill | OpenDrill | Variant]:
    """The model class of cards of ``kind``: battlecard, mcq, open or variant."""
    return _MODELS[CardKind(kind)]


def card_json_schema(kind: CardKind | str, quotes: Sequence[str] | None = None) -> dict[str, Any]:
    """JSON Schema a backend constrains generation with, derived from the card model.

    Every property is required (a constrained model then writes every field, in the order of
    the model, which is also the order :func:`medcards.render_target` writes), and the
    length limits of the model (``maxLength``, ``maxItems``) are kept.

    Args:
        kind: The card kind.
        quotes: When given, every ``evidence`` field may only be one of these strings (an
            ``enum``), so that a constrained model can only quote them: pass the context's
            sentences (:func:`medcards.context_quotes`) and every quote it writes is verbatim.
            Quotes longer than :data:`QUOTE_MAX` are left out; an empty list is an error.
    """
    schema = card_model(kind).model_json_schema()
    choices: list[str] | None = None
    if quotes is not None:
        choices = list(dict.fromkeys(q for q in quotes if 0 < len(q) <= QUOTE_MAX))
        if not choices:
            raise ValueError(f"no quote of at most {QUOTE_MAX} characters to choose from")

    def constrain(node: dict[str, Any]) -> None:
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])
            node["additionalProperties"] = False
            evidence = node["properties"].get("evidence")
            if choices is not None and evidence is not None:
                node["properties"]["evidence"] = {
                    "title": evidence.get("title", "Evidence"),
                    "type": "string",
                    "enum": choices,
                }
        for sub in node.get("$defs", {}).values():
            constrain(sub)

    constrain(schema)
    return schema


#: Validates any card, choosing the model by its ``kind`` (a discriminated union).
CARD_ADAPTER: TypeAdapter[Card] = TypeAdapter(Annotated[Card, Field(discriminator="kind")])


def parse_card(data: dict[str, Any] | str | bytes, kind: CardKind | str | None = None) -> Card:
    """Validate ``data`` (a dict or JSON text) as a card; ``kind`` defaults to ``data["kind"]``.

    This is the one validation path of every card medcards reads: generated replies, stored
    cards, dataset rows and imported documents.

    Raises:
        pydantic.ValidationError: naming each offending field.
        ValueError: if the text is not a JSON object, or the kind is missing or unknown.
    """
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ValueError(f"a card must be JSON ({exc.msg} at char {exc.pos})") from None
        if not isinstance(data, dict):
            raise ValueError("a card must be a JSON object")
    chosen = kind if kind is not None else data.get("kind")
    if chosen is None:
        raise ValueError("card has no 'kind'")
    return card_model(chosen).model_validate(data)


def apply_request_fields(data: dict[str, Any], request: CardRequest) -> dict[str, Any]:
    """Set, in place, the fields of a generated card that ``request`` already fixes.

    ``kind`` and ``topic`` always come from the request (the topic cut to
    :data:`SHORT_TEXT_MAX`); for a variant, ``parent_id`` and ``perspective`` too when the
    request has them. They are not the model's to get wrong. Returns ``data``.
    """
    data["kind"] = request.kind.value
    data["topic"] = request.topic[:SHORT_TEXT_MAX]
    if request.kind == CardKind.VARIANT:
        data["parent_id"] = (request.parent_id or "")[:SHORT_TEXT_MAX] or data.get("parent_id")
        data["perspective"] = (request.perspective or "")[:SHORT_TEXT_MAX] or data.get(
            "perspective"
        )
    return data


def card_id(card: Card) -> str:
    """A stable id for ``card``: 16 hex characters of the SHA-256 of its canonical JSON.

    Equal cards get equal ids, so a variant made outside a study database can name its parent
    (``parent_id``) by it. The study database does not use it: it gives each stored card a
    random ``uid`` of its own, because the same card may be stored more than once (the same
    angle variant after two failures of one card).
    """
    canonical = json.dumps(card.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

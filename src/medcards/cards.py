"""Study-card models. Every fact carries the evidence quote it came from.

JSON Schemas for constrained generation come from these models (``model_json_schema()``); the
length limits on strings and lists stop runaway generation.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

ShortText = Annotated[str, Field(min_length=1, max_length=300)]
LongText = Annotated[str, Field(min_length=1, max_length=1200)]


class _CardModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(_CardModel):
    """A statement and the verbatim quote of the context that supports it."""

    text: ShortText
    evidence: LongText


class BattleCard(_CardModel):
    """Summary card of a topic (the seed's BattleCard)."""

    kind: Literal["battlecard"] = "battlecard"
    topic: ShortText
    definition: list[Fact] = Field(default_factory=list, max_length=4)
    key_facts: list[Fact] = Field(default_factory=list, max_length=12)
    diagnosis: list[Fact] = Field(default_factory=list, max_length=8)
    first_line_treatment: list[Fact] = Field(default_factory=list, max_length=8)
    second_line_treatment: list[Fact] = Field(default_factory=list, max_length=8)
    pitfalls: list[Fact] = Field(default_factory=list, max_length=8)

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
    """Level-1 drill: a clinical vignette with 4-5 options and exactly one answer."""

    kind: Literal["mcq"] = "mcq"
    topic: ShortText
    vignette: LongText
    question: ShortText
    options: list[ShortText] = Field(min_length=4, max_length=5)
    answer_index: int = Field(ge=0, le=4)
    explanation: LongText
    evidence: LongText


class OpenDrill(_CardModel):
    """Level-2 drill: an open challenge without options, marked against key points."""

    kind: Literal["open"] = "open"
    topic: ShortText
    challenge: LongText
    key_points: list[Fact] = Field(min_length=1, max_length=8)


class Variant(_CardModel):
    """An angle variant of a failed card, from another perspective."""

    kind: Literal["variant"] = "variant"
    topic: ShortText
    parent_id: ShortText
    perspective: ShortText
    challenge: LongText
    key_points: list[Fact] = Field(min_length=1, max_length=8)


#: Any card medcards produces.
Card = BattleCard | MCQDrill | OpenDrill | Variant

"""Data models exchanged by medcards' interfaces (pydantic v2, UTC datetimes)."""

from __future__ import annotations

import datetime as dt
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


class Rating(IntEnum):
    """How a review went, from the student's point of view."""

    FAIL = 1
    HARD = 2
    GOOD = 3
    EASY = 4


class CardKind(StrEnum):
    """The kinds of study card medcards generates."""

    BATTLECARD = "battlecard"
    MCQ = "mcq"
    OPEN = "open"
    VARIANT = "variant"


class ChatTurn(BaseModel):
    """One chat message sent to a backend."""

    model_config = ConfigDict(frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class Completion(BaseModel):
    """A backend's answer.

    Attributes:
        text: The generated text.
        model: Model that produced it.
        prompt_tokens: Tokens in the prompt, when the backend reports them.
        completion_tokens: Tokens generated, when the backend reports them.
        finish_reason: ``"stop"``, ``"length"``, ... when reported.
        seconds: Wall-clock generation time in seconds, when measured.
    """

    text: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    seconds: float | None = None


class CardRequest(BaseModel):
    """What to generate: a card of ``kind`` about ``topic``, from ``context`` only.

    Attributes:
        topic: Topic title, e.g. "Cetoacidosis diabética".
        context: Source text; every fact of the card must be grounded in it.
        kind: Which card to produce.
        language: Prompt and output language.
        perspective: For variants: the angle to take (complications, differential diagnosis...).
        parent_id: For variants: the card that was failed.
        seed: Seed for anything random (option shuffling, sampling).
    """

    model_config = ConfigDict(frozen=True)

    topic: str = Field(min_length=1)
    context: str = Field(min_length=1)
    kind: CardKind
    language: Literal["es", "en"] = "es"
    perspective: str | None = None
    parent_id: str | None = None
    seed: int | None = None


class SchedulerState(BaseModel):
    """Scheduler-neutral review state of one card.

    Attributes:
        scheduler: Name of the scheduler that owns ``data``.
        due: When the card is next due (UTC).
        interval_days: Current interval in days.
        ease: An ease-like quantity (SM-2 easiness factor; FSRS difficulty mapped to ease).
        repetitions: Consecutive successful reviews.
        last_review: When the card was last reviewed (UTC), if ever.
        data: Scheduler-specific state, JSON-serialisable.
    """

    scheduler: str
    due: AwareDatetime
    interval_days: float = Field(ge=0)
    ease: float | None = None
    repetitions: int = Field(default=0, ge=0)
    last_review: AwareDatetime | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("due", "last_review")
    @classmethod
    def _to_utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        return None if value is None else value.astimezone(dt.UTC)


class TrainResult(BaseModel):
    """What a trainer produced: the adapter or model directory and its training metrics."""

    output_dir: Path
    metrics: dict[str, float] = Field(default_factory=dict)


class ExportResult(BaseModel):
    """A file medcards wrote: a study deck (``medcards export``: Anki, JSON) or a model.

    Attributes:
        path: The file written.
        format: ``"apkg"``, ``"json"``, ``"gguf-q4_k_m"``...
        size_bytes: Its size.
    """

    path: Path
    format: str
    size_bytes: int = Field(ge=0)


class ModelExportResult(ExportResult):
    """What a :class:`~medcards.ModelExporter` wrote: a model file a local backend can serve."""


class MemoryThresholds(BaseModel):
    """When a card's memory counts as strong enough for open recall (mastery Level 2).

    A scheduler reads the thresholds that apply to its own signal in
    :meth:`~medcards.Scheduler.ready_for_open_recall`; the mastery ladder only passes them on.

    Attributes:
        min_interval_days: The card's interval must be strictly longer than this (every
            scheduler).
        min_ease: Schedulers with an ease factor (SM-2): the ease must be strictly above this.
        max_difficulty: Schedulers with a 1-10 difficulty (FSRS): the difficulty must be at
            or below this.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_interval_days: float = Field(default=7.0, ge=0)
    min_ease: float = 2.6
    max_difficulty: float = Field(default=5.0, ge=1.0, le=10.0)


class SourceLocation(BaseModel):
    """Where a card's evidence quote is printed in its guide.

    Attributes:
        file: The guide file (as given to ``medcards ingest``), when known.
        first_page: 1-based page the quote starts on (PDF guides).
        last_page: 1-based page the quote ends on (equal to ``first_page`` unless the quote runs
            across a page break).
        line: 1-based line of the guide the quote starts on (Markdown and text guides).
        section: The heading the quote sits under: a sub-heading of the topic, else its title.
        citations: Citation markers next to the quote in a NotebookLM note (``"[1]"``), with the
            source they name when the note lists its sources (``"[1] Guía ADA 2024"``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str | None = None
    first_page: int | None = Field(default=None, ge=1)
    last_page: int | None = Field(default=None, ge=1)
    line: int | None = Field(default=None, ge=1)
    section: str | None = None
    citations: tuple[str, ...] = ()

    def describe(self) -> str:
        """A short reference a student can check, e.g. ``"cad.pdf, p. 3, Tratamiento"``.

        Page ranges read ``pp. 3-4``; a text guide gives its line (``l. 12``).
        """
        parts: list[str] = []
        if self.file:
            parts.append(Path(self.file).name)
        if self.first_page is not None:
            last = self.last_page or self.first_page
            pages = (
                f"p. {self.first_page}"
                if last == self.first_page
                else f"pp. {self.first_page}-{last}"
            )
            parts.append(pages)
        elif self.line is not None:
            parts.append(f"l. {self.line}")
        if self.section:
            parts.append(self.section)
        parts.extend(self.citations)
        return ", ".join(parts)

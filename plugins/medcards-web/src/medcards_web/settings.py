"""The study settings the web app reads and edits, stored in the study database itself."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

import medcards
from medcards.study import DailyLimits, StudyEngine

log = logging.getLogger("medcards_web")

#: Key of the settings in the study database's ``settings`` table.
SETTINGS_KEY = "web"


class StudySettings(BaseModel):
    """What the Settings page edits.

    Attributes:
        scheduler: ``sm2`` or ``fsrs`` (a database keeps the scheduler its cards were
            scheduled with; switching needs a fresh database).
        desired_retention: FSRS target recall at due time.
        new_topics_per_day: Daily limit of new topics.
        reviews_per_day: Daily limit of scheduled reviews.
        generator: Card generator for missing drills and angles (``none``: stored cards only).
        backend: Backend of the ``llm`` generator.
        backend_options: Options of that backend (``key=value`` pairs).
        fsrs_parameters: FSRS weights fitted to this student's log (None: the defaults).
        exam_date: Exam-date mode: the exam day (None: off).
        exam_target: Exam-date mode: predicted recall wanted that day.
    """

    model_config = ConfigDict(extra="ignore")

    scheduler: Literal["sm2", "fsrs"] = "sm2"
    desired_retention: float = Field(default=0.9, ge=0.7, le=0.99)
    new_topics_per_day: int = Field(default=20, ge=0, le=10_000)
    reviews_per_day: int = Field(default=200, ge=0, le=100_000)
    generator: str = "extractive"
    backend: str = ""
    backend_options: dict[str, Any] = Field(default_factory=dict)
    fsrs_parameters: list[float] | None = None
    exam_date: dt.date | None = None
    exam_target: float = Field(default=0.9, ge=0.5, le=0.99)

    @field_validator("generator")
    @classmethod
    def _known_generator(cls, value: str) -> str:
        if value != "none" and value not in medcards.card_generator_names():
            known = ", ".join(["none", *medcards.card_generator_names()])
            raise ValueError(f"unknown generator {value!r}; known: {known}")
        return value

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value and value not in medcards.backend_names():
            raise ValueError(
                f"unknown backend {value!r}; known: {', '.join(medcards.backend_names())}"
            )
        return value

    def limits(self) -> DailyLimits:
        """The daily limits."""
        return DailyLimits(new_topics=self.new_topics_per_day, reviews=self.reviews_per_day)

    def make_scheduler(self) -> medcards.Scheduler:
        """The configured scheduler (FSRS with the fitted weights and the exam date, if set)."""
        if self.scheduler == "sm2":
            return medcards.get_scheduler("sm2")
        options: dict[str, Any] = {
            "desired_retention": self.desired_retention,
            "exam_date": self.exam_date,
            "exam_target": self.exam_target,
        }
        if self.fsrs_parameters is not None:
            options["parameters"] = tuple(self.fsrs_parameters)
        return medcards.get_scheduler("fsrs", **options)

    def make_generator(self) -> medcards.CardGenerator | None:
        """The configured card generator, or None."""
        if self.generator == "none":
            return None
        options: dict[str, Any] = {}
        if self.generator == "llm":
            if not self.backend:
                raise medcards.MedcardsError("the 'llm' generator needs a backend (Settings)")
            options = {"backend": self.backend, "backend_options": dict(self.backend_options)}
        return medcards.get_card_generator(self.generator, **options)


def load_settings(engine: StudyEngine) -> StudySettings:
    """The settings stored in ``engine``'s database (defaults when none).

    A stored value that no longer validates (a generator whose plugin was uninstalled, say) is
    replaced by its default and logged, so that every page, Settings included, still opens.
    """
    stored = dict(engine.settings().get(SETTINGS_KEY, {}))
    for _ in range(len(stored) + 1):
        try:
            return StudySettings.model_validate(stored)
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else ""
                log.warning(
                    "stored setting %r is invalid (%s): using its default", field, error["msg"]
                )
                stored.pop(field, None)
    return StudySettings()


def save_settings(engine: StudyEngine, settings: StudySettings) -> None:
    """Store ``settings`` in ``engine``'s database."""
    engine.save_settings({SETTINGS_KEY: settings.model_dump(mode="json")})

"""medcards' stable interfaces. Each has at most two abstract methods; the rest is convenience."""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

from _sdk import Component
from _sdk.deprecation import deprecated_aliases
from medcards.cards import Card
from medcards.errors import BackendError
from medcards.models import (
    CardRequest,
    ChatTurn,
    Completion,
    MemoryThresholds,
    ModelExportResult,
    Rating,
    SchedulerState,
    TrainResult,
)


class Backend(Component, abc.ABC):
    """Sends chat messages to a language model and returns its text.

    ``supports_json_schema`` says whether :meth:`complete` honours ``json_schema`` by
    constrained decoding (otherwise the schema is only described in the prompt).

    A backend that holds resources (a loaded model, pooled HTTP connections) frees them in
    :meth:`close`; use it as a context manager (``with get_backend(...) as backend:``) to close
    it at the end of the block. A closed backend opens them again on its next call.
    """

    interface: ClassVar[str] = "backend"
    supports_json_schema: ClassVar[bool] = False

    def close(self) -> None:
        """Free what the backend holds (a loaded model, connections); the default holds nothing.

        Calling it twice, or on a backend never used, is harmless.
        """

    def __enter__(self) -> Self:
        """Use the backend as a context manager that closes it on exit."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the backend."""
        self.close()

    def __del__(self) -> None:
        """Close the backend when it is dropped."""
        with contextlib.suppress(Exception):  # at interpreter shutdown nothing is left to close
            self.close()

    @abc.abstractmethod
    def complete(
        self,
        messages: Sequence[ChatTurn],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> Completion:
        """Generate a reply to ``messages`` (at most ``max_tokens`` tokens).

        Raises:
            BackendError: server down, model missing, context too long..., naming the host.
        """

    def context_size(self) -> int | None:
        """The model's context window in tokens, when the backend knows it (else ``None``).

        Used to fit ingested guide sections to what the model can read.
        """
        return None

    def complete_json(
        self,
        messages: Sequence[ChatTurn],
        json_schema: dict[str, Any],
        **kwargs: Any,
    ) -> Any:
        """:meth:`complete` under ``json_schema`` and parse the reply as JSON.

        Raises:
            BackendError: if the reply is not valid JSON.
        """
        completion = self.complete(messages, json_schema=json_schema, **kwargs)
        try:
            return json.loads(completion.text)
        except json.JSONDecodeError as exc:
            raise BackendError(
                f"backend {self.name!r} returned malformed JSON ({exc.msg} at char {exc.pos}): "
                f"{completion.text[:200]!r}"
            ) from None


class CardGenerator(Component, abc.ABC):
    """Produces a validated, grounded card for a :class:`~medcards.CardRequest`."""

    interface: ClassVar[str] = "card generator"
    #: Whether the generator needs an LLM backend.
    uses_backend: ClassVar[bool] = False

    @abc.abstractmethod
    def generate(self, request: CardRequest) -> Card:
        """Generate one card.

        Raises:
            CardRejected: when no valid, grounded card could be produced, listing the reasons.
        """

    def generate_many(self, requests: Sequence[CardRequest]) -> list[Card]:
        """Generate a card for each request, in order."""
        return [self.generate(request) for request in requests]


class Scheduler(Component, abc.ABC):
    """Spaced-repetition scheduler: state + rating + time -> new state and due date."""

    interface: ClassVar[str] = "scheduler"
    #: Whether :meth:`recall_probability` returns a number.
    provides_recall_probability: ClassVar[bool] = False

    @abc.abstractmethod
    def review(
        self, state: SchedulerState | None, rating: Rating, now: dt.datetime
    ) -> SchedulerState:
        """The state after a review rated ``rating`` at ``now`` (``state`` None: first review)."""

    def recall_probability(self, state: SchedulerState, now: dt.datetime) -> float | None:
        """Estimated probability of recalling the card at ``now``, if the model defines one."""
        return None

    def ready_for_open_recall(self, state: SchedulerState, thresholds: MemoryThresholds) -> bool:
        """Whether the card's memory in ``state`` is strong enough for open recall (Level 2).

        The mastery ladder asks this after each review of a Level-1 card; the answer is the
        scheduler's own signal, compared with the ``thresholds`` that apply to it. It is never
        true while ``state.interval_days`` is at or below ``thresholds.min_interval_days``.

        The default: the interval is longer than ``min_interval_days`` and, when the scheduler
        reports an ``ease``, the ease is above ``min_ease``. Override it when the scheduler's
        strength lives elsewhere (FSRS: its difficulty; a Leitner box).
        """
        if state.interval_days <= thresholds.min_interval_days:
            return False
        return state.ease is None or state.ease > thresholds.min_ease

    def replay(self, reviews: Sequence[tuple[Rating, dt.datetime]]) -> SchedulerState | None:
        """The state after a sequence of ``(rating, time)`` reviews, oldest first."""
        state: SchedulerState | None = None
        for rating, when in reviews:
            state = self.review(state, rating, when)
        return state


class Trainer(Component, abc.ABC):
    """Supervised fine-tuning of a local model on a card dataset."""

    interface: ClassVar[str] = "trainer"
    #: Whether the trainer needs a CUDA device.
    requires_cuda: ClassVar[bool] = False

    @abc.abstractmethod
    def train(self, dataset: Path, base_model: Path, output_dir: Path) -> TrainResult:
        """Fine-tune ``base_model`` (a local model dir) on ``dataset``, writing ``output_dir``."""


class ModelExporter(Component, abc.ABC):
    """Writes a trained model to a format a local backend can serve (e.g. GGUF).

    Registered through ``medcards_register_exporters`` and found with
    :func:`medcards.get_exporter`. Not to be confused with ``medcards export``, which writes the
    study database as a deck.
    """

    interface: ClassVar[str] = "exporter"

    @abc.abstractmethod
    def export(self, model_dir: Path, out_path: Path) -> ModelExportResult:
        """Export the model in ``model_dir`` to ``out_path``."""


__getattr__ = deprecated_aliases("medcards.interfaces", {"Exporter": "medcards.ModelExporter"})

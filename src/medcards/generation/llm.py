"""The ``llm`` card generator: a language model behind a :class:`~medcards.Backend`, kept honest.

Each attempt runs prompt → backend (JSON-Schema constrained when the backend supports it, the
evidence quotes restricted to the context's own sentences) →
parse → pydantic validation → sanity checks (no degenerate repetition; for MCQs unique options
and one answer) → grounding against the context → for MCQs, the answer-key checks
(:func:`medcards.check_answer_key`). The first attempt that passes is returned,
with MCQ options shuffled by a seeded generator. Otherwise the failure reasons are fed back into
the next prompt, up to ``max_attempts``, and then :class:`~medcards.CardRejected` lists every
reason. A :class:`~medcards.BackendError` (server down, model missing, context too long) is not
a rejection of the card and propagates at once.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import ConfigDict, Field, ValidationError

from _sdk.errors import error_field
from medcards.cards import Card, MCQDrill, apply_request_fields, card_json_schema, parse_card
from medcards.errors import CardRejected
from medcards.generation.answer_key import check_answer_key
from medcards.generation.grounding import Strictness, check_card, normalize
from medcards.generation.prompts import build_messages
from medcards.generation.segments import context_quotes
from medcards.interfaces import Backend, CardGenerator
from medcards.models import CardKind, CardRequest

__all__ = ["LLMCardGenerator", "card_from_reply", "extract_json", "sanity_problems"]

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)


def extract_json(text: str) -> Any:
    """Parse a model's reply as JSON, tolerating a Markdown code fence or text around one object.

    Raises:
        ValueError: with the parser's message and position when no JSON object can be read.
    """
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        start = text.find("{")
        if start > 0:
            try:
                value, _ = json.JSONDecoder().raw_decode(text[start:])
                return value
            except json.JSONDecodeError:
                pass
        raise ValueError(f"malformed JSON ({exc.msg} at char {exc.pos})") from None


def card_from_reply(text: str, request: CardRequest) -> Card:
    """The card a model's reply ``text`` holds, validated as the kind ``request`` asked for.

    The reply is read with :func:`extract_json`; the fields the request fixes are set with
    :func:`~medcards.apply_request_fields` and the result is validated by
    :func:`~medcards.parse_card`. The ``llm`` generator and the fine-tuning evaluation both
    read replies this way.

    Raises:
        ValueError: the reply is not one JSON object.
        pydantic.ValidationError: naming each field that does not fit the card model.
    """
    data = extract_json(text)
    if not isinstance(data, dict):
        raise ValueError("the answer must be one JSON object")
    return parse_card(apply_request_fields(data, request), request.kind)


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, sub in value.items():
            yield from _strings(sub, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _strings(sub, f"{path}[{i}]")


def _repetitive(text: str, n: int = 4, max_repeats: int = 3) -> bool:
    """Whether some ``n``-word phrase occurs more than ``max_repeats`` times (a generation loop)."""
    words = normalize(text).split()
    counts: dict[tuple[str, ...], int] = {}
    for i in range(len(words) - n + 1):
        gram = tuple(words[i : i + n])
        counts[gram] = counts.get(gram, 0) + 1
        if counts[gram] > max_repeats:
            return True
    return False


def sanity_problems(card: Card) -> list[str]:
    """Problems a schema cannot express: text loops, duplicate MCQ options or facts."""
    problems = [
        f"{path}: the text repeats itself (a generation loop)"
        for path, text in _strings(card.model_dump(mode="json"))
        if _repetitive(text)
    ]
    if isinstance(card, MCQDrill):
        normalised = [normalize(o) for o in card.options]
        if len(set(normalised)) != len(normalised):
            problems.append("options: two options are the same; each must be distinct")
    for section, facts in (
        (name, value)
        for name, value in card.model_dump(mode="json").items()
        if isinstance(value, list) and value and isinstance(value[0], dict)
    ):
        texts = [normalize(f.get("text", "")) for f in facts]
        if len(set(texts)) != len(texts):
            problems.append(f"{section}: the same fact appears twice")
    return problems


def _validation_reasons(exc: ValidationError) -> list[str]:
    reasons = []
    for err in exc.errors()[:8]:
        where = error_field(err, "(card)")
        reasons.append(f"{where}: {err['msg']}")
    return reasons


class LLMCardGenerator(CardGenerator):
    """Generates cards with a language model, validating and grounding every one.

    Options name the backend (``backend="llamacpp"``, ``backend_options={"model_path": ...}``)
    or pass a ready :class:`~medcards.Backend` instance (``backend=my_backend``).
    """

    name: ClassVar[str] = "llm"
    uses_backend: ClassVar[bool] = True

    class Options(CardGenerator.Options):
        """Options of the LLM generator."""

        model_config = ConfigDict(arbitrary_types_allowed=True)

        backend: str | Backend = Field(
            default="echo", description="Backend name, or a Backend instance."
        )
        backend_options: dict[str, Any] = Field(
            default_factory=dict, description="Options of the named backend."
        )
        max_attempts: int = Field(default=3, ge=1, le=10, description="Attempts per card.")
        max_tokens: int = Field(default=768, ge=16, description="Token budget of one attempt.")
        temperature: float = Field(default=0.2, ge=0.0, le=2.0)
        retry_temperature: float = Field(
            default=0.7, ge=0.0, le=2.0, description="Temperature of the second and later attempts."
        )
        constrained: bool = Field(
            default=True, description="Send the card's JSON Schema to backends that honour it."
        )
        quote_choices: bool = Field(
            default=True,
            description="With a constrained backend, let every evidence quote be only one of the "
            "context's sentences and list items (an enum in the schema), so quotes are verbatim.",
        )
        strictness: Strictness = "normal"
        template_version: str | None = Field(default=None, description="Prompt template version.")

    options: Options

    def __init__(self, **options: Any) -> None:
        """Validate options; the backend is created on first use."""
        super().__init__(**options)
        self._backend: Backend | None = (
            self.options.backend if isinstance(self.options.backend, Backend) else None
        )
        #: Every attempt of the last :meth:`generate` call: ``(attempt, reasons)``; empty reasons
        #: mean the attempt was accepted.
        self.last_attempts: list[tuple[int, list[str]]] = []

    @property
    def backend(self) -> Backend:
        """The backend in use (created from ``backend``/``backend_options`` on first access)."""
        if self._backend is None:
            from medcards.plugins import get_backend

            name = self.options.backend
            assert isinstance(name, str)
            self._backend = get_backend(name, **self.options.backend_options)
        return self._backend

    def attempt(
        self, request: CardRequest, feedback: list[str], attempt: int
    ) -> tuple[Card | None, list[str]]:
        """One attempt: the card, or ``None`` and the reasons it was rejected.

        Raises:
            BackendError: when the backend itself fails.
        """
        backend = self.backend
        schema = None
        if self.options.constrained and backend.supports_json_schema:
            quotes = context_quotes(request.context) if self.options.quote_choices else []
            schema = card_json_schema(request.kind, quotes or None)
        messages = build_messages(request, feedback, version=self.options.template_version)
        seed = None if request.seed is None else request.seed + attempt
        completion = backend.complete(
            messages,
            json_schema=schema,
            max_tokens=self.options.max_tokens,
            temperature=self.options.temperature
            if attempt == 0
            else self.options.retry_temperature,
            seed=seed,
        )
        reasons: list[str] = []
        if completion.finish_reason == "length":
            reasons.append(
                f"the answer was cut at {self.options.max_tokens} tokens; write shorter texts"
            )
        try:
            card = card_from_reply(completion.text, request)
        except ValidationError as exc:
            return None, [*reasons, *_validation_reasons(exc)]
        except ValueError as exc:
            return None, [*reasons, str(exc)]
        problems = sanity_problems(card)
        report = check_card(card, request.context, self.options.strictness)
        problems += report.reasons()
        if isinstance(card, MCQDrill):
            problems += check_answer_key(card).reasons()
        if problems:
            return None, problems
        return card, []

    def generate(self, request: CardRequest) -> Card:
        """A valid, grounded card for ``request``, or :class:`~medcards.CardRejected`.

        Raises:
            CardRejected: after ``max_attempts`` failed attempts, listing every reason.
            BackendError: when the backend fails (not retried here; backends retry transport).
        """
        if request.kind == CardKind.VARIANT and not (request.perspective and request.parent_id):
            raise CardRejected(
                request.topic, ["a variant needs request.perspective and request.parent_id"]
            )
        self.last_attempts = []
        all_reasons: list[str] = []
        feedback: list[str] = []
        for attempt in range(self.options.max_attempts):
            card, reasons = self.attempt(request, feedback, attempt)
            self.last_attempts.append((attempt, reasons))
            if card is not None:
                return self._shuffled(card, request)
            all_reasons += [f"attempt {attempt + 1}: {r}" for r in reasons]
            feedback = reasons
        raise CardRejected(request.topic, all_reasons)

    @staticmethod
    def _shuffled(card: Card, request: CardRequest) -> Card:
        if not isinstance(card, MCQDrill):
            return card
        rng = random.Random(request.seed)
        order = list(range(len(card.options)))
        rng.shuffle(order)
        options = [card.options[i] for i in order]
        return card.model_copy(
            update={"options": options, "answer_index": order.index(card.answer_index)}
        )

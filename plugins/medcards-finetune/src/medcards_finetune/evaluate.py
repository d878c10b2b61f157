"""Before/after evaluation: schema-valid and grounded rates through the real card generator.

Each model (a GGUF served by the ``llamacpp`` backend) is asked, through the ``llm`` card
generator, for a card of each held-out row's kind from its context. The backend is wrapped so
that every reply is recorded; per model the evaluation counts, over held-out contexts:

- **schema-valid**: the first reply parses as JSON and validates as the requested card model
  (with ``kind`` and ``topic`` set from the request, as the generator does);
- **grounded**: the generator accepted the first reply (valid, sane and grounded in the context);
- **accepted**: the generator returned a card within its ``max_attempts`` (retries with feedback).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import medcards
from medcards import ChatTurn, Completion


@dataclass
class ModelScore:
    """Counts of one model over the held-out contexts.

    Attributes:
        label: Name shown in reports ("base", "tuned").
        model_path: The GGUF evaluated.
        total: Held-out contexts asked.
        schema_valid: Contexts whose first reply was a valid card of the requested kind.
        grounded: Contexts whose first reply the generator accepted (valid and grounded).
        accepted: Contexts for which the generator produced a card within its attempts.
        reasons: The rejection reasons of contexts without a card, as ``topic: reason``.
    """

    label: str
    model_path: Path
    total: int = 0
    schema_valid: int = 0
    grounded: int = 0
    accepted: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def schema_valid_rate(self) -> float:
        """Share (0-1) of contexts whose first reply was schema-valid."""
        return self.schema_valid / self.total if self.total else 0.0

    @property
    def grounded_rate(self) -> float:
        """Share (0-1) of contexts whose first reply was accepted (grounded)."""
        return self.grounded / self.total if self.total else 0.0

    @property
    def accepted_rate(self) -> float:
        """Share (0-1) of contexts that got a card after retries."""
        return self.accepted / self.total if self.total else 0.0


class _RecordingBackend(medcards.Backend):
    """Passes calls to another backend and keeps every completion (for the schema check)."""

    name: ClassVar[str] = "recording"

    def __init__(self, inner: medcards.Backend) -> None:
        super().__init__()
        self.inner = inner
        self.completions: list[Completion] = []

    def complete(
        self,
        messages: Sequence[ChatTurn],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> Completion:
        """Forward to the wrapped backend and record the completion."""
        completion = self.inner.complete(
            messages,
            json_schema=json_schema,
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
        )
        self.completions.append(completion)
        return completion


def _recording(inner: medcards.Backend) -> _RecordingBackend:
    """A recording wrapper advertising the same constrained-decoding capability as ``inner``."""
    cls = type(
        "RecordingBackend",
        (_RecordingBackend,),
        {"supports_json_schema": inner.supports_json_schema, "__doc__": _RecordingBackend.__doc__},
    )
    backend: _RecordingBackend = cls(inner)
    return backend


def _schema_valid(text: str, request: medcards.CardRequest) -> bool:
    """Whether ``text`` is a JSON card of the requested kind (request-fixed fields set).

    The reply is read exactly as the ``llm`` generator reads it
    (:func:`medcards.card_from_reply`).
    """
    try:
        medcards.card_from_reply(text, request)
    except ValueError:  # malformed JSON, or a pydantic ValidationError (a ValueError too)
        return False
    return True


def held_out_requests(dataset: Path, *, limit: int | None = None) -> list[medcards.CardRequest]:
    """One :class:`~medcards.CardRequest` per valid held-out row (its topic, context and kind)."""
    from medcards_finetune.dataset import load_examples

    requests = [
        medcards.CardRequest(
            topic=e["tema"],
            context=e["contexto_mcp"],
            kind=e["kind"],
            perspective=e.get("perspective"),
            parent_id=e.get("parent_id"),
            seed=i,
        )
        for i, e in enumerate(load_examples(dataset))
    ]
    return requests[:limit] if limit is not None else requests


def score_model(
    label: str,
    model_path: Path,
    requests: Sequence[medcards.CardRequest],
    *,
    generator: str = "llm",
    generator_options: Mapping[str, Any] | None = None,
    backend_options: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> ModelScore:
    """Ask the generator for every request with ``model_path`` served by ``llamacpp``."""
    from rich.progress import Progress

    backend = _recording(
        medcards.get_backend("llamacpp", model_path=model_path, **dict(backend_options or {}))
    )
    card_generator = medcards.get_card_generator(
        generator, backend=backend, **dict(generator_options or {})
    )
    score = ModelScore(label=label, model_path=model_path)
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task(f"evaluando {label}", total=len(requests))
        for request in requests:
            backend.completions.clear()
            score.total += 1
            try:
                card_generator.generate(request)
                score.accepted += 1
            except medcards.CardRejected as exc:
                score.reasons.extend(f"{request.topic}: {r}" for r in exc.reasons)
            attempts = getattr(card_generator, "last_attempts", [])
            if backend.completions and _schema_valid(backend.completions[0].text, request):
                score.schema_valid += 1
            if attempts and attempts[0][1] == []:
                score.grounded += 1
            bar.advance(task)
    return score


def compare_models(
    dataset: Path,
    models: Mapping[str, Path],
    *,
    generator: str = "llm",
    generator_options: Mapping[str, Any] | None = None,
    limit: int | None = None,
    progress: bool = True,
) -> dict[str, ModelScore]:
    """Score each labelled GGUF in ``models`` on the held-out rows of ``dataset``."""
    requests = held_out_requests(dataset, limit=limit)
    return {
        label: score_model(
            label,
            path,
            requests,
            generator=generator,
            generator_options=generator_options,
            progress=progress,
        )
        for label, path in models.items()
    }


def write_html(comparison: Mapping[str, ModelScore], path: Path) -> Path:
    """Write the comparison as an HTML page with a bar chart (matplotlib, embedded PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(comparison)
    metrics = ("schema_valid_rate", "grounded_rate", "accepted_rate")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    width = 0.8 / max(1, len(labels))
    for i, label in enumerate(labels):
        values = [getattr(comparison[label], m) * 100 for m in metrics]
        ax.bar([x + i * width for x in range(len(metrics))], values, width, label=label)
    ax.set_xticks([x + width * (len(labels) - 1) / 2 for x in range(len(metrics))])
    ax.set_xticklabels(["JSON válido", "fundamentada", "aceptada"])
    ax.set_ylabel("% de contextos")
    ax.set_ylim(0, 100)
    ax.legend()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    rows = "".join(
        f"<tr><td>{html.escape(s.label)}</td><td>{html.escape(str(s.model_path))}</td>"
        f"<td>{s.total}</td><td>{s.schema_valid_rate:.0%}</td><td>{s.grounded_rate:.0%}</td>"
        f"<td>{s.accepted_rate:.0%}</td></tr>"
        for s in comparison.values()
    )
    image = base64.b64encode(buffer.getvalue()).decode("ascii")
    page = (
        "<!doctype html><meta charset='utf-8'><title>medcards: ajuste fino</title>"
        "<h1>Antes y después del ajuste fino</h1><table border='1' cellpadding='4'>"
        "<tr><th>modelo</th><th>GGUF</th><th>contextos</th><th>JSON válido</th>"
        f"<th>fundamentada</th><th>aceptada</th></tr>{rows}</table>"
        f"<p><img alt='tasas' src='data:image/png;base64,{image}'></p>"
    )
    medcards.atomic_write_text(path, page)
    return path


@dataclass
class GeneratorScore:
    """One card generator on held-out requests: the first reply's quality, cards, speed.

    The first reply of each request is judged on its own (no retry): **schema-valid** (it parses
    as the requested card model), **grounded** (valid, sane and grounded in its context,
    :func:`medcards.check_card`), **key-correct** (grounded and, for an MCQ, passing
    :func:`medcards.check_answer_key`; other kinds have no key). ``cards`` counts the requests
    for which the generator returned a card within its attempts.

    Attributes:
        label: Name shown in reports.
        requests: Requests asked.
        schema_valid: First replies that were schema-valid.
        grounded: First replies that were schema-valid and grounded.
        key_correct: First replies that were schema-valid, grounded and key-correct.
        mcq: MCQ requests among ``requests``.
        mcq_key_correct: MCQ first replies that passed the answer-key checks (valid ones only).
        cards: Requests that got a card (after the generator's retries).
        completion_tokens: Tokens generated over every call (LLM generators).
        generation_seconds: Seconds the backend spent generating.
        wall_seconds: Seconds of the whole run.
        reasons: First-reply rejection reasons, as ``topic: reason``.
    """

    label: str
    requests: int = 0
    schema_valid: int = 0
    grounded: int = 0
    key_correct: int = 0
    mcq: int = 0
    mcq_key_correct: int = 0
    cards: int = 0
    completion_tokens: int = 0
    generation_seconds: float = 0.0
    wall_seconds: float = 0.0
    reasons: list[str] = field(default_factory=list)

    def rate(self, count: int) -> float:
        """``count`` over the requests (0-1)."""
        return count / self.requests if self.requests else 0.0

    @property
    def tokens_per_second(self) -> float | None:
        """Generated tokens per second of generation (None without a backend)."""
        if not self.completion_tokens or not self.generation_seconds:
            return None
        return self.completion_tokens / self.generation_seconds

    @property
    def seconds_per_card(self) -> float | None:
        """Wall seconds per card returned (None when no card came back)."""
        return self.wall_seconds / self.cards if self.cards else None


def judge_card(card: medcards.Card, request: medcards.CardRequest) -> tuple[bool, bool, list[str]]:
    """``(grounded, key_correct, reasons)`` of a schema-valid card for ``request``."""
    reasons = medcards.sanity_problems(card)
    reasons += medcards.check_card(card, request.context).reasons()
    grounded = not reasons
    key_reasons = (
        medcards.check_answer_key(card).reasons() if isinstance(card, medcards.MCQDrill) else []
    )
    return grounded, grounded and not key_reasons, reasons + key_reasons


def score_generator(
    label: str,
    generator: medcards.CardGenerator,
    requests: Sequence[medcards.CardRequest],
    *,
    recorder: _RecordingBackend | None = None,
    progress: bool = True,
) -> GeneratorScore:
    """Ask ``generator`` for every request and score it (see :class:`GeneratorScore`).

    Args:
        label: Name in reports.
        generator: The card generator (``llm`` on a backend wrapped by :func:`recording_backend`,
            or one without a backend such as ``extractive``).
        requests: Held-out requests.
        recorder: The recording backend the generator uses, if any: its first completion per
            request is the first reply judged. Without one, the returned card is judged.
        progress: Show a progress bar.
    """
    import time

    from rich.progress import Progress

    score = GeneratorScore(label=label)
    started = time.perf_counter()
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task(f"generando ({label})", total=len(requests))
        for request in requests:
            score.requests += 1
            score.mcq += request.kind == medcards.CardKind.MCQ
            if recorder is not None:
                recorder.completions.clear()
            card: medcards.Card | None = None
            try:
                card = generator.generate(request)
                score.cards += 1
            except medcards.CardRejected as exc:
                if recorder is None:
                    score.reasons.extend(f"{request.topic}: {r}" for r in exc.reasons)
            first: medcards.Card | None = card
            if recorder is not None:
                score.completion_tokens += sum(
                    c.completion_tokens or 0 for c in recorder.completions
                )
                score.generation_seconds += sum(c.seconds or 0.0 for c in recorder.completions)
                first = None
                if recorder.completions:
                    try:
                        first = medcards.card_from_reply(recorder.completions[0].text, request)
                    except ValueError as exc:
                        score.reasons.append(f"{request.topic}: not a card: {str(exc)[:120]}")
            if first is not None:
                score.schema_valid += 1
                grounded, key_correct, reasons = judge_card(first, request)
                score.grounded += grounded
                score.key_correct += key_correct
                if isinstance(first, medcards.MCQDrill):
                    score.mcq_key_correct += not medcards.check_answer_key(first).reasons()
                score.reasons.extend(f"{request.topic}: {r}" for r in reasons)
            bar.advance(task)
    score.wall_seconds = time.perf_counter() - started
    return score


def recording_backend(inner: medcards.Backend) -> _RecordingBackend:
    """``inner`` wrapped so that every completion is kept (for :func:`score_generator`)."""
    return _recording(inner)


def compare_card_models(
    requests: Sequence[medcards.CardRequest],
    models: Mapping[str, Path],
    *,
    extractive: bool = True,
    generator_options: Mapping[str, Any] | None = None,
    backend_options: Mapping[str, Any] | None = None,
    progress: bool = True,
    cards_out: Path | None = None,
) -> dict[str, GeneratorScore]:
    """Score each labelled GGUF (``llm`` generator on ``llamacpp``), and ``extractive``.

    Args:
        requests: The held-out requests.
        models: ``{label: GGUF path}``, scored in this order.
        extractive: Also score the offline ``extractive`` generator, last.
        generator_options: Options of the ``llm`` generator (``max_attempts``, ``temperature``...).
        backend_options: Options of the ``llamacpp`` backend (``n_ctx``, ``n_threads``...).
        progress: Show progress bars.
        cards_out: Write every returned card here (JSON Lines: label, topic, kind, card).
    """
    import json

    cards: list[dict[str, Any]] = []

    def collecting(label: str, generator: medcards.CardGenerator) -> medcards.CardGenerator:
        inner_generate = generator.generate

        def generate(request: medcards.CardRequest) -> medcards.Card:
            card = inner_generate(request)
            cards.append(
                {
                    "label": label,
                    "topic": request.topic,
                    "kind": str(request.kind),
                    "card": card.model_dump(mode="json"),
                }
            )
            return card

        generator.generate = generate  # type: ignore[method-assign]
        return generator

    scores: dict[str, GeneratorScore] = {}
    for label, path in models.items():
        backend = medcards.get_backend(
            "llamacpp", model_path=path, **dict(backend_options or {"n_ctx": 4096})
        )
        recorder = recording_backend(backend)
        generator = medcards.get_card_generator(
            "llm", backend=recorder, **dict(generator_options or {})
        )
        try:
            scores[label] = score_generator(
                label, collecting(label, generator), requests, recorder=recorder, progress=progress
            )
        finally:
            backend.close()
    if extractive:
        generator = collecting("extractive", medcards.get_card_generator("extractive"))
        scores["extractive"] = score_generator("extractive", generator, requests, progress=progress)
    if cards_out is not None:
        medcards.atomic_write_text(
            cards_out, "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cards)
        )
    return scores


def scores_table(scores: Mapping[str, GeneratorScore], *, title: str) -> Any:
    """A rich table of :class:`GeneratorScore` rows, side by side."""
    from rich.table import Table

    table = Table(title=title)
    columns = (
        "generator",
        "requests",
        "schema-valid",
        "grounded",
        "valid+grounded+key",
        "MCQ key pass",
        "cards/request",
        "tokens/s",
        "s/card",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "generator" else "right")
    for score in scores.values():
        tps, spc = score.tokens_per_second, score.seconds_per_card
        table.add_row(
            score.label,
            str(score.requests),
            f"{score.rate(score.schema_valid):.0%}",
            f"{score.rate(score.grounded):.0%}",
            f"{score.rate(score.key_correct):.0%}",
            f"{score.mcq_key_correct}/{score.mcq}",
            f"{score.rate(score.cards):.2f}",
            "-" if tps is None else f"{tps:.1f}",
            "-" if spc is None else f"{spc:.2f}",
        )
    return table

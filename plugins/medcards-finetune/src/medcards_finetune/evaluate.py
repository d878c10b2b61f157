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

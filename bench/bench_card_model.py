"""Card-model bench: base SmolLM2, fine-tuned SmolLM2 and ``extractive`` on held-out guides.

(a) Dequantization: how often the fp32 model transformers dequantizes from the packaged
    SmolLM2-135M-Instruct GGUF (Q4_1) agrees with llama.cpp running that GGUF, in greedy tokens
    (the fine-tune starts from the dequantized weights). ``--agreement-base gemma3-270m`` measures
    the packaged Gemma 3 270M instead (Q4_K_M; a pretrained base without a chat template, so the
    prompts are read as plain text).
(b) Cards on the gold set's held-out guides (``medcards.gold_set_path("held_out")``: guides no
    training card came from): one request per held-out gold card (its topic, context and kind),
    answered by
      - the base model (GGUF, ``llm`` generator on the ``llamacpp`` backend),
      - the fine-tuned model (the GGUF ``examples/finetune_demo.py`` exports),
      - the offline ``extractive`` generator,
    side by side, with the base model as the named baseline. Per generator: schema-valid %,
    grounded %, valid+grounded+key-correct % (of the first reply; MCQs also pass
    ``medcards.check_answer_key``), MCQ key passes, cards returned per request (after retries),
    tokens/s and seconds per card.

Usage::

    python bench/bench_card_model.py [--tuned out/finetune-demo/smollm2-medcards.q4_k_m.gguf]
        [--base out/finetune-demo/base.q4_k_m.gguf] [--limit N] [--stride K] [--max-attempts 2]
        [--threads 2] [--parts a,b] [--agreement-base gemma3-270m] [--free-quotes]

Without ``--base`` the demo's q4_k_m export of the base is used when it exists, else the
packaged Q4_1 GGUF. Without a fine-tuned GGUF its row is left out and the bench says so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from medcards_finetune.base_models import (
    base_model_gguf,
    dequantize_gguf,
    dequantized_dir,
    smollm2_gguf,
)
from medcards_finetune.evaluate import compare_card_models, held_out_requests, scores_table
from medcards_finetune.roundtrip import DEFAULT_PROMPTS, check_roundtrip
from rich.console import Console

import medcards

ROOT = Path(__file__).parents[1]
DEMO = ROOT / "out" / "finetune-demo"
console = Console(soft_wrap=True, width=150)


def part_a(requests: list[medcards.CardRequest], tokens: int, base: str) -> None:
    """Dequantized fp32 model vs llama.cpp on the source GGUF, greedy tokens."""
    source = base_model_gguf(base)
    model_dir = dequantize_gguf(source, dequantized_dir(source))
    # The default check prompts and the generator's own prompts of four held-out requests.
    prompts = list(DEFAULT_PROMPTS) + [
        medcards.build_messages(r)[-1].content for r in requests[:: max(1, len(requests) // 4)][:4]
    ]
    report = check_roundtrip(model_dir, source, prompts, max_new_tokens=tokens)
    console.print(
        f"(a) dequantized fp32 (transformers) vs {source.name} (llama.cpp), {len(prompts)} "
        f"prompts x {tokens} greedy tokens: tokenizer match "
        f"{sum(r.tokenizer_match for r in report.results)}/{len(prompts)}; agreement "
        f"{report.agreement:.1%} of tokens before the first divergence, "
        f"{report.position_agreement:.1%} of positions; first token equal on "
        f"{sum(r.common_prefix > 0 for r in report.results)}/{len(prompts)} prompts",
        highlight=False,
    )


def part_b(args: argparse.Namespace, requests: list[medcards.CardRequest]) -> None:
    """Base vs fine-tuned vs extractive on the held-out requests."""
    base = args.base
    if base is None:
        demo_base = DEMO / "base.q4_k_m.gguf"
        base = demo_base if demo_base.is_file() else smollm2_gguf()
    models = {f"base ({base.name})": base}
    if args.tuned.is_file():
        models[f"fine-tuned ({args.tuned.name})"] = args.tuned
    else:
        console.print(
            f"fine-tuned model {args.tuned} not found: run `make finetune-demo` first; its row "
            "is left out",
            highlight=False,
        )
    scores = compare_card_models(
        requests,
        models,
        generator_options={
            "max_attempts": args.max_attempts,
            "temperature": 0.1,
            "max_tokens": args.max_tokens,
            "quote_choices": not args.free_quotes,
        },
        backend_options={"n_ctx": 4096, "n_threads": args.threads},
        cards_out=args.cards_out,
    )
    guides = medcards.load_gold_split().held_out
    console.print(
        scores_table(
            scores,
            title=f"(b) {len(requests)} held-out requests over {len(guides)} guides "
            f"({', '.join(guides)}), llm: max_attempts={args.max_attempts}, temperature 0.1, "
            + ("free quotes" if args.free_quotes else "quotes chosen from the context"),
        )
    )
    baseline = next(iter(scores.values()))
    for label, score in scores.items():
        if score is baseline:
            continue
        line = (
            f"{label} vs {baseline.label}: valid+grounded+key "
            f"{score.rate(score.key_correct):.0%} vs {baseline.rate(baseline.key_correct):.0%} "
            f"({(score.rate(score.key_correct) - baseline.rate(baseline.key_correct)) * 100:+.0f}"
            f" points); cards/request {score.rate(score.cards):.2f} vs "
            f"{baseline.rate(baseline.cards):.2f}"
        )
        if score.seconds_per_card and baseline.seconds_per_card:
            line += f"; s/card x{score.seconds_per_card / baseline.seconds_per_card:.2f}"
        console.print(line, highlight=False)
    for label, score in scores.items():
        common: dict[str, int] = {}
        for reason in score.reasons:
            key = reason.split(": ", 1)[-1][:90]
            common[key] = common.get(key, 0) + 1
        top = sorted(common.items(), key=lambda kv: -kv[1])[:3]
        if top:
            console.print(
                f"  {label}, commonest first-reply problems: "
                + "; ".join(f"{n}x {text}" for text, n in top),
                highlight=False,
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--tuned", type=Path, default=DEMO / "smollm2-medcards.q4_k_m.gguf", help="Fine-tuned GGUF."
    )
    parser.add_argument("--base", type=Path, default=None, help="Base GGUF.")
    parser.add_argument("--limit", type=int, default=None, help="At most this many requests.")
    parser.add_argument(
        "--stride", type=int, default=1, help="Ask every STRIDE-th held-out request."
    )
    parser.add_argument("--max-attempts", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--agreement-tokens", type=int, default=32)
    parser.add_argument(
        "--agreement-base",
        default="smollm2-135m-instruct",
        choices=["smollm2-135m-instruct", "gemma3-270m"],
        help="Packaged base model of part (a).",
    )
    parser.add_argument("--cards-out", type=Path, default=None, help="Write the cards (JSONL).")
    parser.add_argument("--parts", default="a,b")
    parser.add_argument(
        "--free-quotes",
        action="store_true",
        help="Let the model write any evidence quote (the schema's quote choices off).",
    )
    args = parser.parse_args()
    requests = held_out_requests(medcards.gold_set_path("held_out"))[:: args.stride]
    requests = requests[: args.limit] if args.limit else requests
    parts = args.parts.split(",")
    if "a" in parts:
        part_a(requests, args.agreement_tokens, args.agreement_base)
    if "b" in parts:
        part_b(args, requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())

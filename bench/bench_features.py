"""MiniLLM feature throughput: batched inference vs the seed's one-forward-per-message loop.

Same model, same messages, same thread count, measured side by side in this run:

1. the seed's ``MiniLLMEmbedder.get_embeddings`` loop (one forward per message, no_grad);
2. emkit-minillm's batched inference (length-sorted, padded, masked, inference_mode);
3. emkit-transformers on a GPT-2 of the same size (eager attention, same messages);
4. achieved GFLOP/s of (2) against this machine's matmul throughput at the model's shapes;
5. peak memory and time of the full ``minillm`` extractor on a 50 x 365 synthetic cohort
   (in a child process, so the peak is its own).

Usage: ``python bench/bench_features.py [--preset small] [--messages 3000] [--quick]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import torch
from emkit_minillm.checkpoint import load_checkpoint, save_checkpoint
from emkit_minillm.inference import encode_messages, message_features
from emkit_minillm.model import PRESETS, TinyGPT
from emkit_minillm.tokenizer import train_tokenizer

from emkit import read_cohort
from emkit.synth import synthesize_cohort


def seed_loop(model, tokenizer, texts):
    """The seed's get_embeddings, one message at a time (features the batched path also gives)."""
    out = []
    for text in texts:
        ids = tokenizer.encode(text).ids
        if not ids:
            out.append(None)
            continue
        ids = ids[: model.block_size]
        x = torch.tensor([ids], dtype=torch.long)
        with torch.no_grad():
            hidden = model.drop(model.token_emb(x))
            cos, sin = model.rotary_emb(x.size(1), device=x.device)
            for block in model.blocks:
                hidden = block(hidden, rope_cos_sin=(cos, sin))
            hidden = model.ln_f(hidden)
            logits = model.head(hidden)
            loss = torch.nn.functional.cross_entropy(
                logits[:, :-1].reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1)
            )
        h = hidden[0].numpy()
        out.append((h.mean(axis=0), h[-1], float(torch.exp(loss)), len(ids)))
    return out


def forward_flops(config, lengths):
    """Useful FLOPs of the forward passes (2 per multiply-add) over real tokens only."""
    d, n_layers, vocab = config.n_embd, config.n_layer, config.vocab_size
    per_token_dense = 2 * (12 * d * d * n_layers + d * vocab)
    total = 0.0
    for t in lengths:
        # causal attention: query i looks at i+1 keys, for QK^T and for A·V
        attention = 2 * 2 * d * n_layers * (t * (t + 1) / 2)
        total += per_token_dense * t + attention
    return total


def matmul_throughput(config, rows, repeats=5):
    """GFLOP/s of torch matmuls at the model's shapes (rows x d @ d x k), FLOP-weighted."""
    d, vocab = config.n_embd, config.vocab_size
    shapes = [(d, 3 * d), (d, d), (d, 4 * d), (4 * d, d), (d, vocab)]
    weights = [config.n_layer] * 4 + [1]
    flops = seconds = 0.0
    for (k, n), w in zip(shapes, weights, strict=True):
        a, b = torch.randn(rows, k), torch.randn(k, n)
        a @ b  # warm-up
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        elapsed = (time.perf_counter() - start) / repeats
        flops += w * 2 * rows * k * n
        seconds += w * elapsed
    return flops / seconds / 1e9


def build_hf_twin(config, tokenizer, folder: Path):
    """A GPT-2 with the same sizes and tokenizer, saved for emkit-transformers."""
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    hf_config = GPT2Config(
        vocab_size=config.vocab_size,
        n_embd=config.n_embd,
        n_layer=config.n_layer,
        n_head=config.n_head,
        n_positions=config.block_size,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=0,
    )
    torch.manual_seed(0)
    GPT2LMHeadModel(hf_config).save_pretrained(folder)
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", bos_token="<bos>", eos_token="<eos>"
    ).save_pretrained(folder)


# ru_maxrss survives fork+exec on Linux (the child would report the parent's peak), so the
# child reads its own high-water mark, VmHWM, which exec resets.
PEAK_CHILD = """
import json, sys, time, torch
from emkit import read_cohort
from emkit_minillm import MiniLLMExtractor

def hwm_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

days = [d for p in read_cohort(sys.argv[1]) for d in p.days()]
n_messages = sum(d.n_messages for d in days)
extractor = MiniLLMExtractor(checkpoint=sys.argv[2])
extractor.loaded
before = hwm_kib()
start = time.perf_counter()
frame = extractor.transform(days)
elapsed = time.perf_counter() - start
print(json.dumps({"days": len(days), "messages": n_messages, "seconds": elapsed,
                  "rows": len(frame), "columns": frame.shape[1], "rss_before_kib": before,
                  "peak_rss_kib": hwm_kib()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="small", choices=sorted(PRESETS))
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--seed-messages", type=int, default=600, help="messages for the loop")
    parser.add_argument("--quick", action="store_true", help="small cohort for the memory run")
    args = parser.parse_args()
    threads = torch.get_num_threads()
    work = Path(tempfile.mkdtemp(prefix="bench-features-"))
    cohort = synthesize_cohort(work / "cohort", patients=12, days=120, seed=3)
    texts = [m.text for p in read_cohort(cohort) for d in p.days() for m in d.messages]
    texts = (texts * (args.messages // max(len(texts), 1) + 1))[: args.messages]
    base = PRESETS[args.preset]
    tokenizer = train_tokenizer(texts, base.vocab_size)
    config = dataclasses.replace(base, vocab_size=max(base.vocab_size, tokenizer.get_vocab_size()))
    torch.manual_seed(0)
    save_checkpoint(TinyGPT(config), tokenizer, work / "ckpt")
    loaded = load_checkpoint(work / "ckpt")
    model = loaded.model
    print(
        f"model preset {args.preset}: n_embd {config.n_embd}, n_layer {config.n_layer}, "
        f"n_head {config.n_head}, vocab {config.vocab_size}, block {config.block_size}; "
        f"torch threads {threads}; {len(texts)} messages"
    )

    ids = encode_messages(texts, loaded.tokenizer, model.block_size)
    lengths = [len(i) for i in ids]
    print(f"tokens per message: mean {np.mean(lengths):.1f}, max {max(lengths)}")

    # the reference throughput, measured before and after the runs (the larger is kept, so a
    # busy machine cannot flatter the achieved fraction)
    peak_before = matmul_throughput(config, rows=4096)
    sample = texts[: args.seed_messages]
    seed_loop(model, loaded.tokenizer, sample[:20])  # warm-up
    start = time.perf_counter()
    reference = seed_loop(model, loaded.tokenizer, sample)
    seed_s = time.perf_counter() - start
    seed_rate = len(sample) / seed_s

    message_features(model, ids[:64])  # warm-up
    start = time.perf_counter()
    batched = message_features(model, ids)
    batched_s = time.perf_counter() - start
    batched_rate = len(texts) / batched_s
    worst = max(
        float(np.abs(batched.emb_mean[i] - ref[0]).max())
        for i, ref in enumerate(reference)
        if ref is not None
    )

    from emkit_transformers import TransformersExtractor

    build_hf_twin(config, loaded.tokenizer, work / "hf")
    hf = TransformersExtractor(model=work / "hf")
    hf.message_features(texts[:64])  # warm-up (and load)
    start = time.perf_counter()
    hf.message_features(texts)
    hf_s = time.perf_counter() - start
    hf_rate = len(texts) / hf_s

    # the same two paths on one thread: a contention-robust comparison on a shared machine
    torch.set_num_threads(1)
    start = time.perf_counter()
    seed_loop(model, loaded.tokenizer, sample)
    seed_1t_rate = len(sample) / (time.perf_counter() - start)
    start = time.perf_counter()
    message_features(model, ids)
    batched_1t_rate = len(texts) / (time.perf_counter() - start)
    torch.set_num_threads(threads)

    flops = forward_flops(config, lengths)
    achieved = flops / batched_s / 1e9
    peak = max(peak_before, matmul_throughput(config, rows=4096))
    print()
    print(f"{'path':<44}{'messages/s':>12}{'ratio':>10}")
    print(f"{'seed loop (one forward per message)':<44}{seed_rate:>12.1f}{1.0:>10.2f}")
    print(f"{'emkit-minillm batched':<44}{batched_rate:>12.1f}{batched_rate / seed_rate:>10.2f}")
    print(
        f"{'emkit-transformers (GPT-2, same size)':<44}{hf_rate:>12.1f}{hf_rate / seed_rate:>10.2f}"
    )
    print(f"{'seed loop, 1 thread':<44}{seed_1t_rate:>12.1f}{seed_1t_rate / seed_rate:>10.2f}")
    print(
        f"{'emkit-minillm batched, 1 thread':<44}{batched_1t_rate:>12.1f}"
        f"{batched_1t_rate / seed_rate:>10.2f}"
    )
    print(f"batched vs seed loop, both on 1 thread: {batched_1t_rate / seed_1t_rate:.2f}x")
    print(f"batched vs emkit-transformers: {batched_rate / hf_rate:.2f}x")
    print(f"max |emb_mean batched - seed loop|: {worst:.2e}")
    print(
        f"achieved {achieved:.1f} GFLOP/s (useful forward FLOPs) vs measured matmul "
        f"{peak:.1f} GFLOP/s at the model's shapes: {100 * achieved / peak:.0f}%"
    )

    n_patients, n_days = (10, 60) if args.quick else (50, 365)
    big = synthesize_cohort(work / "big", patients=n_patients, days=n_days, seed=4)
    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PEAK_CHILD), str(big), str(work / "ckpt")],
        capture_output=True,
        text=True,
        check=True,
    )
    stats = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"{n_patients} patients x {n_days} days: {stats['messages']} messages, "
        f"{stats['rows']} rows x {stats['columns']} columns in {stats['seconds']:.1f} s "
        f"({stats['messages'] / stats['seconds']:.0f} messages/s); peak RSS "
        f"{stats['peak_rss_kib'] / 1024:.0f} MiB (before the transform, with the cohort and the "
        f"model loaded: {stats['rss_before_kib'] / 1024:.0f} MiB)"
    )
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(this process: peak RSS {own_peak:.0f} MiB)")


if __name__ == "__main__":
    main()

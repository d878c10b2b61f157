"""Causal-LM training and fine-tuning of TinyGPT on a corpus of messages (CPU-friendly).

The corpus is split by message into training and validation parts; messages are tokenised
(``<bos>`` … ``<eos>``) and concatenated into one stream, from which random windows of
``block_size + 1`` tokens are drawn. The validation perplexity is ``exp`` of the mean
next-token loss over consecutive validation windows.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emkit_minillm.errors import MiniLLMError

__all__ = ["TrainResult", "read_corpus", "train_model"]


@dataclass
class TrainResult:
    """Outcome of a training run."""

    out_dir: Path
    steps: int
    train_loss: float
    val_loss: float
    val_perplexity: float
    n_messages: int
    n_tokens: int


def read_corpus(path: Path, until: dt.date | None = None) -> list[str]:
    """Messages of a corpus.

    The corpus is a text file (one message per line), an emkit cohort folder, or a folder of
    ``*.txt`` files (one message per line each).

    Args:
        path: The corpus.
        until: Keep only messages of days up to this date (inclusive), so that a model whose
            features feed an evaluation is fitted on training-window text only. It needs dated
            messages: a cohort folder, or ``.txt`` files named ``YYYY-MM-DD.txt``.

    Raises:
        MiniLLMError: missing or unreadable corpus, or ``until`` on undated text.
    """
    path = Path(path)
    if path.is_file():
        if until is not None:
            raise MiniLLMError(
                f"{path}: --until needs dated messages (a cohort folder or files named "
                "YYYY-MM-DD.txt); a single text file has no dates"
            )
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as exc:
            raise MiniLLMError(f"{path}: not UTF-8 text ({exc})") from None
        return [line for line in lines if line.strip()]
    if not path.is_dir():
        raise MiniLLMError(f"{path}: corpus not found")
    if any(p.is_dir() and (p / "messages").is_dir() for p in path.iterdir()):
        from emkit import read_cohort

        return [
            m.text
            for patient in read_cohort(path)
            for day in patient.days(end=until)
            for m in day.messages
        ]
    texts: list[str] = []
    for file in sorted(path.rglob("*.txt")):
        if until is not None:
            try:
                day = dt.date.fromisoformat(file.stem)
            except ValueError:
                raise MiniLLMError(
                    f"{file}: --until needs dated files (YYYY-MM-DD.txt) or a cohort folder"
                ) from None
            if day > until:
                continue
        texts.extend(line for line in file.read_text(encoding="utf-8").splitlines() if line.strip())
    if not texts:
        until_note = f" up to {until.isoformat()}" if until else ""
        raise MiniLLMError(
            f"{path}: no messages found{until_note} (expected .txt files or a cohort)"
        )
    return texts


def train_model(
    texts: Sequence[str],
    out_dir: Path,
    *,
    preset: str = "tiny",
    init: Path | None = None,
    steps: int = 300,
    batch_size: int = 16,
    learning_rate: float = 3e-3,
    vocab_size: int | None = None,
    block_size: int | None = None,
    val_fraction: float = 0.1,
    seed: int = 0,
    threads: int | None = None,
    progress: bool = True,
    until: dt.date | None = None,
) -> TrainResult:
    """Train a TinyGPT (or fine-tune the checkpoint ``init``) and save it to ``out_dir``.

    Args:
        texts: Messages, one string each.
        out_dir: Checkpoint folder to write (safetensors + JSON + tokenizer).
        preset: Size preset (see :data:`emkit_minillm.model.PRESETS`), ignored with ``init``.
        init: Existing checkpoint to fine-tune; its tokenizer and sizes are kept.
        steps: Optimiser steps.
        batch_size: Windows per step.
        learning_rate: Peak AdamW learning rate (linear warm-up, cosine decay).
        vocab_size: BPE vocabulary size (default: the preset's).
        block_size: Context length in tokens (default: the preset's).
        val_fraction: Fraction of messages held out for the validation perplexity.
        seed: Random seed (split, initialisation, sampling).
        threads: torch CPU threads (default: torch's).
        progress: Show a rich progress bar.
        until: The last corpus day the texts come from (see :func:`read_corpus`); recorded in
            the checkpoint's ``training`` metadata.
    """
    import dataclasses

    import torch

    from emkit_minillm.checkpoint import load_checkpoint, save_checkpoint
    from emkit_minillm.model import PRESETS, TinyGPT
    from emkit_minillm.tokenizer import EOS, train_tokenizer

    if preset not in PRESETS:
        raise MiniLLMError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    texts = [t for t in texts if t.strip()]
    if len(texts) < 10:
        raise MiniLLMError(f"the corpus has {len(texts)} messages; at least 10 are needed")
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    order = list(range(len(texts)))
    rng.shuffle(order)
    n_val = max(1, int(len(texts) * val_fraction))
    val_texts = [texts[i] for i in order[:n_val]]
    train_texts = [texts[i] for i in order[n_val:]]

    if init is not None:
        loaded = load_checkpoint(init)
        model, tokenizer = loaded.model, loaded.tokenizer
    else:
        config = PRESETS[preset]
        if vocab_size:
            config = dataclasses.replace(config, vocab_size=vocab_size)
        if block_size:
            config = dataclasses.replace(config, block_size=block_size)
        tokenizer = train_tokenizer(train_texts, config.vocab_size)
        config = dataclasses.replace(
            config, vocab_size=tokenizer.get_vocab_size(with_added_tokens=True)
        )
        model = TinyGPT(config)
    eos = tokenizer.token_to_id(EOS)
    block = model.block_size

    def stream(part: Sequence[str]) -> torch.Tensor:
        ids: list[int] = []
        for encoding in tokenizer.encode_batch(list(part)):
            ids.extend(encoding.ids)
            ids.append(eos)
        return torch.tensor(ids, dtype=torch.long)

    train_ids, val_ids = stream(train_texts), stream(val_texts)
    if len(train_ids) <= block + 1:
        block = max(8, len(train_ids) // 2 - 1)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    warmup = max(1, steps // 20)

    def lr_at(step: int) -> float:
        if step < warmup:
            return learning_rate * (step + 1) / warmup
        progress_ = (step - warmup) / max(1, steps - warmup)
        return learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress_)))

    generator = torch.Generator().manual_seed(seed)
    loss_value = float("nan")
    ema: float | None = None
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("[bold]training MiniLLM"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TextColumn("loss {task.fields[loss]:.3f}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=not progress, transient=False) as bar:
        task = bar.add_task("train", total=steps, loss=float("nan"))
        for step in range(steps):
            starts = torch.randint(
                0, len(train_ids) - block - 1, (batch_size,), generator=generator
            )
            x = torch.stack([train_ids[s : s + block] for s in starts.tolist()])
            y = torch.stack([train_ids[s + 1 : s + block + 1] for s in starts.tolist()])
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step)
            _, loss = model(x, y)
            assert loss is not None
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            loss_value = float(loss.item())
            ema = loss_value if ema is None else 0.9 * ema + 0.1 * loss_value
            bar.update(task, advance=1, loss=ema)
    val_loss = evaluate_loss(model, val_ids, block)
    model.eval()
    metadata: dict[str, Any] = {
        "training": {
            "steps": steps,
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            "seed": seed,
            "train_messages": len(train_texts),
            "val_messages": len(val_texts),
            "train_tokens": len(train_ids),
            "val_loss": val_loss,
            "val_perplexity": math.exp(val_loss),
            "init": str(init) if init else None,
            "until": until.isoformat() if until else None,
        }
    }
    save_checkpoint(model, tokenizer, Path(out_dir), metadata)
    return TrainResult(
        Path(out_dir),
        steps,
        ema if ema is not None else loss_value,
        val_loss,
        math.exp(val_loss),
        len(texts),
        len(train_ids) + len(val_ids),
    )


def evaluate_loss(model: Any, ids: Any, block: int) -> float:
    """Mean next-token loss (nats) of ``model`` over consecutive windows of the id stream."""
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        for start in range(0, max(1, len(ids) - 1), block):
            chunk = ids[start : start + block + 1]
            if len(chunk) < 2:
                break
            _, loss = model(chunk[:-1][None], chunk[1:][None])
            total += float(loss) * (len(chunk) - 1)
            count += len(chunk) - 1
    model.train()
    if count == 0:
        raise MiniLLMError("the validation split has no tokens; use a larger corpus")
    return total / count

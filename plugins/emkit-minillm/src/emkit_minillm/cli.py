"""``emkit minillm``: train or fine-tune a MiniLLM on a corpus."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def minillm_app() -> typer.Typer:
    """The ``minillm`` command group."""
    app = typer.Typer(help="Train MiniLLM language models.", no_args_is_help=True)

    @app.command("train")
    def train(
        corpus: Annotated[
            Path,
            typer.Argument(
                help="Text file (one message per line), cohort folder or folder of .txt files."
            ),
        ],
        out: Annotated[Path, typer.Option("--out", help="Checkpoint folder to write.")],
        preset: Annotated[str, typer.Option(help="Model size: micro, tiny, small or seed.")] = (
            "tiny"
        ),
        init: Annotated[Path | None, typer.Option(help="Checkpoint to fine-tune instead.")] = None,
        steps: Annotated[int, typer.Option(min=1, help="Optimiser steps.")] = 300,
        batch_size: Annotated[int, typer.Option(min=1, help="Windows per step.")] = 16,
        learning_rate: Annotated[float, typer.Option(help="Peak learning rate.")] = 3e-3,
        vocab_size: Annotated[int | None, typer.Option(help="BPE vocabulary size.")] = None,
        block_size: Annotated[int | None, typer.Option(help="Context length in tokens.")] = None,
        val_fraction: Annotated[
            float, typer.Option(min=0.01, max=0.5, help="Held-out messages.")
        ] = 0.1,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
        threads: Annotated[int | None, typer.Option(min=1, help="CPU threads.")] = None,
        until: Annotated[
            str | None,
            typer.Option(
                help="Train only on messages of days up to this date (YYYY-MM-DD, inclusive): "
                "the end of the training window when the model's features feed an evaluation."
            ),
        ] = None,
    ) -> None:
        """Train a tokenizer and a TinyGPT on CORPUS (or fine-tune --init) into --out."""
        from rich.console import Console

        from emkit_minillm.training import read_corpus, train_model

        last_day = _parse_date(until)
        texts = read_corpus(corpus, until=last_day)
        result = train_model(
            texts,
            out,
            preset=preset,
            init=init,
            steps=steps,
            batch_size=batch_size,
            learning_rate=learning_rate,
            vocab_size=vocab_size,
            block_size=block_size,
            val_fraction=val_fraction,
            seed=seed,
            threads=threads,
            until=last_day,
        )
        Console().print(
            f"saved {result.out_dir} — {result.n_messages} messages, {result.n_tokens} tokens, "
            f"train loss {result.train_loss:.3f}, validation perplexity "
            f"{result.val_perplexity:.2f}"
        )

    @app.command("export")
    def export(
        checkpoint: Annotated[Path, typer.Argument(help="Checkpoint folder or .pt file.")],
        out: Annotated[Path, typer.Argument(help=".pt file to write, e.g. ckpt_best.pt.")],
    ) -> None:
        """Write CHECKPOINT as a .pt the user's MiniLLM code loads (TinyGPTv2 state dict)."""
        from rich.console import Console

        from emkit_minillm.checkpoint import load_checkpoint, save_seed_checkpoint

        loaded = load_checkpoint(checkpoint)
        save_seed_checkpoint(loaded.model, out)
        Console().print(f"saved {out} — TinyGPTv2({loaded.model.config.tinygptv2_kwargs()})")

    return app

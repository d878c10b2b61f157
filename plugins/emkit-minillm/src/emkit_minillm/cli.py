"""``emkit minillm``: train or fine-tune a MiniLLM on a corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


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
    ) -> None:
        """Train a tokenizer and a TinyGPT on CORPUS (or fine-tune --init) into --out."""
        from rich.console import Console

        from emkit_minillm.training import read_corpus, train_model

        texts = read_corpus(corpus)
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
        )
        Console().print(
            f"saved {result.out_dir} — {result.n_messages} messages, {result.n_tokens} tokens, "
            f"train loss {result.train_loss:.3f}, validation perplexity "
            f"{result.val_perplexity:.2f}"
        )

    return app

"""``medcards ingest GUIDE --modulo M``: split a guide into topics (JSON Lines).

The guide is read whole and split before anything is written, and the topics file is written
atomically: a guide that cannot be read (no text layer, encrypted, over the size limit) leaves
an existing topics file as it was.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from _sdk.cli import console
from medcards.ingest import DEFAULT_CONTEXT_TOKENS, DEFAULT_MAX_GUIDE_MB, save_topics, split_guide

#: Tokens kept free for the prompt template and the generated card when fitting a backend.
PROMPT_RESERVE = 1024


def register(app: typer.Typer) -> None:
    """Add ``ingest`` to ``app``."""

    @app.command("ingest")
    def ingest(
        guide: Annotated[
            Path,
            typer.Argument(
                help="Guide file: .md or .txt (NotebookLM notes too); .pdf, .html, .docx with "
                "the medcards-documents plugin."
            ),
        ],
        modulo: Annotated[str, typer.Option("--modulo", "-m", help="Study module of the topics.")],
        out: Annotated[
            Path | None,
            typer.Option(
                "--out", "-o", help="Topics file (JSON Lines); default GUIDE.topics.jsonl."
            ),
        ] = None,
        max_context_tokens: Annotated[
            int, typer.Option("--max-context-tokens", help="Context budget per topic (tokens).")
        ] = DEFAULT_CONTEXT_TOKENS,
        backend: Annotated[
            str | None,
            typer.Option("--backend", "-b", help="Fit topics to this backend's context size."),
        ] = None,
        backend_option: Annotated[
            list[str] | None,
            typer.Option("--backend-option", help="Backend option key=value (repeatable)."),
        ] = None,
        max_mb: Annotated[
            float, typer.Option("--max-mb", help="Refuse guide files larger than this (MB).")
        ] = DEFAULT_MAX_GUIDE_MB,
        as_json: Annotated[bool, typer.Option("--json", help="Print the topics as JSON.")] = False,
    ) -> None:
        """Split GUIDE into topics by headings and write them as JSON Lines."""
        if backend is not None:
            from medcards.cli.commands.generate import parse_backend_options
            from medcards.plugins import get_backend

            chosen = get_backend(backend, **parse_backend_options(backend_option or []))
            context_size = chosen.context_size()
            if context_size:
                # Leave room for the prompt template and the card itself.
                max_context_tokens = max(50, min(max_context_tokens, context_size - PROMPT_RESERVE))
        topics = split_guide(guide, modulo, max_context_tokens=max_context_tokens, max_mb=max_mb)
        target = out or guide.with_suffix(".topics.jsonl")
        save_topics(target, topics)
        if as_json:
            typer.echo(json.dumps([t.model_dump() for t in topics], ensure_ascii=False, indent=2))
            return
        table = Table(title=f"{len(topics)} topics from {guide.name} -> {target}")
        for column in ("#", "topic", "modulo", "where", "chars"):
            table.add_column(column)
        for topic in topics:
            pages = topic.pages
            if pages is None:
                where = f"l. {topic.line}"
            else:
                where = f"p. {pages[0]}" if pages[0] == pages[1] else f"pp. {pages[0]}-{pages[1]}"
            table.add_row(
                str(topic.position + 1), topic.title, topic.modulo, where, str(len(topic.context))
            )
        console.print(table)

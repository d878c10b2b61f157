"""``medcards topics add|import|list``: the topic calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from _sdk.cli import console
from medcards.study.cli_support import DEFAULT_DB, DbOption, open_engine
from medcards.study.errors import StudyError
from medcards.study.ladder import TopicLevel


def register(app: typer.Typer) -> None:
    """Add ``topics`` to ``app``."""
    topics = typer.Typer(
        help="Manage the topic calendar in the study database.", no_args_is_help=True
    )
    app.add_typer(topics, name="topics")

    @topics.command("add")
    def add(
        title: Annotated[str, typer.Argument(help="Topic title.")],
        context: Annotated[str, typer.Option(help="Source text cards are generated from.")] = "",
        context_file: Annotated[
            Path | None, typer.Option(help="Read the context from this file.")
        ] = None,
        modulo: Annotated[str, typer.Option(help="Module the topic belongs to.")] = "",
        priority: Annotated[int, typer.Option(help="Higher is studied first.")] = 0,
        date: Annotated[
            str | None, typer.Option(help="Day assigned, YYYY-MM-DD (default today).")
        ] = None,
        db: DbOption = DEFAULT_DB,
    ) -> None:
        """Add one topic."""
        if context_file is not None:
            try:
                context = context_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise StudyError(f"cannot read {context_file}: {exc.strerror}") from None
        try:
            day = dt.date.fromisoformat(date) if date else None
        except ValueError:
            raise StudyError(f"--date {date!r} is not YYYY-MM-DD") from None
        with open_engine(db) as engine:
            topic = engine.add_topic(
                title, context, modulo=modulo, priority=priority, date_assigned=day
            )
        console.print(f"added topic {topic.title!r} (id {topic.topic_id}) to {db}")

    @topics.command("import")
    def import_(
        csv_path: Annotated[
            Path,
            typer.Argument(
                help="CSV (title[,context,modulo,priority,date_assigned]) or the .jsonl "
                "written by `medcards ingest`."
            ),
        ],
        db: DbOption = DEFAULT_DB,
    ) -> None:
        """Add every topic of a CSV file or a `medcards ingest` JSONL file (all or nothing).

        Topics from a JSONL file keep where their text came from (the guide file, the page or
        line of each paragraph), so the cards generated for them say where each evidence quote
        is printed.
        """
        with open_engine(db) as engine:
            if csv_path.suffix.lower() in {".jsonl", ".ndjson"}:
                added = engine.import_topics_jsonl(csv_path)
            else:
                added = engine.import_topics_csv(csv_path)
        console.print(f"imported {len(added)} topic(s) from {csv_path} into {db}")

    @topics.command("list")
    def list_(db: DbOption = DEFAULT_DB) -> None:
        """List the topics in calendar order."""
        with open_engine(db, create=False) as engine:
            table = Table(title=str(db))
            for column in ("id", "título", "módulo", "prioridad", "fecha", "nivel"):
                table.add_column(column)
            for t in engine.topics():
                level = TopicLevel.NAMES[t.level] if t.introduced else "nuevo"
                table.add_row(
                    str(t.topic_id),
                    t.title,
                    t.modulo,
                    str(t.priority),
                    t.date_assigned.isoformat(),
                    level,
                )
        console.print(table)

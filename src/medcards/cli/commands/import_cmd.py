"""``medcards import --format json``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from _sdk.cli import console
from medcards.study.cli_support import DEFAULT_DB, DbOption, open_engine
from medcards.study.transfer import import_json


class ImportFormat(StrEnum):
    """Import formats."""

    JSON = "json"


def register(app: typer.Typer) -> None:
    """Add ``import`` to ``app``."""

    @app.command("import")
    def import_(
        source: Annotated[Path, typer.Argument(help="A JSON document from `medcards export`.")],
        format_: Annotated[
            ImportFormat, typer.Option("--format", help="json.")
        ] = ImportFormat.JSON,
        db: DbOption = DEFAULT_DB,
    ) -> None:
        """Import a JSON export into the study database (all or nothing)."""
        with open_engine(db) as engine:
            counts = import_json(engine, source)
        listed = ", ".join(f"{v} {k}" for k, v in counts.items())
        console.print(f"imported {listed} from {source} into {db}")

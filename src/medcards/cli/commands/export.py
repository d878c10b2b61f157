"""``medcards export --format apkg|json``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from _sdk.cli import console
from medcards.study.anki import export_apkg
from medcards.study.cli_support import DEFAULT_DB, DbOption, open_engine
from medcards.study.transfer import export_json


class ExportFormat(StrEnum):
    """Export formats."""

    APKG = "apkg"
    JSON = "json"


def register(app: typer.Typer) -> None:
    """Add ``export`` to ``app``."""

    @app.command("export")
    def export(
        out: Annotated[Path, typer.Argument(help="Output file (.apkg or .json).")],
        format_: Annotated[
            ExportFormat, typer.Option("--format", help="apkg or json.")
        ] = ExportFormat.APKG,
        db: DbOption = DEFAULT_DB,
        deck: Annotated[str, typer.Option(help="Anki deck name (apkg).")] = "medcards",
    ) -> None:
        """Export the study database: an Anki package or a JSON document."""
        with open_engine(db, create=False) as engine:
            if format_ is ExportFormat.APKG:
                result = export_apkg(engine, out, deck_name=deck)
            else:
                result = export_json(engine, out)
        console.print(f"wrote {result.path} ({result.format}, {result.size_bytes} bytes)")

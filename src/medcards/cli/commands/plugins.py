"""``medcards plugins``."""

from __future__ import annotations

import typer

from _sdk.cli import plugins_command
from medcards.plugins import host


def register(app: typer.Typer) -> None:
    """Add ``plugins`` to ``app``."""
    app.command("plugins")(plugins_command(host))

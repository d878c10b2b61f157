"""The ``medcards`` command line. Each module in this package adds its commands to :data:`app`."""

from __future__ import annotations

from _sdk.cli import make_app, register_commands, run
from medcards import __version__

app = make_app("medcards", "Grounded study cards and spaced repetition.", __version__)
register_commands(app, "medcards.cli.commands")


def main() -> None:
    """Console-script entry point."""
    run(app)

"""The ``medcards`` command line. Each module in this package adds its commands to :data:`app`."""

from __future__ import annotations

from _sdk.cli import make_app, register_commands, register_plugin_commands, run
from medcards import __version__
from medcards.plugins import host

app = make_app("medcards", "Grounded study cards and spaced repetition.", __version__)
register_commands(app, "medcards.cli.commands")
register_plugin_commands(app, host)


def main() -> None:
    """Console-script entry point."""
    run(app)

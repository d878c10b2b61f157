"""The ``emkit`` command line. Each module in this package adds its commands to :data:`app`."""

from __future__ import annotations

from _sdk.cli import make_app, register_commands, run
from emkit import __version__

app = make_app("emkit", "Forecast MS relapses from daily chat messages.", __version__)
register_commands(app, "emkit.cli.commands")


def main() -> None:
    """Console-script entry point."""
    run(app)

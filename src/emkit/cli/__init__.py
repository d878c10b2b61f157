"""The ``emkit`` command line. Each module in this package adds its commands to :data:`app`."""

from __future__ import annotations

from _sdk.cli import make_app, register_commands, register_plugin_commands, run
from emkit import __version__
from emkit.plugins import host

app = make_app("emkit", "Forecast MS relapses from daily chat messages.", __version__)
register_commands(app, "emkit.cli.commands")
register_plugin_commands(app, host)


def main() -> None:
    """Console-script entry point."""
    run(app)

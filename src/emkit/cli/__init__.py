"""The ``emkit`` command line (public: run it, or invoke :data:`app` in tests).

Each module of :mod:`emkit.cli.commands` adds its commands to :data:`app`; installed plugins add
theirs through the ``emkit_register_commands`` hook.
"""

from __future__ import annotations

import _sdk.cli as _cli
from emkit import __version__ as _version
from emkit.plugins import host as _host

__all__ = ["app", "main"]

#: The typer application behind the ``emkit`` program.
app = _cli.make_app("emkit", "Forecast MS relapses from daily chat messages.", _version)
_cli.register_commands(app, "emkit.cli.commands")
_cli.register_plugin_commands(app, _host)


def main() -> None:
    """Console-script entry point."""
    _cli.run(app)

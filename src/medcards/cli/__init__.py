"""The ``medcards`` command line (public: run it, or invoke :data:`app` in tests).

Each module of :mod:`medcards.cli.commands` adds its commands to :data:`app`; installed plugins
add theirs through the ``medcards_register_commands`` hook.
"""

from __future__ import annotations

import _sdk.cli as _cli
from medcards import __version__ as _version
from medcards.plugins import host as _host

__all__ = ["app", "main"]

#: The typer application behind the ``medcards`` program.
app = _cli.make_app("medcards", "Grounded study cards and spaced repetition.", _version)
_cli.register_commands(app, "medcards.cli.commands")
_cli.register_plugin_commands(app, _host)


def main() -> None:
    """Console-script entry point."""
    _cli.run(app)

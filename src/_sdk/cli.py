"""Command-line plumbing shared by the ``emkit`` and ``medcards`` programs."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from _sdk.errors import UserError
from _sdk.host import PluginHost

#: Where results go; errors go to ``stderr_console``.
console = Console()
stderr_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` as an error and exit with ``code``."""
    stderr_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def parse_key_values(
    items: Iterable[str], *, flag: str, error: type[UserError] = UserError
) -> dict[str, Any]:
    """``["max_iter=50", "name=a b"]`` → ``{"max_iter": 50, "name": "a b"}``.

    The command-line form of component options: each item is ``KEY=VALUE``; a value that parses
    as JSON (numbers, booleans, lists, quoted strings) is taken as that JSON, any other value as
    text. Keys are stripped of surrounding spaces; a later item overrides an earlier one.

    Args:
        items: The ``KEY=VALUE`` strings, in the order given.
        flag: The option they came from (``"--backend-option"``), named in errors.
        error: The :class:`UserError` subclass to raise.

    Raises:
        UserError: (of type ``error``) an item without ``=`` or with an empty key, named with
            ``flag``.
    """
    parsed: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise error(f"{flag} {item!r}: expected KEY=VALUE")
        try:
            parsed[key] = json.loads(raw)
        except json.JSONDecodeError:
            parsed[key] = raw
    return parsed


def make_app(prog: str, help_text: str, version: str) -> typer.Typer:
    """A typer app with ``--version``; its commands print user errors without tracebacks."""
    app = typer.Typer(
        name=prog,
        help=help_text,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    def show_version(value: bool) -> None:
        if value:
            console.print(f"{prog} {version}")
            raise typer.Exit()

    @app.callback()
    def main(
        version_: bool = typer.Option(
            False, "--version", callback=show_version, is_eager=True, help="Show the version."
        ),
    ) -> None:
        """Entry point."""

    main.__doc__ = help_text
    return app


def register_commands(app: typer.Typer, package: str) -> None:
    """Import every module of ``package``; each defines ``register(app)`` adding its commands."""
    module = importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda m: m.name):
        command_module = importlib.import_module(f"{package}.{info.name}")
        register: Callable[[typer.Typer], None] = command_module.register
        register(app)


def register_plugin_commands(app: typer.Typer, host: PluginHost) -> None:
    """Let loaded plugins add commands through ``<project>_register_commands(cli)``."""
    host.load_plugins()
    getattr(host.pm.hook, f"{host.project}_register_commands")(cli=app)


def run(app: typer.Typer) -> None:
    """Run ``app``; a :class:`UserError` or invalid input ends with a one-line message, code 1."""
    try:
        app()
    except UserError as exc:
        stderr_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(1)
    except ValidationError as exc:
        stderr_console.print(f"[bold red]invalid input:[/] {exc}", highlight=False)
        sys.exit(1)


def plugins_command(host: PluginHost) -> Callable[[bool, bool], None]:
    """The ``plugins`` command for ``host``: a table, or JSON with ``--json``."""

    def plugins(
        all_: bool = typer.Option(False, "--all", help="Include built-in plugins."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """List installed plugins, the hooks they implement and what they provide."""
        infos = host.list_plugins(include_builtin=all_)
        if as_json:
            typer.echo(json.dumps([info.to_dict() for info in infos], indent=2))
            return
        table = Table(title=f"{host.project} plugins")
        for column in ("plugin", "distribution", "hooks", "provides"):
            table.add_column(column)
        for info in infos:
            dist = f"{info.distribution} {info.version or ''}".strip() if info.distribution else "-"
            provides = "; ".join(f"{k}: {', '.join(v)}" for k, v in info.implementations.items())
            table.add_row(info.name, dist, "\n".join(info.hooks), provides)
        if not infos:
            console.print("no plugins installed (use --all to include built-ins)")
            return
        console.print(table)

    return plugins

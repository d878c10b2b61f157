"""Error and warning types shared by both packages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class UserError(Exception):
    """An error caused by the user's input or environment, not by a bug.

    Command-line tools print these as one readable message, without a traceback.
    """


class PluginError(UserError):
    """A plugin could not be found, registered or configured."""


class UnknownPluginError(PluginError, LookupError):
    """No implementation is registered under the requested name.

    Args:
        kind: What was asked for, e.g. ``"feature extractor"``.
        name: The name that was not found.
        valid: The names that are registered for that kind.
    """

    def __init__(self, kind: str, name: str, valid: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.valid = sorted(valid)
        choices = ", ".join(self.valid) if self.valid else "(none registered)"
        super().__init__(f"unknown {kind} {name!r}; valid names: {choices}")


class InvalidOptionsError(PluginError, ValueError):
    """Options given to a component do not match its ``Options`` model.

    Args:
        kind: What was being configured, e.g. ``"feature extractor 'lexical'"``.
        problems: One line per offending option.
        valid: The option names the component accepts.
    """

    def __init__(self, kind: str, problems: list[str], valid: list[str]) -> None:
        self.problems = problems
        self.valid = sorted(valid)
        choices = ", ".join(self.valid) if self.valid else "(it takes no options)"
        detail = "; ".join(problems)
        super().__init__(f"invalid options for {kind}: {detail}. Valid options: {choices}")


class PluginLoadWarning(UserWarning):
    """A plugin's entry point failed to import; the plugin was skipped."""


class PluginClashWarning(UserWarning):
    """Two plugins registered the same name for one interface; the first one was kept."""


def error_field(error: Mapping[str, Any], default: str = "") -> str:
    """The dotted location of one pydantic error (``key_points.0.text``), or ``default``.

    ``error`` is an item of ``ValidationError.errors()``; the location names the field an error
    message points the user at.
    """
    return ".".join(str(part) for part in error.get("loc", ())) or default

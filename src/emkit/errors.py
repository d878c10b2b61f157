"""emkit's error types. All derive from :class:`EmkitError`, itself a user error."""

from __future__ import annotations

from pathlib import Path

from _sdk import UserError


class EmkitError(UserError):
    """Base class of emkit's user-facing errors."""


class ParseError(EmkitError, ValueError):
    """A chat export or dataset file is malformed.

    Args:
        path: The file being read.
        message: What is wrong.
        line: 1-based line number (or message index), when known.
        column: Column name or 1-based column number, when known.
    """

    def __init__(
        self,
        path: str | Path,
        message: str,
        *,
        line: int | None = None,
        column: str | int | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.reason = message
        where = self.path
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {message}")

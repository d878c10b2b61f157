"""Choosing a parser for a file: by sniffing, or by an explicit format name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emkit.errors import EmkitError, ParseError
from emkit.interfaces import ChatParser
from emkit.plugins import get_chat_parser, host

__all__ = ["MIN_CONFIDENCE", "UnknownFormatError", "open_parser", "sniff"]

#: Below this confidence no parser is chosen.
MIN_CONFIDENCE = 0.2


class UnknownFormatError(ParseError):
    """No registered parser recognises the file; pass the format explicitly."""


def sniff(path: Path | str) -> ChatParser:
    """The registered parser most confident that it understands ``path`` (default options).

    Raises:
        ParseError: when the file cannot be read.
        UnknownFormatError: when no parser reaches :data:`MIN_CONFIDENCE`; lists the formats.
    """
    path = Path(path)
    if not path.is_file():
        raise ParseError(path, "file not found" if not path.exists() else "not a file")
    best: tuple[float, ChatParser] | None = None
    names = []
    for implementation in host.implementations("chat_parser"):
        names.append(implementation.name)
        parser = get_chat_parser(implementation.name)
        confidence = parser.sniff(path)
        if best is None or confidence > best[0]:
            best = (confidence, parser)
    if best is None or best[0] < MIN_CONFIDENCE:
        raise UnknownFormatError(
            path, f"unrecognised export format; pass --format (one of: {', '.join(sorted(names))})"
        )
    return best[1]


def open_parser(path: Path | str, format: str | None = None, **options: Any) -> ChatParser:
    """A parser for ``path``: the one named ``format``, or the sniffed one, with ``options``.

    Options whose value is ``None`` are left at the parser's default; an option the parser
    does not take is an error only when it is set.

    Raises:
        UnknownFormatError: when sniffing finds no parser.
        EmkitError: when a set option does not apply to the chosen parser.
    """
    name = format if format is not None else sniff(path).name
    cls = host.get_class("chat_parser", name)
    accepted = set(cls.Options.model_fields)
    given = {k: v for k, v in options.items() if v is not None}
    unsupported = sorted(set(given) - accepted)
    if unsupported:
        raise EmkitError(
            f"option(s) {', '.join(unsupported)} do not apply to {name!r} exports "
            f"(it takes: {', '.join(sorted(accepted)) or 'nothing'})"
        )
    return get_chat_parser(name, **given)

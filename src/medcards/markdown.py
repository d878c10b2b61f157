"""The one Markdown heading parser of medcards (private): guides and topic contexts.

ATX headings (``## Title``, up to three spaces of indentation, optional closing ``#``) and setext
headings (a title line underlined with ``===`` or ``---``, after a blank line); lines inside
fenced code blocks are never headings. :mod:`medcards.ingest` cuts guides at these headings and
the extractive generator files each sentence under the nearest one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

_ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_SETEXT_UNDERLINE = re.compile(r"^(=+|-+)\s*$")


@dataclass(frozen=True)
class Heading:
    """A heading of a Markdown text.

    Attributes:
        index: 0-based index of the heading's (title) line.
        level: 1-6 (setext: 1 for ``===``, 2 for ``---``).
        title: The heading text, without markers.
        setext: Whether it is a setext heading (its underline is the next line).
    """

    index: int
    level: int
    title: str
    setext: bool = False

    @property
    def body_start(self) -> int:
        """Index of the first line after the heading (after the underline of a setext one)."""
        return self.index + (2 if self.setext else 1)


def atx_heading(line: str) -> tuple[int, str] | None:
    """``(level, title)`` when ``line`` is an ATX heading (``## Title``), else ``None``."""
    match = _ATX.match(line)
    if match is None:
        return None
    return len(match.group(1)), match.group(2).strip()


def find_headings(lines: Sequence[str]) -> list[Heading]:
    """Every ATX and setext heading of ``lines``, in order, skipping fenced code blocks."""
    found: list[Heading] = []
    in_code = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        atx = atx_heading(line)
        if atx is not None:
            found.append(Heading(i, atx[0], atx[1]))
        elif (
            i + 1 < len(lines)
            and line.strip()
            and not line.lstrip().startswith(("-", "*", ">"))
            and _SETEXT_UNDERLINE.match(lines[i + 1])
            and (i == 0 or not lines[i - 1].strip())
        ):
            level = 1 if lines[i + 1].startswith("=") else 2
            found.append(Heading(i, level, line.strip(), setext=True))
    return found


def split_before_headings(text: str) -> list[str]:
    """``text`` cut before each of its headings (pieces stripped, empty ones dropped)."""
    lines = text.split("\n")
    starts = sorted({0, *(h.index for h in find_headings(lines))})
    bounds = [*starts, len(lines)]
    pieces = ("\n".join(lines[a:b]).strip() for a, b in itertools.pairwise(bounds))
    return [p for p in pieces if p]

"""Sample guides in every format, printed once per test session from examples/guides/."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pypdf
import pytest
from medcards_documents.samples import (
    write_sample_docx,
    write_sample_html,
    write_sample_pdf,
)

import medcards

#: PDF layouts: two columns with an outline (the usual), without one, one column.
LAYOUTS = {
    "two-columns": {},
    "no-outline": {"outline": False},
    "one-column": {"columns": 1},
}


@pytest.fixture(scope="session")
def printed(tmp_path_factory):
    """``printed(guide, layout="two-columns", fmt="pdf")``: the guide in that format (cached)."""
    folder = tmp_path_factory.mktemp("printed")
    cache: dict[tuple[str, str, str], Path] = {}

    def make(guide: Path, layout: str = "two-columns", fmt: str = "pdf") -> Path:
        key = (guide.stem, layout, fmt)
        if key not in cache:
            out = folder / f"{guide.stem}.{layout}.{fmt}"
            if fmt == "pdf":
                write_sample_pdf(guide, out, **LAYOUTS[layout])
            elif fmt == "html":
                write_sample_html(guide, out)
            else:
                write_sample_docx(guide, out)
            cache[key] = out
        return cache[key]

    return make


@pytest.fixture(scope="session", autouse=True)
def _plugins():
    medcards.load_plugins()


def squash(text: str) -> str:
    """Text compared across layouts: normalised, without whitespace, hyphens or table pipes."""
    return re.sub(r"[\s\-|\u00ad\u2022]", "", medcards.normalize(text))


def page_texts(pdf: Path) -> list[str]:
    """Each page's text as pypdf extracts it (in the order it was printed): the test's own
    reading of the PDF, independent of the reader under test."""
    return [page.extract_text() for page in pypdf.PdfReader(pdf).pages]


def guide_units(guide: Path) -> list[str]:
    """The paragraphs (consecutive lines joined) and list items of a Markdown guide, in order."""
    units: list[str] = []
    paragraph: list[str] = []
    for line in [*guide.read_text(encoding="utf-8").splitlines(), ""]:
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ">", "- ")):
            if paragraph:
                units.append(" ".join(paragraph))
                paragraph = []
            if stripped.startswith("- "):
                units.append(stripped[2:])
            continue
        paragraph.append(stripped)
    return units


@pytest.fixture(scope="session")
def reading():
    """The tests' own ways of reading the samples: ``squash``, ``page_texts``, ``guide_units``."""
    return SimpleNamespace(squash=squash, page_texts=page_texts, guide_units=guide_units)

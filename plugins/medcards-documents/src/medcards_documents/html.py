"""The ``html`` reader: a saved web page of a guide as Markdown (markdownify).

Only the guide is kept: ``<main>`` (or ``<article>``, else ``<body>``) without scripts, styles,
navigation, headers, footers, asides and forms. Headings become ``#`` headings, lists ``-``
items and tables pipe tables; the page's ``<title>`` is the guide's title when the page has no
``<h1>``. HTML has no pages, so locations name the section only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import medcards

__all__ = ["HtmlReader", "html_to_markdown"]

_BOILERPLATE = ("script", "style", "nav", "header", "footer", "aside", "form", "noscript")


def html_to_markdown(markup: str | bytes, *, source: Path | str = "<html>") -> str:
    """The guide part of an HTML document as Markdown.

    Args:
        markup: The HTML (bytes are decoded by the document's own charset).
        source: The file, for error messages.

    Raises:
        medcards.IngestError: when the page has no text.
    """
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    soup = BeautifulSoup(markup, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup.find_all(_BOILERPLATE):
        tag.decompose()
    for table in soup.find_all("table"):
        first = table.find("tr")
        if table.find("th") is None and first is not None:
            for cell in first.find_all("td"):
                cell.name = "th"  # the first row is the header (Word tables have no <th>)
    root: Any = soup.find("main") or soup.find("article") or soup.body or soup
    markdown = MarkdownConverter(heading_style="ATX", bullets="-", strip=["a", "img"]).convert_soup(
        root
    )
    markdown = "\n".join(line.rstrip() for line in markdown.splitlines()).strip()
    if not markdown:
        raise medcards.IngestError(f"{source}: the page has no text")
    if title and root.find("h1") is None:
        markdown = f"# {title}\n\n{markdown}"
    return markdown + "\n"


class HtmlReader(medcards.DocumentReader):
    """Reads HTML guides (a saved web page) with markdownify."""

    name: ClassVar[str] = "html"
    suffixes: ClassVar[tuple[str, ...]] = (".html", ".htm", ".xhtml")

    def read(self, path: Path) -> medcards.GuideDocument:
        """Read ``path`` into Markdown (no pages: HTML is not paginated)."""
        return medcards.GuideDocument(
            text=html_to_markdown(path.read_bytes(), source=path), format="html"
        )

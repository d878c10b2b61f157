"""The ``docx`` reader: a Word guide as Markdown (mammoth to HTML, then the HTML reader).

Heading styles become ``#`` headings, list styles ``-`` items, tables pipe tables; ``Quote``
paragraphs become block quotes, which ingest leaves out like the notes of a Markdown guide.
A DOCX has no fixed pages (Word lays them out when it opens the file), so locations name the
section only.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import ClassVar

import medcards
from medcards_documents.html import html_to_markdown

__all__ = ["DocxReader"]

_STYLE_MAP = """
p[style-name='Quote'] => blockquote > p:fresh
p[style-name='Intense Quote'] => blockquote > p:fresh
p[style-name='Title'] => h1:fresh
"""


class DocxReader(medcards.DocumentReader):
    """Reads Word (.docx) guides with mammoth."""

    name: ClassVar[str] = "docx"
    suffixes: ClassVar[tuple[str, ...]] = (".docx",)

    def read(self, path: Path) -> medcards.GuideDocument:
        """Read ``path`` into Markdown (no pages).

        Raises:
            medcards.IngestError: a file that is not a Word document, or is encrypted.
        """
        import mammoth  # type: ignore[import-untyped]  # mammoth ships no type information

        try:
            with path.open("rb") as handle:
                result = mammoth.convert_to_html(handle, style_map=_STYLE_MAP)
        except (zipfile.BadZipFile, KeyError) as exc:
            raise medcards.IngestError(
                f"{path}: not a readable Word document (.docx), or it is encrypted ({exc})"
            ) from None
        return medcards.GuideDocument(
            text=html_to_markdown(result.value, source=path), format="docx"
        )

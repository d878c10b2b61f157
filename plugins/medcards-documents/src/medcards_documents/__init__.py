"""medcards ingest for PDF, HTML and DOCX guides.

Registers three :class:`medcards.DocumentReader` plugins, which ``medcards ingest`` picks by the
guide's suffix: ``pdf`` (``.pdf``; pdfplumber and pypdf), ``html`` (``.html``/``.htm``;
markdownify) and ``docx`` (``.docx``; mammoth). Libraries are imported when a file is read, not
when the plugin is registered. :mod:`medcards_documents.samples` prints sample guides in these
formats for tests and benches.
"""

from __future__ import annotations

from collections.abc import Callable

import medcards
from medcards_documents.docx import DocxReader
from medcards_documents.html import HtmlReader
from medcards_documents.pdf import PdfReader

__all__ = ["DocxReader", "HtmlReader", "PdfReader", "medcards_register_readers"]


@medcards.hookimpl
def medcards_register_readers(register: Callable[[type[medcards.DocumentReader]], None]) -> None:
    """Register the PDF, HTML and DOCX readers."""
    register(DocxReader)
    register(HtmlReader)
    register(PdfReader)

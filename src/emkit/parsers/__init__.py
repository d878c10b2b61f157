"""Built-in chat-export parsers, format sniffing and turning an export into a patient directory.

Parsers are plugins (:class:`~emkit.ChatParser`): ``whatsapp`` and ``telegram`` are built in,
others come from installed plugins. :func:`sniff` picks the parser that is most confident about
a file; :func:`export_to_patient` keeps one participant's messages, pseudonymises them and writes
the dataset layout (:mod:`emkit.dataset`).
"""

from __future__ import annotations

from emkit.parsers.pseudonymise import (
    ParseSummary,
    Pseudonymiser,
    SenderNotFoundError,
    export_to_patient,
    find_sender,
)
from emkit.parsers.sniffing import UnknownFormatError, open_parser, sniff
from emkit.parsers.telegram import TelegramParser, telegram_text
from emkit.parsers.whatsapp import WhatsAppParser

__all__ = [
    "ParseSummary",
    "Pseudonymiser",
    "SenderNotFoundError",
    "TelegramParser",
    "UnknownFormatError",
    "WhatsAppParser",
    "export_to_patient",
    "find_sender",
    "open_parser",
    "sniff",
    "telegram_text",
]

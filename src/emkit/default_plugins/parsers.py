"""Built-in chat-export parsers: WhatsApp (.txt) and Telegram Desktop (JSON)."""

from __future__ import annotations

from collections.abc import Callable

from emkit.interfaces import ChatParser
from emkit.parsers.telegram import TelegramParser
from emkit.parsers.whatsapp import WhatsAppParser
from emkit.plugins import hookimpl


@hookimpl
def emkit_register_chat_parsers(register: Callable[[type[ChatParser]], None]) -> None:
    """Register the WhatsApp and Telegram parsers."""
    register(WhatsAppParser)
    register(TelegramParser)

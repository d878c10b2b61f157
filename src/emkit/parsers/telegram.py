"""Telegram Desktop JSON exports (``result.json``): one chat or a full account export."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from emkit.errors import ParseError
from emkit.interfaces import ChatParser
from emkit.models import ChatExport, ChatMessage, MessageKind
from emkit.parsers._text import decode, read_bytes, read_head
from emkit.parsers.whatsapp import TimeZoneName

__all__ = ["TelegramParser", "telegram_text"]

#: UTC offsets are whole quarter hours (e.g. +05:45 in Nepal) ...
_QUARTER_HOUR = dt.timedelta(minutes=15)
#: ... between -12:00 and +14:00; a wider difference is no offset.
_MAX_OFFSET = dt.timedelta(hours=14)

#: Keys whose presence marks a message as carrying media (photo, file, sticker, poll...).
MEDIA_KEYS = (
    "photo",
    "file",
    "media_type",
    "sticker_emoji",
    "poll",
    "location_information",
    "contact_information",
    "place_name",
    "game_title",
    "invoice_information",
)


def telegram_text(value: object) -> str | None:
    """Plain text of a Telegram ``text`` field (a string, or a list of strings and entities).

    Returns ``None`` when ``value`` has neither shape.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            else:
                return None
        return "".join(parts)
    return None


class TelegramParser(ChatParser):
    """Telegram Desktop "Export chat history" / "Export Telegram data" in JSON.

    Reads ``result.json`` of a single chat (top-level ``messages``) or of a full export
    (``chats.list``, plus ``left_chats.list``). ``text`` may be a string or a list of strings
    and entity objects (bold, links, mentions...); the plain text is kept.

    Times: Telegram Desktop writes ``date`` as the exporting device's wall clock and
    ``date_unixtime`` as the instant. Without ``tz``, each message keeps that wall clock: its
    ``utc_offset`` is ``date`` - ``date_unixtime``, per message, so a daylight-saving change
    inside the export is followed; a difference that is no UTC offset (not whole quarter hours,
    or beyond ±14 h) is a :class:`~emkit.ParseError` naming the message index. Fallbacks, with
    ``utc_offset`` ``None``: a message with ``date`` only (older exports) keeps that wall clock;
    one with ``date_unixtime`` only keeps the instant, read in UTC. With ``tz``, the instant is
    placed in that zone (``date`` read in it when ``date_unixtime`` is absent), and
    ``utc_offset`` is the zone's offset then.

    Service messages are system lines; ``edited`` and ``forwarded_from`` set the matching
    flags. A media message without a
    caption is :attr:`~emkit.MessageKind.MEDIA`; with a caption it is a text message whose text
    is the caption. ``line`` holds the 1-based index of the message in the file.
    """

    name: ClassVar[str] = "telegram"

    class Options(ChatParser.Options):
        """Options of the Telegram parser.

        Attributes:
            chat: In a full export, keep only the chat with this name or id.
            tz: IANA zone to place the messages in (``date_unixtime`` converted to it, or
                ``date`` read in it when ``date_unixtime`` is absent). ``None`` (the default):
                keep the exporting device's wall clock, ``date``.
        """

        chat: str | None = None
        tz: TimeZoneName | None = None

    options: Options

    def sniff(self, path: Path) -> float:
        """High when the file is a JSON object with Telegram's keys."""
        head = read_head(path).lstrip()
        if not head.startswith("{"):
            return 0.0
        score = 0.3
        if '"messages"' in head or '"chats"' in head:
            score += 0.3
        if '"date_unixtime"' in head or '"from_id"' in head or '"personal_information"' in head:
            score += 0.35
        return score

    def parse(self, path: Path) -> ChatExport:
        """Parse a Telegram Desktop JSON export.

        Raises:
            ParseError: naming the file with line and column for invalid or truncated JSON, or
                the message index and field for a message of the wrong shape.
        """
        path = Path(path)
        text = decode(path, read_bytes(path))
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            at_end = exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated")
            hint = " (truncated export?)" if at_end else ""
            raise ParseError(
                path, f"invalid JSON{hint}: {exc.msg}", line=exc.lineno, column=exc.colno
            ) from None
        except RecursionError:
            raise ParseError(path, "JSON nested too deeply") from None
        if not isinstance(data, dict):
            raise ParseError(path, "not a Telegram export: the top level is not a JSON object")
        zone = None if self.options.tz is None else zoneinfo.ZoneInfo(self.options.tz)
        messages = []
        for index, raw in enumerate(self._raw_messages(path, data), start=1):
            message = self._message(path, index, raw, zone)
            if message is not None:
                messages.append(message)
        return ChatExport(source=str(path), format=self.name, messages=messages)

    def _raw_messages(self, path: Path, data: dict[str, Any]) -> Iterator[Any]:
        if "messages" in data:
            chats: list[Any] = [data]
        elif isinstance(data.get("chats"), dict) and "list" in data["chats"]:
            chats = list(_as_list(path, data["chats"]["list"], "chats.list"))
            left = data.get("left_chats")
            if isinstance(left, dict) and "list" in left:
                chats += _as_list(path, left["list"], "left_chats.list")
        else:
            raise ParseError(
                path, "not a Telegram Desktop export: no 'messages' nor 'chats.list' key"
            )
        wanted = self.options.chat
        found = wanted is None
        for position, chat in enumerate(chats):
            if not isinstance(chat, dict):
                raise ParseError(path, f"chat #{position + 1} is not a JSON object", column="chats")
            name = str(chat.get("name") or chat.get("id") or "")
            if wanted is not None and wanted not in (name, str(chat.get("id"))):
                continue
            found = True
            yield from _as_list(path, chat.get("messages", []), "messages")
        if not found:
            raise ParseError(path, f"no chat named {wanted!r} in this export", column="chat")

    def _message(
        self, path: Path, index: int, raw: Any, zone: zoneinfo.ZoneInfo | None
    ) -> ChatMessage | None:
        if not isinstance(raw, dict):
            raise ParseError(path, "message is not a JSON object", line=index)
        sent_at, utc_offset = self._sent_at(path, index, raw, zone)
        kind_field = raw.get("type", "message")
        if kind_field == "service":
            actor = raw.get("actor")
            action = raw.get("action", "")
            action_text = " ".join(str(x) for x in (actor, action) if x)
            return ChatMessage(
                sent_at=sent_at,
                utc_offset=utc_offset,
                sender=None,
                text=action_text,
                kind=MessageKind.SYSTEM,
                line=index,
            )
        if kind_field != "message":
            return None  # unknown record types (future Telegram versions) are not messages
        text = telegram_text(raw.get("text", ""))
        if text is None:
            raise ParseError(
                path,
                "'text' must be a string or a list of strings and entities",
                line=index,
                column="text",
            )
        sender_value = raw.get("from")
        if sender_value is None:
            sender_value = raw.get("from_id") or "(deleted account)"
        sender = str(sender_value)
        has_media = any(key in raw for key in MEDIA_KEYS)
        kind = MessageKind.MEDIA if has_media and not text else MessageKind.TEXT
        return ChatMessage(
            sent_at=sent_at,
            utc_offset=utc_offset,
            sender=sender,
            text=text,
            kind=kind,
            line=index,
            edited="edited" in raw or "edited_unixtime" in raw,
            forwarded="forwarded_from" in raw,
        )

    @staticmethod
    def _sent_at(
        path: Path, index: int, raw: dict[str, Any], zone: zoneinfo.ZoneInfo | None
    ) -> tuple[dt.datetime, dt.timedelta | None]:
        """The instant (UTC) of a message and the UTC offset of its wall clock."""
        unix = raw.get("date_unixtime")
        instant = None
        if unix is not None:
            try:
                instant = dt.datetime.fromtimestamp(int(unix), dt.UTC)
            except (TypeError, ValueError, OverflowError, OSError):
                raise ParseError(
                    path, f"bad date_unixtime {unix!r}", line=index, column="date_unixtime"
                ) from None
        date = raw.get("date")
        if zone is not None and instant is not None:
            try:
                return instant, instant.astimezone(zone).utcoffset()
            except OverflowError:
                raise ParseError(
                    path, f"date_unixtime {unix!r} is out of range", line=index, column="date"
                ) from None
        if not isinstance(date, str):
            if instant is None:
                raise ParseError(
                    path, "message has no 'date' nor 'date_unixtime'", line=index, column="date"
                )
            # No wall clock (not written by Telegram Desktop): the instant, its offset unknown,
            # so its day and time are read in UTC. Pass tz to place it in a zone.
            return instant, None
        try:
            local = dt.datetime.fromisoformat(date)
        except ValueError:
            raise ParseError(path, f"bad date {date!r}", line=index, column="date") from None
        if zone is not None:  # no date_unixtime: 'date' read in the zone
            if local.tzinfo is None:
                local = local.replace(tzinfo=zone)
            try:
                return local.astimezone(dt.UTC), local.astimezone(zone).utcoffset()
            except OverflowError:
                raise ParseError(
                    path, f"date {date!r} is out of range", line=index, column="date"
                ) from None
        if local.tzinfo is not None:  # an explicit offset in 'date' (Telegram writes none)
            try:
                stated = local.astimezone(dt.UTC)
            except OverflowError:
                raise ParseError(
                    path, f"date {date!r} is out of range", line=index, column="date"
                ) from None
            if instant is not None and stated != instant:
                raise ParseError(
                    path,
                    f"message #{index}: 'date' {date!r} is not the instant of 'date_unixtime' "
                    f"{unix!r} ({instant:%Y-%m-%d %H:%M:%S} UTC)",
                    line=index,
                    column="date",
                )
            instant, wall_offset = stated, local.utcoffset()
        elif instant is None:
            # Older exports have no date_unixtime: the wall clock is kept, its offset unknown.
            return local.replace(tzinfo=dt.UTC), None
        else:
            wall_offset = local - instant.replace(tzinfo=None)
        if wall_offset is None or wall_offset % _QUARTER_HOUR or abs(wall_offset) > _MAX_OFFSET:
            raise ParseError(
                path,
                f"message #{index}: 'date' {date!r} and 'date_unixtime' {unix!r} "
                f"({instant:%Y-%m-%d %H:%M:%S} UTC) differ by {_signed(wall_offset)}, which is no "
                "UTC offset (offsets are whole quarter hours within ±14 h); is the export "
                "edited? Pass tz (--tz) to use date_unixtime alone",
                line=index,
                column="date",
            )
        return instant, wall_offset


def _signed(offset: dt.timedelta | None) -> str:
    """``offset`` as ``+H:MM:SS`` or ``-H:MM:SS``."""
    if offset is None:
        return "an unknown amount"
    sign = "-" if offset < dt.timedelta(0) else "+"
    return f"{sign}{abs(offset)}"


def _as_list(path: Path, value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise ParseError(path, f"'{field}' is not a list", column=field)
    return value

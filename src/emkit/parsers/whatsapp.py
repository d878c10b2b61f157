"""WhatsApp ``.txt`` chat exports (Android and iOS, many locales)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, ClassVar, cast

from pydantic import AfterValidator

from emkit.errors import ParseError
from emkit.interfaces import ChatParser
from emkit.models import ChatExport, ChatMessage, MessageKind, SkippedLine
from emkit.parsers._build import FIELDS, paused_gc, trusted_message
from emkit.parsers._text import decode, read_bytes, read_head

__all__ = ["WhatsAppParser", "validate_timezone"]

_SP = "[ \u00a0\u202f]"
_DATE = r"(?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{1,4})"
_TIME = r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)"
_AMPM = rf"(?:{_SP}?(?P<ampm>[aApP]\.?{_SP}?[mM]\.?))"
#: ``12/01/24, 21:05 - Ana: hola`` and ``1/12/24, 9:05 p. m. - Ana: hola``.
ANDROID_HEADER = re.compile(rf"^{_DATE},?{_SP}{_TIME}{_AMPM}?{_SP}[-\u2013]{_SP}(?P<rest>.*)$")
#: ``[12/01/24, 21:05:03] Ana: hola`` (often preceded by U+200E).
IOS_HEADER = re.compile(rf"^[\u200e\u200f]*\[{_DATE},?{_SP}{_TIME}{_AMPM}?\]{_SP}?(?P<rest>.*)$")

_ANDROID_LINES = re.compile(ANDROID_HEADER.pattern, re.M)
_IOS_LINES = re.compile(IOS_HEADER.pattern, re.M)
_FIELDS = re.compile(r"[./-]")
_CLOCK_FIELDS = re.compile(r"[:.]")
_BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

#: Media placeholders (compared case-insensitively, U+200E removed), es/en/pt/fr/it.
MEDIA_PLACEHOLDERS = frozenset(
    s.casefold()
    for s in [
        "<Media omitted>",
        "<Multimedia omitido>",
        "<Archivo omitido>",
        "<Arquivo de mídia oculto>",
        "<Mídia oculta>",
        "<Médias omis>",
        "<Fichier omis>",
        "<Media omessi>",
        "<File omesso>",
        "null",
        "image omitted",
        "video omitted",
        "audio omitted",
        "sticker omitted",
        "GIF omitted",
        "document omitted",
        "Contact card omitted",
        "imagen omitida",
        "video omitido",
        "audio omitido",
        "sticker omitido",
        "GIF omitido",
        "documento omitido",
        "tarjeta de contacto omitida",
        "imagem ocultada",
        "vídeo ocultado",
        "áudio ocultado",
        "figurinha omitida",
        "documento ocultado",
        "image absente",
        "vidéo absente",
        "audio omis",
        "autocollant omis",
        "document omis",
        "immagine omessa",
        "video omesso",
        "audio omesso",
        "sticker omesso",
        "documento omesso",
    ]
)
#: iOS attachments and Android "(file attached)" lines.
ATTACHMENT = re.compile(
    r"^(?:<(?:attached|adjunto|anexado|allegato|pi[eè]ce jointe|joint)\s?:\s?[^>]*>"
    r"|\S.*\s\((?:file attached|archivo adjunto|arquivo anexado|fichier joint|file allegato)\))$",
    re.I,
)
#: Deleted-message notices, es/en/pt/fr/it.
DELETED = frozenset(
    s.casefold()
    for s in [
        "This message was deleted",
        "This message was deleted.",
        "You deleted this message",
        "You deleted this message.",
        "Se eliminó este mensaje.",
        "Se eliminó este mensaje",
        "Eliminaste este mensaje.",
        "Eliminaste este mensaje",
        "Este mensaje fue eliminado",
        "Mensagem apagada",
        "Esta mensagem foi apagada",
        "Você apagou esta mensagem",
        "Ce message a été supprimé",
        "Ce message a été supprimé.",
        "Vous avez supprimé ce message",
        "Vous avez supprimé ce message.",
        "Questo messaggio è stato eliminato",
        "Hai eliminato questo messaggio",
    ]
)
#: Suffix WhatsApp appends to edited messages.
EDITED = re.compile(
    r"\s?<(?:This message was edited|Se editó este mensaje\.?|Mensagem editada|"
    r"Ce message a été modifié|Questo messaggio è stato modificato|Mensaje editado)>$",
    re.I,
)


def validate_timezone(value: str) -> str:
    """Check that ``value`` is an IANA time-zone name known to this system."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name like Europe/Madrid)"
        ) from None
    return value


#: A ``tz`` option: an IANA zone name, checked by :func:`validate_timezone`.
TimeZoneName = Annotated[str, AfterValidator(validate_timezone)]


#: A header found in the text: start, end, date, clock, am/pm marker, rest of the line.
_Head = tuple[int, int, str, str, str | None, str]


#: Bare (casefolded, stripped) text of a media placeholder or a deletion notice, and its kind.
_SPECIAL = {bare: MessageKind.DELETED for bare in DELETED} | {
    bare: MessageKind.MEDIA for bare in MEDIA_PLACEHOLDERS
}
_STRIP = _BIDI + " "
_TEXT, _MEDIA = MessageKind.TEXT, MessageKind.MEDIA


def _classify(text: str) -> tuple[MessageKind, str, bool]:
    edited = False
    if text.endswith(">"):  # cheap test first: the regexes below are the parser's hot spot
        match = EDITED.search(text)
        if match:
            edited = True
            text = text[: match.start()]
    if len(text) > 80:  # no placeholder or notice is this long
        return _TEXT, text.lstrip(_BIDI), edited
    bare = text.strip(_STRIP).casefold()
    kind = _SPECIAL.get(bare)
    if kind is not None:
        return kind, "", edited
    if bare.endswith((">", ")")) and ATTACHMENT.match(bare):
        return _MEDIA, "", edited
    return _TEXT, text.lstrip(_BIDI), edited


def _clean_sender(sender: str) -> str:
    sender = sender.strip(_BIDI + " ")
    if sender.startswith("~") and len(sender) > 1:
        sender = sender[1:].lstrip(" \u00a0\u202f")
    return sender


class WhatsAppParser(ChatParser):
    """WhatsApp chat export (``.txt``), Android or iOS.

    Recognises ``dd/mm/yy, HH:MM - Name: text`` (Android) and ``[dd/mm/yy, HH:MM:SS] Name: text``
    (iOS); ``/``, ``.`` or ``-`` date separators; 2- or 4-digit years (and year-first dates);
    24-hour clocks and 12-hour clocks in English (``PM``) and Spanish (``p. m.``) with ordinary,
    no-break or narrow no-break spaces. Lines that do not start a message continue the previous
    one (multiline messages). Lines without ``Name:`` are system lines. Media placeholders and
    attachments are :attr:`~emkit.MessageKind.MEDIA` with empty text; deletion notices are
    :attr:`~emkit.MessageKind.DELETED`; the "edited" suffix sets ``edited``.

    Day-first vs month-first is detected: a first field above 12 means day-first, a second
    field above 12 month-first; otherwise the order under which the dates run forward in time
    wins (ties: day-first). ``dayfirst`` forces it.
    """

    name: ClassVar[str] = "whatsapp"

    class Options(ChatParser.Options):
        """Options of the WhatsApp parser.

        Attributes:
            dayfirst: ``True`` for dd/mm, ``False`` for mm/dd, ``None`` to detect.
            tz: IANA zone of the export's wall-clock times (the phone's zone), which sets each
                message's ``utc_offset``. ``None`` (the default): the zone is unknown, the
                wall clock is kept as written and read as UTC, and ``utc_offset`` is ``None``.
                WhatsApp exports carry no zone, so the wall clock is kept either way.
        """

        dayfirst: bool | None = None
        tz: TimeZoneName | None = None

    options: Options

    def sniff(self, path: Path) -> float:
        """Share of the first non-empty lines that start a WhatsApp message, scaled to [0, 1]."""
        lines = [line for line in read_head(path).splitlines() if line.strip()][:40]
        if not lines:
            return 0.0
        hits = sum(bool(ANDROID_HEADER.match(x) or IOS_HEADER.match(x)) for x in lines)
        if hits == 0:
            return 0.0
        first = bool(ANDROID_HEADER.match(lines[0]) or IOS_HEADER.match(lines[0]))
        return min(1.0, (0.6 if first else 0.2) + 0.4 * hits / len(lines))

    def parse(self, path: Path) -> ChatExport:
        """Parse a WhatsApp export.

        Raises:
            ParseError: naming the file and line for an unreadable file, no message at all,
                an impossible date or time, or dates that are neither day- nor month-first.
        """
        path = Path(path)
        text = decode(path, read_bytes(path))
        with paused_gc():
            return self._parse_text(path, text)

    def _parse_text(self, path: Path, text: str) -> ChatExport:
        skipped: list[SkippedLine] = []
        # Find every header with one C-level scan per platform instead of a Python loop over
        # lines; what lies between two headers continues the earlier message (multiline).
        # Groups 1-4 of both patterns: date, clock, am/pm marker, rest of the header line.
        heads = _heads(_ANDROID_LINES, text)
        ios = _heads(_IOS_LINES, text)
        if ios:
            heads = sorted(heads + ios) if heads else ios
        if not heads:
            raise ParseError(
                path, "not a WhatsApp export: no line starts with a date and a time", line=1
            )
        for index, before in enumerate(text[: heads[0][0]].split("\n")[:-1]):
            if before.strip():
                skipped.append(SkippedLine(line=index + 1, reason="text before the first message"))
        order = self._date_order(path, text, heads)
        tz = self.options.tz
        zone = None if tz is None else zoneinfo.ZoneInfo(tz)
        senders: set[str] | None = None  # every sender name, built only when needed
        messages: list[ChatMessage] = []
        append = messages.append
        fields_set = set(FIELDS)
        # Exports repeat the same dates, clock readings and senders many times: parse each once.
        dates: dict[str, dt.date] = {}
        clocks: dict[tuple[str, str | None], dt.time] = {}
        names: dict[str, str] = {}
        combine, utc, text_kind = dt.datetime.combine, dt.UTC, MessageKind.TEXT
        count_newlines = text.count
        size = len(text)
        line = 1 + text.count("\n", 0, heads[0][0])
        next_starts = [head[0] for head in heads[1:]]
        next_starts.append(size + 1)
        for head_fields, next_start in zip(heads, next_starts, strict=True):
            _, end, date, clock_text, ampm, body = head_fields
            if next_start > end + 1:  # continuation lines, up to the next header
                if next_start > size:
                    # The file's final newline(s) are not part of the last message.
                    rest = text[end + 1 :].rstrip("\n")
                    if rest:
                        body += "\n" + rest
                else:
                    body += "\n" + text[end + 1 : next_start - 1]
                newlines = count_newlines("\n", end, next_start)
            else:
                newlines = 1  # a header line followed directly by the next one
            day = dates.get(date)
            if day is None:
                day = dates[date] = self._date(path, date, line, order)
            clock = clocks.get((clock_text, ampm))
            if clock is None:
                clock = clocks[(clock_text, ampm)] = self._time(path, clock_text, ampm, line)
            offset: dt.timedelta | None = None
            if zone is None:
                sent_at = combine(day, clock, tzinfo=utc)
            else:
                local = combine(day, clock, tzinfo=zone)
                offset = local.utcoffset()
                try:
                    sent_at = local.astimezone(utc)
                except OverflowError:
                    raise ParseError(path, f"date {date!r} is out of range", line=line) from None
            head, sep, tail = body.partition(": ")
            sender: str | None
            if sep and head and "\n" not in head:
                sender = names.get(head)
                if sender is None:
                    sender = names[head] = _clean_sender(head)
                kind, content, edited = _classify(tail)
            elif body.endswith(":") and _clean_sender(body[:-1]) in (
                senders if senders is not None else (senders := _senders(heads))
            ):
                sender, kind, content, edited = _clean_sender(body[:-1]), text_kind, "", False
            else:
                sender, kind, content, edited = None, MessageKind.SYSTEM, body.strip(_BIDI), False
            # Every value is built and checked above (ParseError with the line): no validation.
            append(
                trusted_message(
                    {
                        "sent_at": sent_at,
                        "sender": sender,
                        "text": content,
                        "kind": kind,
                        "line": line,
                        "edited": edited,
                        "forwarded": False,
                        "utc_offset": offset,
                    },
                    fields_set,
                )
            )
            line += newlines
        return ChatExport(source=str(path), format=self.name, messages=messages, skipped=skipped)

    def _date_order(self, path: Path, text: str, heads: list[_Head]) -> str:
        """``"ymd"``, ``"dmy"`` or ``"mdy"`` for the whole file."""
        dates = [head[2] for head in heads]
        first = dates[0]
        if len(_FIELDS.split(first)[0]) == 4:
            return "ymd"
        if self.options.dayfirst is not None:
            return "dmy" if self.options.dayfirst else "mdy"
        pairs = []
        for date in dict.fromkeys(dates):
            a, b, c = (int(x) for x in _FIELDS.split(date))
            pairs.append((a, b, c))
        day_first_possible = all(b <= 12 for _, b, _ in pairs)
        month_first_possible = all(a <= 12 for a, _, _ in pairs)
        if day_first_possible and not month_first_possible:
            return "dmy"
        if month_first_possible and not day_first_possible:
            return "mdy"
        if not day_first_possible and not month_first_possible:
            bad = next(i for i, date in enumerate(dates) if int(_FIELDS.split(date)[1]) > 12)
            raise ParseError(
                path,
                f"dates are neither all day-first nor all month-first (e.g. {dates[bad]!r}); "
                "pass dayfirst / --dayfirst or --monthfirst",
                line=1 + text.count("\n", 0, heads[bad][0]),
            )

        # Ambiguous (every field <= 12): the order under which dates run forward wins.
        def backwards(order: str) -> int:
            keys = [(c, b, a) if order == "dmy" else (c, a, b) for a, b, c in pairs]
            return sum(later < earlier for earlier, later in itertools.pairwise(keys))

        return "mdy" if backwards("mdy") < backwards("dmy") else "dmy"

    @staticmethod
    def _date(path: Path, date: str, line: int, order: str) -> dt.date:
        a, b, c = (int(x) for x in _FIELDS.split(date))
        if order == "ymd":
            year, month, day = a, b, c
        elif order == "dmy":
            day, month, year = a, b, c
        else:
            month, day, year = a, b, c
        if year < 100:
            year += 2000
        try:
            return dt.date(year, month, day)
        except ValueError as exc:
            raise ParseError(
                path, f"impossible date {date!r} read as {order}: {exc}", line=line
            ) from None

    @staticmethod
    def _time(path: Path, clock: str, ampm: str | None, line: int) -> dt.time:
        fields = [int(x) for x in _CLOCK_FIELDS.split(clock)]
        hour, minute = fields[0], fields[1]
        second = fields[2] if len(fields) > 2 else 0
        if ampm is not None:
            if not 1 <= hour <= 12:
                raise ParseError(path, f"hour {hour} is impossible on a 12-hour clock", line=line)
            pm = ampm.strip()[0] in "pP"
            hour = hour % 12 + (12 if pm else 0)
        try:
            return dt.time(hour, minute, second)
        except ValueError as exc:
            raise ParseError(path, f"impossible time {clock!r}: {exc}", line=line) from None


def _heads(pattern: re.Pattern[str], text: str) -> list[_Head]:
    """Every header ``pattern`` finds in ``text`` (groups 1-4: date, clock, am/pm, rest)."""
    found = [(m.start(), m.end(), *m.group(1, 2, 3, 4)) for m in pattern.finditer(text)]
    return cast("list[_Head]", found)


def _senders(heads: list[_Head]) -> set[str]:
    """Every sender name (cleaned), for lines like ``Ana:`` with no text.

    A sender precedes the first ``": "`` of a header line (a name never spans lines).
    """
    names = set()
    for *_, rest in heads:
        name, sep, _ = rest.partition(": ")
        if sep and name:
            names.add(name)
    return {_clean_sender(name) for name in names}

"""WhatsApp ``.txt`` chat exports (Android and iOS, many locales)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import AfterValidator, TypeAdapter

from emkit.errors import ParseError
from emkit.interfaces import ChatParser
from emkit.models import ChatExport, ChatMessage, MessageKind, SkippedLine
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
_MESSAGES = TypeAdapter(list[ChatMessage])
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


@dataclass
class _Record:
    line: int
    date: str
    time: str
    ampm: str | None


def _classify(text: str) -> tuple[MessageKind, str, bool]:
    edited = False
    if text.endswith(">"):  # cheap test first: the regexes below are the parser's hot spot
        match = EDITED.search(text)
        if match:
            edited = True
            text = text[: match.start()]
    if len(text) > 80:  # no placeholder or notice is this long
        return MessageKind.TEXT, text.lstrip(_BIDI), edited
    bare = text.strip(_BIDI + " ").casefold()
    if bare in MEDIA_PLACEHOLDERS or (bare.endswith((">", ")")) and ATTACHMENT.match(bare)):
        return MessageKind.MEDIA, "", edited
    if bare in DELETED:
        return MessageKind.DELETED, "", edited
    return MessageKind.TEXT, text.lstrip(_BIDI), edited


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
            tz: IANA zone of the export's wall-clock times (the phone's zone).
        """

        dayfirst: bool | None = None
        tz: TimeZoneName = "UTC"

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
        records: list[_Record] = []
        bodies: list[str] = []
        skipped: list[SkippedLine] = []
        # Find every header with one C-level scan per platform instead of a Python loop over
        # lines; what lies between two headers continues the earlier message (multiline).
        matches = list(_ANDROID_LINES.finditer(text))
        ios = list(_IOS_LINES.finditer(text))
        if ios:
            matches = sorted(matches + ios, key=lambda m: m.start()) if matches else ios
        if not matches:
            raise ParseError(
                path, "not a WhatsApp export: no line starts with a date and a time", line=1
            )
        lineno = 1 + text.count("\n", 0, matches[0].start())
        for offset, line in enumerate(text[: matches[0].start()].split("\n")[:-1]):
            if line.strip():
                skipped.append(SkippedLine(line=offset + 1, reason="text before the first message"))
        count_newlines = text.count
        for i, match in enumerate(matches):
            if i:
                lineno += count_newlines("\n", matches[i - 1].start(), match.start())
            records.append(_Record(lineno, match["date"], match["time"], match["ampm"]))
            body = match["rest"]
            if i + 1 < len(matches):
                following = text[match.end() + 1 : matches[i + 1].start() - 1]
                if matches[i + 1].start() > match.end() + 1:
                    body += "\n" + following
            else:
                # The file's final newline(s) are not part of the last message.
                following = text[match.end() + 1 :].rstrip("\n")
                if following:
                    body += "\n" + following
            bodies.append(body)
        order = self._date_order(path, records)
        zone = zoneinfo.ZoneInfo(self.options.tz)
        senders = set()
        for body in bodies:
            head, sep, _ = body.partition(": ")
            if sep and head and "\n" not in head:
                senders.add(head)
        senders = {_clean_sender(head) for head in senders}
        rows = []
        # Exports repeat the same dates, clock readings and senders many times: parse each once.
        dates: dict[str, dt.date] = {}
        clocks: dict[tuple[str, str | None], dt.time] = {}
        names: dict[str, str] = {}
        utc = zone.key == "UTC"
        for record, body in zip(records, bodies, strict=True):
            day = dates.get(record.date)
            if day is None:
                day = dates[record.date] = self._date(path, record, order)
            clock = clocks.get((record.time, record.ampm))
            if clock is None:
                clock = clocks[(record.time, record.ampm)] = self._time(path, record)
            if utc:
                sent_at = dt.datetime.combine(day, clock, tzinfo=dt.UTC)
            else:
                try:
                    sent_at = dt.datetime.combine(day, clock, tzinfo=zone).astimezone(dt.UTC)
                except OverflowError:
                    raise ParseError(
                        path, f"date {record.date!r} is out of range", line=record.line
                    ) from None
            head, sep, tail = body.partition(": ")
            sender: str | None
            if sep and head and "\n" not in head:
                sender = names.get(head)
                if sender is None:
                    sender = names[head] = _clean_sender(head)
                kind, content, edited = _classify(tail)
            elif body.endswith(":") and _clean_sender(body[:-1]) in senders:
                sender, kind, content, edited = (
                    _clean_sender(body[:-1]),
                    MessageKind.TEXT,
                    "",
                    False,
                )
            else:
                sender, kind, content, edited = None, MessageKind.SYSTEM, body.strip(_BIDI), False
            rows.append(
                {
                    "sent_at": sent_at,
                    "sender": sender,
                    "text": content,
                    "kind": kind,
                    "line": record.line,
                    "edited": edited,
                }
            )
        messages = _MESSAGES.validate_python(rows)
        return ChatExport(source=str(path), format=self.name, messages=messages, skipped=skipped)

    def _date_order(self, path: Path, records: list[_Record]) -> str:
        """``"ymd"``, ``"dmy"`` or ``"mdy"`` for the whole file."""
        first = records[0].date
        if len(_FIELDS.split(first)[0]) == 4:
            return "ymd"
        if self.options.dayfirst is not None:
            return "dmy" if self.options.dayfirst else "mdy"
        pairs = []
        seen: set[str] = set()
        for record in records:
            if record.date in seen:
                continue
            seen.add(record.date)
            a, b, c = (int(x) for x in _FIELDS.split(record.date))
            pairs.append((a, b, c))
        day_first_possible = all(b <= 12 for _, b, _ in pairs)
        month_first_possible = all(a <= 12 for a, _, _ in pairs)
        if day_first_possible and not month_first_possible:
            return "dmy"
        if month_first_possible and not day_first_possible:
            return "mdy"
        if not day_first_possible and not month_first_possible:
            bad = next(r for r in records if int(_FIELDS.split(r.date)[1]) > 12)
            raise ParseError(
                path,
                f"dates are neither all day-first nor all month-first (e.g. {bad.date!r}); "
                "pass dayfirst / --dayfirst or --monthfirst",
                line=bad.line,
            )

        # Ambiguous (every field <= 12): the order under which dates run forward wins.
        def backwards(order: str) -> int:
            keys = [(c, b, a) if order == "dmy" else (c, a, b) for a, b, c in pairs]
            return sum(later < earlier for earlier, later in itertools.pairwise(keys))

        return "mdy" if backwards("mdy") < backwards("dmy") else "dmy"

    @staticmethod
    def _date(path: Path, record: _Record, order: str) -> dt.date:
        a, b, c = (int(x) for x in _FIELDS.split(record.date))
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
                path, f"impossible date {record.date!r} read as {order}: {exc}", line=record.line
            ) from None

    @staticmethod
    def _time(path: Path, record: _Record) -> dt.time:
        fields = [int(x) for x in _CLOCK_FIELDS.split(record.time)]
        hour, minute = fields[0], fields[1]
        second = fields[2] if len(fields) > 2 else 0
        if record.ampm is not None:
            if not 1 <= hour <= 12:
                raise ParseError(
                    path, f"hour {hour} is impossible on a 12-hour clock", line=record.line
                )
            pm = record.ampm.strip()[0] in "pP"
            hour = hour % 12 + (12 if pm else 0)
        try:
            return dt.time(hour, minute, second)
        except ValueError as exc:
            raise ParseError(
                path, f"impossible time {record.time!r}: {exc}", line=record.line
            ) from None

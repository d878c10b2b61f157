"""From a parsed export to a pseudonymised patient directory."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, Field

from emkit.dataset import PatientMetadata, UtcOffsetSpan, read_events, write_patient
from emkit.errors import EmkitError, ParseError
from emkit.models import ChatExport, ChatMessage, DayMessage, MessageKind

__all__ = [
    "ParseSummary",
    "Pseudonymiser",
    "SenderNotFoundError",
    "export_to_patient",
    "find_sender",
]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# At least 9 digits, optionally +, with spaces, dots, dashes or brackets between them: phone
# numbers, but not times (12:30) nor most dates (12/01/2024, 12.01.24).
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d(?:[\s\u00a0().-]{0,2}\d){8,14}(?!\w)")
_NAME_TOKEN = re.compile(r"[^\W\d_]{3,}")
_REPEATED_LABEL = re.compile(r"(\[(?:participante_\d+|paciente)\])(?:\s+\1)+")


class SenderNotFoundError(EmkitError):
    """The requested sender is missing or matches nobody; the message lists who wrote what.

    Args:
        source: The export file.
        sender: The name that was asked for (``None`` when none was given).
        senders: Message count per sender in the export.
    """

    def __init__(self, source: str, sender: str | None, senders: dict[str, int]) -> None:
        self.senders = senders
        listing = ", ".join(f"{name!r} ({count} messages)" for name, count in senders.items())
        asked = "no --sender given" if sender is None else f"no sender matches {sender!r}"
        super().__init__(f"{source}: {asked}; senders in this export: {listing or '(none)'}")


class Pseudonymiser:
    """Removes other people's names, phone numbers and e-mail addresses from text.

    Names are replaced as whole words, case-insensitively: each participant's full display
    name and each of its words of three letters or more. Other participants become
    ``[participante_N]`` (N by message count), the patient's own name ``[paciente]``, phone
    numbers (9+ digits) ``[teléfono]`` and e-mail addresses ``[email]``.

    Args:
        others: Display names of the other participants, most active first.
        patient: The patient's own display name, or ``None``.
    """

    def __init__(self, others: Iterable[str], patient: str | None = None) -> None:
        replacements: dict[str, str] = {}
        people = [(name, f"[participante_{i}]") for i, name in enumerate(others, start=1)]
        if patient is not None:
            people.insert(0, (patient, "[paciente]"))
        for name, label in people:
            for variant in [name, *_NAME_TOKEN.findall(name)]:
                replacements.setdefault(variant.casefold(), label)
        self.replacements = replacements
        alternatives = sorted(replacements, key=len, reverse=True)
        self._names = (
            re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(a) for a in alternatives) + r")(?!\w)", re.I
            )
            if alternatives
            else None
        )

    def __call__(self, text: str) -> tuple[str, int]:
        """``text`` pseudonymised, and how many replacements were made."""
        count = 0
        text, n = _EMAIL.subn("[email]", text)
        count += n
        text, n = _PHONE.subn("[teléfono]", text)
        count += n
        if self._names is not None:
            names = self._names
            text, n = names.subn(lambda m: self.replacements[m.group().casefold()], text)
            count += n
            if n > 1:  # "María José" -> one label, not two
                text = _REPEATED_LABEL.sub(r"\1", text)
        return text, count


class ParseSummary(BaseModel):
    """What ``emkit parse`` did (its ``--json`` output).

    Attributes:
        source: The export file.
        format: The parser used.
        patient_id: The pseudonymous id written.
        out: The patient directory written.
        messages: Text messages of the patient kept.
        days: Days with at least one kept message.
        first_day: First local day with a kept message.
        last_day: Last local day with a kept message.
        media: Media messages of the patient (counted, not kept).
        deleted: Deleted messages of the patient (counted, not kept).
        other_messages: Messages of other participants (dropped).
        system_lines: System lines (dropped).
        participants: Number of other participants (names never written).
        redactions: Names, phone numbers and e-mails replaced in the kept text.
        skipped: Source lines the parser could not use, with the reason.
    """

    source: str
    format: str
    patient_id: str
    out: str
    messages: int
    days: int
    first_day: dt.date | None
    last_day: dt.date | None
    media: int
    deleted: int
    other_messages: int
    system_lines: int
    participants: int
    redactions: int
    skipped: list[dict[str, int | str]] = Field(default_factory=list)


def _zone(tz: str | None) -> zoneinfo.ZoneInfo | None:
    """The zone named ``tz`` (``None`` for none).

    Raises:
        EmkitError: when ``tz`` is not a known IANA zone.
    """
    if tz is None:
        return None
    try:
        return zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise EmkitError(
            f"unknown time zone {tz!r} (use an IANA name like Europe/Madrid)"
        ) from None


def _offset_spans(
    messages: Iterable[ChatMessage], zone: zoneinfo.ZoneInfo | None = None
) -> list[UtcOffsetSpan]:
    """The UTC offsets of ``messages``' local times, as spans of one offset, in time order.

    Local times are each message's own wall clock (:attr:`~emkit.ChatMessage.local_sent_at`;
    messages whose ``utc_offset`` is unknown are left out) or, with ``zone``, the instants in
    that zone. A new span starts whenever the offset changes (daylight saving).
    """
    timeline = []
    for message in messages:
        if zone is not None:
            local = message.sent_at.astimezone(zone)
        elif message.utc_offset is not None:
            local = message.local_sent_at
        else:
            continue
        offset = local.utcoffset()
        if offset is not None:
            timeline.append((message.sent_at, local.replace(tzinfo=None), offset))
    timeline.sort(key=lambda item: item[0])
    spans: list[UtcOffsetSpan] = []
    start = 0
    for i in range(1, len(timeline) + 1):
        if i == len(timeline) or timeline[i][2] != timeline[start][2]:
            spans.append(
                UtcOffsetSpan(
                    start=timeline[start][1],
                    end=timeline[i - 1][1],
                    offset_minutes=int(timeline[start][2].total_seconds()) // 60,
                )
            )
            start = i
    return spans


def find_sender(export: ChatExport, sender: str | None) -> str:
    """The sender of ``export`` named ``sender`` (exact, else case- and space-insensitive).

    Raises:
        SenderNotFoundError: when ``sender`` is ``None`` or matches nobody, listing the senders
            and their message counts.
    """
    senders = export.senders()
    if sender is not None:
        if sender in senders:
            return sender
        wanted = " ".join(sender.split()).casefold()
        matches = [s for s in senders if " ".join(s.split()).casefold() == wanted]
        if len(matches) == 1:
            return matches[0]
    raise SenderNotFoundError(export.source, sender, senders)


def export_to_patient(
    export: ChatExport,
    *,
    sender: str | None,
    patient_id: str,
    out: Path | str,
    tz: str | None = None,
    overwrite: bool = False,
) -> ParseSummary:
    """Write the messages ``sender`` wrote in ``export`` as patient ``patient_id`` in ``out``.

    Only that participant's text messages are kept, placed on local days and pseudonymised
    (:class:`Pseudonymiser`). Local days and times are each message's own wall clock
    (:attr:`~emkit.ChatMessage.local_sent_at`: the exporting device's clock for Telegram, the
    exported one for WhatsApp) or, with ``tz``, its instant converted to that zone. The UTC
    offsets of the stored times, where known, go to ``metadata.json``
    (:attr:`~emkit.PatientMetadata.utc_offsets`). The observation period is the span of the
    whole export. An ``events.csv`` already in ``out`` is kept, as are the anonymised fields of
    an existing ``metadata.json``.

    Args:
        export: A parsed export.
        sender: Display name of the patient in the export.
        patient_id: Pseudonymous id (the directory name).
        out: The patient directory (its name must be ``patient_id``).
        tz: IANA zone of the patient's local days; ``None`` for the export's own wall clock.
        overwrite: Replace an existing patient directory.

    Returns:
        A summary of what was written and dropped.

    Raises:
        SenderNotFoundError: when ``sender`` is missing or unknown.
        EmkitError: when ``out`` exists (without ``overwrite``) or ``tz`` is unknown.
    """
    out = Path(out)
    zone = _zone(tz)
    patient = find_sender(export, sender)
    others = [name for name in export.senders() if name != patient]
    pseudonymise = Pseudonymiser(others, patient)
    days: dict[dt.date, list[DayMessage]] = {}
    counts: Counter[str] = Counter()
    redactions = 0
    all_days: list[dt.date] = []
    for message in export.messages:
        local = message.local_sent_at if zone is None else message.sent_at.astimezone(zone)
        all_days.append(local.date())
        if message.sender is None:
            counts["system"] += 1
        elif message.sender != patient:
            counts["other"] += 1
        elif message.kind == MessageKind.MEDIA:
            counts["media"] += 1
        elif message.kind == MessageKind.DELETED:
            counts["deleted"] += 1
        elif message.kind == MessageKind.TEXT:
            text, n = pseudonymise(message.text)
            redactions += n
            days.setdefault(local.date(), []).append(
                DayMessage(time=local.time().replace(tzinfo=None, microsecond=0), text=text)
            )
    existing = {}
    if (out / "metadata.json").exists():
        from emkit.dataset import read_patient

        try:
            previous = read_patient(out).metadata
            existing = previous.model_dump(
                include={"sex", "birth_year", "diagnosis_year", "ms_type", "language"}
            )
        except ParseError:
            existing = {}
    metadata = PatientMetadata(
        patient_id=patient_id,
        timezone=tz,
        source=export.format,
        observation_start=min(all_days) if all_days else None,
        observation_end=max(all_days) if all_days else None,
        utc_offsets=_offset_spans(export.messages, zone),
        **existing,
    )
    events = read_events(out / "events.csv") if (out / "events.csv").exists() else []
    write_patient(out, metadata, events=events, days=days, overwrite=overwrite)
    kept = sum(len(v) for v in days.values())
    return ParseSummary(
        source=export.source,
        format=export.format,
        patient_id=patient_id,
        out=str(out),
        messages=kept,
        days=len(days),
        first_day=min(days) if days else None,
        last_day=max(days) if days else None,
        media=counts["media"],
        deleted=counts["deleted"],
        other_messages=counts["other"],
        system_lines=counts["system"],
        participants=len(others),
        redactions=redactions,
        skipped=[{"line": s.line, "reason": s.reason} for s in export.skipped],
    )

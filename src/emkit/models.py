"""Data models exchanged by emkit's interfaces.

Instants are timezone-aware and normalised to UTC; a *day of messages* is a local calendar date
with local wall-clock times, because that is how a patient lives their day. A chat message keeps
both: its instant (``sent_at``) and, when the export says, the offset of the sender's wall clock
(``utc_offset``), so that its local day and time are exact across daylight-saving changes.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

#: Index levels of every per-day feature or label frame.
FEATURE_INDEX: tuple[str, str] = ("patient_id", "date")

_DAY = dt.timedelta(days=1)


class MessageKind(StrEnum):
    """What a chat line is."""

    TEXT = "text"
    MEDIA = "media"
    SYSTEM = "system"
    DELETED = "deleted"


class ChatMessage(BaseModel):
    """One message of a chat export.

    Attributes:
        sent_at: When it was sent (UTC).
        utc_offset: Offset from UTC of the wall clock the export shows for this message (the
            exporting device's clock; one offset per message, so a daylight-saving change
            inside an export is kept), or of the zone the parser was given. ``None`` when
            neither says: then ``sent_at`` is the exported wall clock read as UTC (WhatsApp
            without ``tz``). Between -24 h and +24 h, exclusive.
        sender: Display name as written in the export; ``None`` for system lines.
        text: Message text (empty for media and deleted messages).
        kind: Text, media placeholder, system line or deleted message.
        line: 1-based line (or message index for JSON exports) in the source file.
        edited: The message was edited after sending.
        forwarded: The message was forwarded from elsewhere.
    """

    model_config = ConfigDict(frozen=True)

    sent_at: AwareDatetime
    sender: str | None
    text: str
    kind: MessageKind = MessageKind.TEXT
    line: int | None = None
    edited: bool = False
    forwarded: bool = False
    utc_offset: dt.timedelta | None = None

    @field_validator("sent_at")
    @classmethod
    def _to_utc(cls, value: dt.datetime) -> dt.datetime:
        return value.astimezone(dt.UTC)

    @field_validator("utc_offset")
    @classmethod
    def _real_offset(cls, value: dt.timedelta | None) -> dt.timedelta | None:
        if value is not None and not -_DAY < value < _DAY:
            raise ValueError(f"a UTC offset lies strictly between -24 h and +24 h (got {value})")
        return value

    @property
    def local_sent_at(self) -> dt.datetime:
        """When it was sent on the sender's wall clock, as an aware datetime.

        ``sent_at`` in the fixed zone ``utc_offset``; ``sent_at`` itself (UTC) when the offset
        is unknown, which for WhatsApp without ``tz`` is the exported wall clock. Its date and
        time are the message's local day and time.
        """
        if self.utc_offset is None:
            return self.sent_at
        return self.sent_at.astimezone(dt.timezone(self.utc_offset))


class SkippedLine(BaseModel):
    """A source line a parser did not turn into a message, and why."""

    model_config = ConfigDict(frozen=True)

    line: int
    reason: str


class ChatExport(BaseModel):
    """The result of parsing one export file."""

    source: str
    format: str
    messages: list[ChatMessage]
    skipped: list[SkippedLine] = Field(default_factory=list)

    def senders(self) -> dict[str, int]:
        """Message count per sender (system lines excluded), most active first."""
        counts: dict[str, int] = {}
        for message in self.messages:
            if message.sender is not None:
                counts[message.sender] = counts.get(message.sender, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


class DayMessage(BaseModel):
    """A message inside a patient's day: local wall-clock time and text."""

    model_config = ConfigDict(frozen=True)

    time: dt.time
    text: str


class PatientDay(BaseModel):
    """All messages one patient wrote on one local calendar day (possibly none)."""

    model_config = ConfigDict(frozen=True)

    patient_id: str
    date: dt.date
    messages: tuple[DayMessage, ...] = ()

    @property
    def n_messages(self) -> int:
        """Number of messages that day."""
        return len(self.messages)

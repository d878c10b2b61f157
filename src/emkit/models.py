"""Data models exchanged by emkit's interfaces.

Instants are timezone-aware and normalised to UTC; a *day of messages* is a local calendar date
with local wall-clock times, because that is how a patient lives their day.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

#: Index levels of every per-day feature or label frame.
FEATURE_INDEX: tuple[str, str] = ("patient_id", "date")


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

    @field_validator("sent_at")
    @classmethod
    def _to_utc(cls, value: dt.datetime) -> dt.datetime:
        return value.astimezone(dt.UTC)


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

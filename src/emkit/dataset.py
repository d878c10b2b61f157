r"""The patient dataset on disk: messages per local day, clinical events and metadata.

Layout of one patient directory (a *cohort* directory holds one such directory per patient)::

    <patient_id>/messages/YYYY-MM-DD.txt   one message per line: "HH:MM:SS<TAB>text"
    <patient_id>/events.csv                date,event_type,severity,notes
    <patient_id>/metadata.json             PatientMetadata (pseudonymous id, anonymised fields)

Message files are lossless. Each line is the local wall-clock time, a tab, and the message text
with four escapes: a backslash is written ``\\\\``, a newline ``\\n``, a carriage return ``\\r``
and a tab ``\\t``. Lines are in time order; messages with the same time keep their order.

The module is longer than most (about 500 lines) because it is the whole format: the readers and
the writer of each file sit side by side, so that a change to one is seen next to the other and
the round trip stays lossless.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NaiveDatetime,
    ValidationError,
    field_validator,
)

from _sdk import atomic_write_text
from _sdk.errors import error_field
from emkit.errors import ParseError
from emkit.models import DayMessage, PatientDay

__all__ = [
    "EVENTS_COLUMNS",
    "RELAPSE",
    "ClinicalEvent",
    "Patient",
    "PatientMetadata",
    "UtcOffsetSpan",
    "decode_message_line",
    "encode_message_line",
    "read_cohort",
    "read_day_messages",
    "read_events",
    "read_patient",
    "write_patient",
]

#: ``event_type`` of a relapse onset (the event labels are built from).
RELAPSE = "relapse"
#: Header of ``events.csv``.
EVENTS_COLUMNS: tuple[str, str, str, str] = ("date", "event_type", "severity", "notes")

_MESSAGE_FILE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\.txt$")
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNESCAPES = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t"}
_NEEDS_ESCAPE = re.compile(r"[\\\n\r\t]")
_ESCAPE_SEQUENCE = re.compile(r"\\(.?)", re.S)
_PATIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ClinicalEvent(BaseModel):
    """One row of ``events.csv``.

    Attributes:
        date: Local calendar date of the event (for a relapse: its onset).
        event_type: ``"relapse"`` for a relapse onset; any other type (visit, MRI, treatment
            change...) is kept but does not drive labels.
        severity: Free text such as ``leve`` / ``moderada`` / ``grave``; ``None`` when empty.
        notes: Free-text notes (pseudonymised).
    """

    model_config = ConfigDict(frozen=True)

    date: dt.date
    event_type: str = Field(min_length=1)
    severity: str | None = None
    notes: str = ""

    @field_validator("event_type")
    @classmethod
    def _normalise_type(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("severity", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value


class UtcOffsetSpan(BaseModel):
    """A stretch of an export during which its local times kept one offset from UTC.

    A daylight-saving change (or a trip) starts a new span. ``start`` and ``end`` are local
    wall-clock times as stored in ``messages/``; the instant of a stored time ``t`` inside the
    span is ``t - offset_minutes``.

    Attributes:
        start: Local time of the first message (of any participant) with this offset.
        end: Local time of the last message with this offset.
        offset_minutes: The offset, in minutes east of UTC (Madrid: 60 in winter, 120 in
            summer).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: NaiveDatetime
    end: NaiveDatetime
    offset_minutes: int = Field(ge=-1439, le=1439)


class PatientMetadata(BaseModel):
    """Anonymised information about a patient (``metadata.json``).

    Nothing here identifies a person: the id is a pseudonym and other fields are coarse.

    Attributes:
        patient_id: Pseudonymous id, also the patient directory's name.
        sex: ``"F"``, ``"M"`` or ``None``.
        birth_year: Year of birth (a year only, never a date).
        diagnosis_year: Year of the multiple-sclerosis diagnosis.
        ms_type: Course of the disease, e.g. ``"RRMS"``.
        timezone: IANA zone of the patient's local times (messages are stored in local time);
            ``None`` when they are the chat export's own wall clock (``emkit parse`` without
            ``--tz``), whose offsets ``utc_offsets`` gives when the export states them.
        language: Main language of the messages (BCP 47, e.g. ``"es"``).
        source: Where the messages come from, e.g. ``"whatsapp"`` or ``"synthetic"``.
        observation_start: First day of observation; defaults to the first day with data.
        observation_end: Last day of observation; defaults to the last day with data.
        utc_offsets: The UTC offsets of the stored local times, span by span in time order
            (written by ``emkit parse``; empty when unknown, e.g. a WhatsApp export without
            ``--tz``, and in files written before the field existed).
    """

    model_config = ConfigDict(extra="forbid")

    patient_id: str
    sex: str | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    diagnosis_year: int | None = Field(default=None, ge=1900, le=2100)
    ms_type: str | None = None
    timezone: str | None = "UTC"
    language: str = "es"
    source: str | None = None
    observation_start: dt.date | None = None
    observation_end: dt.date | None = None
    utc_offsets: list[UtcOffsetSpan] = Field(default_factory=list)

    @field_validator("patient_id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _PATIENT_ID.match(value):
            raise ValueError(
                "patient_id must be 1-64 letters, digits, '_', '-' or '.', starting with a "
                f"letter or digit (got {value!r})"
            )
        return value


def encode_message_line(time: dt.time, text: str) -> str:
    """One line of a message file (without the final newline): ``HH:MM:SS<TAB>escaped text``."""
    if _NEEDS_ESCAPE.search(text):
        text = _NEEDS_ESCAPE.sub(lambda m: _ESCAPES[m.group()], text)
    return f"{time.strftime('%H:%M:%S')}\t{text}"


def decode_message_line(line: str, *, path: Path | str = "<string>", lineno: int = 1) -> DayMessage:
    """Inverse of :func:`encode_message_line`.

    Raises:
        ParseError: naming ``path`` and ``lineno`` for a bad time or an unknown escape.
    """
    time_text, sep, text = line.partition("\t")
    if not sep:
        raise ParseError(path, "expected 'HH:MM:SS<TAB>text'", line=lineno, column=1)
    try:
        time = dt.time.fromisoformat(time_text)
    except ValueError:
        raise ParseError(
            path, f"bad time {time_text!r} (expected HH:MM:SS)", line=lineno, column=1
        ) from None
    if "\\" in text:

        def unescape(match: re.Match[str]) -> str:
            code = match.group(1)
            if code not in _UNESCAPES:
                column = len(time_text) + 2 + match.start()
                raise ParseError(
                    path,
                    f"unknown escape '\\{code}' (use \\\\, \\n, \\r, \\t)",
                    line=lineno,
                    column=column,
                )
            return _UNESCAPES[code]

        text = _ESCAPE_SEQUENCE.sub(unescape, text)
    return DayMessage(time=time, text=text)


def read_day_messages(path: Path) -> list[DayMessage]:
    """Messages of one ``messages/YYYY-MM-DD.txt`` file, in file order.

    Raises:
        ParseError: naming the file and line of a malformed line.
    """
    raw = _read_text(path)
    messages = []
    for lineno, line in enumerate(raw.split("\n"), start=1):
        if line == "":
            continue  # the file's final newline
        messages.append(decode_message_line(line, path=path, lineno=lineno))
    return messages


def read_events(path: Path) -> list[ClinicalEvent]:
    """Events of an ``events.csv`` file (missing file: no events), sorted by date.

    Raises:
        ParseError: naming the file, line and column of a bad header or value.
    """
    if not path.exists():
        return []
    reader = csv.reader(io.StringIO(_read_text(path), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return []
        header = [h.strip().lower() for h in header]
        missing = [c for c in ("date", "event_type") if c not in header]
        if missing:
            raise ParseError(
                path,
                f"missing column(s) {missing}; expected header {','.join(EVENTS_COLUMNS)}",
                line=1,
            )
        events = []
        for row in reader:
            lineno = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                raise ParseError(
                    path,
                    f"{len(row)} fields, header has {len(header)}",
                    line=lineno,
                    column=len(header) + 1,
                )
            record = dict(zip(header, row, strict=False))
            try:
                events.append(ClinicalEvent.model_validate(record))
            except ValidationError as exc:
                err = exc.errors()[0]
                field = str(err["loc"][0]) if err["loc"] else None
                raise ParseError(
                    path, f"{err['msg']} (got {err.get('input')!r})", line=lineno, column=field
                ) from None
    except csv.Error as exc:
        raise ParseError(path, f"bad CSV: {exc}", line=reader.line_num) from None
    return sorted(events, key=lambda e: e.date)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(path, f"cannot read: {exc.strerror or exc}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseError(
            path, "not valid UTF-8 (write dataset files as UTF-8)", line=line
        ) from None


def _read_metadata(path: Path) -> PatientMetadata:
    file = path / "metadata.json"
    if not file.exists():
        return PatientMetadata(patient_id=path.name)
    try:
        data = json.loads(_read_text(file))
    except json.JSONDecodeError as exc:
        raise ParseError(
            file, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from None
    try:
        metadata = PatientMetadata.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = error_field(err) or None
        raise ParseError(file, f"{err['msg']} (got {err.get('input')!r})", column=field) from None
    if metadata.patient_id != path.name:
        raise ParseError(
            file,
            f"patient_id {metadata.patient_id!r} does not match the directory name {path.name!r}",
            column="patient_id",
        )
    return metadata


class Patient:
    """One patient directory, read lazily: events and metadata at once, messages on demand.

    Attributes:
        patient_id: The pseudonymous id (the directory's name).
        path: The patient directory.
        metadata: Contents of ``metadata.json``.
        events: Clinical events sorted by date.
    """

    def __init__(
        self,
        path: Path,
        metadata: PatientMetadata,
        events: Sequence[ClinicalEvent],
        messages: Mapping[dt.date, Sequence[DayMessage]] | None = None,
    ) -> None:
        self.path = Path(path)
        self.metadata = metadata
        self.patient_id = metadata.patient_id
        self.events = sorted(events, key=lambda e: e.date)
        if messages is not None:
            self.__dict__["messages"] = {d: list(m) for d, m in sorted(messages.items()) if m}

    def __repr__(self) -> str:
        return f"Patient({self.patient_id!r}, {self.observation_start}..{self.observation_end})"

    @cached_property
    def messages(self) -> dict[dt.date, list[DayMessage]]:
        """Messages per local date (days without messages are absent), read on first use.

        Raises:
            ParseError: naming a malformed message file and line.
        """
        folder = self.path / "messages"
        result: dict[dt.date, list[DayMessage]] = {}
        if not folder.is_dir():
            return result
        for file in sorted(folder.iterdir()):
            match = _MESSAGE_FILE.match(file.name)
            if match is None:
                if file.name.startswith("."):
                    continue
                raise ParseError(file, "message files must be named YYYY-MM-DD.txt")
            try:
                day = dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                raise ParseError(file, "file name is not a valid date") from None
            day_messages = read_day_messages(file)
            if day_messages:
                result[day] = day_messages
        return result

    @property
    def relapse_onsets(self) -> list[dt.date]:
        """Dates of relapse onsets (events of type ``relapse``), sorted and unique."""
        return sorted({e.date for e in self.events if e.event_type == RELAPSE})

    def _data_dates(self) -> list[dt.date]:
        dates = [e.date for e in self.events]
        if self.messages:
            dates += [min(self.messages), max(self.messages)]
        if not dates:
            raise ParseError(
                self.path, "patient has no messages, no events and no observation period"
            )
        return dates

    @property
    def observation_start(self) -> dt.date:
        """First observed day: ``metadata.observation_start`` or the first day with data.

        Raises:
            ParseError: when the patient has neither messages, events nor an explicit period.
        """
        if self.metadata.observation_start is not None:
            return self.metadata.observation_start
        return min(self._data_dates())

    @property
    def observation_end(self) -> dt.date:
        """Last observed day (inclusive): ``metadata.observation_end`` or the last day with data.

        Raises:
            ParseError: when the patient has neither messages, events nor an explicit period.
        """
        if self.metadata.observation_end is not None:
            return self.metadata.observation_end
        return max(self._data_dates())

    def days(self, start: dt.date | None = None, end: dt.date | None = None) -> list[PatientDay]:
        """Every day from ``start`` to ``end`` (inclusive), days without messages included.

        Args:
            start: First day; defaults to :attr:`observation_start`.
            end: Last day; defaults to :attr:`observation_end`.

        Returns:
            One :class:`~emkit.PatientDay` per calendar date, messages in local time order.
        """
        first = start or self.observation_start
        last = end or self.observation_end
        result = []
        day = first
        one = dt.timedelta(days=1)
        while day <= last:
            messages = self.messages.get(day, ())
            ordered = tuple(sorted(messages, key=lambda m: m.time))  # stable: same-time order kept
            result.append(PatientDay(patient_id=self.patient_id, date=day, messages=ordered))
            day += one
        return result


def read_patient(path: Path | str) -> Patient:
    """Read a patient directory (events and metadata now, messages lazily).

    Raises:
        ParseError: naming the file, line and column of anything malformed.
    """
    path = Path(path)
    if not path.is_dir():
        raise ParseError(
            path, "not a patient directory (expected messages/, events.csv, metadata.json)"
        )
    metadata = _read_metadata(path)
    events = read_events(path / "events.csv")
    return Patient(path, metadata, events)


def _looks_like_patient(path: Path) -> bool:
    return any((path / name).exists() for name in ("metadata.json", "events.csv", "messages"))


def read_cohort(path: Path | str) -> list[Patient]:
    """Every patient of a cohort directory (one sub-directory per patient), sorted by id.

    Only sub-directories holding ``metadata.json``, ``events.csv`` or ``messages/`` are
    patients; hidden directories, other folders and plain files (``latent.parquet``...) are
    ignored.

    Raises:
        ParseError: when ``path`` is not a directory, holds no patient, or a patient is malformed.
    """
    path = Path(path)
    if not path.is_dir():
        raise ParseError(path, "cohort directory does not exist")
    patients = [
        read_patient(child)
        for child in sorted(path.iterdir())
        if child.is_dir() and not child.name.startswith(".") and _looks_like_patient(child)
    ]
    if not patients:
        raise ParseError(path, "cohort directory contains no patient directory")
    return sorted(patients, key=lambda p: p.patient_id)


def _events_csv(events: Iterable[ClinicalEvent]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EVENTS_COLUMNS)
    for event in sorted(events, key=lambda e: e.date):
        writer.writerow(
            [event.date.isoformat(), event.event_type, event.severity or "", event.notes]
        )
    return buffer.getvalue()


def _metadata_json(metadata: PatientMetadata) -> str:
    data: dict[str, Any] = metadata.model_dump(mode="json")
    if not data["utc_offsets"]:  # unknown offsets: the file reads as before the field existed
        del data["utc_offsets"]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def write_patient(
    path: Path | str,
    metadata: PatientMetadata,
    *,
    events: Sequence[ClinicalEvent] = (),
    days: Iterable[PatientDay] | Mapping[dt.date, Sequence[DayMessage]] = (),
    overwrite: bool = False,
) -> Patient:
    """Write a patient directory; the directory appears complete or not at all.

    The files are written to a temporary sibling directory that then replaces ``path``, so an
    interrupted run never leaves a half-written patient.

    Args:
        path: The patient directory to create; its name must be ``metadata.patient_id``.
        metadata: Anonymised patient information.
        events: Clinical events for ``events.csv`` (an empty file with its header if none).
        days: Messages per local day, as :class:`~emkit.PatientDay` objects or a mapping from
            date to messages. Days without messages write no file.
        overwrite: Replace an existing directory; otherwise an existing non-empty one is an error.

    Returns:
        The written patient.

    Raises:
        EmkitError: when ``path`` exists and ``overwrite`` is false, or its name is not the id.
    """
    from emkit.errors import EmkitError

    path = Path(path)
    if path.name != metadata.patient_id:
        raise EmkitError(
            f"{path}: the directory name must be the patient id {metadata.patient_id!r}"
        )
    if path.exists() and any(path.iterdir()) and not overwrite:
        raise EmkitError(f"{path} already exists and is not empty (use overwrite / --force)")
    by_date: dict[dt.date, list[DayMessage]] = {}
    if isinstance(days, Mapping):
        for date, messages in days.items():
            by_date.setdefault(date, []).extend(messages)
    else:
        for day in days:
            by_date.setdefault(day.date, []).extend(day.messages)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        messages_dir = staging / "messages"
        messages_dir.mkdir()
        for date in sorted(by_date):
            ordered = sorted(by_date[date], key=lambda m: m.time)
            if not ordered:
                continue
            body = "".join(encode_message_line(m.time, m.text) + "\n" for m in ordered)
            (messages_dir / f"{date.isoformat()}.txt").write_text(body, encoding="utf-8")
        (staging / "events.csv").write_text(_events_csv(events), encoding="utf-8")
        atomic_write_text(staging / "metadata.json", _metadata_json(metadata))
        if path.exists():
            backup = path.parent / f".{path.name}.{staging.name}.old"
            path.rename(backup)
            staging.rename(path)
            shutil.rmtree(backup)
        else:
            staging.rename(path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Patient(path, metadata, events, messages=by_date)

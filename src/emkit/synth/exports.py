"""Writing a synthetic patient's messages as real-looking chat exports.

Each export holds the patient's messages plus what real chats also contain and the parsers
must drop: a relative's replies, system lines, media placeholders and deleted messages.
Times are the patient's local wall-clock times; Android exports carry minutes only.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from _sdk import atomic_write_text
from emkit.models import DayMessage

__all__ = ["EXPORT_VARIANTS", "PATIENT_NAMES", "write_exports"]

#: File names of the exports written for each patient.
EXPORT_VARIANTS: tuple[str, ...] = (
    "whatsapp-android-es.txt",
    "whatsapp-android-en.txt",
    "whatsapp-ios-es.txt",
    "whatsapp-ios-en.txt",
    "telegram-result.json",
)
#: Fictitious display names used for patients in exports.
PATIENT_NAMES = (
    "Lucía Romero",
    "Marta Gil",
    "Elena Sanz",
    "Javier Mora",
    "Irene Vidal",
    "Andrés Pardo",
    "Nuria Calvo",
    "Sergio Lozano",
)
_RELATIVES = ("Rosa Iglesias", "Tomás Herrero", "Pilar Nieto", "Raúl Cano")
_REPLIES = (
    "Vale",
    "Ánimo!",
    "Luego te llamo",
    "Qué bien",
    "Cuídate mucho",
    "Te quiero",
    "Mañana paso por ahí",
    "Ok 👍",
    "Avísame si necesitas algo",
)
_NBSP, _NNBSP = "\u00a0", "\u202f"

_Line = tuple[dt.datetime, str | None, str, str]  # local time, sender, text, kind


def _twelve(hour: int) -> tuple[int, bool]:
    return (hour % 12 or 12), hour >= 12


def _android_es(when: dt.datetime) -> str:
    return f"{when:%d/%m/%y}, {when:%H:%M} - "


def _android_en(when: dt.datetime) -> str:
    hour, pm = _twelve(when.hour)
    return f"{when.month}/{when.day}/{when:%y}, {hour}:{when:%M}{_NNBSP}{'PM' if pm else 'AM'} - "


def _ios_es(when: dt.datetime) -> str:
    hour, pm = _twelve(when.hour)
    suffix = f"p.{_NBSP}m." if pm else f"a.{_NBSP}m."
    return f"[{when.day}/{when.month}/{when:%Y}, {hour}:{when:%M:%S}{_NBSP}{suffix}] "


def _ios_en(when: dt.datetime) -> str:
    return f"[{when:%d/%m/%Y}, {when:%H:%M:%S}] "


_WHATSAPP: dict[str, tuple[Callable[[dt.datetime], str], dict[str, str]]] = {
    "whatsapp-android-es.txt": (
        _android_es,
        {
            "media": "<Multimedia omitido>",
            "deleted": "Se eliminó este mensaje.",
            "system": "Los mensajes y las llamadas están cifrados de extremo a extremo.",
        },
    ),
    "whatsapp-android-en.txt": (
        _android_en,
        {
            "media": "<Media omitted>",
            "deleted": "This message was deleted",
            "system": "Messages and calls are end-to-end encrypted.",
        },
    ),
    "whatsapp-ios-es.txt": (
        _ios_es,
        {
            "media": "\u200eimagen omitida",
            "deleted": "\u200eSe eliminó este mensaje.",
            "system": "\u200eLos mensajes y las llamadas están cifrados de extremo a extremo.",
        },
    ),
    "whatsapp-ios-en.txt": (
        _ios_en,
        {
            "media": "\u200e<attached: 00000042-PHOTO-2024-01-01-10-00-00.jpg>",
            "deleted": "\u200eThis message was deleted.",
            "system": "\u200eMessages and calls are end-to-end encrypted.",
        },
    ),
}


def _conversation(
    days: Mapping[dt.date, Sequence[DayMessage]],
    rng: np.random.Generator,
    patient: str,
    relative: str,
) -> list[_Line]:
    lines: list[_Line] = []
    for date in sorted(days):
        for message in days[date]:
            when = dt.datetime.combine(date, message.time)
            lines.append((when, patient, message.text, "text"))
            if rng.random() < 0.35:
                reply_at = min(
                    when + dt.timedelta(minutes=int(rng.integers(1, 30))),
                    dt.datetime.combine(date, dt.time(23, 59, 59)),
                )
                lines.append(
                    (reply_at, relative, _REPLIES[int(rng.integers(len(_REPLIES)))], "text")
                )
            if rng.random() < 0.04:
                lines.append((when, patient, "", "media"))
            if rng.random() < 0.01:
                lines.append((when, patient, "", "deleted"))
    lines.sort(key=lambda line: line[0])  # stable: a patient's same-second messages keep order
    if lines:
        lines.insert(0, (lines[0][0].replace(second=0), None, "", "system"))
    return lines


def _whatsapp(
    lines: list[_Line], header: Callable[[dt.datetime], str], words: dict[str, str]
) -> str:
    out = []
    for when, sender, text, kind in lines:
        body = text if kind == "text" else words[kind]
        prefix = header(when)
        if prefix.startswith("[") and kind in ("media", "deleted", "system"):
            prefix = "\u200e" + prefix
        out.append(prefix + (body if sender is None else f"{sender}: {body}"))
    return "\n".join(out) + "\n"


def _telegram(lines: list[_Line], zone: zoneinfo.ZoneInfo, patient: str, relative: str) -> str:
    messages: list[dict[str, object]] = []
    ids = {patient: "user1001", relative: "user2002"}
    for number, (when, sender, text, kind) in enumerate(lines, start=1):
        aware = when.replace(tzinfo=zone)
        record: dict[str, object] = {
            "id": number,
            "type": "service" if sender is None else "message",
            "date": when.isoformat(timespec="seconds"),
            "date_unixtime": str(int(aware.timestamp())),
        }
        if sender is None:
            record.update(actor=patient, actor_id=ids[patient], action="create_group", text="")
            messages.append(record)
            continue
        record.update({"from": sender, "from_id": ids[sender]})
        if kind == "media":
            record.update(photo="photos/photo_1.jpg", width=800, height=600, text="")
        elif kind == "deleted":
            continue  # Telegram exports do not contain deleted messages
        elif " muy " in text:
            # Telegram writes formatted text as a list of strings and entities.
            before, after = text.split(" muy ", 1)
            record["text"] = [before + " ", {"type": "bold", "text": "muy"}, " " + after]
        else:
            record["text"] = text
        if number % 97 == 0:
            record["edited"] = record["date"]
            record["edited_unixtime"] = record["date_unixtime"]
        messages.append(record)
    chat = {"name": relative, "type": "personal_chat", "id": 4242, "messages": messages}
    return json.dumps(chat, ensure_ascii=False, indent=1) + "\n"


def write_exports(
    folder: Path,
    days: Mapping[dt.date, Sequence[DayMessage]],
    *,
    seed: int,
    index: int,
    timezone: str = "Europe/Madrid",
) -> dict[str, Path]:
    """Write one patient's messages as every export in :data:`EXPORT_VARIANTS`.

    Args:
        folder: Where the exports go.
        days: The patient's messages per local date.
        seed: Cohort seed (the relative's replies and media lines are deterministic).
        index: Patient index in the cohort.
        timezone: IANA zone of the local times (for Telegram's ``date_unixtime``).

    Returns:
        Export file name to path. The patient's display name is ``PATIENT_NAMES[index % 8]``.
    """
    rng = np.random.default_rng([seed, index, 7])
    patient = PATIENT_NAMES[index % len(PATIENT_NAMES)]
    relative = _RELATIVES[index % len(_RELATIVES)]
    lines = _conversation(days, rng, patient, relative)
    written = {}
    for name, (header, words) in _WHATSAPP.items():
        written[name] = folder / name
        atomic_write_text(folder / name, _whatsapp(lines, header, words))
    name = "telegram-result.json"
    written[name] = folder / name
    atomic_write_text(
        folder / name, _telegram(lines, zoneinfo.ZoneInfo(timezone), patient, relative)
    )
    return written

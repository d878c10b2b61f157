"""Hypothesis strategies for emkit's data models."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from emkit.models import DayMessage, PatientDay

_WORDS = [
    "hoy",
    "estoy",
    "cansada",
    "bien",
    "dolor",
    "piernas",
    "hormigueo",
    "vista",
    "borrosa",
    "mañana",
    "médico",
    "gracias",
    "no",
    "sí",
    "muy",
    "poco",
    "fatiga",
    "😊",
    "😔",
    "!",
    "?",
    "today",
    "tired",
    "fine",
    "walk",
    "café",
    "pastillas",
    "dormí",
    "mal",
]


@st.composite
def message_texts(draw: st.DrawFn) -> str:
    """Short chat messages made of Spanish/English words, emoji and punctuation."""
    words = draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=12))
    return " ".join(words)


@st.composite
def patient_days(
    draw: st.DrawFn,
    patient_id: str = "p001",
    start: dt.date = dt.date(2024, 1, 1),
    min_days: int = 1,
    max_days: int = 12,
    max_messages: int = 5,
) -> list[PatientDay]:
    """Consecutive days of one patient, some without messages, times sorted within a day."""
    n_days = draw(st.integers(min_days, max_days))
    days = []
    for offset in range(n_days):
        n = draw(st.integers(0, max_messages))
        seconds = sorted(draw(st.lists(st.integers(0, 86_399), min_size=n, max_size=n)))
        messages = tuple(
            DayMessage(time=dt.time(s // 3600, (s // 60) % 60, s % 60), text=draw(message_texts()))
            for s in seconds
        )
        days.append(
            PatientDay(
                patient_id=patient_id, date=start + dt.timedelta(days=offset), messages=messages
            )
        )
    return days

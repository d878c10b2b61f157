"""synth -> every export variant -> parse -> the same messages, times and days."""

from __future__ import annotations

import datetime as dt

import pytest

from emkit.dataset import read_patient
from emkit.parsers import export_to_patient, sniff
from emkit.synth import EXPORT_VARIANTS, synthesize_cohort
from emkit.synth.exports import PATIENT_NAMES


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return synthesize_cohort(
        tmp_path_factory.mktemp("rt") / "cohort", patients=2, days=75, seed=3, exports=True
    )


def _messages(patient, minutes_only):
    result = []
    for day in patient.days():
        for message in day.messages:
            time = message.time.replace(second=0) if minutes_only else message.time
            result.append((day.date, time, message.text))
    return result


@pytest.mark.parametrize("variant", EXPORT_VARIANTS)
@pytest.mark.parametrize("index", [0, 1])
def test_roundtrip(cohort, tmp_path, variant, index):
    original = read_patient(cohort / f"p{index + 1:03d}")
    export_file = original.path / "exports" / variant
    parser = sniff(export_file)
    assert parser.name == ("telegram" if variant.endswith(".json") else "whatsapp")
    chat = type(parser)(tz="Europe/Madrid").parse(export_file)
    summary = export_to_patient(
        chat,
        sender=PATIENT_NAMES[index],
        patient_id=original.patient_id,
        out=tmp_path / original.patient_id,
        tz="Europe/Madrid",
    )
    parsed = read_patient(tmp_path / original.patient_id)
    minutes_only = "android" in variant  # Android exports carry no seconds
    assert _messages(parsed, minutes_only) == _messages(original, minutes_only)
    assert summary.redactions == 0
    assert summary.participants == 1
    assert summary.other_messages > 0
    assert summary.media > 0
    assert parsed.observation_start == original.observation_start
    assert any("\n" in text for _, _, text in _messages(parsed, False))  # multiline survived
    if variant.endswith(".txt"):
        assert summary.deleted > 0
    assert parsed.observation_end <= original.observation_end
    assert parsed.observation_end >= original.observation_end - dt.timedelta(days=7)

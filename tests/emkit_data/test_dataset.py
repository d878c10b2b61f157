"""The patient dataset: lossless message files, events.csv, metadata.json, cohorts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import emkit
from emkit.dataset import (
    ClinicalEvent,
    PatientMetadata,
    decode_message_line,
    encode_message_line,
    read_cohort,
    read_patient,
    write_patient,
)
from emkit.testing import patient_days


@given(
    time=st.times().map(lambda t: t.replace(microsecond=0)),
    text=st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
)
def test_message_line_roundtrip_is_lossless(time, text):
    line = encode_message_line(time, text)
    assert "\n" not in line
    assert "\r" not in line
    assert line.count("\t") == 1
    message = decode_message_line(line)
    assert (message.time, message.text) == (time, text)


def test_escaping_is_documented_form():
    line = encode_message_line(dt.time(9, 5), "a\\b\nc\td\re")
    assert line == "09:05:00\ta\\\\b\\nc\\td\\re"


def test_bad_message_lines_name_file_line_and_column(tmp_path):
    path = tmp_path / "p001" / "messages" / "2024-01-01.txt"
    path.parent.mkdir(parents=True)
    path.write_text("09:00:00\tbien\n25:00:00\tmal\n", encoding="utf-8")
    with pytest.raises(emkit.ParseError, match=r"2024-01-01.txt, line 2, column 1: bad time"):
        _ = read_patient(tmp_path / "p001").messages
    path.write_text("09:00:00\tbien \\x\n", encoding="utf-8")
    with pytest.raises(emkit.ParseError, match=r"line 1, column 15: unknown escape"):
        _ = read_patient(tmp_path / "p001").messages


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days=patient_days(max_days=8))
def test_write_then_read_patient_roundtrip(tmp_path_factory, days):
    root = tmp_path_factory.mktemp("cohort")
    metadata = PatientMetadata(
        patient_id="p001", observation_start=days[0].date, observation_end=days[-1].date
    )
    events = [
        ClinicalEvent(date=days[0].date, event_type="Relapse", severity="leve", notes='a, "b"')
    ]
    write_patient(root / "p001", metadata, events=events, days=days)
    patient = read_patient(root / "p001")
    assert patient.days() == days
    assert patient.events == [events[0].model_copy(update={"event_type": "relapse"})]
    assert patient.relapse_onsets == [days[0].date]
    assert [p.patient_id for p in read_cohort(root)] == ["p001"]


def test_days_include_empty_days_and_default_period(tmp_path):
    msgs = {
        dt.date(2024, 1, 1): [
            emkit.DayMessage(time=dt.time(22), text="b"),
            emkit.DayMessage(time=dt.time(8), text="a"),
        ],
        dt.date(2024, 1, 4): [emkit.DayMessage(time=dt.time(9), text="c")],
    }
    write_patient(
        tmp_path / "p002",
        PatientMetadata(patient_id="p002"),
        days=msgs,
        events=[ClinicalEvent(date=dt.date(2024, 1, 6), event_type="consulta")],
    )
    patient = read_patient(tmp_path / "p002")
    assert (patient.observation_start, patient.observation_end) == (
        dt.date(2024, 1, 1),
        dt.date(2024, 1, 6),
    )
    days = patient.days()
    assert [d.n_messages for d in days] == [2, 0, 0, 1, 0, 0]
    assert [m.text for m in days[0].messages] == ["a", "b"]
    assert [d.date for d in patient.days(dt.date(2024, 1, 3), dt.date(2024, 1, 4))] == [
        dt.date(2024, 1, 3),
        dt.date(2024, 1, 4),
    ]
    assert patient.relapse_onsets == []


def test_write_patient_refuses_to_overwrite_and_is_atomic(tmp_path):
    meta = PatientMetadata(patient_id="p003")
    write_patient(
        tmp_path / "p003",
        meta,
        days={dt.date(2024, 1, 1): [emkit.DayMessage(time=dt.time(1), text="x")]},
    )
    with pytest.raises(emkit.EmkitError, match="already exists"):
        write_patient(tmp_path / "p003", meta)
    write_patient(tmp_path / "p003", meta, overwrite=True)
    assert not (tmp_path / "p003" / "messages" / "2024-01-01.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["p003"]  # no staging leftovers
    with pytest.raises(emkit.EmkitError, match="must be the patient id"):
        write_patient(tmp_path / "other", meta)


@pytest.mark.parametrize(
    ("csv_text", "match"),
    [
        (
            "date,event_type,severity,notes\n2024-01-01,relapse,leve,\n2024-13-01,relapse,,\n",
            r"events.csv, line 3, column date: .*2024-13-01",
        ),
        ("fecha,tipo\n2024-01-01,relapse\n", r"line 1: missing column"),
        ("date,event_type,severity,notes\n2024-01-01,,leve,\n", r"line 2, column event_type"),
        ("date,event_type,severity,notes\n2024-01-01,relapse,leve,a,b\n", r"line 2, column 5"),
    ],
)
def test_events_csv_errors_name_line_and_column(tmp_path, csv_text, match):
    (tmp_path / "p001").mkdir()
    (tmp_path / "p001" / "events.csv").write_text(csv_text, encoding="utf-8")
    with pytest.raises(emkit.ParseError, match=match):
        read_patient(tmp_path / "p001")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ('{"patient_id": "p001", "birth_year": "viejo"}', "column birth_year"),
        ('{"patient_id": "p001", "name": "Ana"}', "column name: Extra inputs"),
        ('{"patient_id": "p009"}', "does not match the directory"),
        ('{"patient_id": "p001",', "line 1, column 23: invalid JSON"),
    ],
)
def test_metadata_errors(tmp_path, content, match):
    (tmp_path / "p001").mkdir()
    (tmp_path / "p001" / "metadata.json").write_text(content, encoding="utf-8")
    with pytest.raises(emkit.ParseError, match=match):
        read_patient(tmp_path / "p001")


def test_read_cohort_sorted_and_errors(tmp_path):
    for pid in ["p010", "p002"]:
        write_patient(tmp_path / pid, PatientMetadata(patient_id=pid))
    (tmp_path / "latent.parquet").write_bytes(b"")
    (tmp_path / "feature-store").mkdir()  # other folders in a cohort are not patients
    assert [p.patient_id for p in read_cohort(tmp_path)] == ["p002", "p010"]
    with pytest.raises(emkit.ParseError, match="no patient directory"):
        read_cohort(tmp_path / "p002" / "messages")
    with pytest.raises(emkit.ParseError, match="does not exist"):
        read_cohort(tmp_path / "missing")
    empty = read_patient(tmp_path / "p002")
    with pytest.raises(emkit.ParseError, match="no messages, no events"):
        _ = empty.observation_start
    assert json.loads((tmp_path / "p002" / "metadata.json").read_text())["patient_id"] == "p002"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=st.text(max_size=200),
    metadata=st.text(max_size=80),
    messages=st.binary(max_size=120),
)
def test_fuzz_dataset_files_raise_only_parse_error(tmp_path_factory, events, metadata, messages):
    folder = tmp_path_factory.mktemp("fuzz") / "p001"
    (folder / "messages").mkdir(parents=True)
    (folder / "events.csv").write_text(events, encoding="utf-8")
    if metadata:
        (folder / "metadata.json").write_text(metadata, encoding="utf-8")
    (folder / "messages" / "2024-01-01.txt").write_bytes(messages)
    message = str(folder)
    try:
        read_patient(folder).days()
    except emkit.ParseError as exc:
        message = str(exc)
    assert str(folder) in message

"""Chat exports in local time: Telegram's wall clock and offsets, WhatsApp's wall clock.

Telegram Desktop writes ``date`` as the exporting device's wall clock and ``date_unixtime`` as
the instant; the patient's days are the wall clock's. Europe/Madrid changed clocks on
2024-03-31 (02:00 CET -> 03:00 CEST, at 01:00 UTC) and on 2024-10-27 (03:00 CEST -> 02:00 CET,
at 01:00 UTC, so 02:00-02:59 happened twice).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import pickle

import pytest

import emkit
from emkit.dataset import read_patient
from emkit.parsers import TelegramParser, WhatsAppParser, export_to_patient

HOUR = dt.timedelta(hours=1)


def _unix(*args: int) -> str:
    return str(int(dt.datetime(*args, tzinfo=dt.UTC).timestamp()))


def _message(index: int, date: str | None, unix: str | None, text: str, sender="Ana") -> dict:
    raw: dict = {"id": index, "type": "message", "from": sender, "text": text}
    if date is not None:
        raw["date"] = date
    if unix is not None:
        raw["date_unixtime"] = unix
    return raw


def _export(tmp_path, *messages: dict):
    path = tmp_path / "result.json"
    chat = {"name": "Rosa", "type": "personal_chat", "id": 1, "messages": list(messages)}
    path.write_text(json.dumps(chat), encoding="utf-8")
    return path


def _day_file(out, day: str) -> str:
    return (out / "messages" / f"{day}.txt").read_text(encoding="utf-8")


def test_telegram_message_at_23_50_in_madrid_stays_on_its_day(tmp_path):
    path = _export(
        tmp_path, _message(1, "2024-01-12T23:50:09", _unix(2024, 1, 12, 22, 50, 9), "hola")
    )
    (message,) = TelegramParser().parse(path).messages
    assert message.sent_at == dt.datetime(2024, 1, 12, 22, 50, 9, tzinfo=dt.UTC)
    assert message.utc_offset == HOUR
    assert message.local_sent_at.replace(tzinfo=None) == dt.datetime(2024, 1, 12, 23, 50, 9)

    out = tmp_path / "p1"
    export = TelegramParser().parse(path)
    summary = export_to_patient(export, sender="Ana", patient_id="p1", out=out)
    assert (summary.first_day, summary.last_day) == (dt.date(2024, 1, 12), dt.date(2024, 1, 12))
    assert _day_file(out, "2024-01-12") == "23:50:09\thola\n"
    metadata = read_patient(out).metadata
    assert metadata.timezone is None
    assert metadata.utc_offsets == [
        emkit.UtcOffsetSpan(
            start=dt.datetime(2024, 1, 12, 23, 50, 9),
            end=dt.datetime(2024, 1, 12, 23, 50, 9),
            offset_minutes=60,
        )
    ]


def test_telegram_messages_around_midnight(tmp_path):
    path = _export(
        tmp_path,
        _message(1, "2024-01-12T23:59:59", _unix(2024, 1, 12, 22, 59, 59), "antes"),
        _message(2, "2024-01-13T00:00:00", _unix(2024, 1, 12, 23, 0, 0), "medianoche"),
        _message(3, "2024-01-13T00:30:00", _unix(2024, 1, 12, 23, 30, 0), "después"),
    )
    out = tmp_path / "p1"
    export_to_patient(TelegramParser().parse(path), sender="Ana", patient_id="p1", out=out)
    assert _day_file(out, "2024-01-12") == "23:59:59\tantes\n"
    assert _day_file(out, "2024-01-13") == "00:00:00\tmedianoche\n00:30:00\tdespués\n"
    # The bug this fixes: read in UTC, all three were on the 12th.
    utc = tmp_path / "utc" / "p1"
    export = TelegramParser().parse(path)
    export_to_patient(export, sender="Ana", patient_id="p1", out=utc, tz="UTC")
    assert not (utc / "messages" / "2024-01-13.txt").exists()
    assert _day_file(utc, "2024-01-12").splitlines()[-1] == "23:30:00\tdespués"


#: Messages around both 2024 clock changes of Europe/Madrid: (date, instant, offset in hours).
MADRID_DST = [
    ("2024-03-31T01:59:00", (2024, 3, 31, 0, 59), 1),  # last minute of winter time
    ("2024-03-31T03:01:00", (2024, 3, 31, 1, 1), 2),  # first minutes of summer time
    ("2024-10-27T02:30:00", (2024, 10, 27, 0, 30), 2),  # 02:30, first time round (CEST)
    ("2024-10-27T02:10:00", (2024, 10, 27, 1, 10), 1),  # 02:10, the repeated hour (CET)
    ("2024-10-27T03:00:00", (2024, 10, 27, 2, 0), 1),
]


def _dst_export(tmp_path):
    messages = [
        _message(i, date, _unix(*instant), f"m{i}")
        for i, (date, instant, _) in enumerate(MADRID_DST, start=1)
    ]
    return _export(tmp_path, *messages)


@pytest.mark.parametrize("tz", [None, "Europe/Madrid"])
def test_telegram_across_both_madrid_clock_changes(tmp_path, tz):
    path = _dst_export(tmp_path)
    export = TelegramParser(tz=tz).parse(path)
    for message, (date, instant, hours) in zip(export.messages, MADRID_DST, strict=True):
        assert message.sent_at == dt.datetime(*instant, tzinfo=dt.UTC)
        assert message.utc_offset == hours * HOUR
        assert message.local_sent_at.isoformat() == f"{date}+0{hours}:00"

    out = tmp_path / "p1"
    export_to_patient(export, sender="Ana", patient_id="p1", out=out, tz=tz)
    assert _day_file(out, "2024-03-31") == "01:59:00\tm1\n03:01:00\tm2\n"
    # Day files are in wall-clock order: the repeated hour's 02:10 comes before 02:30; the
    # offsets in metadata.json say which 02:xx was first.
    assert _day_file(out, "2024-10-27") == "02:10:00\tm4\n02:30:00\tm3\n03:00:00\tm5\n"
    metadata = read_patient(out).metadata
    assert metadata.timezone == tz
    assert [(s.start, s.end, s.offset_minutes) for s in metadata.utc_offsets] == [
        (dt.datetime(2024, 3, 31, 1, 59), dt.datetime(2024, 3, 31, 1, 59), 60),
        (dt.datetime(2024, 3, 31, 3, 1), dt.datetime(2024, 10, 27, 2, 30), 120),
        (dt.datetime(2024, 10, 27, 2, 10), dt.datetime(2024, 10, 27, 3, 0), 60),
    ]


def test_tz_converts_the_instant_into_that_zone(tmp_path):
    path = _export(
        tmp_path, _message(1, "2024-01-12T23:50:09", _unix(2024, 1, 12, 22, 50, 9), "hola")
    )
    (message,) = TelegramParser(tz="America/New_York").parse(path).messages
    assert message.sent_at == dt.datetime(2024, 1, 12, 22, 50, 9, tzinfo=dt.UTC)
    assert message.utc_offset == -5 * HOUR
    assert message.local_sent_at.replace(tzinfo=None) == dt.datetime(2024, 1, 12, 17, 50, 9)


@pytest.mark.parametrize(
    ("date", "instant", "difference"),
    [
        ("2024-01-12T23:57:09", (2024, 1, 12, 22, 50, 9), "+1:07:00"),
        ("2024-01-12T23:50:10", (2024, 1, 12, 22, 50, 9), "+1:00:01"),
        ("2024-01-13T13:50:09", (2024, 1, 12, 22, 50, 9), "+15:00:00"),
        ("2024-01-12T08:35:09", (2024, 1, 12, 22, 50, 9), "-14:15:00"),
    ],
)
def test_telegram_date_that_is_no_offset_from_the_instant(tmp_path, date, instant, difference):
    path = _export(
        tmp_path,
        _message(1, "2024-01-12T10:00:00", _unix(2024, 1, 12, 9), "bien"),
        _message(2, date, _unix(*instant), "mal"),
    )
    with pytest.raises(emkit.ParseError) as info:
        TelegramParser().parse(path)
    error = info.value
    assert error.path == str(path)
    assert error.line == 2
    assert error.column == "date"
    assert "message #2" in str(error)
    assert "no UTC offset" in str(error)
    assert f"differ by {difference}," in str(error)
    assert str(path) in str(error)
    # With a zone, date_unixtime alone is used.
    assert len(TelegramParser(tz="Europe/Madrid").parse(path).messages) == 2


def test_telegram_quarter_hour_offsets_are_offsets(tmp_path):
    # Nepal is UTC+05:45, Newfoundland UTC-03:30.
    path = _export(
        tmp_path,
        _message(1, "2024-01-12T05:45:00", _unix(2024, 1, 12), "katmandú"),
        _message(2, "2024-01-11T20:30:00", _unix(2024, 1, 12), "terranova"),
    )
    nepal, newfoundland = TelegramParser().parse(path).messages
    assert nepal.utc_offset == dt.timedelta(hours=5, minutes=45)
    assert newfoundland.utc_offset == -dt.timedelta(hours=3, minutes=30)


def test_telegram_fallbacks_without_one_of_the_two_fields(tmp_path):
    path = _export(
        tmp_path,
        _message(1, "2024-01-12T23:50:09", None, "sin instante"),
        _message(2, None, _unix(2024, 1, 12, 22, 50, 9), "sin reloj"),
    )
    wall_only, instant_only = TelegramParser().parse(path).messages
    # date only (older exports): the wall clock, offset unknown.
    assert wall_only.utc_offset is None
    assert wall_only.local_sent_at == dt.datetime(2024, 1, 12, 23, 50, 9, tzinfo=dt.UTC)
    # date_unixtime only: the instant, offset unknown, read in UTC.
    assert instant_only.utc_offset is None
    assert instant_only.sent_at == dt.datetime(2024, 1, 12, 22, 50, 9, tzinfo=dt.UTC)
    out = tmp_path / "p1"
    export_to_patient(TelegramParser().parse(path), sender="Ana", patient_id="p1", out=out)
    assert _day_file(out, "2024-01-12") == "22:50:09\tsin reloj\n23:50:09\tsin instante\n"
    assert read_patient(out).metadata.utc_offsets == []
    assert "utc_offsets" not in json.loads((out / "metadata.json").read_text(encoding="utf-8"))


def test_telegram_date_with_an_explicit_offset(tmp_path):
    path = _export(
        tmp_path,
        _message(1, "2024-01-12T23:50:09+01:00", _unix(2024, 1, 12, 22, 50, 9), "bien"),
        _message(2, "2024-01-12T23:50:09+02:00", _unix(2024, 1, 12, 22, 50, 9), "mal"),
    )
    with pytest.raises(emkit.ParseError, match=r"line 2, column date: message #2: 'date'"):
        TelegramParser().parse(path)
    path = _export(tmp_path, _message(1, "2024-01-12T23:50:09+01:00", None, "bien"))
    (message,) = TelegramParser().parse(path).messages
    assert message.sent_at == dt.datetime(2024, 1, 12, 22, 50, 9, tzinfo=dt.UTC)
    assert message.utc_offset == HOUR


def test_whatsapp_keeps_the_exported_wall_clock(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text(
        "12/01/24, 23:50 - Ana: hola\n13/01/24, 00:30 - Ana: sigo\n"
        "27/10/24, 02:30 - Ana: hora repetida\n",
        encoding="utf-8",
    )
    plain = WhatsAppParser().parse(path).messages
    assert [m.utc_offset for m in plain] == [None, None, None]
    madrid = WhatsAppParser(tz="Europe/Madrid").parse(path).messages
    assert [m.utc_offset for m in madrid] == [HOUR, HOUR, 2 * HOUR]
    for messages, tz in [(plain, None), (madrid, None), (madrid, "Europe/Madrid")]:
        export = emkit.ChatExport(source=str(path), format="whatsapp", messages=messages)
        out = tmp_path / f"{tz}-{messages is plain}" / "p1"
        export_to_patient(export, sender="Ana", patient_id="p1", out=out, tz=tz)
        assert _day_file(out, "2024-01-12") == "23:50:00\thola\n"
        assert _day_file(out, "2024-01-13") == "00:30:00\tsigo\n"
        assert _day_file(out, "2024-10-27") == "02:30:00\thora repetida\n"
        spans = read_patient(out).metadata.utc_offsets
        assert [s.offset_minutes for s in spans] == ([] if messages is plain else [60, 120])


def test_utc_offset_must_be_a_real_offset():
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="between -24 h and \\+24 h"):
        emkit.ChatMessage(sent_at=now, sender="Ana", text="x", utc_offset=dt.timedelta(days=1))
    naive = now.replace(tzinfo=None)
    with pytest.raises(ValueError, match="offset_minutes"):
        emkit.UtcOffsetSpan(start=naive, end=naive, offset_minutes=1440)


def test_metadata_written_before_the_offsets_field_still_reads(tmp_path):
    out = tmp_path / "p1"
    (out / "messages").mkdir(parents=True)
    (out / "events.csv").write_text("date,event_type,severity,notes\n", encoding="utf-8")
    old = {"patient_id": "p1", "timezone": "Europe/Madrid", "source": "whatsapp"}
    (out / "metadata.json").write_text(json.dumps(old), encoding="utf-8")
    metadata = read_patient(out).metadata
    assert metadata.timezone == "Europe/Madrid"
    assert metadata.utc_offsets == []


def test_whatsapp_messages_built_without_validation_equal_validated_ones(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text(
        "12/01/24, 21:05 - Los mensajes están cifrados.\n"
        "12/01/24, 21:06 - Ana: primera\nsegunda\n"
        "12/01/24, 21:07 - Rosa: <Multimedia omitido>\n"
        "12/01/24, 21:08 - Ana: Se eliminó este mensaje.\n"
        "12/01/24, 21:09 - Ana: vale <Se editó este mensaje.>\n",
        encoding="utf-8",
    )
    for tz in [None, "Europe/Madrid"]:
        messages = WhatsAppParser(tz=tz).parse(path).messages
        assert len(messages) == 5
        for message in messages:
            validated = emkit.ChatMessage.model_validate(
                {name: getattr(message, name) for name in message.model_fields_set}
            )
            assert message == validated
            assert hash(message) == hash(validated)
            assert message.model_dump() == validated.model_dump()
            assert message.model_dump_json() == validated.model_dump_json()
            assert pickle.loads(pickle.dumps(message)) == message
            assert copy.deepcopy(message) == message
            with pytest.raises(ValueError, match="frozen"):
                message.text = "x"  # type: ignore[misc]
        first, second = messages[:2]
        changed = first.model_copy(update={"text": "otro"})
        assert changed.text == "otro"
        assert second.model_fields_set == first.model_fields_set  # the shared set is unchanged
        assert emkit.ChatMessage.model_validate(second.model_dump()) == second


def test_emkit_parse_without_tz_stores_the_telegram_wall_clock(tmp_path):
    from typer.testing import CliRunner

    from emkit.cli import app

    path = _export(
        tmp_path, _message(1, "2024-01-12T23:50:09", _unix(2024, 1, 12, 22, 50, 9), "hola")
    )
    out = tmp_path / "p1"
    args = ["parse", str(path), "--sender", "Ana", "--patient", "p1", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert _day_file(out, "2024-01-12") == "23:50:09\thola\n"
    assert read_patient(out).metadata.timezone is None

    utc = tmp_path / "utc" / "p1"
    args = ["parse", str(path), "--sender", "Ana", "--patient", "p1", "--out", str(utc)]
    result = CliRunner().invoke(app, [*args, "--tz", "UTC"])
    assert result.exit_code == 0, result.output
    assert _day_file(utc, "2024-01-12") == "22:50:09\thola\n"

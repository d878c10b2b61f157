"""Chat-export parsers: WhatsApp variants, Telegram JSON, sniffing, errors and fuzzing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import emkit
from emkit.parsers import TelegramParser, UnknownFormatError, WhatsAppParser, open_parser, sniff
from emkit.testing import chat_parser_checks, parametrize_with_checks

NBSP, NNBSP, LRM = "\u00a0", "\u202f", "\u200e"


@parametrize_with_checks([WhatsAppParser, TelegramParser], chat_parser_checks())
def test_conformance(factory, check):
    check(factory)


def test_registered_through_the_default_plugin():
    emkit.load_plugins()
    builtin = {i.name for i in emkit.plugins.host.implementations("chat_parser") if i.builtin}
    assert {"whatsapp", "telegram"} <= builtin
    assert isinstance(emkit.get_chat_parser("whatsapp", dayfirst=True), WhatsAppParser)


def _write(tmp_path, text, name="chat.txt", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("13/01/24, 21:05 - Ana: hola", _utc(2024, 1, 13, 21, 5)),
        ("13/01/2024, 21:05 - Ana: hola", _utc(2024, 1, 13, 21, 5)),
        (f"13/01/24, 9:05{NNBSP}p.{NBSP}m. - Ana: hola", _utc(2024, 1, 13, 21, 5)),
        (f"13/01/24, 9:05{NBSP}a. m. - Ana: hola", _utc(2024, 1, 13, 9, 5)),
        ("13/01/24, 12:05 a. m. - Ana: hola", _utc(2024, 1, 13, 0, 5)),
        ("1/13/24, 9:05 PM - Ana: hola", _utc(2024, 1, 13, 21, 5)),
        (f"1/13/24, 12:30{NNBSP}PM - Ana: hola", _utc(2024, 1, 13, 12, 30)),
        ("13.01.24, 21:05 - Ana: hola", _utc(2024, 1, 13, 21, 5)),
        ("2024-01-13, 21:05 - Ana: hola", _utc(2024, 1, 13, 21, 5)),
        ("[13/01/24, 21:05:09] Ana: hola", _utc(2024, 1, 13, 21, 5, 9)),
        (f"{LRM}[13/1/2024, 9:05:09{NBSP}p.{NBSP}m.] Ana: hola", _utc(2024, 1, 13, 21, 5, 9)),
        ("[1/13/24, 9:05:09 PM] Ana: hola", _utc(2024, 1, 13, 21, 5, 9)),
    ],
)
def test_whatsapp_header_variants(tmp_path, line, expected):
    export = WhatsAppParser().parse(_write(tmp_path, line + "\n"))
    (message,) = export.messages
    assert message.sent_at == expected
    assert (message.sender, message.text, message.kind) == ("Ana", "hola", emkit.MessageKind.TEXT)


def test_whatsapp_multiline_system_media_deleted_edited(tmp_path):
    text = (
        "Texto antes de la exportación\n"
        "12/01/24, 21:05 - Los mensajes y las llamadas están cifrados de extremo a extremo.\n"
        "12/01/24, 21:06 - Ana: primera línea\n"
        "segunda: línea\n"
        "\n"
        "tercera\n"
        "12/01/24, 21:07 - Juan: <Multimedia omitido>\n"
        "12/01/24, 21:08 - Ana: Se eliminó este mensaje.\n"
        "12/01/24, 21:09 - Ana: IMG-20240112-WA0001.jpg (archivo adjunto)\n"
        "12/01/24, 21:10 - Ana: arreglado <Se editó este mensaje.>\n"
        "12/01/24, 21:11 - Juan añadió a Ana\n"
    )
    export = WhatsAppParser().parse(_write(tmp_path, text))
    kinds = [m.kind.value for m in export.messages]
    assert kinds == ["system", "text", "media", "deleted", "media", "text", "system"]
    assert export.messages[1].text == "primera línea\nsegunda: línea\n\ntercera"
    assert export.messages[1].line == 3
    assert export.messages[5].text == "arreglado"
    assert export.messages[5].edited
    assert export.skipped[0].line == 1
    assert export.senders() == {"Ana": 4, "Juan": 1}


@pytest.mark.parametrize(
    "placeholder",
    [
        "<Media omitted>",
        "<Multimedia omitido>",
        "<Arquivo de mídia oculto>",
        "<Médias omis>",
        "<Media omessi>",
        f"{LRM}image omitted",
        f"{LRM}imagen omitida",
        f"{LRM}imagem ocultada",
        f"{LRM}image absente",
        f"{LRM}immagine omessa",
        f"{LRM}<attached: 00000012-PHOTO.jpg>",
        "<adjunto: 00000012-AUDIO.opus>",
    ],
)
def test_media_placeholders_in_five_languages(tmp_path, placeholder):
    export = WhatsAppParser().parse(_write(tmp_path, f"[12/01/24, 21:05:00] Ana: {placeholder}\n"))
    assert export.messages[0].kind == emkit.MessageKind.MEDIA
    assert export.messages[0].text == ""


@pytest.mark.parametrize(
    "notice",
    [
        "This message was deleted",
        "Se eliminó este mensaje.",
        "Mensagem apagada",
        "Ce message a été supprimé",
        "Questo messaggio è stato eliminato",
        "Eliminaste este mensaje.",
    ],
)
def test_deleted_messages(tmp_path, notice):
    export = WhatsAppParser().parse(_write(tmp_path, f"12/01/24, 21:05 - Ana: {notice}\n"))
    assert export.messages[0].kind == emkit.MessageKind.DELETED


def test_day_month_order_detection_and_override(tmp_path):
    # 12 and 13 in the second field: month-first is the only possible reading.
    path = _write(tmp_path, "1/12/24, 10:00 - Ana: a\n1/13/24, 10:00 - Ana: b\n")
    assert WhatsAppParser().parse(path).messages[1].sent_at.date() == dt.date(2024, 1, 13)
    # Ambiguous fields: the reading under which dates run forward wins (here day-first).
    lines = "01/02/24, 10:00 - Ana: a\n05/02/24, 10:00 - Ana: b\n01/03/24, 10:00 - Ana: c\n"
    path = _write(tmp_path, lines)
    assert WhatsAppParser().parse(path).messages[0].sent_at.date() == dt.date(2024, 2, 1)
    lines = "02/01/24, 10:00 - Ana: a\n02/05/24, 10:00 - Ana: b\n03/01/24, 10:00 - Ana: c\n"
    path = _write(tmp_path, lines)
    assert WhatsAppParser().parse(path).messages[0].sent_at.date() == dt.date(2024, 2, 1)
    # The override wins over detection.
    first = WhatsAppParser(dayfirst=True).parse(path).messages[0]
    assert first.sent_at.date() == dt.date(2024, 1, 2)


def test_mixed_date_orders_name_the_line(tmp_path):
    path = _write(tmp_path, "13/01/24, 10:00 - Ana: a\n01/14/24, 10:00 - Ana: b\n")
    with pytest.raises(emkit.ParseError, match=r"line 2.*--dayfirst"):
        WhatsAppParser().parse(path)


def test_timezone_converts_local_times_to_utc(tmp_path):
    path = _write(tmp_path, "15/07/24, 21:05 - Ana: hola\n")
    message = WhatsAppParser(tz="Europe/Madrid").parse(path).messages[0]
    assert message.sent_at == _utc(2024, 7, 15, 19, 5)
    with pytest.raises(emkit.InvalidOptionsError, match="Mars/Olympus"):
        WhatsAppParser(tz="Mars/Olympus")


def test_encodings_bom_and_utf16(tmp_path):
    line = "12/01/24, 21:05 - Ana: hola ñandú\n"
    for name, data in [
        ("bom.txt", b"\xef\xbb\xbf" + line.encode()),
        ("utf16.txt", line.encode("utf-16")),
        ("utf16be.txt", b"\xfe\xff" + line.encode("utf-16-be")),
        ("crlf.txt", line.replace("\n", "\r\n").encode()),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        assert WhatsAppParser().parse(path).messages[0].text == "hola ñandú", name
        assert sniff(path).name == "whatsapp", name
    path = tmp_path / "nobom.txt"
    path.write_bytes(line.encode("utf-16-le"))
    with pytest.raises(emkit.ParseError, match="UTF-16 without a byte-order mark"):
        WhatsAppParser().parse(path)
    path = tmp_path / "latin1.txt"
    path.write_bytes("12/01/24, 21:05 - Ana: a\n12/01/24, 21:06 - Ana: ñ\n".encode("latin-1"))
    with pytest.raises(emkit.ParseError, match=r"latin1.txt, line 2: not UTF-8"):
        WhatsAppParser().parse(path)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty file"),
        ("hola\nqué tal\n", "not a WhatsApp export"),
        ("31/02/24, 10:00 - Ana: a\n", "line 1: impossible date"),
        ("12/01/24, 25:00 - Ana: a\n", "line 1: impossible time"),
        ("12/01/24, 13:00 p. m. - Ana: a\n", "12-hour clock"),
    ],
)
def test_whatsapp_errors_name_file_and_line(tmp_path, text, match):
    path = _write(tmp_path, text)
    with pytest.raises(emkit.ParseError, match=match) as info:
        WhatsAppParser().parse(path)
    assert str(path) in str(info.value)


TELEGRAM_SINGLE = {
    "name": "Rosa",
    "type": "personal_chat",
    "id": 1,
    "messages": [
        {
            "id": 1,
            "type": "service",
            "date": "2024-01-12T10:00:00",
            "date_unixtime": "1705053600",
            "actor": "Ana",
            "action": "create_group",
        },
        {
            "id": 2,
            "type": "message",
            "date": "2024-01-12T10:01:00",
            "date_unixtime": "1705053660",
            "from": "Ana",
            "from_id": "user1",
            "text": "hola",
        },
        {
            "id": 3,
            "type": "message",
            "date": "2024-01-12T10:02:00",
            "date_unixtime": "1705053720",
            "from": "Ana",
            "from_id": "user1",
            "text": [
                "estoy ",
                {"type": "bold", "text": "muy"},
                " bien ",
                {"type": "link", "text": "https://example.org"},
            ],
            "edited": "2024-01-12T10:03:00",
            "edited_unixtime": "1705053780",
        },
        {
            "id": 4,
            "type": "message",
            "date": "2024-01-12T10:04:00",
            "date_unixtime": "1705053840",
            "from": "Rosa",
            "from_id": "user2",
            "photo": "photos/1.jpg",
            "text": "",
        },
        {
            "id": 5,
            "type": "message",
            "date": "2024-01-12T10:05:00",
            "from": "Ana",
            "from_id": "user1",
            "forwarded_from": "Canal",
            "text": "mira esto",
            "file": "files/x.pdf",
        },
    ],
}


def test_telegram_single_chat(tmp_path):
    path = _write(tmp_path, json.dumps(TELEGRAM_SINGLE), "result.json")
    assert sniff(path).name == "telegram"
    export = TelegramParser(tz="Europe/Madrid").parse(path)
    system, hola, styled, photo, forwarded = export.messages
    assert system.kind == emkit.MessageKind.SYSTEM
    assert system.sender is None
    assert hola.sent_at == _utc(2024, 1, 12, 10, 0, 0) + dt.timedelta(minutes=1)
    assert styled.text == "estoy muy bien https://example.org"
    assert styled.edited
    assert photo.kind == emkit.MessageKind.MEDIA
    assert photo.text == ""
    # Without date_unixtime, "date" is read in tz (Madrid is UTC+1 in January).
    assert forwarded.forwarded
    assert forwarded.text == "mira esto"
    assert forwarded.sent_at == _utc(2024, 1, 12, 9, 5)
    assert [m.line for m in export.messages] == [1, 2, 3, 4, 5]


def test_telegram_full_export(tmp_path):
    other = {
        "name": "Trabajo",
        "type": "private_group",
        "id": 2,
        "messages": [
            {
                "id": 1,
                "type": "message",
                "date_unixtime": "1705053600",
                "from": "Ana",
                "text": "reunión",
            }
        ],
    }
    full = {
        "about": "export",
        "personal_information": {"first_name": "Ana"},
        "chats": {"about": "chats", "list": [TELEGRAM_SINGLE, other]},
    }
    path = _write(tmp_path, json.dumps(full), "result.json")
    assert sniff(path).name == "telegram"
    assert len(TelegramParser().parse(path).messages) == 6
    assert [m.text for m in TelegramParser(chat="Trabajo").parse(path).messages] == ["reunión"]
    with pytest.raises(emkit.ParseError, match="no chat named 'Nadie'"):
        TelegramParser(chat="Nadie").parse(path)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            '{"messages": [{"id": 1, "type": "message", "date_unixtime": "1", "text": "ho',
            r"line 1, column \d+: invalid JSON \(truncated export\?\)",
        ),
        ("[1, 2]", "top level is not a JSON object"),
        ('{"name": "x"}', "no 'messages' nor 'chats.list'"),
        (
            '{"messages": [{"type": "message", "text": 5, "date_unixtime": "1"}]}',
            "line 1, column text",
        ),
        ('{"messages": [{"type": "message", "text": "a"}]}', "column date"),
        ('{"messages": [{"type": "message", "text": "a", "date": "ayer"}]}', "bad date"),
        ('{"messages": {"a": 1}}', "'messages' is not a list"),
    ],
)
def test_telegram_errors(tmp_path, text, match):
    path = _write(tmp_path, text, "result.json")
    with pytest.raises(emkit.ParseError, match=match) as info:
        TelegramParser().parse(path)
    assert str(path) in str(info.value)


def test_sniff_and_open_parser(tmp_path):
    path = _write(tmp_path, "no es un chat\n")
    with pytest.raises(UnknownFormatError, match="--format"):
        sniff(path)
    wa = _write(tmp_path, "12/01/24, 21:05 - Ana: hola\n", "wa.txt")
    assert open_parser(wa, dayfirst=True).options.dayfirst is True
    assert open_parser(wa, "whatsapp").name == "whatsapp"
    with pytest.raises(emkit.EmkitError, match="dayfirst do not apply to 'telegram'"):
        open_parser(wa, "telegram", dayfirst=True)
    with pytest.raises(emkit.UnknownPluginError):
        open_parser(wa, "signal")


_SEPARATORS = st.sampled_from([" ", NBSP, NNBSP])


@st.composite
def _whatsapp_lines(draw):
    """Lines that look like WhatsApp but may have impossible fields."""
    a, b = draw(st.integers(0, 40)), draw(st.integers(0, 40))
    year = draw(st.sampled_from(["24", "2024", "0", "99999"]))
    hour, minute = draw(st.integers(0, 30)), draw(st.integers(0, 70))
    ampm = draw(st.sampled_from(["", " AM", " pm", "{s}p.{s}m.", "{s}a. m."]))
    ampm = ampm.format(s=draw(_SEPARATORS))
    body = draw(st.text(max_size=30))
    if draw(st.booleans()):
        return f"[{a}/{b}/{year}, {hour}:{minute:02d}:00{ampm}] {body}"
    return f"{a}/{b}/{year}, {hour}:{minute:02d}{ampm} - {body}"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_whatsapp_lines(), min_size=1, max_size=6))
def test_fuzz_whatsapp_like_lines_raise_only_parse_error(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("fuzz") / "chat.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    try:
        export = WhatsAppParser().parse(path)
    except emkit.ParseError as exc:
        message = str(exc)
        export = None
    if export is None:
        assert str(path) in message
    else:
        assert all(m.sent_at.tzinfo is not None for m in export.messages)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "messages",
                        "chats",
                        "list",
                        "text",
                        "type",
                        "date",
                        "date_unixtime",
                        "from",
                        "photo",
                        "name",
                        "id",
                    ]
                ),
                children,
                max_size=5,
            )
        ),
        max_leaves=20,
    )
)
def test_fuzz_telegram_like_json_raises_only_parse_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "result.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    message = str(path)
    try:
        TelegramParser().parse(path)
    except emkit.ParseError as exc:
        message = str(exc)
    assert str(path) in message

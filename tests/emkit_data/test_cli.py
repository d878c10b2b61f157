"""emkit parse / prepare / synth, and pseudonymisation of what parse writes."""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

import emkit
from emkit.cli import app
from emkit.parsers import Pseudonymiser
from emkit.synth import DEFAULT_SIGNAL

runner = CliRunner()

CHAT = (
    "12/01/24, 09:00 - Los mensajes y las llamadas están cifrados de extremo a extremo.\n"
    "12/01/24, 09:01 - Ana Torres: Hola Carmen! llámame al 612 345 678 o escribe a "
    "ana.t@example.com\n"
    "12/01/24, 09:02 - Carmen Ruiz: Vale Ana, mi móvil es +34 699 11 22 33 (carmen@correo.es)\n"
    "12/01/24, 09:03 - +34 600 00 00 01: soy Pedro, el vecino\n"
    "12/01/24, 09:04 - Ana Torres: ok, hablo con carmen Ruiz y te llamo al +34 600 00 00 01\n"
    "tengo hormigueo\n"
    "13/01/24, 10:00 - Ana Torres: <Multimedia omitido>\n"
    "14/01/24, 23:30 - Ana Torres: buenas noches\n"
)


def test_parse_writes_pseudonymised_patient(tmp_path):
    export = tmp_path / "chat.txt"
    export.write_text(CHAT, encoding="utf-8")
    out = tmp_path / "cohort" / "p001"
    result = runner.invoke(
        app,
        [
            "parse",
            str(export),
            "--sender",
            "Ana Torres",
            "--patient",
            "p001",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["messages"] == 3
    assert summary["days"] == 2
    assert summary["media"] == 1
    assert summary["other_messages"] == 2
    assert summary["participants"] == 2
    assert summary["first_day"] == "2024-01-12"
    assert summary["last_day"] == "2024-01-14"
    written = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file())
    for secret in [
        "Carmen",
        "carmen",
        "Ruiz",
        "Pedro",
        "Ana",
        "Torres",
        "612 345 678",
        "699",
        "example.com",
        "correo",
        "600 00",
        "+34",
    ]:
        assert secret not in written, secret
    day = (out / "messages" / "2024-01-12.txt").read_text(encoding="utf-8").splitlines()
    assert day[0] == "09:01:00\tHola [participante_2]! llámame al [teléfono] o escribe a [email]"
    assert (
        day[1]
        == "09:04:00\tok, hablo con [participante_2] y te llamo al [teléfono]\\ntengo hormigueo"
    )
    patient = emkit.dataset.read_patient(out)
    assert [d.n_messages for d in patient.days()] == [2, 0, 1]
    # Existing output is kept unless --force; events.csv survives a forced re-parse.
    (out / "events.csv").write_text("date,event_type,severity,notes\n2024-01-13,relapse,leve,\n")
    again = runner.invoke(
        app,
        ["parse", str(export), "--sender", "Ana Torres", "--patient", "p001", "--out", str(out)],
    )
    assert again.exit_code != 0
    assert "already exists" in str(again.exception)
    forced = runner.invoke(
        app,
        [
            "parse",
            str(export),
            "--sender",
            "ana torres",
            "--patient",
            "p001",
            "--out",
            str(out),
            "--force",
        ],
    )
    assert forced.exit_code == 0, forced.output
    assert emkit.dataset.read_patient(out).relapse_onsets[0].isoformat() == "2024-01-13"


def test_parse_lists_senders_when_missing_or_unknown(tmp_path):
    export = tmp_path / "chat.txt"
    export.write_text(CHAT, encoding="utf-8")
    for extra in ([], ["--sender", "Nadie"]):
        result = runner.invoke(
            app,
            ["parse", str(export), "--patient", "p001", "--out", str(tmp_path / "p001"), *extra],
        )
        assert result.exit_code != 0
        message = str(result.exception)
        assert "'Ana Torres' (4 messages)" in message
        assert "'Carmen Ruiz' (1 messages)" in message
    assert not (tmp_path / "p001").exists()


def test_parse_errors_print_without_traceback(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.json"
    bad.write_text('{"messages": [', encoding="utf-8")
    from _sdk.cli import run

    argv = ["emkit", "parse", str(bad), "--format", "telegram", "--patient", "p1"]
    monkeypatch.setattr(sys, "argv", [*argv, "--out", str(tmp_path / "p1")])
    with pytest.raises(SystemExit) as info:
        run(app)
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert "bad.json" in err
    assert "invalid JSON" in err
    assert "Traceback" not in err


def test_pseudonymiser_counts_and_keeps_ordinary_words():
    redact = Pseudonymiser(["María José Ruiz"], patient="Ana")
    text, count = redact("María José vino; ruiz llamó a ANA. El josé-mari no; anatomía sí")
    assert text == (
        "[participante_1] vino; [participante_1] llamó a [paciente]. "
        "El [participante_1]-mari no; anatomía sí"
    )
    assert count == 5


def test_synth_then_prepare(tmp_path):
    cohort = tmp_path / "cohort"
    result = runner.invoke(
        app,
        ["synth", "--out", str(cohort), "--patients", "3", "--days", "90", "--seed", "2", "--json"],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["patients"] == 3
    assert summary["signal"] == pytest.approx(DEFAULT_SIGNAL)
    labels_path = tmp_path / "labels.parquet"
    result = runner.invoke(
        app, ["prepare", str(cohort), "--horizons", "7,14", "--out", str(labels_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rows"] == 270
    assert set(report["horizons"]) == {"7", "14"}
    labels = pd.read_parquet(labels_path)
    assert list(labels.index.names) == ["patient_id", "date"]
    assert {"n_messages", "relapse_within_7d", "exclusion_reason_14d"} <= set(labels.columns)
    assert report["horizons"]["7"]["excluded"]["horizon_after_observation_end"] == 3 * 7
    bad = runner.invoke(app, ["prepare", str(cohort), "--horizons", "7,x"])
    assert bad.exit_code != 0
    assert "--horizons" in str(bad.exception)
    human = runner.invoke(
        app, ["synth", "--out", str(tmp_path / "c2"), "--patients", "1", "--days", "30"]
    )
    assert human.exit_code == 0
    assert "oracle 14-day AUROC" in human.output


def test_parse_telegram_full_export_with_chat(tmp_path):
    chat = {
        "name": "Familia",
        "id": 7,
        "messages": [
            {
                "id": 1,
                "type": "message",
                "date_unixtime": "1705053600",
                "from": "Ana",
                "text": "hola",
            },
            {
                "id": 2,
                "type": "message",
                "date_unixtime": "1705053660",
                "from": "Rosa",
                "text": "ey",
            },
        ],
    }
    other = {
        "name": "Trabajo",
        "id": 8,
        "messages": [
            {
                "id": 1,
                "type": "message",
                "date_unixtime": "1705140000",
                "from": "Ana",
                "text": "ok",
            },
        ],
    }
    export = tmp_path / "result.json"
    export.write_text(json.dumps({"chats": {"list": [chat, other]}}), encoding="utf-8")
    out = tmp_path / "p001"
    args = ["parse", str(export), "--sender", "Ana", "--patient", "p001", "--out", str(out)]
    result = runner.invoke(app, [*args, "--chat", "Familia", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["messages"] == 1
    wrong = runner.invoke(app, [*args, "--chat", "Familia", "--dayfirst", "--force"])
    assert wrong.exit_code != 0
    assert "dayfirst do not apply" in str(wrong.exception)

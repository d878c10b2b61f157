"""The study commands, end to end through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from medcards.cli import app
from medcards.models import CardKind, CardRequest
from medcards.study import StudyEngine, UnknownTopicError, read_ratings

runner = CliRunner()


def _seed(tmp_path, generator):
    csv = tmp_path / "temas.csv"
    csv.write_text(
        "title,context,modulo,priority,date_assigned\n"
        "Asma,Broncoespasmo reversible.,Neumología,2,2025-03-01\n"
        "EPOC,Obstrucción <crónica> & tabaco.,Neumología,1,2025-03-01\n"
        "Ictus,Déficit focal súbito.,Neurología,0,2025-03-02\n",
        encoding="utf-8",
    )
    db = tmp_path / "temario.db"
    result = runner.invoke(app, ["topics", "import", str(csv), "--db", str(db)])
    assert result.exit_code == 0, result.output
    with StudyEngine(db) as engine:
        for topic in engine.topics():
            for kind in (CardKind.MCQ, CardKind.OPEN):
                request = CardRequest(topic=topic.title, context=topic.context, kind=kind)
                engine.add_card(topic, generator.generate(request))
    return db


def test_topics_study_due_dashboard_export_import(tmp_path, generator):
    db = _seed(tmp_path, generator)
    result = runner.invoke(
        app,
        [
            "topics",
            "add",
            "Sepsis",
            "--context",
            "Infección grave.",
            "--date",
            "2025-03-01",
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["topics", "list", "--db", str(db)])
    assert "Sepsis" in result.output
    assert "Neumología" in result.output
    ratings = tmp_path / "ratings.txt"
    ratings.write_text("# sesión\n4\ngood\n3\n", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "study",
            "--db",
            str(db),
            "--non-interactive",
            "--ratings",
            str(ratings),
            "--now",
            "2025-03-02T09:00",
            "--generator",
            "none",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "3 repaso(s)" in result.output
    assert "Sepsis" in result.output  # skipped: no card and no generator, said so
    result = runner.invoke(app, ["due", "--db", str(db), "--now", "2025-03-04"])
    assert result.exit_code == 0
    assert "Asma" in result.output
    assert "3 repaso(s) vencidos" in result.output
    plot = tmp_path / "d.png"
    result = runner.invoke(
        app,
        ["dashboard", "--db", str(db), "--now", "2025-03-02T12:00", "--json", "--plot", str(plot)],
    )
    assert result.exit_code == 0, result.output
    board = json.loads(result.output[: result.output.rindex("}") + 1])
    assert board["levels"] == {"1": 3, "2": 0, "3": 0}
    assert board["new_topics"] == 1
    assert plot.read_bytes().startswith(b"\x89PNG")
    out = tmp_path / "t.json"
    assert (
        runner.invoke(app, ["export", str(out), "--format", "json", "--db", str(db)]).exit_code == 0
    )
    apkg = tmp_path / "t.apkg"
    assert runner.invoke(app, ["export", str(apkg), "--db", str(db)]).exit_code == 0
    assert apkg.stat().st_size > 0
    copy = tmp_path / "copy.db"
    result = runner.invoke(app, ["import", str(out), "--format", "json", "--db", str(copy)])
    assert result.exit_code == 0, result.output
    assert "3 reviews" in result.output
    # importing twice is refused as a whole
    result = runner.invoke(app, ["import", str(out), "--db", str(copy)])
    assert result.exit_code != 0
    assert "already exists" in str(result.exception)


def test_cli_errors_are_one_line(tmp_path, generator):
    db = _seed(tmp_path, generator)
    bad = tmp_path / "bad.txt"
    bad.write_text("3\n9\n", encoding="utf-8")
    env = {**os.environ, "MEDCARDS_LOAD_PLUGINS": "", "COLUMNS": "400"}
    cases = [
        (["study", "--db", str(db), "--non-interactive", "--ratings", str(bad)], "bad.txt:2"),
        (["due", "--db", str(tmp_path / "missing.db")], "does not exist"),
    ]
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database" * 500)
    cases.append((["dashboard", "--db", str(garbage)], "corrupted or not a medcards database"))
    for args, message in cases:
        proc = subprocess.run(
            [sys.executable, "-m", "medcards.cli", *args]
            if False
            else [sys.executable, "-c", "from medcards.cli import main; main()", *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert proc.returncode == 1, proc.stderr
        stderr = " ".join(proc.stderr.split())
        assert message in stderr, stderr
        assert "Traceback" not in stderr, stderr


def test_interactive_session(tmp_path, generator):
    db = _seed(tmp_path, generator)
    result = runner.invoke(
        app,
        ["study", "--db", str(db), "--now", "2025-03-02T09:00", "--generator", "none"],
        input="\n7\n3\n\nq\n",
    )
    assert result.exit_code == 0, result.output
    assert "Broncoespasmo reversible" in result.output  # the drill and its answer were shown
    assert "out of range" in result.output  # 7 was refused, then 3 accepted
    assert "1 repaso(s)" in result.output


def test_ratings_file_and_unknown_topic(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("1\n\n# comentario\nEASY\n", encoding="utf-8")
    assert [(n, int(r)) for n, r in read_ratings(path)] == [(1, 1), (4, 4)]
    with StudyEngine(tmp_path / "x.db") as engine, pytest.raises(UnknownTopicError, match="No"):
        engine.topic("No existe")


def test_topics_import_from_ingest_jsonl(tmp_path):
    from medcards import save_topics, split_guide

    guide = tmp_path / "guia.md"
    guide.write_text(
        "# Asma\n\nBroncoespasmo reversible con sibilancias.\n\n"
        "# EPOC\n\nObstrucción crónica no reversible.\n",
        encoding="utf-8",
    )
    jsonl = tmp_path / "temas.jsonl"
    save_topics(jsonl, split_guide(guide, "Neumología"))
    db = tmp_path / "t.db"
    result = runner.invoke(app, ["topics", "import", str(jsonl), "--db", str(db)])
    assert result.exit_code == 0, result.output
    with StudyEngine(db) as engine:
        topics = engine.topics()
    assert [t.title for t in topics] == ["Asma", "EPOC"]  # the guide's order
    assert topics[0].modulo == "Neumología"
    assert "sibilancias" in topics[0].context

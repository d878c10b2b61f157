"""`medcards ingest` and `medcards generate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medcards import load_topics
from medcards.cli import app

GUIDES = Path(__file__).parents[2] / "examples" / "guides"
runner = CliRunner()


def test_ingest_then_generate_batch(tmp_path):
    topics = tmp_path / "topics.jsonl"
    result = runner.invoke(
        app,
        [
            "ingest",
            str(GUIDES / "estatus_epileptico.md"),
            "--modulo",
            "neuro",
            "--out",
            str(topics),
        ],
    )
    assert result.exit_code == 0, result.output
    assert load_topics(topics)[0].modulo == "neuro"
    out = tmp_path / "cards.jsonl"
    result = runner.invoke(
        app,
        [
            "generate",
            "all",
            "--topics",
            str(topics),
            "--kind",
            "mcq",
            "--count",
            "3",
            "--json",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    cards = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [c["kind"] for c in cards] == ["mcq"] * 3
    assert "3 card(s), 0 rejected" in result.output
    assert "answer keys: 3 MCQ(s); keys at " in result.output
    assert "0 failing the answer-key checks" in result.output


def test_generate_reports_rejections_and_unknown_topics(tmp_path):
    topics = tmp_path / "t.jsonl"
    runner.invoke(
        app, ["ingest", str(GUIDES / "cetoacidosis_diabetica.md"), "-m", "endo", "-o", str(topics)]
    )
    result = runner.invoke(app, ["generate", "1", "--topics", str(topics), "--kind", "variant"])
    assert result.exit_code == 1
    assert "needs request.perspective" in result.output
    result = runner.invoke(app, ["generate", "sepsis", "--topics", str(topics)])
    assert result.exit_code == 1
    assert "no topic matches 'sepsis'" in str(result.exception)


def test_generate_with_llm_and_echo_backend_rejects_visibly(tmp_path):
    topics = tmp_path / "t.jsonl"
    runner.invoke(
        app, ["ingest", str(GUIDES / "cetoacidosis_diabetica.md"), "-m", "endo", "-o", str(topics)]
    )
    result = runner.invoke(
        app,
        [
            "generate",
            "CAD",
            "--topics",
            str(topics),
            "--generator",
            "llm",
            "--backend",
            "echo",
            "--backend-option",
            'responses=["no es JSON"]',
        ],
    )
    assert result.exit_code == 1
    assert "rejected" in result.output
    assert "malformed JSON" in result.output


def test_ingest_fits_the_backend_context(tmp_path):
    pytest.importorskip("medcards_ollama")
    topics = tmp_path / "t.jsonl"
    guide = str(GUIDES / "cetoacidosis_diabetica.md")
    args = ["ingest", guide, "-m", "endo", "-o", str(topics), "--backend", "ollama"]
    args += ["--backend-option", "num_ctx=1150"]  # 126 tokens left for the guide text
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    parts = load_topics(topics)
    assert len(parts) > 1
    assert all(len(t.context) <= 126 * 3 for t in parts)

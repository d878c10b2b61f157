from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from medcards_finetune.dataset import (
    load_examples,
    prepare_files,
    prepare_rows,
    read_rows,
    render_text,
    rows_from_study_db,
    validate_row,
)
from medcards_finetune.errors import DatasetError

from medcards import CardRequest, build_messages, parse_card, render_target


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def test_good_rows_become_chat_examples_with_the_generator_prompts(rows, tmp_path):
    prepared = prepare_files([_write(tmp_path / "d.jsonl", rows)])
    assert prepared.problems == []
    assert [e["kind"] for e in prepared.examples] == ["mcq", "open", "battlecard"]
    for row, example in zip(rows, prepared.examples, strict=True):
        target = row["casos_generados"]
        card = parse_card(target if isinstance(target, (str, dict)) else str(target))
        request = CardRequest(topic=row["tema"], context=row["contexto_mcp"], kind=card.kind)
        expected = [t.model_dump() for t in build_messages(request)]
        expected.append({"role": "assistant", "content": render_target(card)})
        assert example["messages"] == expected


def test_bad_rows_are_reported_with_line_and_field_and_skipped(rows, tmp_path):
    ungrounded = json.loads(rows[0]["casos_generados"])
    ungrounded["evidence"] = "la insulina se administra por vía oral a 5 U/kg/h"
    ungrounded["explanation"] = "Se administra insulina oral a 5 U/kg/h."
    bad_schema = json.loads(rows[0]["casos_generados"])
    bad_schema["options"] = ["solo una"]
    path = _write(
        tmp_path / "d.jsonl",
        [
            rows[0],
            {"tema": "Sin contexto", "casos_generados": rows[0]["casos_generados"]},
            {**rows[0], "casos_generados": json.dumps(bad_schema)},
            {**rows[0], "casos_generados": json.dumps(ungrounded)},
            {**rows[0], "casos_generados": json.dumps({"kind": "poema", "topic": "x"})},
        ],
    )
    prepared = prepare_files([path])
    assert len(prepared.examples) == 1
    found = {(p.line, p.field.split(".")[0]) for p in prepared.problems}
    assert found == {
        (2, "contexto_mcp"),
        (3, "casos_generados"),
        (4, "casos_generados"),
        (5, "casos_generados"),
    }
    by_line = {p.line: p for p in prepared.problems}
    assert by_line[3].field == "casos_generados.options"
    assert "not grounded" in by_line[4].reason
    assert str(by_line[2]).startswith(f"{path}:2: contexto_mcp")


def test_unparseable_line_names_file_and_line(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"tema": "a"}\n{not json\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"broken\.jsonl:2: not valid JSON"):
        list(read_rows(path))
    with pytest.raises(DatasetError, match="unknown dataset format"):
        list(read_rows(_write(tmp_path / "x.csv", [])))


def test_parquet_rows_are_read(rows, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    flat = [
        {
            **r,
            "casos_generados": json.dumps(r["casos_generados"], ensure_ascii=False)
            if isinstance(r["casos_generados"], dict)
            else r["casos_generados"],
        }
        for r in rows
    ]
    pq.write_table(pa.Table.from_pylist(flat), tmp_path / "d.parquet")
    prepared = prepare_files([tmp_path / "d.parquet"])
    assert len(prepared.examples) == 3
    assert prepared.problems == []


def test_load_examples_rejects_a_file_without_valid_rows(rows, tmp_path):
    path = _write(
        tmp_path / "d.jsonl", [{"tema": "x", "contexto_mcp": "y", "casos_generados": "{}"}]
    )
    with pytest.raises(DatasetError, match=r"no valid rows \(1 skipped\)"):
        load_examples(path)
    prepared = _write(tmp_path / "p.jsonl", [{"messages": [{"role": "user", "content": "hola"}]}])
    with pytest.raises(DatasetError, match=r"p\.jsonl:1: messages"):
        load_examples(prepared)


def test_render_text_uses_the_chat_template_and_ends_with_eos(tiny_base, rows, tmp_path):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_base))
    example = prepare_files([_write(tmp_path / "d.jsonl", rows[:1])]).examples[0]
    text = render_text(example["messages"], tokenizer)
    assert text.endswith(tokenizer.eos_token)
    assert text.count(tokenizer.eos_token) == len(example["messages"])
    prompt = tokenizer.apply_chat_template(
        example["messages"][:-1], tokenize=False, add_generation_prompt=True
    )
    assert text.startswith(prompt)
    assert example["messages"][-1]["content"] in text


_text = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.integers(),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)


@settings(max_examples=60, deadline=None)
@given(
    st.fixed_dictionaries(
        {}, optional={"tema": _text, "contexto_mcp": _text, "casos_generados": _text}
    )
)
def test_validate_row_never_raises_and_returns_exactly_one_outcome(row):
    example, problem = validate_row("prop.jsonl", 7, row)
    assert (example is None) != (problem is None)
    if problem is not None:
        assert problem.line == 7
        assert problem.source == "prop.jsonl"
        assert problem.reason


def test_prepare_from_the_study_database(rows, tmp_path):
    from typer.testing import CliRunner

    from medcards.cli import app
    from medcards.study import StudyEngine

    db = tmp_path / "temario.db"
    with StudyEngine(db) as engine:
        for row in rows:
            target = row["casos_generados"]
            card = parse_card(target if isinstance(target, (str, dict)) else str(target))
            engine.add_topic(row["tema"], row["contexto_mcp"])
            engine.add_card(row["tema"], card)
        engine.add_topic("Sin contexto")
        engine.add_card("Sin contexto", parse_card(rows[0]["casos_generados"]))
    out = tmp_path / "train.jsonl"
    res = CliRunner().invoke(app, ["finetune", "prepare", "--from-db", str(db), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "3 example(s) written" in res.output
    assert "1 skipped" in res.output
    assert "temario.db card:4: contexto_mcp: missing or empty" in res.output
    examples = load_examples(out)
    assert [e["kind"] for e in examples] == ["mcq", "open", "battlecard"]
    res = CliRunner().invoke(
        app, ["finetune", "prepare", "--from-db", str(db), "--kind", "open", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert [e["kind"] for e in load_examples(out)] == ["open"]


def test_cards_from_the_study_database_lose_their_evidence_locations(rows, tmp_path):
    from medcards import SourceLocation
    from medcards.study import StudyEngine

    db = tmp_path / "temario.db"
    row = rows[0]
    card = parse_card(row["casos_generados"])
    where = SourceLocation(file="guia.pdf", first_page=3, last_page=3, section="Tratamiento")
    located = card.model_copy(update={"location": where})
    with StudyEngine(db) as engine:
        engine.add_topic(row["tema"], row["contexto_mcp"])
        stored = engine.add_card(row["tema"], located)
        assert engine.card(stored.card_id).card.location == where
    ((_, _, seed_row),) = list(rows_from_study_db(db))
    assert "location" not in json.dumps(seed_row["casos_generados"])
    assert parse_card(seed_row["casos_generados"]) == card


def test_cli_names_the_right_file_when_several_are_given(rows, tmp_path):
    from typer.testing import CliRunner

    from medcards.cli import app

    first = _write(tmp_path / "a.jsonl", [{"tema": "x", "contexto_mcp": "y"}, rows[0]])
    second = _write(tmp_path / "b.jsonl", rows[1:])
    out = tmp_path / "o.jsonl"
    res = CliRunner().invoke(app, ["finetune", "prepare", str(first), str(second), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert f"skipped {first}:1: casos_generados: missing or empty" in res.output
    assert len(load_examples(out)) == 3


class _BosTokenizer:
    """A Llama-3-like tokenizer: the template writes BOS and tokenizing adds it again."""

    chat_template = "{{ bos_token }}..."
    bos_token, bos_token_id, eos_token = "<|begin_of_text|>", 1, "<|eot_id|>"

    def __init__(self, adds_bos: bool) -> None:
        self.adds_bos = adds_bos

    def apply_chat_template(self, messages, tokenize=False):
        turns = "".join(f"<|start|>{m['role']}\n{m['content']}<|eot_id|>" for m in messages)
        return self.bos_token + turns

    def __call__(self, text):
        return {"input_ids": ([1] if self.adds_bos else []) + [5]}


def test_render_text_keeps_a_single_bos():
    messages = [{"role": "user", "content": "hola"}, {"role": "assistant", "content": "{}"}]
    doubled = render_text(messages, _BosTokenizer(adds_bos=True))
    assert not doubled.startswith("<|begin_of_text|>")
    assert doubled.endswith("{}<|eot_id|>")
    assert doubled.count("<|eot_id|>") == 2
    kept = render_text(messages, _BosTokenizer(adds_bos=False))
    assert kept.startswith("<|begin_of_text|>")


def test_an_mcq_whose_distractors_are_not_of_the_key_kind_is_skipped(rows, tmp_path):
    mcq = json.loads(rows[0]["casos_generados"])
    mcq["options"] = ["0.1 U/kg/h", "insulina glargina", "0.01 U/kg/h", "10 U/kg/h"]
    path = _write(tmp_path / "d.jsonl", [{**rows[0], "casos_generados": json.dumps(mcq)}])
    prepared = prepare_files([path])
    assert prepared.examples == []
    [problem] = prepared.problems
    assert (problem.line, problem.field) == (1, "casos_generados.options")
    assert "answer key" in problem.reason
    assert "insulina glargina" in problem.reason


def test_the_shipped_gold_set_passes_prepare():
    import medcards

    prepared = prepare_files([medcards.gold_set_path("train"), medcards.gold_set_path("held_out")])
    assert prepared.problems == []
    assert len(prepared.examples) >= 80


def test_split_prompt_cuts_the_training_text_at_the_generation_prompt(rows, smollm2_tokenizer):
    from medcards_finetune.dataset import split_prompt

    prepared = prepare_rows(("mem", i, r) for i, r in enumerate(rows, start=1))
    for example in prepared.examples:
        text = render_text(example["messages"], smollm2_tokenizer)
        prompt, completion = split_prompt(example["messages"], text, smollm2_tokenizer)
        assert prompt + completion == text
        assert prompt.endswith("<|im_start|>assistant\n")
        assert completion == example["messages"][-1]["content"] + "<|im_end|>"


def test_split_prompt_refuses_a_template_that_renders_the_prompt_differently(
    rows, smollm2_tokenizer
):
    import copy

    from medcards_finetune.dataset import split_prompt

    tokenizer = copy.copy(smollm2_tokenizer)
    # Writes the turn count first, so the prompt alone starts differently.
    tokenizer.chat_template = (
        "{{ messages | length }}{% for m in messages %}{{ m['content'] }}{% endfor %}"
        "{% if add_generation_prompt %}>{% endif %}"
    )
    example = prepare_rows([("mem", 1, rows[0])]).examples[0]
    text = tokenizer.apply_chat_template(example["messages"], tokenize=False)
    with pytest.raises(DatasetError, match="loss_on='all'"):
        split_prompt(example["messages"], text, tokenizer)

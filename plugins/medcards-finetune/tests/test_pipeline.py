"""The CPU pipeline on a tiny model: prepare -> train -> export -> check (offline)."""

from __future__ import annotations

import json

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.e2e,
]


def test_training_lowers_the_loss_and_writes_adapter_merged_model_and_plot(pipeline):
    result = pipeline["result"]
    metrics = result.metrics
    assert metrics["steps"] == 8
    assert metrics["examples"] == 3
    assert metrics["loss_last"] < metrics["loss_first"]
    run = result.output_dir.parent
    assert result.output_dir == run / "merged"
    assert (run / "adapter" / "adapter_config.json").is_file()
    assert (run / "merged" / "model.safetensors").is_file()
    assert (run / "loss.png").stat().st_size > 0
    losses = [e["loss"] for e in json.loads((run / "train_log.json").read_text()) if "loss" in e]
    assert len(losses) == 8


def test_gguf_carries_tokenizer_and_chat_template(pipeline, tiny_base):
    import gguf
    from transformers import AutoTokenizer

    reader = gguf.GGUFReader(str(pipeline["f16"].path))
    fields = reader.fields
    assert fields["general.architecture"].contents() == "llama"
    assert fields["tokenizer.ggml.model"].contents() == "gpt2"
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_base))
    assert fields["tokenizer.chat_template"].contents() == tokenizer.chat_template
    assert fields["tokenizer.ggml.eos_token_id"].contents() == tokenizer.eos_token_id
    assert len(fields["tokenizer.ggml.tokens"].contents()) == len(tokenizer)
    assert len(fields["tokenizer.ggml.merges"].contents()) > 0
    names = {t.name for t in reader.tensors}
    assert {
        "token_embd.weight",
        "output.weight",
        "blk.1.attn_q.weight",
        "blk.1.ffn_down.weight",
    } <= names


def test_f16_gguf_greedy_tokens_equal_the_merged_hf_model(pipeline):
    from medcards_finetune.roundtrip import check_roundtrip

    report = check_roundtrip(pipeline["result"].output_dir, pipeline["f16"].path, max_new_tokens=24)
    assert all(r.tokenizer_match for r in report.results)
    assert report.identical, [(r.hf_tokens, r.gguf_tokens) for r in report.results]
    assert report.agreement == 1.0


def test_q4_k_m_is_smaller_and_its_agreement_is_reported(pipeline):
    from medcards_finetune.roundtrip import check_roundtrip

    f16, q4 = pipeline["f16"], pipeline["q4"]
    assert q4.format == "gguf-q4_k_m"
    assert q4.size_bytes < 0.5 * f16.size_bytes
    report = check_roundtrip(pipeline["result"].output_dir, q4.path, max_new_tokens=24)
    print(
        f"q4_k_m agreement: prefix {report.agreement:.1%}, "
        f"positions {report.position_agreement:.1%}"
    )
    assert all(r.tokenizer_match for r in report.results)
    assert 0.0 <= report.agreement <= 1.0
    # A 4-bit model of the same weights still agrees on the first greedy token of most prompts.
    assert sum(r.common_prefix > 0 for r in report.results) >= len(report.results) // 2


def test_cli_prepare_train_export_check(seed_file, tiny_base, tmp_path):
    from typer.testing import CliRunner

    from medcards.cli import app

    runner = CliRunner()
    data = tmp_path / "train.jsonl"
    res = runner.invoke(app, ["finetune", "prepare", str(seed_file), "--out", str(data)])
    assert res.exit_code == 0, res.output
    assert "3 example(s) written" in res.output
    run = tmp_path / "run"
    res = runner.invoke(
        app,
        [
            "finetune",
            "train",
            "-d",
            str(data),
            "-m",
            str(tiny_base),
            "-o",
            str(run),
            "--max-steps",
            "2",
            "--set",
            "r=4",
            "--set",
            "warmup_steps=0",
            "--set",
            "gradient_accumulation_steps=1",
            "--set",
            "max_length=512",
            "--set",
            "progress=false",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "loss_last" in res.output
    gguf_path = tmp_path / "m.gguf"
    res = runner.invoke(
        app, ["finetune", "export", str(run / "merged"), str(gguf_path), "-q", "f16"]
    )
    assert res.exit_code == 0, res.output
    assert gguf_path.is_file()
    res = runner.invoke(
        app,
        [
            "finetune",
            "check",
            str(run / "merged"),
            str(gguf_path),
            "--max-new-tokens",
            "8",
            "--require-identical",
            "-p",
            "Tema: apendicitis",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "identical: True" in res.output


def test_cli_reports_bad_rows_and_strict_fails(rows, tmp_path):
    from medcards_finetune.errors import DatasetError
    from typer.testing import CliRunner

    from medcards.cli import app

    path = tmp_path / "d.jsonl"
    bad = {"tema": "x", "contexto_mcp": "y", "casos_generados": '{"kind": "mcq"}'}
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in [rows[0], bad]), encoding="utf-8"
    )
    runner = CliRunner()
    res = runner.invoke(app, ["finetune", "prepare", str(path), "--out", str(tmp_path / "o.jsonl")])
    assert res.exit_code == 0, res.output
    assert f"skipped {path}:2: casos_generados.topic: Field required" in res.output
    assert "1 example(s) written" in res.output
    assert "1 skipped" in res.output
    res = runner.invoke(
        app, ["finetune", "prepare", str(path), "--out", str(tmp_path / "s.jsonl"), "--strict"]
    )
    assert isinstance(res.exception, DatasetError)
    assert not (tmp_path / "s.jsonl").exists()


def test_the_check_catches_a_conversion_without_the_rope_permutation(pipeline, monkeypatch):
    from medcards_finetune import gguf_export
    from medcards_finetune.roundtrip import check_roundtrip

    import medcards

    monkeypatch.setattr(gguf_export, "permute_for_rope", lambda weights, n_head: weights)
    broken = pipeline["work"] / "broken.f16.gguf"
    medcards.get_exporter("gguf", quantization="f16").export(pipeline["result"].output_dir, broken)
    report = check_roundtrip(pipeline["result"].output_dir, broken, max_new_tokens=24)
    assert not report.identical
    assert report.agreement < 1.0


def test_llama3_rope_scaling_is_written_as_rope_freqs(tiny_base, tmp_path):
    import shutil

    import gguf
    from medcards_finetune.gguf_export import convert_to_gguf
    from medcards_finetune.roundtrip import check_roundtrip

    model = tmp_path / "llama3-rope"
    shutil.copytree(tiny_base, model)
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    config.pop("rope_scaling", None)
    config["rope_parameters"] = {
        "rope_type": "llama3",
        "rope_theta": 10000.0,
        "factor": 8.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 16,
    }
    (model / "config.json").write_text(json.dumps(config), encoding="utf-8")
    out = convert_to_gguf(model, tmp_path / "llama3.gguf")
    assert "rope_freqs.weight" in {t.name for t in gguf.GGUFReader(str(out)).tensors}
    assert check_roundtrip(model, out, max_new_tokens=16).identical
    # The scaling changes the model: the unscaled original decodes differently.
    assert not check_roundtrip(tiny_base, out, max_new_tokens=16).identical


def test_an_adapter_directory_is_merged_before_export(pipeline):
    from medcards_finetune.roundtrip import check_roundtrip

    import medcards

    adapter = pipeline["result"].output_dir.parent / "adapter"
    out = pipeline["work"] / "from-adapter.f16.gguf"
    medcards.get_exporter("gguf", quantization="f16").export(adapter, out)
    assert check_roundtrip(pipeline["result"].output_dir, out, max_new_tokens=16).identical


def test_q8_0_export_stays_close_to_f16(pipeline):
    from medcards_finetune.roundtrip import check_roundtrip

    import medcards

    q8 = medcards.get_exporter("gguf", quantization="q8_0").export(
        pipeline["result"].output_dir, pipeline["work"] / "m.q8_0.gguf"
    )
    assert q8.format == "gguf-q8_0"
    assert q8.size_bytes < 0.6 * pipeline["f16"].size_bytes
    report = check_roundtrip(pipeline["result"].output_dir, q8.path, max_new_tokens=24)
    print(f"q8_0 agreement: prefix {report.agreement:.1%}")
    assert all(r.tokenizer_match for r in report.results)

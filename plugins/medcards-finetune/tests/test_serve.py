"""The exported GGUF served by the llamacpp backend, and the before/after evaluation."""

from __future__ import annotations

import pytest

import medcards

pytestmark = [
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def base_gguf(tiny_base, tmp_path_factory):
    """The tiny model before fine-tuning, exported the same way (f16)."""
    out = tmp_path_factory.mktemp("base-gguf") / "base.f16.gguf"
    return medcards.get_exporter("gguf", quantization="f16").export(tiny_base, out).path


def test_llamacpp_backend_serves_the_export_with_its_chat_template(pipeline):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from medcards import build_messages

    merged = pipeline["result"].output_dir
    request = medcards.CardRequest(
        topic="Cetoacidosis diabética", context="Insulina IV a 0.1 U/kg/h.", kind="mcq"
    )
    messages = build_messages(request)
    backend = medcards.get_backend("llamacpp", model_path=pipeline["f16"].path, n_ctx=1024)
    completion = backend.complete(messages, max_tokens=12, temperature=0.0)
    assert completion.completion_tokens
    assert completion.completion_tokens <= 12

    # The backend renders the GGUF's chat template; the same greedy reply comes from the HF model.
    tokenizer = AutoTokenizer.from_pretrained(str(merged))
    model = AutoModelForCausalLM.from_pretrained(str(merged), dtype=torch.float32).eval()
    ids = tokenizer.apply_chat_template(
        [m.model_dump() for m in messages],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )["input_ids"]
    with torch.no_grad():
        out = model.generate(
            ids, max_new_tokens=12, do_sample=False, pad_token_id=tokenizer.pad_token_id
        )
    expected = tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
    assert completion.text == expected


def test_q4_k_m_export_is_served_too(pipeline):
    backend = medcards.get_backend("llamacpp", model_path=pipeline["q4"].path, n_ctx=1024)
    completion = backend.complete(
        [medcards.ChatTurn(role="user", content="Tema: apendicitis")], max_tokens=8
    )
    assert completion.model == pipeline["q4"].path.stem
    assert completion.completion_tokens
    assert completion.completion_tokens <= 8


def test_evaluate_reports_rates_before_and_after(pipeline, base_gguf, seed_file, tmp_path):
    from medcards_finetune.evaluate import compare_models
    from typer.testing import CliRunner

    from medcards.cli import app

    comparison = compare_models(
        seed_file,
        {"base": base_gguf, "tuned": pipeline["q4"].path},
        generator_options={"max_attempts": 1, "max_tokens": 64},
        progress=False,
    )
    assert list(comparison) == ["base", "tuned"]
    for score in comparison.values():
        assert score.total == 3
        assert 0 <= score.grounded <= score.schema_valid <= score.total
        assert score.accepted == score.grounded  # one attempt: accepted means accepted first time
        assert len(score.reasons) >= score.total - score.accepted

    html = tmp_path / "eval.html"
    res = CliRunner().invoke(
        app,
        [
            "finetune",
            "evaluate",
            "-d",
            str(seed_file),
            "--base",
            str(base_gguf),
            "--tuned",
            str(pipeline["q4"].path),
            "--limit",
            "1",
            "--set",
            "max_attempts=1",
            "--set",
            "max_tokens=32",
            "--html",
            str(html),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "schema-valid" in res.output
    assert "tuned" in res.output
    assert "data:image/png;base64," in html.read_text(encoding="utf-8")

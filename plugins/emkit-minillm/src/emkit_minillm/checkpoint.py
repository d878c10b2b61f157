"""MiniLLM checkpoints: a native folder, or a ``.pt`` file of the user's MiniLLM.

Native: a folder with ``model.safetensors``, ``config.json`` and ``tokenizer.json``. The tied
``head.weight`` is not stored twice (safetensors refuses shared tensors): it is
``token_emb.weight``.

``.pt``: what the user's MiniLLM training script writes (``MiniLLM/runs/<run>/ckpt_best.pt``),
``{"model_state_dict", "optimizer_state_dict", "iter_num", "best_val_loss", "config"}``, or
the older ``{"model_config", "model_state_dict"}``, read with ``torch.load(weights_only=True)``
only. The sizes come from the tensors (see :func:`infer_config`); the extras are reported in
:attr:`LoadedModel.metadata`, never used to build anything.

Folders and ``.pt`` files written by emkit-minillm 0.1 (``ln_1``, ``attn.proj``, ``mlp.2``,
biased attention, untied head) load too: their keys are converted to the TinyGPTv2 layout.
"""

from __future__ import annotations

import json
import logging
import math
import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emkit import atomic_write_bytes, atomic_write_text
from emkit_minillm.errors import CheckpointError
from emkit_minillm.tokenizer import load_tokenizer

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

    from emkit_minillm.model import ModelConfig, TinyGPT

__all__ = [
    "FORMAT",
    "LoadedModel",
    "infer_config",
    "load_checkpoint",
    "save_checkpoint",
    "save_seed_checkpoint",
]

logger = logging.getLogger(__name__)

#: ``config.json`` marker of native checkpoints.
FORMAT = "emkit-minillm"
WEIGHTS, CONFIG, TOKENIZER = "model.safetensors", "config.json", "tokenizer.json"
#: ``n_head`` of the user's ``TinyGPTv2`` when neither the checkpoint nor the caller gives one.
DEFAULT_N_HEAD = 6
#: ``block_size`` of ``TinyGPTv2`` when a RoPE checkpoint's config does not give one.
DEFAULT_BLOCK_SIZE = 256
_LEGACY_KEY = re.compile(r"^blocks\.\d+\.(ln_1|ln_2|attn\.proj)\.")
_BLOCK_KEY = re.compile(r"^blocks\.(\d+)\.")


@dataclass
class LoadedModel:
    """A model in eval mode, its tokenizer and where they came from.

    ``metadata`` holds what the checkpoint says besides the weights: a native folder's
    ``training`` record, or a ``.pt``'s ``iter_num``, ``best_val_loss``, ``config`` (its
    JSON-representable part), ``optimizer_state_dict`` (a summary only), and ``sizes_from``
    (where each size came from: ``tensors``, ``config``, ``option`` or ``default``).
    """

    model: TinyGPT
    tokenizer: Tokenizer
    path: Path
    metadata: dict[str, Any]


def save_checkpoint(
    model: TinyGPT, tokenizer: Tokenizer, out_dir: Path, metadata: dict[str, Any] | None = None
) -> Path:
    """Write ``out_dir/{model.safetensors,config.json,tokenizer.json}`` (each atomically).

    A tied ``head.weight`` is left out of the safetensors file (it is ``token_emb.weight``).
    """
    from safetensors.torch import save

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    if model.config.tie_weights:
        state.pop("head.weight", None)
    atomic_write_bytes(out_dir / WEIGHTS, save(state, metadata={"format": FORMAT}))
    config = {"format": FORMAT, "model_config": model.config.to_dict(), **(metadata or {})}
    atomic_write_text(out_dir / CONFIG, json.dumps(config, indent=2, sort_keys=True))
    atomic_write_text(out_dir / TOKENIZER, tokenizer.to_str(pretty=False))
    return out_dir


def save_seed_checkpoint(model: TinyGPT, path: Path, extra: dict[str, Any] | None = None) -> Path:
    """Write a ``.pt`` the user's MiniLLM code loads (atomically).

    ``torch.save({"model_state_dict", "config", "model_config", **extra})``: ``config`` holds
    the keyword arguments of their ``TinyGPTv2(...)``; ``model_config`` is emkit's
    :class:`~emkit_minillm.model.ModelConfig`. ``extra`` must be plain data (numbers, strings,
    lists, dicts, tensors), so that ``torch.load(weights_only=True)`` reads the file.
    """
    import io

    import torch

    buffer = io.BytesIO()
    torch.save(
        {
            "model_state_dict": model.state_dict(),
            "config": model.config.tinygptv2_kwargs(),
            "model_config": model.config.to_dict(),
            **(extra or {}),
        },
        buffer,
    )
    atomic_write_bytes(Path(path), buffer.getvalue())
    return Path(path)


def load_checkpoint(
    path: Path,
    tokenizer_path: Path | None = None,
    *,
    n_head: int | None = None,
    rope_base: float | None = None,
) -> LoadedModel:
    """Load a native checkpoint folder or a ``.pt`` file, on CPU in float32, eval mode.

    Args:
        path: Checkpoint folder, or ``.pt`` file.
        tokenizer_path: ``tokenizer.json`` to use. Default: the folder's; for a ``.pt``, the
            nearest ``tokenizer.json`` beside it or up to three folders above it (the user's
            ``MiniLLM/runs/<run>/ckpt_best.pt`` next to ``MiniLLM/tokenizer.json``).
        n_head: Attention heads, for a ``.pt`` whose config does not say (the tensors cannot:
            see :func:`infer_config`).
        rope_base: RoPE base, likewise (default 10000).

    Raises:
        CheckpointError: missing, corrupted or unsafe file, weights that do not fit the
            configuration, or a tokenizer with more tokens than the model's vocabulary. The
            message names the file and the offending key.
    """
    path = Path(path)
    if path.is_dir():
        model, metadata = _load_native(path, n_head, rope_base)
        candidates = [path / TOKENIZER]
    elif path.is_file():
        model, metadata = _load_seed(path, n_head, rope_base)
        candidates = [folder / TOKENIZER for folder in [path.parent, *path.parents[1:4]]]
    else:
        raise CheckpointError(f"{path}: checkpoint not found")
    if tokenizer_path:
        tokenizer_file = Path(tokenizer_path)
    else:
        found = [c for c in candidates if c.is_file()]
        if not found:
            raise CheckpointError(
                f"{path}: no tokenizer.json beside the checkpoint (looked in "
                f"{', '.join(str(c.parent) for c in candidates)}); pass the tokenizer the model "
                "was trained with (extractor option tokenizer=PATH)"
            )
        tokenizer_file = found[0]
    tokenizer = load_tokenizer(tokenizer_file)
    vocab = tokenizer.get_vocab_size(with_added_tokens=True)
    if vocab > model.config.vocab_size:
        raise CheckpointError(
            f"{tokenizer_file}: tokenizer has {vocab} tokens but the model in {path} has a "
            f"vocabulary of {model.config.vocab_size}; they were not trained together"
        )
    metadata["tokenizer"] = str(tokenizer_file)
    return LoadedModel(model, tokenizer, path, metadata)


def infer_config(
    state: dict[str, torch.Tensor],
    config: dict[str, Any] | None,
    source: Path,
    *,
    n_head: int | None = None,
    rope_base: float | None = None,
    config_label: str = "config",
) -> tuple[ModelConfig, dict[str, str]]:
    """The :class:`ModelConfig` of a TinyGPTv2 state dict, and where each size came from.

    From the tensors: ``vocab_size`` and ``n_embd`` (``token_emb.weight``), ``n_layer`` (the
    ``blocks.i`` present), ``use_rope`` (no ``pos_emb.weight``), ``block_size`` (rows of
    ``pos_emb.weight``), ``mlp_ratio`` (``mlp.0.weight``), biases, and whether the head is tied
    (``head.weight`` absent or equal to ``token_emb.weight``). A ``config`` value that
    contradicts them is an error. From ``config`` (or, failing that, the ``n_head`` /
    ``rope_base`` arguments, then the TinyGPTv2 defaults): ``n_head`` (6), ``rope_base``
    (10000), the RoPE ``block_size`` (256) and the dropout rates, which no tensor records.
    ``config_label`` names the config in error messages.
    """
    from emkit_minillm.model import ModelConfig

    config = dict(config or {})
    emb = state.get("token_emb.weight")
    if emb is None or emb.dim() != 2:
        raise CheckpointError(f"{source}: missing key token_emb.weight in the model state dict")
    vocab_size, n_embd = (int(s) for s in emb.shape)
    layers = {int(m.group(1)) for k in state if (m := _BLOCK_KEY.match(k))}
    if layers != set(range(len(layers))):
        raise CheckpointError(f"{source}: blocks {sorted(layers)} are not numbered 0…n-1")
    n_layer = len(layers)
    pos = state.get("pos_emb.weight")
    use_rope = pos is None
    found: dict[str, Any] = {
        "vocab_size": vocab_size,
        "n_embd": n_embd,
        "n_layer": n_layer,
        "use_rope": use_rope,
    }
    if pos is not None:
        found["block_size"] = int(pos.shape[0])
    fc = state.get("blocks.0.mlp.0.weight")
    if fc is not None:
        hidden = int(fc.shape[0])
        ratio = hidden / n_embd
        while int(n_embd * ratio) < hidden:  # float rounding: int(n_embd·ratio) must give hidden
            ratio = math.nextafter(ratio, math.inf)
        found["mlp_ratio"] = ratio
    head = state.get("head.weight")
    found["tie_weights"] = head is None or (head.shape == emb.shape and bool((head == emb).all()))
    found["qkv_bias"] = "blocks.0.attn.qkv.bias" in state
    found["out_bias"] = "blocks.0.attn.out.bias" in state
    checked = ("vocab_size", "n_embd", "n_layer", "block_size", "use_rope")
    for key, value in found.items():
        if key in checked and key in config and config[key] != value:
            raise CheckpointError(
                f"{source}: {config_label} says {key}={config[key]!r} but the tensors give "
                f"{value!r}"
            )
    sources = dict.fromkeys(found, "tensors")
    values = {**config, **found}
    for key, option, default in (
        ("n_head", n_head, DEFAULT_N_HEAD),
        ("rope_base", rope_base, 10000.0),
        ("block_size", None, DEFAULT_BLOCK_SIZE),
    ):
        if key in found:
            continue
        if key in config:
            if option is not None and option != config[key]:
                raise CheckpointError(
                    f"{source}: config {key}={config[key]!r} but {option!r} was asked for"
                )
            sources[key] = "config"
        elif option is not None:
            values[key], sources[key] = option, "option"
        else:
            values[key], sources[key] = default, "default"
    try:
        model_config = ModelConfig.from_dict(values)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{source}: invalid model config {values}: {exc}") from None
    if n_embd % model_config.n_head:
        raise CheckpointError(
            f"{source}: n_embd {n_embd} is not a multiple of n_head {model_config.n_head} "
            f"(n_head from the {sources['n_head']}); pass the n_head the model was trained with"
        )
    return model_config, sources


def _build(
    state: dict[str, torch.Tensor],
    config: dict[str, Any] | None,
    source: Path,
    n_head: int | None,
    rope_base: float | None,
    config_label: str = "config",
) -> tuple[TinyGPT, dict[str, Any]]:
    from emkit_minillm.model import TinyGPT, convert_legacy_state_dict

    info: dict[str, Any] = {}
    bad = [k for k, v in state.items() if not _is_tensor(v)]
    if bad:
        raise CheckpointError(f"{source}: model state dict entry {bad[0]!r} is not a tensor")
    if state and all(k.startswith("_orig_mod.") for k in state):  # saved from torch.compile
        state = {k.removeprefix("_orig_mod."): v for k, v in state.items()}
    if any(_LEGACY_KEY.match(k) for k in state):
        state = convert_legacy_state_dict(state)
        info["converted_from"] = "emkit-minillm 0.1 layout"
    model_config, sources = infer_config(
        state, config, source, n_head=n_head, rope_base=rope_base, config_label=config_label
    )
    model = TinyGPT(model_config)
    if model_config.tie_weights and "head.weight" not in state:
        state = {**state, "head.weight": state["token_emb.weight"]}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[:3]
        raise CheckpointError(
            f"{source}: the weights do not fit a TinyGPTv2 of {model_config.to_dict()}: "
            + " ".join(line.strip() for line in first)
        ) from None
    info["sizes_from"] = sources
    return model.float().eval(), info


def _is_tensor(value: Any) -> bool:
    import torch

    return isinstance(value, torch.Tensor)


def _load_native(
    folder: Path, n_head: int | None, rope_base: float | None
) -> tuple[TinyGPT, dict[str, Any]]:
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
    model_config = config.get("model_config")
    if not isinstance(model_config, dict):
        raise CheckpointError(f"{config_file}: model_config is missing or not a mapping")
    try:
        state = load_file(str(weights_file), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{weights_file}: corrupted safetensors file ({exc})") from None
    label = f"model_config of {config_file}"
    model, info = _build(state, model_config, weights_file, n_head, rope_base, label)
    metadata = {k: v for k, v in config.items() if k not in ("format", "model_config")}
    return model, {**metadata, **info}


def _load_seed(
    file: Path, n_head: int | None, rope_base: float | None
) -> tuple[TinyGPT, dict[str, Any]]:
    import torch

    try:
        checkpoint = torch.load(file, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"{file}: refused to load: the pickle needs more than tensors and plain containers "
            "(torch.load(weights_only=True) stopped at: "
            f"{str(exc).strip().splitlines()[0][:200]}). Loading it fully could run arbitrary "
            "code. Re-save it from a trusted environment with plain values only, e.g. "
            '{"model_state_dict": model.state_dict(), "config": dict(...)}, '
            "or convert it to a native checkpoint folder."
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(f"{file}: corrupted or not a torch checkpoint ({exc})") from None
    if not isinstance(checkpoint, dict):
        raise CheckpointError(
            f"{file}: expected a dict with 'model_state_dict', not a {type(checkpoint).__name__}"
        )
    if "model_state_dict" in checkpoint:
        state = checkpoint["model_state_dict"]
    elif checkpoint and all(_is_tensor(v) for v in checkpoint.values()):
        state, checkpoint = checkpoint, {}  # a bare state dict
    else:
        raise CheckpointError(
            f"{file}: missing key 'model_state_dict' (found {sorted(map(str, checkpoint))})"
        )
    if not isinstance(state, dict):
        raise CheckpointError(f"{file}: model_state_dict is not a mapping of tensors")
    config = _size_config(checkpoint, file)
    model, info = _build(state, config, file, n_head, rope_base)
    metadata = _report_extras(checkpoint, file)
    return model, {**metadata, **info}


def _size_config(checkpoint: dict[Any, Any], file: Path) -> dict[str, Any]:
    """Model sizes from a ``.pt``'s ``model_config`` and ``config`` (or its ``model`` part)."""
    merged: dict[str, Any] = {}
    for key in ("config", "model_config"):
        part = checkpoint.get(key)
        if part is None:
            continue
        if not isinstance(part, dict):
            raise CheckpointError(f"{file}: {key} is a {type(part).__name__}, not a mapping")
        nested = part.get("model")
        if isinstance(nested, dict):
            merged.update(nested)
        merged.update({k: v for k, v in part.items() if k != "model"})
    return merged


def _report_extras(checkpoint: dict[Any, Any], file: Path) -> dict[str, Any]:
    """JSON-representable extras of a ``.pt`` (tensors and the optimizer state summarised)."""
    metadata: dict[str, Any] = {}
    for key, value in checkpoint.items():
        if key == "model_state_dict":
            continue
        if key == "optimizer_state_dict" and isinstance(value, dict):
            states = value.get("state")
            metadata[key] = {
                "parameter_states": len(states) if isinstance(states, dict) else 0,
                "param_groups": [
                    {k: v for k, v in group.items() if k != "params" and _is_plain(v)}
                    for group in value.get("param_groups", [])
                    if isinstance(group, dict)
                ],
            }
        elif _is_plain(value):
            metadata[str(key)] = value
        elif isinstance(value, dict):
            metadata[str(key)] = {str(k): v for k, v in value.items() if _is_plain(v)}
        else:
            metadata[str(key)] = f"<{type(value).__name__}, not reported>"
    if metadata:
        logger.info("%s: checkpoint extras %s", file, json.dumps(metadata, default=str)[:500])
    return metadata


def _is_plain(value: Any) -> bool:
    if value is None or isinstance(value, str | int | float | bool):
        return True
    if isinstance(value, list | tuple):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False

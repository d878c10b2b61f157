"""Hugging Face Llama-family directory -> GGUF (f16), and GGUF quantization through llama.cpp.

The conversion follows llama.cpp's own converter for ``LlamaForCausalLM``: tensor names come from
``gguf``'s name map, the q/k projections are permuted from Hugging Face's rotate-half RoPE layout
to the interleaved layout llama.cpp's RoPE expects, and the byte-level BPE tokenizer (tokens, token
types, merges, special token ids) and the chat template are written as metadata, so that
llama.cpp (and the ``llamacpp`` backend) can serve the file directly.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from medcards_finetune.errors import ExportError

if TYPE_CHECKING:
    import numpy as np

#: Quantizations this module writes; "f16" is the plain conversion.
Quantization = Literal["f16", "q8_0", "q4_k_m"]
#: Hugging Face ``model_type`` values the converter accepts (llama.cpp's "llama" architecture).
LLAMA_FAMILY = ("llama",)


def read_config(model_dir: Path) -> dict[str, Any]:
    """The ``config.json`` of a Hugging Face model directory.

    Raises:
        ExportError: when the directory or its config is missing or unreadable.
    """
    path = model_dir / "config.json"
    if not path.is_file():
        raise ExportError(f"{model_dir}: not a Hugging Face model directory (no config.json)")
    try:
        config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ExportError(f"{path}: invalid JSON ({exc.msg}, line {exc.lineno})") from None
    return config


def ensure_llama_family(model_dir: Path) -> dict[str, Any]:
    """Return the config of ``model_dir`` if it is a Llama-family model, else raise.

    Raises:
        ExportError: naming the model type and the supported ones.
    """
    config = read_config(model_dir)
    model_type = config.get("model_type")
    architectures = config.get("architectures") or []
    if model_type not in LLAMA_FAMILY or (
        architectures and "LlamaForCausalLM" not in architectures
    ):
        raise ExportError(
            f"{model_dir / 'config.json'}: model_type {model_type!r} "
            f"(architectures {architectures}) is not Llama-family; the GGUF converter supports "
            f"model_type {', '.join(LLAMA_FAMILY)} with LlamaForCausalLM. Convert other "
            "architectures with llama.cpp's convert_hf_to_gguf.py."
        )
    return config


def permute_for_rope(weights: np.ndarray, n_head: int) -> np.ndarray:
    """Reorder a q or k projection's rows from rotate-half to llama.cpp's interleaved RoPE layout.

    Args:
        weights: ``(n_head * head_dim, hidden)`` projection matrix.
        n_head: Heads of this projection (key/value heads for ``k_proj``).
    """
    return (
        weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def _iter_tensors(model_dir: Path) -> Iterator[tuple[str, np.ndarray]]:
    """Yield ``(name, float32 array)`` for every tensor of the model's safetensors files."""
    from safetensors import safe_open

    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        raise ExportError(f"{model_dir}: no *.safetensors weights (save with safe_serialization)")
    for file in files:
        with safe_open(str(file), framework="pt") as handle:
            for name in handle.keys():  # noqa: SIM118 - safe_open is not a mapping
                yield name, handle.get_tensor(name).float().numpy()


#: A fragment of Llama 3's pre-tokenizer regex (digits in groups of up to three).
_LLAMA3_REGEX = "\\p{N}{1,3}"


def _pre_tokenizer_name(path: Path, pre: dict[str, Any]) -> str:
    """llama.cpp's name for the pre-tokenizer of ``tokenizer.json`` (``gpt-2``, ``llama-bpe``).

    Raises:
        ExportError: for a pre-tokenizer llama.cpp would split differently.
    """
    text = json.dumps(pre)
    if pre.get("type") == "ByteLevel" and pre.get("use_regex", True):
        return "gpt-2"
    if pre.get("type") == "Sequence" and "ByteLevel" in text and _LLAMA3_REGEX in text:
        return "llama-bpe"
    raise ExportError(
        f"{path}: pre-tokenizer not recognised ({text[:160]}); supported: GPT-2 byte-level BPE "
        "and Llama 3's"
    )


def _llama3_rope_factors(config: dict[str, Any], rope: dict[str, Any], head_dim: int) -> Any:
    """Per-frequency RoPE divisors of Llama 3.1 scaling, as llama.cpp's ``rope_freqs`` tensor."""
    import numpy as np

    base = float(rope.get("rope_theta") or config.get("rope_theta") or 10000.0)
    freqs = 1.0 / (base ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))
    factor = float(rope.get("factor", 8.0))
    low = float(rope.get("low_freq_factor", 1.0))
    high = float(rope.get("high_freq_factor", 4.0))
    old_context = float(rope.get("original_max_position_embeddings", 8192))
    low_wavelen, high_wavelen = old_context / low, old_context / high
    factors = []
    for freq in freqs:
        wavelen = 2 * math.pi / freq
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(factor)
        else:
            smooth = (old_context / wavelen - low) / (high - low)
            factors.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.asarray(factors, dtype=np.float32)


def _tokenizer_metadata(model_dir: Path) -> dict[str, Any]:
    """Tokens, token types, merges and special ids of a byte-level BPE ``tokenizer.json``."""
    import gguf
    from transformers import AutoTokenizer

    path = model_dir / "tokenizer.json"
    if not path.is_file():
        raise ExportError(f"{model_dir}: no tokenizer.json (a fast byte-level BPE tokenizer)")
    data = json.loads(path.read_text(encoding="utf-8"))
    model = data.get("model", {})
    if model.get("type") != "BPE":
        raise ExportError(f"{path}: tokenizer model {model.get('type')!r} is not BPE")
    pre_name = _pre_tokenizer_name(path, data.get("pre_tokenizer") or {})
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    vocab: dict[str, int] = tokenizer.get_vocab()
    size = max(vocab.values()) + 1
    tokens = [f"[PAD{i}]" for i in range(size)]
    types = [int(gguf.TokenType.UNUSED)] * size
    for token, index in vocab.items():
        tokens[index] = token
        types[index] = int(gguf.TokenType.NORMAL)
    for added in data.get("added_tokens", []):
        types[added["id"]] = int(
            gguf.TokenType.CONTROL if added.get("special") else gguf.TokenType.USER_DEFINED
        )
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    # The special token that closes a chat turn (ChatML's <|im_end|>, Llama 3's <|eot_id|>):
    # llama.cpp and LM Studio stop on it when it is written as the end-of-turn token.
    eot = _end_of_turn_id(tokenizer, data.get("added_tokens", []))
    # Whether the tokenizer itself puts BOS in front (llama.cpp's add_bos_token must agree).
    bos = tokenizer.bos_token_id
    probe = tokenizer("a")["input_ids"]
    return {
        "tokens": tokens,
        "types": types,
        "merges": merges,
        "bos": tokenizer.bos_token_id,
        "eos": tokenizer.eos_token_id,
        "eot": eot,
        "pad": tokenizer.pad_token_id,
        "chat_template": tokenizer.chat_template,
        "add_bos": bos is not None and probe[:1] == [bos],
        "pre": pre_name,
    }


def _end_of_turn_id(tokenizer: Any, added_tokens: list[dict[str, Any]]) -> int | None:
    """The id of the special token that ends an assistant turn in the chat template, if any.

    The template is rendered on a probe conversation; the first special token written right
    after the assistant's content is the end-of-turn token.
    """
    if not getattr(tokenizer, "chat_template", None):
        return None
    probe = "QZPROBEQZ"
    try:
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": "u"}, {"role": "assistant", "content": probe}],
            tokenize=False,
        )
    except Exception:  # a template that rejects the probe simply gets no end-of-turn token
        return None
    after = text[text.find(probe) + len(probe) :] if probe in text else ""
    specials = sorted(
        (t for t in added_tokens if t.get("special")), key=lambda t: -len(t["content"])
    )
    for token in specials:
        if after.lstrip().startswith(token["content"]):
            return int(token["id"])
    return None


def convert_to_gguf(model_dir: Path, out_path: Path, *, name: str | None = None) -> Path:
    """Convert a Llama-family Hugging Face directory to an f16 GGUF file at ``out_path``.

    2-D weights are stored in f16, norms in f32. The file is written to a temporary name and
    renamed, so an existing ``out_path`` is never left half-written.

    Raises:
        ExportError: not Llama-family, missing weights or tokenizer, an unmapped tensor.
    """
    import gguf
    import numpy as np

    config = ensure_llama_family(model_dir)
    n_layers = int(config["num_hidden_layers"])
    n_head = int(config["num_attention_heads"])
    n_kv = int(config.get("num_key_value_heads") or n_head)
    hidden = int(config["hidden_size"])
    head_dim = int(config.get("head_dim") or hidden // n_head)
    # transformers 5 writes rope_parameters; older configs rope_theta + rope_scaling.
    rope = {**(config.get("rope_scaling") or {}), **(config.get("rope_parameters") or {})}
    rope_theta = float(rope.get("rope_theta") or config.get("rope_theta") or 10000.0)
    rope_type = rope.get("rope_type") or rope.get("type") or "default"
    if rope_type not in ("default", "llama3"):
        raise ExportError(
            f"{model_dir / 'config.json'}: RoPE scaling {rope_type!r} is not supported by this "
            "converter (plain RoPE and Llama 3's)"
        )
    tok = _tokenizer_metadata(model_dir)

    with _staged(out_path) as tmp_name:
        writer = gguf.GGUFWriter(tmp_name, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA])
        try:
            writer.add_name(name or model_dir.name)
            writer.add_context_length(int(config.get("max_position_embeddings", 2048)))
            writer.add_embedding_length(hidden)
            writer.add_block_count(n_layers)
            writer.add_feed_forward_length(int(config["intermediate_size"]))
            writer.add_head_count(n_head)
            writer.add_head_count_kv(n_kv)
            writer.add_rope_dimension_count(head_dim)
            writer.add_key_length(head_dim)
            writer.add_value_length(head_dim)
            writer.add_rope_freq_base(rope_theta)
            writer.add_layer_norm_rms_eps(float(config.get("rms_norm_eps", 1e-5)))
            writer.add_vocab_size(len(tok["tokens"]))
            writer.add_file_type(int(gguf.LlamaFileType.MOSTLY_F16))
            writer.add_tokenizer_model("gpt2")
            writer.add_tokenizer_pre(tok["pre"])
            writer.add_token_list(tok["tokens"])
            writer.add_token_types(tok["types"])
            writer.add_token_merges(tok["merges"])
            for key, adder in (
                ("bos", writer.add_bos_token_id),
                ("eos", writer.add_eos_token_id),
                ("pad", writer.add_pad_token_id),
                ("eot", writer.add_eot_token_id),
            ):
                if tok[key] is not None:
                    adder(int(tok[key]))
            writer.add_add_bos_token(tok["add_bos"])
            if tok["chat_template"]:
                writer.add_chat_template(tok["chat_template"])

            name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, n_layers)
            if rope_type == "llama3":
                writer.add_tensor("rope_freqs.weight", _llama3_rope_factors(config, rope, head_dim))
            seen_output = False
            for hf_name, data in _iter_tensors(model_dir):
                if hf_name.endswith("rotary_emb.inv_freq"):
                    continue  # recomputed by llama.cpp from rope_freq_base
                if hf_name.endswith("q_proj.weight"):
                    data = permute_for_rope(data, n_head)
                elif hf_name.endswith("k_proj.weight"):
                    data = permute_for_rope(data, n_kv)
                new_name = name_map.get_name(hf_name, try_suffixes=(".weight", ".bias"))
                if new_name is None:
                    raise ExportError(f"{model_dir}: tensor {hf_name!r} has no GGUF name for llama")
                seen_output = seen_output or new_name == "output.weight"
                dtype = np.float32 if data.ndim == 1 else np.float16
                writer.add_tensor(new_name, data.astype(dtype))
            if not seen_output and not config.get("tie_word_embeddings", False):
                raise ExportError(f"{model_dir}: no lm_head weights and embeddings are not tied")
            # Tied embeddings need nothing more: llama.cpp reuses token_embd as the output matrix.
            writer.write_header_to_file()
            writer.write_kv_data_to_file()
            writer.write_tensors_to_file(progress=False)
        finally:
            writer.close()
    return out_path


#: llama.cpp's file types for each quantization this module writes.
_FTYPES = {"f16": "LLAMA_FTYPE_MOSTLY_F16", "q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0"}
_FTYPES["q4_k_m"] = "LLAMA_FTYPE_MOSTLY_Q4_K_M"


def quantize_gguf(src: Path, dst: Path, quantization: Quantization, *, threads: int = 0) -> Path:
    """Quantize an f16/f32 GGUF with llama.cpp's ``llama_model_quantize`` (llama-cpp-python).

    Args:
        src: Input GGUF (f16 or f32).
        dst: Output GGUF; written under a temporary name and renamed.
        quantization: ``"q4_k_m"``, ``"q8_0"`` or ``"f16"``.
        threads: Threads for llama.cpp (0: all cores).

    Raises:
        ExportError: when llama.cpp reports a failure.
    """
    import llama_cpp

    if quantization not in _FTYPES:
        raise ExportError(f"unknown quantization {quantization!r}; use one of {sorted(_FTYPES)}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, _FTYPES[quantization])
    params.nthread = threads
    with _staged(dst) as tmp_name:
        status = llama_cpp.llama_model_quantize(
            str(src).encode(), tmp_name.encode(), ctypes.byref(params)
        )
        if status != 0:
            raise ExportError(
                f"llama.cpp could not quantize {src} to {quantization} (code {status})"
            )
    return dst


@contextlib.contextmanager
def _staged(dst: Path) -> Iterator[str]:
    """A temporary file beside ``dst`` that replaces it only if the block succeeds.

    Writers that need a path (GGUFWriter, llama.cpp's quantizer) write there, so an interrupted
    export never leaves a truncated model under the final name.
    """
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=dst.name, suffix=".part", dir=dst.parent)
    os.close(fd)
    mask = os.umask(0)
    os.umask(mask)
    # mkstemp creates the file owner-only; give the model the mode a plain open() would.
    os.chmod(tmp_name, 0o666 & ~mask)
    try:
        yield tmp_name
        os.replace(tmp_name, dst)
    finally:
        Path(tmp_name).unlink(missing_ok=True)

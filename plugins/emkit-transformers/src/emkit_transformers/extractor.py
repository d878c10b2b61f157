"""The ``transformers`` feature extractor: MiniLLM's features from a Hugging Face model folder.

Causal language models (``*ForCausalLM`` / ``*LMHeadModel``) give every column, perplexity
included; encoders (BERT-like) give embeddings, attention entropy and token statistics only —
they have no next-token distribution, so ``hf_perplexity`` and its trend are absent. Attention
weights come from the ``eager`` attention implementation. Nothing is downloaded: the folder
must hold the config, weights and tokenizer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

import emkit
from emkit import (
    MessageFeatures,
    add_temporal_features,
    day_frame,
    length_sorted_batches,
    message_day_schema,
)

__all__ = ["HFModelError", "TransformersExtractor"]


class HFModelError(emkit.EmkitError):
    """A Hugging Face model folder cannot be used (names the folder and why)."""


@dataclass
class _Loaded:
    model: Any
    tokenizer: Any
    causal: bool
    n_layers_heads: int
    hidden_size: int
    vocab_size: int
    max_length: int


#: Loaded models by folder, options and file times: extractors built with the same options
#: share one model (inference only, so sharing is safe).
_CACHE: dict[tuple[str, int | None, float], _Loaded] = {}


def _cache_key(folder: Path, max_length: int | None) -> tuple[str, int | None, float]:
    stamp = (
        max((p.stat().st_mtime for p in folder.iterdir()), default=0.0) if folder.is_dir() else 0.0
    )
    return (str(folder.resolve()), max_length, stamp)


class TransformersExtractor(emkit.FeatureExtractor):
    """Per-day ``hf_*`` features (same suffixes as ``llm_*``) from a local HF model folder.

    Embeddings are the last hidden layer; token-weighted mean per day as for MiniLLM. The
    ``hf_emb_*`` columns are one embedding block, ``hf`` (:meth:`schema`): stores keep them as
    float32 and evaluations reduce them with a per-fold PCA, as for MiniLLM's.
    """

    name: ClassVar[str] = "transformers"

    class Options(emkit.FeatureExtractor.Options):
        """Options of the transformers extractor."""

        model: Path = Field(description="Local model folder (save_pretrained output).")
        batch_size: int = Field(default=64, ge=1, description="Messages per forward pass.")
        max_batch_tokens: int = Field(default=16384, ge=1, description="Padded tokens per pass.")
        max_length: int | None = Field(
            default=None, ge=2, description="Token limit per message (default: the model's)."
        )
        temporal: bool = Field(default=True, description="Add the 7-day temporal features.")

    options: Options

    def __init__(self, **options: Any) -> None:
        """Validate options (the model is loaded on first use)."""
        super().__init__(**options)
        self._loaded: _Loaded | None = None

    @property
    def is_causal(self) -> bool:
        """Whether the model is a causal LM (and so gives perplexity)."""
        return self._load().causal

    def _load(self) -> _Loaded:
        if self._loaded is not None:
            return self._loaded
        key = _cache_key(Path(self.options.model), self.options.max_length)
        if key in _CACHE:
            self._loaded = _CACHE[key]
            return self._loaded
        from transformers import (
            AutoConfig,
            AutoModel,
            AutoModelForCausalLM,
            AutoTokenizer,
        )

        folder = Path(self.options.model)
        if not (folder / "config.json").is_file():
            raise HFModelError(f"{folder}: no config.json; expected a save_pretrained folder")
        try:
            config = AutoConfig.from_pretrained(folder, local_files_only=True)
            architectures = config.architectures or []
            causal = any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in architectures)
            loader = AutoModelForCausalLM if causal else AutoModel
            model = loader.from_pretrained(
                folder, local_files_only=True, attn_implementation="eager", dtype="float32"
            )
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            raise HFModelError(f"{folder}: cannot load the model or tokenizer: {exc}") from None
        model.eval()
        text_config = (
            model.config.get_text_config()
            if hasattr(model.config, "get_text_config")
            else model.config
        )
        n_layers = int(text_config.num_hidden_layers)
        n_heads = int(text_config.num_attention_heads)
        limit = getattr(text_config, "max_position_embeddings", None) or getattr(
            text_config, "n_positions", 512
        )
        if len(tokenizer) > text_config.vocab_size:
            raise HFModelError(
                f"{folder}: tokenizer has {len(tokenizer)} tokens but the model's vocabulary is "
                f"{text_config.vocab_size}"
            )
        self._loaded = _Loaded(
            model=model,
            tokenizer=tokenizer,
            causal=causal,
            n_layers_heads=n_layers * n_heads,
            hidden_size=int(text_config.hidden_size),
            vocab_size=int(text_config.vocab_size),
            max_length=int(self.options.max_length or limit),
        )
        _CACHE[key] = self._loaded
        return self._loaded

    def message_features(self, texts: Sequence[str]) -> MessageFeatures:
        """Per-message features; ``nll_sum`` is NaN for encoders."""
        import torch
        import torch.nn.functional as F

        loaded = self._load()
        encoded = (
            loaded.tokenizer(list(texts), add_special_tokens=True)["input_ids"] if texts else []
        )
        token_ids = [
            np.asarray(ids[: loaded.max_length] if text.strip() else [], dtype=np.int64)
            for text, ids in zip(texts, encoded, strict=True)
        ]
        n, d = len(texts), loaded.hidden_size
        emb_mean = np.zeros((n, d), dtype=np.float32)
        emb_cls = np.zeros((n, d), dtype=np.float32)
        emb_last = np.zeros((n, d), dtype=np.float32)
        nll_sum = np.zeros(n) if loaded.causal else np.full(n, np.nan)
        entropy = np.zeros(n)
        lengths = [len(t) for t in token_ids]
        pad_id = loaded.tokenizer.pad_token_id
        pad_id = 0 if pad_id is None else int(pad_id)
        with torch.inference_mode():
            for batch in length_sorted_batches(
                lengths, self.options.batch_size, self.options.max_batch_tokens
            ):
                width = lengths[batch[0]]
                ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
                for row, i in enumerate(batch):
                    ids[row, : lengths[i]] = torch.from_numpy(token_ids[i])
                seq = torch.tensor([lengths[i] for i in batch])
                mask = torch.arange(width)[None, :] < seq[:, None]
                out = loaded.model(
                    input_ids=ids,
                    attention_mask=mask.long(),
                    output_hidden_states=True,
                    output_attentions=True,
                )
                hidden = out.hidden_states[-1].float()
                maskf = mask.float()
                idx = np.asarray(batch)
                rows = torch.arange(len(batch))
                emb_mean[idx] = ((hidden * maskf[..., None]).sum(1) / seq[:, None]).numpy()
                emb_cls[idx] = hidden[:, 0].numpy()
                emb_last[idx] = hidden[rows, seq - 1].numpy()
                per_query = sum(
                    torch.special.entr(a.float()).sum(-1).sum(1) for a in out.attentions
                )
                entropy[idx] = ((per_query / loaded.n_layers_heads * maskf).sum(1) / seq).numpy()
                if loaded.causal:
                    logits = out.logits[:, :-1].float()
                    nll = F.cross_entropy(
                        logits.reshape(-1, logits.size(-1)),
                        ids[:, 1:].reshape(-1),
                        reduction="none",
                    ).view(len(batch), width - 1)
                    nll_sum[idx] = (nll * mask[:, 1:]).sum(1).double().numpy()
        seq_len = np.asarray(lengths, dtype=np.int64)
        return MessageFeatures(
            emb_mean=emb_mean,
            emb_cls=emb_cls,
            emb_last=emb_last,
            nll_sum=nll_sum,
            n_predicted=np.maximum(seq_len - 1, 0) if loaded.causal else np.zeros_like(seq_len),
            attention_entropy=entropy,
            seq_len=seq_len,
            token_ids=token_ids,
        )

    def schema(self) -> emkit.FeatureSchema:
        """The ``hf_*`` columns with their roles (loads the model for its width and head)."""
        loaded = self._load()
        return message_day_schema(
            "hf_", loaded.hidden_size, perplexity=loaded.causal, temporal=self.options.temporal
        )

    def transform(self, days: Sequence[emkit.PatientDay]) -> pd.DataFrame:
        """One row of ``hf_*`` features per day, in input order."""
        loaded = self._load()
        texts = [m.text for day in days for m in day.messages]
        frame = day_frame(
            days,
            self.message_features(texts),
            vocab_size=loaded.vocab_size,
            prefix="hf_",
            perplexity=loaded.causal,
        )
        if self.options.temporal:
            frame = add_temporal_features(frame, "hf_")
        return frame

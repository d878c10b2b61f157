"""The ``minillm`` feature extractor: per-day features of a trained MiniLLM checkpoint."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd
from pydantic import Field

import emkit
from emkit import MessageFeatures, add_temporal_features, day_frame, message_day_schema

if TYPE_CHECKING:
    from emkit_minillm.checkpoint import LoadedModel

__all__ = ["MiniLLMExtractor"]


#: Loaded checkpoints by path and file times: extractors with the same checkpoint share one
#: model (inference only). A rewritten checkpoint has new file times, so it is reloaded.
_CACHE: dict[tuple[str, str, float], LoadedModel] = {}


def _cache_key(
    checkpoint: Path, tokenizer: Path | None, n_head: int | None
) -> tuple[str, str, float]:
    paths = [Path(checkpoint)]
    if Path(checkpoint).is_dir():
        paths = list(Path(checkpoint).iterdir())
    if tokenizer is not None:
        paths.append(Path(tokenizer))
    stamp = max((p.stat().st_mtime_ns for p in paths if p.exists()), default=0)
    return (str(Path(checkpoint).resolve()), f"{tokenizer}|{n_head}", float(stamp))


class MiniLLMExtractor(emkit.FeatureExtractor):
    """Day perplexity, embedding, attention entropy and more from a MiniLLM checkpoint.

    Columns (prefix ``llm_``): ``llm_emb_000 … llm_emb_{n_embd-1}`` (token-weighted mean day
    embedding), ``llm_perplexity``, ``llm_attention_entropy``, ``llm_token_repetition``,
    ``llm_vocab_coverage``, ``llm_seq_len``, ``llm_coherence`` and, with ``temporal=True``,
    ``llm_perplexity_trend_7d``, ``llm_emb_drift_7d``, ``llm_coherence_drop``. See
    :func:`emkit.day_frame` for the formulas; :meth:`schema` declares the columns' roles. The
    checkpoint is loaded on first use.
    """

    name: ClassVar[str] = "minillm"

    class Options(emkit.FeatureExtractor.Options):
        """Options of the MiniLLM extractor."""

        checkpoint: Path = Field(
            description="Checkpoint folder, or a .pt of the user's MiniLLM (ckpt_best.pt)."
        )
        tokenizer: Path | None = Field(
            default=None,
            description="tokenizer.json (default: the checkpoint folder's; for a .pt, the "
            "nearest tokenizer.json beside it or up to three folders above).",
        )
        n_head: int | None = Field(
            default=None,
            ge=1,
            description="Attention heads of a .pt whose config does not record n_head "
            "(default 6, TinyGPTv2's).",
        )
        batch_size: int = Field(default=64, ge=1, description="Messages per forward pass.")
        max_batch_tokens: int = Field(
            default=16384, ge=1, description="Padded tokens per forward pass."
        )
        temporal: bool = Field(default=True, description="Add the 7-day temporal features.")
        threads: int | None = Field(default=None, ge=1, description="torch CPU threads.")

    options: Options

    def __init__(self, **options: Any) -> None:
        """Validate options (the checkpoint is read on first use)."""
        super().__init__(**options)
        self._loaded: LoadedModel | None = None

    @property
    def loaded(self) -> LoadedModel:
        """The checkpoint's model and tokenizer (loaded once)."""
        if self._loaded is None:
            from emkit_minillm.checkpoint import load_checkpoint

            options = self.options
            key = _cache_key(options.checkpoint, options.tokenizer, options.n_head)
            if key not in _CACHE:
                _CACHE[key] = load_checkpoint(
                    options.checkpoint, options.tokenizer, n_head=options.n_head
                )
            self._loaded = _CACHE[key]
        return self._loaded

    def message_features(self, texts: Sequence[str]) -> MessageFeatures:
        """Per-message features (``emb_mean``, ``emb_cls``, ``emb_last``, perplexity, ...)."""
        import torch

        from emkit_minillm.inference import encode_messages, message_features

        loaded = self.loaded
        if self.options.threads:
            torch.set_num_threads(self.options.threads)
        ids = encode_messages(texts, loaded.tokenizer, loaded.model.block_size)
        return message_features(
            loaded.model,
            ids,
            batch_size=self.options.batch_size,
            max_batch_tokens=self.options.max_batch_tokens,
        )

    def schema(self) -> emkit.FeatureSchema:
        """The ``llm_*`` columns with their roles (loads the checkpoint for its width)."""
        return message_day_schema(
            "llm_", self.loaded.model.config.n_embd, temporal=self.options.temporal
        )

    def transform(self, days: Sequence[emkit.PatientDay]) -> pd.DataFrame:
        """One row per day, in input order (see the class docstring for the columns)."""
        texts = [m.text for day in days for m in day.messages]
        features = self.message_features(texts)
        frame = day_frame(days, features, vocab_size=self.loaded.model.config.vocab_size)
        if self.options.temporal:
            frame = add_temporal_features(frame, "llm_")
        return frame

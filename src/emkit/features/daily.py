"""Per-message language-model features and their aggregation into per-day rows (numpy only).

Language-model extractors (``emkit-minillm``, ``emkit-transformers``) compute
:class:`MessageFeatures` for every message and call :func:`day_frame`, so the day-level
formulas live in one place:

- ``<p>emb_NNN``: token-weighted mean of the messages' mean token embeddings.
- ``<p>perplexity``: ``exp(Σ NLL / Σ predicted tokens)`` over the day's messages.
- ``<p>attention_entropy``, ``<p>token_repetition``: as defined per message, the day's values
  are token-weighted means (attention entropy) or are computed on the day's tokens together
  (repetition ``1 - unique/total``).
- ``<p>vocab_coverage``: distinct token ids of the day / vocabulary size.
- ``<p>seq_len``: tokens of the day. ``<p>coherence``: mean cosine similarity between
  consecutive messages' mean embeddings (NaN with fewer than two messages).

A day without text gets zero embeddings, perplexity 0 and ``seq_len`` 0, like the seed's
``_empty_embeddings``; ratios are 0 and coherence NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emkit.features.schema import ColumnRole, FeatureColumn, FeatureSchema
from emkit.models import FEATURE_INDEX, PatientDay

__all__ = [
    "MessageFeatures",
    "day_frame",
    "length_sorted_batches",
    "message_day_columns",
    "message_day_schema",
]


@dataclass
class MessageFeatures:
    """Features of ``n`` messages (arrays aligned with the messages).

    Attributes:
        emb_mean: ``(n, d)`` mean of the final hidden states over the message's tokens.
        emb_cls: ``(n, d)`` final hidden state of the first token.
        emb_last: ``(n, d)`` final hidden state of the last token.
        nll_sum: ``(n,)`` summed next-token negative log-likelihood, in nats (NaN: no LM head).
        n_predicted: ``(n,)`` tokens predicted (``seq_len - 1``).
        attention_entropy: ``(n,)`` mean attention entropy in nats (see the docs).
        seq_len: ``(n,)`` tokens after truncation to the block size.
        token_ids: the (truncated) token ids of each message.
    """

    emb_mean: np.ndarray
    emb_cls: np.ndarray
    emb_last: np.ndarray
    nll_sum: np.ndarray
    n_predicted: np.ndarray
    attention_entropy: np.ndarray
    seq_len: np.ndarray
    token_ids: list[np.ndarray]

    @property
    def perplexity(self) -> np.ndarray:
        """Per-message perplexity ``exp(nll_sum / n_predicted)`` (NaN if nothing predicted)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                self.n_predicted > 0,
                np.exp(self.nll_sum / np.maximum(self.n_predicted, 1)),
                np.nan,
            )

    @property
    def token_repetition(self) -> np.ndarray:
        """Per-message ``1 - distinct tokens / tokens`` (0 for empty messages)."""
        return np.array(
            [1.0 - len(np.unique(t)) / len(t) if len(t) else 0.0 for t in self.token_ids]
        )

    def vocab_coverage(self, vocab_size: int) -> np.ndarray:
        """Per-message distinct tokens / ``vocab_size``."""
        return np.array([len(np.unique(t)) / vocab_size for t in self.token_ids])


def length_sorted_batches(
    lengths: Sequence[int], batch_size: int, max_batch_tokens: int
) -> list[list[int]]:
    """Indices of non-empty sequences grouped into batches of similar length.

    Longest first; a batch holds at most ``batch_size`` sequences and at most
    ``max_batch_tokens`` padded tokens (a longer single sequence gets a batch of its own).
    """
    order = sorted((i for i, n in enumerate(lengths) if n > 0), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        width = lengths[current[0]] if current else lengths[i]
        full = len(current) >= batch_size or (len(current) + 1) * width > max_batch_tokens
        if current and full:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def message_day_columns(prefix: str, n_embd: int, *, perplexity: bool = True) -> list[str]:
    """Columns of :func:`day_frame` for ``prefix`` and embedding width ``n_embd``."""
    scalars = ["attention_entropy", "token_repetition", "vocab_coverage", "seq_len", "coherence"]
    if perplexity:
        scalars.insert(0, "perplexity")
    return [f"{prefix}emb_{i:03d}" for i in range(n_embd)] + [f"{prefix}{s}" for s in scalars]


def message_day_schema(
    prefix: str,
    n_embd: int,
    *,
    perplexity: bool = True,
    temporal: bool = False,
    window: int = 7,
) -> FeatureSchema:
    """The columns of :func:`day_frame` with their roles: what a language-model extractor declares.

    With ``temporal``, the columns :func:`~emkit.add_temporal_features` adds are included.

    The embedding block is ``prefix`` without its final ``_`` (``"llm_"`` → ``"llm"``).
    """
    block = prefix.rstrip("_")
    roles = {f"{prefix}perplexity": ColumnRole.PERPLEXITY}
    names = message_day_columns(prefix, n_embd, perplexity=perplexity)
    if temporal:
        if perplexity:
            names.append(f"{prefix}perplexity_trend_{window}d")
            roles[names[-1]] = ColumnRole.PERPLEXITY_TREND
        names.append(f"{prefix}emb_drift_{window}d")
        roles[names[-1]] = ColumnRole.EMBEDDING_DRIFT
        names.append(f"{prefix}coherence_drop")
    columns = [
        FeatureColumn(name=name, role=ColumnRole.EMBEDDING, block=block)
        if i < n_embd
        else FeatureColumn(name=name, role=roles.get(name, ColumnRole.SCALAR), block=block)
        for i, name in enumerate(names)
    ]
    return FeatureSchema(columns=tuple(columns))


def day_frame(
    days: Sequence[PatientDay],
    features: MessageFeatures,
    *,
    vocab_size: int,
    prefix: str = "llm_",
    perplexity: bool = True,
) -> pd.DataFrame:
    """Aggregate message features into one row per day (messages in day order).

    ``features`` holds every message of ``days`` in order (day by day, message by message).
    Embedding columns are float32, the rest float64.
    """
    n_embd = features.emb_mean.shape[1]
    columns = message_day_columns(prefix, n_embd, perplexity=perplexity)
    emb = np.zeros((len(days), n_embd), dtype=np.float32)
    scalars = np.zeros((len(days), len(columns) - n_embd), dtype=np.float64)
    start = 0
    for row, day in enumerate(days):
        stop = start + day.n_messages
        lengths = features.seq_len[start:stop].astype(np.float64)
        used = lengths > 0
        total = lengths.sum()
        values: list[float] = []
        if total == 0:
            values = [0.0] * (scalars.shape[1] - 1) + [float("nan")]
            if perplexity:
                values[0] = 0.0
        else:
            weights = lengths[used] / total
            means = features.emb_mean[start:stop][used].astype(np.float64)
            emb[row] = (weights[:, None] * means).sum(axis=0)
            tokens = np.concatenate([features.token_ids[i] for i in range(start, stop)])
            if perplexity:
                predicted = features.n_predicted[start:stop].sum()
                nll = features.nll_sum[start:stop][used].sum()
                values.append(float(np.exp(nll / predicted)) if predicted > 0 else float("nan"))
            values += [
                float((weights * features.attention_entropy[start:stop][used]).sum()),
                1.0 - len(np.unique(tokens)) / len(tokens),
                len(np.unique(tokens)) / vocab_size,
                float(total),
                _coherence(means),
            ]
        scalars[row] = values
        start = stop
    index = pd.MultiIndex.from_tuples(
        [(d.patient_id, d.date) for d in days], names=list(FEATURE_INDEX)
    )
    frame = pd.DataFrame(emb, index=index, columns=columns[:n_embd])
    scalar_frame = pd.DataFrame(scalars, index=index, columns=columns[n_embd:])
    return pd.concat([frame, scalar_frame], axis=1)


def _coherence(embeddings: np.ndarray) -> float:
    """Mean cosine similarity of consecutive rows (NaN with fewer than two)."""
    if len(embeddings) < 2:
        return float("nan")
    a, b = embeddings[:-1], embeddings[1:]
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosines = np.where(norms > 0, (a * b).sum(axis=1) / np.where(norms > 0, norms, 1), np.nan)
    return float(np.nanmean(cosines)) if not np.isnan(cosines).all() else float("nan")

"""Batched MiniLLM inference: per-message features of many texts at once.

Messages are tokenised together, truncated to the block size like the seed, sorted by length
and cut into batches bounded by a message count and a token budget; each batch is right-padded,
so with the causal mask no real position ever attends to padding, and padded positions are
masked out of every statistic. Everything runs under :func:`torch.inference_mode` in float32.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from emkit import MessageFeatures, length_sorted_batches

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from emkit_minillm.model import TinyGPT

__all__ = ["encode_messages", "message_features"]


def encode_messages(
    texts: Sequence[str], tokenizer: Tokenizer, block_size: int
) -> list[np.ndarray]:
    """Token ids of each text, truncated to ``block_size``; blank texts give no tokens."""
    encodings = tokenizer.encode_batch(list(texts))
    out = []
    for text, encoding in zip(texts, encodings, strict=True):
        ids = encoding.ids[:block_size] if text.strip() else []
        out.append(np.asarray(ids, dtype=np.int64))
    return out


def message_features(
    model: TinyGPT,
    token_ids: Sequence[np.ndarray],
    *,
    batch_size: int = 64,
    max_batch_tokens: int = 16384,
    pad_id: int = 0,
) -> MessageFeatures:
    """Per-message features of already-encoded messages (see :class:`MessageFeatures`).

    ``attention_entropy`` of a message is ``-Σ a·log a`` over each query's attention weights,
    averaged over the message's query positions, the heads and the layers (nats).
    """
    import torch

    n, d = len(token_ids), model.n_embd
    emb_mean = np.zeros((n, d), dtype=np.float32)
    emb_cls = np.zeros((n, d), dtype=np.float32)
    emb_last = np.zeros((n, d), dtype=np.float32)
    nll_sum = np.zeros(n, dtype=np.float64)
    entropy = np.zeros(n, dtype=np.float64)
    lengths = [len(t) for t in token_ids]
    n_layers_heads = len(model.blocks) * model.config.n_head
    model.eval()
    with torch.inference_mode():
        for batch in length_sorted_batches(lengths, batch_size, max_batch_tokens):
            width = lengths[batch[0]]
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            for row, i in enumerate(batch):
                ids[row, : lengths[i]] = torch.from_numpy(token_ids[i])
            seq = torch.tensor([lengths[i] for i in batch])
            mask = torch.arange(width)[None, :] < seq[:, None]  # (B, T) real tokens
            entropies: list[torch.Tensor] = []
            hidden = model.hidden_states(ids, entropy_out=entropies)
            logits = model.head(hidden[:, :-1])
            # NLL = logsumexp(logits) - logit of the next token: same value as cross_entropy
            # without writing a full log-softmax array (the head output is the largest tensor)
            target = logits.gather(-1, ids[:, 1:, None]).squeeze(-1)
            nll = torch.logsumexp(logits, dim=-1) - target
            predicted = mask[:, 1:]
            maskf = mask.to(hidden.dtype)
            sums = (hidden * maskf[..., None]).sum(dim=1)
            per_query = torch.stack(entropies).sum(dim=0) / n_layers_heads  # (B, T)
            rows = torch.arange(len(batch))
            idx = np.asarray(batch)
            emb_mean[idx] = (sums / seq[:, None].to(hidden.dtype)).numpy()
            emb_cls[idx] = hidden[:, 0].numpy()
            emb_last[idx] = hidden[rows, seq - 1].numpy()
            nll_sum[idx] = (nll * predicted).sum(dim=1).double().numpy()
            entropy[idx] = ((per_query * maskf).sum(dim=1) / seq).double().numpy()
    seq_len = np.asarray(lengths, dtype=np.int64)
    return MessageFeatures(
        emb_mean=emb_mean,
        emb_cls=emb_cls,
        emb_last=emb_last,
        nll_sum=nll_sum,
        n_predicted=np.maximum(seq_len - 1, 0),
        attention_entropy=entropy,
        seq_len=seq_len,
        token_ids=list(token_ids),
    )

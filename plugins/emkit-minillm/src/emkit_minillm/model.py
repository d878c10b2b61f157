"""TinyGPT: a small GPT with rotary position embeddings (RoPE).

Module and attribute names follow the seed's ``TinyGPTv2`` (``token_emb``, ``rotary_emb``,
``drop``, ``blocks``, ``ln_f``, ``head``, ``block_size``, ``n_embd``, ``use_rope``), so code
written against it, such as the seed's ``MiniLLMEmbedder``, runs unchanged::

    cos, sin = model.rotary_emb(x.size(1), device=x.device)
    hidden = model.drop(model.token_emb(x))
    for block in model.blocks:
        hidden = block(hidden, rope_cos_sin=(cos, sin))
    logits = model.head(model.ln_f(hidden))
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["PRESETS", "ModelConfig", "TinyGPT", "TinyGPTv2"]


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of a TinyGPT (the keys of the seed's ``model_config``)."""

    vocab_size: int = 32000
    block_size: int = 256
    n_embd: int = 384
    n_layer: int = 8
    n_head: int = 6
    use_rope: bool = True
    dropout: float = 0.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Build from a dict, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-serialisable)."""
        return asdict(self)

    def n_params(self) -> int:
        """Parameter count (embeddings, blocks, final norm and head)."""
        d, v = self.n_embd, self.vocab_size
        per_block = 2 * 2 * d + d * 3 * d + 3 * d + d * d + d + d * 4 * d + 4 * d + 4 * d * d + d
        pos = 0 if self.use_rope else self.block_size * d
        return v * d + pos + self.n_layer * per_block + 2 * d + d * v


#: Named sizes: ``seed`` is the seed's model; the others fit a 2-core CPU.
PRESETS: dict[str, ModelConfig] = {
    "seed": ModelConfig(),
    "small": ModelConfig(vocab_size=8000, block_size=128, n_embd=256, n_layer=4, n_head=4),
    "tiny": ModelConfig(vocab_size=4000, block_size=128, n_embd=128, n_layer=2, n_head=4),
    "micro": ModelConfig(vocab_size=1000, block_size=64, n_embd=64, n_layer=2, n_head=2),
}


class RotaryEmbedding(nn.Module):
    """Rotary position embedding tables.

    ``forward(seq_len)`` gives ``(cos, sin)``, each ``(seq_len, head_dim)``.
    """

    inv_freq: torch.Tensor

    def __init__(self, head_dim: int, base: float = 10000.0) -> None:
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(
        self, seq_len: int, device: torch.device | str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Cosine and sine tables for positions ``0 … seq_len - 1``."""
        t = torch.arange(seq_len, device=device or self.inv_freq.device, dtype=torch.float32)
        freqs = torch.outer(t, self.inv_freq.to(t.device))
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate ``x`` ``(B, H, T, hd)`` by the position tables ``(T, hd)``."""
    return x * cos + _rotate_half(x) * sin


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with optional RoPE."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.n_embd % config.n_head:
            raise ValueError("n_embd must be a multiple of n_head")
        self.n_head = config.n_head
        self.head_dim = config.n_embd // config.n_head
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.proj = nn.Linear(config.n_embd, config.n_embd)
        self.dropout = config.dropout

    def forward(
        self,
        x: torch.Tensor,
        rope_cos_sin: tuple[torch.Tensor, torch.Tensor] | None = None,
        entropy_out: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Attend causally.

        With ``entropy_out``, append the ``(B, T)`` attention entropy in nats summed over heads
        (the weights are then computed explicitly instead of by fused SDPA).
        """
        b, t, c = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.n_head, self.head_dim).permute(2, 0, 3, 1, 4)
        if rope_cos_sin is not None:
            cos, sin = rope_cos_sin
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if entropy_out is None:
            y = F.scaled_dot_product_attention(
                q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0
            )
        else:
            scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
            mask = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
            weights = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
            entropy_out.append(torch.special.entr(weights).sum(dim=-1).sum(dim=1))
            y = weights @ v
        return self.proj(y.transpose(1, 2).reshape(b, t, c))


class Block(nn.Module):
    """Pre-norm transformer block: attention and a GELU MLP, each with a residual."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(config.n_embd, 4 * config.n_embd),
            nn.GELU(),
            nn.Linear(4 * config.n_embd, config.n_embd),
            nn.Dropout(config.dropout),
        )

    def forward(
        self,
        x: torch.Tensor,
        rope_cos_sin: tuple[torch.Tensor, torch.Tensor] | None = None,
        entropy_out: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """One block; ``rope_cos_sin`` as the seed passes it."""
        x = x + self.attn(self.ln_1(x), rope_cos_sin=rope_cos_sin, entropy_out=entropy_out)
        return x + self.mlp(self.ln_2(x))


class TinyGPT(nn.Module):
    """A GPT language model with RoPE (the seed's TinyGPTv2 layout).

    Args:
        vocab_size, block_size, n_embd, n_layer, n_head, use_rope, dropout: see
            :class:`ModelConfig`; or pass ``config=``.
    """

    def __init__(self, config: ModelConfig | None = None, **sizes: Any) -> None:
        super().__init__()
        config = config or ModelConfig.from_dict(sizes)
        self.config = config
        self.block_size = config.block_size
        self.n_embd = config.n_embd
        self.use_rope = config.use_rope
        self.token_emb = nn.Embedding(config.vocab_size, config.n_embd)
        if config.use_rope:
            self.rotary_emb = RotaryEmbedding(config.n_embd // config.n_head)
        else:
            self.pos_emb = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def hidden_states(
        self, idx: torch.Tensor, entropy_out: list[torch.Tensor] | None = None
    ) -> torch.Tensor:
        """Final (``ln_f``-normalised) hidden states ``(B, T, n_embd)`` of token ids ``idx``."""
        t = idx.size(1)
        if t > self.block_size:
            raise ValueError(f"sequence of {t} tokens exceeds block_size {self.block_size}")
        x = self.token_emb(idx)
        rope = None
        if self.use_rope:
            rope = self.rotary_emb(t, device=idx.device)
        else:
            x = x + self.pos_emb(torch.arange(t, device=idx.device))
        x = self.drop(x)
        for block in self.blocks:
            x = block(x, rope_cos_sin=rope, entropy_out=entropy_out)
        hidden: torch.Tensor = self.ln_f(x)
        return hidden

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits ``(B, T, vocab)`` and, with ``targets``, the mean cross-entropy (nats).

        Targets equal to ``-100`` are ignored.
        """
        logits = self.head(self.hidden_states(idx))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(
                logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-100
            )
        return logits, loss


#: The seed's class name.
TinyGPTv2 = TinyGPT

"""TinyGPT: the user's MiniLLM ``TinyGPTv2``, parameter for parameter.

The layout is the user's ``model.py``, so a ``state_dict`` moves both ways between emkit and
their MiniLLM code (``MiniLLM/runs/<run>/ckpt_best.pt`` loads here, and a checkpoint emkit trains
loads there)::

    token_emb                  Embedding(vocab_size, n_embd)
    pos_emb                    Embedding(block_size, n_embd)   only without RoPE
    rotary_emb                 RoPE tables (inv_freq: a non-persistent buffer)
    drop                       Dropout
    blocks.{i}.ln1             LayerNorm (pre-LN)
    blocks.{i}.attn.qkv        Linear(n_embd, 3·n_embd, bias=False)
    blocks.{i}.attn.out        Linear(n_embd, n_embd, bias=False)
    blocks.{i}.ln2             LayerNorm
    blocks.{i}.mlp             Sequential(Linear(n_embd, int(n_embd·mlp_ratio)), GELU, Dropout,
                                          Linear(…, n_embd), Dropout)  → mlp.0.*, mlp.3.*
    ln_f                       LayerNorm
    head                       Linear(n_embd, vocab_size, bias=False), weight tied to token_emb

Code written against it, such as the seed's ``MiniLLMEmbedder``, runs unchanged::

    cos, sin = model.rotary_emb(x.size(1), device=x.device)
    hidden = model.drop(model.token_emb(x))
    for block in model.blocks:
        hidden = block(hidden, rope_cos_sin=(cos, sin))
    logits = model.head(model.ln_f(hidden))

Checkpoints of emkit-minillm 0.1 (before it adopted this layout) had biases on ``qkv`` and on the
attention output and an untied head; :func:`convert_legacy_state_dict` renames their keys, and
the ``qkv_bias``/``out_bias``/``tie_weights`` options of :class:`ModelConfig` keep those extra
parameters so their features do not change.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "PRESETS",
    "ModelConfig",
    "TinyGPT",
    "TinyGPTv2",
    "apply_rope",
    "convert_legacy_state_dict",
    "rotate_half",
]


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of a TinyGPT: the constructor arguments of the user's ``TinyGPTv2``.

    ``dropout`` is their ``drop``. ``qkv_bias``, ``out_bias`` and ``tie_weights`` are only for
    converted emkit-minillm 0.1 checkpoints; the TinyGPTv2 layout is their defaults.
    """

    vocab_size: int = 32000
    block_size: int = 256
    n_embd: int = 384
    n_layer: int = 8
    n_head: int = 6
    use_rope: bool = True
    dropout: float = 0.1
    attn_drop: float = 0.0
    mlp_ratio: float = 4.0
    rope_base: float = 10000.0
    use_checkpoint: bool = False
    qkv_bias: bool = False
    out_bias: bool = False
    tie_weights: bool = True

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Build from a dict, ignoring keys this version does not know (``drop`` = ``dropout``)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "drop" in data and "dropout" not in data:
            values["dropout"] = data["drop"]
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-serialisable)."""
        return asdict(self)

    def tinygptv2_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of the user's ``TinyGPTv2(...)`` for this model."""
        return {
            "vocab_size": self.vocab_size,
            "block_size": self.block_size,
            "n_embd": self.n_embd,
            "n_layer": self.n_layer,
            "n_head": self.n_head,
            "drop": self.dropout,
            "attn_drop": self.attn_drop,
            "mlp_ratio": self.mlp_ratio,
            "use_rope": self.use_rope,
            "use_checkpoint": self.use_checkpoint,
            "rope_base": self.rope_base,
        }

    @property
    def mlp_hidden(self) -> int:
        """Width of the MLP's hidden layer, ``int(n_embd · mlp_ratio)``."""
        return int(self.n_embd * self.mlp_ratio)

    def n_params(self) -> int:
        """Parameter count (a tied head counts once)."""
        d, v, h = self.n_embd, self.vocab_size, self.mlp_hidden
        attn = d * 3 * d + d * d + (3 * d if self.qkv_bias else 0) + (d if self.out_bias else 0)
        per_block = 2 * 2 * d + attn + d * h + h + h * d + d
        pos = 0 if self.use_rope else self.block_size * d
        head = 0 if self.tie_weights else d * v
        return v * d + pos + self.n_layer * per_block + 2 * d + head


#: Named sizes: ``seed`` is the user's TinyGPTv2 defaults; the others fit a 2-core CPU (and,
#: trained for few steps on small corpora, use no dropout).
PRESETS: dict[str, ModelConfig] = {
    "seed": ModelConfig(),
    "small": ModelConfig(
        vocab_size=8000, block_size=128, n_embd=256, n_layer=4, n_head=4, dropout=0.0
    ),
    "tiny": ModelConfig(
        vocab_size=4000, block_size=128, n_embd=128, n_layer=2, n_head=4, dropout=0.0
    ),
    "micro": ModelConfig(
        vocab_size=1000, block_size=64, n_embd=64, n_layer=2, n_head=2, dropout=0.0
    ),
}


class RotaryEmbedding(nn.Module):
    """Rotary position embedding tables on the head dimension.

    ``forward(seq_len)`` gives ``(cos, sin)``, each ``(seq_len, head_dim)``: the cosine and sine
    of ``cat(freqs, freqs)`` with ``freqs = t ⊗ inv_freq`` and
    ``inv_freq = base^(-2i/head_dim)``.
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


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """``(x1, x2) → (-x2, x1)`` on the last dimension, split in halves."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate ``x`` ``(B, H, T, hd)`` by the position tables ``(T, hd)``."""
    return x * cos + rotate_half(x) * sin


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention (scaled by ``1/√head_dim``) with optional RoPE."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.n_embd % config.n_head:
            raise ValueError(f"n_embd {config.n_embd} must be a multiple of n_head {config.n_head}")
        self.n_head = config.n_head
        self.head_dim = config.n_embd // config.n_head
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.qkv_bias)
        self.out = nn.Linear(config.n_embd, config.n_embd, bias=config.out_bias)
        self.attn_drop = config.attn_drop
        self.attn_dropout = nn.Dropout(config.attn_drop)

    def forward(
        self,
        x: torch.Tensor,
        rope_cos_sin: tuple[torch.Tensor, torch.Tensor] | None = None,
        entropy_out: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Attend causally.

        Without ``entropy_out`` this is fused SDPA. With it, the attention probabilities are
        computed here (softmax of the masked, scaled scores) and the ``(B, T)`` attention
        entropy in nats, summed over heads, is appended to ``entropy_out``.
        """
        b, t, c = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.n_head, self.head_dim).permute(2, 0, 3, 1, 4)
        if rope_cos_sin is not None:
            cos, sin = rope_cos_sin
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if entropy_out is None:
            y = F.scaled_dot_product_attention(
                q, k, v, is_causal=True, dropout_p=self.attn_drop if self.training else 0.0
            )
        else:
            scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
            mask = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
            weights = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
            entropy_out.append(torch.special.entr(weights).sum(dim=-1).sum(dim=1))
            y = self.attn_dropout(weights) @ v
        return self.out(y.transpose(1, 2).reshape(b, t, c))


class Block(nn.Module):
    """Pre-LN transformer block: ``x + attn(ln1(x))``, then ``x + mlp(ln2(x))``."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        hidden = config.mlp_hidden
        self.ln1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln2 = nn.LayerNorm(config.n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(config.n_embd, hidden),
            nn.GELU(),
            nn.Dropout(config.dropout),
            nn.Linear(hidden, config.n_embd),
            nn.Dropout(config.dropout),
        )

    def forward(
        self,
        x: torch.Tensor,
        rope_cos_sin: tuple[torch.Tensor, torch.Tensor] | None = None,
        entropy_out: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """One block; ``rope_cos_sin`` as the seed passes it."""
        x = x + self.attn(self.ln1(x), rope_cos_sin=rope_cos_sin, entropy_out=entropy_out)
        return x + self.mlp(self.ln2(x))


class TinyGPT(nn.Module):
    """The user's TinyGPTv2: a pre-LN GPT with RoPE (or a learned ``pos_emb``), tied head.

    Call it like theirs, ``TinyGPT(vocab_size, block_size=256, n_embd=384, n_layer=8,
    n_head=6, drop=0.1, attn_drop=0.0, mlp_ratio=4.0, use_rope=True, use_checkpoint=False,
    rope_base=10000.0)``, or pass a :class:`ModelConfig` (``TinyGPT(config)``).
    ``use_checkpoint`` turns on activation checkpointing of the blocks while training.
    """

    def __init__(self, config: ModelConfig | int | None = None, **sizes: Any) -> None:
        super().__init__()
        if isinstance(config, int):
            sizes["vocab_size"] = config
            config = None
        config = config or ModelConfig.from_dict(sizes)
        self.config = config
        self.block_size = config.block_size
        self.n_embd = config.n_embd
        self.use_rope = config.use_rope
        self.use_checkpoint = config.use_checkpoint
        self.token_emb = nn.Embedding(config.vocab_size, config.n_embd)
        if config.use_rope:
            self.rotary_emb = RotaryEmbedding(config.n_embd // config.n_head, config.rope_base)
        else:
            self.pos_emb = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.apply(self._init_weights)
        if config.tie_weights:
            self.head.weight = self.token_emb.weight

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def hidden_states(
        self, idx: torch.Tensor, entropy_out: list[torch.Tensor] | None = None
    ) -> torch.Tensor:
        """Final (``ln_f``-normalised) hidden states ``(B, T, n_embd)`` of token ids ``idx``.

        With ``entropy_out``, each block appends its ``(B, T)`` attention entropy (nats, summed
        over heads) computed from its own attention probabilities.
        """
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
            if self.use_checkpoint and self.training and entropy_out is None:
                from torch.utils.checkpoint import checkpoint

                x = checkpoint(block, x, rope, use_reentrant=False)
            else:
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


#: The user's class name.
TinyGPTv2 = TinyGPT

#: Renames from emkit-minillm 0.1's block layout to TinyGPTv2's (per block, after ``blocks.i.``).
_LEGACY_RENAMES = {
    "ln_1.": "ln1.",
    "ln_2.": "ln2.",
    "attn.proj.": "attn.out.",
    "mlp.2.": "mlp.3.",
}


def convert_legacy_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename the keys of an emkit-minillm 0.1 state dict to the TinyGPTv2 layout.

    ``blocks.i.ln_1`` → ``ln1``, ``ln_2`` → ``ln2``, ``attn.proj`` → ``attn.out`` and
    ``mlp.2`` (the second Linear, before the 0.1 MLP gained a Dropout after GELU) → ``mlp.3``.
    Other keys are kept. The tensors are not copied.
    """
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        parts = key.split(".", 2)
        if len(parts) == 3 and parts[0] == "blocks":
            rest = parts[2]
            for old, new in _LEGACY_RENAMES.items():
                if rest.startswith(old):
                    rest = new + rest[len(old) :]
                    break
            key = f"blocks.{parts[1]}.{rest}"
        out[key] = value
    return out

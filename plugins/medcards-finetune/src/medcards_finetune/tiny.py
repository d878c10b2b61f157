"""A tiny Llama-architecture model and byte-level BPE tokenizer, built locally from a corpus.

Used by the CPU smoke run and the test suite: nothing is downloaded. The model is briefly
pre-trained on the corpus so that its next-token distributions are confident (an untrained
model's near-uniform logits would make greedy decoding hinge on rounding noise).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

#: ChatML-style chat template written into the tokenizer (and later into the GGUF).
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
#: Special tokens of the tiny tokenizer: end of text (padding), turn start, turn end (EOS).
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")


def build_tokenizer(corpus: Sequence[str], out_dir: Path, *, vocab_size: int = 512) -> None:
    """Train a byte-level BPE tokenizer on ``corpus`` and save it as a Hugging Face tokenizer.

    Args:
        corpus: Training texts.
        out_dir: Directory that receives ``tokenizer.json`` and ``tokenizer_config.json``.
        vocab_size: Target vocabulary size in tokens (special tokens included).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(corpus), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
    )
    fast.chat_template = CHAT_TEMPLATE
    out_dir.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(out_dir))


def build_tiny_llama(
    corpus: Sequence[str],
    out_dir: Path,
    *,
    hidden_size: int = 256,
    intermediate_size: int = 512,
    num_layers: int = 2,
    num_heads: int = 4,
    num_kv_heads: int = 2,
    vocab_size: int = 512,
    pretrain_steps: int = 200,
    init_std: float = 0.02,
    seed: int = 1234,
) -> Path:
    """Build a tiny ``LlamaForCausalLM`` with its tokenizer in ``out_dir`` (fp32 safetensors).

    Args:
        corpus: Texts for the tokenizer and the short pre-training.
        out_dir: Model directory to write.
        hidden_size: Model width; k-quants (q4_k_m) need a multiple of 256.
        intermediate_size: MLP width; also a multiple of 256 for k-quants.
        num_layers: Transformer blocks.
        num_heads: Attention heads.
        num_kv_heads: Key/value heads (fewer than ``num_heads``: grouped-query attention).
        vocab_size: Tokenizer vocabulary size.
        pretrain_steps: Full-parameter AdamW steps on the corpus (0: random weights).
        init_std: Standard deviation of the initial weights; larger values give sharper,
            more varied next-token distributions to an untrained model.
        seed: Seed of the initialisation and the batch order.

    Returns:
        ``out_dir``.
    """
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    build_tokenizer(corpus, out_dir, vocab_size=vocab_size)
    tokenizer = AutoTokenizer.from_pretrained(str(out_dir))
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads,
        max_position_embeddings=2048,
        rms_norm_eps=1e-5,
        tie_word_embeddings=False,
        initializer_range=init_std,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    if pretrain_steps > 0:
        _pretrain(model, tokenizer, corpus, pretrain_steps, seed)
    model.eval()
    model.save_pretrained(str(out_dir))
    return out_dir


def _pretrain(
    model: object, tokenizer: object, corpus: Sequence[str], steps: int, seed: int
) -> None:
    """Full-parameter AdamW steps of next-token prediction on ``corpus`` (128-token blocks)."""
    import torch

    ids: list[int] = []
    for text in corpus:
        ids.extend(tokenizer(text)["input_ids"])  # type: ignore[operator]
        ids.append(tokenizer.eos_token_id)  # type: ignore[attr-defined]
    block = 128
    data = torch.tensor(ids[: len(ids) // block * block] or ids, dtype=torch.long)
    blocks = data.view(-1, block) if data.numel() >= block else data.view(1, -1)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)  # type: ignore[attr-defined]
    model.train()  # type: ignore[attr-defined]
    for _ in range(steps):
        rows = torch.randint(0, blocks.shape[0], (min(8, blocks.shape[0]),), generator=generator)
        batch = blocks[rows]
        loss = model(input_ids=batch, labels=batch).loss  # type: ignore[operator]
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

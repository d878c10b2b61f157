"""Byte-level BPE tokenizer trained on a corpus with the ``tokenizers`` library."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from emkit_minillm.errors import CheckpointError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = ["BOS", "EOS", "PAD", "SPECIAL_TOKENS", "UNK", "load_tokenizer", "train_tokenizer"]

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
#: Special tokens, with ids 0-3 in this order.
SPECIAL_TOKENS = (PAD, BOS, EOS, UNK)


def train_tokenizer(texts: Iterable[str], vocab_size: int, min_frequency: int = 2) -> Tokenizer:
    """Train a byte-level BPE of at most ``vocab_size`` tokens on ``texts``.

    Encoding adds ``<bos>`` in front of every text, so each message's first real token is
    predicted too (the perplexity covers every token the patient wrote).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    bos_id = tokenizer.token_to_id(BOS)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B", special_tokens=[(BOS, bos_id)]
    )
    return tokenizer


def load_tokenizer(path: Path) -> Tokenizer:
    """Read a ``tokenizer.json``; a missing or unreadable file is a :class:`CheckpointError`."""
    from tokenizers import Tokenizer

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: tokenizer file not found")
    try:
        return Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception for malformed JSON
        raise CheckpointError(f"{path}: not a valid tokenizer.json ({exc})") from None

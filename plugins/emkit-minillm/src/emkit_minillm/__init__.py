"""MiniLLM for emkit: TinyGPT, BPE tokenizer, corpus training and the ``minillm`` extractor.

TinyGPT is a GPT with rotary position embeddings (RoPE).

Importing this package does not import torch; the model code is imported when it is used.
"""

from __future__ import annotations

from emkit_minillm.errors import CheckpointError, MiniLLMError
from emkit_minillm.extractor import MiniLLMExtractor
from emkit_minillm.training import TrainResult, read_corpus, train_model

__all__ = [
    "CheckpointError",
    "MiniLLMError",
    "MiniLLMExtractor",
    "TrainResult",
    "read_corpus",
    "train_model",
]

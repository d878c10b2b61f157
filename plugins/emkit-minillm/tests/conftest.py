"""Fixtures of the MiniLLM tests: tiny checkpoints built here, nothing downloaded."""

from __future__ import annotations

import random

import pytest

WORDS = [
    "hoy",
    "estoy",
    "bien",
    "cansada",
    "dolor",
    "piernas",
    "médico",
    "gracias",
    "mañana",
    "café",
    "dormí",
    "mal",
    "fatiga",
    "hormigueo",
    "vista",
    "borrosa",
    "muy",
    "poco",
    "paseo",
    "casa",
    "trabajo",
    "😊",
    "😔",
    "!",
    "?",
]


def corpus(n: int = 400, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 14))) for _ in range(n)]


@pytest.fixture(scope="session")
def texts():
    return corpus()


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory, texts):
    """An untrained micro TinyGPT with a BPE tokenizer trained on the corpus (native format)."""
    import dataclasses

    import torch
    from emkit_minillm.checkpoint import save_checkpoint
    from emkit_minillm.model import PRESETS, TinyGPT
    from emkit_minillm.tokenizer import train_tokenizer

    tokenizer = train_tokenizer(texts, 300)
    torch.manual_seed(0)
    config = dataclasses.replace(
        PRESETS["micro"], vocab_size=tokenizer.get_vocab_size(), block_size=32
    )
    folder = tmp_path_factory.mktemp("ckpt")
    save_checkpoint(TinyGPT(config), tokenizer, folder)
    return folder


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """One torch thread: the test machine's cores are shared, and oversubscription is slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

"""The transformers extractor on tiny random models saved by the test (no downloads)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import emkit
from emkit import DayMessage, PatientDay
from emkit.testing import feature_extractor_checks

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

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
]


def _tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<pad>", "<bos>", "<eos>", "<unk>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([" ".join(WORDS)] * 20, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        bos_token="<bos>",
        eos_token="<eos>",
        unk_token="<unk>",
    )


@pytest.fixture(scope="module")
def causal_dir(tmp_path_factory):
    from transformers import GPT2Config, GPT2LMHeadModel

    folder = tmp_path_factory.mktemp("gpt2")
    tokenizer = _tokenizer()
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_embd=32,
        n_layer=2,
        n_head=2,
        n_positions=64,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=0,
    )
    GPT2LMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory):
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("bert")
    tokenizer = _tokenizer()
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=0,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _days():
    return [
        PatientDay(
            patient_id="p1",
            date=dt.date(2024, 1, 1) + dt.timedelta(days=i),
            messages=tuple(
                DayMessage(time=dt.time(9, j), text=" ".join(WORDS[(i + j) % 10 :][:5]))
                for j in range(i % 3)
            ),
        )
        for i in range(10)
    ]


def test_causal_model_gives_perplexity_and_matches_unbatched(causal_dir):
    extractor = emkit.get_feature_extractor("transformers", model=causal_dir)
    assert extractor.is_causal
    frame = extractor.transform(_days())
    assert "hf_perplexity" in frame
    assert "hf_perplexity_trend_7d" in frame
    assert "hf_emb_000" in frame
    assert "hf_emb_031" in frame
    texts = [" ".join(WORDS[i : i + k]) for i in range(6) for k in (2, 5)]
    batched = extractor.message_features(texts)
    single = [extractor.message_features([t]) for t in texts]
    np.testing.assert_allclose(batched.perplexity, [s.perplexity[0] for s in single], rtol=1e-4)
    np.testing.assert_allclose(
        batched.emb_mean, np.concatenate([s.emb_mean for s in single]), atol=1e-4
    )
    np.testing.assert_allclose(
        batched.attention_entropy, [s.attention_entropy[0] for s in single], rtol=1e-4
    )


def test_encoder_gives_embeddings_only(encoder_dir):
    extractor = emkit.get_feature_extractor("transformers", model=encoder_dir)
    assert not extractor.is_causal
    frame = extractor.transform(_days())
    assert "hf_perplexity" not in frame
    assert "hf_emb_000" in frame
    assert "hf_attention_entropy" in frame
    assert (frame.loc[frame["hf_seq_len"] > 0, "hf_attention_entropy"] > 0).all()


def test_missing_folder_is_a_clear_error(tmp_path):
    extractor = emkit.get_feature_extractor("transformers", model=tmp_path / "nope")
    with pytest.raises(emkit.EmkitError, match=r"config\.json"):
        extractor.transform(_days())


@pytest.fixture(scope="module")
def factory(causal_dir):
    from emkit_transformers import TransformersExtractor

    def make():
        return TransformersExtractor(model=causal_dir, temporal=True)

    make.name = "transformers"
    return make


@pytest.mark.parametrize("check", feature_extractor_checks(), ids=lambda c: c.__name__)
def test_conformance(factory, check):
    check(factory)

"""The user's TinyGPTv2 layout: their ckpt_best.pt loads, 0.1 checkpoints convert, --until.

``RefTinyGPTv2`` below is written from the issue's description of the user's ``model.py``,
independently of ``emkit_minillm.model``: it is the reference the plugin must agree with.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import pickle
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from emkit_minillm import CheckpointError, MiniLLMExtractor  # noqa: E402
from emkit_minillm.checkpoint import load_checkpoint  # noqa: E402
from torch import nn  # noqa: E402

DATA = Path(__file__).parent / "data"


class RefRotary(nn.Module):
    def __init__(self, head_dim, base=10000.0):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2).float() / head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, seq_len, device=None):
        t = torch.arange(seq_len, device=device).float()
        freqs = torch.einsum("i,j->ij", t, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()


def ref_rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class RefAttention(nn.Module):
    def __init__(self, n_embd, n_head, attn_drop):
        super().__init__()
        self.n_head, self.hd = n_head, n_embd // n_head
        self.qkv = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.out = nn.Linear(n_embd, n_embd, bias=False)
        self.attn_drop = nn.Dropout(attn_drop)

    def forward(self, x, rope_cos_sin=None):
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.n_head, self.hd).transpose(1, 2) for z in (q, k, v))
        if rope_cos_sin is not None:
            cos, sin = rope_cos_sin
            q = q * cos + ref_rotate_half(q) * sin
            k = k * cos + ref_rotate_half(k) * sin
        att = (q @ k.transpose(-2, -1)) / math.sqrt(self.hd)
        causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
        att = self.attn_drop(att.masked_fill(~causal, float("-inf")).softmax(dim=-1))
        return self.out((att @ v).transpose(1, 2).contiguous().view(b, t, c))


class RefBlock(nn.Module):
    def __init__(self, n_embd, n_head, drop, attn_drop, mlp_ratio):
        super().__init__()
        hidden = int(n_embd * mlp_ratio)
        self.ln1 = nn.LayerNorm(n_embd)
        self.attn = RefAttention(n_embd, n_head, attn_drop)
        self.ln2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(n_embd, hidden), nn.GELU(), nn.Dropout(drop), nn.Linear(hidden, n_embd),
            nn.Dropout(drop),
        )  # fmt: skip

    def forward(self, x, rope_cos_sin=None):
        x = x + self.attn(self.ln1(x), rope_cos_sin)
        return x + self.mlp(self.ln2(x))


class RefTinyGPTv2(nn.Module):
    def __init__(
        self, vocab_size, block_size=256, n_embd=384, n_layer=8, n_head=6, drop=0.1,
        attn_drop=0.0, mlp_ratio=4.0, use_rope=True, use_checkpoint=False, rope_base=10000.0,
    ):  # fmt: skip
        super().__init__()
        self.block_size, self.use_rope = block_size, use_rope
        self.token_emb = nn.Embedding(vocab_size, n_embd)
        if use_rope:
            self.rotary_emb = RefRotary(n_embd // n_head, rope_base)
        else:
            self.pos_emb = nn.Embedding(block_size, n_embd)
        self.drop = nn.Dropout(drop)
        self.blocks = nn.ModuleList(
            RefBlock(n_embd, n_head, drop, attn_drop, mlp_ratio) for _ in range(n_layer)
        )
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab_size, bias=False)
        self.head.weight = self.token_emb.weight

    def hidden(self, idx):
        x = self.token_emb(idx)
        rope = None
        if self.use_rope:
            rope = self.rotary_emb(idx.size(1))
        else:
            x = x + self.pos_emb(torch.arange(idx.size(1)))
        x = self.drop(x)
        for block in self.blocks:
            x = block(x, rope)
        return self.ln_f(x)


def make_reference(vocab_size, *, use_rope=True, seed=0, **sizes):
    torch.manual_seed(seed)
    ref = RefTinyGPTv2(vocab_size, use_rope=use_rope, **sizes)
    with torch.no_grad():  # random everything, layer norms included
        for p in ref.parameters():
            p.copy_(torch.randn_like(p) * (0.15 if p.dim() > 1 else 0.3) + (p.dim() == 1) * 1.0)
    return ref.eval()


SIZES = {"block_size": 40, "n_embd": 32, "n_layer": 2, "n_head": 4, "mlp_ratio": 3.0}


def save_user_checkpoint(ref, path, config):
    """What the user's training script writes (plain containers only)."""
    optimizer = torch.optim.AdamW(ref.parameters(), lr=1e-3)
    loss = ref.hidden(torch.tensor([[1, 2, 3]])).sum()
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "model_state_dict": ref.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "iter_num": 4200,
            "best_val_loss": 2.345,
            "config": config,
        },
        path,
    )
    return path


def ref_message_stats(ref, tokenizer, text, block_size):
    ids = tokenizer.encode(text).ids[:block_size]
    x = torch.tensor([ids])
    with torch.no_grad():
        hidden = ref.hidden(x)
        logits = ref.head(hidden)
        nll = torch.nn.functional.cross_entropy(logits[0, :-1], x[0, 1:], reduction="sum")
    return hidden[0], float(nll), len(ids)


@pytest.fixture(scope="module")
def tokenizer(texts):
    from emkit_minillm.tokenizer import train_tokenizer

    return train_tokenizer(texts, 200)


@pytest.fixture(scope="module")
def user_run(tmp_path_factory, tokenizer):
    """The user's layout on disk: MiniLLM/tokenizer.json and MiniLLM/runs/colmena/ckpt_best.pt."""
    root = tmp_path_factory.mktemp("MiniLLM")
    vocab = tokenizer.get_vocab_size()
    ref = make_reference(vocab, **SIZES)
    config = {**SIZES, "vocab_size": vocab, "drop": 0.1, "lr": 3e-4, "batch_size": 32}
    ckpt = save_user_checkpoint(ref, root / "runs" / "colmena" / "ckpt_best.pt", config)
    tokenizer.save(str(root / "tokenizer.json"))
    return ref, ckpt


@pytest.mark.parametrize("use_rope", [True, False])
def test_user_checkpoint_matches_the_reference(user_run, texts, tokenizer, tmp_path, use_rope):
    if use_rope:
        ref, ckpt = user_run
    else:
        ref = make_reference(tokenizer.get_vocab_size(), use_rope=False, seed=1, **SIZES)
        ckpt = save_user_checkpoint(ref, tmp_path / "ckpt_best.pt", {"n_head": 4})
        tokenizer.save(str(tmp_path / "tokenizer.json"))
    loaded = load_checkpoint(ckpt)
    model = loaded.model
    assert set(model.state_dict()) == set(ref.state_dict())
    assert model.head.weight.data_ptr() == model.token_emb.weight.data_ptr()
    assert (model.config.n_head, model.config.use_rope, model.block_size) == (
        4,
        use_rope,
        40,
    )
    assert loaded.metadata["sizes_from"]["n_head"] == "config"
    assert loaded.metadata["iter_num"] == 4200
    assert loaded.metadata["best_val_loss"] == pytest.approx(2.345)
    assert loaded.metadata["optimizer_state_dict"]["parameter_states"] > 0
    sample = [*texts[:25], " ".join(texts[:20])]  # the last one is truncated to block_size
    features = MiniLLMExtractor(checkpoint=ckpt, batch_size=6).message_features(sample)
    hidden_diff, ppl_diff, nll_diff = 0.0, 0.0, 0.0
    for i, text in enumerate(sample):
        hidden, nll, n = ref_message_stats(ref, tokenizer, text, 40)
        with torch.no_grad():
            ours = model.hidden_states(torch.tensor([tokenizer.encode(text).ids[:40]]))[0]
        hidden_diff = max(hidden_diff, float((ours - hidden).abs().max()))
        hidden_diff = max(
            hidden_diff, float(np.abs(features.emb_mean[i] - hidden.mean(0).numpy()).max())
        )
        assert features.seq_len[i] == n
        if n > 1:
            expected = math.exp(nll / (n - 1))
            ppl_diff = max(ppl_diff, abs(features.perplexity[i] - expected) / expected)
            nll_diff = max(nll_diff, abs(features.nll_sum[i] - nll) / (n - 1))
    print(
        f"\nuse_rope={use_rope}: max |hidden - ref| {hidden_diff:.2e}, max |mean NLL - ref| "
        f"{nll_diff:.2e} nats, max relative |perplexity - ref| {ppl_diff:.2e} "
        f"(perplexities {features.perplexity.min():.1f}-{features.perplexity.max():.1f})"
    )
    assert hidden_diff < 1e-5
    assert nll_diff < 1e-5
    assert ppl_diff < 1e-5


def test_emkit_checkpoints_load_in_the_users_code(checkpoint, tmp_path):
    from typer.testing import CliRunner

    from emkit.cli import app

    loaded = load_checkpoint(checkpoint)
    out = tmp_path / "ckpt_best.pt"
    result = CliRunner().invoke(app, ["minillm", "export", str(checkpoint), str(out)])
    assert result.exit_code == 0, result.output
    saved = torch.load(out, weights_only=True)
    ref = RefTinyGPTv2(**saved["config"]).eval()
    ref.load_state_dict(saved["model_state_dict"], strict=True)
    x = torch.tensor([[1, 5, 9, 2, 7]])
    with torch.no_grad():
        np.testing.assert_allclose(
            ref.hidden(x).numpy(), loaded.model.hidden_states(x).numpy(), atol=1e-6
        )


def test_activation_checkpointing_gives_the_same_gradients():
    from emkit_minillm.model import TinyGPT

    x = torch.randint(0, 50, (2, 12))
    grads = []
    for use_checkpoint in (False, True):
        torch.manual_seed(0)
        model = TinyGPT(50, block_size=16, n_embd=16, n_layer=2, n_head=2, drop=0.0,
                        use_checkpoint=use_checkpoint)  # fmt: skip
        _, loss = model(x, x)
        loss.backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    torch.testing.assert_close(grads[0], grads[1])


def test_n_head_from_the_option_when_the_config_lacks_it(tokenizer, tmp_path):
    ref = make_reference(tokenizer.get_vocab_size(), **SIZES)
    torch.save({"model_state_dict": ref.state_dict()}, tmp_path / "bare.pt")
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    with pytest.raises(CheckpointError, match=r"bare\.pt: n_embd 32 is not a multiple of n_head 6"):
        load_checkpoint(tmp_path / "bare.pt")  # TinyGPTv2's default 6 does not fit
    loaded = load_checkpoint(tmp_path / "bare.pt", n_head=4)
    assert loaded.metadata["sizes_from"]["n_head"] == "option"
    assert loaded.metadata["sizes_from"]["block_size"] == "default"
    x = torch.tensor([[3, 4, 5]])
    with torch.no_grad():
        np.testing.assert_allclose(
            loaded.model.hidden_states(x).numpy(), ref.hidden(x).numpy(), atol=1e-5
        )
    (tmp_path / "tokenizer.json").unlink()
    with pytest.raises(CheckpointError, match=r"bare\.pt: no tokenizer\.json beside"):
        load_checkpoint(tmp_path / "bare.pt", n_head=4)


def test_inconsistent_or_incomplete_user_checkpoints(user_run, tmp_path):
    ref, _ = user_run
    state = ref.state_dict()
    path = tmp_path / "ckpt.pt"
    torch.save({"model_state_dict": state, "config": {"n_head": 4, "n_layer": 3}}, path)
    with pytest.raises(
        CheckpointError, match=r"ckpt\.pt: config says n_layer=3 but the tensors give 2"
    ):
        load_checkpoint(path, DATA / "legacy_ckpt" / "tokenizer.json")
    missing = {k: v for k, v in state.items() if k != "blocks.1.ln2.weight"}
    torch.save({"model_state_dict": missing, "config": {"n_head": 4}}, path)
    with pytest.raises(CheckpointError, match=r"ckpt\.pt: .*blocks\.1\.ln2\.weight"):
        load_checkpoint(path, DATA / "legacy_ckpt" / "tokenizer.json")
    torch.save({"weights": [1, 2]}, path)
    with pytest.raises(CheckpointError, match=r"ckpt\.pt: missing key 'model_state_dict'"):
        load_checkpoint(path, DATA / "legacy_ckpt" / "tokenizer.json")


class Payload:
    """Creates a marker file when unpickled."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_payload_is_refused_and_never_run(user_run, tmp_path):
    ref, _ = user_run
    marker = tmp_path / "PWNED"
    path = tmp_path / "ckpt_best.pt"
    torch.save({"model_state_dict": ref.state_dict(), "config": Payload(marker)}, path)
    with pytest.raises(CheckpointError, match=r"ckpt_best\.pt: refused to load.*weights_only"):
        load_checkpoint(path, DATA / "legacy_ckpt" / "tokenizer.json")
    with pytest.raises(CheckpointError, match=r"ckpt_best\.pt: refused"):
        MiniLLMExtractor(
            checkpoint=path, tokenizer=DATA / "legacy_ckpt" / "tokenizer.json"
        ).schema()
    assert not marker.exists()
    # the payload is live: a full unpickle would have created the file
    pickle.loads(pickle.dumps(Payload(marker))).close()
    assert marker.exists()


def test_checkpoint_written_by_the_0_1_code_still_loads(tmp_path):
    expected = json.loads((DATA / "legacy_expected.json").read_text())
    loaded = load_checkpoint(DATA / "legacy_ckpt")
    assert loaded.metadata["converted_from"] == "emkit-minillm 0.1 layout"
    assert loaded.metadata["training"]["steps"] == 0
    config = loaded.model.config
    assert (config.qkv_bias, config.out_bias, config.tie_weights) == (True, True, False)
    assert "blocks.0.ln1.weight" in loaded.model.state_dict()
    # its .pt form (the 0.1 save_seed_checkpoint: model_config + the old key names) too
    from safetensors.torch import load_file

    old_state = load_file(str(DATA / "legacy_ckpt" / "model.safetensors"))
    assert "blocks.0.attn.proj.weight" in old_state
    old_config = json.loads((DATA / "legacy_ckpt" / "config.json").read_text())["model_config"]
    pt = tmp_path / "old.pt"
    torch.save({"model_config": old_config, "model_state_dict": old_state}, pt)
    tokenizer = DATA / "legacy_ckpt" / "tokenizer.json"
    for source in (DATA / "legacy_ckpt", pt):
        features = MiniLLMExtractor(checkpoint=source, tokenizer=tokenizer).message_features(
            expected["texts"]
        )
        for key in ("emb_mean", "emb_last", "nll_sum", "attention_entropy"):
            np.testing.assert_allclose(getattr(features, key), expected[key], atol=1e-5)


def test_features_command_on_the_users_checkpoint(user_run, tokenizer, tmp_path):
    from typer.testing import CliRunner

    from emkit import open_feature_store, read_cohort
    from emkit.cli import app
    from emkit.synth import synthesize_cohort

    ref, ckpt = user_run
    cohort = synthesize_cohort(tmp_path / "cohort", patients=1, days=8, seed=4)
    store = tmp_path / "features.db"
    result = CliRunner().invoke(
        app,
        [
            "features", str(cohort), "--extractor", "minillm",
            "-o", f"minillm.checkpoint={ckpt}",
            "-o", f"minillm.tokenizer={ckpt.parents[2] / 'tokenizer.json'}",
            "--store", str(store), "--feature-set", "user",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = open_feature_store("sqlite", store).read("user")
    days = [d for p in read_cohort(cohort) for d in p.days()]
    assert len(frame) == len(days)
    checked = 0
    for day in days:
        if day.n_messages == 0:
            continue
        stats = [ref_message_stats(ref, tokenizer, m.text, 40) for m in day.messages]
        predicted = sum(max(n - 1, 0) for _, _, n in stats)
        expected = math.exp(sum(nll for _, nll, n in stats if n > 1) / predicted)
        assert _row(frame, day)["llm_perplexity"] == pytest.approx(expected, rel=1e-5)
        checked += 1
    assert checked >= 5


def _row(frame, day):
    import pandas as pd

    index = frame.index
    for i, (pid, date) in enumerate(index):
        if pid == day.patient_id and pd.Timestamp(date).date() == day.date:
            return frame.iloc[i]
    raise AssertionError(f"no row for {day.patient_id} {day.date}")


def test_train_until_uses_only_text_up_to_the_date(tmp_path):
    from emkit_minillm.training import read_corpus
    from typer.testing import CliRunner

    from emkit.cli import app
    from emkit.synth import synthesize_cohort

    cohort = synthesize_cohort(tmp_path / "cohort", patients=2, days=12, seed=5)
    until = dt.date(2024, 1, 6)
    for day_file in sorted(cohort.glob("*/messages/*.txt")):
        if dt.date.fromisoformat(day_file.stem) > until:
            with day_file.open("a", encoding="utf-8") as f:
                f.writelines(f"23:5{i}:00\tzorblaxqua zorblaxqua zorblaxqua\n" for i in range(5))
    before = read_corpus(cohort, until=until)
    everything = read_corpus(cohort)
    assert not any("zorblaxqua" in t for t in before)
    assert sum("zorblaxqua" in t for t in everything) >= 20
    out = tmp_path / "lm"
    args = ["minillm", "train", str(cohort), "--out", str(out), "--preset", "micro"]
    args += ["--steps", "2", "--batch-size", "2", "--vocab-size", "400", "--block-size", "16"]
    result = CliRunner().invoke(app, [*args, "--until", until.isoformat()])
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    training = config["training"]
    assert training["until"] == "2024-01-06"
    assert training["train_messages"] + training["val_messages"] == len(before)
    vocab = json.loads((out / "tokenizer.json").read_text())["model"]["vocab"]
    assert not any("zorbl" in token for token in vocab)
    # without --until the same corpus does teach the tokenizer the later word
    result = CliRunner().invoke(app, [*args[:4], str(tmp_path / "all"), *args[5:]])
    assert result.exit_code == 0, result.output
    vocab = json.loads((tmp_path / "all" / "tokenizer.json").read_text())["model"]["vocab"]
    assert any("zorbl" in token for token in vocab)
    bad = CliRunner().invoke(app, [*args, "--until", "6 Jan"])
    assert bad.exit_code != 0
    assert "not a date" in bad.output
    text = tmp_path / "corpus.txt"
    text.write_text("hola\n" * 20, encoding="utf-8")
    with pytest.raises(Exception, match=r"corpus\.txt: --until needs dated messages"):
        read_corpus(text, until=until)

"""Wrote ``legacy_ckpt/`` and ``legacy_expected.json`` with emkit-minillm 0.1's code.

Run once from the repository root at commit 6264608 (before the plugin adopted the TinyGPTv2
layout): ``python plugins/emkit-minillm/tests/data/make_legacy.py``. It no longer runs against
the current code (which is the point: the files are what the old code path wrote and computed).
"""

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, "plugins/emkit-minillm/tests")
from emkit_minillm.checkpoint import load_checkpoint, save_checkpoint
from emkit_minillm.inference import encode_messages, message_features
from emkit_minillm.model import ModelConfig, TinyGPT
from emkit_minillm.tokenizer import train_tokenizer

from conftest import corpus

out = Path("plugins/emkit-minillm/tests/data/legacy_ckpt")
texts = corpus(200, seed=3)
tok = train_tokenizer(texts, 120)
torch.manual_seed(7)
config = ModelConfig(vocab_size=tok.get_vocab_size(), block_size=24, n_embd=16, n_layer=1, n_head=2)
model = TinyGPT(config)
with torch.no_grad():  # non-zero biases and an untied head, as after training
    for p in model.parameters():
        p.add_(0.2 * torch.randn_like(p))
save_checkpoint(model, tok, out, {"training": {"steps": 0, "note": "written by the 0.1 code"}})
loaded = load_checkpoint(out)
sample = [*texts[:6], "hoy estoy muy cansada y me duelen las piernas"]
ids = encode_messages(sample, loaded.tokenizer, loaded.model.block_size)
f = message_features(loaded.model, ids)
expected = {
    "texts": sample,
    "emb_mean": f.emb_mean.tolist(),
    "emb_last": f.emb_last.tolist(),
    "nll_sum": f.nll_sum.tolist(),
    "attention_entropy": f.attention_entropy.tolist(),
}
(out.parent / "legacy_expected.json").write_text(json.dumps(expected, indent=1))

"""The seed's hypothesis on data where it holds by construction: a MiniLLM trained on a
synthetic cohort finds prodrome days more surprising (higher day perplexity) than normal days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")
synth = pytest.importorskip("emkit.synth")

#: Minimum Cohen's d of patient-centred log day perplexity, prodrome vs normal days.
MIN_EFFECT_SIZE = 0.5


@pytest.mark.slow
def test_prodrome_days_have_higher_perplexity(tmp_path):
    from emkit_minillm import MiniLLMExtractor
    from emkit_minillm.training import train_model

    from emkit import read_cohort

    cohort = synth.synthesize_cohort(tmp_path / "cohort", patients=10, days=300, seed=1)
    patients = read_cohort(cohort)
    # time split: the model learns from every patient's first 180 days, is measured on the rest
    train_days = [d for p in patients for d in p.days()[:180]]
    test_days = [d for p in patients for d in p.days()[180:]]
    texts = [m.text for d in train_days for m in d.messages]
    train_model(texts, tmp_path / "lm", preset="micro", steps=150, batch_size=16, progress=False)
    frame = MiniLLMExtractor(checkpoint=tmp_path / "lm").transform(test_days)

    latent = pd.read_parquet(cohort / "latent.parquet")
    latent["date"] = pd.to_datetime(latent["date"]).dt.date
    frame = frame.join(latent.set_index(["patient_id", "date"])["phase"])
    frame = frame[frame["llm_seq_len"] > 0]
    # each patient writes in their own style: compare days within a patient (label-free centring)
    log_ppl = np.log(frame["llm_perplexity"])
    log_ppl = log_ppl - log_ppl.groupby(level="patient_id").transform("median")
    prodrome = log_ppl[frame["phase"] == "prodrome"]
    normal = log_ppl[frame["phase"] == "normal"]
    assert len(prodrome) >= 20
    assert len(normal) >= 300
    pooled = np.sqrt((prodrome.var() + normal.var()) / 2)
    effect = (prodrome.mean() - normal.mean()) / pooled
    print(f"Cohen's d (log day perplexity, prodrome vs normal): {effect:.2f}")
    assert effect >= MIN_EFFECT_SIZE

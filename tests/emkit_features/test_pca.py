"""PCA of day embeddings, fitted on the training split only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emkit import EmbeddingPCA
from emkit.models import FEATURE_INDEX


def _frame(patients, n_days=30, n_embd=24, seed=0):
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [patients, pd.date_range("2024-01-01", periods=n_days).date], names=list(FEATURE_INDEX)
    )
    emb = rng.normal(size=(len(index), n_embd)).astype(np.float32)
    frame = pd.DataFrame(emb, index=index, columns=[f"llm_emb_{i:03d}" for i in range(n_embd)])
    frame["llm_perplexity"] = 5.0
    return frame


def test_fit_on_training_only_and_transform_all():
    train, test = _frame(["a", "b"]), _frame(["c"], seed=1)
    test.iloc[0, :24] = 0.0  # a day without text
    pca = EmbeddingPCA(n_components=16).fit(train)
    out = pca.transform(test)
    assert [c for c in out.columns if c.startswith("llm_pca_")] == [
        f"llm_pca_{i:02d}" for i in range(16)
    ]
    assert "llm_emb_000" not in out
    assert "llm_perplexity" in out
    assert out.iloc[0].filter(like="llm_pca_").isna().all()
    # the fit saw the training rows only: refitting on train gives the same components
    again = EmbeddingPCA(n_components=16).fit(train).transform(test)
    pd.testing.assert_frame_equal(out, again)
    both = EmbeddingPCA(n_components=16).fit(pd.concat([train, test])).transform(test)
    assert not np.allclose(
        out.filter(like="llm_pca_").iloc[1:], both.filter(like="llm_pca_").iloc[1:]
    )


def test_errors():
    with pytest.raises(Exception, match="no llm_emb_NNN"):
        EmbeddingPCA().fit(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(Exception, match="before fit"):
        EmbeddingPCA().transform(_frame(["a"]))


def test_the_per_fold_pca_projects_days_without_text_and_skips_missing_values():
    from emkit.evaluation import fold_features

    frame = _frame(["a", "b"])
    frame.iloc[0, :24] = 0.0  # a day without text
    frame.iloc[1, 3] = np.nan  # a missing value
    train = np.arange(len(frame)) < 40
    out = fold_features(frame, train, n_components=4)
    components = out.filter(like="llm_pca_")
    assert list(components.columns) == [f"llm_pca_{i:02d}" for i in range(4)]
    assert np.isfinite(components.iloc[0]).all()
    assert components.iloc[1].isna().all()
    assert np.isfinite(components.iloc[2:]).all().all()

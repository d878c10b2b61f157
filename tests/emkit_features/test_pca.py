"""PCA of day embeddings, fitted on the training split only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emkit import EmbeddingPCA
from emkit.errors import EmkitError
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


def _spectrum_frame(strong: int, n_days=80, n_embd=12, seed=0):
    """Embeddings with ``strong`` high-variance directions and faint noise in the rest."""
    frame = _frame(["a", "b"], n_days=n_days, n_embd=n_embd, seed=seed)
    columns = [c for c in frame.columns if c.startswith("llm_emb_")]
    rng = np.random.default_rng(seed)
    values = 0.01 * rng.normal(size=(len(frame), n_embd))
    values[:, :strong] += rng.normal(size=(len(frame), strong)) * 10.0
    frame[columns] = values.astype(np.float32)
    return frame


def test_a_share_of_variance_lets_the_training_rows_choose_the_components():
    frame = _spectrum_frame(strong=3)
    pca = EmbeddingPCA(n_components=0.95).fit(frame)
    assert pca.n_components_ == 3
    out = pca.transform(frame)
    assert [c for c in out.columns if c.startswith("llm_pca_")] == [
        "llm_pca_00",
        "llm_pca_01",
        "llm_pca_02",
    ]
    # a count is an upper bound; a share takes as many as it needs, past the default count
    assert EmbeddingPCA(n_components=2).fit(frame).n_components_ == 2
    wide = _spectrum_frame(strong=10)
    assert EmbeddingPCA(n_components=0.95).fit(wide).n_components_ >= 9


@settings(max_examples=30, deadline=None)
@given(share=st.floats(0.05, 0.95), seed=st.integers(0, 50), strong=st.integers(1, 6))
def test_the_kept_components_are_the_fewest_that_reach_the_share(share, seed, strong):
    from sklearn.decomposition import PCA

    frame = _spectrum_frame(strong=strong, n_days=40, seed=seed)
    pca = EmbeddingPCA(n_components=share).fit(frame)
    columns = [c for c in frame.columns if c.startswith("llm_emb_")]
    ratios = PCA().fit(frame[columns].to_numpy(np.float64)).explained_variance_ratio_
    reached = np.cumsum(ratios)
    k = pca.n_components_
    assert reached[k - 1] >= share - 1e-9
    assert k == 1 or reached[k - 2] < share


@pytest.mark.parametrize("bad", [0, -1, 0.0, 1.0, 1.5, True, "8"])
def test_n_components_must_be_a_count_or_a_share(bad):
    with pytest.raises(EmkitError, match="n_components"):
        EmbeddingPCA(n_components=bad)


def test_the_per_fold_pca_takes_a_share_from_the_fold_s_training_rows():
    from emkit.evaluation import fold_features

    frame = _spectrum_frame(strong=2)
    train = np.arange(len(frame)) < 100
    out = fold_features(frame, train, n_components=0.9)
    assert [c for c in out.columns if c.startswith("llm_pca_")] == ["llm_pca_00", "llm_pca_01"]


def test_a_share_on_a_single_usable_training_day_keeps_one_component_as_a_count_would():
    frame = _frame(["a"], n_days=4, n_embd=6)
    frame.iloc[1:, :6] = 0.0  # days without text: only the first day is usable
    for n_components in (1, 0.9):
        pca = EmbeddingPCA(n_components=n_components).fit(frame)
        assert pca.n_components_ == 1
        assert list(pca.transform(frame).filter(like="llm_pca_").columns) == ["llm_pca_00"]


@pytest.mark.parametrize(("value", "expected"), [(8.0, 8), (1.0, 1), (0.9, 0.9), (0.05, 0.05)])
def test_parse_components_gives_a_count_or_a_share(value, expected):
    parsed = EmbeddingPCA.parse_components(value)
    assert parsed == expected
    assert type(parsed) is type(expected)
    EmbeddingPCA(n_components=parsed)  # accepted as it is


@pytest.mark.parametrize("value", [0.0, 1.5, -2.0, float("nan"), float("inf")])
def test_parse_components_refuses_what_is_neither(value):
    with pytest.raises(EmkitError, match="neither a whole number"):
        EmbeddingPCA.parse_components(value)

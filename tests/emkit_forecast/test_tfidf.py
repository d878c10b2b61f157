"""The ``tfidf`` text forecaster and how text columns reach (and stay away from) forecasters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import emkit
from emkit.evaluation import auroc
from emkit.models import FEATURE_INDEX

H = (7, 14)


def _text_problem(n_patients=5, n_days=80, seed=0):
    """Days whose text says ``agujas`` more often before a positive label."""
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [[f"p{i}" for i in range(n_patients)], pd.date_range("2024-01-01", periods=n_days)],
        names=list(FEATURE_INDEX),
    )
    risk = rng.random(len(index))
    words = np.where(risk > 0.7, "noto agujas en los talones", "hoy toca planchar")
    texts = [f"{w} {rng.choice(['vale', 'bueno', 'ya'])}" for w in words]
    features = pd.DataFrame({"lex_tokens": rng.normal(size=len(index))}, index=index)
    features["text"] = pd.Series(texts, index=index, dtype=object)
    labels = pd.DataFrame(index=index)
    for h in H:
        labels[emkit.label_column(h)] = (rng.random(len(index)) < 0.1 + 0.6 * (risk > 0.7)) * 1.0
    return features, labels


def test_tfidf_reads_the_text():
    features, labels = _text_problem()
    model = emkit.get_forecaster("tfidf").fit(features, labels, H)
    proba = model.predict_proba(features)
    y = labels[emkit.label_column(14)].to_numpy()
    assert auroc(y, proba[emkit.proba_column(14)].to_numpy()) > 0.7
    assert model.text_columns_ == ["text"]
    assert "agujas" in model.top_terms(14, k=5).index
    assert list(model.feature_importance().index) == ["text"]
    assert model.lookback == 2


def test_tfidf_document_holds_the_two_days_before():
    features, _ = _text_problem(n_patients=1, n_days=5)
    features["text"] = ["a1", "b2", "c3", "d4", "e5"]
    from emkit.forecasters.tfidf import text_documents

    docs = text_documents(features, ["text"], days=3)
    assert list(docs) == ["a1", "a1\nb2", "a1\nb2\nc3", "b2\nc3\nd4", "c3\nd4\ne5"]


def test_tfidf_forecast_for_t_ignores_later_days():
    features, labels = _text_problem()
    model = emkit.get_forecaster("tfidf").fit(features, labels, H)
    changed = features.copy()
    dates = changed.index.get_level_values("date")
    later = dates > dates[40]
    changed.loc[later, "text"] = "agujas agujas agujas"
    before = model.predict_proba(features)[~later]
    after = model.predict_proba(changed)[~later]
    pd.testing.assert_frame_equal(before, after)


def test_tfidf_saves_and_loads_without_pickle(tmp_path):
    features, labels = _text_problem()
    model = emkit.get_forecaster("tfidf", min_df=1).fit(features, labels, H)
    model.save(tmp_path / "model")
    assert not (tmp_path / "model").read_bytes().startswith(b"\x80")  # not a pickle stream
    loaded = emkit.TfidfForecaster.load(tmp_path / "model")
    pd.testing.assert_frame_equal(model.predict_proba(features), loaded.predict_proba(features))
    with pytest.raises(emkit.EmkitError, match="holds a 'tfidf' model"):
        emkit.LogisticForecaster.load(tmp_path / "model")


def test_tfidf_without_a_text_column_is_an_error_naming_it():
    features, labels = _text_problem()
    with pytest.raises(emkit.EmkitError, match=r"no column of role 'text'.*lex_tokens"):
        emkit.get_forecaster("tfidf").fit(features.drop(columns="text"), labels, H)


def test_tfidf_on_days_without_any_text_predicts_the_base_rate():
    features, labels = _text_problem()
    features["text"] = ""
    model = emkit.get_forecaster("tfidf").fit(features, labels, H)
    proba = model.predict_proba(features)
    rate = labels[emkit.label_column(7)].mean()
    assert np.allclose(proba[emkit.proba_column(7)], rate)


@pytest.mark.parametrize("name", ["logistic", "gbm"])
def test_numeric_forecasters_never_read_text(name):
    features, labels = _text_problem()
    model = emkit.get_forecaster(name, max_iter=50).fit(features, labels, H)
    assert model.feature_columns_ == ["lex_tokens"]
    assert "text" not in model.feature_importance().index


def test_roles_option_selects_columns():
    features, labels = _text_problem()
    features["lex_tokens_base60d"] = features["lex_tokens"].diff()
    lexical = emkit.get_forecaster("logistic", roles=["lexical"]).fit(features, labels, H)
    both = emkit.get_forecaster("logistic", roles=["lexical", "baseline"]).fit(features, labels, H)
    assert lexical.feature_columns_ == ["lex_tokens"]
    assert both.feature_columns_ == ["lex_tokens", "lex_tokens_base60d"]
    with pytest.raises(ValueError, match="embedding"):
        emkit.get_forecaster("logistic", roles=["embedding"]).fit(features, labels, H)
    with pytest.raises(emkit.InvalidOptionsError):
        emkit.get_forecaster("logistic", roles=["no-such-role"])


def test_tfidf_in_an_evaluation_on_the_same_rows():
    from emkit.evaluation import evaluate, rolling_origin_splits

    features, labels = _text_problem(n_days=120)
    splits = rolling_origin_splits(features.index, purge_days=14, n_folds=2)
    factories = {
        "tfidf": lambda: emkit.get_forecaster("tfidf"),
        "logistic": lambda: emkit.get_forecaster("logistic"),
    }
    result = evaluate(features, labels, factories, splits, [14], n_boot=0)
    assert result.scores[14]["tfidf"]["auroc"].estimate > 0.65

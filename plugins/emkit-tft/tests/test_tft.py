"""The TFT forecaster: conformance, causality, save/load and that it learns a plain signal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from emkit_tft import TFTForecaster

import emkit
from emkit.evaluation import auroc, history_mask
from emkit.testing import forecaster_checks, parametrize_with_checks, relapse_cohort_frames

TINY = {
    "hidden_size": 4,
    "attention_head_size": 1,
    "hidden_continuous_size": 2,
    "max_epochs": 2,
    "limit_train_batches": 4,
    "encoder_length": 10,
    "batch_size": 64,
    "threads": 1,
}


def tiny_tft() -> TFTForecaster:
    return TFTForecaster(**TINY)


@parametrize_with_checks([tiny_tft], forecaster_checks())
def test_conformance(factory, check):
    check(factory)


def test_registered_by_entry_point():
    assert "tft" in emkit.forecaster_names()


@pytest.fixture(scope="module")
def cohort():
    return relapse_cohort_frames(n_patients=6, n_days=150, seed=1, horizons=(14,))


@pytest.fixture(scope="module")
def fitted(cohort):
    options = {**TINY, "max_epochs": 6, "limit_train_batches": None, "hidden_size": 8}
    return TFTForecaster(**options).fit(cohort["features"], cohort["labels"], (14,))


def test_learns_a_prodrome_signal(cohort, fitted):
    y = cohort["labels"]["relapse_within_14d"]
    p = fitted.predict_proba(cohort["features"])["p_relapse_within_14d"]
    scored = y.notna()
    assert auroc(y[scored], p[scored]) > 0.7


def test_future_days_do_not_change_past_forecasts(cohort, fitted):
    features = cohort["features"]
    cut = pd.Timestamp("2024-03-15")
    changed = features.copy()
    later = changed.index.get_level_values("date") > cut
    rng = np.random.default_rng(0)
    changed.loc[later] = rng.normal(size=changed.loc[later].shape) * 5
    before = fitted.predict_proba(features)[~later]
    after = fitted.predict_proba(changed)[~later]
    pd.testing.assert_frame_equal(before, after)


def test_lookback_rows_of_history_give_the_same_forecasts(cohort, fitted):
    features = cohort["features"]
    dates = features.index.get_level_values("date")
    tested = np.asarray(dates >= pd.Timestamp("2024-04-01"))
    context = history_mask(features.index, tested, fitted.lookback)
    assert context.sum() < len(features)
    full = fitted.predict_proba(features)[tested]
    trimmed = fitted.predict_proba(features[context])
    pd.testing.assert_frame_equal(trimmed.loc[full.index], full, rtol=1e-5)


def test_probability_is_the_softmax_not_the_class(cohort, fitted):
    p = fitted.predict_proba(cohort["features"])["p_relapse_within_14d"]
    assert p.nunique() > 10
    assert ((p > 0) & (p < 1)).all()


def test_importance_names_input_features(cohort, fitted):
    importance = fitted.feature_importance()
    assert set(importance.index) <= set(cohort["features"].columns)
    assert 0 < importance.sum() <= 1 + 1e-6


def test_load_rejects_a_folder_without_config(tmp_path):
    with pytest.raises(emkit.EmkitError, match="not a saved tft model"):
        TFTForecaster.load(tmp_path)


def test_predicts_across_batches_with_different_history_lengths():
    # More rows than one 512-row prediction batch, with short series: batches then hold
    # different encoder lengths, and pytorch-forecasting returns their attention as lists.
    train = relapse_cohort_frames(n_patients=3, n_days=60, seed=0, horizons=(7,))
    options = {**TINY, "encoder_length": 30, "max_epochs": 1, "limit_train_batches": 2}
    model = TFTForecaster(**options).fit(train["features"], train["labels"], (7,))
    features = relapse_cohort_frames(n_patients=12, n_days=60, seed=1, horizons=(7,))["features"]
    proba = model.predict_proba(features)
    assert proba.shape == (720, 1)
    assert proba.notna().all().all()

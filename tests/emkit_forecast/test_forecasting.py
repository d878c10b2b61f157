"""Baselines and evaluation: leakage, safe persistence, ablation, analyses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import emkit
from emkit import GBMForecaster, LogisticForecaster
from emkit.evaluation import analyses
from emkit.evaluation.ablation import experiment_columns, run_ablation
from emkit.evaluation.experiment import (
    evaluate,
    fold_features,
    history_mask,
    out_of_fold_predictions,
)
from emkit.evaluation.splits import make_splits
from emkit.evaluation.study import factories, importance_analyses
from emkit.forecasters import rolling_design
from emkit.testing.forecasters import relapse_cohort_frames

HORIZONS = (7, 14)


@pytest.fixture(scope="module")
def cohort():
    return relapse_cohort_frames(n_patients=10, n_days=200, seed=0, horizons=HORIZONS)


@settings(max_examples=25, deadline=None)
@given(cut=st.integers(5, 55), seed=st.integers(0, 100))
def test_rolling_design_uses_no_later_day(cut, seed):
    cohort = relapse_cohort_frames(n_patients=2, n_days=60, seed=seed, horizons=(7,))
    features = cohort["features"][["lex_words", "llm_perplexity"]]
    changed = features.copy()
    later = changed.index.get_level_values("date") >= pd.Timestamp("2024-01-01") + pd.Timedelta(
        days=cut
    )
    changed.loc[later] = 1e6
    before = rolling_design(features, [7, 28])[~later]
    after = rolling_design(changed, [7, 28])[~later]
    pd.testing.assert_frame_equal(before, after)


@pytest.mark.parametrize("name", ["prevalence", "logistic", "gbm"])
def test_forecasts_for_day_t_ignore_days_after_t(cohort, name):
    features, labels = cohort["features"], cohort["labels"]
    model = emkit.get_forecaster(name).fit(features, labels, HORIZONS)
    dates = features.index.get_level_values("date")
    later = dates > pd.Timestamp("2024-05-01")
    changed = features.copy()
    changed.loc[later] = np.random.default_rng(0).normal(size=changed.loc[later].shape) * 10
    pd.testing.assert_frame_equal(
        model.predict_proba(features)[~later], model.predict_proba(changed)[~later]
    )


@settings(max_examples=40, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 12), min_size=1, max_size=4),
    lookback=st.integers(0, 5),
    data=st.data(),
)
def test_history_mask_keeps_lookback_rows_before_each_first_selected_row(lengths, lookback, data):
    index = pd.MultiIndex.from_tuples(
        [
            (f"p{i}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=2 * d))
            for i, n in enumerate(lengths)
            for d in range(n)
        ],
        names=["patient_id", "date"],
    )
    rows = np.array(data.draw(st.lists(st.booleans(), min_size=len(index), max_size=len(index))))
    mask = history_mask(index, rows, lookback)
    offset = 0
    for n in lengths:
        chosen = np.flatnonzero(rows[offset : offset + n])
        expected = np.zeros(n, dtype=bool)
        if len(chosen):
            expected[max(0, chosen[0] - lookback) :] = True
        assert mask[offset : offset + n].tolist() == expected.tolist()
        offset += n


class _FullHistory(LogisticForecaster):
    """The logistic baseline claiming to need all history: the untrimmed reference."""

    @property
    def lookback(self) -> None:
        return None


@pytest.mark.parametrize("windows", [[1], [3], [3, 7]])
def test_trimmed_history_gives_the_same_held_out_forecasts(cohort, windows):
    features, labels = cohort["features"], cohort["labels"]
    splits = make_splits(features.index, "rolling", horizons=HORIZONS, n_folds=2)
    trimmed = out_of_fold_predictions(
        features, labels, lambda: LogisticForecaster(rolling_windows=windows), splits, HORIZONS
    )
    full = out_of_fold_predictions(
        features, labels, lambda: _FullHistory(rolling_windows=windows), splits, HORIZONS
    )
    pd.testing.assert_frame_equal(trimmed, full)


def test_shuffled_labels_give_chance_auroc_within_its_interval(cohort):
    features, labels = cohort["features"], cohort["labels"]
    rng = np.random.default_rng(1)
    shuffled = labels.copy()
    shuffled[:] = labels.to_numpy()[rng.permutation(len(labels))]
    splits = make_splits(features.index, "rolling", horizons=HORIZONS, n_folds=2)
    result = evaluate(features, shuffled, factories(["logistic"]), splits, HORIZONS, n_boot=60)
    for h in HORIZONS:
        interval = result.scores[h]["logistic"]["auroc"]
        assert interval.low <= 0.5 <= interval.high, (h, interval)
        assert abs(interval.estimate - 0.5) < 0.1


def test_evaluation_beats_prevalence_and_reports_the_oracle(cohort):
    features, labels = cohort["features"], cohort["labels"]
    splits = make_splits(features.index, "rolling", horizons=HORIZONS, n_folds=2)
    result = evaluate(
        features,
        labels,
        factories(["prevalence", "logistic"]),
        splits,
        HORIZONS,
        latent=cohort["latent"]["latent"],
        onsets=cohort["onsets"],
        n_boot=60,
    )
    for h in HORIZONS:
        assert result.best(h) == "logistic"
        assert result.comparisons[h]["logistic-prevalence"].low > 0
        oracle = result.scores[h]["oracle"]["auroc"].estimate
        assert oracle >= result.scores[h]["logistic"]["auroc"].estimate - 0.02
        assert result.events[h]["logistic"]["events"] > 0
    record = result.to_dict()
    assert record["best"] == {"7": "logistic", "14": "logistic"}


def test_fold_pca_is_fitted_on_training_rows_only(cohort):
    features = cohort["features"]
    train = np.asarray(features.index.get_level_values("date") < pd.Timestamp("2024-04-01"))
    frame = fold_features(features, train, n_components=3)
    assert [c for c in frame.columns if c.startswith("llm_pca_")] == [
        "llm_pca_00",
        "llm_pca_01",
        "llm_pca_02",
    ]
    assert not [c for c in frame.columns if c.startswith("llm_emb_0")]
    changed = features.copy()
    changed.loc[~train, "llm_emb_000"] += 100.0  # test rows must not move the PCA basis
    again = fold_features(changed, train, n_components=3)
    pd.testing.assert_frame_equal(frame[train], again[train])


def test_evaluate_gives_each_fold_the_pca_it_is_asked_for(cohort):
    features, labels = cohort["features"], cohort["labels"]
    splits = make_splits(features.index, "rolling", horizons=HORIZONS, n_folds=2)
    seen: dict[str, list[int]] = {}

    def record(setting):
        def on_fit(split, model):
            columns = [c for c in model.feature_columns_ if c.startswith("llm_pca_")]
            seen.setdefault(setting, []).append(len(columns))

        return on_fit

    factory = factories(["logistic"])["logistic"]
    for setting in (3, 0.6):
        out_of_fold_predictions(
            features,
            labels,
            factory,
            splits,
            HORIZONS,
            pca_components=setting,
            on_fit=record(str(setting)),
        )
    assert seen["3"] == [3, 3]
    expected = [
        emkit.EmbeddingPCA(0.6, keep_empty_days=True).fit(features[s.train]).n_components_
        for s in splits
    ]
    assert seen["0.6"] == expected
    assert all(1 <= k != 8 for k in expected)  # differs from the default count
    result = evaluate(
        features, labels, {"logistic": factory}, splits, HORIZONS, n_boot=0, pca_components=0.6
    )
    kept = [c for c in result.last_models["logistic"].feature_columns_ if c.startswith("llm_pca_")]
    assert len(kept) == expected[-1]


def test_ablation_runs_the_four_experiments(cohort):
    features, labels = cohort["features"], cohort["labels"]
    groups = experiment_columns(list(features.columns))
    assert list(groups) == [
        "1 lexical + sentiment",
        "2 + MiniLLM embeddings (PCA)",
        "3 + perplexity and trend",
        "4 full",
    ]
    splits = make_splits(features.index, "rolling", horizons=(14,), n_folds=2)
    table = run_ablation(
        features, labels, factories(["logistic"])["logistic"], splits, (14,), n_boot=20
    )
    assert list(table["experiment"]) == list(groups)
    assert (table["auroc_14d"] > 0.5).all()


def test_event_locked_perplexity_rises_before_onset(cohort):
    matrix = analyses.event_locked_matrix(cohort["features"], "llm_perplexity", cohort["onsets"])
    curve = analyses.event_locked_curve(matrix)
    assert list(curve["offset"])[:1] == [-30]
    assert list(curve["offset"])[-1:] == [7]
    test = analyses.rise_test(matrix)
    assert test["mean_rise_sd"] > 0
    assert test["p_value"] < 0.05


def test_no_rise_in_pure_noise():
    cohort = relapse_cohort_frames(n_patients=10, n_days=200, seed=4, signal=0.0)
    matrix = analyses.event_locked_matrix(cohort["features"], "llm_perplexity", cohort["onsets"])
    assert analyses.rise_test(matrix)["p_value"] > 0.01


@pytest.mark.parametrize("cls", [LogisticForecaster, GBMForecaster])
def test_importances_rank_the_signal_above_noise(cohort, cls):
    features, labels = cohort["features"], cohort["labels"]
    features = features.assign(pure_noise=np.random.default_rng(0).normal(size=len(features)))
    model = cls().fit(features, labels, (14,))
    shap_values = analyses.shap_importance(model, features, 14)
    permutation = analyses.permutation_importance(model, features, labels, 14, n_repeats=1)
    for importance in (shap_values, permutation, model.feature_importance()):
        signal = importance[["llm_perplexity", "llm_perplexity_trend_7d", "lex_words"]]
        assert signal.max() > importance["pure_noise"]
        assert importance.idxmax() != "pure_noise"
        assert set(importance.index) <= set(features.columns)


def test_importance_permutes_exactly_the_named_forecasters_and_reuses_fitted_ones(cohort):
    features, labels = cohort["features"], cohort["labels"]
    splits = make_splits(features.index, "rolling", horizons=HORIZONS, n_folds=2)
    names = ["prevalence", "logistic", "gbm"]
    result = evaluate(features, labels, factories(names), splits, HORIZONS, n_boot=20)
    assert set(result.last_models) == set(names)
    last = splits[-1]

    def refit() -> emkit.Forecaster:
        raise AssertionError("a forecaster fitted on the last fold was fitted again")

    out = importance_analyses(
        features,
        labels,
        dict.fromkeys(names, refit),
        last.train,
        last.test,
        14,
        fitted=result.last_models,
        permutation=("logistic", "gbm"),
    )
    assert "permutation" not in out["prevalence"]
    assert "permutation" in out["logistic"]
    assert "permutation" in out["gbm"]


def test_saved_model_rejects_foreign_types(tmp_path, cohort):
    import skops.io as sio

    path = tmp_path / "model.skops"
    path.write_bytes(sio.dumps({"name": "logistic", "payload": pd.Timestamp("2024-01-01")}))
    with pytest.raises(emkit.EmkitError, match="untrusted"):
        LogisticForecaster.load(path)


def test_loading_a_model_of_another_kind_fails(tmp_path, cohort):
    model = LogisticForecaster().fit(cohort["features"], cohort["labels"], (7,))
    model.save(tmp_path / "m")
    with pytest.raises(emkit.EmkitError, match="not 'gbm'"):
        GBMForecaster.load(tmp_path / "m")

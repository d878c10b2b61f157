"""Metrics agree with scikit-learn; splits keep the future (and the test patients) out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score

from emkit.evaluation.bootstrap import patient_bootstrap
from emkit.evaluation.metrics import (
    DAYS_PER_MONTH,
    alarm_threshold,
    auroc,
    average_precision,
    binary_metrics,
    event_onsets_from_labels,
    event_sensitivity,
)
from emkit.evaluation.splits import leave_patients_out_splits, rolling_origin_splits
from emkit.testing.forecasters import relapse_cohort_frames

scores = st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.7, 1.0]), min_size=4, max_size=60)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), p=scores)
def test_auroc_and_auprc_match_sklearn(data, p):
    y = data.draw(st.lists(st.integers(0, 1), min_size=len(p), max_size=len(p)))
    if len(set(y)) < 2:
        assert np.isnan(auroc(np.array(y), np.array(p)))
        return
    assert auroc(np.array(y), np.array(p)) == pytest.approx(roc_auc_score(y, p))
    assert average_precision(np.array(y), np.array(p)) == pytest.approx(
        average_precision_score(y, p)
    )


def test_binary_metrics_reports_prevalence_and_brier():
    m = binary_metrics(np.array([0, 0, 1, 1]), np.array([0.0, 0.0, 1.0, 1.0]))
    assert m["auroc"] == 1.0
    assert m["prevalence"] == 0.5
    assert m["brier"] == 0.0


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 1000),
    budget=st.sampled_from([0.5, 1.0, 2.0]),
)
def test_alarm_threshold_keeps_the_false_alarm_budget(seed, budget):
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [["a", "b"], pd.date_range("2024-01-01", periods=90)], names=["patient_id", "date"]
    )
    labels = pd.Series((rng.random(len(index)) < 0.1).astype(float), index=index)
    scores_ = pd.Series(rng.random(len(index)), index=index)
    threshold = alarm_threshold(scores_, labels, budget)
    false_alarms = ((scores_ >= threshold) & (labels == 0)).sum()
    assert false_alarms <= budget * len(index) / DAYS_PER_MONTH


def test_onsets_recovered_from_labels_and_caught_by_a_perfect_alarm():
    cohort = relapse_cohort_frames(n_patients=4, n_days=150, seed=3, horizons=(14,))
    labels = cohort["labels"]["relapse_within_14d"]
    inferred = event_onsets_from_labels(labels)
    truth = cohort["onsets"]
    merged = inferred.merge(truth, on=["patient_id", "onset"])
    assert len(merged) == len(inferred) == len(truth)
    perfect = labels.fillna(0)
    result = event_sensitivity(perfect, labels, truth, 14, false_alarms_per_month=0.0)
    assert result["sensitivity"] == 1.0
    assert result["median_lead_days"] == 14.0


def test_rolling_origin_purges_at_least_the_horizon():
    index = relapse_cohort_frames(n_patients=3, n_days=200)["labels"].index
    dates = index.get_level_values("date")
    splits = rolling_origin_splits(index, purge_days=30, n_folds=3)
    assert len(splits) == 3
    for split in splits:
        first_test = dates[split.test].min()
        assert dates[split.train].max() < first_test - pd.Timedelta(days=30)
        assert not (split.train & split.test).any()
    test_blocks = [set(dates[s.test]) for s in splits]
    assert not test_blocks[0] & test_blocks[1]


def test_rolling_origin_rejects_a_too_short_calendar():
    index = relapse_cohort_frames(n_patients=2, n_days=60)["labels"].index
    with pytest.raises(ValueError, match="cannot hold"):
        rolling_origin_splits(index, purge_days=40, n_folds=3)


def test_leave_patients_out_tests_each_patient_once_on_unseen_patients():
    index = relapse_cohort_frames(n_patients=6, n_days=60)["labels"].index
    patients = index.get_level_values("patient_id")
    splits = leave_patients_out_splits(index, n_folds=3)
    seen = []
    for split in splits:
        assert not set(patients[split.train]) & set(patients[split.test])
        seen += sorted(set(patients[split.test]))
    assert sorted(seen) == sorted(set(patients))


def test_patient_bootstrap_interval_contains_the_estimate():
    cohort = relapse_cohort_frames(n_patients=8, n_days=120, seed=2, horizons=(14,))
    frame = pd.DataFrame(
        {"y": cohort["labels"]["relapse_within_14d"], "s": cohort["latent"]["latent"]}
    ).dropna()
    intervals = patient_bootstrap(
        frame, lambda f: {"auroc": auroc(f["y"].to_numpy(), f["s"].to_numpy())}, n_boot=50
    )
    interval = intervals["auroc"]
    assert interval.low <= interval.estimate <= interval.high
    assert interval.high - interval.low > 0

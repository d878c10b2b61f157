"""Temporal features: definitions and strict causality (property tests)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emkit import (
    add_temporal_features,
    coherence_drop,
    embedding_drift,
    perplexity_trend,
    rolling_zscores,
)
from emkit.models import FEATURE_INDEX


def _frame(values, patient="p1", start=dt.date(2024, 1, 1), dates=None):
    n = len(next(iter(values.values())))
    dates = dates or [start + dt.timedelta(days=i) for i in range(n)]
    index = pd.MultiIndex.from_tuples([(patient, d) for d in dates], names=list(FEATURE_INDEX))
    return pd.DataFrame(values, index=index)


def test_trend_is_ols_slope_over_seven_days():
    frame = _frame({"llm_perplexity": [float(2 * i + 1) for i in range(10)]})
    trend = perplexity_trend(frame)
    assert np.isnan(trend.iloc[0])
    np.testing.assert_allclose(trend.iloc[1:], 2.0)
    values = np.array([5.0, 1.0, 4.0, 2.0, 8.0, 3.0, 7.0, 6.0, 0.0])
    trend = perplexity_trend(_frame({"llm_perplexity": values}))
    x = np.arange(2, 9)
    expected = np.polyfit(x, values[2:9], 1)[0]
    assert trend.iloc[8] == pytest.approx(expected)


def test_trend_window_is_calendar_days():
    dates = [dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 20)]
    trend = perplexity_trend(_frame({"llm_perplexity": [1.0, 2.0, 9.0]}, dates=dates))
    assert trend.iloc[1] == pytest.approx(1.0)
    assert np.isnan(trend.iloc[2])  # the earlier days are out of the 7-day window


def test_drift_and_coherence_drop():
    frame = _frame({"llm_emb_000": [1.0, 1.0, 0.0], "llm_emb_001": [0.0, 0.0, 1.0]})
    drift = embedding_drift(frame, ["llm_emb_000", "llm_emb_001"])
    assert np.isnan(drift.iloc[0])
    assert drift.iloc[1] == pytest.approx(0.0)
    assert drift.iloc[2] == pytest.approx(1.0)
    drop = coherence_drop(_frame({"llm_coherence": [0.9, 0.7, np.nan, 0.2]}))
    assert np.isnan(drop.iloc[0])
    assert drop.iloc[1] == pytest.approx(0.2)
    assert drop.iloc[3] == pytest.approx(0.8 - 0.2)


def test_zscores_per_patient():
    a = _frame({"x": [1.0, 2.0, 3.0, 4.0]}, patient="a")
    b = _frame({"x": [10.0, 10.0, 10.0, 40.0]}, patient="b")
    z = rolling_zscores(pd.concat([a, b]), ["x"], min_periods=3)
    assert list(z.columns) == ["x_z"]
    assert z.iloc[3]["x_z"] == pytest.approx((4 - 2.5) / np.std([1, 2, 3, 4], ddof=1))
    assert z.iloc[7]["x_z"] == pytest.approx((40 - 17.5) / np.std([10, 10, 10, 40], ddof=1))


def test_empty_text_days_are_left_out():
    frame = _frame(
        {
            "llm_perplexity": [10.0, 0.0, 12.0],
            "llm_seq_len": [5.0, 0.0, 5.0],
            "llm_emb_000": [1.0, 0.0, 1.0],
            "llm_emb_001": [0.0, 0.0, 0.0],
        }
    )
    out = add_temporal_features(frame)
    assert out["llm_perplexity_trend_7d"].iloc[2] == pytest.approx(1.0)
    assert out["llm_emb_drift_7d"].iloc[2] == pytest.approx(0.0)
    assert np.isnan(out["llm_emb_drift_7d"].iloc[1])


frames = st.integers(2, 25).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.floats(0.5, 100), min_size=n, max_size=n),
        st.lists(st.floats(-1, 1), min_size=2 * n, max_size=2 * n),
        st.lists(st.one_of(st.floats(-1, 1), st.just(np.nan)), min_size=n, max_size=n),
        st.lists(st.integers(0, 2), min_size=n, max_size=n),
        st.integers(0, n - 1),
        st.randoms(use_true_random=False),
    )
)


@settings(max_examples=60, deadline=None)
@given(data=frames)
def test_changing_any_later_day_never_changes_day_t(data):
    n, ppl, emb, coh, gaps, t, rnd = data
    dates, day = [], dt.date(2024, 1, 1)
    for gap in gaps:
        day += dt.timedelta(days=gap + 1)
        dates.append(day)
    frame = _frame(
        {
            "llm_perplexity": ppl,
            "llm_seq_len": [float(i % 3) for i in range(n)],
            "llm_emb_000": emb[:n],
            "llm_emb_001": emb[n:],
            "llm_coherence": coh,
        },
        dates=dates,
    )
    changed = frame.copy()
    for row in range(t + 1, n):
        changed.iloc[row] = [rnd.uniform(0, 50), 2.0, rnd.uniform(-1, 1), 0.3, rnd.uniform(-1, 1)]
    if n > t + 1 and rnd.random() < 0.5:
        changed = changed.iloc[: t + 1 + rnd.randrange(n - t - 1)]
    kwargs = {"zscore_columns": ["llm_perplexity", "llm_coherence"]}
    before = add_temporal_features(frame, **kwargs).iloc[: t + 1]
    after = add_temporal_features(changed, **kwargs).iloc[: t + 1]
    pd.testing.assert_frame_equal(before, after)


def test_rows_keep_input_order_with_several_patients():
    a = _frame({"llm_perplexity": [1.0, 2.0, 3.0]}, patient="a")
    b = _frame({"llm_perplexity": [5.0, 3.0, 1.0]}, patient="b")
    mixed = pd.concat([a, b]).iloc[[3, 0, 5, 1, 4, 2]]
    trend = perplexity_trend(mixed)
    assert list(trend.index) == list(mixed.index)
    assert trend.loc[("a", dt.date(2024, 1, 3))] == pytest.approx(1.0)
    assert trend.loc[("b", dt.date(2024, 1, 3))] == pytest.approx(-2.0)

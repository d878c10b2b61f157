"""Personal-baseline features, the text role and the text extractor."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import emkit
from emkit.models import FEATURE_INDEX
from emkit.store import FeatureStoreError, SQLiteFeatureStore


def _frame(values: dict[str, list[float]], patient: str = "p001") -> pd.DataFrame:
    n = len(next(iter(values.values())))
    index = pd.MultiIndex.from_product(
        [[patient], pd.date_range("2024-01-01", periods=n)], names=list(FEATURE_INDEX)
    )
    return pd.DataFrame(values, index=index)


def test_baseline_uses_the_days_before_only():
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 100.0]
    out = emkit.baseline_deviations(_frame({"x": values}), days=60, min_periods=3)
    assert list(out.columns) == ["x_base60d"]
    assert out["x_base60d"].iloc[:3].isna().all()  # fewer than 3 earlier days
    previous = np.array(values[:5])
    expected = (100.0 - previous.mean()) / previous.std(ddof=1)
    assert out["x_base60d"].iloc[5] == pytest.approx(expected)
    assert emkit.FeatureSchema.of(out).role("x_base60d") is emkit.ColumnRole.BASELINE
    assert emkit.FeatureColumn.infer("lex_tokens_base60d").role is emkit.ColumnRole.BASELINE


def test_baseline_window_is_in_calendar_days():
    values = list(np.arange(30, dtype=float))
    out = emkit.baseline_deviations(_frame({"x": values}), days=5, min_periods=2)
    # day 10's baseline is days 5..9: mean 7, std of 5..9
    assert out["x_base5d"].iloc[10] == pytest.approx((10 - 7) / np.std(np.arange(5, 10), ddof=1))


def test_baseline_skips_text_and_other_baselines():
    frame = _frame({"x": [1.0, 2.0, 4.0], "x_base9d": [0.0, 1.0, 0.0]})
    frame["text"] = ["a", "b", "c"]
    out = emkit.baseline_deviations(frame, days=9, min_periods=2)
    assert list(out.columns) == ["x_base9d"]


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.none(), st.floats(-50, 50, allow_nan=False)), min_size=4, max_size=40
    ),
    t=st.integers(0, 39),
    changed=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=40, max_size=40),
)
def test_changing_later_days_never_changes_the_baseline_at_t(values, t, changed):
    t = min(t, len(values) - 1)
    series = [np.nan if v is None else v for v in values]
    other = series[: t + 1] + changed[: len(series) - t - 1]
    before = emkit.baseline_deviations(_frame({"x": series}), days=10, min_periods=2)
    after = emkit.baseline_deviations(_frame({"x": other}), days=10, min_periods=2)
    pd.testing.assert_frame_equal(before.iloc[: t + 1], after.iloc[: t + 1])


def test_rolling_zscores_unchanged_by_default():
    frame = _frame({"x": [1.0, 3.0, 2.0, 5.0, 4.0]})
    out = emkit.rolling_zscores(frame, window=3, min_periods=2)
    span = np.array([2.0, 5.0, 4.0])
    assert out["x_z"].iloc[4] == pytest.approx((4.0 - span.mean()) / span.std(ddof=1))


def test_text_extractor_declares_the_text_role(tmp_path):
    days = [
        emkit.PatientDay(
            patient_id="p001",
            date=dt.date(2024, 1, 1),
            messages=(
                emkit.DayMessage(time=dt.time(9), text="hola"),
                emkit.DayMessage(time=dt.time(10), text="qué tal"),
            ),
        ),
        emkit.PatientDay(patient_id="p001", date=dt.date(2024, 1, 2)),
    ]
    frame = emkit.TextExtractor().transform(days)
    assert list(frame[emkit.TEXT_COLUMN]) == ["hola\nqué tal", ""]
    assert emkit.FeatureSchema.of(frame).columns_with(emkit.ColumnRole.TEXT) == ["text"]
    assert emkit.TextExtractor().schema().names == ["text"]
    store = SQLiteFeatureStore(path=tmp_path / "f.db")
    with pytest.raises(FeatureStoreError, match="non-numeric feature columns: \\['text'\\]"):
        store.write("features", frame)


def test_lexical_extractor_is_not_changed_by_the_new_roles():
    schema = emkit.get_feature_extractor("lexical").schema()
    assert set(c.role for c in schema.columns) == {emkit.ColumnRole.LEXICAL}

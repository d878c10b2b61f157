"""Conformance checks for :class:`~emkit.FeatureStore` implementations.

A store factory takes the folder to keep its data in: ``factory(tmp_dir) -> FeatureStore``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emkit.interfaces import FeatureStore
from emkit.models import FEATURE_INDEX

StoreFactory = Callable[[Path], FeatureStore]


@st.composite
def feature_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Small per-day feature frames with float columns (NaN allowed)."""
    n_patients = draw(st.integers(1, 3))
    n_days = draw(st.integers(1, 6))
    n_cols = draw(st.integers(1, 4))
    index = pd.MultiIndex.from_product(
        [[f"p{i}" for i in range(n_patients)], pd.date_range("2024-03-01", periods=n_days).date],
        names=list(FEATURE_INDEX),
    )
    floats = st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=64), st.just(np.nan))
    data = {
        f"f{j}": draw(st.lists(floats, min_size=len(index), max_size=len(index)))
        for j in range(n_cols)
    }
    return pd.DataFrame(data, index=index)


def check_store_roundtrip(factory: StoreFactory) -> None:
    """What is written is read back unchanged (values, NaNs, index)."""

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(frame=feature_frames())
    def run(frame: pd.DataFrame) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            store = factory(Path(tmp))
            store.write("check", frame)
            back = store.read("check")
            back = back.loc[frame.index, list(frame.columns)]
            pd.testing.assert_frame_equal(back, frame, check_dtype=False, check_index_type=False)

    run()


def feature_store_checks() -> list[Callable[[StoreFactory], None]]:
    """Every check a feature store must pass."""
    return [check_store_roundtrip]

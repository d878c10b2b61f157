"""Conformance checks for :class:`~emkit.FeatureStore` implementations.

A store factory takes the folder to keep its data in: ``factory(tmp_dir) -> FeatureStore``.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emkit.features.schema import ColumnRole, FeatureColumn, FeatureSchema
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


def check_store_rewrite_and_as_of(factory: StoreFactory) -> None:
    """A rewrite supersedes earlier rows; ``as_of`` an earlier instant reads the earlier rows."""
    import time

    index = pd.MultiIndex.from_tuples(
        [("p1", pd.Timestamp("2024-01-01").date()), ("p1", pd.Timestamp("2024-01-02").date())],
        names=list(FEATURE_INDEX),
    )
    first = pd.DataFrame({"f0": [1.0, 2.0]}, index=index)
    second = pd.DataFrame({"f0": [10.0]}, index=index[:1])
    with tempfile.TemporaryDirectory() as tmp:
        store = factory(Path(tmp))
        store.write("check", first)
        time.sleep(0.01)
        between = dt.datetime.now(dt.UTC)
        time.sleep(0.01)
        store.write("check", second)
        latest = store.read("check")["f0"].to_dict()
        assert latest[index[0]] == 10.0 and latest[index[1]] == 2.0, latest
        earlier = store.read("check", as_of=between)["f0"].to_dict()
        assert earlier[index[0]] == 1.0 and earlier[index[1]] == 2.0, earlier
        only = store.read("check", patients=["nobody"])
        assert len(only) == 0


def check_store_finished_days(factory: StoreFactory) -> None:
    """``finished_days`` is empty for a new feature set and then lists every stored patient-day.

    It is what ``emkit features`` skips when resumed, so it must hold exactly the written days.
    """
    index = pd.MultiIndex.from_tuples(
        [
            ("p1", pd.Timestamp("2024-01-01").date()),
            ("p1", pd.Timestamp("2024-01-02").date()),
            ("p2", pd.Timestamp("2024-01-01").date()),
        ],
        names=list(FEATURE_INDEX),
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = factory(Path(tmp))
        assert store.finished_days("check") == set()
        store.write("check", pd.DataFrame({"f0": [1.0, 2.0]}, index=index[:2]))
        store.write("check", pd.DataFrame({"f0": [4.0]}, index=index[2:]))
        finished = store.finished_days("check")
        assert finished == set(index), finished
        for patient, date in finished:
            assert isinstance(patient, str) and type(date) is dt.date, (patient, date)


def check_store_keeps_column_roles(factory: StoreFactory) -> None:
    """The roles written with a frame come back from ``schema`` and with ``read``'s frame.

    The frame's embedding block has a name the naming rule does not know (``enc_vec_*``), so
    only a store that keeps the declared schema passes.
    """
    index = pd.MultiIndex.from_tuples(
        [("p1", pd.Timestamp("2024-01-01").date()), ("p1", pd.Timestamp("2024-01-02").date())],
        names=list(FEATURE_INDEX),
    )
    frame = pd.DataFrame(
        {"enc_vec_0": [0.5, -1.0], "enc_vec_1": [0.25, 2.0], "surprise": [3.0, np.nan]},
        index=index,
    )
    schema = FeatureSchema(
        columns=(
            FeatureColumn(name="enc_vec_0", role=ColumnRole.EMBEDDING, block="enc"),
            FeatureColumn(name="enc_vec_1", role=ColumnRole.EMBEDDING, block="enc"),
            FeatureColumn(name="surprise", role=ColumnRole.PERPLEXITY, block="enc"),
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = factory(Path(tmp))
        store.write("check", frame, schema=schema)
        assert store.schema("check") == schema, store.schema("check")
        back = store.read("check")
        assert FeatureSchema.of(back) == schema, FeatureSchema.of(back)
        pd.testing.assert_frame_equal(
            back.loc[frame.index, list(frame.columns)],
            frame,
            check_dtype=False,
            check_index_type=False,
        )


def feature_store_checks() -> list[Callable[[StoreFactory], None]]:
    """Every check a feature store must pass."""
    return [
        check_store_roundtrip,
        check_store_rewrite_and_as_of,
        check_store_finished_days,
        check_store_keeps_column_roles,
    ]

"""Conformance checks for :class:`~emkit.FeatureStore` implementations.

A store factory takes the folder to keep its data in: ``factory(tmp_dir) -> FeatureStore``.
Called twice with the same folder it must open the same store (a server store derives its
database, or its schema in a database, from the folder): the resume and concurrency checks open
the store again, the latter from other processes. Those processes are forked where the platform
can (Linux), else spawned, and then the factory must be picklable. The ``as_of`` checks take
instants from this machine's clock, so a server store must run on a server whose clock agrees.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def _patient_frame(patient: str, n_days: int, value: float) -> pd.DataFrame:
    """``n_days`` days of ``patient`` from 2024-01-01: ``f0`` = value + day, ``f1`` = value."""
    index = pd.MultiIndex.from_product(
        [[patient], pd.date_range("2024-01-01", periods=n_days).date], names=list(FEATURE_INDEX)
    )
    return pd.DataFrame(
        {"f0": [value + i for i in range(n_days)], "f1": [value] * n_days}, index=index
    )


def check_store_resume(factory: StoreFactory) -> None:
    """What a resumed run relies on: a store opened again holds what was written before.

    A patient written in part shows only its written days in ``finished_days``; writing the
    whole patient again completes it without duplicating a day or touching other patients; a
    refused write (a duplicated patient-day) changes nothing.
    """
    whole = _patient_frame("p1", 4, 10.0)
    partial = _patient_frame("p2", 4, 20.0).iloc[:2]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        factory(folder).write("check", whole)
        factory(folder).write("check", partial)
        store = factory(folder)  # a new run opens the store again
        assert store.finished_days("check") == set(whole.index) | set(partial.index)
        redone = _patient_frame("p2", 4, 30.0)
        assert store.write("check", redone) == 4
        bad = pd.concat([_patient_frame("p3", 2, 1.0), _patient_frame("p3", 1, 2.0)])
        try:
            store.write("check", bad)
        except Exception:  # stores refuse it with their own error type
            pass
        else:
            raise AssertionError("a frame with a duplicated patient-day was accepted")
        back = factory(folder).read("check")
        assert not back.index.duplicated().any()
        expected = pd.concat([whole, redone])
        pd.testing.assert_frame_equal(
            back[["f0", "f1"]], expected, check_dtype=False, check_index_type=False
        )
        assert factory(folder).finished_days("check") == set(expected.index)


@st.composite
def _write_histories(draw: st.DrawFn) -> list[tuple[tuple[str, ...], pd.DataFrame]]:
    """1 to 4 writes of small frames over 2 patients x 3 days.

    Each write picks one of two column layouts (a change of layout opens a new version).
    """
    days = pd.date_range("2024-05-01", periods=3).date
    keys = [(p, d) for p in ("a", "b") for d in days]
    layouts: tuple[tuple[str, ...], ...] = (("f0",), ("f0", "f1"))
    writes: list[tuple[tuple[str, ...], pd.DataFrame]] = []
    for _ in range(draw(st.integers(1, 4))):
        layout = layouts[draw(st.integers(0, 1))]
        chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=len(keys), unique=True))
        index = pd.MultiIndex.from_tuples(sorted(chosen), names=list(FEATURE_INDEX))
        values = st.floats(-1e6, 1e6, allow_nan=False)
        data = {c: draw(st.lists(values, min_size=len(index), max_size=len(index))) for c in layout}
        writes.append((layout, pd.DataFrame(data, index=index)))
    return writes


def check_store_as_of_history(factory: StoreFactory) -> None:
    """``read(as_of=t)`` gives the store exactly as it was at ``t``, after any history of writes.

    Each write may rewrite patient-days or change the columns (a new version). At an instant
    taken after each write, the read must show the version that was the latest then and, for
    each of its patient-days, the value of the last write before the instant; before the first
    write it is empty.
    """

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(history=_write_histories())
    def run(history: list[tuple[tuple[str, ...], pd.DataFrame]]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            store = factory(Path(tmp))
            instants = [dt.datetime.now(dt.UTC)]
            time.sleep(0.002)
            expected: list[pd.DataFrame] = []
            layout: tuple[str, ...] = ()
            state: dict[Any, pd.Series] = {}
            for columns, frame in history:
                if columns != layout:  # a new version starts empty
                    layout, state = columns, {}
                store.write("check", frame)
                instants.append(dt.datetime.now(dt.UTC))
                time.sleep(0.002)
                for key, row in frame.iterrows():
                    state[key] = row
                expected.append(pd.DataFrame(list(state.values()), index=list(state)))
            assert len(store.read("check", as_of=instants[0])) == 0
            for instant, frame in zip(instants[1:], expected, strict=True):
                back = store.read("check", as_of=instant)
                frame = frame.sort_index()
                frame.index = pd.MultiIndex.from_tuples(frame.index, names=list(FEATURE_INDEX))
                assert list(back.columns) == list(frame.columns), (instant, back.columns)
                pd.testing.assert_frame_equal(
                    back, frame, check_dtype=False, check_index_type=False, check_names=False
                )

    run()


def _concurrent_writer(
    factory: StoreFactory,
    folder: Path,
    patients: list[str],
    value: float,
    start: Any,
    errors: Any,
) -> None:
    """One writer process: waits for the others, then writes each patient in its own call."""
    try:
        store = factory(folder)
        start.wait(timeout=60)
        for patient in patients:
            store.write("check", _patient_frame(patient, 5, value))
    except BaseException:
        errors.put(traceback.format_exc())
        raise


def check_store_concurrent_writers(factory: StoreFactory) -> None:
    """Writer processes that run at once lose nothing and never mix two writes of a patient.

    Four processes start together: two write 6 patients each (all different), and two write
    the same 3 patients with different values. Afterwards every patient of the first two is
    there with its values, and each shared patient holds the whole frame of one of the two
    writers (never some days from each); ``finished_days`` lists every day.
    """
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx: Any = multiprocessing.get_context(method)
    shared = ["s0", "s1", "s2"]
    plans = [
        ([f"a{i}" for i in range(6)], 100.0),
        ([f"b{i}" for i in range(6)], 200.0),
        (shared, 300.0),
        (shared, 400.0),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # The store exists before the writers start, as when a cluster's workers open it.
        factory(folder).write("check", _patient_frame("seed", 1, 0.0))
        start = ctx.Barrier(len(plans))
        errors = ctx.Queue()
        workers = [
            ctx.Process(
                target=_concurrent_writer, args=(factory, folder, patients, value, start, errors)
            )
            for patients, value in plans
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        failures = []
        while not errors.empty():
            failures.append(errors.get())
        assert not failures, "a writer failed:\n" + "\n".join(failures)
        assert all(w.exitcode == 0 for w in workers), [w.exitcode for w in workers]
        back = factory(folder).read("check")
        expected = pd.concat(
            [_patient_frame("seed", 1, 0.0)]
            + [_patient_frame(p, 5, v) for patients, v in plans[:2] for p in patients]
        )
        assert not back.index.duplicated().any()
        pd.testing.assert_frame_equal(
            back.drop(index=shared, level=0)[["f0", "f1"]],
            expected.sort_index(),
            check_dtype=False,
            check_index_type=False,
        )
        for patient in shared:
            rows = back.xs(patient, level=0)
            assert len(rows) == 5, (patient, rows)
            writers = set(rows["f1"])
            assert writers in ({300.0}, {400.0}), f"{patient} mixes two writes: {writers}"
            frame = _patient_frame(patient, 5, writers.pop())
            np.testing.assert_array_equal(rows["f0"].to_numpy(), frame["f0"].to_numpy())
        assert factory(folder).finished_days("check") == set(back.index)


def feature_store_checks() -> list[Callable[[StoreFactory], None]]:
    """Every check a feature store must pass."""
    return [
        check_store_roundtrip,
        check_store_rewrite_and_as_of,
        check_store_finished_days,
        check_store_keeps_column_roles,
        check_store_resume,
        check_store_as_of_history,
        check_store_concurrent_writers,
    ]

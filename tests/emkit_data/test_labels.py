"""Relapse labels: definition, exclusions, no look-ahead, and the timeline figure."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import emkit
from emkit.dataset import ClinicalEvent, Patient, PatientMetadata
from emkit.labels import (
    HORIZON_AFTER_END,
    ONGOING_RELAPSE,
    build_labels,
    label_column,
    plot_label_timeline,
    reason_column,
)

START = dt.date(2024, 1, 1)


def _patient(onsets, n_days, pid="p001", counts=None):
    metadata = PatientMetadata(
        patient_id=pid,
        observation_start=START,
        observation_end=START + dt.timedelta(days=n_days - 1),
    )
    events = [
        ClinicalEvent(date=START + dt.timedelta(days=o), event_type="relapse") for o in onsets
    ]
    events.append(ClinicalEvent(date=START, event_type="consulta"))
    messages = {
        START + dt.timedelta(days=d): [emkit.DayMessage(time=dt.time(9), text="x")] * c
        for d, c in (counts or {}).items()
    }
    return Patient(
        path=__import__("pathlib").Path(pid), metadata=metadata, events=events, messages=messages
    )


def _expected(onsets, n_days, t, h, recovery):
    if any(o <= t <= o + recovery for o in onsets):
        return math.nan, ONGOING_RELAPSE
    if t + h > n_days - 1:
        return math.nan, HORIZON_AFTER_END
    return float(any(t < o <= t + h for o in onsets)), None


def test_small_example_by_hand():
    labels = build_labels([_patient([10], 20, counts={0: 2, 3: 1})], horizons=[3], recovery_days=2)
    assert list(labels.index.names) == list(emkit.FEATURE_INDEX)
    assert labels.index[0] == ("p001", START)
    column = labels[label_column(3)].tolist()
    assert column[6] == 0.0
    assert column[7:10] == [1.0, 1.0, 1.0]
    assert all(math.isnan(v) for v in column[10:13])  # onset day and 2 recovery days
    assert labels[reason_column(3)].iloc[10] == ONGOING_RELAPSE
    assert column[13:17] == [0.0] * 4
    assert all(math.isnan(v) for v in column[17:])
    assert labels[reason_column(3)].iloc[-1] == HORIZON_AFTER_END
    assert labels["n_messages"].tolist()[:4] == [2, 0, 0, 1]
    assert labels["n_messages"].dtype == np.int64


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_days=st.integers(1, 80),
    onsets=st.lists(st.integers(0, 79), max_size=5),
    horizons=st.lists(st.integers(1, 40), min_size=1, max_size=3, unique=True),
    recovery=st.integers(0, 20),
)
def test_labels_match_the_definition(n_days, onsets, horizons, recovery):
    onsets = [o for o in onsets if o < n_days]
    labels = build_labels([_patient(onsets, n_days)], horizons, recovery)
    assert len(labels) == n_days  # every day, with or without messages
    for h in horizons:
        values = labels[label_column(h)].to_numpy()
        reasons = labels[reason_column(h)].tolist()
        for t in range(n_days):
            want, reason = _expected(onsets, n_days, t, h, recovery)
            assert reasons[t] == reason
            if reason is None:
                assert values[t] == want
            else:  # excluded days are never labelled 0
                assert math.isnan(values[t])
        assert set(np.unique(values[~np.isnan(values)])) <= {0.0, 1.0}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_days=st.integers(10, 90),
    onsets=st.lists(st.integers(0, 89), max_size=4),
    extra=st.integers(0, 89),
    h=st.integers(1, 30),
)
def test_no_label_depends_on_anything_after_t_plus_h(n_days, onsets, extra, h):
    """Adding an onset at day e changes no label of a day t with t + h < e."""
    onsets = [o for o in onsets if o < n_days]
    extra = extra % n_days
    before = build_labels([_patient(onsets, n_days)], [h], recovery_days=5)[label_column(h)]
    after = build_labels([_patient([*onsets, extra], n_days)], [h], recovery_days=5)[
        label_column(h)
    ]
    for t in range(n_days):
        if t + h < extra:
            assert before.iloc[t] == after.iloc[t] or (
                math.isnan(before.iloc[t]) and math.isnan(after.iloc[t])
            )


def test_several_patients_sorted_and_bad_horizons():
    labels = build_labels([_patient([], 5, "p2"), _patient([3], 4, "p1")], [1])
    assert labels.index.get_level_values(0).tolist() == ["p1"] * 4 + ["p2"] * 5
    empty = build_labels([], [7])
    assert list(empty.columns) == ["n_messages", label_column(7), reason_column(7)]
    for bad in ([0], [7, 7], []):
        with pytest.raises(emkit.EmkitError, match="horizons"):
            build_labels([_patient([], 3)], bad)
    with pytest.raises(emkit.EmkitError, match="recovery_days"):
        build_labels([_patient([], 3)], [1], recovery_days=-1)


def test_timeline_figure(tmp_path):
    out = plot_label_timeline(
        _patient([40, 100], 150, counts={i: i % 4 for i in range(150)}), tmp_path / "timeline.png"
    )
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000

"""Conformance checks for :class:`~emkit.FeatureExtractor` implementations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings

from emkit.interfaces import FeatureExtractor
from emkit.models import FEATURE_INDEX, DayMessage, PatientDay
from emkit.testing.strategies import patient_days

Factory = Callable[[], FeatureExtractor]
#: Tolerances of the causality checks: float32 language models batch messages of several
#: days together, and a matrix product may round differently with a different batch.
_RTOL, _ATOL = 1e-4, 1e-6
_SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fitted(factory: Factory, days: list[PatientDay]) -> FeatureExtractor:
    extractor = factory()
    return extractor.fit(days) if extractor.requires_fit else extractor


def check_extractor_frame_shape(factory: Factory) -> None:
    """One numeric row per input day, indexed by ``(patient_id, date)`` in input order."""

    @_SETTINGS
    @given(days=patient_days())
    def run(days: list[PatientDay]) -> None:
        frame = _fitted(factory, days).transform(days)
        assert isinstance(frame, pd.DataFrame)
        assert tuple(frame.index.names) == FEATURE_INDEX, frame.index.names
        expected = [(d.patient_id, d.date) for d in days]
        assert list(frame.index) == expected
        assert len(frame.columns) > 0, "no feature columns"
        for column in frame.columns:
            assert pd.api.types.is_numeric_dtype(frame[column]), f"{column} is not numeric"

    run()


def check_extractor_deterministic(factory: Factory) -> None:
    """The same days give the same features."""

    @_SETTINGS
    @given(days=patient_days())
    def run(days: list[PatientDay]) -> None:
        first = _fitted(factory, days).transform(days)
        second = _fitted(factory, days).transform(days)
        pd.testing.assert_frame_equal(first, second)

    run()


def check_extractor_causal(factory: Factory) -> None:
    """Features of day *t* do not change when days after *t* change or are removed."""

    @_SETTINGS
    @given(days=patient_days(min_days=2))
    def run(days: list[PatientDay]) -> None:
        extractor = _fitted(factory, days)
        full = extractor.transform(days)
        cut = len(days) // 2
        prefix = extractor.transform(days[:cut])
        # float32 models may round differently when the batch holds other messages
        pd.testing.assert_frame_equal(
            full.iloc[:cut], prefix, check_exact=False, rtol=_RTOL, atol=_ATOL
        )

    run()


def check_extractor_causal_changes(factory: Factory) -> None:
    """Changing the messages of any day after *t* never changes a feature at *t*."""

    @_SETTINGS
    @given(days=patient_days(min_days=2), other=patient_days(min_days=12, max_days=12))
    def run(days: list[PatientDay], other: list[PatientDay]) -> None:
        extractor = _fitted(factory, days)
        cut = len(days) // 2
        changed = days[:cut] + [
            day.model_copy(update={"messages": other[i].messages})
            for i, day in enumerate(days[cut:])
        ]
        before = extractor.transform(days).iloc[:cut]
        after = extractor.transform(changed).iloc[:cut]
        pd.testing.assert_frame_equal(before, after, check_exact=False, rtol=_RTOL, atol=_ATOL)

    run()


def check_extractor_unknown_option(factory: Factory) -> None:
    """An unknown option is an :class:`~emkit.InvalidOptionsError` that names it."""
    from _sdk.errors import InvalidOptionsError

    cls = type(factory())
    try:
        cls(no_such_feature_option=True)
    except InvalidOptionsError as exc:
        assert "no_such_feature_option" in str(exc), str(exc)
    else:  # pragma: no cover - only reached by a broken implementation
        raise AssertionError(f"{cls.__name__} accepted an unknown option")


def check_extractor_empty_day(factory: Factory) -> None:
    """A day without messages gives a row of finite or NaN values, never an error."""
    days = [
        PatientDay(patient_id="p001", date=dt.date(2024, 1, 1)),
        PatientDay(
            patient_id="p001",
            date=dt.date(2024, 1, 2),
            messages=(DayMessage(time=dt.time(9, 30), text="hoy bien"),),
        ),
        PatientDay(patient_id="p001", date=dt.date(2024, 1, 3)),
    ]
    frame = _fitted(factory, days).transform(days)
    values = frame.to_numpy(dtype=float)
    assert not np.isinf(values).any(), "infinite feature on an empty day"


def check_extractor_schema(factory: Factory) -> None:
    """A declared schema names exactly the columns ``transform`` returns, in order.

    See :meth:`~emkit.FeatureExtractor.schema`; an empty schema declares nothing.
    """
    days = [
        PatientDay(
            patient_id="p001",
            date=dt.date(2024, 1, 1),
            messages=(DayMessage(time=dt.time(9, 30), text="hoy estoy bien"),),
        ),
        PatientDay(patient_id="p001", date=dt.date(2024, 1, 2)),
    ]
    extractor = _fitted(factory, days)
    frame = extractor.transform(days)
    declared = extractor.schema().names
    if declared:
        assert declared == [str(c) for c in frame.columns], (declared, list(frame.columns))


def feature_extractor_checks() -> list[Callable[[Factory], None]]:
    """Every check a feature extractor must pass."""
    from _sdk.testing import check_component_contract

    return [
        check_component_contract,
        check_extractor_frame_shape,
        check_extractor_deterministic,
        check_extractor_causal,
        check_extractor_causal_changes,
        check_extractor_empty_day,
        check_extractor_schema,
        check_extractor_unknown_option,
    ]

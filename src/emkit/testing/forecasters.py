"""Conformance checks for :class:`~emkit.Forecaster` implementations."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from emkit.interfaces import Forecaster
from emkit.models import FEATURE_INDEX

Factory = Callable[[], Forecaster]
HORIZONS = (7, 14)


def toy_problem(
    n_patients: int = 6, n_days: int = 120, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small feature frame and labels where ``signal`` rises before each positive label.

    Some labels are missing (excluded days), as real label frames have.
    """
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [[f"p{i:03d}" for i in range(n_patients)], pd.date_range("2024-01-01", periods=n_days)],
        names=list(FEATURE_INDEX),
    )
    signal = rng.normal(size=len(index))
    labels = pd.DataFrame(index=index)
    for h in HORIZONS:
        p = 1 / (1 + np.exp(-(2 * signal - 1.5)))
        labels[f"relapse_within_{h}d"] = (rng.random(len(index)) < p).astype(float)
        labels.iloc[rng.choice(len(index), size=len(index) // 20, replace=False), -1] = np.nan
    features = pd.DataFrame({"signal": signal, "noise": rng.normal(size=len(index))}, index=index)
    return features, labels


def check_forecaster_probabilities(factory: Factory) -> None:
    """``predict_proba`` gives one column per horizon, values in [0, 1], rows as the input."""
    features, labels = toy_problem()
    model = factory().fit(features, labels, HORIZONS)
    proba = model.predict_proba(features)
    assert list(proba.columns) == [f"p_relapse_within_{h}d" for h in HORIZONS], proba.columns
    assert proba.index.equals(features.index)
    values = proba.to_numpy(dtype=float)
    assert np.isfinite(values).all()
    assert (values >= 0).all()
    assert (values <= 1).all()


def check_forecaster_fit_returns_self(factory: Factory) -> None:
    """``fit`` returns the forecaster itself (scikit-learn convention)."""
    features, labels = toy_problem(n_patients=3, n_days=60)
    model = factory()
    assert model.fit(features, labels, HORIZONS) is model


def check_forecaster_save_load(factory: Factory) -> None:
    """When ``supports_save``: a saved and reloaded model predicts the same probabilities."""
    model = factory()
    if not model.supports_save:
        return
    features, labels = toy_problem(n_patients=3, n_days=60)
    model.fit(features, labels, HORIZONS)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model"
        model.save(path)
        loaded = type(model).load(path)
    pd.testing.assert_frame_equal(model.predict_proba(features), loaded.predict_proba(features))


def check_forecaster_importance(factory: Factory) -> None:
    """``feature_importance`` is a numeric Series over (a subset of) the input features."""
    features, labels = toy_problem(n_patients=3, n_days=60)
    importance = factory().fit(features, labels, HORIZONS).feature_importance()
    assert isinstance(importance, pd.Series)
    assert set(map(str, importance.index)) <= set(features.columns)


def forecaster_checks() -> list[Callable[[Factory], None]]:
    """Every check a forecaster must pass."""
    from _sdk.testing import check_component_contract

    return [
        check_component_contract,
        check_forecaster_fit_returns_self,
        check_forecaster_probabilities,
        check_forecaster_importance,
        check_forecaster_save_load,
    ]

"""Conformance checks for :class:`~emkit.Forecaster` implementations."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from emkit.columns import label_column, proba_column
from emkit.interfaces import Forecaster
from emkit.models import FEATURE_INDEX

Factory = Callable[[], Forecaster]
HORIZONS = (7, 14)


def toy_problem(
    n_patients: int = 6, n_days: int = 120, seed: int = 0, *, text: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small feature frame and labels where ``signal`` rises before each positive label.

    Some labels are missing (excluded days), as real label frames have. With ``text``, the
    frame also has the day's text (column ``text``, role ``text``): words that follow
    ``signal``, for forecasters that read text (:attr:`~emkit.Forecaster.reads_text`).
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
        labels[label_column(h)] = (rng.random(len(index)) < p).astype(float)
        labels.iloc[rng.choice(len(index), size=len(index) // 20, replace=False), -1] = np.nan
    features = pd.DataFrame({"signal": signal, "noise": rng.normal(size=len(index))}, index=index)
    if text:
        words = np.where(signal > 0.5, "cansada hormigueo", np.where(signal < -0.5, "bien", "hoy"))
        features["text"] = pd.Series(words, index=index, dtype=object) + " " + "estoy"
    return features, labels


def _toy(factory: Factory, **kwargs: int) -> tuple[Forecaster, pd.DataFrame, pd.DataFrame]:
    """A new forecaster from ``factory`` and the toy problem it can read."""
    model = factory()
    features, labels = toy_problem(**kwargs, text=type(model).reads_text)
    return model, features, labels


def check_forecaster_probabilities(factory: Factory) -> None:
    """``predict_proba`` gives one column per horizon, values in [0, 1], rows as the input."""
    model, features, labels = _toy(factory)
    model.fit(features, labels, HORIZONS)
    proba = model.predict_proba(features)
    assert list(proba.columns) == [proba_column(h) for h in HORIZONS], proba.columns
    assert proba.index.equals(features.index)
    values = proba.to_numpy(dtype=float)
    assert np.isfinite(values).all()
    assert (values >= 0).all()
    assert (values <= 1).all()


def check_forecaster_fit_returns_self(factory: Factory) -> None:
    """``fit`` returns the forecaster itself (scikit-learn convention)."""
    model, features, labels = _toy(factory, n_patients=3, n_days=60)
    assert model.fit(features, labels, HORIZONS) is model


def check_forecaster_save_load(factory: Factory) -> None:
    """When ``supports_save``: a saved and reloaded model predicts the same probabilities."""
    model, features, labels = _toy(factory, n_patients=3, n_days=60)
    if not model.supports_save:
        return
    model.fit(features, labels, HORIZONS)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model"
        model.save(path)
        loaded = type(model).load(path)
    pd.testing.assert_frame_equal(model.predict_proba(features), loaded.predict_proba(features))


def check_forecaster_importance(factory: Factory) -> None:
    """``feature_importance`` is a numeric Series over (a subset of) the input features."""
    model, features, labels = _toy(factory, n_patients=3, n_days=60)
    importance = model.fit(features, labels, HORIZONS).feature_importance()
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


def relapse_cohort_frames(
    n_patients: int = 12,
    n_days: int = 240,
    seed: int = 0,
    *,
    horizons: tuple[int, ...] = (7, 14, 30),
    signal: float = 1.0,
    relapse_days: int = 14,
    embedding_dims: int = 8,
) -> dict[str, pd.DataFrame]:
    """A synthetic cohort already turned into frames, with a prodrome before each onset.

    Each patient has one to three relapse onsets. A latent signal ramps up over the 14 days
    before an onset (scaled by ``signal``), stays high during the ``relapse_days`` relapse and
    is otherwise noise; features carry it with noise: ``lex_*``, ``sent_*``, ``llm_perplexity``
    (+ its 7-day trend) and ``llm_emb_000…``. Labels follow the data contract: ``y_h(t) = 1``
    iff an onset falls in ``(t, t+h]``; days inside a relapse and days whose horizon runs past
    the end of observation are NaN (excluded).

    Returns:
        ``features``, ``labels`` and ``latent`` (column ``latent``) indexed by
        ``(patient_id, date)``, and ``onsets`` (columns ``patient_id``, ``onset``).
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=n_days)
    feature_parts, label_parts, latent_parts, onset_rows = [], [], [], []
    for i in range(n_patients):
        patient = f"p{i:03d}"
        n_onsets = int(rng.integers(1, 4))
        starts = np.sort(rng.choice(np.arange(40, n_days - 10), size=n_onsets, replace=False))
        onsets = [int(s) for k, s in enumerate(starts) if k == 0 or s - starts[k - 1] > 45]
        latent = rng.normal(scale=0.3, size=n_days)
        in_relapse = np.zeros(n_days, dtype=bool)
        for onset in onsets:
            ramp = np.arange(max(0, onset - 14), onset)
            latent[ramp] += signal * (1 - (onset - ramp) / 15) * 2
            in_relapse[onset : onset + relapse_days] = True
            latent[onset : onset + relapse_days] += signal * 2
            onset_rows.append((patient, dates[onset]))
        index = pd.MultiIndex.from_product([[patient], dates], names=list(FEATURE_INDEX))
        base = rng.normal(size=4)
        features = pd.DataFrame(
            {
                "lex_type_token_ratio": base[0] - 0.3 * latent + rng.normal(size=n_days),
                "lex_words": 20 + 3 * base[1] - 2 * latent + rng.normal(scale=3, size=n_days),
                "sent_polarity": base[2] - 0.4 * latent + rng.normal(size=n_days),
                "llm_perplexity": 30 + 5 * base[3] + 4 * latent + rng.normal(scale=4, size=n_days),
            },
            index=index,
        )
        features["llm_perplexity_trend_7d"] = (
            features["llm_perplexity"].diff().rolling(7, min_periods=1).mean().fillna(0)
        )
        direction = rng.normal(size=embedding_dims)
        embeddings = rng.normal(size=(n_days, embedding_dims)) + np.outer(0.5 * latent, direction)
        for d in range(embedding_dims):
            features[f"llm_emb_{d:03d}"] = embeddings[:, d]
        labels = pd.DataFrame(index=index)
        for h in horizons:
            y = np.zeros(n_days)
            for onset in onsets:
                y[max(0, onset - h) : onset] = 1
            y[in_relapse] = np.nan
            y[n_days - h :] = np.nan
            labels[label_column(h)] = y
        feature_parts.append(features)
        label_parts.append(labels)
        latent_parts.append(pd.DataFrame({"latent": latent}, index=index))
    return {
        "features": pd.concat(feature_parts),
        "labels": pd.concat(label_parts),
        "latent": pd.concat(latent_parts),
        "onsets": pd.DataFrame(onset_rows, columns=["patient_id", "onset"]),
    }

"""Model folders (save_model / load_model) and each patient's latest risk."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import emkit
from emkit import UnknownPluginError, latest_risk, load_model, save_model
from emkit.errors import EmkitError
from emkit.forecasters.model_folder import MANIFEST
from emkit.testing.forecasters import relapse_cohort_frames

HORIZONS = (7, 14)


@pytest.fixture(scope="module")
def cohort():
    return relapse_cohort_frames(n_patients=5, n_days=120, seed=3, horizons=HORIZONS)


@pytest.mark.parametrize("name", ["prevalence", "logistic", "gbm"])
def test_saved_folder_reloads_the_same_forecasts(tmp_path, cohort, name):
    features, labels = cohort["features"], cohort["labels"]
    model = emkit.get_forecaster(name).fit(features, labels, HORIZONS)
    save_model(model, tmp_path / name, features, HORIZONS)
    trained = load_model(tmp_path / name)
    assert trained.manifest["forecaster"] == name
    assert trained.horizons == list(HORIZONS)
    assert trained.feature_columns == list(features.columns)
    pd.testing.assert_frame_equal(
        trained.forecaster.predict_proba(features), model.predict_proba(features)
    )


@pytest.mark.parametrize("windows", [[1], [3, 7]])
def test_latest_risk_is_the_last_day_of_a_full_prediction(tmp_path, cohort, windows):
    features, labels = cohort["features"], cohort["labels"]
    model = emkit.get_forecaster("logistic", rolling_windows=windows)
    save_model(model.fit(features, labels, HORIZONS), tmp_path / "m", features, HORIZONS)
    shuffled = features.sample(frac=1.0, random_state=0)  # row order must not matter
    latest = latest_risk(load_model(tmp_path / "m"), shuffled)
    full = model.predict_proba(features).groupby(level="patient_id").tail(1)
    assert len(latest) == features.index.get_level_values("patient_id").nunique()
    pd.testing.assert_frame_equal(latest.sort_index(), full.sort_index())


def test_latest_risk_names_missing_columns(tmp_path, cohort):
    features, labels = cohort["features"], cohort["labels"]
    model = emkit.get_forecaster("logistic").fit(features, labels, HORIZONS)
    save_model(model, tmp_path / "m", features, HORIZONS)
    column = str(features.columns[0])
    with pytest.raises(EmkitError, match=column):
        latest_risk(load_model(tmp_path / "m"), features.drop(columns=[column]))


def test_load_model_errors_name_the_folder_and_the_problem(tmp_path, cohort):
    with pytest.raises(EmkitError, match=r"forecaster\.json not found"):
        load_model(tmp_path)
    (tmp_path / MANIFEST).write_text("{not json", encoding="utf-8")
    with pytest.raises(EmkitError, match="not a forecaster manifest"):
        load_model(tmp_path)
    (tmp_path / MANIFEST).write_text(json.dumps({"forecaster": "nope"}), encoding="utf-8")
    with pytest.raises(UnknownPluginError, match="nope"):
        load_model(tmp_path)


def test_a_forecaster_without_save_is_refused(tmp_path, cohort):
    class Unsaved(type(emkit.get_forecaster("prevalence"))):
        supports_save = False

    features, labels = cohort["features"], cohort["labels"]
    model = Unsaved().fit(features, labels, HORIZONS)
    with pytest.raises(EmkitError, match="cannot be saved"):
        save_model(model, tmp_path / "m", features, HORIZONS)
    assert not (tmp_path / "m").exists()

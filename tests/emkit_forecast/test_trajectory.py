"""The ``trajectory`` forecaster: day scores of the text, and the path of those scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import emkit
from emkit.evaluation import auroc
from emkit.models import FEATURE_INDEX

H = (7, 14)


def _index(n_patients: int, n_days: int) -> pd.MultiIndex:
    return pd.MultiIndex.from_product(
        [[f"p{i}" for i in range(n_patients)], pd.date_range("2024-01-01", periods=n_days)],
        names=list(FEATURE_INDEX),
    )


def _rising_problem(n_patients=8, n_days=150, seed=0):
    """Episodes whose symptom word grows more frequent while rising and fades after the peak.

    Each patient has humps of 12 days; the symptom word's daily probability climbs then falls
    symmetrically. Only days on the rising side of a hump are labelled positive, so a reader of
    one day (or of a bag of three days) cannot tell rise from fall; the path can.
    """
    rng = np.random.default_rng(seed)
    index = _index(n_patients, n_days)
    level = np.zeros(len(index))
    rising = np.zeros(len(index), dtype=bool)
    for p in range(n_patients):
        start = p * n_days
        for onset in range(int(rng.integers(5, 20)), n_days - 12, 30):
            for k in range(12):
                level[start + onset + k] = 1 - abs(k - 5.5) / 6
                rising[start + onset + k] = k < 6
    words = [
        " ".join(
            "agujas" if rng.random() < 0.15 + 0.7 * lv else str(rng.choice(["vale", "hoy", "ya"]))
            for _ in range(4)
        )
        for lv in level
    ]
    features = pd.DataFrame({"text": pd.Series(words, index=index, dtype=object)}, index=index)
    labels = pd.DataFrame(index=index)
    for h in H:
        labels[emkit.label_column(h)] = rising * 1.0
    return features, labels


def test_trajectory_tells_a_rise_from_a_fall_where_a_bag_of_days_cannot():
    features, labels = _rising_problem()
    test_features, test_labels = _rising_problem(seed=1)
    y = test_labels[emkit.label_column(14)].to_numpy()
    scores = {}
    for name in ("tfidf", "trajectory"):
        model = emkit.get_forecaster(name, min_df=1).fit(features, labels, H)
        proba = model.predict_proba(test_features)[emkit.proba_column(14)].to_numpy()
        scores[name] = auroc(y, proba)
    assert scores["trajectory"] > scores["tfidf"] + 0.05, scores
    model = emkit.get_forecaster("trajectory", min_df=1).fit(features, labels, H)
    weights = model.path_weights(14)
    assert {"score", "lag1", "mean7d", "rise3_7", "score_vs_usual"} <= set(weights.index)
    assert "agujas" in model.top_terms(14, k=3).index


def test_trajectory_forecast_for_t_ignores_later_days():
    features, labels = _rising_problem(n_patients=4, n_days=90)
    model = emkit.get_forecaster("trajectory", min_df=1).fit(features, labels, H)
    changed = features.copy()
    dates = changed.index.get_level_values("date")
    later = dates > dates[40]
    changed.loc[later, "text"] = "agujas agujas agujas"
    pd.testing.assert_frame_equal(
        model.predict_proba(features)[~later], model.predict_proba(changed)[~later]
    )


def test_trajectory_lookback_is_the_history_it_reads():
    features, labels = _rising_problem(n_patients=4, n_days=120)
    model = emkit.get_forecaster("trajectory", min_df=1, baseline_days=20, days=2)
    model.fit(features, labels, H)
    assert model.lookback == 20 + 1
    last = features.xs("p0", level="patient_id", drop_level=False).tail(1).index
    patient = features.loc[["p0"]]
    full = model.predict_proba(patient).loc[last]
    window = model.predict_proba(patient.tail(model.lookback + 1)).loc[last]
    pd.testing.assert_frame_equal(full, window)
    shorter = model.predict_proba(patient.tail(10)).loc[last]
    assert not np.allclose(full.to_numpy(), shorter.to_numpy())


def test_trajectory_saves_and_loads_without_pickle(tmp_path):
    features, labels = _rising_problem(n_patients=4, n_days=90)
    model = emkit.get_forecaster("trajectory", min_df=1).fit(features, labels, H)
    model.save(tmp_path / "model")
    assert not (tmp_path / "model").read_bytes().startswith(b"\x80")
    loaded = emkit.TrajectoryForecaster.load(tmp_path / "model")
    pd.testing.assert_frame_equal(model.predict_proba(features), loaded.predict_proba(features))
    pd.testing.assert_series_equal(model.path_weights(7), loaded.path_weights(7))
    with pytest.raises(emkit.EmkitError, match="holds a 'trajectory' model, not 'tfidf'"):
        emkit.TfidfForecaster.load(tmp_path / "model")


def test_trajectory_without_a_text_column_is_an_error_naming_it():
    features, labels = _rising_problem(n_patients=2, n_days=40)
    features["lex_tokens"] = 1.0
    with pytest.raises(emkit.EmkitError, match=r"trajectory reads the day's text.*lex_tokens"):
        emkit.get_forecaster("trajectory").fit(features.drop(columns="text"), labels, H)


def test_trajectory_for_one_patient_scores_blocks_of_days_out_of_fold():
    features, labels = _rising_problem(n_patients=1, n_days=200)
    model = emkit.get_forecaster("trajectory", min_df=1).fit(features, labels, H)
    proba = model.predict_proba(features)[emkit.proba_column(14)]
    assert auroc(labels[emkit.label_column(14)].to_numpy(), proba.to_numpy()) > 0.6


def test_trajectory_options_are_checked():
    with pytest.raises(emkit.InvalidOptionsError, match="inner_folds"):
        emkit.get_forecaster("trajectory", inner_folds=1)
    with pytest.raises(emkit.InvalidOptionsError, match="windows"):
        emkit.get_forecaster("trajectory", windows=[])
    assert emkit.get_forecaster("trajectory", windows=[7, 3, 7]).options.windows == [3, 7]


def _series(values_per_patient: list[list[float]]) -> pd.Series:
    parts = []
    for i, values in enumerate(values_per_patient):
        index = pd.MultiIndex.from_product(
            [[f"p{i}"], pd.date_range("2024-01-01", periods=len(values))],
            names=list(FEATURE_INDEX),
        )
        parts.append(pd.Series(values, index=index, dtype=float))
    return pd.concat(parts)


def test_score_trajectory_columns_by_hand():
    scores = _series([[1.0, 2.0, 3.0, 10.0, 0.0, 5.0, 2.0, 2.0]])
    path = emkit.score_trajectory(scores, windows=[3], lags=2, baseline_days=5)
    row = path.iloc[3]  # day 4: scores 1, 2, 3, 10
    assert row["score"] == 10.0
    assert (row["lag1"], row["lag2"]) == (3.0, 2.0)
    assert (row["mean3d"], row["max3d"]) == (pytest.approx(5.0), 10.0)
    assert path["lag2"].iloc[1] == pytest.approx(1.5)  # before the start: the mean so far
    # The usual score needs 5 (min(7, baseline_days)) earlier days: day 6 reads days 1-5.
    assert (path["score_vs_usual"].iloc[:5] == 0).all()
    assert path["score_vs_usual"].iloc[5] == pytest.approx(5.0 - 2.0)  # median of 1,2,3,10,0
    assert path["score_vs_usual"].iloc[6] == pytest.approx(2.0 - 3.0)  # median of 2,3,10,0,5
    assert "rise3_7" not in path.columns


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=40),
        min_size=1,
        max_size=3,
    ),
    cut=st.integers(0, 39),
    change=st.floats(-5, 5, allow_nan=False),
)
def test_score_trajectory_is_causal_and_complete(values, cut, change):
    scores = _series(values)
    path = emkit.score_trajectory(scores, windows=[3, 7], lags=3, baseline_days=10)
    assert path.index.equals(scores.index)
    assert not path.isna().any().any()
    changed = _series([[*v[: cut + 1], *[x + change for x in v[cut + 1 :]]] for v in values])
    again = emkit.score_trajectory(changed, windows=[3, 7], lags=3, baseline_days=10)
    dates = scores.index.get_level_values("date")
    earlier = dates <= dates.min() + pd.Timedelta(days=cut)
    pd.testing.assert_frame_equal(path[earlier], again[earlier])


def test_trajectory_in_an_evaluation_next_to_tfidf():
    from emkit.evaluation import evaluate, rolling_origin_splits

    features, labels = _rising_problem(n_patients=6, n_days=160)
    splits = rolling_origin_splits(features.index, purge_days=14, n_folds=2)
    factories = {
        "tfidf": lambda: emkit.get_forecaster("tfidf", min_df=1),
        "trajectory": lambda: emkit.get_forecaster("trajectory", min_df=1),
    }
    result = evaluate(features, labels, factories, splits, [14], n_boot=0)
    scores = result.scores[14]
    assert scores["trajectory"]["auroc"].estimate > scores["tfidf"]["auroc"].estimate


def test_roles_add_feature_columns_to_the_path_regression(tmp_path):
    features, labels = _rising_problem(n_patients=4, n_days=90)
    rng = np.random.default_rng(3)
    rising = labels[emkit.label_column(14)].to_numpy()
    features["lex_signal"] = rising + rng.normal(0, 0.3, len(features))  # role lexical (prefix)
    features.loc[features.index[::7], "lex_signal"] = np.nan  # imputed, not an error
    plain = emkit.get_forecaster("trajectory", min_df=1).fit(features, labels, H)
    assert "lex_signal" not in plain.path_weights(14).index
    model = emkit.get_forecaster("trajectory", min_df=1, roles=["lexical"])
    model.fit(features, labels, H)
    assert model.feature_columns_ == ["lex_signal"]
    assert list(model.path_weights(14).index[-1:]) == ["lex_signal"]
    assert set(model.feature_importance().index) == {"text", "lex_signal"}
    y = labels[emkit.label_column(14)].to_numpy()
    score = {
        name: auroc(y, m.predict_proba(features)[emkit.proba_column(14)].to_numpy())
        for name, m in (("plain", plain), ("roles", model))
    }
    assert score["roles"] > score["plain"], score
    model.save(tmp_path / "model")
    loaded = emkit.TrajectoryForecaster.load(tmp_path / "model")
    pd.testing.assert_frame_equal(model.predict_proba(features), loaded.predict_proba(features))
    with pytest.raises(KeyError, match="lex_signal"):
        model.predict_proba(features.drop(columns="lex_signal"))
    with pytest.raises(ValueError, match=r"no numeric feature columns with roles \['perplexity'\]"):
        emkit.get_forecaster("trajectory", roles=["perplexity"]).fit(features, labels, H)


def test_importance_of_the_text_forecasters_names_terms_and_path_columns():
    from emkit.evaluation import importance_analyses

    features, labels = _rising_problem(n_patients=6, n_days=120)
    rng = np.random.default_rng(5)
    features["lex_signal"] = labels[emkit.label_column(14)] + rng.normal(0, 0.5, len(features))
    dates = features.index.get_level_values("date")
    train = np.asarray(dates < pd.Timestamp("2024-03-15"))
    test = np.asarray(dates >= pd.Timestamp("2024-04-01"))
    factories = {
        "tfidf": lambda: emkit.get_forecaster("tfidf", min_df=1),
        "trajectory": lambda: emkit.get_forecaster("trajectory", min_df=1),
        "trajectory+lex": lambda: emkit.get_forecaster("trajectory", min_df=1, roles=["lexical"]),
    }
    out = importance_analyses(features, labels, factories, train, test, 14, permutation=())
    # One bar per text column says nothing: the n-grams replace it.
    assert set(out["tfidf"]) == {"terms"}
    assert all("agujas" in term for term in list(out["tfidf"]["terms"])[:3])
    assert set(out["trajectory"]) == {"terms", "path"}
    path = out["trajectory"]["path"]
    assert len(path) == 10
    assert set(path) <= set(emkit.score_trajectory(pd.Series(0.0, index=features.index)).columns)
    magnitudes = [abs(v) for v in path.values()]
    assert magnitudes == sorted(magnitudes, reverse=True)
    # With a feature column, the model's own importance names it, so it stays.
    assert set(out["trajectory+lex"]) == {"model", "terms", "path"}
    assert "lex_signal" in out["trajectory+lex"]["model"]

"""``emkit train / predict / evaluate / report`` on a small synthetic cohort."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

import emkit
from emkit.cli import app
from emkit.synth import synthesize_cohort

runner = CliRunner()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    cohort = synthesize_cohort(root / "cohort", patients=8, days=180, seed=1)
    result = runner.invoke(
        app, ["features", str(cohort), "--extractor", "lexical", "--store", str(root / "f.db")]
    )
    assert result.exit_code == 0, result.output
    return root


def test_train_then_predict_latest_risk(workspace):
    model = workspace / "model"
    args = ["train", str(workspace / "cohort"), "--features", str(workspace / "f.db")]
    result = runner.invoke(app, [*args, "--forecaster", "logistic", "--out", str(model)])
    assert result.exit_code == 0, result.output
    assert (model / "forecaster.json").exists()
    result = runner.invoke(
        app, ["predict", str(model), "--features", str(workspace / "f.db"), "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 8
    assert {r["date"] for r in rows} == {"2024-06-28"}
    assert all(0 <= r["p_relapse_within_14d"] <= 1 for r in rows)
    table = runner.invoke(app, ["predict", str(model), "--features", str(workspace / "f.db")])
    assert table.exit_code == 0
    assert "p001" in table.output


def test_predict_without_a_model_is_a_clear_error(workspace):
    result = runner.invoke(
        app, ["predict", str(workspace / "nothing"), "--features", str(workspace / "f.db")]
    )
    assert isinstance(result.exception, emkit.EmkitError)
    assert "forecaster.json not found" in str(result.exception)


def test_predict_names_the_feature_file_and_the_missing_columns(workspace):
    model = workspace / "model-short"
    args = ["train", str(workspace / "cohort"), "--features", str(workspace / "f.db")]
    assert runner.invoke(app, [*args, "--out", str(model)]).exit_code == 0
    from emkit.evaluation.data import load_features

    short = workspace / "short.parquet"
    load_features(workspace / "f.db").drop(columns=["lex_tokens"]).to_parquet(short)
    result = runner.invoke(app, ["predict", str(model), "--features", str(short)])
    assert isinstance(result.exception, emkit.EmkitError)
    assert str(short) in str(result.exception)
    assert "lex_tokens" in str(result.exception)


def test_evaluate_json_then_report(workspace):
    out = workspace / "evaluation"
    result = runner.invoke(
        app,
        [
            "evaluate",
            str(workspace / "cohort"),
            "--features",
            str(workspace / "f.db"),
            "-f",
            "prevalence",
            "-f",
            "logistic",
            "--horizon",
            "14",
            "--folds",
            "2",
            "--boot",
            "30",
            "--pca-components",
            "0.9",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.output[result.output.index("{") :])
    assert record["pca_components"] == 0.9
    scores = record["scores"]["14"]
    assert set(scores) == {"prevalence", "logistic", "oracle"}
    assert scores["logistic"]["auroc"]["low"] <= scores["logistic"]["auroc"]["estimate"]
    assert record["ablation"]["rows"][0]["experiment"] == "1 lexical + sentiment"
    assert "logistic" in record["importance"]["models"]
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 3
    assert not re.search(r"src=\"(?!data:)", html)  # self-contained: no external files
    for section in ("Cohort", "Ablation", "ROC", "Risk timelines", "Feature importance"):
        assert section in html


@pytest.mark.parametrize("value", ["0", "1.5", "-2"])
def test_evaluate_refuses_a_pca_setting_that_is_neither_a_count_nor_a_share(workspace, value):
    args = ["evaluate", str(workspace / "cohort"), "--features", str(workspace / "f.db")]
    result = runner.invoke(app, [*args, "--pca-components", value])
    assert result.exit_code == 2
    assert "--pca-components" in result.output
    assert "neither a whole number" in result.output


def test_train_reads_the_labels_emkit_prepare_wrote(workspace):
    labels = workspace / "labels.parquet"
    cohort = str(workspace / "cohort")
    prepare = runner.invoke(
        app, ["prepare", cohort, "--out", str(labels), "--horizons", "7", "--recovery-days", "5"]
    )
    assert prepare.exit_code == 0, prepare.output
    args = ["train", cohort, "--features", str(workspace / "f.db"), "-f", "prevalence"]
    result = runner.invoke(
        app, [*args, "--horizon", "7", "--labels", str(labels), "--out", str(workspace / "m7")]
    )
    assert result.exit_code == 0, result.output
    from_file = emkit.load_model(workspace / "m7").forecaster
    result = runner.invoke(app, [*args, "--horizon", "7", "--out", str(workspace / "m7-events")])
    from_events = emkit.load_model(workspace / "m7-events").forecaster
    # a 5-day recovery window labels days the default 30-day one excludes
    assert from_file.cohort_rate_[7] != from_events.cohort_rate_[7]
    wrong = runner.invoke(
        app, [*args, "--horizon", "14", "--labels", str(labels), "--out", str(workspace / "x")]
    )
    assert isinstance(wrong.exception, emkit.EmkitError)
    assert "labels.parquet" in str(wrong.exception)
    assert "relapse_within_14d" in str(wrong.exception)


def test_store_backend_is_chosen_by_name(workspace):
    args = ["train", str(workspace / "cohort"), "--features", str(workspace / "f.db")]
    result = runner.invoke(app, [*args, "--out", str(workspace / "mb"), "--store-backend", "pg"])
    assert isinstance(result.exception, emkit.UnknownPluginError)
    assert "sqlite" in str(result.exception)
    backend = ["--store-backend", "sqlite", "--store-option", "timeout_s=5"]
    result = runner.invoke(app, [*args, "--out", str(workspace / "mb"), *backend])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, [*args, "--out", str(workspace / "mb"), "--store-option", "x"])
    assert isinstance(result.exception, emkit.EmkitError)
    assert "--store-option 'x'" in str(result.exception)


def test_load_features_sends_a_connection_string_to_the_store_hint():
    from emkit.evaluation import load_features

    with pytest.raises(emkit.EmkitError, match=r"--store-backend \(postgres") as caught:
        load_features("postgresql://ana:secret@db.example/clinic")
    assert "secret" not in str(caught.value)


def test_text_forecasters_read_a_parquet_file_that_holds_the_text(workspace):
    """A feature file may hold the day's text: it is kept, and no --cohort is needed."""
    import pandas as pd

    from emkit.evaluation import normalise_index
    from emkit.evaluation.data import load_features

    lexical, text = emkit.get_feature_extractor("lexical"), emkit.TextExtractor()
    frames = [
        pd.concat([lexical.transform(p.days()), text.transform(p.days())], axis=1)
        for p in emkit.read_cohort(workspace / "cohort")
    ]
    path = workspace / "with-text.parquet"
    normalise_index(pd.concat(frames)).to_parquet(path)
    loaded = load_features(path)
    assert loaded["text"].str.len().gt(0).any()
    assert emkit.FeatureSchema.of(loaded).role("text") == emkit.ColumnRole.TEXT
    model = workspace / "tfidf-model"
    args = ["train", str(workspace / "cohort"), "--features", str(path), "-f", "tfidf"]
    assert runner.invoke(app, [*args, "--out", str(model)]).exit_code == 0
    result = runner.invoke(app, ["predict", str(model), "--features", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)) == 8


def test_text_forecasters_take_the_text_from_the_cohort_next_to_a_store(workspace):
    """The store keeps no text: evaluate and train read it from COHORT, predict from --cohort."""
    cohort, store = str(workspace / "cohort"), str(workspace / "f.db")
    out = workspace / "text-evaluation"
    result = runner.invoke(
        app,
        ["evaluate", cohort, "--features", store, "-f", "tfidf", "-f", "trajectory",
         "--horizon", "14", "--ablation", "none", "--boot", "10", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    scores = json.loads((out / "evaluation.json").read_text())
    assert "trajectory" in json.dumps(scores)
    model = workspace / "trajectory-model"
    args = ["train", cohort, "--features", store, "-f", "trajectory", "--horizon", "14"]
    assert runner.invoke(app, [*args, "--out", str(model)]).exit_code == 0
    result = runner.invoke(app, ["predict", str(model), "--features", store])
    assert isinstance(result.exception, emkit.EmkitError)
    assert "pass --cohort DIR" in str(result.exception)
    assert "'trajectory' reads the day's text" in str(result.exception)
    result = runner.invoke(
        app, ["predict", str(model), "--features", store, "--cohort", cohort, "--json"]
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)) == 8


def test_cohort_text_aligns_the_messages_to_the_feature_rows(workspace):
    from emkit.evaluation import cohort_text
    from emkit.evaluation.data import load_features

    features = load_features(workspace / "f.db")
    extra_day = (features.index[0][0], features.index[0][1] - pd.Timedelta(days=400))
    padded = pd.concat([features, features.iloc[:1].set_axis(pd.MultiIndex.from_tuples(
        [extra_day], names=features.index.names))])  # fmt: skip
    with_text = cohort_text(padded, workspace / "cohort")
    assert with_text.index.equals(padded.index)
    assert emkit.FeatureSchema.of(with_text).role("text") == emkit.ColumnRole.TEXT
    assert with_text.loc[extra_day, "text"] == ""  # a day without messages
    first = emkit.read_cohort(workspace / "cohort")[0]
    day = next(d for d in first.days() if d.messages)
    row = with_text.loc[(first.patient_id, pd.Timestamp(day.date)), "text"]
    assert day.messages[0].text in row
    assert cohort_text(with_text, workspace / "nowhere") is with_text  # holds text already
    stranger = padded.rename(index=lambda p: "zz" if isinstance(p, str) else p, level=0)
    with pytest.raises(emkit.EmkitError, match="no patient of the cohort has features"):
        cohort_text(stranger, workspace / "cohort")

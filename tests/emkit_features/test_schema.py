"""Feature schemas: the naming rule, declared roles, and the code that works from roles."""

from __future__ import annotations

import json
import re
import sqlite3
import warnings
from contextlib import closing

import numpy as np
import pandas as pd
import pytest

import emkit
from emkit import ColumnRole, FeatureColumn, FeatureSchema
from emkit.evaluation import experiment_columns, fold_features

INDEX = pd.MultiIndex.from_product(
    [["p1", "p2"], pd.date_range("2024-01-01", periods=40).date], names=list(emkit.FEATURE_INDEX)
)


def _lm_frame(prefix: str, n_embd: int = 6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    emb = rng.normal(size=(len(INDEX), n_embd)).astype(np.float32)
    frame = pd.DataFrame(emb, index=INDEX, columns=[f"{prefix}emb_{i:03d}" for i in range(n_embd)])
    frame[f"{prefix}perplexity"] = rng.uniform(2, 40, len(INDEX))
    frame[f"{prefix}perplexity_trend_7d"] = rng.normal(size=len(INDEX))
    frame[f"{prefix}emb_drift_7d"] = rng.uniform(0, 1, len(INDEX))
    frame[f"{prefix}coherence"] = rng.uniform(0, 1, len(INDEX))
    return frame


def test_naming_rule():
    schema = FeatureSchema.infer(
        [
            "lex_tokens",
            "sent_score",
            "hf_emb_012",
            "llm_pca_03",
            "myenc2_perplexity",
            "llm_perplexity_trend_7d",
            "hf_emb_drift_14d",
            "llm_coherence",
            "llm_perplexity_z",
        ]
    )
    assert [(c.role, c.block) for c in schema.columns] == [
        (ColumnRole.LEXICAL, None),
        (ColumnRole.LEXICAL, None),
        (ColumnRole.EMBEDDING, "hf"),
        (ColumnRole.EMBEDDING_PCA, "llm"),
        (ColumnRole.PERPLEXITY, "myenc2"),
        (ColumnRole.PERPLEXITY_TREND, "llm"),
        (ColumnRole.EMBEDDING_DRIFT, "hf"),
        (ColumnRole.SCALAR, None),
        (ColumnRole.SCALAR, None),
    ]


def test_declared_roles_win_and_travel_with_the_frame():
    frame = pd.DataFrame({"vec_a": [1.0], "vec_b": [2.0], "x": [3.0]})
    declared = FeatureSchema(
        columns=(
            FeatureColumn(name="vec_a", role=ColumnRole.EMBEDDING, block="vec"),
            FeatureColumn(name="vec_b", role=ColumnRole.EMBEDDING, block="vec"),
        )
    )
    declared.attach(frame)
    copy = frame[["vec_b", "x"]].copy()
    assert FeatureSchema.of(copy).embedding_blocks() == {"vec": ["vec_b"]}
    assert FeatureSchema.of(copy).role("x") is ColumnRole.SCALAR
    with pytest.raises(emkit.EmkitError, match="vec_a"):
        FeatureSchema.merge(declared, FeatureSchema.infer(["vec_a"]))
    with pytest.raises(ValueError, match="needs a block"):
        FeatureColumn(name="e", role=ColumnRole.EMBEDDING)


def test_lm_extractor_schema_matches_day_frame_and_temporal_columns():
    days = [
        emkit.PatientDay(
            patient_id="p1",
            date=pd.Timestamp("2024-01-01").date(),
            messages=(emkit.DayMessage(time=pd.Timestamp("09:00").time(), text="hola"),),
        )
    ]
    features = emkit.MessageFeatures(
        emb_mean=np.ones((1, 3), dtype=np.float32),
        emb_cls=np.ones((1, 3), dtype=np.float32),
        emb_last=np.ones((1, 3), dtype=np.float32),
        nll_sum=np.array([2.0]),
        n_predicted=np.array([2]),
        attention_entropy=np.array([0.5]),
        seq_len=np.array([3]),
        token_ids=[np.array([1, 2, 3])],
    )
    frame = emkit.add_temporal_features(
        emkit.day_frame(days, features, vocab_size=10, prefix="hf_"), "hf_"
    )
    schema = emkit.message_day_schema("hf_", 3, temporal=True)
    assert schema.names == list(frame.columns)
    assert schema.embedding_blocks() == {"hf": ["hf_emb_000", "hf_emb_001", "hf_emb_002"]}
    assert schema.columns_with(ColumnRole.PERPLEXITY, ColumnRole.PERPLEXITY_TREND) == [
        "hf_perplexity",
        "hf_perplexity_trend_7d",
    ]
    encoder = emkit.message_day_schema("hf_", 3, perplexity=False, temporal=True)
    assert encoder.columns_with(ColumnRole.PERPLEXITY, ColumnRole.PERPLEXITY_TREND) == []


def test_hf_embeddings_get_the_per_fold_pca():
    frame = pd.concat([_lm_frame("llm_"), _lm_frame("hf_", n_embd=8, seed=1)], axis=1)
    train = np.asarray(INDEX.get_level_values("date") < pd.Timestamp("2024-01-25").date())
    out = fold_features(frame, train, n_components=3)
    assert not [c for c in out.columns if "_emb_0" in c]
    assert [c for c in out.columns if "_pca_" in c] == [
        "llm_pca_00",
        "llm_pca_01",
        "llm_pca_02",
        "hf_pca_00",
        "hf_pca_01",
        "hf_pca_02",
    ]
    assert FeatureSchema.of(out).role("hf_pca_01") is ColumnRole.EMBEDDING_PCA
    # fitted on the training rows only: moving test rows does not move the hf basis
    moved = frame.copy()
    moved.loc[~train, "hf_emb_000"] += 100.0
    again = fold_features(moved, train, n_components=3)
    pd.testing.assert_frame_equal(out[train], again[train])
    # the ablation takes both blocks and both perplexities by role
    groups = experiment_columns(list(frame.columns))
    assert "hf_emb_000" in groups["2 + MiniLLM embeddings (PCA)"]
    assert {"hf_perplexity", "hf_perplexity_trend_7d"} <= set(groups["3 + perplexity and trend"])
    assert "hf_emb_drift_7d" not in groups["3 + perplexity and trend"]


def test_a_declared_embedding_block_with_any_name_gets_the_pca():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(len(INDEX), 5)), index=INDEX, columns=list("abcde"))
    schema = FeatureSchema(
        columns=tuple(FeatureColumn(name=c, role=ColumnRole.EMBEDDING, block="enc") for c in "abcd")
    )
    out = fold_features(frame, np.ones(len(frame), dtype=bool), n_components=2, schema=schema)
    assert list(out.columns) == ["e", "enc_pca_00", "enc_pca_01"]


def test_store_keeps_any_embedding_block_as_float32_with_its_roles(tmp_path):
    store = emkit.open_feature_store("sqlite", tmp_path / "f.db")
    frame = _lm_frame("hf_")
    store.write("hf", frame)
    back = store.read("hf")
    assert back.filter(like="hf_emb_0").dtypes.eq(np.float32).all()
    assert back["hf_perplexity"].dtype == np.float64
    pd.testing.assert_frame_equal(back, frame, check_index_type=False)
    assert FeatureSchema.of(back).embedding_blocks()["hf"][0] == "hf_emb_000"
    with closing(sqlite3.connect(tmp_path / "f.db")) as conn:
        blob, perplexity, trend = conn.execute(
            "SELECT llm_embedding, llm_perplexity, llm_perplexity_trend FROM feature_windows "
            "ORDER BY id LIMIT 1"
        ).fetchone()
    assert len(np.frombuffer(blob, dtype=np.float32)) == 6
    assert perplexity == pytest.approx(frame["hf_perplexity"].iloc[0])
    assert trend == pytest.approx(frame["hf_perplexity_trend_7d"].iloc[0])


def _write_v1_store(path, frame):
    """A store file exactly as the store schema version 1 wrote it."""
    emb = [c for c in frame.columns if re.match(r"^llm_emb_\d+$", c)]
    rest = [c for c in frame.columns if c not in emb]
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(
            """
            CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE feature_sets (name TEXT NOT NULL, version INTEGER NOT NULL,
                columns TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (name, version));
            CREATE TABLE feature_windows (id INTEGER PRIMARY KEY AUTOINCREMENT,
                feature_set TEXT NOT NULL, version INTEGER NOT NULL, patient_id TEXT NOT NULL,
                date TEXT NOT NULL, written_at TEXT NOT NULL, llm_embedding BLOB,
                llm_perplexity REAL, llm_perplexity_trend REAL, features BLOB NOT NULL);
            INSERT INTO store_meta VALUES ('schema_version', '1');
            """
        )
        conn.execute(
            "INSERT INTO feature_sets VALUES ('old', 1, ?, '2024-05-01T00:00:00+00:00')",
            (json.dumps(list(frame.columns)),),
        )
        for (patient, date), row in frame.iterrows():
            conn.execute(
                "INSERT INTO feature_windows (feature_set, version, patient_id, date, written_at,"
                " llm_embedding, llm_perplexity, llm_perplexity_trend, features) "
                "VALUES ('old', 1, ?, ?, '2024-05-01T00:00:00+00:00', ?, NULL, NULL, ?)",
                (
                    patient,
                    date.isoformat(),
                    row[emb].to_numpy(np.float32).tobytes(),
                    row[rest].to_numpy(np.float64).tobytes(),
                ),
            )
        conn.commit()


def test_a_store_written_by_schema_version_1_is_migrated_without_loss(tmp_path):
    llm = _lm_frame("llm_", n_embd=4)
    hf = _lm_frame("hf_", n_embd=3, seed=5).astype(np.float64)  # v1 kept hf_emb_* as float64
    frame = pd.concat([llm, hf.drop(columns=["hf_coherence"])], axis=1)
    path = tmp_path / "old.db"
    _write_v1_store(path, frame)
    store = emkit.open_feature_store("sqlite", path)
    back = store.read("old")
    pd.testing.assert_frame_equal(back, frame, check_index_type=False)
    assert back["hf_emb_000"].dtype == np.float64  # read with the layout it was written in
    assert back.filter(like="llm_emb_0").dtypes.eq(np.float32).all()
    assert set(store.schema("old").embedding_blocks()) == {"llm", "hf"}
    assert store.finished_days("old") == {(p, d) for p, d in frame.index}
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT value FROM store_meta").fetchone()[0] == "2"
    # hf_emb_* would now be float32: a new version; the old rows stay readable
    store.write("old", frame.iloc[:2])
    assert [v.version for v in store.versions("old")] == [1, 2]
    pd.testing.assert_frame_equal(store.read("old", version=1), back)


def test_a_version_1_llm_feature_set_keeps_its_version_on_the_next_write(tmp_path):
    frame = _lm_frame("llm_", n_embd=4)
    path = tmp_path / "old.db"
    _write_v1_store(path, frame)
    store = emkit.open_feature_store("sqlite", path)
    store.write("old", frame.iloc[:3] + 1.0)
    assert [v.version for v in store.versions("old")] == [1]
    assert store.schema("old").embedding_blocks()["llm"] == [f"llm_emb_{i:03d}" for i in range(4)]
    assert len(store.read("old")) == len(frame)


def test_moved_names_warn_and_still_work():
    with pytest.warns(DeprecationWarning, match=r"emkit\.label_column"):
        from emkit.baselines import label_column
    assert label_column(7) == emkit.label_column(7) == "relapse_within_7d"
    with pytest.warns(DeprecationWarning, match=r"emkit\.add_temporal_features"):
        from emkit.temporal import add_temporal_features
    assert add_temporal_features is emkit.add_temporal_features
    with pytest.warns(DeprecationWarning, match="pseudonymise"):
        from emkit.parsers.patient import export_to_patient
    assert export_to_patient is emkit.export_to_patient
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert emkit.horizon_of("p_relapse_within_30d") == 30
        assert emkit.horizon_of("relapse_within_x") is None

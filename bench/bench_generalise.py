"""Do the features generalise beyond the generator? AUROC on both synthetic vocabularies.

The ``lexical`` lexicons were written alongside ``emkit.synth``'s default vocabulary, so on
default cohorts they read the generator's own words. The ``alt`` vocabulary writes the same
latent process with words and style habits disjoint from the lexicons. For each vocabulary
(50 x 365 cohort, fixed seed) this prints the held-out 14-day AUROC of the reference text
forecaster ``tfidf``, of ``trajectory`` (a score of each day's text and a regression on its
recent path), of ``logistic`` and ``gbm`` on lexical features with and without the
personal-baseline features, and of the oracle (the latent signal), all on the same rows of the
same rolling-origin folds, with each model's paired difference from ``tfidf`` (patient
bootstrap interval) and its gap to the oracle. Two more references read the hidden signal
too, so no forecaster can use them: ``oracle path`` is what a perfect reader of the text could
reach by following the signal over time (a logistic regression on ``emkit.score_trajectory``
of the latent signal itself, fitted on each fold's training rows), and ``latent reader`` is
``trajectory``'s design taught the hidden signal itself: the same TF-IDF of each day's text,
regressed onto the latent signal instead of the labels, and the same kind of path regression
on its scores.

``--minillm`` adds the MiniLLM ablation: for each vocabulary a TinyGPT (preset ``tiny``) is
trained on that cohort's text, its ``minillm`` features (``llm_*``) are extracted through
``emkit.get_feature_extractor("minillm", checkpoint=...)``, and ``logistic`` and ``gbm`` are
scored on lexical + MiniLLM features next to lexical alone, on the same rows, with the paired
difference (``minus lexical``); ``trajectory+minillm`` adds the MiniLLM columns to the path
regression of ``trajectory`` (its ``minus lexical`` is the difference from ``trajectory``).
The evaluation replaces the ``llm_emb_*`` block by a PCA fitted on each fold's training rows
(8 components; ``--pca-components 0.9`` lets each fold's training rows choose as many as
explain 90 % of their variance); the other ``llm_*`` columns (perplexity and its trend,
attention entropy, coherence, drift, ...) enter as they are. The ``+minillm+baseline`` rows
add the personal baselines of the lexical and the scalar ``llm_*`` columns (per-patient
normalisation), read from a frame of their own so that the other ``+baseline`` rows see the
lexical ones only.

Which text the language model is trained on: training-window text only, so that no fold's
test days (nor its purge gap) are in the LM's training text. By default (``--lm-window
per-fold``) each fold gets its own MiniLLM, trained (``read_corpus(cohort, until=...)``) on the
days up to that fold's last training day, and the fold is evaluated on the frame holding that
model's features: every forecaster sees text up to the same day, and the later folds' LMs know
as much text as their forecasters do. This costs one training run and one extraction of the
whole cohort per fold. ``--lm-window first`` trains one MiniLLM per vocabulary, on the days up
to the end of the *earliest* fold's training window: rolling-origin folds are expanding
windows, so that text is inside every fold's training window and before every test block (no
leak), at a third of the LM cost, but the later folds' LM then knows less text than their
forecasters (it can only understate the MiniLLM features).

    python bench/bench_generalise.py            # 50 patients x 365 days, 3 folds
    python bench/bench_generalise.py --quick    # 16 patients x 240 days, 2 folds
    python bench/bench_generalise.py --minillm  # + the MiniLLM ablation on both vocabularies
"""

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import emkit
from emkit.evaluation import (
    ORACLE,
    Split,
    auroc,
    cohort_labels,
    evaluate,
    load_latent,
    normalise_index,
    patient_bootstrap,
    prediction_column,
    rolling_origin_splits,
)
from emkit.synth import synthesize_cohort

HORIZON = 14
TARGET = 0.03  # the best forecaster should beat tfidf by this much AUROC
LM_TARGET = 0.01  # adding the MiniLLM features should raise the AUROC this much on alt

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--patients", type=int, default=50)
parser.add_argument("--days", type=int, default=365)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--folds", type=int, default=3)
parser.add_argument("--baseline-days", type=int, default=60)
parser.add_argument("--boot", type=int, default=200, help="Patient-bootstrap draws.")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--quick", action="store_true", help="16 patients x 240 days, 2 folds.")
parser.add_argument(
    "--minillm", action="store_true", help="Add the MiniLLM ablation (one LM per fold)."
)
parser.add_argument("--lm-preset", default="tiny", help="MiniLLM size preset.")
parser.add_argument("--lm-steps", type=int, default=300, help="MiniLLM training steps.")
parser.add_argument(
    "--pca-components",
    type=float,
    default=8,
    help="Each fold's PCA of the llm_emb_* block: components, or a share of variance in (0, 1).",
)
parser.add_argument(
    "--lm-window",
    choices=["per-fold", "first"],
    default="per-fold",
    help="Train the MiniLLM on each fold's training text, or once on the earliest fold's.",
)
args = parser.parse_args()
if args.quick:
    args.patients, args.days, args.folds = 16, 240, 2
    args.lm_steps = min(args.lm_steps, 100)
#: The per-fold embedding PCA: a count, or a share of the training rows' variance.
try:
    PCA_COMPONENTS = emkit.EmbeddingPCA.parse_components(args.pca_components)
except emkit.EmkitError as exc:
    parser.error(f"--pca-components: {exc}")

#: Feature blocks: name -> function(days of one patient) -> frame. A block fitted on text (the
#: MiniLLM) is trained per fold instead: see ``fold_frames``.
Extract = Callable[[list[emkit.PatientDay]], pd.DataFrame]


def feature_blocks() -> dict[str, Extract]:
    """The per-patient extractors whose frames are joined into one feature frame."""
    lexical = emkit.get_feature_extractor("lexical")
    text = emkit.TextExtractor()
    return {"lexical": lexical.transform, "text": text.transform}


def patient_frame(days: list[emkit.PatientDay], blocks: dict[str, Extract]) -> pd.DataFrame:
    """One patient's features: every block, plus the baseline deviations of the numeric ones."""
    frames = [extract(days) for extract in blocks.values()]
    schema = emkit.FeatureSchema.merge(*(emkit.FeatureSchema.of(f) for f in frames))
    frame = schema.attach(pd.concat(frames, axis=1))
    baseline = emkit.baseline_deviations(frame, days=args.baseline_days)
    schema = emkit.FeatureSchema.merge(schema, emkit.FeatureSchema.of(baseline))
    return schema.attach(pd.concat([frame, baseline], axis=1))


def minillm_frame(
    cohort: Path, until: dt.date, checkpoint: Path, log: Callable[[str], None]
) -> pd.DataFrame:
    """The ``llm_*`` features of a MiniLLM trained on the cohort's text up to ``until``."""
    from emkit_minillm import read_corpus, train_model

    corpus = read_corpus(cohort, until=until)
    trained = train_model(
        corpus,
        checkpoint,
        preset=args.lm_preset,
        steps=args.lm_steps,
        seed=args.seed,
        threads=args.threads,
        progress=False,
        until=until,
    )
    log(
        f"MiniLLM ({args.lm_preset}, {args.lm_steps} steps) trained on {len(corpus)} messages "
        f"up to {until}, validation perplexity {trained.val_perplexity:.2f}"
    )
    extractor = emkit.get_feature_extractor("minillm", checkpoint=checkpoint, threads=args.threads)
    parts = [extractor.transform(p.days()) for p in emkit.read_cohort(cohort)]
    schema = emkit.FeatureSchema.of(parts[0])
    return schema.attach(normalise_index(pd.concat(parts)))


def fold_frames(
    cohort: Path, features: pd.DataFrame, splits: list[Split], vocabulary: str
) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """Per fold: the features plus those of a MiniLLM fitted on that fold's training text.

    Two frames per fold: with the MiniLLM columns, and with their personal baselines too. The
    second is read by the "+minillm+baseline" rows only, so that the other "+baseline" rows read
    the lexical features' baselines alone (the ``baseline`` role does not say whose).
    """
    dates = features.index.get_level_values("date")
    frames = []
    for i, split in enumerate(splits):
        until: dt.date = dates[split.train].max().date()
        if args.lm_window == "first" and i > 0:
            break  # one model, trained on the earliest (shortest) training window
        lm = minillm_frame(
            cohort,
            until,
            cohort.parent / f"minillm-{i}",
            lambda m, tag=f"{vocabulary} fold {i + 1}": log(f"{tag}: {m}"),
        )
        lm = lm.reindex(features.index)
        # Per-patient normalisation: each scalar MiniLLM column's deviation from the patient's
        # own trailing baseline (the embedding block is left to the per-fold PCA).
        lm_schema = emkit.FeatureSchema.of(lm)
        scalars = [c for c in lm.columns if lm_schema.role(str(c)) in LM_SCALAR_ROLES]
        personal = emkit.baseline_deviations(lm, scalars, days=args.baseline_days)
        plain = emkit.FeatureSchema.merge(emkit.FeatureSchema.of(features), lm_schema)
        full = emkit.FeatureSchema.merge(plain, emkit.FeatureSchema.of(personal))
        frames.append(
            (
                plain.attach(pd.concat([features, lm], axis=1)),
                full.attach(pd.concat([features, lm, personal], axis=1)),
            )
        )
    return frames


#: The columns "+minillm" forecasters read: lexical and every MiniLLM role (not the personal
#: baselines, not the text).
WITH_MINILLM = [
    emkit.ColumnRole.LEXICAL,
    emkit.ColumnRole.EMBEDDING,
    emkit.ColumnRole.EMBEDDING_PCA,
    emkit.ColumnRole.PERPLEXITY,
    emkit.ColumnRole.PERPLEXITY_TREND,
    emkit.ColumnRole.EMBEDDING_DRIFT,
    emkit.ColumnRole.SCALAR,
]


#: The MiniLLM columns alone: what "trajectory+minillm" adds to its path of the text.
MINILLM_ONLY = [r for r in WITH_MINILLM if r is not emkit.ColumnRole.LEXICAL]


#: The MiniLLM columns compared with the patient's own baseline for the "+minillm+baseline" rows.
LM_SCALAR_ROLES = {
    emkit.ColumnRole.PERPLEXITY,
    emkit.ColumnRole.PERPLEXITY_TREND,
    emkit.ColumnRole.EMBEDDING_DRIFT,
    emkit.ColumnRole.SCALAR,
}


def forecasters() -> dict[str, Callable[[], emkit.Forecaster]]:
    """The rows of the table, ``tfidf`` first (the reference)."""
    lexical = [emkit.ColumnRole.LEXICAL]
    personal = [emkit.ColumnRole.LEXICAL, emkit.ColumnRole.BASELINE]
    threads = args.threads
    lm: dict[str, Callable[[], emkit.Forecaster]] = {}
    if args.minillm:
        lm = {
            "logistic+minillm": lambda: emkit.get_forecaster(
                "logistic", roles=WITH_MINILLM, threads=threads
            ),
            "gbm+minillm": lambda: emkit.get_forecaster("gbm", roles=WITH_MINILLM, threads=threads),
            "trajectory+minillm": lambda: emkit.get_forecaster(
                "trajectory", roles=MINILLM_ONLY, threads=threads
            ),
            "logistic+minillm+baseline": lambda: emkit.get_forecaster(
                "logistic", roles=[*WITH_MINILLM, emkit.ColumnRole.BASELINE], threads=threads
            ),
            "gbm+minillm+baseline": lambda: emkit.get_forecaster(
                "gbm", roles=[*WITH_MINILLM, emkit.ColumnRole.BASELINE], threads=threads
            ),
        }
    return {
        "tfidf": lambda: emkit.get_forecaster("tfidf", threads=threads),
        "trajectory": lambda: emkit.get_forecaster("trajectory", threads=threads),
        "logistic": lambda: emkit.get_forecaster("logistic", roles=lexical, threads=threads),
        "logistic+baseline": lambda: emkit.get_forecaster(
            "logistic", roles=personal, threads=threads
        ),
        "gbm": lambda: emkit.get_forecaster("gbm", roles=lexical, threads=threads),
        "gbm+baseline": lambda: emkit.get_forecaster("gbm", roles=personal, threads=threads),
        **lm,
    }


ORACLE_PATH = "oracle path"
LATENT_READER = "latent reader"
#: Rows that are not forecasters: they read the hidden signal.
REFERENCES = ("oracle", ORACLE_PATH, LATENT_READER)


def path_regression(
    scores_for: Callable[[Split], pd.Series],
    index: pd.Index,
    labels: pd.DataFrame,
    splits: list[Split],
) -> pd.Series:
    """Held-out P(relapse) from the path of a day score, one fold at a time.

    ``scores_for(split)`` gives every row's day score for that fold (it may use the fold's
    training rows only); a standardised logistic regression on its ``emkit.score_trajectory``
    is fitted on the training rows and predicts the test rows.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = labels[emkit.label_column(HORIZON)].reindex(index)
    out = pd.Series(np.nan, index=index)
    for split in splits:
        path = emkit.score_trajectory(scores_for(split))
        train = split.train & y.notna().to_numpy()
        model = make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced"))
        model.fit(path[train], y[train].astype(int))
        out[split.test] = model.predict_proba(path[split.test])[:, 1]
    return out


def oracle_path(
    latent: pd.Series, index: pd.Index, labels: pd.DataFrame, splits: list[Split]
) -> pd.Series:
    """Held-out P(relapse) from the latent signal's own path."""
    signal = latent.reindex(index).fillna(latent.median())
    return path_regression(lambda split: signal, index, labels, splits)


def latent_reader(
    text: pd.Series, latent: pd.Series, labels: pd.DataFrame, splits: list[Split]
) -> pd.Series:
    """Held-out P(relapse) from the path of a day reader trained on the latent signal itself.

    ``trajectory``'s design with a day score that is taught the hidden signal (which no real
    forecaster has): the same TF-IDF of each day's text, but a ridge regression onto the latent
    signal instead of a logistic regression onto the labels; its scores then go through the
    same kind of path regression. Training rows are scored out of fold (5 groups of patients),
    as ``trajectory`` does. The ridge's ``alpha=3`` was the best of 0.3, 1, 3 and 10 for the
    correlation with the signal on the first fold of the seed-1 ``alt`` cohort.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge

    index = text.index
    documents = text.fillna("").astype(str).to_numpy()
    signal = latent.reindex(index).fillna(latent.median()).to_numpy()
    patients = pd.factorize(index.get_level_values("patient_id"))[0]
    groups = np.random.default_rng(args.seed).permutation(patients.max() + 1) % 5
    day = emkit.TrajectoryForecaster.Options()  # its TF-IDF settings

    def scores_for(split: Split) -> pd.Series:
        train = np.flatnonzero(split.train)
        vectorizer = TfidfVectorizer(
            ngram_range=(1, day.ngram_max),
            min_df=day.min_df,
            max_features=day.max_features,
            sublinear_tf=True,
        )
        matrix = vectorizer.fit(documents[train]).transform(documents)
        scores = Ridge(alpha=3.0).fit(matrix[train], signal[train]).predict(matrix)
        for group in range(5):
            held = train[groups[patients[train]] == group]
            rest = train[groups[patients[train]] != group]
            scores[held] = Ridge(alpha=3.0).fit(matrix[rest], signal[rest]).predict(matrix[held])
        return pd.Series(scores, index=index)

    return path_regression(scores_for, index, labels, splits)


def lexical_row(model: str) -> str:
    """The row a "+minillm" row adds the MiniLLM features to (same forecaster, same baselines)."""
    return model.replace("+minillm", "")


def log(message: str) -> None:
    print(f"[{time.perf_counter() - started:5.0f} s] {message}", flush=True)


def study(vocabulary: str) -> tuple[pd.DataFrame, int, int]:
    """AUROC, difference from tfidf and gap to the oracle of every forecaster on one cohort."""
    with tempfile.TemporaryDirectory() as tmp:
        cohort = synthesize_cohort(
            Path(tmp) / "cohort",
            patients=args.patients,
            days=args.days,
            seed=args.seed,
            vocabulary=vocabulary,
        )
        blocks = feature_blocks()
        parts = [patient_frame(p.days(), blocks) for p in emkit.read_cohort(cohort)]
        schema = emkit.FeatureSchema.of(parts[0])
        features = schema.attach(normalise_index(pd.concat(parts)))
        labels, onsets = cohort_labels(cohort, [HORIZON])
        latent = load_latent(cohort)
        labels = labels.reindex(features.index)
        splits = rolling_origin_splits(features.index, purge_days=HORIZON, n_folds=args.folds)
        models = forecasters()
        if args.minillm:
            # One evaluation per fold, each on the frame with that fold's MiniLLM features; the
            # test blocks are disjoint, so their predictions concatenate into the same rows.
            frames = fold_frames(cohort, features, splits, vocabulary)
            groups = [splits] if args.lm_window == "first" else [[split] for split in splits]
        else:
            frames, groups = [(features, features)], [splits]
    personal_lm = {m: f for m, f in models.items() if m.endswith("+minillm+baseline")}
    others = {m: f for m, f in models.items() if m not in personal_lm}
    predictions = []
    for (frame, with_personal_lm), group in zip(frames, groups, strict=True):
        result = evaluate(
            frame,
            labels,
            others,
            group,
            [HORIZON],
            latent=latent,
            onsets=onsets,
            n_boot=0,
            pca_components=PCA_COMPONENTS,
        )
        part = result.predictions
        if args.minillm:  # the components the (last) fold's training rows kept
            pca = emkit.EmbeddingPCA(PCA_COMPONENTS, keep_empty_days=True)
            kept = pca.fit(frame[group[-1].train]).n_components_
            log(f"{vocabulary}, {group[-1].name}: {kept} PCA components of llm_emb_*")
        if personal_lm:
            more = evaluate(
                with_personal_lm,
                labels,
                personal_lm,
                group,
                [HORIZON],
                latent=latent,
                n_boot=0,
                pca_components=PCA_COMPONENTS,
            ).predictions
            part = part.join(more[[prediction_column(m, HORIZON) for m in personal_lm]])
        predictions.append(part)
    predictions = pd.concat(predictions)
    predictions[ORACLE_PATH] = oracle_path(latent, features.index, labels, splits)
    predictions[LATENT_READER] = latent_reader(features[emkit.TEXT_COLUMN], latent, labels, splits)
    rows = predictions[predictions[f"y_{HORIZON}"].notna()]

    def statistics(draw: pd.DataFrame) -> dict[str, float]:
        y = draw[f"y_{HORIZON}"].to_numpy()
        scores = {m: auroc(y, draw[prediction_column(m, HORIZON)].to_numpy()) for m in models}
        oracle = auroc(y, draw[ORACLE].fillna(draw[ORACLE].median()).to_numpy())
        out = {f"{m}/auroc": s for m, s in scores.items()}
        out |= {f"{m}/vs_tfidf": s - scores["tfidf"] for m, s in scores.items()}
        out |= {f"{m}/gap": oracle - s for m, s in scores.items()}
        out |= {
            f"{m}/vs_lexical": s - scores[lexical_row(m)]
            for m, s in scores.items()
            if "+minillm" in m
        }
        out["oracle/auroc"] = oracle
        out["oracle/vs_tfidf"] = oracle - scores["tfidf"]
        for reference in (ORACLE_PATH, LATENT_READER):
            out[f"{reference}/auroc"] = auroc(y, draw[reference].to_numpy())
            out[f"{reference}/vs_tfidf"] = out[f"{reference}/auroc"] - scores["tfidf"]
        return out

    intervals = patient_bootstrap(rows, statistics, n_boot=args.boot, seed=args.seed)
    table = []
    for model in [*models, "oracle", ORACLE_PATH, LATENT_READER]:
        row = {"vocabulary": vocabulary, "forecaster": model}
        row["auroc"] = intervals[f"{model}/auroc"]
        row["vs_tfidf"] = intervals.get(f"{model}/vs_tfidf")
        if model not in REFERENCES:
            row["gap"] = intervals[f"{model}/gap"]
            row["vs_lexical"] = intervals.get(f"{model}/vs_lexical")
        table.append(row)
    return pd.DataFrame(table), len(rows), int(rows[f"y_{HORIZON}"].sum())


started = time.perf_counter()
print(
    f"cohorts: {args.patients} patients x {args.days} days, seed {args.seed}; "
    f"{args.folds} rolling-origin folds (purge {HORIZON} days), horizon {HORIZON} days; "
    f"personal baseline {args.baseline_days} days; {args.boot} patient-bootstrap draws"
    + (
        f"; MiniLLM {args.lm_preset}, {args.lm_steps} steps, embedding PCA {PCA_COMPONENTS}"
        if args.minillm
        else ""
    )
)
verdicts = []
lm_verdicts: dict[str, bool] = {}
for vocabulary in ("default", "alt"):
    table, n_rows, positives = study(vocabulary)
    print(f"\nvocabulary {vocabulary}: {n_rows} held-out patient-days ({positives} positive)")
    header = f"{'forecaster':<28}{'AUROC':>24}{'minus tfidf':>26}{'oracle minus model':>26}"
    print(header + (f"{'minus lexical':>26}" if args.minillm else ""))
    for row in table.itertuples():
        extra = f"{row.vs_tfidf!s:>26}" if row.vs_tfidf is not None else ""
        if row.forecaster not in REFERENCES:
            extra += f"{row.gap!s:>26}"
        if "+minillm" in row.forecaster:
            extra += f"{row.vs_lexical!s:>26}"
        print(f"{row.forecaster:<28}{row.auroc!s:>24}{extra}")
    models = table[~table["forecaster"].isin(["tfidf", *REFERENCES])]
    best = models.iloc[int(np.argmax([iv.estimate for iv in models["auroc"]]))]
    margin = best["vs_tfidf"].estimate
    held = margin >= TARGET
    verdicts.append(held)
    print(
        f"best forecaster {best['forecaster']}: {margin:+.3f} AUROC over tfidf "
        f"(target >= +{TARGET:.2f}: {'holds' if held else 'does not hold'})"
    )
    if args.minillm:
        gains = {
            lexical_row(r.forecaster): r.vs_lexical.estimate
            for r in table.itertuples()
            if "+minillm" in r.forecaster
        }
        lm_verdicts[vocabulary] = max(gains.values()) >= LM_TARGET
        shown = ", ".join(f"{m} {g:+.3f}" for m, g in gains.items())
        print(
            f"MiniLLM features added (to lexical; to its text path for trajectory): {shown} AUROC "
            f"(target >= +{LM_TARGET:.2f} on alt"
            + (
                f": {'holds' if lm_verdicts[vocabulary] else 'does not hold'})"
                if vocabulary == "alt"
                else ")"
            )
        )
print(f"\ntarget on both vocabularies: {'holds' if all(verdicts) else 'does not hold'}")
if args.minillm:
    print(
        f"MiniLLM target on alt (+{LM_TARGET:.2f} for logistic, gbm or trajectory, with or "
        "without baselines): "
        f"{'holds' if lm_verdicts['alt'] else 'does not hold'}"
    )
print(f"runtime {time.perf_counter() - started:.0f} s")

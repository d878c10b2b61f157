"""Do the features generalise beyond the generator? AUROC on both synthetic vocabularies.

The ``lexical`` lexicons were written alongside ``emkit.synth``'s default vocabulary, so on
default cohorts they read the generator's own words. The ``alt`` vocabulary writes the same
latent process with words and style habits disjoint from the lexicons. For each vocabulary
(50 x 365 cohort, fixed seed) this prints the held-out 14-day AUROC of the reference text
forecaster ``tfidf``, of ``logistic`` and ``gbm`` on lexical features with and without the
personal-baseline features, and of the oracle (the latent signal), all on the same rows of the
same rolling-origin folds, with each model's paired difference from ``tfidf`` (patient
bootstrap interval) and its gap to the oracle.

    python bench/bench_generalise.py            # 50 patients x 365 days, 3 folds
    python bench/bench_generalise.py --quick    # 16 patients x 240 days, 2 folds
"""

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import emkit
from emkit.evaluation import (
    ORACLE,
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

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--patients", type=int, default=50)
parser.add_argument("--days", type=int, default=365)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--folds", type=int, default=3)
parser.add_argument("--baseline-days", type=int, default=60)
parser.add_argument("--boot", type=int, default=200, help="Patient-bootstrap draws.")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--quick", action="store_true", help="16 patients x 240 days, 2 folds.")
args = parser.parse_args()
if args.quick:
    args.patients, args.days, args.folds = 16, 240, 2

#: Feature blocks: name -> function(days of one patient) -> frame. Another block (a MiniLLM
#: checkpoint's features, say) is one more entry here and one more forecaster row below.
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


def forecasters() -> dict[str, Callable[[], emkit.Forecaster]]:
    """The rows of the table, ``tfidf`` first (the reference)."""
    lexical = [emkit.ColumnRole.LEXICAL]
    personal = [emkit.ColumnRole.LEXICAL, emkit.ColumnRole.BASELINE]
    threads = args.threads
    return {
        "tfidf": lambda: emkit.get_forecaster("tfidf", threads=threads),
        "logistic": lambda: emkit.get_forecaster("logistic", roles=lexical, threads=threads),
        "logistic+baseline": lambda: emkit.get_forecaster(
            "logistic", roles=personal, threads=threads
        ),
        "gbm": lambda: emkit.get_forecaster("gbm", roles=lexical, threads=threads),
        "gbm+baseline": lambda: emkit.get_forecaster("gbm", roles=personal, threads=threads),
    }


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
    result = evaluate(
        features, labels, models, splits, [HORIZON], latent=latent, onsets=onsets, n_boot=0
    )
    rows = result.predictions[result.predictions[f"y_{HORIZON}"].notna()]

    def statistics(draw: pd.DataFrame) -> dict[str, float]:
        y = draw[f"y_{HORIZON}"].to_numpy()
        scores = {m: auroc(y, draw[prediction_column(m, HORIZON)].to_numpy()) for m in models}
        oracle = auroc(y, draw[ORACLE].fillna(draw[ORACLE].median()).to_numpy())
        out = {f"{m}/auroc": s for m, s in scores.items()}
        out |= {f"{m}/vs_tfidf": s - scores["tfidf"] for m, s in scores.items()}
        out |= {f"{m}/gap": oracle - s for m, s in scores.items()}
        out["oracle/auroc"] = oracle
        return out

    intervals = patient_bootstrap(rows, statistics, n_boot=args.boot, seed=args.seed)
    table = []
    for model in [*models, "oracle"]:
        row = {"vocabulary": vocabulary, "forecaster": model}
        row["auroc"] = intervals[f"{model}/auroc"]
        if model != "oracle":
            row["vs_tfidf"] = intervals[f"{model}/vs_tfidf"]
            row["gap"] = intervals[f"{model}/gap"]
        table.append(row)
    return pd.DataFrame(table), len(rows), int(rows[f"y_{HORIZON}"].sum())


started = time.perf_counter()
print(
    f"cohorts: {args.patients} patients x {args.days} days, seed {args.seed}; "
    f"{args.folds} rolling-origin folds (purge {HORIZON} days), horizon {HORIZON} days; "
    f"personal baseline {args.baseline_days} days; {args.boot} patient-bootstrap draws"
)
verdicts = []
for vocabulary in ("default", "alt"):
    table, n_rows, positives = study(vocabulary)
    print(f"\nvocabulary {vocabulary}: {n_rows} held-out patient-days ({positives} positive)")
    print(f"{'forecaster':<20}{'AUROC':>24}{'minus tfidf':>26}{'oracle minus model':>26}")
    for row in table.itertuples():
        extra = "" if row.forecaster == "oracle" else f"{row.vs_tfidf!s:>26}{row.gap!s:>26}"
        print(f"{row.forecaster:<20}{row.auroc!s:>24}{extra}")
    models = table[~table["forecaster"].isin(["tfidf", "oracle"])]
    best = models.iloc[int(np.argmax([iv.estimate for iv in models["auroc"]]))]
    margin = best["vs_tfidf"].estimate
    held = margin >= TARGET
    verdicts.append(held)
    print(
        f"best forecaster {best['forecaster']}: {margin:+.3f} AUROC over tfidf "
        f"(target >= +{TARGET:.2f}: {'holds' if held else 'does not hold'})"
    )
print(
    f"\ntarget on both vocabularies: {'holds' if all(verdicts) else 'does not hold'} "
    f"({time.perf_counter() - started:.0f} s)"
)

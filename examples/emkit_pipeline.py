"""emkit end to end: synthetic cohort → features (lexical + MiniLLM) → store → evaluate → report.

Small by default (10 patients x 200 days, a few minutes on 2 cores). The full demo cohort of
50 patients x 365 days: ``python examples/emkit_pipeline.py --full`` (or EMKIT_DEMO_FULL=1).
Results go to ``emkit-demo/`` (EMKIT_DEMO_OUT to change).
"""

import os
import sys
import time
from pathlib import Path

import pandas as pd

import emkit
from emkit.dataset import read_cohort
from emkit.evaluation.data import cohort_labels, load_latent, normalise_index
from emkit.evaluation.report import write_report
from emkit.evaluation.splits import rolling_origin_splits
from emkit.evaluation.study import factories, run_study, write_study
from emkit.synth import synthesize_cohort

FULL = "--full" in sys.argv or os.environ.get("EMKIT_DEMO_FULL") == "1"
PATIENTS, DAYS = (50, 365) if FULL else (10, 200)
HORIZONS = (7, 14, 30)
OUT = Path(os.environ.get("EMKIT_DEMO_OUT", "emkit-demo"))
started = time.perf_counter()

# 1. A synthetic cohort: messages, relapse events and the hidden signal (latent.parquet).
cohort = synthesize_cohort(OUT / "cohort", patients=PATIENTS, days=DAYS, seed=0, overwrite=True)
patients = read_cohort(cohort)
labels, onsets = cohort_labels(cohort, HORIZONS)
print(f"cohort: {len(patients)} patients, {len(labels)} patient-days, {len(onsets)} onsets")

# 2. Anything learned from text is fitted on the first training window only: the days before
#    the first rolling-origin test block, minus the purge gap.
first_fold = rolling_origin_splits(labels.index, purge_days=max(HORIZONS), n_folds=3)[0]
train_end = labels.index[first_fold.train].get_level_values("date").max()
extractors = [emkit.get_feature_extractor("lexical")]
if "minillm" in emkit.feature_extractor_names():
    from emkit_minillm.training import train_model

    corpus = [
        m.text for p in patients for day in p.days(end=train_end.date()) for m in day.messages
    ]
    checkpoint = OUT / "minillm"
    train_model(corpus, checkpoint, steps=300 if FULL else 40, threads=2, progress=False)
    extractors.append(emkit.get_feature_extractor("minillm", checkpoint=checkpoint, threads=2))

# 3. Features per patient-day, into the SQLite feature store, and back.
store = emkit.get_feature_store("sqlite", path=OUT / "features.db")
for patient in patients:
    days = patient.days()
    store.write("features", pd.concat([e.transform(days) for e in extractors], axis=1))
features = normalise_index(store.read("features")).select_dtypes("number")
print(f"features: {features.shape[1]} columns from {[e.name for e in extractors]}")

# 4. Forecasters on the same leakage-safe splits, ablation, analyses; then the HTML report.
names = ["prevalence", "logistic", "gbm"]
options = {}
if "tft" in emkit.forecaster_names():
    names.append("tft")
    small = {"max_epochs": 2, "limit_train_batches": 10, "hidden_size": 8}
    options["tft"] = {"threads": 2, **({} if FULL else small)}
result, record = run_study(
    features,
    labels,
    forecasters=factories(names, options),
    horizons=HORIZONS,
    onsets=onsets,
    latent=load_latent(cohort),
    n_boot=200 if FULL else 50,
    log=print,
)
write_study(OUT / "evaluation", result, record)
report = write_report(OUT / "evaluation")

for h in HORIZONS:
    best = result.best(h)
    oracle = result.scores[h]["oracle"]["auroc"]
    print(
        f"{h:>2}-day AUROC  best {best}: {result.scores[h][best]['auroc']}  "
        f"prevalence: {result.scores[h]['prevalence']['auroc']}  oracle: {oracle}  "
        f"best-prevalence: {result.comparisons[h].get(f'{best}-prevalence', '-')}"
    )
print(f"finished in {time.perf_counter() - started:.0f} s; report: {report.resolve()}")

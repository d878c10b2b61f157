"""emkit end to end on a synthetic cohort.

synthetic cohort with chat exports → parse the exports back → features (lexical + MiniLLM) →
SQLite feature store → evaluate prevalence, the text forecasters tfidf and trajectory, logistic,
gbm and TFT on leakage-safe splits (with the ablation and the validation analyses) → train and
save the final models → latest risk per patient → HTML report.

Three sizes, each printing every step's time:

- default: 16 patients x 240 days, sized for ``make demo``'s 10-minute budget on a slow 2-core
  machine (about 45 GFLOP/s matmul): the baselines are cross-validated, and a small TFT is fitted
  once as the final model;
- ``--full`` (``make demo FULL=1``): 50 patients x 365 days, larger models, the TFT
  cross-validated too;
- ``--quick`` (or EMKIT_DEMO_QUICK=1, used by the tests): the smallest inputs that still run
  every step.

``--vocabulary alt`` writes the cohort with the generator's second vocabulary, whose words and
style habits are disjoint from the ``lexical`` lexicons (default: ``default``).

Results go to ``emkit-demo/`` (EMKIT_DEMO_OUT to change).
"""

import argparse
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import emkit
from emkit import export_to_patient, latest_risk, load_model, open_parser, read_cohort, save_model
from emkit.evaluation import (
    cohort_labels,
    cohort_text,
    factories,
    fold_features,
    load_latent,
    normalise_index,
    rolling_origin_splits,
    run_study,
    write_report,
    write_study,
)
from emkit.synth import EXPORT_VARIANTS, PATIENT_NAMES, VOCABULARIES, synthesize_cohort


@dataclass(frozen=True)
class Size:
    """How much the demo computes."""

    patients: int
    days: int
    folds: int  # rolling-origin folds
    lm_steps: int  # MiniLLM training steps
    n_boot: int  # patient-bootstrap draws
    tft: dict[str, object]  # TFT options (the plugin's defaults are larger)
    tft_evaluated: bool  # the TFT in the cross-validated comparison, or only as the final model


SIZES = {
    # The smallest inputs that still run every step (the tests).
    "quick": Size(
        6, 160, 2, 10, 20, {"hidden_size": 4, "max_epochs": 1, "limit_train_batches": 2}, True
    ),
    # `make demo`: within 10 minutes on a slow 2-core machine (about 45 GFLOP/s matmul).
    "default": Size(
        16, 240, 3, 100, 100, {"hidden_size": 8, "max_epochs": 1, "limit_train_batches": 8}, False
    ),
    # `make demo FULL=1`.
    "full": Size(
        50, 365, 3, 300, 200, {"hidden_size": 8, "max_epochs": 3, "limit_train_batches": 25}, True
    ),
}
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
size = parser.add_mutually_exclusive_group()
size.add_argument("--quick", action="store_true", help="the smallest inputs (the tests')")
size.add_argument("--full", action="store_true", help="50 patients x 365 days")
parser.add_argument("--vocabulary", choices=VOCABULARIES, default="default")
args = parser.parse_args()
if args.quick or os.environ.get("EMKIT_DEMO_QUICK") == "1":
    SIZE = SIZES["quick"]
else:
    SIZE = SIZES["full" if args.full else "default"]
PATIENTS, DAYS = SIZE.patients, SIZE.days
HORIZONS = (7, 14, 30)
ZONE = "Europe/Madrid"
OUT = Path(os.environ.get("EMKIT_DEMO_OUT", "emkit-demo"))
started = time.perf_counter()


def step(message: str) -> None:
    print(f"[{time.perf_counter() - started:5.0f} s] {message}", flush=True)


# 1. A synthetic cohort: messages, relapse events, the hidden signal (latent.parquet) and the
#    same messages as WhatsApp and Telegram exports.
synthetic = synthesize_cohort(
    OUT / "synthetic",
    patients=PATIENTS,
    days=DAYS,
    seed=0,
    vocabulary=args.vocabulary,
    exports=True,
    overwrite=True,
)
step(f"synthetic cohort ({args.vocabulary} vocabulary): {PATIENTS} patients x {DAYS} days")

# 2. Parse one export per patient, cycling through the five export formats, as a clinic would
#    receive them. Clinical events (relapse onsets) come from the clinic, not from the chat.
cohort = OUT / "cohort"
messages = 0
for i, source in enumerate(sorted(p for p in synthetic.iterdir() if (p / "exports").is_dir())):
    export = source / "exports" / EXPORT_VARIANTS[i % len(EXPORT_VARIANTS)]
    target = cohort / source.name
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "events.csv", target / "events.csv")
    parsed = open_parser(export, tz=ZONE).parse(export)
    summary = export_to_patient(
        parsed,
        sender=PATIENT_NAMES[i % len(PATIENT_NAMES)],
        patient_id=source.name,
        out=target,
        tz=ZONE,
        overwrite=True,
    )
    messages += summary.messages
shutil.copy(synthetic / "latent.parquet", cohort / "latent.parquet")
patients = read_cohort(cohort)
labels, onsets = cohort_labels(cohort, HORIZONS)
step(f"parsed {messages} messages of {len(patients)} patients; {len(onsets)} relapse onsets")

# 3. Anything learned from text is fitted on the first training window only: the days before
#    the first rolling-origin test block, minus the purge gap.
first_fold = rolling_origin_splits(labels.index, purge_days=max(HORIZONS), n_folds=SIZE.folds)[0]
train_end = labels.index[first_fold.train].get_level_values("date").max()
extractors = [emkit.get_feature_extractor("lexical")]
if "minillm" in emkit.feature_extractor_names():
    from emkit_minillm import train_model

    corpus = [
        m.text for p in patients for day in p.days(end=train_end.date()) for m in day.messages
    ]
    checkpoint = OUT / "minillm"
    trained = train_model(corpus, checkpoint, steps=SIZE.lm_steps, threads=2, progress=False)
    step(f"MiniLLM trained on {len(corpus)} messages, perplexity {trained.val_perplexity:.2f}")
    extractors.append(emkit.get_feature_extractor("minillm", checkpoint=checkpoint, threads=2))

# 4. Features per patient-day, into the SQLite feature store, and back.
store = emkit.get_feature_store("sqlite", path=OUT / "features.db")
for patient in patients:
    days = patient.days()
    store.write("features", pd.concat([e.transform(days) for e in extractors], axis=1))
features = normalise_index(store.read("features")).select_dtypes("number")
step(f"features: {features.shape[1]} columns from {[e.name for e in extractors]}")

# 5. Forecasters on the same leakage-safe splits, ablation and analyses.
#    The TFT is the slow one (pytorch-forecasting builds each sample in Python): the default size
#    fits it once, as the final model below; --quick and --full also cross-validate it.
#    `tfidf` (the reference any learned feature must beat) and `trajectory` read the day's words;
#    the store keeps no text, so it comes from the cohort's messages.
names = ["prevalence", "tfidf", "trajectory", "logistic", "gbm"]
options: dict[str, dict[str, object]] = {name: {"threads": 2} for name in names[1:]}
has_tft = "tft" in emkit.forecaster_names()
if has_tft:
    # Small enough for the demo's time budget; `emkit evaluate -f tft` uses the full defaults.
    options["tft"] = {"threads": 2, **SIZE.tft}
evaluated = [*names, *(["tft"] if has_tft and SIZE.tft_evaluated else [])]
result, record = run_study(
    cohort_text(features, cohort),
    labels,
    forecasters=factories(evaluated, options),
    horizons=HORIZONS,
    n_folds=SIZE.folds,
    onsets=onsets,
    latent=load_latent(cohort),
    n_boot=SIZE.n_boot,
    # Permutation importance costs two predictions per feature; the TFT shows its own
    # variable-selection weights instead.
    permutation=("logistic", "gbm"),
    log=step,
)
write_study(OUT / "evaluation", result, record)
for h in HORIZONS:
    best = result.best(h)
    print(
        f"  {h:>2}-day AUROC  best {best}: {result.scores[h][best]['auroc']}  "
        f"prevalence: {result.scores[h]['prevalence']['auroc']}  "
        f"oracle: {result.scores[h]['oracle']['auroc']}  "
        f"{best} - prevalence: {result.comparisons[h].get(f'{best}-prevalence', '-')}"
    )

# 6. Final models fitted on every labelled day and saved as model folders (`emkit predict`
#    reads them too), then each patient's latest risk. Their inputs hold the embeddings as PCA
#    components fitted on all days, stored as the feature set "model_inputs".
inputs = fold_features(features, np.ones(len(features), dtype=bool))
store.write("model_inputs", inputs)
final = ["logistic", *(["tft"] if has_tft else [])]
for name in final:
    model = emkit.get_forecaster(name, **options.get(name, {}))
    model.fit(inputs, labels.reindex(inputs.index), HORIZONS)
    save_model(model, OUT / "models" / name, inputs, HORIZONS)
    step(f"{name} trained on every labelled day and saved to {OUT / 'models' / name}")
risk = latest_risk(load_model(OUT / "models" / final[-1]), inputs)["p_relapse_within_14d"]
highest = risk.sort_values(ascending=False).head(3)
shown = ", ".join(f"{p} {v:.2f} on {d:%Y-%m-%d}" for (p, d), v in highest.items())
print(f"  highest 14-day risk ({final[-1]}): {shown}")

# 7. The HTML report.
report = write_report(OUT / "evaluation")
step(f"report: {report.resolve()}")

"""TFT training time on CPU for a 50 x 365 synthetic cohort, beside the scikit-learn baselines.

Prints, for each forecaster, the time to fit on the training days of one rolling-origin split
(purge gap 30 days) and the held-out 14-day AUROC, with the oracle AUROC of the latent signal
and the ratio of TFT's fit time to the logistic baseline's. Features: lexical + sentiment.

    python bench/bench_tft.py                     # 50 patients x 365 days, horizons 7/14/30
    python bench/bench_tft.py --patients 12 --days 200
"""

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

import emkit
from emkit.evaluation import (
    auroc,
    cohort_labels,
    load_latent,
    normalise_index,
    rolling_origin_splits,
)
from emkit.synth import synthesize_cohort

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--patients", type=int, default=50)
parser.add_argument("--days", type=int, default=365)
parser.add_argument("--horizons", type=int, nargs="+", default=[7, 14, 30])
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()

if "tft" not in emkit.forecaster_names():
    raise SystemExit("the emkit-tft plugin is not installed: pip install -e plugins/emkit-tft")

with tempfile.TemporaryDirectory() as tmp:
    cohort = synthesize_cohort(Path(tmp) / "cohort", patients=args.patients, days=args.days)
    from emkit import read_cohort

    extractor = emkit.get_feature_extractor("lexical")
    features = normalise_index(
        pd.concat([extractor.transform(p.days()) for p in read_cohort(cohort)])
    ).select_dtypes("number")
    labels, _ = cohort_labels(cohort, args.horizons)
    labels = labels.reindex(features.index)
    latent = load_latent(cohort)

split = rolling_origin_splits(features.index, purge_days=max(args.horizons), n_folds=1)[0]
train_days = int(split.train.sum())
print(
    f"cohort {args.patients} patients x {args.days} days; {features.shape[1]} features; "
    f"training on {train_days} patient-days, testing on {int(split.test.sum())} "
    f"(horizons {args.horizons}, {args.threads} threads)"
)
y = labels["relapse_within_14d"][split.test]
scored = y.notna().to_numpy()
oracle = auroc(y[scored].to_numpy(), latent.reindex(y.index)[scored].to_numpy())
print(f"{'forecaster':<12}{'fit (s)':>10}{'CPU (s)':>10}{'epochs':>16}{'14-day AUROC':>14}")
timings = {}
for name, options in (
    ("logistic", {"threads": args.threads}),
    ("gbm", {"threads": args.threads}),
    ("tft", {"threads": args.threads}),
):
    model = emkit.get_forecaster(name, **options)
    started, cpu_started = time.perf_counter(), time.process_time()
    model.fit(features[split.train], labels[split.train], args.horizons)
    timings[name] = time.perf_counter() - started
    # CPU seconds of this process (all threads): the wall time on a shared machine is longer.
    cpu = time.process_time() - cpu_started
    proba = model.predict_proba(features)["p_relapse_within_14d"][split.test]
    score = auroc(y[scored].to_numpy(), proba[scored].to_numpy())
    epochs = getattr(model, "epochs_", {})
    shown = "/".join(str(epochs[h]) for h in sorted(epochs)) if epochs else "-"
    print(f"{name:<12}{timings[name]:>10.1f}{cpu:>10.1f}{shown:>16}{score:>14.3f}")
print(f"{'oracle':<12}{'':>10}{'':>10}{'':>16}{oracle:>14.3f}")
print(
    f"TFT fit: {timings['tft'] / 60:.1f} min for {len(args.horizons)} horizons "
    f"({timings['tft'] / timings['logistic']:.0f}x the logistic baseline); "
    f"acceptance: < 10 min -> {'holds' if timings['tft'] < 600 else 'does not hold'}"
)

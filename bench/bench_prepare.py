"""``emkit prepare`` on a 50-patient x 365-day synthetic cohort, and the labels figure.

Run: ``python bench/bench_prepare.py`` (part of ``make bench``). Prints the time to synthesise
the cohort, to read it and build the labels (what ``emkit prepare`` does), the oracle 14-day
AUROC of the hidden signal, and redraws ``docs/emkit/img/labels-timeline.png``.

Baseline side by side: a plain pandas implementation of the same labels (a per-day loop over
onsets), which also checks that both agree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import tempfile
import time
from pathlib import Path

from emkit import build_labels, label_column, plot_label_timeline, read_cohort
from emkit.synth import oracle_auroc, synthesize_cohort

FIGURE = Path(__file__).parents[1] / "docs" / "emkit" / "img" / "labels-timeline.png"


def naive_labels(patients, horizons, recovery_days=30):
    """The definition written as a plain loop (baseline)."""
    rows = {}
    for patient in patients:
        onsets = patient.relapse_onsets
        end = patient.observation_end
        for day in patient.days():
            t = day.date
            for h in horizons:
                ongoing = any(o <= t <= o + dt.timedelta(days=recovery_days) for o in onsets)
                if ongoing or t + dt.timedelta(days=h) > end:
                    value = math.nan
                else:
                    value = float(any(t < o <= t + dt.timedelta(days=h) for o in onsets))
                rows[(patient.patient_id, t, h)] = value
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--figure", type=Path, default=FIGURE)
    args = parser.parse_args()
    horizons = (7, 14, 30)
    with tempfile.TemporaryDirectory() as tmp:
        cohort = Path(tmp) / "cohort"
        start = time.perf_counter()
        synthesize_cohort(cohort, patients=args.patients, days=args.days, seed=0)
        synth_s = time.perf_counter() - start
        print(f"synth   : {args.patients} x {args.days} days in {synth_s:.2f} s")

        start = time.perf_counter()
        patients = read_cohort(cohort)
        labels = build_labels(patients, horizons)
        out = Path(tmp) / "labels.parquet"
        labels.to_parquet(out)
        prepare_s = time.perf_counter() - start
        print(f"prepare : {len(labels)} patient-days in {prepare_s:.2f} s (read + label + parquet)")

        fresh = read_cohort(cohort)
        for patient in fresh:
            _ = patient.messages  # same disk reads as above, outside the timing
        start = time.perf_counter()
        build_labels(fresh, horizons)
        ours_s = time.perf_counter() - start
        start = time.perf_counter()
        naive = naive_labels(fresh, horizons)
        naive_s = time.perf_counter() - start
        agree = all(
            (math.isnan(v) and math.isnan(labels.loc[(p, t), label_column(h)]))
            or v == labels.loc[(p, t), label_column(h)]
            for (p, t, h), v in list(naive.items())[:: max(1, len(naive) // 5000)]
        )
        print(
            f"labels  : emkit {ours_s:.3f} s vs plain loop {naive_s:.3f} s "
            f"({naive_s / ours_s:.1f}x); agree on sample: {agree}"
        )
        for h in horizons:
            column = labels[label_column(h)]
            print(
                f"  {h:>2} d  : {int((column == 1).sum())} positive, {int((column == 0).sum())} "
                f"negative, {int(column.isna().sum())} excluded"
            )
        print(f"oracle  : 14-day AUROC of latent = {oracle_auroc(cohort, 14):.3f}")
        # A typical patient: a few relapses, the last one well before the end of observation.
        typical = [
            p
            for p in patients
            if 2 <= len(p.relapse_onsets) <= 3
            and (p.observation_end - p.relapse_onsets[-1]).days > 60
        ]
        chosen = (typical or patients)[0]
        plot_label_timeline(chosen, args.figure, horizons)
        print(f"figure  : {args.figure} ({chosen.patient_id})")


if __name__ == "__main__":
    main()

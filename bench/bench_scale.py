"""emkit at scale: per-patient extraction fanned out on Dask, and SQLite vs PostgreSQL stores.

Measured side by side in this run, on the same synthetic cohort:

1. ``emkit features`` messages/s with the ``minillm`` extractor (a ``small`` TinyGPT, random
   weights: throughput does not depend on them), each run a fresh ``python -m emkit`` process
   writing a fresh SQLite store:

   - baseline: ``--executor serial`` (1 process), torch on 1 thread;
   - 1 process, torch on every core (what one process does best);
   - ``--executor dask --workers 1`` and ``--workers 2`` (LocalCluster, 1 torch thread per
     worker), and ``--workers 2`` writing to PostgreSQL.

   The fixed cost of each (start, cluster, model load) is measured by the same command on the
   finished store, where every patient is skipped; "steady" rates leave it out.
2. Store throughput, rows/s of a MiniLLM-shaped frame (256 float32 embedding columns + 27
   scalars), written one patient per write as ``emkit features`` does, then read whole:
   SQLite (baseline) vs PostgreSQL with embeddings as ``real[]`` and as ``bytea``.
3. An extrapolation to 1,000 patients x 365 days from the measured 2-worker steady rate
   (arithmetic, not a measurement).

PostgreSQL is a private pgserver (PostgreSQL 16) on a unix socket, started and stopped here.
Timings on a shared machine are noisy: each extraction line shows the CPU seconds it used (the
command and its worker processes) and the 1-minute load average when it started; a speed-up
needs free cores, so compare lines taken at a load below the number of cores.

Usage: ``python bench/bench_scale.py [--quick] [--patients 12] [--days 90] [--store-patients 50]``
(the defaults are the run in ``docs/emkit/scale.md``; ``--quick``: 6 x 40 and 8 patients).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from bench_store import frame_of  # the store benchmark's MiniLLM-shaped frame
from emkit_minillm.checkpoint import save_checkpoint
from emkit_minillm.model import PRESETS, TinyGPT
from emkit_minillm.tokenizer import train_tokenizer

from emkit import open_feature_store, read_cohort
from emkit.synth import synthesize_cohort


def start_postgres(folder: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset
        import pgserver

        return pgserver.get_server(folder, cleanup_mode="stop")


def make_checkpoint(cohort: Path, folder: Path) -> Path:
    import torch

    texts = [m.text for p in read_cohort(cohort) for d in p.days() for m in d.messages]
    base = PRESETS["small"]
    tokenizer = train_tokenizer(texts, base.vocab_size)
    config = dataclasses.replace(base, vocab_size=max(base.vocab_size, tokenizer.get_vocab_size()))
    torch.manual_seed(0)
    save_checkpoint(TinyGPT(config), tokenizer, folder)
    return folder


def run_features(cohort: Path, store_args: list[str], extra: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (the command and the worker processes under it) of one
    ``python -m emkit features`` run; fails loudly."""
    command = [sys.executable, "-m", "emkit", "features", str(cohort), *store_args, *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def extraction_bench(args, work: Path, pg_uri: str) -> float:
    cohort = synthesize_cohort(work / "cohort", patients=args.patients, days=args.days, seed=5)
    patients = read_cohort(cohort)
    messages = sum(len(d.messages) for p in patients for d in p.days())
    days = sum(len(p.days()) for p in patients)
    checkpoint = make_checkpoint(cohort, work / "ckpt")
    minillm = ["-e", "minillm", "-o", f"minillm.checkpoint={checkpoint}"]
    cores = os.cpu_count() or 1
    one_thread = [*minillm, "-o", "minillm.threads=1"]
    configs = [
        ("1 process, 1 torch thread (baseline)", one_thread, "sqlite"),
        (
            f"1 process, {cores} torch threads",
            [*minillm, "-o", f"minillm.threads={cores}"],
            "sqlite",
        ),
        (
            "dask LocalCluster, 1 worker",
            [*one_thread, "--executor", "dask", "--workers", "1"],
            "sqlite",
        ),
        (
            "dask LocalCluster, 2 workers",
            [*one_thread, "--executor", "dask", "--workers", "2"],
            "sqlite",
        ),
        (
            "dask LocalCluster, 2 workers -> postgres",
            [*one_thread, "--executor", "dask", "--workers", "2"],
            "postgres",
        ),
    ]
    print(
        f"== extraction: {len(patients)} patients, {days} patient-days, {messages} messages; "
        f"minillm small (n_embd 256, 4 layers); {cores} CPU cores"
    )
    print(
        f"{'configuration':44s} {'wall s':>7s} {'msg/s':>7s} {'fixed s':>8s} "
        f"{'steady msg/s':>12s} {'vs baseline':>11s} {'CPU s':>6s} {'load':>5s}"
    )
    baseline = None
    rates = {}
    for i, (label, extra, backend) in enumerate(configs):
        if backend == "sqlite":
            store_args = ["--store", str(work / f"run{i}.db")]
        else:
            store_args = [
                "--store-backend",
                "postgres",
                "--store",
                pg_uri,
                "--store-option",
                f"namespace=bench_run{i}",
            ]
        load = os.getloadavg()[0]
        wall, cpu = run_features(cohort, store_args, extra)
        fixed, _ = run_features(cohort, store_args, extra)  # everything skipped: the fixed cost
        steady = messages / max(wall - fixed, 1e-9)
        baseline = baseline or steady
        rates[label] = steady
        print(
            f"{label:44s} {wall:7.1f} {messages / wall:7.0f} {fixed:8.1f} "
            f"{steady:12.0f} {steady / baseline:10.2f}x {cpu:6.0f} {load:5.1f}"
        )
    two = rates["dask LocalCluster, 2 workers"]
    print(
        f"2 workers vs 1 worker (steady): {two / rates['dask LocalCluster, 1 worker']:.2f}x "
        f"(ideal on 2 free cores: 2x)"
    )
    return two * days / messages  # patient-days per second at 2 workers


def store_bench(args, work: Path, pg_uri: str) -> None:
    frame = frame_of(args.store_patients, 365, n_embd=256)
    rows = len(frame)
    stores = [
        ("sqlite (baseline)", lambda: open_feature_store("sqlite", work / "store.db")),
        (
            "postgres, real[] embeddings",
            lambda: open_feature_store(
                "postgres", pg_uri, namespace="bench_real", embedding_format="real[]"
            ),
        ),
        (
            "postgres, bytea embeddings",
            lambda: open_feature_store(
                "postgres", pg_uri, namespace="bench_bytea", embedding_format="bytea"
            ),
        ),
    ]
    print(
        f"== store: {args.store_patients} patients x 365 days = {rows} rows, 256 float32 "
        "embedding + 27 float64 columns; one write per patient, then one read of all"
    )
    print(
        f"{'store':30s} {'write rows/s':>12s} {'read rows/s':>12s} {'write vs':>9s} {'read vs':>8s}"
    )
    base = None
    for label, opener in stores:
        store = opener()
        start = time.perf_counter()
        for _, patient in frame.groupby(level=0, sort=False):
            store.write("llm", patient)
        write = rows / (time.perf_counter() - start)
        start = time.perf_counter()
        back = store.read("llm")
        read = rows / (time.perf_counter() - start)
        assert len(back) == rows
        np.testing.assert_array_equal(
            back["llm_emb_007"].to_numpy(), frame["llm_emb_007"].to_numpy()
        )
        base = base or (write, read)
        print(
            f"{label:30s} {write:12.0f} {read:12.0f} {write / base[0]:8.2f}x {read / base[1]:7.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small cohort and store frame")
    parser.add_argument("--patients", type=int, default=None, help="cohort patients (12)")
    parser.add_argument("--days", type=int, default=None, help="days per patient (90)")
    parser.add_argument("--store-patients", type=int, default=None, help="store frame (50)")
    args = parser.parse_args()
    args.patients = args.patients or (6 if args.quick else 12)
    args.days = args.days or (40 if args.quick else 90)
    args.store_patients = args.store_patients or (8 if args.quick else 50)
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    server = start_postgres(work / "pg")
    try:
        pg_uri = server.get_uri()
        store_bench(args, work, pg_uri)
        per_day = extraction_bench(args, work, pg_uri)
    finally:
        server.cleanup()
    seconds = 1000 * 365 / per_day
    print(
        f"== 1,000 patients x 365 days, extrapolated (arithmetic from the 2-worker steady rate, "
        f"not measured): {seconds / 3600:.1f} h on this 2-core machine; "
        f"{seconds / 3600 / 10:.2f} h on 10 such machines (20 workers) if it scales linearly"
    )


if __name__ == "__main__":
    main()

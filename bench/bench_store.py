"""SQLite feature store: write and read throughput (rows/s) for MiniLLM-shaped feature frames.

Baseline, measured side by side: writing the same frame to parquet and reading it back (no
versions, no point-in-time reads) — the cost of what the store adds.

Usage: ``python bench/bench_store.py [--patients 50] [--days 365] [--embd 256]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from emkit import FEATURE_INDEX, open_feature_store


def frame_of(patients: int, days: int, n_embd: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [[f"p{i:03d}" for i in range(patients)], pd.date_range("2024-01-01", periods=days).date],
        names=list(FEATURE_INDEX),
    )
    frame = pd.DataFrame(
        rng.normal(size=(len(index), n_embd)).astype(np.float32),
        index=index,
        columns=[f"llm_emb_{i:03d}" for i in range(n_embd)],
    )
    for column in ("llm_perplexity", "llm_attention_entropy", "llm_perplexity_trend_7d"):
        frame[column] = rng.uniform(1, 40, len(index))
    for i in range(24):
        frame[f"lex_feature_{i:02d}"] = rng.normal(size=len(index))
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--embd", type=int, default=256)
    args = parser.parse_args()
    frame = frame_of(args.patients, args.days, args.embd)
    rows = len(frame)
    folder = Path(tempfile.mkdtemp(prefix="bench-store-"))
    store = open_feature_store("sqlite", folder / "features.db")

    start = time.perf_counter()
    store.write("llm", frame)
    write_s = time.perf_counter() - start
    start = time.perf_counter()
    back = store.read("llm")
    read_s = time.perf_counter() - start
    assert len(back) == rows
    mid = dt.datetime.now(dt.UTC)
    store.write("llm", frame.iloc[: rows // 10].assign(llm_perplexity=0.0))
    start = time.perf_counter()
    store.read("llm", as_of=mid)
    as_of_s = time.perf_counter() - start

    start = time.perf_counter()
    frame.reset_index().to_parquet(folder / "llm.parquet", index=False)
    pq_write_s = time.perf_counter() - start
    start = time.perf_counter()
    pd.read_parquet(folder / "llm.parquet")
    pq_read_s = time.perf_counter() - start

    print(f"{rows} rows x {frame.shape[1]} columns ({args.embd} float32 embedding dims)")
    table = [
        ("sqlite write (one transaction)", rows / write_s, pq_write_s / write_s),
        ("sqlite read (latest rows)", rows / read_s, pq_read_s / read_s),
        ("sqlite read as_of (with history)", rows / as_of_s, pq_read_s / as_of_s),
        ("parquet write (baseline)", rows / pq_write_s, 1.0),
        ("parquet read (baseline)", rows / pq_read_s, 1.0),
    ]
    print(f"{'operation':<36}{'rows/s':>14}{'speed vs parquet':>18}")
    for label, rate, ratio in table:
        print(f"{label:<36}{rate:>14,.0f}{ratio:>18.2f}")
    size = (folder / "features.db").stat().st_size + sum(
        p.stat().st_size for p in folder.glob("features.db-*")
    )
    print(f"store file: {size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()

"""Study-engine latency: ``next_topic`` and ``update_progress`` on a large ``temario.db``.

Builds a database with 100k topics / 100k scheduled cards and 1M logged reviews (executemany,
one transaction), then times, per call, ``next_topic()`` followed by ``update_progress()`` on a
mix of ratings, and prints p50 / p99 in milliseconds (target: p99 < 5 ms). Side by side, the same
queue query run without its index (``NOT INDEXED``: a scan and sort of every scheduled card) is
timed as the baseline. Wall-clock times include waiting for the CPU on a loaded machine; the CPU
columns (``time.thread_time``) show the calls' own cost.

Run: ``python bench/bench_study.py [--cards N] [--reviews N] [--calls N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

from medcards import MCQDrill
from medcards.study import DailyLimits, StudyEngine

NOW = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
DAY = 86_400.0


def build(path: Path, cards: int, reviews: int, seed: int = 0) -> None:
    """Fill ``path`` with ``cards`` topics/cards/states and ``reviews`` logged reviews."""
    rng = random.Random(seed)
    now = NOW.timestamp()
    body = MCQDrill(
        topic="Tema",
        vignette="Paciente de 54 años con dolor torácico opresivo.",
        question="¿Cuál es el siguiente paso?",
        options=["ECG de 12 derivaciones", "Alta", "TAC craneal", "Antibiótico"],
        answer_index=0,
        explanation="Ante dolor torácico, ECG en menos de 10 minutos.",
        evidence="ECG en menos de 10 minutos.",
    ).model_dump_json()
    engine = StudyEngine(path)
    conn = engine.conn
    modules = ["Cardiología", "Neumología", "Neurología", "Nefrología", "Endocrinología"]
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO topics (topic_id, title, context, modulo, priority, date_assigned, level,"
        " introduced_at, created_at) VALUES (?, ?, '', ?, ?, '2025-01-01', 1, ?, ?)",
        (
            (i, f"Tema {i}", modules[i % 5], rng.randint(0, 5), now - 90 * DAY, now - 90 * DAY)
            for i in range(1, cards + 1)
        ),
    )
    conn.executemany(
        "INSERT INTO cards (card_id, uid, topic_id, kind, body, created_at)"
        " VALUES (?, ?, ?, 'mcq', ?, ?)",
        ((i, uuid.uuid4().hex, i, body, now - 90 * DAY) for i in range(1, cards + 1)),
    )

    def state_row(i: int) -> tuple[object, ...]:
        # about 5 % due or overdue, the rest spread over the next 60 days
        due = (
            now + rng.uniform(-5, 0.0) * DAY
            if rng.random() < 0.05
            else now + rng.uniform(0.01, 60) * DAY
        )
        interval = rng.randint(1, 60)
        due_iso = dt.datetime.fromtimestamp(due, dt.UTC).isoformat()
        last_iso = dt.datetime.fromtimestamp(due - interval * DAY, dt.UTC).isoformat()
        state = (
            f'{{"scheduler":"sm2","due":"{due_iso}","interval_days":{interval},'
            f'"ease":2.5,"repetitions":3,"last_review":"{last_iso}","data":{{}}}}'
        )
        return (
            i,
            due,
            math.floor(due / DAY),
            rng.randint(0, 5),
            interval,
            due - interval * DAY,
            state,
        )

    conn.executemany(
        "INSERT INTO card_state (card_id, scheduler, due, due_day, priority, interval_days, ease,"
        " repetitions, last_review, state_json, active) VALUES (?, 'sm2', ?, ?, ?, ?, 2.5, 3, ?,"
        " ?, 1)",
        (state_row(i) for i in range(1, cards + 1)),
    )
    start = now - 365 * DAY
    step = 365 * DAY / reviews
    conn.executemany(
        "INSERT INTO reviews (card_id, topic_id, kind, rating, reviewed_at, first_review,"
        " scheduler, interval_days, due, level_before, level_after)"
        " VALUES (?, ?, 'mcq', ?, ?, 0, 'sm2', 6, ?, 1, 1)",
        (
            (
                (j % cards) + 1,
                (j % cards) + 1,
                rng.randint(1, 4),
                start + j * step,
                start + j * step + 6 * DAY,
            )
            for j in range(reviews)
        ),
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    engine.close()


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def main() -> None:
    """Build the database, time the calls, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=2_000)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "temario.db"
        t0 = time.perf_counter()
        build(path, args.cards, args.reviews)
        build_s = time.perf_counter() - t0
        console.print(
            f"built {args.cards:,} cards and {args.reviews:,} reviews in {build_s:.1f} s "
            f"({path.stat().st_size / 1e6:.0f} MB)"
        )
        engine = StudyEngine(path, limits=DailyLimits(new_topics=10**9, reviews=10**9))
        rng = random.Random(1)
        next_ms: list[float] = []
        update_ms: list[float] = []
        next_cpu: list[float] = []
        update_cpu: list[float] = []
        baseline_ms: list[float] = []
        stamp = NOW.timestamp()
        for i in track(range(args.calls), description="next_topic + update_progress"):
            now = NOW + dt.timedelta(seconds=i)
            t, c = time.perf_counter(), time.thread_time()
            item = engine.next_topic(now)
            next_ms.append((time.perf_counter() - t) * 1e3)
            next_cpu.append((time.thread_time() - c) * 1e3)
            if item is None:
                break
            rating = rng.choices([2, 3, 4], weights=[2, 6, 2])[0]
            t, c = time.perf_counter(), time.thread_time()
            engine.update_progress(item, rating, now)
            update_ms.append((time.perf_counter() - t) * 1e3)
            update_cpu.append((time.thread_time() - c) * 1e3)
            if i % 10 == 0:
                t = time.perf_counter()
                engine.conn.execute(
                    "SELECT card_id FROM card_state NOT INDEXED WHERE active = 1 AND due <= ?"
                    " ORDER BY due_day, priority DESC, due LIMIT 1",
                    (stamp + i,),
                ).fetchone()
                baseline_ms.append((time.perf_counter() - t) * 1e3)
        engine.close()
    table = Table(title=f"study engine, {args.cards:,} cards, {args.reviews:,} reviews")
    for column in ("operation", "calls", "p50 ms", "p99 ms", "mean ms", "CPU p50", "CPU p99"):
        table.add_column(column, justify="right")
    for name, values, cpu in (
        ("next_topic", next_ms, next_cpu),
        ("update_progress", update_ms, update_cpu),
        ("baseline: queue query without index", baseline_ms, None),
    ):
        table.add_row(
            name,
            str(len(values)),
            f"{statistics.median(values):.3f}",
            f"{percentile(values, 0.99):.3f}",
            f"{statistics.fmean(values):.3f}",
            "" if cpu is None else f"{statistics.median(cpu):.3f}",
            "" if cpu is None else f"{percentile(cpu, 0.99):.3f}",
        )
    console.print(table)
    ratio = statistics.median(baseline_ms) / statistics.median(next_ms)
    worst = max(percentile(next_ms, 0.99), percentile(update_ms, 0.99))
    worst_cpu = max(percentile(next_cpu, 0.99), percentile(update_cpu, 0.99))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    console.print(
        f"machine: {os.cpu_count()} CPU(s), 1-minute load average {load:.1f} "
        "(wall-clock tails grow with the load; CPU columns are this thread's own CPU time)"
    )
    console.print(
        f"next_topic p50 is {ratio:.1f}x faster than the unindexed queue query; "
        f"worst p99 {worst:.2f} ms wall-clock ({'met' if worst < 5 else 'NOT met'}), "
        f"{worst_cpu:.2f} ms CPU ({'met' if worst_cpu < 5 else 'NOT met'}); target < 5 ms"
    )


if __name__ == "__main__":
    main()

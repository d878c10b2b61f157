"""Page latency of ``medcards serve`` on the 100k-card benchmark database.

Builds the study benchmark's database (``bench/bench_study.py``: 100k topics and scheduled
cards, 1M logged reviews), starts the web app with uvicorn on 127.0.0.1 (a free port, in a
thread) and times, over HTTP with a keep-alive client, ``GET /study`` (the next card with its
four next-due previews) and ``POST /study/rate`` (CSRF-checked, idempotent rating, then the
redirect), 200 of each by default. Side by side, the baseline is the same work without the web
layer: ``next_topic`` + ``preview`` and ``update_progress`` called on the engine directly. It
prints p50 / p95 / p99 in milliseconds and the web / engine ratio at p95.

Run: ``python bench/bench_web.py [--cards N] [--reviews N] [--requests N]``; ``--quick`` (2,000
cards, 20,000 reviews, 30 requests) checks that it runs in seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from medcards_web import create_app
from rich.console import Console

from medcards.study import DailyLimits, StudyEngine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_study import NOW, build  # the study benchmark's database builder


def clock() -> dt.datetime:
    """The benchmark database's "now" (its due cards sit around it), advancing in real time."""
    return NOW + dt.timedelta(seconds=time.perf_counter() - STARTED)


STARTED = time.perf_counter()


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def time_web(db: Path, requests: int) -> tuple[list[float], list[float]]:
    """``GET /study`` and ``POST /study/rate`` latencies (ms) over HTTP."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(db, clock=clock), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    page_ms: list[float] = []
    rate_ms: list[float] = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            client.get("/")
            csrf = client.cookies["medcards_csrf"]
            for i in range(requests):
                t = time.perf_counter()
                page = client.get("/study")
                page_ms.append((time.perf_counter() - t) * 1e3)
                card = re.search(r'name="card_id" value="(\d+)"', page.text)
                shown = re.search(r'name="shown" value="(\d+)"', page.text)
                if page.status_code != 200 or card is None or shown is None:
                    raise SystemExit(f"GET /study gave {page.status_code}: no card to rate")
                form = {
                    "csrf": csrf,
                    "card_id": card.group(1),
                    "shown": shown.group(1),
                    "rating": str(2 + i % 3),
                }
                t = time.perf_counter()
                rated = client.post("/study/rate", data=form)
                rate_ms.append((time.perf_counter() - t) * 1e3)
                if rated.status_code != 303:
                    raise SystemExit(f"POST /study/rate gave {rated.status_code}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return page_ms, rate_ms


def time_engine(db: Path, requests: int) -> tuple[list[float], list[float]]:
    """The baseline: ``next_topic`` + ``preview`` and ``update_progress`` on the engine."""
    page_ms: list[float] = []
    rate_ms: list[float] = []
    with StudyEngine(db, limits=DailyLimits(new_topics=10**6, reviews=10**6)) as engine:
        for i in range(requests):
            now = clock()
            t = time.perf_counter()
            item = engine.next_topic(now)
            assert item is not None
            engine.preview(item, now)
            shown = engine.reviews_of(item.card.card_id)
            page_ms.append((time.perf_counter() - t) * 1e3)
            t = time.perf_counter()
            engine.update_progress(item, 2 + i % 3, now, shown_reviews=shown)
            rate_ms.append((time.perf_counter() - t) * 1e3)
    return page_ms, rate_ms


def main() -> None:
    """Build the database, time both sides, print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--quick", action="store_true", help="2,000 cards, 20,000 reviews, 30 requests"
    )
    args = parser.parse_args()
    if args.quick:
        args.cards, args.reviews, args.requests = 2_000, 20_000, 30
    out = Console(highlight=False)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "temario.db"
        t0 = time.perf_counter()
        build(db, args.cards, args.reviews)
        with StudyEngine(db) as engine:
            engine.save_settings({"web": {"reviews_per_day": 100_000, "new_topics_per_day": 0}})
        out.print(
            f"built {args.cards:,} cards and {args.reviews:,} reviews in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        web_page, web_rate = time_web(db, args.requests)
        base_page, base_rate = time_engine(db, args.requests)
    out.print(f"{'operation':<44}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    rows = [
        ("web: GET /study", web_page),
        ("web: POST /study/rate", web_rate),
        ("baseline engine: next_topic + preview", base_page),
        ("baseline engine: update_progress", base_rate),
    ]
    for name, values in rows:
        out.print(
            f"{name:<44}{len(values):>6}{statistics.median(values):>10.2f}"
            f"{percentile(values, 0.95):>10.2f}{percentile(values, 0.99):>10.2f}"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    page_ratio = percentile(web_page, 0.95) / percentile(base_page, 0.95)
    rate_ratio = percentile(web_rate, 0.95) / percentile(base_rate, 0.95)
    out.print(
        f"p95 web / engine: study page {page_ratio:.1f}x, rating {rate_ratio:.1f}x "
        f"({os.cpu_count()} CPU(s), 1-minute load {load:.1f})"
    )


if __name__ == "__main__":
    main()

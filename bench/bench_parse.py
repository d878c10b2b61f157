"""Parse throughput on a 100k-message WhatsApp export: emkit vs whatstk on the same file.

Run: ``python bench/bench_parse.py`` (part of ``make bench``). Prints messages per second of
each parser, their ratio, and whether both found the same number of messages.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import emkit
from emkit.synth import simulate_patient, write_exports


def build_export(folder: Path, target: int) -> Path:
    """A synthetic Android (es) export with at least ``target`` messages."""
    days = 365
    while True:
        patient = simulate_patient("p001", 0, days, seed=0)
        n = sum(len(m) for m in patient.days.values())
        if n * 1.35 >= target:  # the relative's replies add ~35 %
            break
        days = int(days * target / max(n * 1.35, 1)) + 30
    return write_exports(folder, patient.days, seed=0, index=0)["whatsapp-android-es.txt"]


def best_of(repeat: int, func):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = build_export(Path(tmp), args.messages)
        lines = path.read_text(encoding="utf-8").count("\n")
        print(f"export: {path.name}, {lines} lines, {path.stat().st_size / 1e6:.1f} MB")
        emkit_s, export = best_of(
            args.repeat, lambda: emkit.get_chat_parser("whatsapp").parse(path)
        )
        n_emkit = len(export.messages)
        rate = n_emkit / emkit_s
        print(f"emkit   : {n_emkit:>7} messages in {emkit_s:6.3f} s = {rate:>10,.0f} msg/s")
        try:
            from whatstk import df_from_whatsapp
        except ImportError:
            print("whatstk : not installed (pip install whatstk) - no baseline")
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            whatstk_s, frame = best_of(
                args.repeat,
                lambda: df_from_whatsapp(
                    str(path), auto_header=False, hformat="%d/%m/%y, %H:%M - %name:", max_size=None
                ),
            )
        n_whatstk = len(frame)
        print(
            f"whatstk : {n_whatstk:>7} messages in {whatstk_s:6.3f} s = "
            f"{n_whatstk / whatstk_s:>10,.0f} msg/s"
        )
        print(f"ratio   : emkit is {whatstk_s / emkit_s:.2f}x the speed of whatstk")
        note = "same" if n_emkit - 1 == n_whatstk else "DIFFERENT"
        print(f"counts  : {note} (emkit also returns the system line whatstk drops)")


if __name__ == "__main__":
    main()

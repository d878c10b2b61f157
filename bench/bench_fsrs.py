"""FSRS fitted to the student, and the exam-date mode, on simulated learners.

1. Fit: the engine's simulated learner (200 topics x 120 days, recall ``exp(-t/S)``; not an
   FSRS learner) studies with FSRS; the ``fsrs`` optimizer fits on 80 % of the topics and the
   log loss of the default weights (the baseline) and of the fitted ones is measured on the
   held-out 20 %, for three learner seeds.
2. Exam-date mode: an FSRS learner studies 60 topics for 40 days at desired retention 0.8; the
   share of cards whose recall on the exam day reaches the target, with the mode and without it
   (the baseline), and the reviews each needed.

Run: ``python bench/bench_fsrs.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from medcards_web import fit_fsrs
from medcards_web.simulation import simulate_exam, simulate_study
from rich.console import Console
from rich.table import Table


def main() -> None:
    """Run both simulations and print the tables."""
    out = Console(highlight=False)
    fit = Table(title="FSRS fitted on 160 topics, scored on 40 held-out topics (log loss)")
    for column in (
        "seed",
        "reviews",
        "fit on",
        "held out",
        "defaults",
        "fitted",
        "fitted/defaults",
    ):
        fit.add_column(column, justify="right")
    exam = Table(title="Exam-date mode: 60 topics, exam on day 40, desired retention 0.8")
    for column in ("target", "mode", "cards at target", "mean recall", "reviews"):
        exam.add_column(column, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (11, 12, 13):
            engine = simulate_study(Path(tmp) / f"fit{seed}.db", seed=seed)
            log = engine.review_log()
            engine.close()
            result = fit_fsrs(log, seed=0)
            fit.add_row(
                str(seed),
                str(len(log)),
                str(result.train_reviews),
                str(result.heldout_reviews),
                f"{result.loss_default:.4f}",
                f"{result.loss_fitted:.4f}",
                f"{result.loss_fitted / result.loss_default:.3f}",
            )
        for target in (0.85, 0.9, 0.95):
            for mode in (True, False):
                run = simulate_exam(
                    Path(tmp) / f"exam{target}{mode}.db", exam_target=target if mode else None
                )
                exam.add_row(
                    f"{target:.2f}",
                    "exam date" if mode else "baseline",
                    f"{run.reached(target):.0%}",
                    f"{run.mean:.3f}",
                    str(run.reviews),
                )
    out.print(fit)
    out.print(exam)


if __name__ == "__main__":
    main()

"""Draw the figures of the medcards study pages (run from the repository root).

``python docs/medcards/figures/make_study_figures.py`` writes ``scheduler_intervals.png``
(intervals SM-2 and FSRS give to the same ratings) and ``dashboard.png`` (the dashboard of a
simulated learner, 40 topics over 60 days) next to this script.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from medcards import Rating, atomic_write_bytes, get_scheduler
from medcards.study import StudyEngine, compute_dashboard, plot_dashboard

HERE = Path(__file__).parent
START = dt.datetime(2025, 1, 6, 8, tzinfo=dt.UTC)


def scheduler_intervals(path: Path) -> None:
    """Intervals after each review of two rating sequences, SM-2 vs FSRS (90 % and 80 %)."""
    sequences = {
        "siempre Good": [Rating.GOOD] * 7,
        "Good, Fail en la 4.ª, Good": [Rating.GOOD] * 3 + [Rating.FAIL] + [Rating.GOOD] * 3,
    }
    schedulers = {
        "SM-2": get_scheduler("sm2"),
        "FSRS (retención 0,9)": get_scheduler("fsrs", desired_retention=0.9),
        "FSRS (retención 0,8)": get_scheduler("fsrs", desired_retention=0.8),
    }
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True, constrained_layout=True)
    for ax, (title, ratings) in zip(axes, sequences.items(), strict=True):
        for label, scheduler in schedulers.items():
            state, when, intervals = None, START, []
            for rating in ratings:
                state = scheduler.review(state, rating, when)
                intervals.append(max(state.interval_days, 0.01))
                when = state.due
            ax.plot(range(1, len(ratings) + 1), intervals, marker="o", label=label)
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("repaso n.º (cada uno en su fecha de vencimiento)")
    axes[0].set_ylabel("intervalo hasta el siguiente repaso (días)")
    axes[0].legend()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())


def simulated_dashboard(path: Path) -> None:
    """Dashboard of a learner whose recall is exp(-days / S) (S x3 per success, /2 per lapse)."""
    from medcards import Fact, MCQDrill, OpenDrill

    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp, StudyEngine(Path(tmp) / "t.db") as engine:
        for i in range(40):
            topic = engine.add_topic(
                f"Tema {i}",
                modulo=["Cardiología", "Neumología", "Neurología"][i % 3],
                date_assigned=START.date() + dt.timedelta(days=i // 4),
                now=START,
            )
            fact = Fact(text=f"Hecho {i}", evidence=f"Hecho {i}")
            engine.add_card(
                topic,
                MCQDrill(
                    topic=topic.title,
                    vignette="Caso.",
                    question="¿Qué?",
                    options=["a", "b", "c", "d"],
                    answer_index=0,
                    explanation="a",
                    evidence="a",
                ),
            )
            engine.add_card(topic, OpenDrill(topic=topic.title, challenge="?", key_points=[fact]))
        stability: dict[int, float] = {}
        last: dict[int, dt.datetime] = {}
        for day in range(60):
            now = START + dt.timedelta(days=day)
            while (item := engine.next_topic(now)) is not None:
                tid = item.topic.topic_id
                s = stability.get(tid, 3.0)
                p = math.exp(-(now - last[tid]).days / s) if tid in last else 0.8
                last[tid] = now
                if rng.random() > p:
                    stability[tid], rating = max(2.0, s / 2), Rating.FAIL
                else:
                    stability[tid] = s * 3
                    rating = Rating.EASY if p > 0.75 else Rating.GOOD
                engine.update_progress(item.card, rating, now)
                now += dt.timedelta(minutes=2)
        plot_dashboard(compute_dashboard(engine, START + dt.timedelta(days=60)), path)


if __name__ == "__main__":
    scheduler_intervals(HERE / "scheduler_intervals.png")
    simulated_dashboard(HERE / "dashboard.png")
    print("figures written to", HERE)

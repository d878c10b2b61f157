"""The medcards study loop through the library API.

Ingests two sample guides, lets the extractive generator write the drills, studies them over 90
simulated days (a Fail on day 2 creates an angle variant that must be passed; Easy answers walk
the topics from the MCQ level to open recall and to mastery), shows the dashboard and exports an
Anki package. Outputs go to ``out/medcards_study/``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import medcards
from medcards import split_guide
from medcards.study import (
    MasteryRules,
    StudyEngine,
    compute_dashboard,
    export_apkg,
    plot_dashboard,
)

GUIDES = Path(__file__).parent / "guides"
OUT = Path("out") / "medcards_study"
START = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)


def main() -> None:
    """Run the study loop and print what happened."""
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "temario.db"
    db.unlink(missing_ok=True)
    generator = medcards.get_card_generator("extractive")
    rules = MasteryRules(mastered_after=2)  # seed defaults, but two level-2 successes suffice
    with StudyEngine(db, scheduler="sm2", generator=generator, rules=rules) as engine:
        for guide in sorted(GUIDES.glob("*.md"))[:2]:
            for topic in split_guide(guide, modulo=guide.stem.replace("_", " ")):
                engine.add_topic(
                    topic.title, topic.context, modulo=topic.modulo, date_assigned=START.date()
                )

        # Day by day: the first review of day 2 is failed, every other answer is Easy.
        failed = False
        for day in range(90):
            now = START + dt.timedelta(days=day)
            while (item := engine.next_topic(now)) is not None:
                rating = medcards.Rating.EASY
                if day == 1 and item.reason == "review" and not failed:
                    rating, failed = medcards.Rating.FAIL, True
                outcome = engine.update_progress(item, rating, now)
                print(
                    f"{now:%Y-%m-%d} {item.reason:6} {item.card.kind.value:7} "
                    f"{item.topic.title[:40]:40} {rating.name:4} -> nivel {outcome.level_after}"
                    + (f", ángulo #{outcome.angle_id}" if outcome.angle_id else "")
                )
                now += dt.timedelta(minutes=5)

        board = compute_dashboard(engine, START + dt.timedelta(days=90))
        print("niveles:", board.levels, "| repasos hoy:", board.due_today)
        print("retención:", {r.modulo: r.retention for r in board.retention})
        plot = plot_dashboard(board, OUT / "dashboard.png")
        package = export_apkg(engine, OUT / "medcards.apkg")
    print(f"base de datos: {db}\ngráfico: {plot}\nAnki: {package.path} ({package.size_bytes} B)")


if __name__ == "__main__":
    main()

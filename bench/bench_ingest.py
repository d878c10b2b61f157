"""Ingest bench: pages/s of the PDF reader, and topics and cards per guide in every format.

Each sample guide of ``examples/guides/`` is printed as a two-column PDF (with its table of
doses where it has one), an HTML page and a DOCX (``medcards_documents.samples``), then:

(a) Reading speed, side by side on the same PDFs: the ``pdf`` reader (layout, headings, running
    lines, tables, page positions) against the named baseline, pdfplumber's plain
    ``page.extract_text()`` on every page (no layout work, no tables). Also a long guide: every
    sample guide in one PDF. Pages/s and the ratio reader/baseline (seconds).
(b) Per guide and format (md, pdf, html, docx): topics, cards and located evidence. Cards are
    the extractive generator's BattleCard, MCQ and open drill (seed 0) of each topic; located
    is the share of evidence quotes :func:`medcards.locate_card` finds in their topic (so it can
    name the section; and the line of a Markdown guide), and for PDFs the share with a page.

Usage::

    python bench/bench_ingest.py [--quick] [--repeat N]

``--quick`` uses the four guides printed with a table and one repetition.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pdfplumber
from medcards_documents.samples import (
    GUIDE_TABLES,
    write_sample_docx,
    write_sample_html,
    write_sample_pdf,
)

import medcards

ROOT = Path(__file__).parents[1]
GUIDES = ROOT / "examples" / "guides"
KINDS = ("battlecard", "mcq", "open")


def _best(seconds: list[float]) -> float:
    return min(seconds)


def _time(action, repeat: int) -> float:  # type: ignore[no-untyped-def]
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append(time.perf_counter() - start)
    return _best(runs)


def _baseline(pdf: Path) -> int:
    with pdfplumber.open(pdf) as document:
        return sum(len(page.extract_text() or "") for page in document.pages)


def _pages(pdf: Path) -> int:
    with pdfplumber.open(pdf) as document:
        return len(document.pages)


def _cards(topics: list[medcards.GuideSection]) -> tuple[int, int, int, int]:
    """(cards, evidence quotes, located quotes, quotes with a page) over ``topics``."""
    generator = medcards.get_card_generator("extractive")
    cards = quotes = located = paged = 0
    for topic in topics:
        for kind in KINDS:
            request = medcards.CardRequest(
                topic=topic.title, context=topic.context, kind=kind, seed=0
            )
            try:
                card = medcards.locate_card(generator.generate(request), topic)
            except medcards.CardRejected:
                continue
            cards += 1
            if isinstance(card, medcards.MCQDrill):
                locations = [card.location]
            elif isinstance(card, medcards.BattleCard):
                locations = [f.location for f in card.facts()]
            else:
                locations = [f.location for f in card.key_points]
            for location in locations:
                quotes += 1
                if location is not None and location.section is not None:
                    located += 1  # the quote was found in its topic: section, page or line
                if location is not None and location.first_page:
                    paged += 1
    return cards, quotes, located, paged


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Four guides, one repetition.")
    parser.add_argument("--repeat", type=int, default=3, help="Timing repetitions (best kept).")
    args = parser.parse_args()
    repeat = 1 if args.quick else args.repeat
    guides = sorted(GUIDES.glob("*.md"))
    if args.quick:
        guides = [GUIDES / f"{stem}.md" for stem in sorted(GUIDE_TABLES)]
    medcards.load_plugins()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        printed: dict[str, dict[str, Path]] = {}
        for guide in guides:
            printed[guide.stem] = {
                "md": guide,
                "pdf": write_sample_pdf(guide, out / f"{guide.stem}.pdf"),
                "html": write_sample_html(guide, out / f"{guide.stem}.html"),
                "docx": write_sample_docx(guide, out / f"{guide.stem}.docx"),
            }
        long_md = out / "todas_las_guias.md"
        long_md.write_text(
            "\n\n".join(g.read_text(encoding="utf-8") for g in guides), encoding="utf-8"
        )
        long_pdf = write_sample_pdf(long_md, out / "todas_las_guias.pdf")

        print("(a) PDF reading speed; baseline: pdfplumber extract_text() on every page")
        print(f"{'pdf':<28}{'pages':>6}{'reader pages/s':>16}{'baseline pages/s':>18}{'ratio':>8}")
        rows = [(stem, files["pdf"]) for stem, files in printed.items()]
        rows.append(("all guides in one PDF", long_pdf))
        ratios = []
        total_pages = total_reader = total_baseline = 0.0
        for name, pdf in rows:
            pages = _pages(pdf)
            reader = _time(lambda pdf=pdf: medcards.read_guide(pdf), repeat)
            baseline = _time(lambda pdf=pdf: _baseline(pdf), repeat)
            ratios.append(reader / baseline)
            if name != "all guides in one PDF":
                total_pages += pages
                total_reader += reader
                total_baseline += baseline
            print(
                f"{name[:27]:<28}{pages:>6}{pages / reader:>16.1f}{pages / baseline:>18.1f}"
                f"{reader / baseline:>8.2f}"
            )
        print(
            f"{'sample guides, total':<28}{int(total_pages):>6}{total_pages / total_reader:>16.1f}"
            f"{total_pages / total_baseline:>18.1f}{total_reader / total_baseline:>8.2f}"
        )
        print(f"median ratio reader/baseline: {statistics.median(ratios):.2f}")

        print("\n(b) topics and cards per guide (extractive: battlecard, mcq, open per topic)")
        header = f"{'guide':<28}{'format':<7}{'topics':>7}{'cards':>7}{'quotes':>8}"
        print(header + f"{'located':>9}{'with page':>11}{'ingest s':>10}")
        sums: dict[str, list[int]] = {}
        for stem, files in printed.items():
            for fmt, path in files.items():
                start = time.perf_counter()
                topics = medcards.split_guide(path, "bench")
                seconds = time.perf_counter() - start
                cards, quotes, located, paged = _cards(topics)
                total = sums.setdefault(fmt, [0, 0, 0, 0, 0])
                for i, value in enumerate((1, len(topics), cards, quotes, located)):
                    total[i] += value
                print(
                    f"{stem[:27]:<28}{fmt:<7}{len(topics):>7}{cards:>7}{quotes:>8}"
                    f"{located / max(quotes, 1):>9.0%}"
                    + (f"{paged / max(quotes, 1):>11.0%}" if fmt == "pdf" else f"{'-':>11}")
                    + f"{seconds:>10.3f}"
                )
        print()
        for fmt, (n, topics_n, cards_n, quotes_n, located_n) in sums.items():
            print(
                f"{fmt:<5} mean per guide: {topics_n / n:.1f} topics, {cards_n / n:.1f} cards; "
                f"{located_n / max(quotes_n, 1):.0%} of {quotes_n} quotes located"
            )


if __name__ == "__main__":
    main()

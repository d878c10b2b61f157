"""Acceptance: extractive cards from the sample PDFs carry the page their evidence is printed
on, and every table row with a dose or threshold can become a card."""

from __future__ import annotations

from pathlib import Path

import pytest
from medcards_documents.samples import GUIDE_TABLES

import medcards

GUIDES_DIR = Path(__file__).parents[3] / "examples" / "guides"
TABLE_GUIDES = [GUIDES_DIR / f"{stem}.md" for stem in sorted(GUIDE_TABLES)]
ALL_GUIDES = sorted(GUIDES_DIR.glob("*.md"))
#: Seeds tried per card kind (each seed picks another candidate card).
SEEDS = {"battlecard": 1, "mcq": 6, "open": 3}


def _cards(topic: medcards.GuideSection, seeds_of=SEEDS) -> list[medcards.Card]:
    """The extractive generator's distinct cards of every kind for ``topic`` (seed by seed)."""
    generator = medcards.get_card_generator("extractive")
    cards: dict[str, medcards.Card] = {}
    for kind, seeds in seeds_of.items():
        for seed in range(seeds):
            request = medcards.CardRequest(
                topic=topic.title, context=topic.context, kind=kind, seed=seed
            )
            try:
                card = generator.generate(request)
            except medcards.CardRejected:
                break  # nothing of this kind in the topic
            cards.setdefault(medcards.card_id(card), card)
    return list(cards.values())


def _without_locations(data: object) -> object:
    """A card dump with every ``location`` key taken out (locating must change nothing else)."""
    if isinstance(data, dict):
        return {k: _without_locations(v) for k, v in data.items() if k != "location"}
    if isinstance(data, list):
        return [_without_locations(v) for v in data]
    return data


def _evidence(card: medcards.Card) -> list[tuple[str, medcards.SourceLocation | None]]:
    if isinstance(card, medcards.MCQDrill):
        return [(card.evidence, card.location)]
    facts = card.facts() if isinstance(card, medcards.BattleCard) else card.key_points
    return [(f.evidence, f.location) for f in facts]


def _printed_on(quote: str, pages: list[str], first: int, last: int) -> bool:
    if first == last:
        return quote in pages[first - 1]
    if last != first + 1:
        return False
    # Across the break: a head of the quote ends page `first`, the rest is on page `last`.
    return any(
        quote[:k] in pages[first - 1] and quote[k:] in pages[last - 1] for k in range(1, len(quote))
    )


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["two-columns", "no-outline", "one-column"])
def test_cards_carry_the_page_their_evidence_is_printed_on(printed, reading, layout):
    checked = across = 0
    for guide in TABLE_GUIDES:
        pdf = printed(guide, layout)
        pages = [reading.squash(text) for text in reading.page_texts(pdf)]
        for topic in medcards.split_guide(pdf, "m"):
            for card in _cards(topic):
                located = medcards.locate_card(card, topic)
                assert _without_locations(located.model_dump(mode="json")) == card.model_dump(
                    mode="json"
                )
                for evidence, location in _evidence(located):
                    assert location is not None
                    assert location.file == str(pdf)
                    first, last = location.first_page, location.last_page
                    assert first is not None, evidence
                    assert last is not None, evidence
                    quote = reading.squash(evidence)
                    assert _printed_on(quote, pages, first, last), (pdf.name, first, evidence)
                    assert location.section
                    checked += 1
                    across += first != last
    assert checked >= 60
    print(f"{layout}: {checked} evidence quotes located, {across} across a page break")


def test_every_table_row_with_a_dose_or_threshold_becomes_a_card(printed, reading):
    """Each dose or threshold row, with its table's caption and header as context, gives an
    extractive card (an MCQ, else a BattleCard fact) that quotes the row; the card is grounded
    in the topic the row was ingested into and located on the page (and table) it is
    printed on."""
    generator = medcards.get_card_generator("extractive")
    rows_checked = 0
    for guide in TABLE_GUIDES:
        pdf = printed(guide)
        pages = [reading.squash(text) for text in reading.page_texts(pdf)]
        table = GUIDE_TABLES[guide.stem]
        dose_rows = [row for row in table.rows if medcards.find_quantities(" ".join(row[1:]))]
        assert len(dose_rows) == len(table.rows)  # every sample row has a dose or threshold
        for row in dose_rows:
            line = "| " + " | ".join(row) + " |"
            (topic,) = [t for t in medcards.split_guide(pdf, "m") if line in t.context]
            lines = topic.context.splitlines()
            header = lines.index("| " + " | ".join(table.header) + " |")
            context = "\n".join([lines[header - 2], "", *lines[header : header + 2], line])
            quoting = []
            for kind, seed in (("mcq", 0), ("mcq", 1), ("mcq", 2), ("battlecard", 0)):
                request = medcards.CardRequest(
                    topic=topic.title, context=context, kind=kind, seed=seed
                )
                card = medcards.locate_card(generator.generate(request), topic)
                quoting += [loc for quote, loc in _evidence(card) if quote == line]
                if quoting:
                    assert medcards.check_card(card, topic.context, "strict").grounded
                    break
            assert quoting, f"{guide.stem}: no card quotes the row {line}"
            location = quoting[0]
            assert location is not None
            assert location.section == "Tabla 1"
            assert location.first_page == location.last_page
            assert reading.squash(line) in pages[location.first_page - 1]
            rows_checked += 1
    assert rows_checked == sum(len(t.rows) for t in GUIDE_TABLES.values())


def test_quotes_across_a_page_break_are_grounded_and_located(printed, reading):
    """A sentence that runs from one page to the next is found (grounding and location) and
    gets both pages; one-column printing puts such sentences in most guides."""
    found = 0
    for guide in ALL_GUIDES:
        pdf = printed(guide, "one-column")
        pages = [reading.squash(text) for text in reading.page_texts(pdf)]
        for topic in medcards.split_guide(pdf, "m"):
            for first, second in zip(topic.spans, topic.spans[1:], strict=False):
                if first.paragraph != second.paragraph or first.page == second.page:
                    continue
                paragraph = topic.context[first.start : second.end]
                head = topic.context[first.start : first.end]
                start = max(head.rfind(". "), -2) + 2 + first.start
                end = topic.context.find(".", second.start) + 1
                sentence = topic.context[start:end]
                assert sentence
                assert sentence in paragraph
                fact = medcards.Fact(text=sentence[:200], evidence=sentence)
                drill = medcards.OpenDrill(
                    topic=topic.title, challenge="Explica.", key_points=[fact]
                )
                assert medcards.check_card(drill, topic.context, "strict").grounded
                location = medcards.locate_quote(sentence, topic)
                assert location is not None
                assert (location.first_page, location.last_page) == (first.page, second.page)
                assert _printed_on(
                    reading.squash(sentence), pages, location.first_page, location.last_page
                )
                assert location.describe().endswith(
                    f"pp. {first.page}-{second.page}, {location.section}"
                )
                found += 1
    assert found >= 3

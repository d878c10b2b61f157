"""The gold set that ships with medcards: schema, grounding, answer keys and the split by guide."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import medcards
from medcards import MCQDrill, Variant, card_id, check_answer_key, check_card, split_guide

GUIDES = Path(__file__).parents[2] / "examples" / "guides"
#: The sample guides that existed before the gold set; the gold set covers other specialties.
EARLIER_GUIDES = {
    "apendicitis_aguda.md",
    "cetoacidosis_diabetica.md",
    "estatus_epileptico.md",
    "neumonia_comunitaria.md",
}
GOLD = medcards.load_gold_cards()
SPLIT = medcards.load_gold_split()


def test_split_is_by_guide_over_new_guides():
    train, held_out = set(SPLIT.train), set(SPLIT.held_out)
    assert not train & held_out
    assert len(train | held_out) >= 8
    assert not (train | held_out) & EARLIER_GUIDES
    for guide in train | held_out:
        assert (GUIDES / guide).is_file(), guide
    assert {g.guide for g in GOLD} == train | held_out
    for gold in GOLD:
        assert gold.guide in (train if gold.split == "train" else held_out), gold.id


def test_ids_are_unique_and_files_are_the_seed_rows():
    assert len({g.id for g in GOLD}) == len(GOLD)
    for side in ("train", "held_out"):
        lines = medcards.gold_set_path(side).read_text(encoding="utf-8").splitlines()
        for line in lines:
            row = json.loads(line)
            assert {"tema", "contexto_mcp", "casos_generados", "id", "guia"} == set(row)


@pytest.mark.parametrize("guide", sorted({g.guide for g in GOLD}))
def test_contexts_are_the_guides_topics_as_ingested(guide):
    (topic,) = split_guide(GUIDES / guide, modulo="gold")
    for gold in (g for g in GOLD if g.guide == guide):
        assert gold.topic == topic.title
        assert gold.context == topic.context


@pytest.mark.parametrize("gold", GOLD, ids=[g.id for g in GOLD])
def test_every_gold_card_is_valid_grounded_and_key_correct(gold):
    again = medcards.parse_card(gold.card.model_dump(mode="json"))
    assert again == gold.card
    report = check_card(gold.card, gold.context, "strict")
    assert report.grounded, report.reasons()
    if isinstance(gold.card, MCQDrill):
        key = check_answer_key(gold.card)
        assert key.passed, key.reasons()
        assert "¿" in gold.card.question
        assert gold.card.question.endswith("?")


def test_gold_variants_name_a_gold_parent():
    ids = {card_id(g.card) for g in GOLD}
    variants = [g.card for g in GOLD if isinstance(g.card, Variant)]
    assert variants
    assert all(v.parent_id in ids for v in variants)


def test_gold_deck_keys_show_no_bias():
    report = medcards.check_deck_keys(g.card for g in GOLD)
    assert report.mcq_count >= 20
    assert report.passed, report.problems
    assert report.failed_cards == 0


def test_gold_set_size():
    assert len(GOLD) >= 80
    assert sum(isinstance(g.card, MCQDrill) for g in GOLD) >= 40


def test_gold_set_has_every_kind_on_both_sides():
    for side in ("train", "held_out"):
        kinds = {g.card.kind for g in GOLD if g.split == side}
        assert kinds == {"battlecard", "mcq", "open", "variant"}, side

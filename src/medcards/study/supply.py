"""Where a topic's cards come from: the stored ones, else the configured card generator.

A generated card is located in the topic's guide (:func:`medcards.locate_card`) when the topic
keeps its source data (imported from ``medcards ingest``), so every evidence quote says on
which page or line of the guide it is printed.
"""

from __future__ import annotations

import datetime as dt

from medcards.cards import BattleCard, Card, MCQDrill, Variant
from medcards.errors import CardRejected
from medcards.ingest import GuideSection
from medcards.interfaces import CardGenerator
from medcards.models import CardKind, CardRequest
from medcards.sources import locate_card
from medcards.study.records import Topic
from medcards.study.repository import StudyRepository, ts


def located(card: Card, section: GuideSection) -> Card:
    """:func:`medcards.locate_card` for a card of any kind (``Card``, the union)."""
    if isinstance(card, MCQDrill):
        return locate_card(card, section)
    if isinstance(card, BattleCard):
        return locate_card(card, section)
    if isinstance(card, Variant):
        return locate_card(card, section)
    return locate_card(card, section)


def has_location(card: Card) -> bool:
    """Whether any evidence quote of ``card`` already carries a location."""
    if isinstance(card, MCQDrill):
        return card.location is not None
    facts = card.facts() if isinstance(card, BattleCard) else card.key_points
    return any(f.location is not None for f in facts)


class CardSupply:
    """Finds or generates (and stores) the cards the study loop needs.

    Args:
        repo: The database.
        generator: The card generator, or None (then only stored cards are used).
    """

    def __init__(self, repo: StudyRepository, generator: CardGenerator | None) -> None:
        """Keep the repository and the generator; no rejection recorded yet."""
        self.repo = repo
        self.generator = generator
        #: Topics whose card generation was rejected: title -> reasons.
        self.rejections: dict[str, list[str]] = {}

    def card_of_kind(self, topic: Topic, kind: CardKind) -> int | None:
        """A stored, non-retired card of ``kind`` for ``topic``; generated (and stored) if none."""
        found = self.repo.card_of_kind(topic.topic_id, kind)
        if found is not None:
            return found
        generated = self.generate(topic, kind)
        if generated is None:
            return None
        with self.repo.transaction():
            return self.repo.insert_card(topic.topic_id, generated, ts(dt.datetime.now(dt.UTC)))

    def generate(
        self,
        topic: Topic,
        kind: CardKind,
        perspective: str | None = None,
        parent: str | None = None,
    ) -> Card | None:
        """A new card of ``kind`` for ``topic``, or None (the reasons go to :attr:`rejections`)."""
        if self.generator is None:
            self.rejections[topic.title] = [f"no {kind.value} card stored and no card generator"]
            return None
        if not topic.context.strip():
            self.rejections[topic.title] = ["the topic has no context to generate from"]
            return None
        request = CardRequest(
            topic=topic.title,
            context=topic.context,
            kind=kind,
            perspective=perspective,
            parent_id=parent,
        )
        try:
            card = self.generator.generate(request)
        except CardRejected as exc:
            self.rejections[topic.title] = list(exc.reasons)
            return None
        if card.kind != kind.value:
            self.rejections[topic.title] = [f"asked for a {kind.value} card, got {card.kind}"]
            return None
        return self.locate(topic, card)

    def locate(self, topic: Topic, card: Card) -> Card:
        """``card`` with the location of each evidence quote set.

        Only when ``topic`` keeps its source data and the card carries no location yet; else
        ``card`` is returned unchanged.
        """
        if has_location(card):
            return card
        source = self.repo.topic_source(topic.topic_id)
        if source is None:
            return card
        return located(card, source.section(topic))

"""Where a topic's cards come from: the stored ones, else the configured card generator."""

from __future__ import annotations

import datetime as dt

from medcards.cards import Card
from medcards.errors import CardRejected
from medcards.interfaces import CardGenerator
from medcards.models import CardKind, CardRequest
from medcards.study.records import Topic
from medcards.study.repository import StudyRepository, ts


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
        return card

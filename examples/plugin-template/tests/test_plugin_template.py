"""The template plugin is discovered through its entry points and passes the conformance kits."""

import datetime as dt

from plugin_template.leitner import LeitnerScheduler
from plugin_template.wordcount import WordCountExtractor

import emkit
import medcards
from emkit.testing import feature_extractor_checks
from emkit.testing import parametrize_with_checks as emkit_checks
from medcards.study import StudyEngine, TopicLevel
from medcards.testing import SAMPLE_CONTEXT, scheduler_checks
from medcards.testing import parametrize_with_checks as medcards_checks


def test_discovered_by_entry_point():
    assert type(emkit.get_feature_extractor("wordcount")) is WordCountExtractor
    assert type(medcards.get_scheduler("leitner")) is LeitnerScheduler
    dists = {p.name: p.distribution for p in emkit.list_plugins()}
    assert dists["wordcount"] == "emkit-medcards-plugin-template"


@emkit_checks([WordCountExtractor], feature_extractor_checks())
def test_wordcount_conformance(factory, check):
    check(factory)


@medcards_checks([LeitnerScheduler], scheduler_checks())
def test_leitner_conformance(factory, check):
    check(factory)


def test_a_topic_studied_with_leitner_reaches_level_2(tmp_path):
    """The ladder asks the scheduler's own signal: Leitner's box, not an ease it never sets."""
    generator = medcards.get_card_generator("extractive")
    start = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
    with StudyEngine(
        tmp_path / "temario.db", scheduler=LeitnerScheduler(), generator=generator
    ) as engine:
        engine.add_topic("Cetoacidosis diabética", SAMPLE_CONTEXT, now=start)
        now, levels = start, []
        for _ in range(6):
            item = engine.next_topic(now)
            assert item is not None
            outcome = engine.update_progress(item, medcards.Rating.GOOD, now)
            assert outcome.state is not None
            assert outcome.state.ease is None
            levels.append(outcome.level_after)
            if outcome.level_after == TopicLevel.OPEN:
                break
            now = outcome.state.due
        assert levels == [1, 1, 1, 2]  # boxes 1, 2, 3 (7 days, not > 7), then box 4 (14 days)
        assert engine.topic("Cetoacidosis diabética").level == TopicLevel.OPEN
        (current,) = [c for c in engine.cards() if not c.retired]
        assert current.kind == medcards.CardKind.OPEN

"""The template plugin is discovered through its entry points and passes the conformance kits."""

from plugin_template.leitner import LeitnerScheduler
from plugin_template.wordcount import WordCountExtractor

import emkit
import medcards
from emkit.testing import feature_extractor_checks
from emkit.testing import parametrize_with_checks as emkit_checks
from medcards.testing import parametrize_with_checks as medcards_checks
from medcards.testing import scheduler_checks


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

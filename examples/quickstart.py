"""Quickstart: pick implementations by name, fit a baseline, schedule a card."""

import datetime as dt

import emkit
import medcards
from emkit.testing import toy_problem

# Every implementation is a plugin chosen by name; list what is installed.
for plugin in emkit.list_plugins() + medcards.list_plugins():
    print(f"{plugin.name:<24} {plugin.distribution}: {plugin.implementations}")

# emkit: the per-patient base rate is the floor every language-based forecaster must clear.
features, labels = toy_problem()
forecaster = emkit.get_forecaster("prevalence", prior_strength=5).fit(features, labels, [7, 14])
print(forecaster.predict_proba(features).head(3))

# medcards: SM-2 scheduling of one card reviewed three times.
scheduler = medcards.get_scheduler("sm2")
now = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
state = None
for rating in (medcards.Rating.GOOD, medcards.Rating.GOOD, medcards.Rating.EASY):
    state = scheduler.review(state, rating, now)
    print(f"{rating.name:<5} -> next in {state.interval_days:g} days (EF {state.ease:.2f})")
    now = state.due

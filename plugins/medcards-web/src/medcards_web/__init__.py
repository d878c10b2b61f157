"""medcards serve: study, calendar, angles and dashboard in the browser.

The plugin adds ``medcards serve`` (see :mod:`medcards_web.plugin`). The app itself is
:func:`create_app`; :func:`fit_fsrs` fits FSRS weights to a study database's review log.
"""

from __future__ import annotations

from medcards_web.app import create_app
from medcards_web.fitting import MIN_REVIEWS_TO_FIT, FitResult, NotEnoughReviewsError, fit_fsrs
from medcards_web.plugin import seed_demo, serve
from medcards_web.security import resolve_token

__all__ = [
    "MIN_REVIEWS_TO_FIT",
    "FitResult",
    "NotEnoughReviewsError",
    "create_app",
    "fit_fsrs",
    "resolve_token",
    "seed_demo",
    "serve",
]

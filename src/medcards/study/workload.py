"""Workload simulator: the reviews per day FSRS would ask for at a given desired retention.

The simulated student remembers exactly as the FSRS model predicts: at each review the card is
recalled with probability equal to its retrievability (then rated Good) or forgotten (rated
Again). Cards already studied start from their stored FSRS state; ``new_per_day`` new cards
join every day. Learning steps are left out (a card graduates at its first review), so the
figure counts one review per card per day at most: the daily load, not the minutes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from medcards.models import SchedulerState


class WorkloadForecast(BaseModel):
    """Simulated reviews per day at one desired retention.

    Attributes:
        desired_retention: The retention simulated.
        days: ``(date, reviews)`` for each simulated day.
        recalled: Share of the simulated reviews recalled.
    """

    desired_retention: float
    days: list[tuple[dt.date, int]]
    recalled: float = Field(ge=0.0, le=1.0)

    @property
    def mean(self) -> float:
        """Mean reviews per day."""
        return sum(n for _, n in self.days) / len(self.days) if self.days else 0.0


def simulate_workload(
    *,
    desired_retention: float,
    days: int = 30,
    new_per_day: int = 0,
    states: Sequence[SchedulerState] = (),
    start: dt.datetime | None = None,
    parameters: Sequence[float] | None = None,
    seed: int = 0,
) -> WorkloadForecast:
    """Simulate ``days`` days of FSRS reviews at ``desired_retention``.

    Args:
        desired_retention: Target recall at due time (0-1, exclusive).
        days: Days to simulate.
        new_per_day: New cards introduced each day.
        states: FSRS states of the cards already studied (others are ignored).
        start: First simulated day (default: now, UTC).
        parameters: FSRS weights (default: the package's).
        seed: Seed of the simulated recalls.

    Raises:
        ValueError: a retention outside (0, 1) or a negative count.
    """
    import fsrs

    if not 0.0 < desired_retention < 1.0:
        raise ValueError(f"desired retention must be between 0 and 1, got {desired_retention}")
    if days < 1 or new_per_day < 0:
        raise ValueError("days must be at least 1 and new cards per day not negative")
    start = (start or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    kwargs: dict[str, Any] = {
        "desired_retention": desired_retention,
        "learning_steps": (),
        "relearning_steps": (),
        "enable_fuzzing": False,
    }
    if parameters is not None:
        kwargs["parameters"] = tuple(parameters)
    scheduler = fsrs.Scheduler(**kwargs)
    rng = random.Random(seed)
    cards: list[Any] = [
        fsrs.Card.from_dict(s.data)  # type: ignore[arg-type]
        for s in states
        if s.scheduler == "fsrs" and s.data
    ]
    counts: list[tuple[dt.date, int]] = []
    recalled = reviews = 0
    next_id = 1
    for day in range(days):
        now = start + dt.timedelta(days=day)
        end = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
        for _ in range(new_per_day):
            cards.append(fsrs.Card(card_id=next_id, due=now))
            next_id += 1
        done = 0
        for index, card in enumerate(cards):
            if card.due >= end:
                continue
            if card.last_review is None:
                ok = rng.random() < 0.75
            else:
                ok = rng.random() < scheduler.get_card_retrievability(card, now)
            rating = fsrs.Rating.Good if ok else fsrs.Rating.Again
            cards[index], _ = scheduler.review_card(card, rating, now)
            done += 1
            recalled += ok
        reviews += done
        counts.append((now.date(), done))
    return WorkloadForecast(
        desired_retention=desired_retention,
        days=counts,
        recalled=recalled / reviews if reviews else 0.0,
    )

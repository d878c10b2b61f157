"""Built-in schedulers."""

from __future__ import annotations

from collections.abc import Callable

from medcards.interfaces import Scheduler
from medcards.plugins import hookimpl
from medcards.scheduling import FSRSScheduler, SM2Scheduler


@hookimpl
def medcards_register_schedulers(register: Callable[[type[Scheduler]], None]) -> None:
    """Register SM-2 and FSRS."""
    register(SM2Scheduler)
    register(FSRSScheduler)

"""Built-in spaced-repetition schedulers (private): ``sm2`` and ``fsrs``.

Pick one by name with :func:`medcards.get_scheduler`; each implements
:class:`medcards.Scheduler`, including its Level-2 signal
:meth:`~medcards.Scheduler.ready_for_open_recall`.
"""

from medcards.scheduling.fsrs import FSRSScheduler, fsrs_difficulty_to_ease
from medcards.scheduling.sm2 import SM2Scheduler

__all__ = ["FSRSScheduler", "SM2Scheduler", "fsrs_difficulty_to_ease"]

"""Background jobs of the web app (guide import with card generation, FSRS fitting).

A job runs in a daemon thread with its own database connection and reports its progress; the
page polls ``/jobs/{id}``. Whatever a job stores is committed item by item, so a failure (a
backend that is down) keeps everything done before it.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel

import medcards

log = logging.getLogger("medcards_web")


class Job(BaseModel):
    """A background job's progress, as the page shows it."""

    job_id: str
    kind: str
    state: Literal["running", "done", "failed"] = "running"
    done: int = 0
    total: int = 0
    message: str = ""
    started: float
    finished: float | None = None


class Progress:
    """What a job function gets: set totals, advance, say what it is doing."""

    def __init__(self, job: Job, lock: threading.Lock) -> None:
        """Report into ``job`` under ``lock``."""
        self._job = job
        self._lock = lock

    def update(
        self, *, done: int | None = None, total: int | None = None, message: str | None = None
    ) -> None:
        """Update the counts and the message."""
        with self._lock:
            if done is not None:
                self._job.done = done
            if total is not None:
                self._job.total = total
            if message is not None:
                self._job.message = message


class JobRegistry:
    """The jobs of one app (kept in memory; the last 50)."""

    def __init__(self) -> None:
        """No jobs yet."""
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, kind: str, work: Callable[[Progress], str]) -> Job:
        """Run ``work`` in a thread; its return value is the final message."""
        job = Job(job_id=secrets.token_hex(8), kind=kind, started=time.time())
        with self._lock:
            self._jobs[job.job_id] = job
            for old in list(self._jobs)[:-50]:
                del self._jobs[old]
        progress = Progress(job, self._lock)

        def run() -> None:
            try:
                message = work(progress)
                state: Literal["done", "failed"] = "done"
            except medcards.MedcardsError as exc:
                message, state = str(exc), "failed"
            except Exception:
                log.exception("background job %s (%s) failed", job.job_id, kind)
                message, state = (
                    "internal error (see the server log); nothing stored was lost",
                    "failed",
                )
            with self._lock:
                job.state, job.message, job.finished = state, message, time.time()

        threading.Thread(target=run, name=f"medcards-job-{job.job_id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        """A copy of job ``job_id``, or None."""
        with self._lock:
            found = self._jobs.get(job_id)
            return None if found is None else found.model_copy()

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        """Wait until the job ends (tests, the demo); returns its final state."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job is None or job.state != "running":
                return job
            time.sleep(0.02)
        return self.get(job_id)

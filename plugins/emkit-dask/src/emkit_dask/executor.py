"""The ``dask`` executor: one Dask task per patient, on a local or a running cluster.

Without ``scheduler`` it starts a :class:`distributed.LocalCluster` of ``workers`` processes
(one thread each: extraction is CPU-bound and holds the GIL) and stops it on :meth:`close`.
With ``scheduler`` it connects to a running cluster (``dask scheduler`` + ``dask worker`` on
several machines, dask-jobqueue, the Dask Kubernetes operator) and leaves it running.

The task and its items travel to the workers pickled; emkit's feature task loads the
extractors and opens the store once per worker process and keeps them for the next patients.
Dask is imported when the executor first runs, never when emkit loads its plugins.
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

from pydantic import Field

import emkit

__all__ = ["DaskExecutor"]


class DaskExecutor(emkit.Executor):
    """Runs each task as a Dask task; a failed task is yielded as its exception."""

    name: ClassVar[str] = "dask"

    class Options(emkit.Executor.Options):
        """Options of the Dask executor."""

        scheduler: str | None = Field(
            default=None,
            description="Address of a running scheduler (tcp://HOST:8786); default: start a "
            "local cluster.",
        )
        workers: int | None = Field(
            default=None, ge=1, description="Worker processes of the local cluster (default: CPUs)."
        )
        threads_per_worker: int = Field(
            default=1, ge=1, description="Threads of each local worker process."
        )
        memory_limit: str = Field(
            default="auto", description="Memory limit of each local worker ('4GiB', 'auto')."
        )
        dashboard_address: str = Field(
            default=":0",
            description="Where the local cluster's scheduler serves HTTP (its dashboard needs "
            "bokeh): ':8787' for Dask's usual port; default a free port.",
        )
        timeout_s: float = Field(
            default=30.0, gt=0, description="Seconds to wait for the scheduler to answer."
        )

    options: Options

    def __init__(self, **options: Any) -> None:
        """Check the options; nothing starts until the first :meth:`map_unordered`."""
        super().__init__(**options)
        if self.options.scheduler is not None and self.options.workers is not None:
            raise emkit.EmkitError(
                "dask executor: give either a scheduler or a number of workers, not both"
            )
        self._client: Any = None
        self._cluster: Any = None

    @property
    def client(self) -> Any:
        """The :class:`distributed.Client`, started (or connected) on first use.

        Raises:
            EmkitError: the scheduler does not answer (naming its address).
        """
        if self._client is None:
            distributed = _distributed()
            Client, LocalCluster = distributed.Client, distributed.LocalCluster
            if self.options.scheduler is not None:
                try:
                    self._client = Client(
                        self.options.scheduler, timeout=self.options.timeout_s, set_as_default=False
                    )
                except (OSError, TimeoutError) as exc:
                    raise emkit.EmkitError(
                        f"dask scheduler at {self.options.scheduler}: cannot connect "
                        f"({type(exc).__name__}: {' '.join(str(exc).split())})"
                    ) from None
            else:
                self._cluster = LocalCluster(
                    n_workers=self.options.workers or os.cpu_count() or 1,
                    threads_per_worker=self.options.threads_per_worker,
                    processes=True,
                    memory_limit=self.options.memory_limit,
                    dashboard_address=self.options.dashboard_address,
                )
                self._client = Client(self._cluster, set_as_default=False)
        return self._client

    def map_unordered(
        self, task: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]:
        """Submit one task per item and yield ``(position, result)`` as each finishes.

        A task that raised, or whose worker died, yields ``(position, exception)``.
        """
        as_completed = _distributed().as_completed
        if not items:
            return
        run = uuid.uuid4().hex[:8]
        name = getattr(task, "__name__", None) or getattr(
            getattr(task, "func", None), "__name__", "task"
        )
        keys = [f"{name}-{run}-{i}" for i in range(len(items))]
        futures = self.client.map(task, list(items), key=keys, pure=False)
        position = {future.key: i for i, future in enumerate(futures)}
        try:
            for future in as_completed(futures, loop=self.client.loop):
                i = position[future.key]
                if future.status == "error":
                    yield i, future.exception()
                elif future.status == "cancelled":
                    yield i, emkit.EmkitError(f"dask task {future.key} was cancelled")
                else:
                    yield i, future.result()
                future.release()
        finally:
            for future in futures:
                if not future.done():
                    future.cancel()

    def close(self) -> None:
        """Disconnect; a local cluster is stopped, a running one is left as it was."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def _distributed() -> Any:
    """``dask.distributed``, imported on first use (its API is untyped)."""
    return importlib.import_module("dask.distributed")

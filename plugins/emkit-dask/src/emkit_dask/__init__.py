"""Per-patient feature extraction fanned out on Dask: ``emkit features … --executor dask``.

``--workers N`` starts a local cluster of N processes; ``--scheduler tcp://HOST:8786`` uses a
running cluster. Importing this package does not import Dask.
"""

from __future__ import annotations

from collections.abc import Callable

import emkit
from emkit_dask.executor import DaskExecutor

__all__ = ["DaskExecutor", "emkit_register_executors"]


@emkit.hookimpl
def emkit_register_executors(register: Callable[[type[emkit.Executor]], None]) -> None:
    """Register the ``dask`` executor."""
    register(DaskExecutor)

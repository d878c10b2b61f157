"""Built-in ``serial`` executor: every task in turn, in this process."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

from emkit.interfaces import Executor
from emkit.plugins import hookimpl


class SerialExecutor(Executor):
    """Runs each task in turn in the calling process (the default of ``emkit features``)."""

    name: ClassVar[str] = "serial"

    def map_unordered(
        self, task: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]:
        """Call ``task`` on each item in order; an exception is yielded, not raised."""
        for position, item in enumerate(items):
            try:
                result = task(item)
            except Exception as exc:  # reported per item by the caller
                yield position, exc
            else:
                yield position, result


@hookimpl
def emkit_register_executors(register: Callable[[type[Executor]], None]) -> None:
    """Register the ``serial`` executor."""
    register(SerialExecutor)

"""Built-in SQLite feature store."""

from __future__ import annotations

from collections.abc import Callable

from emkit.interfaces import FeatureStore
from emkit.plugins import hookimpl
from emkit.store import SQLiteFeatureStore


@hookimpl
def emkit_register_feature_stores(register: Callable[[type[FeatureStore]], None]) -> None:
    """Register the ``sqlite`` feature store."""
    register(SQLiteFeatureStore)

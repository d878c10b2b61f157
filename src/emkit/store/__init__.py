"""Feature stores: the built-in SQLite store, and opening any registered store by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emkit.interfaces import FeatureStore
from emkit.store.locations import has_password, redact_password
from emkit.store.sqlite import FeatureSetVersion, FeatureStoreError, SQLiteFeatureStore

__all__ = [
    "DEFAULT_STORE_BACKEND",
    "FeatureSetVersion",
    "FeatureStoreError",
    "SQLiteFeatureStore",
    "has_password",
    "open_feature_store",
    "redact_password",
]

#: The store ``--store-backend`` names when not given.
DEFAULT_STORE_BACKEND = "sqlite"


def open_feature_store(backend: str, location: str | Path | None, **options: Any) -> FeatureStore:
    """The feature store registered as ``backend``, at ``location``.

    ``location`` fills the store's :attr:`~emkit.FeatureStore.location_option` (``path`` for
    SQLite; a connection string for a database server); ``options`` are its other options.
    ``None`` leaves the option to the store's default (the PostgreSQL store then reads
    ``$EMKIT_STORE_DSN``). This is what ``--store-backend NAME --store LOCATION
    --store-option KEY=VALUE`` does.

    Raises:
        UnknownPluginError: when no installed plugin provides ``backend``.
        InvalidOptionsError: when ``options`` do not fit the store.
    """
    from emkit.plugins import get_feature_store, host

    cls = host.get_class("feature_store", backend)
    key = getattr(cls, "location_option", "path")
    if location is None:
        return get_feature_store(backend, **options)
    return get_feature_store(backend, **{key: location, **options})

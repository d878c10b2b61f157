"""Feature stores: the built-in SQLite store of per-day feature windows."""

from __future__ import annotations

from emkit.store.sqlite import FeatureSetVersion, FeatureStoreError, SQLiteFeatureStore

__all__ = ["FeatureSetVersion", "FeatureStoreError", "SQLiteFeatureStore"]

"""A PostgreSQL feature store for emkit: the seed's ``feature_windows`` table, through psycopg 3.

Select it by name: ``emkit features COHORT --store-backend postgres --store postgresql://HOST/DB``
(or the ``EMKIT_STORE_DSN`` environment variable), or
``emkit.open_feature_store("postgres", dsn)``. Importing this package does not import psycopg.
"""

from __future__ import annotations

from collections.abc import Callable

import emkit
from emkit_postgres.dsn import DSN_ENV, redact
from emkit_postgres.store import EmbeddingFormat, PostgresFeatureStore, StoreConnectionError

__all__ = [
    "DSN_ENV",
    "EmbeddingFormat",
    "PostgresFeatureStore",
    "StoreConnectionError",
    "emkit_register_feature_stores",
    "redact",
]


@emkit.hookimpl
def emkit_register_feature_stores(register: Callable[[type[emkit.FeatureStore]], None]) -> None:
    """Register the ``postgres`` feature store."""
    register(PostgresFeatureStore)

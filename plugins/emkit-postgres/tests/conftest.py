"""A private PostgreSQL 16 server (from the ``pgserver`` package) for the whole test session.

The server listens on a unix socket only. Its ``pg_hba.conf`` trusts the ``postgres``
superuser and asks every other role for its password (scram-sha-256), so that the tests can
check what a wrong password does.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

HBA = """\
local   all   postgres   trust
local   all   all        scram-sha-256
"""


def start_server(folder: Path):
    """Start (or reuse) the server whose data folder is ``folder``."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI containers); harmless here.
        warnings.simplefilter("ignore")
        import pgserver

        return pgserver.get_server(folder, cleanup_mode="stop")


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pg") / "data"
    server = start_server(folder)
    (folder / "pg_hba.conf").write_text(HBA)
    server.psql("SELECT pg_reload_conf();")
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def pg_dsn(pg_server):
    """Superuser connection string to the ``postgres`` database."""
    return pg_server.get_uri()


@pytest.fixture(scope="session")
def start_pg():
    """``start_pg(folder)`` starts another private server (for tests that stop it)."""
    return start_server

"""Connection strings: what they name, and how they are shown (never with their password)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from emkit import redact_password

#: The environment variable that holds the store's connection string when no ``dsn`` is given.
DSN_ENV = "EMKIT_STORE_DSN"


@dataclass(frozen=True)
class ServerAddress:
    """What a connection string points at, for messages (no password).

    Attributes:
        host: Host name, address or unix-socket folder.
        port: Port (libpq's default 5432 when not given).
        database: Database name.
        user: Role name (``None`` when libpq picks the operating-system user).
    """

    host: str
    port: str
    database: str
    user: str | None

    def __str__(self) -> str:
        """``host H port P, database D``: the part of every message that says where."""
        return f"host {self.host} port {self.port}, database {self.database}"


def parse_address(dsn: str) -> ServerAddress:
    """The host, port, database and user a connection string names (libpq's defaults filled).

    Raises:
        ValueError: when ``dsn`` is not a connection string (the message holds no password).
    """
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(dsn)
    except Exception as exc:  # psycopg.ProgrammingError; its text may quote the DSN
        raise ValueError(_unquoted(redact(str(exc), dsn).splitlines()[0], dsn)) from None
    user = _text(params.get("user")) or os.environ.get("PGUSER")
    host = _text(params.get("host")) or os.environ.get("PGHOST") or "localhost"
    port = _text(params.get("port")) or os.environ.get("PGPORT") or "5432"
    database = (
        _text(params.get("dbname")) or os.environ.get("PGDATABASE") or user or "(the user's name)"
    )
    return ServerAddress(host=host, port=port, database=database, user=user)


def _unquoted(message: str, dsn: str) -> str:
    """``message`` without the pieces of ``dsn`` it quotes (part of a password, maybe).

    libpq's parse errors quote a fragment (``missing "=" after "ret"``); of an unparsable
    ``password=sec ret`` that fragment is the password's end.
    """
    return re.sub(
        r'"([^"]*)"',
        lambda m: m.group(0) if m.group(1) in ("", "=") or m.group(1) not in dsn else '"***"',
        message,
    )


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def redact(text: str, dsn: str | None = None) -> str:
    """``text`` with any password removed.

    The DSN's own password, ``user:password@`` in URLs and ``password=…`` keywords all become
    ``***``.
    """
    if dsn:
        try:
            from psycopg.conninfo import conninfo_to_dict

            password = _text(conninfo_to_dict(dsn).get("password"))
        except Exception:  # an unparsable DSN: the patterns below still apply
            password = None
        if password:
            text = text.replace(password, "***")
    return redact_password(text)

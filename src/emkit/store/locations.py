r"""Store locations as shown in messages: a connection string never shows its password.

Database servers take a connection string in one of two spellings, and both may hold a
password:

- URL form, ``scheme://user:password@host/db?sslpassword=…``: the password of the user-info
  part and ``password`` / ``sslpassword`` query parameters;
- keyword form (libpq's ``conninfo``), ``host=… dbname=… password=…``: a value bare (up to the
  next white space, ``\`` escaping one character) or single-quoted (``password='a b'``,
  ``\'`` and ``\\`` escaped).

:func:`redact_password` replaces each such value with ``***``; :func:`has_password` says whether
there is one.
"""

from __future__ import annotations

import re

__all__ = ["REDACTED", "has_password", "redact_password"]

#: What a password becomes.
REDACTED = "***"

# scheme://user:PASSWORD@ : the user-info part ends at the last "@" before the host's "/", "?"
# or "#" (a password with a raw "@" is still hidden whole).
_URL_USERINFO = re.compile(r"([a-z][a-z0-9+.\-]*://[^:/@\s?#]*):[^\s/?#]*@", re.IGNORECASE)
# ?password=VALUE or &sslpassword=VALUE in a URL's query.
_URL_QUERY = re.compile(r"([?&](?:ssl)?password=)[^&#\s]*", re.IGNORECASE)
# password=VALUE as a keyword: quoted ('…', backslash escapes, to the end when unterminated)
# or bare (up to white space; a backslash escapes the next character, white space included).
_KEYWORD = re.compile(
    r"((?<![\w.?&])(?:ssl)?password\s*=\s*)('(?:\\[\s\S]|[^'\\])*(?:'|$)|(?:\\[\s\S]|\S)+)",
    re.IGNORECASE,
)


def redact_password(text: str) -> str:
    """``text`` with every connection-string password in it replaced by ``***``.

    Covers the URL form (``postgresql://user:pw@host/db``, ``?password=pw``) and the keyword
    form (``host=h password=pw``, ``password='a b'``), ``sslpassword`` included. Text without
    a password comes back unchanged.

    Args:
        text: A store location, or a message that may quote one.

    Returns:
        The text, passwords replaced.
    """
    text = _URL_USERINFO.sub(rf"\1:{REDACTED}@", text)
    text = _URL_QUERY.sub(rf"\g<1>{REDACTED}", text)
    return _KEYWORD.sub(rf"\g<1>{REDACTED}", text)


def has_password(location: str) -> bool:
    """Whether ``location`` holds a password in either connection-string form.

    Args:
        location: A store location (a file path, or a connection string).

    Returns:
        ``True`` when :func:`redact_password` has a value to hide in it.
    """
    return any(pattern.search(location) for pattern in (_URL_USERINFO, _URL_QUERY, _KEYWORD))

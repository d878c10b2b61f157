"""Access token, CSRF, request-size limit and request logging (ASGI middleware and helpers).

- **Token.** With a token set (always when the server listens beyond the loopback), every
  request must carry it: ``Authorization: Bearer TOKEN``, the ``medcards_token`` cookie, or once
  ``?token=TOKEN`` in the address, which sets the cookie and redirects to the same page without
  it (so the token does not stay in the address bar or the history). The comparison is
  constant-time. Access lines are logged without query strings, so the token never reaches a
  log.
- **CSRF.** Double-submit: a random ``medcards_csrf`` cookie (``SameSite=Strict``,
  ``HttpOnly``) set on every page, and the same value in a hidden ``csrf`` field of every form;
  a POST whose field does not match the cookie is refused with 403.
- **Host.** Without a token (the loopback default), a request whose ``Host`` header is not
  ``127.0.0.1``, ``localhost``, ``[::1]`` or the ``--host`` address is refused with 400, so a
  hostile site whose name resolves to 127.0.0.1 (DNS rebinding) can neither read the pages nor
  post their forms. With a token the token guards every request, whatever name reaches it.
- **Size.** Request bodies over the limit are refused with 413 before the app reads them
  (checked on ``Content-Length`` and again on the bytes actually received).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_COOKIE = "medcards_token"
CSRF_COOKIE = "medcards_csrf"
CSRF_FIELD = "csrf"

log = logging.getLogger("medcards_web")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) only accepts local connections."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_token(host: str, token: str | None) -> tuple[str | None, bool]:
    """The token to require for ``host`` and whether it was generated here.

    A loopback host needs none (unless one is given); any other host gets the given token or
    a new random one (32 bytes, URL-safe).

    Raises:
        ValueError: a given token shorter than 16 characters.
    """
    if token is not None:
        if len(token) < 16:
            raise ValueError("--token must be at least 16 characters long")
        return token, False
    if is_loopback(host):
        return None, False
    return secrets.token_urlsafe(32), True


def cookies(scope: Scope) -> dict[str, str]:
    """The request's cookies."""
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header counts as no cookies
                return {}
    return {k: m.value for k, m in jar.items()}


def header(scope: Scope, wanted: bytes) -> str | None:
    """The first header ``wanted`` (lower case), or None."""
    for name, value in scope.get("headers", []):
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


async def plain(
    send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Send a short plain-text response."""
    body = text.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class TokenMiddleware:
    """Refuse every request without the access token (401)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        """Wrap ``app``; ``token`` None lets everything through."""
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the token, from the header, the cookie or the address."""
        if scope["type"] != "http" or self.token is None:
            await self.app(scope, receive, send)
            return
        expected = self.token.encode()

        def ok(value: str | None) -> bool:
            return value is not None and hmac.compare_digest(value.encode(), expected)

        auth = header(scope, b"authorization") or ""
        if auth.lower().startswith("bearer ") and ok(auth[7:].strip()):
            await self.app(scope, receive, send)
            return
        if ok(cookies(scope).get(TOKEN_COOKIE)):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = [v for k, v in query if k == "token"]
        if given and ok(given[0]) and scope.get("method") == "GET":
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            location = scope.get("path", "/") + (f"?{rest}" if rest else "")
            cookie = (f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict").encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [
                        (b"location", location.encode()),
                        (b"set-cookie", cookie),
                        (b"content-length", b"0"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await plain(
            send,
            401,
            "401: this medcards server needs its access token: open the address printed "
            "when it started (…/?token=…) or send 'Authorization: Bearer TOKEN'.",
        )


#: ``Host`` names a loopback server without a token always answers to.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def host_name(value: str) -> str:
    """The name in a ``Host`` header or a ``--host`` value, lower case, without the port.

    IPv6 addresses come back in brackets (``[::1]``), with or without them in ``value``.
    """
    value = value.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1] if "]" in value else value
    if value.count(":") > 1:  # a bare IPv6 address (a --host value)
        return f"[{value}]"
    return value.split(":", 1)[0]


class HostCheckMiddleware:
    """Refuse (400) a request whose ``Host`` header is not one of the allowed names."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str] | None) -> None:
        """Wrap ``app``; ``allowed`` None lets every host through (token mode)."""
        self.app = app
        self.allowed = None if allowed is None else frozenset(host_name(h) for h in allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the ``Host`` header."""
        if scope["type"] != "http" or self.allowed is None:
            await self.app(scope, receive, send)
            return
        given = header(scope, b"host")
        if given is not None and host_name(given) in self.allowed:
            await self.app(scope, receive, send)
            return
        shown = "(none)" if given is None else repr(given[:100])
        await plain(
            send,
            400,
            f"400: host {shown} is not this medcards server's name: open it as "
            f"{' or '.join(sorted(self.allowed))} (the address printed when it started). "
            "Requests under any other name are refused, so another site cannot reach it.",
        )


class BodyLimitMiddleware:
    """Refuse request bodies over ``limit`` bytes (413); the body is buffered for the app."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        """Wrap ``app``."""
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared and the received size."""
        if scope["type"] != "http" or scope.get("method") in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        too_big = (
            f"413: the request is over the {self.limit // 1024} KiB limit "
            "(upload a smaller guide, or split it)"
        )
        declared = header(scope, b"content-length")
        if declared is not None:
            try:
                if int(declared) > self.limit:
                    await plain(send, 413, too_big, [(b"connection", b"close")])
                    return
            except ValueError:
                await plain(send, 400, "400: invalid Content-Length header")
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await plain(send, 413, too_big, [(b"connection", b"close")])
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class AccessLogMiddleware:
    """Log ``METHOD path status ms`` per request: never the query string (it may hold a token)."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and log it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            log.info(
                "%s %s %d %.1f ms",
                scope.get("method"),
                scope.get("path"),
                status,
                (time.perf_counter() - started) * 1e3,
            )


def new_csrf() -> str:
    """A fresh CSRF token."""
    return secrets.token_urlsafe(32)


def csrf_matches(cookie: str | None, field: str | None) -> bool:
    """Whether the form's CSRF field equals the cookie (constant-time)."""
    if not cookie or not field:
        return False
    return hmac.compare_digest(cookie.encode(), field.encode())

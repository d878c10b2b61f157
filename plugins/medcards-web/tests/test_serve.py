"""``medcards serve``: the token rule for non-local hosts, the demo database, errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from medcards_web import resolve_token, serve

from .conftest import LOCAL


class Captured:
    """Stands in for ``uvicorn.run``: keeps the app and the address instead of listening."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

        self.pages: list[str] = []

    def __call__(self, app: Any, **kwargs: Any) -> None:
        self.calls.append({"app": app, **kwargs})
        with TestClient(
            app, base_url=LOCAL
        ) as client:  # what the browser would see while it serves
            self.pages.append(client.get("/calendar").text)


def test_a_non_local_host_without_a_token_gets_a_generated_one(db: Path) -> None:
    lines: list[str] = []
    run = Captured()
    serve(db, host="0.0.0.0", port=8765, token=None, demo=False, echo=lines.append, run=run)
    (call,) = run.calls
    assert (call["host"], call["port"], call["access_log"]) == ("0.0.0.0", 8765, False)
    printed = lines[-1]
    assert "?token=" in printed
    assert "generated for this run" in printed
    token = printed.split("?token=")[1].split()[0]
    assert len(token) >= 40
    with TestClient(call["app"]) as client:
        assert client.get("/").status_code == 401
        assert client.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_loopback_needs_no_token_unless_one_is_given(db: Path) -> None:
    assert resolve_token("127.0.0.1", None) == (None, False)
    assert resolve_token("localhost", None) == (None, False)
    assert resolve_token("::1", None) == (None, False)
    token, generated = resolve_token("192.168.1.20", None)
    assert token is not None
    assert generated
    given = "x" * 20
    assert resolve_token("127.0.0.1", given) == (given, False)
    with pytest.raises(ValueError, match="16 characters"):
        resolve_token("0.0.0.0", "short")
    run = Captured()
    serve(db, host="127.0.0.1", port=8000, token=None, demo=False, echo=lambda _: None, run=run)
    with TestClient(run.calls[0]["app"], base_url=LOCAL) as client:
        assert client.get("/").status_code == 200


def test_the_demo_serves_a_seeded_temporary_database() -> None:
    lines: list[str] = []
    run = Captured()
    before = signal.getsignal(signal.SIGTERM)
    serve(
        Path("unused.db"),
        host="127.0.0.1",
        port=8000,
        token=None,
        demo=True,
        echo=lines.append,
        run=run,
    )
    assert lines[0].startswith("demo: 4 topics from the sample guides in ")
    demo_db = Path(lines[0].rsplit(" in ", 1)[1])
    assert not demo_db.exists()  # removed when the server stops
    assert "Cetoacidosis diabética" in run.pages[0]
    assert not Path("unused.db").exists()
    assert signal.getsignal(signal.SIGTERM) is before


def test_the_command_reports_a_missing_database_and_a_short_token(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "400"}
    for extra, message in [([], "does not exist"), (["--token", "abc"], "16 characters")]:
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "from medcards.cli import main; main()",
                "serve",
                "--db",
                str(tmp_path / "none.db"),
                *extra,
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=60,
        )
        assert proc.returncode == 1, proc.stderr
        assert message in " ".join(proc.stderr.split())
        assert "Traceback" not in proc.stderr


def test_open_starts_the_browser_once_the_server_listens(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import http.server
    import socket
    import threading
    import webbrowser

    import uvicorn
    from typer.testing import CliRunner

    from medcards.cli import app as medcards_app

    opened: list[str] = []
    browser_called = threading.Event()

    def fake_open(url: str, *args: Any, **kwargs: Any) -> bool:
        opened.append(url)
        browser_called.set()
        return True

    def listen(app: Any, *, host: str, port: int, **kwargs: Any) -> None:
        # Stands in for uvicorn: answers HTTP on the address until the browser was opened.
        assert not browser_called.wait(0.5)  # nothing is opened before the server is up
        with http.server.ThreadingHTTPServer(
            (host, port), http.server.BaseHTTPRequestHandler
        ) as srv:
            thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
            thread.start()
            try:
                browser_called.wait(10)
            finally:
                srv.shutdown()
                thread.join()

    monkeypatch.setattr(webbrowser, "open", fake_open)
    monkeypatch.setattr(uvicorn, "run", listen)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(
        medcards_app, ["serve", "--db", str(db), "--port", str(port), "--open"]
    )
    assert result.exit_code == 0, result.output
    assert opened == [f"http://127.0.0.1:{port}/"]
    browser_called.clear()
    served: list[int] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, *, host, port, **kw: served.append(port))
    without = CliRunner().invoke(medcards_app, ["serve", "--db", str(db), "--port", str(port)])
    assert without.exit_code == 0, without.output
    assert served == [port]
    assert not browser_called.wait(0.5)  # no --open: no browser
    assert opened == [f"http://127.0.0.1:{port}/"]

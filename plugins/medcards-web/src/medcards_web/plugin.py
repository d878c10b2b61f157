"""The ``medcards serve`` command, registered through ``medcards_register_commands``."""

from __future__ import annotations

import http.client
import signal
import tempfile
import threading
import time
import urllib.error
import urllib.request
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

import medcards


def seed_demo(path: Path) -> int:
    """Fill a new study database at ``path`` with the sample guides' topics and their MCQs.

    Returns the number of topics added.
    """
    from medcards.study import StudyEngine

    guides = sorted((Path(__file__).parent / "guides").glob("*.md"))
    with StudyEngine(path, generator=medcards.get_card_generator("extractive")) as engine:
        for guide in guides:
            sections = medcards.split_guide(guide, guide.stem.replace("_", " ").capitalize())
            for topic in engine.import_sections(sections, source=guide.name):
                engine.ensure_card(topic, medcards.CardKind.MCQ)
        return engine.count_topics()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def open_when_listening(
    address: str,
    host: str,
    port: int,
    *,
    opener: Callable[[str], Any] | None = None,
    timeout: float = 30.0,
) -> threading.Thread:
    """Open ``address`` in the default browser once the server answers HTTP on ``port``.

    A background thread sends ``GET /`` to ``host:port`` (the loopback for a wildcard host)
    every 0.1 s and calls ``opener(address)`` (default :func:`webbrowser.open`) on the first
    HTTP answer, whatever its status; it gives up silently after ``timeout`` seconds (the
    server did not start: its error is already on the terminal).

    Returns:
        The started thread (a daemon).
    """
    target = host.strip("[]")
    if target in {"0.0.0.0", ""}:
        target = "127.0.0.1"
    elif target == "::":
        target = "::1"
    probe = f"http://{f'[{target}]' if ':' in target else target}:{port}/"
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def wait_then_open() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                direct.open(probe, timeout=1.0).close()
            except urllib.error.HTTPError:
                pass  # an HTTP answer (401 with a token): the server is up
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
                continue
            (opener or webbrowser.open)(address)
            return

    thread = threading.Thread(target=wait_then_open, name="medcards-open-browser", daemon=True)
    thread.start()
    return thread


def serve(
    db: Path,
    *,
    host: str,
    port: int,
    token: str | None,
    demo: bool,
    open_browser: bool = False,
    echo: Any = print,
    run: Any = None,
    guides: Path | None = None,
) -> None:
    """Start the web app on ``host:port`` over ``db`` (a seeded temporary database with demo).

    ``guides``: a folder of guide PDFs to serve, so that each evidence quote's location links
    to its page (:func:`medcards_web.app.create_app`). ``open_browser``: open the app in the
    default browser (:mod:`webbrowser`) once the server accepts connections.

    Raises:
        MedcardsError: a bad ``--token``, a missing database or a missing ``--guides`` folder.
    """
    import uvicorn

    from medcards_web.app import create_app
    from medcards_web.security import resolve_token

    try:
        required, generated = resolve_token(host, token)
    except ValueError as exc:
        raise medcards.MedcardsError(str(exc)) from None
    tmp: tempfile.TemporaryDirectory[str] | None = None
    previous: Any = None
    if demo:
        if threading.current_thread() is threading.main_thread():
            # uvicorn re-raises SIGTERM after its graceful shutdown: exit through `finally`
            # so that the temporary database is removed.
            previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        tmp = tempfile.TemporaryDirectory(prefix="medcards-demo-")
        db = Path(tmp.name) / "temario.db"
        count = seed_demo(db)
        echo(f"demo: {count} topics from the sample guides in {db}")
    elif not db.exists():
        raise medcards.MedcardsError(
            f"study database {db} does not exist: create it with `medcards topics`, or try "
            "`medcards serve --demo`"
        )
    app = create_app(db, token=required, guides=guides, hosts=[host])
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{port}/"
    if required is None:
        echo(f"medcards serve: {url} (this computer only; Ctrl+C stops it)")
    else:
        note = "generated for this run" if generated else "given with --token"
        echo(f"medcards serve: {url}?token={required} (access token {note}; Ctrl+C stops it)")
    if open_browser:
        open_when_listening(url if required is None else f"{url}?token={required}", host, port)
    try:
        (run or uvicorn.run)(
            app, host=host, port=port, access_log=False, log_level="warning", server_header=False
        )
    finally:
        if tmp is not None:
            tmp.cleanup()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@medcards.hookimpl
def medcards_register_commands(cli: typer.Typer) -> None:
    """Add ``medcards serve``."""

    @cli.command("serve")
    def serve_command(
        db: Annotated[Path, typer.Option("--db", help="Study database (temario.db).")] = Path(
            "temario.db"
        ),
        host: Annotated[
            str, typer.Option(help="Address to listen on; beyond 127.0.0.1 a token is required.")
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
        token: Annotated[
            str | None,
            typer.Option(help="Access token (generated and printed when the host is not local)."),
        ] = None,
        demo: Annotated[
            bool,
            typer.Option("--demo", help="Serve a temporary database seeded from sample guides."),
        ] = False,
        open_browser: Annotated[
            bool,
            typer.Option("--open", help="Open the app in the default browser once it is up."),
        ] = False,
        guides: Annotated[
            Path | None,
            typer.Option(
                "--guides",
                help="Folder of the guide PDFs: evidence locations link to their pages.",
            ),
        ] = None,
    ) -> None:
        """Study in the browser: Today, Study, Calendar, Dashboard, Settings and FSRS pages."""
        serve(
            db,
            host=host,
            port=port,
            token=token,
            demo=demo,
            open_browser=open_browser,
            echo=typer.echo,
            guides=guides,
        )

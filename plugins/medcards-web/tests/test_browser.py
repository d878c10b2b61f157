"""End to end in a real Chromium (Debian's ``chromium``, driven by Playwright).

The server is started by the test on 127.0.0.1 (a free port, in a thread) and stopped by it. A
student imports a guide (with HTML in it), studies five cards, fails one, answers its angle and
sees it on the dashboard; then the database's reviews and card states are checked. Set
``MEDCARDS_WEB_SCREENSHOTS=DIR`` to keep the screenshots (the docs' figures come from there).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from medcards_web import create_app

from medcards.study import StudyEngine

from .conftest import GUIDE

pytestmark = [pytest.mark.e2e, pytest.mark.server]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    import uvicorn

    db = tmp_path_factory.mktemp("web") / "temario.db"
    StudyEngine(db).close()
    port = _free_port()
    config = uvicorn.Config(
        create_app(db), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, name="medcards-web-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the medcards web server did not start on 127.0.0.1")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", db
    srv.should_exit = True
    thread.join(timeout=10)
    assert not thread.is_alive(), "the web server did not stop"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "Chromium is not installed: the browser tests drive Debian's chromium package. "
            "Install it with `make browser` (apt-get install chromium) and run them again."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="es-ES")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
    assert errors == [], errors


def _answer_index(db: Path, card_id: int) -> int:
    conn = sqlite3.connect(db)
    try:
        (body,) = conn.execute("SELECT body FROM cards WHERE card_id = ?", (card_id,)).fetchone()
    finally:
        conn.close()
    return int(json.loads(body)["answer_index"])


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("MEDCARDS_WEB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"web-{name}.png"), full_page=True)


def test_a_student_imports_studies_fails_answers_the_angle_and_sees_it(
    server: tuple[str, Path], page: Any
) -> None:
    base, db = server
    # Import a guide: topics appear, cards are generated in the background with progress.
    page.goto(f"{base}/calendar")
    page.set_input_files("#guide", str(GUIDE))
    page.fill("#modulo", "Urgencias")
    page.click("#import-submit")
    page.wait_for_selector("#job-message.state-done")
    assert page.inner_text("#job-message") == "6 topic(s): 6 card(s) ready, 0 rejected"
    assert page.inner_text("#job-count") == "6/6"
    assert page.evaluate("document.querySelector('#job-progress').value") == 6
    titles = page.locator("#topics td.title").all_inner_texts()
    assert titles[0] == "Hiperpotasemia <script>window.__pwned = 1</script>"  # shown as text
    assert page.evaluate("window.__pwned") is None  # and never run
    _shot(page, "calendar")

    page.goto(f"{base}/")
    assert page.locator("#new-topics tbody tr").count() == 6
    _shot(page, "today")

    # Five MCQs: the first is failed by choosing a wrong option, the rest answered right.
    page.goto(f"{base}/study")
    for n in range(5):
        assert page.inner_text("#reason") == "tema nuevo"
        # The page does not carry the key: read it from the database.
        assert page.locator("#options").get_attribute("data-answer") is None
        answer = _answer_index(db, int(page.get_attribute("#card", "data-card-id")))
        assert page.locator("#rating").is_hidden()
        assert page.locator("#answer").is_hidden()
        hints = page.locator(".rate .hint").all_inner_texts()
        assert hints == ["1 d", "1 d", "1 d", "1 d"]  # SM-2: every first review is due in a day
        if n == 0:
            assert page.evaluate("window.__pwned") is None
            assert "<script>" in page.inner_text("#topic-title")
            page.click(f".option[data-index='{(answer + 1) % 4}']")
            page.wait_for_selector("#answer:not([hidden])")
            assert page.inner_text("#verdict") == "Incorrecto."
            assert page.locator(".option.wrong").count() == 1
            assert page.locator(".option.correct").count() == 1
            assert page.locator("#answer .explanation").is_visible()
            assert page.locator("#answer .evidence").is_visible()
            # Where the quote is in the uploaded guide, the title shown as text.
            source = page.inner_text("#answer .source")
            assert re.fullmatch(r"guia_prueba\.md, l\. \d+, Hiperpotasemia <script>.*", source)
            assert "suggested" in page.get_attribute("#rate-1", "class")
            _shot(page, "study-mcq")
            with page.expect_navigation():
                page.keyboard.press("1")  # key 1 = Fail
            # The angle the engine created after the Fail comes next.
            assert page.locator("#angle-created").is_visible()
            assert page.inner_text("#reason") == "ángulo"
            page.fill("#recall", "Arritmia ventricular")
            page.click("#reveal")
            page.locator(".key-point").first.check()
            assert page.locator(".key-points li").count() >= 1
            assert page.locator("#rating").is_visible()
            assert page.locator(".rate .hint").all_inner_texts() == [
                "sigue pendiente",
                "sigue pendiente",
                "aprobado",
                "aprobado",
            ]
            _shot(page, "study-angle")
            with page.expect_navigation():
                page.keyboard.press("3")  # key 3 = Good: the angle is passed
            continue
        page.click(f".option[data-index='{answer}']")
        page.wait_for_selector("#answer:not([hidden])")
        assert page.inner_text("#verdict") == "¡Correcto!"
        with page.expect_navigation():
            if n == 4:
                page.dblclick("#rate-3")  # a double click records one review
            else:
                page.click("#rate-3")
        assert page.locator("#outcome").is_visible()
    assert "Registrado: Good" in page.inner_text("#outcome")

    # The dashboard shows the angle, passed and its card recovered.
    page.goto(f"{base}/dashboard")
    assert page.inner_text("#total-reviews") == "6"
    assert page.inner_text("#angles-open") == "0"
    assert page.inner_text("#angles-passed") == "1"
    assert page.inner_text("#angles-recovered") == "1"
    assert page.locator("figure svg").count() == 6
    assert page.evaluate("window.__pwned") is None
    _shot(page, "dashboard")

    # The database: six reviews (five MCQs, one angle variant) and five scheduled cards.
    conn = sqlite3.connect(db)
    try:
        reviews = conn.execute(
            "SELECT kind, rating, first_review FROM reviews ORDER BY review_id"
        ).fetchall()
        states = conn.execute("SELECT scheduler, interval_days, active FROM card_state").fetchall()
        angles = conn.execute("SELECT passed_at IS NOT NULL FROM angles").fetchall()
        introduced = conn.execute(
            "SELECT count(*) FROM topics WHERE introduced_at IS NOT NULL"
        ).fetchone()
        per_card = conn.execute(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM reviews GROUP BY card_id)"
        ).fetchone()
    finally:
        conn.close()
    assert reviews == [
        ("mcq", 1, 1),
        ("variant", 3, 1),
        ("mcq", 3, 1),
        ("mcq", 3, 1),
        ("mcq", 3, 1),
        ("mcq", 3, 1),
    ]
    assert sorted(states) == [("sm2", 1.0, 1)] * 5
    assert angles == [(1,)]
    assert introduced == (5,)
    assert per_card == (1,)


def test_settings_and_fsrs_pages_in_the_browser(server: tuple[str, Path], page: Any) -> None:
    base, _ = server
    page.goto(f"{base}/settings")
    page.fill("input[name=reviews_per_day]", "150")
    page.click("#save-settings")
    page.wait_for_selector("#saved")
    assert page.input_value("input[name=reviews_per_day]") == "150"
    _shot(page, "settings")
    page.goto(f"{base}/fsrs?retention=0.8,0.9,0.95&days=60&new=10")
    assert page.locator("#chart-workload svg polyline").count() == 3
    _shot(page, "fsrs")

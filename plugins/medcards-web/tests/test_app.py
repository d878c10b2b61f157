"""The web app through Starlette's TestClient: pages, the study loop and the security points."""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from medcards_web import create_app

from medcards.study import StudyEngine

from .conftest import GUIDE, LOCAL, Student

PAGES = ["/", "/study", "/calendar", "/dashboard", "/settings", "/fsrs"]


def _count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_every_page_renders_on_an_empty_and_a_filled_database(student: Student) -> None:
    for url in PAGES:
        response = student.get(url)
        assert response.status_code == 200, (url, response.text)
        assert "Content-Security-Policy" in response.headers
    student.import_guide()
    for url in PAGES:
        assert student.get(url).status_code == 200, url


def test_a_guide_imports_in_the_background_and_its_html_renders_as_text(
    student: Student, db: Path
) -> None:
    job = student.import_guide()
    assert job.state == "done", job.message
    assert (job.done, job.total) == (6, 6)
    assert job.message == "6 topic(s): 6 card(s) ready, 0 rejected"
    assert _count(db, "topics") == 6
    assert _count(db, "cards") == 6
    for url in ["/calendar", "/study", "/"]:
        page = student.get(url).text
        assert "<script>window.__pwned" not in page, url
        assert 'onerror="window' not in page
    assert (
        "Hiperpotasemia &lt;script&gt;window.__pwned = 1&lt;/script&gt;"
        in student.get("/calendar").text
    )
    study = student.get("/study").text
    assert "&lt;script&gt;" in study  # the first card of the guide carries the title


def test_the_study_loop_fail_creates_an_angle_shown_next(student: Student, db: Path) -> None:
    student.import_guide()
    today = student.get("/").text
    assert re.search(r'id="count-due">0<', today)
    assert today.count("<tr><td>") >= 6  # new topics listed in queue order
    page = student.get("/study").text
    assert 'class="options"' in page
    assert page.count('class="option"') == 4
    response = student.rate(1)
    assert response.status_code == 303
    after = student.get(response.headers["location"]).text
    assert 'id="angle-created"' in after
    assert re.search(r'id="reason">ángulo<', after)
    assert 'id="recall"' in after  # the angle is an open-recall card
    assert 'class="key-point"' in after
    assert _count(db, "reviews") == 1
    assert _count(db, "angles") == 1
    assert student.rate(3).status_code == 303  # the angle, passed
    with StudyEngine(db) as engine:
        assert [a["passed"] for a in engine.angles()] == [True]
    dashboard = student.get("/dashboard").text
    assert re.search(r'id="angles-passed">1<', dashboard)
    assert re.search(r'id="angles-recovered">1<', dashboard)
    assert dashboard.count("<svg") == 6


def test_rating_buttons_show_the_next_due_of_each_rating(student: Student, db: Path) -> None:
    student.post("/settings", _settings(scheduler="fsrs"))
    student.import_guide()
    page = student.get("/study").text
    hints = re.findall(r'<span class="hint">([^<]+)</span>', page)
    assert hints[:3] == ["1 min", "6 min", "10 min"]  # FSRS learning steps of a new card
    assert hints[3].endswith(" d")
    with StudyEngine(db) as engine:
        assert engine.settings()["web"]["scheduler"] == "fsrs"


def test_a_double_submit_records_one_review(student: Student, db: Path) -> None:
    student.import_guide()
    card, shown = student.shown_card()
    form = {"card_id": card, "shown": shown, "rating": 3}
    assert student.post("/study/rate", form).status_code == 303
    second = student.post("/study/rate", form)
    assert second.status_code == 409
    assert "already rated" in second.text
    assert _count(db, "reviews") == 1


@pytest.mark.parametrize("rating", ["0", "5", "abc", "", "2.5", "-1", "1e3", "good"])
def test_an_invalid_rating_is_refused_with_422(student: Student, db: Path, rating: str) -> None:
    student.import_guide()
    card, shown = student.shown_card()
    response = student.post("/study/rate", {"card_id": card, "shown": shown, "rating": rating})
    assert response.status_code == 422
    assert "field &#39;rating&#39; must be 1 (Fail)" in response.text
    assert _count(db, "reviews") == 0


def test_ids_and_dates_are_validated(student: Student) -> None:
    student.import_guide()
    assert student.post("/study/rate", {"shown": 0, "rating": 3}).status_code == 422
    missing = student.post("/study/rate", {"card_id": 999, "shown": 0, "rating": 3})
    assert missing.status_code == 404
    assert "unknown card id 999" in missing.text
    assert student.get("/study?card=abc").status_code == 400
    bad_day = student.post(
        "/calendar/topics/1", {"modulo": "M", "priority": 1, "date_assigned": "2026-13-40"}
    )
    assert bad_day.status_code == 422
    assert "date_assigned" in bad_day.text
    assert (
        student.post(
            "/calendar/topics/1", {"modulo": "M", "priority": 5000, "date_assigned": "2026-01-01"}
        ).status_code
        == 422
    )
    unknown = student.post(
        "/calendar/topics/999", {"modulo": "M", "priority": 1, "date_assigned": "2026-01-01"}
    )
    assert unknown.status_code == 404
    ok = student.post(
        "/calendar/topics/2", {"modulo": "Cardio", "priority": 9, "date_assigned": "2026-01-01"}
    )
    assert ok.status_code == 303
    assert "Cardio" in student.get("/calendar").text


def _settings(**overrides: str) -> dict[str, str]:
    values = {
        "scheduler": "sm2",
        "desired_retention": "0.9",
        "new_topics_per_day": "20",
        "reviews_per_day": "200",
        "generator": "extractive",
        "backend": "",
        "backend_options": "",
        "exam_date": "",
        "exam_target": "0.9",
    }
    return values | overrides


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("desired_retention", "1.5", "desired_retention"),
        ("scheduler", "anki", "scheduler"),
        ("generator", "nope", "unknown generator"),
        ("exam_date", "2026-02-30", "exam_date"),
        ("new_topics_per_day", "-3", "new_topics_per_day"),
        ("backend_options", "no equals sign", "backend_options"),
    ],
)
def test_settings_are_validated(student: Student, field: str, value: str, message: str) -> None:
    response = student.post("/settings", _settings(**{field: value}))
    assert response.status_code == 422
    assert message in response.text


def test_settings_are_stored(student: Student, db: Path) -> None:
    response = student.post(
        "/settings", _settings(desired_retention="0.85", exam_date="2026-06-15")
    )
    assert response.status_code == 303
    with StudyEngine(db) as engine:
        stored = engine.settings()["web"]
    assert stored["desired_retention"] == 0.85
    assert stored["exam_date"] == "2026-06-15"


def test_every_form_needs_the_csrf_token(student: Student, db: Path) -> None:
    student.import_guide()
    app = student.client.app
    posts = sorted(
        route.path.replace("{topic_id}", "1")
        for route in app.routes
        if "POST" in getattr(route, "methods", set())
    )
    assert posts == [
        "/calendar/generate",
        "/calendar/import",
        "/calendar/topics/1",
        "/fsrs/apply",
        "/fsrs/fit",
        "/settings",
        "/study/answer",
        "/study/rate",
    ]
    card, shown = student.shown_card()
    form = {"card_id": card, "shown": shown, "rating": 3}
    for path in posts:
        for token in (None, "wrong-token"):
            data = dict(form) if token is None else {**form, "csrf": token}
            response = student.client.post(path, data=data, follow_redirects=False)
            assert response.status_code == 403, path
            assert "CSRF" in response.text
    assert _count(db, "reviews") == 0


def test_a_token_is_needed_on_every_request_and_never_logged(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token = "s3cret-token-abcdefghijklmnop"
    caplog.set_level(logging.INFO, logger="medcards_web")
    with TestClient(create_app(db, token=token), raise_server_exceptions=False) as client:
        for url in [*PAGES, "/static/app.js", "/jobs/x"]:
            assert client.get(url).status_code == 401, url
        assert client.post("/study/rate", data={"rating": 3}).status_code == 401
        assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get(f"/?token={token}x", follow_redirects=False).status_code == 401
        assert client.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        first = client.get(f"/study?token={token}", follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == "/study"
        assert "HttpOnly" in first.headers["set-cookie"]
        assert client.get("/dashboard").status_code == 200  # the cookie now
    assert "GET /study 303" in caplog.text
    assert token not in caplog.text


def test_uploads_are_size_limited_and_type_checked(db: Path) -> None:
    with TestClient(
        create_app(db, max_upload_bytes=4096), base_url=LOCAL, raise_server_exceptions=False
    ) as c:
        student = Student(c)

        def upload(name: str, content: bytes) -> int:
            response = student.post(
                "/calendar/import", {"modulo": "X"}, files={"guide": (name, content, "text/plain")}
            )
            return int(response.status_code)

        assert upload("big.md", b"# T\n\n" + b"La dosis es 5 mg. " * 2000) == 413
        assert upload("guia.pdf", b"%PDF-1.4 ...") == 415
        assert upload("guia.md", b"# T\x00\x01 binary") == 415
        assert upload("guia.md", "# Tema\n\nLatin-1: dosis".encode("utf-16")) == 415
        chunked = c.post(
            "/calendar/import",
            content=iter([b"x" * 30_000, b"y" * 30_000, b"z" * 30_000]),
            headers={"content-type": "multipart/form-data; boundary=b"},
        )
        assert chunked.status_code == 413
    assert _count(db, "topics") == 0


def test_a_forced_error_shows_no_stack_trace(
    student: Student, monkeypatch: pytest.MonkeyPatch
) -> None:
    import medcards_web.app as web_app

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal detail at /home/student/temario.db")

    monkeypatch.setattr(web_app, "compute_dashboard", explode)
    response = student.get("/dashboard")
    assert response.status_code == 500
    assert "Traceback" not in response.text
    assert "secret internal detail" not in response.text
    assert "RuntimeError" not in response.text
    assert "reference" in response.text
    assert student.get("/nope").status_code == 404


def test_a_backend_that_is_down_shows_a_message_and_loses_nothing(
    student: Student, db: Path
) -> None:
    options = "host=http://127.0.0.1:9\nmax_retries=0\ntimeout_s=2"
    saved = student.post(
        "/settings", _settings(generator="llm", backend="ollama", backend_options=options)
    )
    assert saved.status_code == 303
    job = student.import_guide()
    assert job.state == "failed"
    assert "the backend stopped at topic 1 of 6" in job.message
    assert "not reachable" in job.message
    assert _count(db, "topics") == 6  # the imported topics are kept
    page = student.get("/study")
    assert page.status_code == 503
    assert "backend is not available" in page.text
    assert "Nothing was lost" in page.text
    assert student.get(f"/jobs/{job.job_id}").json()["state"] == "failed"
    assert student.get("/jobs/unknown").status_code == 404


def test_fsrs_page_explains_how_many_reviews_fitting_needs(student: Student) -> None:
    student.import_guide()
    page = student.get("/fsrs").text
    assert re.search(r'id="usable">0<', page)
    assert "512" in page
    response = student.post("/fsrs/fit")
    assert response.status_code == 303
    job = student.client.app.state.jobs.wait(response.headers["location"].split("job=")[1], 60)
    assert job.state == "failed"
    assert "at least 512 reviews" in job.message
    assert student.post("/fsrs/apply", {"use": "fitted"}).status_code == 409
    assert student.post("/fsrs/apply", {"use": "bogus"}).status_code == 422
    assert student.get("/fsrs?retention=2").status_code == 400
    assert student.get("/fsrs?days=0").status_code == 400
    sim = student.get("/fsrs?retention=0.8,0.95&days=20&new=5").text
    assert "R=0.80" in sim
    assert "R=0.95" in sim


def test_the_guide_fixture_has_html(tmp_path: Path) -> None:
    assert "<script>" in GUIDE.read_text(encoding="utf-8")


def test_module_names_are_escaped_in_pages_and_charts(student: Student) -> None:
    student.import_guide(modulo='<svg onload="window.__pwned=3">')
    student.rate(3)
    for url in ["/", "/calendar", "/dashboard", "/study"]:
        page = student.get(url).text
        assert '<svg onload="window' not in page, url
    assert "&lt;svg onload=" in student.get("/calendar").text


def test_switching_scheduler_on_a_scheduled_database_is_refused(student: Student) -> None:
    student.import_guide()
    student.rate(3)  # one card now scheduled by sm2
    response = student.post("/settings", _settings(scheduler="fsrs"))
    assert response.status_code == 409
    assert "scheduled by sm2" in response.text
    assert student.post("/settings", _settings(scheduler="sm2")).status_code == 303


def test_the_command_line_and_the_web_share_the_database(student: Student, db: Path) -> None:
    student.import_guide()
    with StudyEngine(db) as cli:  # a `medcards study` session holding its own connection
        item = cli.next_topic()
        assert item is not None
        cli.update_progress(item, 3)
        assert student.get("/").status_code == 200
        card, shown = student.shown_card()
        assert card != item.card.card_id  # the web serves the next one
        assert (
            student.post("/study/rate", {"card_id": card, "shown": shown, "rating": 4}).status_code
            == 303
        )
        assert len(cli.review_log()) == 2
    stale = student.post("/study/rate", {"card_id": item.card.card_id, "shown": 0, "rating": 3})
    assert stale.status_code == 409  # rated by the command line since it was shown


def test_a_stored_setting_that_no_longer_validates_falls_back_to_its_default(
    student: Student, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with StudyEngine(db) as engine:
        engine.save_settings({"web": {"generator": "uninstalled", "reviews_per_day": 77}})
    page = student.get("/settings")
    assert page.status_code == 200
    assert 'value="77"' in page.text
    assert "stored setting 'generator' is invalid" in caplog.text


def test_a_foreign_host_name_is_refused_without_a_token(db: Path) -> None:
    # DNS rebinding: a hostile site's name resolving to 127.0.0.1 reaches the loopback server.
    hostile = "http://rebind.attacker.example:8000"
    with TestClient(create_app(db), base_url=hostile, raise_server_exceptions=False) as client:
        page = client.get("/settings")
        assert page.status_code == 400
        assert "'rebind.attacker.example:8000'" in page.text
        assert "medcards_csrf" not in client.cookies  # no page, no CSRF value to take
        for url in [*PAGES, "/static/app.js", "/jobs/x"]:
            assert client.get(url).status_code == 400, url
        csrf = "a" * 43  # a value scraped from a page: the cookie and the field agree
        client.cookies.set("medcards_csrf", csrf)
        posted = client.post(
            "/settings", data={"csrf": csrf, "reviews_per_day": "1"}, follow_redirects=False
        )
        assert posted.status_code == 400
        assert client.get("/", headers={"Host": ""}).status_code == 400
    with StudyEngine(db) as engine:
        assert engine.settings() == {}  # nothing saved
    for base in ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"]:
        with TestClient(create_app(db), base_url=base) as client:
            assert client.get("/settings").status_code == 200, base
    # The --host value is allowed too; with a token every name is (the token guards it).
    with TestClient(create_app(db, hosts=["::1", "Study.Local"]), base_url=hostile) as client:
        assert client.get("/").status_code == 400
        assert client.get("/", headers={"Host": "study.local:8000"}).status_code == 200
    token = "t" * 32
    with TestClient(create_app(db, token=token), base_url="http://192.168.1.20:8000") as client:
        assert client.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.get("/").status_code == 401


def test_any_integer_id_on_every_id_route_is_a_4xx_never_a_500(db: Path) -> None:
    ids = st.one_of(
        st.integers(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.sampled_from([0, -1, 2**62, 2**62 + 1, 2**63 - 1, 2**63, 2**64, 2**70]),
    )
    with TestClient(create_app(db), base_url=LOCAL, raise_server_exceptions=False) as client:
        student = Student(client)

        @settings(max_examples=40, deadline=None)
        @given(ids, ids)
        def check(n: int, m: int) -> None:
            responses = {
                "GET /study?card": student.get(f"/study?card={n}"),
                "GET /study?review": student.get(f"/study?review={n}"),
                "POST /study/rate card_id": student.post(
                    "/study/rate", {"card_id": n, "shown": 0, "rating": 3}
                ),
                "POST /study/answer card_id": student.post(
                    "/study/answer", {"card_id": n, "chosen": 0}
                ),
                "POST /study/rate shown": student.post(
                    "/study/rate", {"card_id": 1, "shown": m, "rating": 3}
                ),
                "POST /calendar/topics/{id}": student.post(
                    f"/calendar/topics/{n}",
                    {"modulo": "X", "priority": 0, "date_assigned": "2026-01-01"},
                ),
            }
            for route, response in responses.items():
                assert 400 <= response.status_code < 500, (route, n, m, response.text)
                assert "Traceback" not in response.text

        check()
    assert _count(db, "reviews") == 0


def test_the_fsrs_exam_table_costs_the_same_queries_for_3_or_6_cards(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import medcards_web.app as web_app

    from medcards.study import connect

    statements: list[str] = []

    def traced(path: Path) -> sqlite3.Connection:
        conn = connect(path)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(web_app, "connect", traced)
    with TestClient(create_app(db), base_url=LOCAL, raise_server_exceptions=False) as client:
        student = Student(client)
        saved = student.post("/settings", _settings(scheduler="fsrs", exam_date="2030-01-01"))
        assert saved.status_code == 303, saved.text
        student.import_guide()
        queries = {}
        for n in range(1, 7):
            assert student.rate(3).status_code == 303
            if n in (3, 6):
                statements.clear()
                page = student.get("/fsrs")
                assert page.status_code == 200
                queries[n] = len(statements)
                assert re.search(rf'id="exam-reached">\d+</b> de {n} tarjetas', page.text)
                assert "Hiperpotasemia &lt;script&gt;" in page.text  # titles, escaped
    assert queries[3] == queries[6], queries


def test_the_mcq_key_reaches_the_page_only_after_the_student_chooses(
    student: Student, db: Path
) -> None:
    student.import_guide()
    card_id, _ = student.shown_card()
    with StudyEngine(db) as engine:
        card = engine.card(card_id).card
    page = student.get("/study").text
    assert "data-answer" not in page
    assert "Respuesta:" not in page
    assert card.explanation[:40] not in page
    wrong = (card.answer_index + 1) % len(card.options)
    checked = student.post("/study/answer", {"card_id": card_id, "chosen": wrong})
    assert checked.status_code == 200
    data = checked.json()
    assert (data["chosen"], data["answer"], data["correct"]) == (wrong, card.answer_index, False)
    assert "Incorrecto." in data["html"]
    assert f"Respuesta: <b>{'ABCDE'[card.answer_index]}." in data["html"]
    assert "<script>" not in data["html"]  # the guide's HTML stays text here too
    right = student.post("/study/answer", {"card_id": card_id, "chosen": card.answer_index})
    assert right.json()["correct"] is True
    assert "¡Correcto!" in right.json()["html"]
    refused = student.post("/study/answer", {"card_id": card_id, "chosen": 4})
    assert refused.status_code == 422
    assert "must be between 0 and 3, got 4" in refused.text
    assert student.post("/study/answer", {"card_id": card_id, "chosen": -1}).status_code == 422
    assert _count(db, "reviews") == 0  # checking an answer records nothing
    assert student.rate(1).status_code == 303
    with StudyEngine(db) as engine:
        angle = engine.angles()[0]
    variant = student.post("/study/answer", {"card_id": angle["card_id"], "chosen": 0})
    assert variant.status_code == 409

"""The web app: Today, Study, Calendar, Dashboard, Settings and FSRS pages over one temario.db.

Every page opens its own connection to the study database (SQLite in WAL mode), so the web
process and ``medcards study`` can use the same file at the same time. Card text is rendered
through Jinja2 with autoescaping, always. Errors become a page with a clear message and a 4xx
status (5xx for a backend that is down or an internal error), never a stack trace.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

import medcards
from medcards.study import (
    DuplicateReviewError,
    InvalidRatingError,
    StudyEngine,
    TopicLevel,
    UnknownTopicError,
    compute_dashboard,
    connect,
    parse_rating,
    simulate_workload,
)
from medcards_web import charts
from medcards_web.jobs import JobRegistry, Progress
from medcards_web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    LOOPBACK_HOSTS,
    AccessLogMiddleware,
    BodyLimitMiddleware,
    HostCheckMiddleware,
    TokenMiddleware,
    csrf_matches,
    new_csrf,
)
from medcards_web.settings import StudySettings, load_settings, save_settings

log = logging.getLogger("medcards_web")
HERE = Path(__file__).parent
#: Largest guide upload accepted (bytes).
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
#: Guide file types accepted.
GUIDE_SUFFIXES = (".md", ".markdown", ".txt")
#: Guide files served from the ``--guides`` folder (evidence links go to their pages).
GUIDE_FILE_SUFFIXES = (".pdf",)
#: Settings key of the last FSRS fit.
FIT_KEY = "fsrs_fit"
#: Largest id accepted in a path, a query or a form (SQLite integers are 64-bit signed).
MAX_ID = 2**62
#: A row id in a route's path: 1 to :data:`MAX_ID`, else 422 naming the parameter.
RowId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
#: Cards the FSRS page's exam-date table predicts recall for (the first ones scheduled).
EXAM_CARDS = 2000
RATING_LABELS = {1: "Fail", 2: "Hard", 3: "Good", 4: "Easy"}
REASONS = {"review": "repaso", "angle": "ángulo", "new": "tema nuevo"}


class BadInput(Exception):
    """A request the app refuses, with the status and the message the page shows."""

    def __init__(self, status: int, message: str) -> None:
        """Keep the status and the message."""
        super().__init__(message)
        self.status = status
        self.message = message


def human_delta(delta: dt.timedelta) -> str:
    """A short interval as Anki shows it on buttons: ``10 min``, ``3 h``, ``6 d``, ``2.5 mo``."""
    seconds = max(delta.total_seconds(), 0.0)
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    if seconds < 86_400:
        return f"{round(seconds / 3600)} h"
    days = seconds / 86_400
    if days < 30:
        return f"{round(days)} d"
    if days < 365:
        return f"{days / 30.44:.1f} mo"
    return f"{days / 365.25:.1f} y"


def form_int(form: FormData, name: str, low: int, high: int) -> int:
    """Field ``name`` as an integer in ``[low, high]``; 422 naming the field otherwise."""
    raw = form.get(name)
    if not isinstance(raw, str) or not raw.strip():
        raise BadInput(422, f"field {name!r} is missing")
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadInput(422, f"field {name!r} must be a whole number, got {raw[:40]!r}") from None
    if not low <= value <= high:
        raise BadInput(422, f"field {name!r} must be between {low} and {high}, got {value}")
    return value


def form_text(form: FormData, name: str, *, max_len: int = 200, default: str = "") -> str:
    """Field ``name`` as text of at most ``max_len`` characters."""
    raw = form.get(name, default)
    if not isinstance(raw, str):
        raise BadInput(422, f"field {name!r} must be text")
    if len(raw) > max_len:
        raise BadInput(422, f"field {name!r} is longer than {max_len} characters")
    return raw.strip()


def form_date(form: FormData, name: str, *, required: bool = True) -> dt.date | None:
    """Field ``name`` as a YYYY-MM-DD date."""
    raw = form_text(form, name, max_len=20)
    if not raw:
        if required:
            raise BadInput(422, f"field {name!r} is missing (YYYY-MM-DD)")
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise BadInput(422, f"field {name!r} must be a date YYYY-MM-DD, got {raw!r}") from None


def query_int(request: Request, name: str, low: int, high: int) -> int | None:
    """Query parameter ``name`` as an integer in range, None when absent."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadInput(400, f"query parameter {name!r} must be a whole number") from None
    if not low <= value <= high:
        raise BadInput(400, f"query parameter {name!r} must be between {low} and {high}")
    return value


def guide_link(guides: Path | None, location: medcards.SourceLocation | None) -> str | None:
    """The address of the page a card's evidence is printed on, when the app serves its guide.

    ``/guides/NAME#page=N`` for a PDF guide ``NAME`` found directly in ``guides`` (the
    ``--guides`` folder); None when no folder is served, the location has no file, the file is
    not a PDF or not in the folder: the page then shows the location as text only.
    """
    if guides is None or location is None or not location.file:
        return None
    name = Path(location.file).name
    if not name.lower().endswith(GUIDE_FILE_SUFFIXES) or not (guides / name).is_file():
        return None
    page = f"#page={location.first_page}" if location.first_page is not None else ""
    return f"/guides/{quote(name)}{page}"


def create_app(
    db: str | Path,
    *,
    token: str | None = None,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    clock: Callable[[], dt.datetime] | None = None,
    guides: str | Path | None = None,
    hosts: Sequence[str] = (),
) -> Any:
    """The ASGI app serving the study database ``db`` (created if missing).

    Args:
        db: Path of ``temario.db``.
        token: Access token every request must carry (None: no token, loopback only).
        max_upload_bytes: Largest request body (a guide upload) accepted.
        clock: Current time (UTC) for the pages; default the wall clock.
        guides: Folder of the guide PDFs the cards were made from (``medcards serve
            --guides``): its PDFs are served at ``/guides/NAME`` and each evidence quote's
            location links to its page (``#page=N``). None: locations are text only.
        hosts: ``Host`` names accepted besides ``127.0.0.1``, ``localhost`` and ``[::1]``
            when there is no token (``medcards serve`` passes its ``--host``); a request under
            any other name gets 400, which stops DNS rebinding. With a token every name is
            accepted: the token guards each request.

    Raises:
        MedcardsError: ``guides`` is not a folder.
    """
    db_path = Path(db)
    guides_dir = None if guides is None else Path(guides).resolve()
    if guides_dir is not None and not guides_dir.is_dir():
        raise medcards.MedcardsError(f"--guides {guides}: no such folder")
    StudyEngine(db_path).close()  # create / migrate once, up front
    now_fn = clock or (lambda: dt.datetime.now(dt.UTC))
    app = FastAPI(title="medcards", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    jobs = JobRegistry()
    app.state.db = db_path
    app.state.jobs = jobs
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    templates.env.globals["guide_link"] = lambda location: guide_link(guides_dir, location)

    local = threading.local()

    def connection() -> sqlite3.Connection:
        # One connection per worker thread, kept open: no reconnect per request, and the WAL is
        # never checkpointed and removed by a "last connection" closing after every rating.
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is None:
            conn = connect(db_path)
            local.conn = conn
        return conn

    @contextlib.contextmanager
    def engine_for(*, generator: bool = True) -> Iterator[tuple[StudyEngine, StudySettings]]:
        conn = connection()
        settings = load_settings(StudyEngine(conn))
        engine = StudyEngine(
            conn,
            scheduler=settings.make_scheduler(),
            generator=settings.make_generator() if generator else None,
            limits=settings.limits(),
        )
        yield engine, settings

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        csrf = request.cookies.get(CSRF_COOKIE) or new_csrf()
        context.setdefault("now", now_fn())
        response = templates.TemplateResponse(
            request, name, {"csrf": csrf, "csrf_field": CSRF_FIELD, **context}, status_code=status
        )
        if request.cookies.get(CSRF_COOKIE) != csrf:
            response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/")
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def error_page(request: Request, status: int, message: str) -> HTMLResponse:
        return render(request, "error.html", status=status, status_code=status, message=message)

    async def checked_form(request: Request) -> FormData:
        try:
            form = await request.form(max_files=1, max_fields=50)
        except Exception:
            raise BadInput(400, "the form could not be read (malformed body)") from None
        field = form.get(CSRF_FIELD)
        if not csrf_matches(
            request.cookies.get(CSRF_COOKIE), field if isinstance(field, str) else None
        ):
            await form.close()
            raise BadInput(
                403,
                "missing or wrong CSRF token: reload the page and submit the form again",
            )
        return form

    # -- errors ----------------------------------------------------------------------------

    @app.exception_handler(BadInput)
    async def bad_input(request: Request, exc: BadInput) -> Response:
        return error_page(request, exc.status, exc.message)

    @app.exception_handler(DuplicateReviewError)
    async def duplicate(request: Request, exc: DuplicateReviewError) -> Response:
        return render(
            request, "error.html", status=409, status_code=409, message=str(exc), next_url="/study"
        )

    @app.exception_handler(medcards.MedcardsError)
    async def user_error(request: Request, exc: medcards.MedcardsError) -> Response:
        if isinstance(exc, medcards.BackendError):
            return error_page(
                request,
                503,
                f"the card generator's backend is not available: {exc}. Nothing was lost: "
                "what is stored stays stored; try again when it is back, or pick another "
                "generator in Settings.",
            )
        status = 404 if isinstance(exc, UnknownTopicError) else 409
        if isinstance(exc, InvalidRatingError):
            status = 422
        return error_page(request, status, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = "page not found" if exc.status_code == 404 else str(exc.detail)
        return error_page(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_page(request, 422, f"{where}: {first.get('msg')}")

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        ref = secrets.token_hex(4)
        log.error("internal error %s on %s %s", ref, request.method, request.url.path, exc_info=exc)
        return HTMLResponse(
            f"<!doctype html><title>medcards: error</title><h1>Internal error</h1><p>Something "
            f"went wrong on the server (reference {ref}; the details are in its log). Nothing "
            "stored was lost.</p><p><a href='/'>Back to Today</a></p>",
            status_code=500,
        )

    # -- Today -----------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def today(request: Request) -> Response:
        now = now_fn()
        with engine_for(generator=False) as (engine, settings):
            due = engine.due_cards(now, limit=20)
            pending = engine.angles(pending_only=True)
            angle_rows = []
            for angle in pending[:20]:
                card = engine.card(angle["card_id"])
                angle_rows.append((engine.topic(card.topic_id), card, angle))
            context: dict[str, Any] = {
                "due": due,
                "due_count": engine.count_due(now),
                "angles": angle_rows,
                "angle_count": len(pending),
                "new": engine.new_topics(now, limit=20),
                "reviews_today": engine.reviews_today(now),
                "new_today": engine.new_topics_today(now),
                "settings": settings,
                "topic_count": engine.count_topics(),
            }
        return render(request, "today.html", page="today", **context)

    # -- Study -----------------------------------------------------------------------------

    def card_view(engine: StudyEngine, item_card: Any, now: dt.datetime) -> dict[str, Any]:
        preview = engine.preview(item_card, now)
        buttons = []
        for rating, label in RATING_LABELS.items():
            due = preview[medcards.Rating(rating)]
            if due is None and item_card.kind == medcards.CardKind.VARIANT:
                hint = "aprobado" if rating >= 3 else "sigue pendiente"
            elif due is None:  # scheduled by another scheduler: rating it is refused
                hint = "—"
            else:
                hint = human_delta(due - now)
            buttons.append({"value": rating, "label": label, "hint": hint, "key": rating})
        return {"buttons": buttons, "shown": engine.reviews_of(item_card.card_id)}

    @app.get("/study", response_class=HTMLResponse)
    def study(request: Request) -> Response:
        now = now_fn()
        card_id = query_int(request, "card", 1, MAX_ID)
        review_id = query_int(request, "review", 1, MAX_ID)
        with engine_for() as (engine, _settings):
            last = None
            if review_id is not None:
                record = engine.review(review_id)
                if record is None:
                    raise BadInput(404, f"no review {review_id} in this study database")
                last = {
                    "record": record,
                    "topic": engine.topic(record["topic_id"]),
                    "label": RATING_LABELS[record["rating"]],
                    "angle": None,
                }
                if record["angle_id"] is not None:
                    angle = next(a for a in engine.angles() if a["angle_id"] == record["angle_id"])
                    last["angle"] = {**angle, "card": engine.card(angle["card_id"]).card}
            item = None
            if card_id is not None:
                stored = engine.card(card_id)
                topic = engine.topic(stored.topic_id)
                reason = "angle" if stored.kind == medcards.CardKind.VARIANT else "review"
                item = {"reason": reason, "topic": topic, "card": stored}
            else:
                found = engine.next_topic(now)
                if found is not None:
                    item = {"reason": found.reason, "topic": found.topic, "card": found.card}
            view = card_view(engine, item["card"], now) if item is not None else {}
            rejections = dict(engine.rejections)
        return render(
            request,
            "study.html",
            page="study",
            item=item,
            reasons=REASONS,
            last=last,
            rejections=rejections,
            levels=TopicLevel.NAMES,
            **view,
        )

    @app.post("/study/rate")
    async def rate(request: Request) -> Response:
        form = await checked_form(request)
        card_id = form_int(form, "card_id", 1, MAX_ID)
        shown = form_int(form, "shown", 0, MAX_ID)
        raw = form.get("rating")
        try:
            rating = parse_rating(raw if isinstance(raw, str) and raw.isdigit() else None)
        except InvalidRatingError:
            raise BadInput(
                422,
                "field 'rating' must be 1 (Fail), 2 (Hard), 3 (Good) or 4 (Easy), "
                f"got {str(raw)[:20]!r}",
            ) from None

        def record() -> int:
            with engine_for() as (engine, _):
                outcome = engine.update_progress(card_id, rating, now_fn(), shown_reviews=shown)
                return outcome.review_id

        review_id = await run_in_threadpool(record)
        return RedirectResponse(f"/study?review={review_id}", status_code=303)

    @app.post("/study/answer")
    async def check_answer(request: Request) -> Response:
        """The key of an MCQ, sent only once the student has chosen an option."""
        form = await checked_form(request)
        card_id = form_int(form, "card_id", 1, MAX_ID)
        chosen = form_int(form, "chosen", 0, 4)

        def load() -> Any:
            with engine_for(generator=False) as (engine, _):
                return engine.card(card_id)

        stored = await run_in_threadpool(load)
        if stored.kind != medcards.CardKind.MCQ:
            raise BadInput(409, f"card {card_id} is not a multiple-choice question")
        card = stored.card
        if chosen >= len(card.options):
            raise BadInput(
                422, f"field 'chosen' must be between 0 and {len(card.options) - 1}, got {chosen}"
            )
        correct = chosen == card.answer_index
        fragment = templates.get_template("mcq_answer.html").render(card=card, correct=correct)
        return JSONResponse(
            {"chosen": chosen, "answer": card.answer_index, "correct": correct, "html": fragment},
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    @app.get("/guides/{name}")
    def guide_file(name: str) -> Response:
        # Only PDFs directly in the --guides folder: never a path, a hidden file or other types.
        if guides_dir is None or name != Path(name).name or name.startswith("."):
            raise BadInput(404, "page not found")
        path = (guides_dir / name).resolve()
        if (
            path.parent != guides_dir
            or not name.lower().endswith(GUIDE_FILE_SUFFIXES)
            or not path.is_file()
        ):
            raise BadInput(404, f"no guide {name[:80]!r} is served here")
        return FileResponse(
            path,
            media_type="application/pdf",
            filename=name,
            content_disposition_type="inline",
            headers={"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"},
        )

    # -- Calendar --------------------------------------------------------------------------

    @app.get("/calendar", response_class=HTMLResponse)
    def calendar(request: Request) -> Response:
        job_id = request.query_params.get("job", "")
        job = jobs.get(job_id) if job_id else None
        with engine_for(generator=False) as (engine, settings):
            topics = engine.topics(limit=500)
            total = engine.count_topics()
        return render(
            request,
            "calendar.html",
            page="calendar",
            topics=topics,
            total=total,
            job=job,
            levels=TopicLevel.NAMES,
            settings=settings,
            suffixes=", ".join(GUIDE_SUFFIXES),
            max_kib=max_upload_bytes // 1024,
        )

    @app.post("/calendar/topics/{topic_id}")
    async def edit_topic(request: Request, topic_id: RowId) -> Response:
        form = await checked_form(request)
        modulo = form_text(form, "modulo", max_len=120)
        priority = form_int(form, "priority", -1000, 1000)
        day = form_date(form, "date_assigned")
        assert day is not None

        def edit() -> None:
            with engine_for(generator=False) as (engine, _):
                engine.edit_topic(topic_id, modulo=modulo, priority=priority, date_assigned=day)

        await run_in_threadpool(edit)
        return RedirectResponse("/calendar", status_code=303)

    def generation_job(topic_ids: list[int]) -> Callable[[Progress], str]:
        def work(progress: Progress) -> str:
            progress.update(total=len(topic_ids), done=0, message="generating cards")
            made = rejected = 0
            with engine_for() as (engine, _settings):
                if engine.generator is None:
                    return "no generator configured (Settings): topics stored without cards"
                for n, topic_id in enumerate(topic_ids, start=1):
                    topic = engine.topic(topic_id)
                    progress.update(message=f"generating: {topic.title}")
                    try:
                        card = engine.ensure_card(topic, medcards.CardKind.MCQ)
                    except medcards.BackendError as exc:
                        raise medcards.BackendError(
                            f"the backend stopped at topic {n} of {len(topic_ids)} "
                            f"({topic.title!r}): {exc}. The topics and the {made} card(s) "
                            "made are stored; generate the rest later from the Calendar"
                        ) from None
                    made += card is not None
                    rejected += card is None
                    progress.update(done=n)
            return f"{len(topic_ids)} topic(s): {made} card(s) ready, {rejected} rejected"

        return work

    @app.post("/calendar/import")
    async def import_guide(request: Request) -> Response:
        form = await checked_form(request)
        try:
            return await import_upload(request, form)
        finally:
            await form.close()

    async def import_upload(request: Request, form: FormData) -> Response:
        upload = form.get("guide")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise BadInput(422, "field 'guide': choose a guide file to upload")
        name = Path(upload.filename).name
        if not name.lower().endswith(GUIDE_SUFFIXES):
            raise BadInput(
                415,
                f"{name!r} is not a guide file: upload Markdown or text "
                f"({', '.join(GUIDE_SUFFIXES)})",
            )
        data = await upload.read()
        if len(data) > max_upload_bytes:
            raise BadInput(413, f"{name!r} is over the {max_upload_bytes // 1024} KiB limit")
        if b"\x00" in data:
            raise BadInput(415, f"{name!r} is binary, not a text guide")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadInput(415, f"{name!r} is not UTF-8 text (byte {exc.start})") from None
        modulo = form_text(form, "modulo", max_len=120) or Path(name).stem
        day = form_date(form, "date_assigned", required=False)

        def store() -> list[int]:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / (Path(name).stem + ".md")
                path.write_text(text, encoding="utf-8")
                # The topics keep the uploaded file's name (not the temporary copy's path).
                sections = [
                    s.model_copy(update={"source": name})
                    for s in medcards.split_guide(path, modulo)
                ]
            with engine_for(generator=False) as (engine, _):
                topics = engine.import_sections(
                    sections, date_assigned=day, now=now_fn(), source=name
                )
            return [t.topic_id for t in topics]

        topic_ids = await run_in_threadpool(store)
        job = jobs.start("import", generation_job(topic_ids))
        return RedirectResponse(f"/calendar?job={job.job_id}", status_code=303)

    @app.post("/calendar/generate")
    async def generate_missing(request: Request) -> Response:
        await checked_form(request)

        def pending() -> list[int]:
            with engine_for(generator=False) as (engine, _):
                return [
                    t.topic_id for t in engine.topics() if not t.introduced and not engine.cards(t)
                ]

        job = jobs.start("generate", generation_job(await run_in_threadpool(pending)))
        return RedirectResponse(f"/calendar?job={job.job_id}", status_code=303)

    @app.get("/jobs/{job_id}")
    def job_status(job_id: str) -> Response:
        job = jobs.get(job_id)
        if job is None:
            return JSONResponse({"error": f"no job {job_id[:20]!r}"}, status_code=404)
        return JSONResponse(job.model_dump())

    # -- Dashboard -------------------------------------------------------------------------

    @app.get("/dashboard", response_class=HTMLResponse)
    def dashboard(request: Request) -> Response:
        now = now_fn()
        with engine_for(generator=False) as (engine, _):
            board = compute_dashboard(engine, now, days=30)
        level_labels = ["Nuevos", *(TopicLevel.NAMES[k] for k in sorted(board.levels))]
        level_values = [board.new_topics, *(board.levels[k] for k in sorted(board.levels))]
        svgs = {
            "levels": charts.bar_chart(
                level_labels,
                level_values,
                title="Temas por nivel",
                colors=["#bbbbbb", "#4c72b0", "#dd8452", "#55a868"],
            ),
            "history": charts.bar_chart(
                [d.strftime("%d/%m") for d, *_ in board.history],
                [n for _, n, _, _ in board.history],
                title="Repasos por día (últimos 30 días)",
                label_every=5,
            ),
            "retention": charts.line_chart(
                [d.strftime("%d/%m") for d, *_ in board.history],
                [
                    (
                        "retención %",
                        [100.0 * ok / rep if rep else None for _, _, rep, ok in board.history],
                    )
                ],
                title="Retención diaria (% de repasos no fallados)",
                label_every=5,
                y_max=100.0,
            ),
            "forecast": charts.bar_chart(
                [d.strftime("%d/%m") for d, _ in board.forecast],
                [c for _, c in board.forecast],
                title="Repasos previstos (próximos 30 días)",
                color="#dd8452",
                label_every=5,
            ),
            "modules": charts.bar_chart(
                [r.modulo or "(sin módulo)" for r in board.retention],
                [round(100 * (r.retention or 0.0), 1) for r in board.retention],
                title="Retención por módulo (%)",
                color="#55a868",
                y_max=100.0,
                unit=" %",
            ),
            "angles": charts.bar_chart(
                ["abiertos", "superados", "tarjetas recuperadas"],
                [board.pending_angles, board.angles_passed, board.recovered_cards],
                title="Ángulos",
                colors=["#c44e52", "#55a868", "#4c72b0"],
            ),
        }
        return render(request, "dashboard.html", page="dashboard", board=board, svgs=svgs)

    # -- Settings --------------------------------------------------------------------------

    @app.get("/settings", response_class=HTMLResponse)
    def settings_page(request: Request) -> Response:
        with engine_for(generator=False) as (_, settings):
            pass
        return render(
            request,
            "settings.html",
            page="settings",
            settings=settings,
            generators=["none", *medcards.card_generator_names()],
            backends=medcards.backend_names(),
            saved=request.query_params.get("saved") == "1",
        )

    @app.post("/settings")
    async def save_settings_page(request: Request) -> Response:
        form = await checked_form(request)
        raw_options = form_text(form, "backend_options", max_len=4000)
        try:
            options = medcards.parse_key_values(
                [line for line in raw_options.splitlines() if line.strip()],
                flag="backend_options",
            )
        except Exception as exc:
            raise BadInput(422, f"field 'backend_options': {exc}") from None
        values: dict[str, Any] = {
            key: form_text(form, key, max_len=200)
            for key in (
                "scheduler",
                "desired_retention",
                "new_topics_per_day",
                "reviews_per_day",
                "generator",
                "backend",
                "exam_target",
            )
        }
        values["exam_date"] = form_date(form, "exam_date", required=False)
        values["backend_options"] = options

        def store() -> None:
            with engine_for(generator=False) as (engine, current):
                merged = {**current.model_dump(), **values}
                try:
                    updated = StudySettings.model_validate(merged)
                except ValidationError as exc:
                    first = exc.errors()[0]
                    field = ".".join(str(p) for p in first["loc"])
                    raise BadInput(422, f"field {field!r}: {first['msg']}") from None
                if updated.scheduler != current.scheduler:
                    others = {s.scheduler for s in engine.scheduled_states().values()}
                    others.discard(updated.scheduler)
                    if others:
                        raise BadInput(
                            409,
                            f"this database's cards are scheduled by {sorted(others)[0]}: "
                            f"switching to {updated.scheduler} would strand them; keep "
                            f"{current.scheduler}, or study {updated.scheduler} in a new database",
                        )
                save_settings(engine, updated)

        await run_in_threadpool(store)
        return RedirectResponse("/settings?saved=1", status_code=303)

    # -- FSRS ------------------------------------------------------------------------------

    @app.get("/fsrs", response_class=HTMLResponse)
    def fsrs_page(request: Request) -> Response:
        from medcards_web.fitting import MIN_REVIEWS_TO_FIT, count_fit_reviews, histories

        now = now_fn()
        raw = request.query_params.get("retention", "0.8,0.85,0.9,0.95")
        try:
            retentions = [float(x) for x in raw.split(",") if x.strip()][:6]
        except ValueError:
            raise BadInput(400, "query parameter 'retention': comma-separated numbers") from None
        if not retentions or any(not 0.7 <= r <= 0.99 for r in retentions):
            raise BadInput(400, "query parameter 'retention': each between 0.70 and 0.99")
        days = query_int(request, "days", 1, 365) or 30
        job_id = request.query_params.get("job", "")
        with engine_for(generator=False) as (engine, settings):
            new = query_int(request, "new", 0, 500)
            new = settings.new_topics_per_day if new is None else new
            scheduled = engine.scheduled_states()
            states = [s for s in scheduled.values() if s.scheduler == "fsrs"]
            fit = engine.settings().get(FIT_KEY)
            usable = count_fit_reviews(histories(engine.review_log())) if fit is None else None
            exam_rows: list[tuple[str, float]] = []
            scheduler = settings.make_scheduler()
            if settings.exam_date is not None and settings.scheduler == "fsrs":
                exam = dt.datetime.combine(settings.exam_date, dt.time(), dt.UTC)
                recalls = [
                    (card_id, p)
                    for card_id, state in list(scheduled.items())[:EXAM_CARDS]
                    if (p := scheduler.recall_probability(state, exam)) is not None
                ]
                titles = engine.card_titles([card_id for card_id, _ in recalls])
                exam_rows = [(titles[card_id], p) for card_id, p in recalls if card_id in titles]
        sample = states[:5000]
        forecasts = [
            simulate_workload(
                desired_retention=r,
                days=days,
                new_per_day=min(new, 200),
                states=sample,
                start=now,
                parameters=settings.fsrs_parameters,
            )
            for r in retentions
        ]
        workload_svg = charts.line_chart(
            [d.strftime("%d/%m") for d, _ in forecasts[0].days],
            [(f"R={f.desired_retention:.2f}", [float(n) for _, n in f.days]) for f in forecasts],
            title=(
                f"Repasos por día simulados ({len(sample)} tarjetas FSRS"
                f" + {min(new, 200)} nuevas/día)"
            ),
            label_every=max(1, days // 6),
        )
        reached = sum(1 for _, p in exam_rows if p >= settings.exam_target)
        return render(
            request,
            "fsrs.html",
            page="fsrs",
            settings=settings,
            fit=fit,
            usable=usable,
            min_reviews=MIN_REVIEWS_TO_FIT,
            job=jobs.get(job_id) if job_id else None,
            forecasts=forecasts,
            workload_svg=workload_svg,
            days=days,
            new=new,
            retention_text=",".join(f"{r:g}" for r in retentions),
            exam_rows=sorted(exam_rows, key=lambda row: row[1])[:200],
            exam_reached=reached,
            exam_total=len(exam_rows),
        )

    @app.post("/fsrs/fit")
    async def fit(request: Request) -> Response:
        await checked_form(request)

        def work(progress: Progress) -> str:
            from medcards_web.fitting import fit_fsrs

            progress.update(total=1, message="fitting FSRS to the review log")
            with engine_for(generator=False) as (engine, _):
                log_rows = engine.review_log()
            result = fit_fsrs(log_rows)
            with engine_for(generator=False) as (engine, _):
                engine.save_settings({FIT_KEY: result.model_dump(mode="json")})
            progress.update(done=1)
            return (
                f"fitted on {result.train_reviews} reviews: held-out log loss "
                f"{result.loss_default:.4f} (defaults) -> {result.loss_fitted:.4f} (fitted)"
            )

        job = jobs.start("fit", work)
        return RedirectResponse(f"/fsrs?job={job.job_id}", status_code=303)

    @app.post("/fsrs/apply")
    async def apply_fit(request: Request) -> Response:
        form = await checked_form(request)
        choice = form_text(form, "use", max_len=20)
        if choice not in {"fitted", "defaults"}:
            raise BadInput(422, "field 'use' must be 'fitted' or 'defaults'")

        def store() -> None:
            with engine_for(generator=False) as (engine, settings):
                fit_record = engine.settings().get(FIT_KEY)
                params = None
                if choice == "fitted":
                    if fit_record is None:
                        raise BadInput(409, "no fitted parameters yet: fit FSRS first")
                    params = [float(w) for w in fit_record["parameters"]]
                save_settings(engine, settings.model_copy(update={"fsrs_parameters": params}))

        await run_in_threadpool(store)
        return RedirectResponse("/fsrs", status_code=303)

    app.add_middleware(BodyLimitMiddleware, limit=max_upload_bytes + 64 * 1024)
    app.add_middleware(TokenMiddleware, token=token)
    app.add_middleware(
        HostCheckMiddleware, allowed=None if token is not None else [*LOOPBACK_HOSTS, *hosts]
    )
    app.add_middleware(AccessLogMiddleware)
    return app

"""Fixtures of the web app's tests: a study database, a client, a guide with HTML in it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from medcards_web import create_app

from medcards.study import StudyEngine

DATA = Path(__file__).parent / "data"
#: The address a student's browser uses: the app refuses other ``Host`` names without a token.
LOCAL = "http://127.0.0.1:8000"
GUIDE = DATA / "guia_prueba.md"


class Student:
    """A TestClient that reads the CSRF cookie and posts forms with it."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    @property
    def csrf(self) -> str:
        if "medcards_csrf" not in self.client.cookies:
            self.client.get("/")
        return str(self.client.cookies["medcards_csrf"])

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(url, data={"csrf": self.csrf, **(data or {})}, **kwargs)

    def import_guide(self, path: Path = GUIDE, **fields: str) -> Any:
        with path.open("rb") as handle:
            response = self.post(
                "/calendar/import",
                {"modulo": "Urgencias", **fields},
                files={"guide": (path.name, handle, "text/markdown")},
            )
        assert response.status_code == 303, response.text
        job = response.headers["location"].split("job=")[1]
        final = self.client.app.state.jobs.wait(job, timeout=30)
        assert final is not None
        return final

    def shown_card(self) -> tuple[int, int]:
        page = self.get("/study").text
        card = re.search(r'name="card_id" value="(\d+)"', page)
        shown = re.search(r'name="shown" value="(\d+)"', page)
        assert card is not None, page
        assert shown is not None
        return int(card.group(1)), int(shown.group(1))

    def rate(self, rating: int | str) -> Any:
        card, shown = self.shown_card()
        return self.post("/study/rate", {"card_id": card, "shown": shown, "rating": rating})


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "temario.db"
    StudyEngine(path).close()
    return path


@pytest.fixture
def student(db: Path) -> Iterator[Student]:
    with TestClient(create_app(db), base_url=LOCAL, raise_server_exceptions=False) as client:
        yield Student(client)

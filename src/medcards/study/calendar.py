"""The topic calendar: topics added one by one or imported (CSV, ``medcards ingest`` JSONL).

Every import is one transaction: a bad row (named by file, line and field) or a title already
stored adds nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from medcards.study.errors import StudyError
from medcards.study.records import TopicSource
from medcards.study.repository import StudyRepository, ts

#: A topic row: title, context, modulo, priority, date_assigned (ISO), created_at (epoch s),
#: source_json (where the text came from, :class:`~medcards.study.records.TopicSource`; None).
Row = tuple[str, str, str, int, str, float, str | None]


def source_json(section: Any) -> str | None:
    """The ``topics.source_json`` of a guide section (None for a section without source data)."""
    from medcards.ingest import GuideSection

    if not isinstance(section, GuideSection):
        return None
    source = TopicSource.of_section(section)
    return None if source is None else source.model_dump_json(exclude_defaults=True)


def add_topic(
    repo: StudyRepository,
    title: str,
    context: str,
    *,
    modulo: str,
    priority: int,
    date_assigned: dt.date | None,
    now: dt.datetime,
) -> int:
    """Store one topic (``date_assigned`` defaults to ``now``'s day); returns its id.

    Raises:
        StudyError: empty or duplicate title.
    """
    title = title.strip()
    if not title:
        raise StudyError("a topic needs a non-empty title")
    day = date_assigned or now.date()
    row = (title, context, modulo, int(priority), day.isoformat(), ts(now), None)
    try:
        with repo.transaction():
            return repo.insert_topic(row)
    except sqlite3.IntegrityError:
        raise StudyError(f"topic {title!r} already exists") from None


def csv_rows(path: Path, now: dt.datetime) -> list[Row]:
    """The topic rows of a CSV file; the day assigned defaults to ``now``'s.

    Columns: ``title`` and, optionally, ``context``, ``modulo``, ``priority`` and
    ``date_assigned`` (YYYY-MM-DD).

    Raises:
        StudyError: an unreadable file or a bad row, naming the file, line and field.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise StudyError(f"cannot read {path}: {exc.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or "title" not in reader.fieldnames:
        raise StudyError(f"{path}:1: the header needs a 'title' column")
    rows: list[Row] = []
    for record in reader:
        line = reader.line_num
        title = (record.get("title") or "").strip()
        if not title:
            raise StudyError(f"{path}:{line}: field 'title' is empty")
        try:
            priority = int((record.get("priority") or "0").strip() or 0)
        except ValueError:
            raise StudyError(
                f"{path}:{line}: field 'priority' must be an integer, got "
                f"{record.get('priority')!r}"
            ) from None
        raw_day = (record.get("date_assigned") or "").strip()
        try:
            day = dt.date.fromisoformat(raw_day) if raw_day else now.date()
        except ValueError:
            raise StudyError(
                f"{path}:{line}: field 'date_assigned' must be YYYY-MM-DD, got {raw_day!r}"
            ) from None
        context = record.get("context") or ""
        modulo = (record.get("modulo") or "").strip()
        rows.append((title, context, modulo, priority, day.isoformat(), ts(now), None))
    return rows


def jsonl_rows(path: Path, now: dt.datetime, date_assigned: dt.date | None) -> list[Row]:
    """The topic rows of the guide sections written by ``medcards ingest``.

    Priorities keep the guide's order (earlier sections first); every topic is assigned
    ``date_assigned`` (default ``now``'s day) and keeps where its text came from (file, pages
    or lines), so that its cards can be located.

    Raises:
        IngestError: a malformed record, naming the file and line.
    """
    from medcards.ingest import load_topics

    return section_rows(load_topics(path), now, date_assigned)


def section_rows(
    sections: Sequence[Any], now: dt.datetime, date_assigned: dt.date | None
) -> list[Row]:
    """The topic rows of guide sections (``title``, ``context``, ``modulo``), in guide order.

    Priorities keep the guide's order (earlier sections first); every topic is assigned
    ``date_assigned`` (default ``now``'s day). A :class:`~medcards.GuideSection` with source
    data keeps it (``source_json``).
    """
    day = (date_assigned or now.date()).isoformat()
    return [
        (
            str(s.title),
            str(s.context),
            str(s.modulo),
            len(sections) - i,
            day,
            ts(now),
            source_json(s),
        )
        for i, s in enumerate(sections)
    ]


def insert_topics(repo: StudyRepository, rows: Sequence[Row], path: str | Path) -> list[str]:
    """Store ``rows`` in one transaction; returns their titles.

    All or nothing: a title already stored or repeated in ``rows`` rolls the whole batch back.

    Raises:
        StudyError: naming ``path`` and the titles that clash.
    """
    titles = [r[0] for r in rows]
    try:
        with repo.transaction():
            repo.insert_topics(rows)
    except sqlite3.IntegrityError:
        existing = repo.existing_titles(titles)
        dupes = sorted(existing) or sorted({t for t in titles if titles.count(t) > 1})
        raise StudyError(f"{path}: topic(s) already exist or repeat: {dupes}") from None
    return titles

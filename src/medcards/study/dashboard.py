"""The study dashboard: levels, today's load, a 14-day review forecast and retention by module."""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path

from pydantic import BaseModel, Field

from _sdk import atomic_write_bytes
from medcards.study.engine import StudyEngine
from medcards.study.ladder import TopicLevel
from medcards.study.repository import DAY


class ModuleRetention(BaseModel):
    """Retention of one module: the share of repeat reviews (not first sights) not failed.

    Attributes:
        modulo: Module name.
        recalled: Repeat reviews rated Hard, Good or Easy.
        reviews: Repeat reviews.
    """

    modulo: str
    recalled: int = Field(ge=0)
    reviews: int = Field(ge=0)

    @property
    def retention(self) -> float | None:
        """``recalled / reviews`` (0-1), None without reviews."""
        return self.recalled / self.reviews if self.reviews else None


class Dashboard(BaseModel):
    """The dashboard's numbers at ``as_of``.

    Attributes:
        as_of: When it was computed (UTC).
        new_topics: Topics never studied.
        levels: Studied topics per level (1 MCQ, 2 open recall, 3 mastered).
        due_today: Scheduled cards due before the end of today (UTC), overdue ones included.
        pending_angles: Angle variants not passed yet.
        forecast: Scheduled reviews per day for the next 14 days (day 0 is today and includes
            overdue cards), as ``(date, count)``.
        retention: Retention per module, sorted by module.
        total_reviews: Reviews in the log.
        history: Reviews logged on each of the last ``days`` days (today last), as
            ``(date, reviews, repeat reviews, repeat reviews not failed)``.
        mastered_topics: Titles of the mastered topics, in calendar order.
        angles_passed: Angle variants passed.
        recovered_cards: Failed cards whose angles are all passed.
    """

    as_of: dt.datetime
    new_topics: int
    levels: dict[int, int]
    due_today: int
    pending_angles: int
    forecast: list[tuple[dt.date, int]]
    retention: list[ModuleRetention]
    total_reviews: int
    history: list[tuple[dt.date, int, int, int]] = Field(default_factory=list)
    mastered_topics: list[str] = Field(default_factory=list)
    angles_passed: int = 0
    recovered_cards: int = 0

    @property
    def overall_retention(self) -> float | None:
        """Share of all repeat reviews not failed (0-1), None without reviews."""
        total = sum(r.reviews for r in self.retention)
        return sum(r.recalled for r in self.retention) / total if total else None


def compute_dashboard(
    engine: StudyEngine, now: dt.datetime | None = None, *, days: int = 14
) -> Dashboard:
    """The dashboard of ``engine``'s database at ``now`` (default: now), forecasting ``days``."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    repo = engine.repo
    today = now.date()
    today_start = dt.datetime.combine(today, dt.time(), dt.UTC).timestamp()
    levels = {TopicLevel.MCQ: 0, TopicLevel.OPEN: 0, TopicLevel.MASTERED: 0}
    levels.update(repo.level_counts())
    new_topics = repo.count_new_topics()
    forecast_counts = [0] * days
    for due in repo.due_times_before(today_start + days * DAY):
        index = max(0, math.floor((due - today_start) / DAY))
        forecast_counts[index] += 1
    forecast = [(today + dt.timedelta(days=i), count) for i, count in enumerate(forecast_counts)]
    pending = repo.count_pending_angles()
    retention = [
        ModuleRetention(modulo=modulo, recalled=recalled, reviews=total)
        for modulo, recalled, total in repo.retention_by_module()
    ]
    total = repo.count_reviews()
    first_day = math.floor(today_start / DAY) - max(days, 1) + 1
    logged = {
        d: (n, rep, ok)
        for d, n, rep, ok in repo.reviews_per_day(first_day * DAY, today_start + DAY)
    }
    history = [
        (
            dt.date.fromordinal(dt.date(1970, 1, 1).toordinal() + d),
            *logged.get(d, (0, 0, 0)),
        )
        for d in range(first_day, first_day + max(days, 1))
    ]
    _, passed = repo.angle_counts()
    return Dashboard(
        as_of=now,
        new_topics=new_topics,
        levels=levels,
        due_today=forecast_counts[0] if days else 0,
        pending_angles=pending,
        forecast=forecast,
        retention=retention,
        total_reviews=total,
        history=history,
        mastered_topics=repo.mastered_titles(),
        angles_passed=passed,
        recovered_cards=repo.recovered_parents(),
    )


def dashboard_table(board: Dashboard) -> list[object]:
    """Rich renderables (tables) of ``board``, for ``medcards dashboard``."""
    from rich.table import Table

    summary = Table(title=f"Temario al {board.as_of:%Y-%m-%d %H:%M} UTC")
    summary.add_column("Estado")
    summary.add_column("Temas / tarjetas", justify="right")
    summary.add_row("Nuevos (sin estudiar)", str(board.new_topics))
    for level, count in sorted(board.levels.items()):
        summary.add_row(TopicLevel.NAMES[level], str(count))
    summary.add_row("Repasos para hoy", str(board.due_today))
    summary.add_row("Ángulos pendientes", str(board.pending_angles))
    summary.add_row("Repasos registrados", str(board.total_reviews))
    forecast = Table(title="Repasos previstos (14 días)")
    forecast.add_column("Día")
    forecast.add_column("Repasos", justify="right")
    for day, count in board.forecast:
        forecast.add_row(day.isoformat(), str(count))
    retention = Table(title="Retención por módulo")
    retention.add_column("Módulo")
    retention.add_column("Acertados / repasos", justify="right")
    retention.add_column("Retención", justify="right")
    for item in board.retention:
        share = "—" if item.retention is None else f"{item.retention:.0%}"
        retention.add_row(item.modulo or "(sin módulo)", f"{item.recalled}/{item.reviews}", share)
    return [summary, forecast, retention]


def plot_dashboard(board: Dashboard, path: str | Path) -> Path:
    """Write a PNG of ``board`` (levels, 14-day forecast, retention by module) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4), constrained_layout=True)
    labels = ["Nuevos", *(TopicLevel.NAMES[k] for k in sorted(board.levels))]
    values = [board.new_topics, *(board.levels[k] for k in sorted(board.levels))]
    axes[0].bar(labels, values, color=["#bbbbbb", "#4c72b0", "#dd8452", "#55a868"])
    axes[0].set_title("Temas por nivel")
    axes[0].yaxis.get_major_locator().set_params(integer=True)
    axes[0].tick_params(axis="x", labelrotation=20)
    axes[1].bar([d.strftime("%d/%m") for d, _ in board.forecast], [c for _, c in board.forecast])
    axes[1].set_title("Repasos previstos por día")
    axes[1].yaxis.get_major_locator().set_params(integer=True)
    axes[1].tick_params(axis="x", labelrotation=60)
    modules = [r.modulo or "(sin módulo)" for r in board.retention]
    shares = [100 * (r.retention or 0.0) for r in board.retention]
    axes[2].barh(modules, shares, color="#55a868")
    axes[2].set_xlim(0, 100)
    axes[2].set_xlabel("% de repasos no fallados")
    axes[2].set_title("Retención por módulo")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buffer.getvalue())
    return path

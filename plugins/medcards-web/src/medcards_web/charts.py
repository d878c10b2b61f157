"""Server-rendered SVG charts: bars and lines, every label escaped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")


def _nice_max(value: float) -> float:
    """The top of the axis: four whole-number ticks of a step of 1, 2, 2.5, 3, 4 or 5 x 10^k."""
    quarter = max(value, 0.0) / 4
    if quarter <= 1:
        return 4.0
    power = 10 ** math.floor(math.log10(quarter))
    for factor in (1, 2, 2.5, 3, 4, 5, 10):
        if factor * power >= quarter:
            return float(math.ceil(4 * factor * power))
    return float(40 * power)  # pragma: no cover - factor 10 always reaches


def _axes(
    title: str,
    width: int,
    height: int,
    left: int,
    top: int,
    plot_w: float,
    plot_h: float,
    peak: float,
) -> list[str]:
    """The opening ``<svg>`` with its title and the five horizontal grid lines with their ticks."""
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for tick in range(5):
        v = peak * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="tick">{v:g}</text>'
        )
    return parts


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    width: int = 640,
    height: int = 220,
    color: str = PALETTE[0],
    colors: Sequence[str] | None = None,
    label_every: int = 1,
    unit: str = "",
    y_max: float | None = None,
) -> str:
    """A vertical bar chart as an ``<svg>`` element (values labelled on hover)."""
    left, bottom, top, right = 40, 34, 26, 8
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = y_max or _nice_max(max(values, default=0))
    n = max(len(values), 1)
    slot = plot_w / n
    parts = _axes(title, width, height, left, top, plot_w, plot_h, peak)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * (value / peak) if peak else 0
        x = left + i * slot + slot * 0.15
        fill = colors[i % len(colors)] if colors else color
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{fill}"><title>{escape(label)}: {value:g}{escape(unit)}'
            "</title></rect>"
        )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{height - bottom + 14}" '
                f'text-anchor="middle" class="tick">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    width: int = 640,
    height: int = 240,
    label_every: int = 1,
    y_max: float | None = None,
) -> str:
    """A line chart of named series as an ``<svg>`` element, with a legend.

    A None value is a gap: the line breaks there (a day without data).
    """
    left, bottom, top, right = 40, 34, 26, 120
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = y_max or _nice_max(
        max((max((x for x in v if x is not None), default=0) for _, v in series), default=0)
    )
    n = max(len(labels), 2)
    parts = _axes(title, width, height, left, top, plot_w, plot_h, peak)
    for i, label in enumerate(labels):
        if i % label_every == 0:
            x = left + plot_w * i / (n - 1)
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                f'class="tick">{escape(label)}</text>'
            )
    for k, (name, values) in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for i, value in enumerate(values):
            if value is None:
                runs.append([])
                continue
            v = float(value)
            x, y = left + plot_w * i / (n - 1), top + plot_h - plot_h * v / peak
            runs[-1].append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}">'
                f"<title>{escape(labels[i]) if i < len(labels) else ''}: {v:g}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                parts.append(
                    f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                    f'points="{" ".join(run)}"><title>{escape(name)}</title></polyline>'
                )
        parts.append(
            f'<rect x="{left + plot_w + 10}" y="{top + 16 * k}" width="10" height="10" '
            f'fill="{color}"/><text x="{left + plot_w + 24}" y="{top + 9 + 16 * k}" '
            f'class="tick">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

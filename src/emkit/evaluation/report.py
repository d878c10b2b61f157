"""``emkit report``: one self-contained HTML page from an evaluation folder.

Sections: cohort summary, scores per horizon (with the oracle), ablation, ROC / PR /
calibration curves per horizon, event-locked curves with the rise test, top-10 feature
importance, and per-patient risk timelines with onsets marked. Figures are drawn with
matplotlib (Agg) and embedded as base64 PNG, so the file can be mailed or archived alone.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from _sdk import atomic_write_bytes, atomic_write_text
from emkit.evaluation.experiment import prediction_column
from emkit.evaluation.study import read_study

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
img{max-width:100%}h2{border-bottom:2px solid #ddd;padding-bottom:4px}.note{color:#555}
"""


def _figure_tag(fig: Any, alt: str) -> str:
    """Render a matplotlib figure to an embedded ``<img>`` and close it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict) and "estimate" in value:
        est, low, high = value["estimate"], value["low"], value["high"]
        if est is None:
            return "-"
        if low is None or high is None:
            return f"{est:.{digits}f}"
        return f"{est:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return html.escape(str(value))


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def scores_table(record: dict[str, Any], horizon: int) -> str:
    """HTML table of one horizon's scores: every model, then the oracle."""
    key = str(horizon)
    scores = record["scores"][key]
    events = record["events"].get(key, {})
    rows = []
    for model, s in scores.items():
        e = events.get(model, {})
        rows.append(
            [
                html.escape(model),
                _fmt(s.get("auroc")),
                _fmt(s.get("auprc")),
                _fmt(s.get("prevalence")),
                _fmt(s.get("brier")),
                _fmt(e.get("sensitivity"), 2) if e else "-",
                _fmt(e.get("median_lead_days"), 1) if e else "-",
            ]
        )
    return _table(
        [
            "model",
            "AUROC [95% CI]",
            "AUPRC [95% CI]",
            "prevalence",
            "Brier",
            "event sensitivity",
            "median lead (days)",
        ],
        rows,
    )


def curves_figure(record: dict[str, Any], predictions: pd.DataFrame, horizon: int) -> str:
    """ROC, precision-recall and calibration curves of every model at ``horizon``."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    plt = _pyplot()
    y_col = f"y_{horizon}"
    rows = predictions[predictions[y_col].notna()]
    y = rows[y_col].to_numpy()
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for model in record["models"]:
        p = rows[prediction_column(model, horizon)].to_numpy()
        fpr, tpr, _ = roc_curve(y, p)
        axes[0].plot(fpr, tpr, label=model)
        precision, recall, _ = precision_recall_curve(y, p)
        axes[1].plot(recall, precision, label=model)
        table = record["calibration"][str(horizon)].get(model)
        if table:
            axes[2].plot(table["predicted"], table["observed"], marker="o", label=model)
    if "oracle" in rows.columns:
        fpr, tpr, _ = roc_curve(y, rows["oracle"].fillna(rows["oracle"].median()))
        axes[0].plot(fpr, tpr, "k--", label="oracle (latent)")
    axes[0].plot([0, 1], [0, 1], color="grey", lw=0.5)
    axes[1].axhline(float(y.mean()), color="grey", lw=0.5, label="prevalence")
    axes[2].plot([0, 1], [0, 1], color="grey", lw=0.5)
    titles = ("ROC", "precision-recall", "calibration")
    labels = (("false positive rate", "true positive rate"), ("recall", "precision"),
              ("predicted probability", "observed rate"))  # fmt: skip
    for ax, title, (xl, yl) in zip(axes, titles, labels, strict=True):
        ax.set_title(f"{title}, {horizon}-day horizon")
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.legend(fontsize=7)
    return _figure_tag(fig, f"ROC, PR and calibration at {horizon} days")


def event_locked_figure(column: str, analysis: dict[str, Any]) -> str:
    """The event-locked mean z-score of ``column`` with its band, onset at day 0."""
    plt = _pyplot()
    curve = analysis["curve"]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    offsets = np.asarray(curve["offset"], dtype=float)
    low = np.asarray([np.nan if v is None else v for v in curve["low"]], dtype=float)
    high = np.asarray([np.nan if v is None else v for v in curve["high"]], dtype=float)
    mean = np.asarray([np.nan if v is None else v for v in curve["mean"]], dtype=float)
    ax.fill_between(offsets, low, high, alpha=0.3, label="95% CI")
    ax.plot(offsets, mean, label=f"mean z({column})")
    ax.axvline(0, color="red", lw=1, label="onset")
    ax.axvspan(-14, -7, color="orange", alpha=0.1, label="days -14…-7")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("days from relapse onset")
    ax.set_ylabel("within-patient z-score")
    ax.legend(fontsize=7)
    return _figure_tag(fig, f"event-locked {column}")


def importance_figure(model: str, methods: dict[str, dict[str, float]]) -> str:
    """Horizontal bars of the top-10 features per importance method for ``model``."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(methods), figsize=(4.5 * len(methods), 3.5), squeeze=False)
    for ax, (method, values) in zip(axes[0], methods.items(), strict=True):
        # A score that is undefined on the fold (one class only) leaves no importance to show.
        series = pd.Series(values, dtype=float).dropna().sort_values()
        ax.set_title(f"{model}: {method}")
        if series.empty:
            ax.text(0.5, 0.5, "undefined on this fold", ha="center", va="center")
            ax.set_axis_off()
            continue
        ax.barh([str(i) for i in series.index], series.to_numpy())
        ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    return _figure_tag(fig, f"feature importance of {model}")


def timelines_figure(
    record: dict[str, Any], predictions: pd.DataFrame, horizon: int, max_patients: int = 4
) -> str:
    """Held-out risk of the best model over time for a few patients, onsets marked."""
    plt = _pyplot()
    best = record["best"][str(horizon)]
    column = prediction_column(best, horizon)
    onsets = pd.DataFrame(record.get("onsets", []))
    patients = list(predictions.index.get_level_values("patient_id").unique())
    if not onsets.empty:
        with_events = [p for p in patients if p in set(onsets["patient_id"])]
        patients = with_events + [p for p in patients if p not in with_events]
    patients = patients[:max_patients]
    fig, axes = plt.subplots(len(patients), 1, figsize=(10, 1.8 * len(patients)), squeeze=False)
    for ax, patient in zip(axes[:, 0], patients, strict=True):
        rows = predictions.xs(patient, level="patient_id")
        ax.plot(rows.index, rows[column], lw=1)
        if not onsets.empty:
            for onset in pd.to_datetime(onsets.loc[onsets["patient_id"] == patient, "onset"]):
                if rows.index.min() <= onset <= rows.index.max() + pd.Timedelta(days=horizon):
                    ax.axvline(onset, color="red", lw=1)
        ax.set_ylabel(patient)
        ax.set_ylim(0, 1)
    axes[0, 0].set_title(f"{best}: P(relapse within {horizon} days), onsets in red")
    fig.tight_layout()
    return _figure_tag(fig, "risk timelines")


def render_report(folder: Path, title: str = "emkit evaluation report") -> str:
    """The report's HTML for the evaluation folder written by ``emkit evaluate``."""
    record, predictions = read_study(folder)
    parts = [f"<h1>{html.escape(title)}</h1>"]
    cohort = record.get("cohort", {})
    parts.append("<h2>Cohort</h2>")
    rows = [[k.replace("_", " "), _fmt(v)] for k, v in cohort.items() if not isinstance(v, dict)]
    parts.append(_table(["", "value"], rows))
    horizon_rows = [
        [f"{h} days", _fmt(v["positive_rate"]), _fmt(v["excluded_share"])]
        for h, v in cohort.get("horizons", {}).items()
    ]
    parts.append(_table(["horizon", "positive days", "excluded days"], horizon_rows))
    parts.append(
        f"<p class='note'>Split: {html.escape(record['scheme'])}, folds "
        f"{html.escape(', '.join(record['folds']))}; {record['rows']} held-out patient-days "
        f"of {record['patients']} patients. Intervals: patient bootstrap, 95%. Event "
        "sensitivity: share of onsets with an alarm in the horizon before them at "
        "1 false alarm per patient-month.</p>"
    )
    parts.append("<h2>Scores</h2>")
    for h in record["horizons"]:
        parts.append(f"<h3>{h}-day horizon (best: {html.escape(record['best'][str(h)])})</h3>")
        parts.append(scores_table(record, int(h)))
        diffs = record["comparisons"].get(str(h), {})
        if diffs:
            parts.append(
                _table(
                    ["AUROC difference", "estimate [95% CI]"],
                    [[html.escape(k), _fmt(v)] for k, v in diffs.items()],
                )
            )
    if "ablation" in record:
        parts.append(f"<h2>Ablation ({html.escape(record['ablation']['forecaster'])})</h2>")
        rows = []
        for row in record["ablation"]["rows"]:
            cells = [html.escape(row["experiment"]), str(row["features"])]
            for h in record["horizons"]:
                interval = {
                    "estimate": row.get(f"auroc_{h}d"),
                    "low": row.get(f"auroc_{h}d_low"),
                    "high": row.get(f"auroc_{h}d_high"),
                }
                cells.append(_fmt(interval))
            rows.append(cells)
        header = ["experiment", "features"] + [f"AUROC {h}d" for h in record["horizons"]]
        parts.append(_table(header, rows))
    parts.append("<h2>ROC, precision-recall and calibration</h2>")
    for h in record["horizons"]:
        parts.append(curves_figure(record, predictions, int(h)))
    if record.get("event_locked"):
        parts.append("<h2>Event-locked curves</h2>")
        for column, analysis in record["event_locked"].items():
            test = analysis["rise_test"]
            parts.append(f"<h3>{html.escape(column)}</h3>")
            parts.append(event_locked_figure(column, analysis))
            parts.append(
                f"<p>Rise days -14…-7 vs -30…-21: mean {_fmt(test['mean_rise_sd'], 2)} SD over "
                f"{test['events']} events, one-sided Wilcoxon p = {_fmt(test['p_value'], 4)}.</p>"
            )
    importance = record.get("importance", {})
    if importance.get("models"):
        parts.append(
            f"<h2>Feature importance (top 10, {importance['horizon']}-day horizon, "
            f"fold {html.escape(importance['fold'])})</h2>"
        )
        for model, methods in importance["models"].items():
            if methods:
                parts.append(importance_figure(model, methods))
    parts.append("<h2>Risk timelines</h2>")
    horizons = record["horizons"]
    parts.append(timelines_figure(record, predictions, int(horizons[len(horizons) // 2])))
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def write_report(folder: Path, out: Path | None = None, figures: Path | None = None) -> Path:
    """Render the report of ``folder`` to ``out`` (default ``folder/report.html``) atomically.

    With ``figures``, every embedded figure is also written there as a PNG named after its
    caption (for documentation pages).
    """
    target = Path(out) if out is not None else Path(folder) / "report.html"
    page = render_report(folder)
    atomic_write_text(target, page)
    if figures is not None:
        export_figures(page, Path(figures))
    return target


def export_figures(page: str, folder: Path) -> list[Path]:
    """Write the report's embedded PNG figures to ``folder``; returns the files written."""
    import re

    written = []
    pattern = r'<img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">'
    for alt, data in re.findall(pattern, page):
        slug = re.sub(r"[^a-z0-9]+", "-", html.unescape(alt).lower()).strip("-")
        path = folder / f"{slug}.png"
        atomic_write_bytes(path, base64.b64decode(data))
        written.append(path)
    return written

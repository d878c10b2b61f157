"""Relapse labels per patient-day: ``relapse_within_{h}d`` with explicit exclusions.

For day *t* and horizon *h* (days), ``relapse_within_{h}d`` is 1.0 when a relapse onset falls in
``(t, t + h]`` and 0.0 otherwise, except for two kinds of days that are excluded (``NaN``, with
the reason in ``exclusion_reason_{h}d``), never labelled 0:

* ``ongoing_relapse``: *t* lies in ``[onset, onset + recovery_days]`` of some relapse — the
  patient is already in a relapse, so "a relapse starts soon" is not the question;
* ``horizon_after_observation_end``: ``t + h`` is after the last observed day, so a relapse in
  the window could go unseen.

A label only uses onsets up to ``t + h`` and the observation end; nothing later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from emkit.columns import label_column, reason_column
from emkit.dataset import Patient
from emkit.models import FEATURE_INDEX

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_HORIZONS",
    "DEFAULT_RECOVERY_DAYS",
    "HORIZON_AFTER_END",
    "ONGOING_RELAPSE",
    "build_labels",
    "label_column",
    "patient_labels",
    "plot_label_timeline",
    "reason_column",
]

#: Horizons (days) labelled by default.
DEFAULT_HORIZONS: tuple[int, ...] = (7, 14, 30)
#: Days after an onset during which the patient counts as still in that relapse. Thirty days is
#: the usual clinical rule for two attacks to count as separate relapses.
DEFAULT_RECOVERY_DAYS = 30
#: Exclusion reason: the day lies inside an ongoing relapse.
ONGOING_RELAPSE = "ongoing_relapse"
#: Exclusion reason: the horizon runs past the end of observation.
HORIZON_AFTER_END = "horizon_after_observation_end"


def _check(horizons: Sequence[int], recovery_days: int) -> list[int]:
    from emkit.errors import EmkitError

    result = [int(h) for h in horizons]
    if not result or any(h < 1 for h in result) or len(set(result)) != len(result):
        raise EmkitError(f"horizons must be distinct positive whole days (got {list(horizons)})")
    if recovery_days < 0:
        raise EmkitError(f"recovery_days must be >= 0 (got {recovery_days})")
    return result


def patient_labels(
    patient: Patient,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    recovery_days: int = DEFAULT_RECOVERY_DAYS,
) -> pd.DataFrame:
    """Labels of one patient (see :func:`build_labels`)."""
    import pandas as pd

    horizons = _check(horizons, recovery_days)
    start, end = patient.observation_start, patient.observation_end
    n_days = (end - start).days + 1
    dates = [start + dt.timedelta(days=i) for i in range(max(n_days, 0))]
    # Day numbers relative to the start make every rule an integer comparison.
    t = np.arange(len(dates))
    onsets = np.array(sorted((o - start).days for o in patient.relapse_onsets), dtype=np.int64)
    last = (end - start).days
    counts = np.zeros(len(dates), dtype=np.int64)
    for date, messages in patient.messages.items():
        offset = (date - start).days
        if 0 <= offset < len(dates):
            counts[offset] = len(messages)
    frame: dict[str, object] = {"n_messages": counts}
    ongoing = np.zeros(len(dates), dtype=bool)
    for onset in onsets:
        ongoing |= (t >= onset) & (t <= onset + recovery_days)
    for h in horizons:
        # First onset strictly after t (a far-away sentinel when none): positive iff <= t + h.
        following = np.searchsorted(onsets, t, side="right")
        next_onset = np.append(onsets, np.iinfo(np.int64).max // 2)[following]
        label = (next_onset <= t + h).astype(float)
        past_end = t + h > last
        reason = np.full(len(dates), None, dtype=object)
        reason[past_end] = HORIZON_AFTER_END
        reason[ongoing] = ONGOING_RELAPSE
        label[past_end | ongoing] = np.nan
        frame[label_column(h)] = label
        frame[reason_column(h)] = reason
    index = pd.MultiIndex.from_arrays(
        [[patient.patient_id] * len(dates), dates], names=list(FEATURE_INDEX)
    )
    # Reasons stay Python objects (str or None): pandas would otherwise infer a string dtype
    # that turns None into NaN.
    columns = {
        name: pd.Series(values, index=index, dtype=object if name.startswith("exclusion") else None)
        for name, values in frame.items()
    }
    return pd.DataFrame(columns, index=index)


def build_labels(
    patients: Sequence[Patient],
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    recovery_days: int = DEFAULT_RECOVERY_DAYS,
    *,
    progress: Callable[[Patient], None] | None = None,
) -> pd.DataFrame:
    """One row per patient-day of the observation period, with labels per horizon.

    Args:
        patients: Patients to label (their observation periods define the rows).
        horizons: Horizons in days.
        recovery_days: Days after an onset that count as the same, ongoing relapse.
        progress: Called after each patient (for progress bars).

    Returns:
        A frame indexed by ``(patient_id, date)`` (:data:`emkit.FEATURE_INDEX`, dates as
        :class:`datetime.date`) with ``n_messages`` (int, 0 for days without messages) and,
        per horizon, ``relapse_within_{h}d`` (1.0 / 0.0, ``NaN`` when excluded) and
        ``exclusion_reason_{h}d`` (``"ongoing_relapse"``,
        ``"horizon_after_observation_end"`` or ``None``).

    Raises:
        EmkitError: for non-positive or repeated horizons or a negative recovery window.
    """
    import pandas as pd

    horizons = _check(horizons, recovery_days)
    frames = []
    for patient in sorted(patients, key=lambda p: p.patient_id):
        frames.append(patient_labels(patient, horizons, recovery_days))
        if progress is not None:
            progress(patient)
    if not frames:
        columns: dict[str, pd.Series] = {"n_messages": pd.Series(dtype="int64")}
        for h in horizons:
            columns[label_column(h)] = pd.Series(dtype=float)
            columns[reason_column(h)] = pd.Series(dtype=object)
        empty_index = pd.MultiIndex.from_arrays([[], []], names=list(FEATURE_INDEX))
        return pd.DataFrame(columns, index=empty_index)
    return pd.concat(frames)


def plot_label_timeline(
    patient: Patient,
    out: Path | str,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    recovery_days: int = DEFAULT_RECOVERY_DAYS,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Path:
    """Draw a patient's labels over time (PNG): messages per day, onsets, label per horizon.

    Each horizon is a band: positive days, negative days and excluded days (ongoing relapse,
    horizon past the end of observation) in distinct colours; relapse onsets are vertical lines.

    Args:
        patient: The patient to draw.
        out: The PNG file to write.
        horizons: Horizons in days.
        recovery_days: As in :func:`build_labels`.
        start: First day drawn (default: the observation start).
        end: Last day drawn (default: the observation end).

    Returns:
        ``out``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from _sdk import atomic_write_bytes

    labels = patient_labels(patient, horizons, recovery_days).droplevel(0)
    first = start or labels.index[0]
    last = end or labels.index[-1]
    labels = labels[(labels.index >= first) & (labels.index <= last)]
    dates = list(labels.index)
    colours = {
        "pos": "#d62728",
        "neg": "#9ecae1",
        ONGOING_RELAPSE: "#7f7f7f",
        HORIZON_AFTER_END: "#e0e0e0",
    }
    figure, axes = plt.subplots(
        len(horizons) + 1,
        1,
        figsize=(10, 1.2 + 0.7 * (len(horizons) + 1)),
        sharex=True,
        gridspec_kw={"height_ratios": [2] + [1] * len(horizons)},
    )
    axes[0].bar(dates, labels["n_messages"], width=1.0, color="#4c72b0")
    axes[0].set_ylabel("mensajes")
    axes[0].set_title(f"Etiquetas de {patient.patient_id} (recuperación {recovery_days} días)")
    for axis, h in zip(axes[1:], horizons, strict=True):
        label, reason = labels[label_column(h)], labels[reason_column(h)]
        keys = [
            str(r) if isinstance(r, str) else ("pos" if v == 1.0 else "neg")
            for v, r in zip(label, reason, strict=True)
        ]
        axis.bar(dates, [1] * len(dates), width=1.0, color=[colours[k] for k in keys])
        axis.set_yticks([])
        axis.set_ylabel(f"{h} d", rotation=0, ha="right", va="center")
    for axis in axes:
        for onset in patient.relapse_onsets:
            if first <= onset <= last:
                axis.axvline(onset, color="black", linewidth=1.2)
    legend = [
        Patch(color=colours["pos"], label="1: brote en (t, t+h]"),
        Patch(color=colours["neg"], label="0"),
        Patch(color=colours[ONGOING_RELAPSE], label="excluido: brote en curso"),
        Patch(color=colours[HORIZON_AFTER_END], label="excluido: horizonte tras fin"),
    ]
    figure.autofmt_xdate()
    figure.legend(handles=legend, loc="lower center", ncol=4, fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0.07, 1, 1))
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    out = Path(out)
    atomic_write_bytes(out, buffer.getvalue())
    return out

"""Simulating patients and writing synthetic cohorts (see :mod:`emkit.synth`)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from _sdk import atomic_write_text
from emkit.dataset import ClinicalEvent, PatientMetadata, write_patient
from emkit.errors import EmkitError
from emkit.models import DayMessage
from emkit.synth.alt_language import AltStyle, alt_day_messages, random_alt_style
from emkit.synth.exports import write_exports
from emkit.synth.language import PatientStyle, day_messages, random_style

#: How strongly language follows the hidden signal (0: not at all, 1: fully).
DEFAULT_SIGNAL = 1.0
#: First day of every synthetic patient's observation.
START_DATE = dt.date(2024, 1, 1)
#: Values of the ``phase`` column of ``latent.parquet``.
PHASES = ("normal", "prodrome", "relapse", "confounder")
_SEVERITIES = ("leve", "moderada", "grave")
_ONSET_SYMPTOMS = (
    "neuritis óptica",
    "alteración sensitiva",
    "debilidad en piernas",
    "inestabilidad de la marcha",
    "diplopía",
    "fatiga intensa",
)
_TIMEZONE = "Europe/Madrid"
#: Names of the message vocabularies: ``default`` (the one the ``lexical`` lexicons were
#: written alongside) and ``alt`` (:mod:`emkit.synth.alt_language`, disjoint from them).
VOCABULARIES = ("default", "alt")
#: Extra seed word of the alt vocabulary's own random stream (its latent stays the default's).
_ALT_STREAM = 1


@dataclass
class SyntheticPatient:
    """One simulated patient (before it is written to disk).

    Attributes:
        metadata: Anonymised metadata.
        events: Relapse onsets and routine visits.
        latent: Hidden signal per day (higher = closer to a relapse).
        phase: Phase per day (one of :data:`PHASES`).
        days: Messages per local date.
        style: The patient's writing style (an :class:`AltStyle` for the ``alt`` vocabulary).
    """

    metadata: PatientMetadata
    events: list[ClinicalEvent]
    latent: np.ndarray
    phase: list[str]
    days: dict[dt.date, list[DayMessage]]
    style: PatientStyle | AltStyle


def _check_vocabulary(vocabulary: str) -> None:
    if vocabulary not in VOCABULARIES:
        raise EmkitError(f"unknown vocabulary {vocabulary!r}; choose one of {list(VOCABULARIES)}")


def _timeline(
    rng: np.random.Generator, n_days: int
) -> tuple[np.ndarray, list[str], list[tuple[int, str]]]:
    """Latent signal, phases and (onset day, severity) pairs."""
    # Ordinary days: slow AR(1) wander around 0.1.
    noise = np.empty(n_days)
    level = 0.0
    for i in range(n_days):
        level = 0.8 * level + rng.normal(0.0, 0.06)
        noise[i] = level
    latent = 0.1 + noise
    phase = ["normal"] * n_days
    onsets: list[tuple[int, str]] = []
    day = int(25 + rng.exponential(110))
    while day < n_days:
        prodrome = int(rng.integers(5, 22))
        duration = int(rng.integers(10, 36))
        for k in range(prodrome):
            t = day - prodrome + k
            if t >= 0 and phase[t] == "normal":
                ramp = ((k + 1) / prodrome) ** 1.5
                latent[t] = 0.15 + 0.75 * ramp + noise[t]
                phase[t] = "prodrome"
        for k in range(duration):
            t = day + k
            if t < n_days:
                latent[t] = 0.95 - 0.6 * k / duration + noise[t]
                phase[t] = "relapse"
        severity = _SEVERITIES[int(rng.choice(3, p=[0.45, 0.4, 0.15]))]
        onsets.append((day, severity))
        day += duration + 25 + int(rng.exponential(120))
    # Confounders: hard weeks with similar but weaker changes, and no relapse.
    for _ in range(int(rng.poisson(n_days / 110))):
        length = int(rng.integers(4, 15))
        start = int(rng.integers(0, max(1, n_days - length)))
        if any(p != "normal" for p in phase[start : start + length]):
            continue
        peak = float(rng.uniform(0.3, 0.7))
        for k in range(length):
            t = start + k
            shape = 1.0 - abs(2.0 * (k + 0.5) / length - 1.0)
            latent[t] = 0.1 + peak * shape + noise[t]
            phase[t] = "confounder"
    return np.clip(latent, 0.0, 1.0), phase, onsets


def simulate_patient(
    patient_id: str,
    index: int,
    days: int,
    seed: int,
    signal: float = DEFAULT_SIGNAL,
    vocabulary: str = "default",
) -> SyntheticPatient:
    """Simulate one patient (deterministic given ``seed`` and ``index``).

    Args:
        patient_id: Pseudonymous id.
        index: Position in the cohort (seeds the patient's own random stream).
        days: Days of observation starting on :data:`START_DATE`.
        seed: Cohort seed.
        signal: How strongly language follows the hidden signal, in ``[0, 1]``.
        vocabulary: One of :data:`VOCABULARIES`. The latent signal, phases and relapse onsets
            do not depend on it; ``alt`` writes the messages from a random stream of its own.

    Returns:
        The simulated patient.
    """
    _check_vocabulary(vocabulary)
    rng = np.random.default_rng([seed, index])
    default_style = random_style(rng)
    style: PatientStyle | AltStyle = default_style
    latent, phase, onsets = _timeline(rng, days)
    messages: dict[dt.date, list[DayMessage]] = {}
    if vocabulary == "alt":
        language_rng = np.random.default_rng([seed, index, _ALT_STREAM])
        alt_style = style = random_alt_style(language_rng)
    for offset in range(days):
        date = START_DATE + dt.timedelta(days=offset)
        intensity = signal * float(latent[offset])
        if vocabulary == "alt":
            produced = alt_day_messages(language_rng, alt_style, intensity, date)
        else:
            produced = day_messages(rng, default_style, intensity, date)
        if produced:
            messages[date] = [DayMessage(time=t, text=x) for t, x in produced]
    events = [
        ClinicalEvent(
            date=START_DATE + dt.timedelta(days=day),
            event_type="relapse",
            severity=severity,
            notes=f"brote: {_ONSET_SYMPTOMS[int(rng.integers(len(_ONSET_SYMPTOMS)))]}",
        )
        for day, severity in onsets
    ]
    for visit in range(int(rng.integers(20, 60)), days, 90):
        events.append(
            ClinicalEvent(
                date=START_DATE + dt.timedelta(days=visit),
                event_type="consulta",
                notes="revisión de rutina",
            )
        )
    birth_year = int(rng.integers(1965, 2001))
    metadata = PatientMetadata(
        patient_id=patient_id,
        sex="F" if rng.random() < 0.7 else "M",
        birth_year=birth_year,
        diagnosis_year=min(2023, birth_year + int(rng.integers(18, 35))),
        ms_type="EMRR",
        timezone=_TIMEZONE,
        language="es",
        source="synthetic",
        observation_start=START_DATE,
        observation_end=START_DATE + dt.timedelta(days=days - 1),
    )
    return SyntheticPatient(
        metadata, sorted(events, key=lambda e: e.date), latent, phase, messages, style
    )


def synthesize_cohort(
    out_dir: Path | str,
    patients: int = 50,
    days: int = 365,
    seed: int = 0,
    signal: float = DEFAULT_SIGNAL,
    exports: bool = False,
    *,
    vocabulary: str = "default",
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write a synthetic cohort to ``out_dir``.

    Layout: ``<out_dir>/<patient_id>/{messages/YYYY-MM-DD.txt, events.csv, metadata.json}``
    (patients ``p001``, ``p002``...), ``<out_dir>/latent.parquet`` (``patient_id``, ``date``,
    ``latent``, ``phase``) and ``<out_dir>/synth.json`` (the settings). With ``exports``, each
    patient also gets ``exports/`` holding the same messages as WhatsApp (Android and iOS, es
    and en locales) and Telegram exports (:data:`EXPORT_VARIANTS`).

    Args:
        out_dir: Cohort directory to create.
        patients: Number of patients.
        days: Days of observation per patient.
        seed: Random seed; the same seed gives the same cohort.
        signal: How strongly language follows the hidden signal, in ``[0, 1]``.
        exports: Also write chat exports of every patient.
        vocabulary: How patients write (:data:`VOCABULARIES`): ``default``, or ``alt``, whose
            words and style habits are disjoint from the ``lexical`` lexicons'. The latent
            signal, phases and events' dates are the same for both with the same seed.
        overwrite: Replace existing patient directories.
        progress: Called with each patient id once written (for progress bars).

    Returns:
        ``out_dir``.

    Raises:
        EmkitError: for out-of-range settings or an existing cohort (without ``overwrite``).
    """
    import pandas as pd

    if patients < 1 or days < 1:
        raise EmkitError(f"patients and days must be >= 1 (got {patients}, {days})")
    if not 0.0 <= signal <= 1.0:
        raise EmkitError(f"signal must be between 0 and 1 (got {signal})")
    _check_vocabulary(vocabulary)
    out = Path(out_dir)
    frames = []
    stale = _synthetic_patient_ids(out) if overwrite else set()
    for index, patient_id in enumerate(_patient_ids(patients)):
        stale.discard(patient_id)
        simulated = simulate_patient(patient_id, index, days, seed, signal, vocabulary)
        written = write_patient(
            out / patient_id,
            simulated.metadata,
            events=simulated.events,
            days=simulated.days,
            overwrite=overwrite,
        )
        if exports:
            write_exports(written.path / "exports", simulated.days, seed=seed, index=index)
        dates = [START_DATE + dt.timedelta(days=i) for i in range(days)]
        frames.append(
            pd.DataFrame(
                {
                    "patient_id": patient_id,
                    "date": dates,
                    "latent": simulated.latent.astype(float),
                    "phase": simulated.phase,
                }
            )
        )
        if progress is not None:
            progress(patient_id)
    # A smaller cohort written over a larger one must not keep the old extra patients.
    for patient_id in sorted(stale):
        shutil.rmtree(out / patient_id, ignore_errors=True)
    latent = pd.concat(frames, ignore_index=True)
    buffer = latent.to_parquet(index=False)
    from _sdk import atomic_write_bytes

    atomic_write_bytes(out / "latent.parquet", buffer)
    settings = {
        "patients": patients,
        "days": days,
        "seed": seed,
        "signal": signal,
        "exports": exports,
        "start": START_DATE.isoformat(),
    }
    if vocabulary != "default":  # default cohorts keep their synth.json byte for byte
        settings["vocabulary"] = vocabulary
    atomic_write_text(out / "synth.json", json.dumps(settings, indent=2) + "\n")
    return out


def _patient_ids(patients: int) -> list[str]:
    width = max(3, len(str(patients)))
    return [f"p{index + 1:0{width}d}" for index in range(patients)]


def _synthetic_patient_ids(out: Path) -> set[str]:
    """Patient ids a previous :func:`synthesize_cohort` wrote to ``out`` (from its synth.json)."""
    try:
        previous = json.loads((out / "synth.json").read_text(encoding="utf-8"))
        return set(_patient_ids(int(previous["patients"])))
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def oracle_auroc(cohort: Path | str, horizon: int = 14, recovery_days: int | None = None) -> float:
    """AUROC of the hidden ``latent`` signal against the ``horizon``-day labels of a cohort.

    This is the ceiling a perfect reader of the hidden signal reaches; excluded days are left
    out, as in any evaluation.

    Args:
        cohort: A cohort written by :func:`synthesize_cohort`.
        horizon: Horizon in days.
        recovery_days: As in :func:`emkit.labels.build_labels` (its default when ``None``).

    Returns:
        The area under the ROC curve, in ``[0, 1]``.

    Raises:
        EmkitError: when the cohort has no ``latent.parquet`` or a single label class.
    """
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    from emkit.dataset import read_cohort
    from emkit.labels import DEFAULT_RECOVERY_DAYS, build_labels, label_column

    path = Path(cohort) / "latent.parquet"
    if not path.exists():
        raise EmkitError(f"{path} not found: oracle AUROC needs a synthetic cohort")
    latent = pd.read_parquet(path)
    latent["date"] = pd.to_datetime(latent["date"]).dt.date
    labels = build_labels(
        read_cohort(cohort),
        [horizon],
        DEFAULT_RECOVERY_DAYS if recovery_days is None else recovery_days,
    )
    joined = labels.join(latent.set_index(["patient_id", "date"]), how="inner")
    joined = joined.dropna(subset=[label_column(horizon)])
    y = joined[label_column(horizon)].to_numpy()
    if len(set(y)) < 2:
        raise EmkitError("oracle AUROC needs both positive and negative days")
    return float(roc_auc_score(y, joined["latent"].to_numpy()))

"""Synthetic cohorts: realistic Spanish chat messages with relapses, prodromes and confounders.

No real patient data may be used to develop or test emkit, so this module writes cohorts in the
dataset layout (:mod:`emkit.dataset`) from a hidden daily signal, ``latent``:

* **normal** days hover near 0.1;
* a **prodrome** of 5-21 days before each relapse onset rises towards 0.9;
* the **relapse** itself (10-35 days after the onset) starts high and fades;
* **confounder** weeks (hard weeks without relapse) bump the signal to 0.3-0.7.

Each day's messages are written at intensity ``signal * latent`` (see
:mod:`emkit.synth.language`), so with ``signal=0`` language carries no information. The
``latent`` column of ``latent.parquet`` lets evaluations compute an oracle AUROC (the score a
perfect reader of the hidden signal would get): with the default settings the 14-day oracle
AUROC lies between 0.75 and 0.92 (:func:`oracle_auroc`).

Two vocabularies write the messages (``vocabulary=``, :data:`VOCABULARIES`): ``default``, and
``alt`` (:mod:`emkit.synth.alt_language`), whose symptom, fatigue and mood words and style
habits are disjoint from the ``lexical`` extractor's lexicons; the latent signal and the events'
dates are the same for both.

Everything is deterministic given ``seed``.
"""

from __future__ import annotations

from emkit.synth.cohort import (
    DEFAULT_SIGNAL,
    PHASES,
    START_DATE,
    VOCABULARIES,
    SyntheticPatient,
    oracle_auroc,
    simulate_patient,
    synthesize_cohort,
)
from emkit.synth.exports import EXPORT_VARIANTS, PATIENT_NAMES, write_exports

__all__ = [
    "DEFAULT_SIGNAL",
    "EXPORT_VARIANTS",
    "PATIENT_NAMES",
    "PHASES",
    "START_DATE",
    "SyntheticPatient",
    "VOCABULARIES",
    "oracle_auroc",
    "simulate_patient",
    "synthesize_cohort",
    "write_exports",
]

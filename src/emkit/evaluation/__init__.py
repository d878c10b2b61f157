"""Leakage-safe evaluation of relapse forecasters.

* :mod:`~emkit.evaluation.splits`: rolling-origin folds with a purge gap, leave-patients-out.
* :mod:`~emkit.evaluation.metrics`: AUROC, AUPRC, Brier, calibration, per-event alarms.
* :mod:`~emkit.evaluation.bootstrap`: confidence intervals by resampling patients.
* :mod:`~emkit.evaluation.experiment`: out-of-fold forecasts, scored beside the oracle.
* :mod:`~emkit.evaluation.ablation`: the four feature-set experiments.
* :mod:`~emkit.evaluation.analyses`: event-locked curves, rise test, feature importance.
* :mod:`~emkit.evaluation.report`: one self-contained HTML report.
"""

from __future__ import annotations

from emkit.evaluation.ablation import EXPERIMENTS, run_ablation
from emkit.evaluation.bootstrap import Interval, patient_bootstrap
from emkit.evaluation.data import cohort_labels, load_features, load_latent, normalise_index
from emkit.evaluation.experiment import Evaluation, evaluate, out_of_fold_predictions
from emkit.evaluation.splits import (
    Split,
    leave_patients_out_splits,
    make_splits,
    rolling_origin_splits,
)

__all__ = [
    "EXPERIMENTS",
    "Evaluation",
    "Interval",
    "Split",
    "cohort_labels",
    "evaluate",
    "leave_patients_out_splits",
    "load_features",
    "load_latent",
    "make_splits",
    "normalise_index",
    "out_of_fold_predictions",
    "patient_bootstrap",
    "rolling_origin_splits",
    "run_ablation",
]

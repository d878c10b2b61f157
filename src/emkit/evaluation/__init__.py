"""Leakage-safe evaluation of relapse forecasters (public).

* splits: rolling-origin folds with a purge gap, leave-patients-out;
* metrics: AUROC, AUPRC, Brier, calibration, per-event alarms;
* bootstrap: confidence intervals by resampling patients;
* experiments: out-of-fold forecasts (each embedding block reduced by a PCA fitted on the
  fold's training rows, :func:`fold_features`), scored beside the oracle;
* ablation: the four feature-set experiments, grouped by column role;
* analyses: event-locked curves, rise test, feature importance;
* study and report: what ``emkit evaluate`` runs and ``emkit report`` renders.

The implementation modules under this package are private; use the names below.
"""

from __future__ import annotations

from emkit.evaluation.ablation import (
    EXPERIMENT_ROLES,
    EXPERIMENTS,
    experiment_columns,
    run_ablation,
)
from emkit.evaluation.bootstrap import Interval, patient_bootstrap
from emkit.evaluation.data import (
    cohort_labels,
    cohort_text,
    load_features,
    load_latent,
    normalise_index,
)
from emkit.evaluation.experiment import (
    ORACLE,
    Evaluation,
    ForecasterFactory,
    evaluate,
    fold_features,
    history_mask,
    out_of_fold_predictions,
    prediction_column,
)
from emkit.evaluation.metrics import auroc, binary_metrics, calibration_table
from emkit.evaluation.report import render_report, write_report
from emkit.evaluation.splits import (
    Split,
    leave_patients_out_splits,
    make_splits,
    rolling_origin_splits,
)
from emkit.evaluation.study import (
    EVENT_LOCKED_ROLES,
    factories,
    importance_analyses,
    read_study,
    run_study,
    write_study,
)

__all__ = [
    "EVENT_LOCKED_ROLES",
    "EXPERIMENTS",
    "EXPERIMENT_ROLES",
    "Evaluation",
    "ForecasterFactory",
    "Interval",
    "ORACLE",
    "Split",
    "auroc",
    "binary_metrics",
    "calibration_table",
    "cohort_labels",
    "cohort_text",
    "evaluate",
    "experiment_columns",
    "factories",
    "fold_features",
    "history_mask",
    "importance_analyses",
    "leave_patients_out_splits",
    "load_features",
    "load_latent",
    "make_splits",
    "normalise_index",
    "out_of_fold_predictions",
    "patient_bootstrap",
    "prediction_column",
    "read_study",
    "render_report",
    "rolling_origin_splits",
    "run_ablation",
    "run_study",
    "write_report",
    "write_study",
]

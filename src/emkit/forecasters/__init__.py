"""Built-in forecasters and model folders.

* :mod:`~emkit.forecasters.prevalence`: ``prevalence``, the per-patient base rate;
* :mod:`~emkit.forecasters.sklearn`: ``logistic`` and ``gbm`` (scikit-learn);
* :mod:`~emkit.forecasters.tfidf`: ``tfidf``, TF-IDF n-grams of the last days' text (the
  reference text forecaster);
* :mod:`~emkit.forecasters.trajectory`: ``trajectory``, a score of each day's text and a
  regression on its recent path;
* :mod:`~emkit.forecasters.model_folder`: a fitted forecaster saved beside its manifest
  (``emkit train`` / ``emkit predict``), and each patient's latest risk.

Other forecasters (the TFT) come from plugins; all are registered by name.
"""

from __future__ import annotations

from emkit.forecasters.model_folder import (
    MANIFEST,
    MODEL_FILE,
    TrainedModel,
    latest_risk,
    load_model,
    save_model,
)
from emkit.forecasters.prevalence import PrevalenceForecaster
from emkit.forecasters.sklearn import GBMForecaster, LogisticForecaster, rolling_design
from emkit.forecasters.tfidf import TfidfForecaster, text_documents
from emkit.forecasters.trajectory import TrajectoryForecaster, score_trajectory

__all__ = [
    "MANIFEST",
    "MODEL_FILE",
    "GBMForecaster",
    "LogisticForecaster",
    "PrevalenceForecaster",
    "TfidfForecaster",
    "TrainedModel",
    "TrajectoryForecaster",
    "latest_risk",
    "load_model",
    "rolling_design",
    "save_model",
    "score_trajectory",
    "text_documents",
]

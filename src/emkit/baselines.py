"""Deprecated: the baselines moved to :mod:`emkit.forecasters`.

The column names are :func:`emkit.label_column` and :func:`emkit.proba_column`.

Reading a name here warns (:class:`DeprecationWarning`), except the three forecaster classes,
which are still imported from here by existing plugins and stay plain aliases for this release.
"""

from __future__ import annotations

from emkit._deprecated import moved
from emkit.forecasters.prevalence import PrevalenceForecaster
from emkit.forecasters.sklearn import GBMForecaster, LogisticForecaster

__all__ = ["GBMForecaster", "LogisticForecaster", "PrevalenceForecaster"]

__getattr__ = moved(
    __name__,
    {
        "label_column": "emkit.label_column",
        "proba_column": "emkit.proba_column",
        "rolling_design": "emkit.forecasters.sklearn.rolling_design",
        "source_feature": "emkit.forecasters.sklearn.source_feature",
        "DERIVED_SEPARATOR": "emkit.forecasters.sklearn.DERIVED_SEPARATOR",
    },
)

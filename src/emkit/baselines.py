"""Deprecated: the baselines moved to :mod:`emkit.forecasters`.

The forecaster classes are :class:`emkit.PrevalenceForecaster`, :class:`emkit.LogisticForecaster`
and :class:`emkit.GBMForecaster`; the column names are :func:`emkit.label_column` and
:func:`emkit.proba_column`. Reading a name here warns (:class:`DeprecationWarning`).
"""

from __future__ import annotations

from _sdk.deprecation import deprecated_aliases

__getattr__ = deprecated_aliases(
    __name__,
    {
        "PrevalenceForecaster": "emkit.PrevalenceForecaster",
        "LogisticForecaster": "emkit.LogisticForecaster",
        "GBMForecaster": "emkit.GBMForecaster",
        "label_column": "emkit.label_column",
        "proba_column": "emkit.proba_column",
        "rolling_design": "emkit.forecasters.sklearn.rolling_design",
        "source_feature": "emkit.forecasters.sklearn.source_feature",
        "DERIVED_SEPARATOR": "emkit.forecasters.sklearn.DERIVED_SEPARATOR",
    },
)

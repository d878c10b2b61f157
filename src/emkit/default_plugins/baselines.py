"""Built-in baseline forecasters."""

from __future__ import annotations

from collections.abc import Callable

from emkit.forecasters import (
    GBMForecaster,
    LogisticForecaster,
    PrevalenceForecaster,
    TfidfForecaster,
    TrajectoryForecaster,
)
from emkit.interfaces import Forecaster
from emkit.plugins import hookimpl


@hookimpl
def emkit_register_forecasters(register: Callable[[type[Forecaster]], None]) -> None:
    """Register the built-ins: ``prevalence``, ``logistic``, ``gbm``, ``tfidf``, ``trajectory``."""
    register(PrevalenceForecaster)
    register(LogisticForecaster)
    register(GBMForecaster)
    register(TfidfForecaster)
    register(TrajectoryForecaster)

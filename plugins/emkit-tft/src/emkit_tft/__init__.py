"""emkit-tft: a Temporal Fusion Transformer (pytorch-forecasting) relapse forecaster.

Registration imports nothing heavy; torch, lightning and pytorch-forecasting are imported when
the forecaster is fitted or loaded.
"""

from __future__ import annotations

from collections.abc import Callable

import emkit
from emkit_tft.forecaster import TFTForecaster

__all__ = ["TFTForecaster", "emkit_register_forecasters"]


@emkit.hookimpl
def emkit_register_forecasters(register: Callable[[type[emkit.Forecaster]], None]) -> None:
    """Register the ``tft`` forecaster."""
    register(TFTForecaster)

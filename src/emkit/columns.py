"""Names of the label and probability columns: the one place they are spelled.

A label frame has one ``relapse_within_{h}d`` column per horizon *h* (1.0 / 0.0, NaN when the
day is excluded) and one ``exclusion_reason_{h}d`` column; a forecaster's
:meth:`~emkit.Forecaster.predict_proba` returns one ``p_relapse_within_{h}d`` column per
horizon. Code that reads or writes these columns calls the functions below.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["horizon_of", "label_column", "label_series", "proba_column", "reason_column"]

_LABEL = re.compile(r"^(?:p_)?relapse_within_([1-9][0-9]*)d$")


def label_column(horizon: int) -> str:
    """Name of the label column for ``horizon`` days: ``relapse_within_{h}d``."""
    return f"relapse_within_{int(horizon)}d"


def proba_column(horizon: int) -> str:
    """Name of the probability column for ``horizon`` days: ``p_relapse_within_{h}d``."""
    return f"p_relapse_within_{int(horizon)}d"


def reason_column(horizon: int) -> str:
    """Name of the exclusion-reason column for ``horizon`` days: ``exclusion_reason_{h}d``."""
    return f"exclusion_reason_{int(horizon)}d"


def horizon_of(column: str) -> int | None:
    """The horizon of a label or probability column name, ``None`` for any other name.

    ``horizon_of("relapse_within_14d") == horizon_of("p_relapse_within_14d") == 14``.
    """
    match = _LABEL.match(str(column))
    return int(match.group(1)) if match else None


def label_series(labels: pd.DataFrame, horizon: int) -> pd.Series:
    """The :func:`label_column` of ``horizon`` in ``labels`` (what a forecaster's ``fit`` reads).

    Raises:
        KeyError: naming the missing column and the columns ``labels`` has.
    """
    column = label_column(horizon)
    if column not in labels.columns:
        raise KeyError(f"labels have no column {column!r} (columns: {list(labels.columns)})")
    return labels[column]

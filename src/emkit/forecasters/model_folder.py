"""Trained forecasters on disk, and each patient's latest risk.

A *model folder* holds what :meth:`~emkit.Forecaster.save` writes (``model``) beside a manifest,
``forecaster.json``: the forecaster's registered name, its options, the horizons and the feature
columns it was fitted on, so that anyone can load it by name and feed it the right columns.
``emkit train`` writes model folders and ``emkit predict`` reads them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _sdk import atomic_write_text
from emkit.errors import EmkitError
from emkit.interfaces import Forecaster

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MANIFEST", "MODEL_FILE", "TrainedModel", "latest_risk", "load_model", "save_model"]

#: File naming the forecaster inside a model folder.
MANIFEST = "forecaster.json"
#: Where the forecaster's own ``save`` writes inside the model folder.
MODEL_FILE = "model"


@dataclass
class TrainedModel:
    """A fitted forecaster with the manifest of its model folder.

    Attributes:
        forecaster: The fitted forecaster.
        manifest: ``forecaster`` (name), ``options``, ``horizons``, ``feature_columns``,
            ``patients``, ``patient_days`` and ``trained_at``.
    """

    forecaster: Forecaster
    manifest: dict[str, Any]

    @property
    def horizons(self) -> list[int]:
        """Horizons in days the forecaster was fitted for."""
        return [int(h) for h in self.manifest["horizons"]]

    @property
    def feature_columns(self) -> list[str]:
        """Feature columns the forecaster was fitted on, in order."""
        return [str(c) for c in self.manifest["feature_columns"]]


def save_model(
    forecaster: Forecaster, folder: Path | str, features: pd.DataFrame, horizons: Sequence[int]
) -> Path:
    """Write a fitted ``forecaster`` and its manifest to ``folder`` (created if needed).

    Args:
        forecaster: A forecaster fitted on ``features``.
        folder: The model folder.
        features: The feature frame it was fitted on (its columns and size go in the manifest).
        horizons: The horizons it was fitted for.

    Returns:
        ``folder``.

    Raises:
        EmkitError: when the forecaster cannot be saved (``supports_save`` is false).
    """
    if not forecaster.supports_save:
        raise EmkitError(f"forecaster {forecaster.name!r} cannot be saved (supports_save=False)")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    forecaster.save(folder / MODEL_FILE)
    manifest = {
        "forecaster": forecaster.name,
        "options": forecaster.options.model_dump(mode="json"),
        "horizons": sorted({int(h) for h in horizons}),
        "feature_columns": [str(c) for c in features.columns],
        "patients": int(features.index.get_level_values("patient_id").nunique()),
        "patient_days": len(features),
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=2))
    return folder


def load_model(folder: Path | str) -> TrainedModel:
    """Load a model folder written by :func:`save_model` (or ``emkit train``).

    The forecaster class is looked up by the registered name in the manifest, so its plugin must
    be installed.

    Raises:
        EmkitError: when ``folder`` has no manifest or names something that is not a forecaster.
        UnknownPluginError: when no installed plugin provides the named forecaster.
    """
    from emkit.plugins import host

    folder = Path(folder)
    path = folder / MANIFEST
    if not path.exists():
        raise EmkitError(f"{path} not found: is {folder} a folder from `emkit train`?")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        name = str(manifest["forecaster"])
    except (ValueError, KeyError, TypeError) as exc:
        raise EmkitError(f"{path}: not a forecaster manifest ({exc})") from None
    cls = host.get_class("forecaster", name)
    if not (isinstance(cls, type) and issubclass(cls, Forecaster)):
        raise EmkitError(f"{path}: {name!r} is not a forecaster")
    return TrainedModel(cls.load(folder / MODEL_FILE), manifest)


def latest_risk(model: TrainedModel, features: pd.DataFrame) -> pd.DataFrame:
    """P(relapse within h days) at each patient's latest day in ``features``.

    Only the history the forecasts can read (:attr:`~emkit.Forecaster.lookback`) is passed to
    the forecaster, so a sequence model does not predict every earlier day as well.

    Args:
        model: A loaded model folder.
        features: Per-day features indexed by ``(patient_id, date)`` holding the model's columns.

    Returns:
        One row per patient (index ``(patient_id, date)`` of that patient's latest day) with a
        :func:`~emkit.proba_column` column per horizon.

    Raises:
        EmkitError: when ``features`` lacks columns the model was fitted on.
    """
    import numpy as np
    import pandas as pd

    from emkit.evaluation.experiment import history_mask

    missing = [c for c in model.feature_columns if c not in features.columns]
    if missing:
        raise EmkitError(f"features lack columns the model was fitted on: {missing[:10]}")
    frame = features[model.feature_columns]
    dates = pd.Series(pd.DatetimeIndex(frame.index.get_level_values("date")), index=frame.index)
    last_day = np.asarray(dates == dates.groupby(level="patient_id").transform("max"))
    lookback = model.forecaster.lookback
    if lookback is not None:
        keep = history_mask(frame.index, last_day, lookback)
        frame, last_day = frame[keep], last_day[keep]
    return model.forecaster.predict_proba(frame)[last_day]

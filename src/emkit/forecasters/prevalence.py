"""The per-patient prevalence baseline: the floor any language-based forecaster must clear."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Self

import pandas as pd
from pydantic import Field

from _sdk import atomic_write_text
from emkit.columns import label_series, proba_column
from emkit.interfaces import Forecaster

__all__ = ["PrevalenceForecaster"]


class PrevalenceForecaster(Forecaster):
    """Per-patient base rate: P(relapse within h) = the patient's share of positive training days.

    Ignores the features: it is the floor any language-based forecaster must clear. The rate is
    smoothed towards the cohort rate with ``prior_strength`` pseudo-days, and patients unseen in
    training get the cohort rate.
    """

    name: ClassVar[str] = "prevalence"
    supports_save: ClassVar[bool] = True

    class Options(Forecaster.Options):
        """Options of the prevalence baseline."""

        prior_strength: float = Field(
            default=10.0, ge=0, description="Pseudo-days pulling a patient's rate to the cohort's."
        )

    options: Options

    def __init__(self, **options: object) -> None:
        """Validate options; nothing is fitted yet."""
        super().__init__(**options)
        self.horizons_: list[int] = []
        self.cohort_rate_: dict[int, float] = {}
        self.patient_rate_: dict[int, dict[str, float]] = {}

    def fit(self, features: pd.DataFrame, labels: pd.DataFrame, horizons: Sequence[int]) -> Self:
        """Count positive days per patient for each horizon (missing labels are skipped)."""
        self.horizons_ = sorted(set(int(h) for h in horizons))
        if not self.horizons_:
            raise ValueError("at least one horizon is required")
        k = self.options.prior_strength
        for h in self.horizons_:
            y = label_series(labels, h).dropna().astype(float)
            if y.empty:
                raise ValueError(f"no labelled rows for horizon {h}")
            cohort = float(y.mean())
            grouped = y.groupby(level="patient_id").agg(["sum", "count"])
            rates = (grouped["sum"] + k * cohort) / (grouped["count"] + k)
            self.cohort_rate_[h] = cohort
            self.patient_rate_[h] = {str(p): float(r) for p, r in rates.items()}
        return self

    @property
    def lookback(self) -> int:
        """No earlier rows: the rate depends on the patient only."""
        return 0

    def predict_proba(self, features: pd.DataFrame) -> pd.DataFrame:
        """The fitted rate of each row's patient, per horizon."""
        if not self.horizons_:
            raise RuntimeError("PrevalenceForecaster is not fitted; call fit() first")
        patients = features.index.get_level_values("patient_id").astype(str)
        out = pd.DataFrame(index=features.index)
        for h in self.horizons_:
            rates = self.patient_rate_[h]
            cohort = self.cohort_rate_[h]
            out[proba_column(h)] = [rates.get(p, cohort) for p in patients]
        return out

    def save(self, path: Path) -> None:
        """Write the fitted rates as JSON."""
        state = {
            "name": self.name,
            "options": self.options.model_dump(),
            "horizons": self.horizons_,
            "cohort_rate": {str(h): r for h, r in self.cohort_rate_.items()},
            "patient_rate": {str(h): r for h, r in self.patient_rate_.items()},
        }
        atomic_write_text(Path(path), json.dumps(state, indent=2))

    @classmethod
    def load(cls, path: Path) -> Self:
        """Read rates written by :meth:`save`."""
        state = json.loads(Path(path).read_text(encoding="utf-8"))
        model = cls(**state["options"])
        model.horizons_ = [int(h) for h in state["horizons"]]
        model.cohort_rate_ = {int(h): float(r) for h, r in state["cohort_rate"].items()}
        model.patient_rate_ = {int(h): dict(r) for h, r in state["patient_rate"].items()}
        return model

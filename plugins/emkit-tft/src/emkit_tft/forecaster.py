"""The Temporal Fusion Transformer as a binary relapse classifier, one model per horizon.

For each horizon *h* the target of day *t* is the string class ``"relapse"`` when an onset falls
in ``(t, t+h]`` and ``"no"`` otherwise; the loss is ``CrossEntropy`` and the probability is the
softmax of the raw logits (never the argmax class). Each patient is one time series (a group).
Day *t*'s features are known at the end of day *t*, so they enter as known reals: the decoder
step is day *t* itself and the encoder covers the ``encoder_length`` days before it. The target
is never an input, so no label that looks past day *t* reaches the model.

Excluded days (inside a relapse, or whose horizon runs past the end of observation) keep a
placeholder class with sample weight 0: they still serve as encoder context but never as a
training target.

Why one model per horizon rather than one multi-target model: pytorch-forecasting takes one
weight column for all targets, while the excluded days differ by horizon (a 30-day label is
missing for the last 30 days of observation, a 7-day label for the last 7), so a joint model
would either train on excluded days or drop valid ones. Separate models also let early stopping
pick a different number of epochs per horizon. The cost is one training run per horizon.

This module (over 400 lines) is the forecaster and the data preparation pytorch-forecasting
needs for it (series, weights, encoder context at prediction time); they change together.
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from pydantic import Field

from emkit import EmkitError, Forecaster, atomic_write_text, label_series, proba_column

#: Target classes; index 1 is the positive class whose probability is reported.
CLASSES = ("no", "relapse")
#: Columns the model adds itself; they are not input features.
_INTERNAL_VARIABLES = {"relative_time_idx", "encoder_length"}


class TFTForecaster(Forecaster):
    """pytorch-forecasting ``TemporalFusionTransformer`` trained on CPU with early stopping.

    Features are standardised with training means and deviations (missing values become the
    mean). The last ``validation_fraction`` of the training calendar is held out for early
    stopping, with the ``h`` days before it given weight 0 so that no training label looks
    into the validation days. Variable importance comes from ``interpret_output`` on the
    validation days (encoder and decoder variable-selection weights, averaged).
    """

    name: ClassVar[str] = "tft"
    supports_save: ClassVar[bool] = True

    class Options(Forecaster.Options):
        """Options of the TFT forecaster."""

        encoder_length: int = Field(default=30, ge=1, description="Days of history per forecast.")
        min_encoder_length: int = Field(
            default=1, ge=1, description="Fewest history days (early days of a patient)."
        )
        hidden_size: int = Field(default=16, ge=2, description="Width of the network.")
        attention_head_size: int = Field(default=2, ge=1, description="Attention heads.")
        hidden_continuous_size: int = Field(default=8, ge=1, description="Width per real input.")
        dropout: float = Field(default=0.1, ge=0, lt=1, description="Dropout rate.")
        learning_rate: float = Field(default=0.01, gt=0, description="Adam learning rate.")
        batch_size: int = Field(default=128, ge=1, description="Samples per batch.")
        max_epochs: int = Field(default=20, ge=1, description="Upper bound on epochs.")
        patience: int = Field(default=3, ge=1, description="Epochs without improvement to stop.")
        validation_fraction: float = Field(
            default=0.2, gt=0, lt=1, description="Share of the training calendar for stopping."
        )
        gradient_clip_val: float = Field(default=0.1, gt=0, description="Gradient clipping.")
        limit_train_batches: int | None = Field(
            default=None, ge=1, description="Cap on batches per epoch (None: all)."
        )
        seed: int = Field(default=0, description="Seed of weights, batches and dropout.")
        threads: int | None = Field(default=None, ge=1, description="torch CPU threads.")

    options: Options

    def __init__(self, **options: object) -> None:
        """Validate options; nothing is fitted yet."""
        super().__init__(**options)
        self.horizons_: list[int] = []
        self.feature_columns_: list[str] = []
        self.mean_: dict[str, float] = {}
        self.scale_: dict[str, float] = {}
        self.prior_: dict[int, float] = {}
        self.networks_: dict[int, Any] = {}
        self.importance_: dict[int, dict[str, float]] = {}
        self.epochs_: dict[int, int] = {}

    # -- frames and datasets -------------------------------------------------------------------
    def _long_frame(self, features: pd.DataFrame, labels: pd.Series | None) -> pd.DataFrame:
        """One row per patient-day: standardised features, ``time_idx``, target and weight."""
        ordered = features.sort_index(level=["patient_id", "date"])
        dates = pd.DatetimeIndex(ordered.index.get_level_values("date"))
        frame = pd.DataFrame(
            {
                "patient_id": ordered.index.get_level_values("patient_id").astype(str),
                "time_idx": np.asarray((dates - pd.Timestamp("2000-01-01")).days, dtype=np.int64),
            },
            index=ordered.index,
        )
        for column in self.feature_columns_:
            z = (ordered[column].astype(float) - self.mean_[column]) / self.scale_[column]
            frame[column] = z.fillna(0.0).clip(-10, 10).astype(np.float32)
        if labels is None:
            frame["relapse"] = CLASSES[0]
            frame["weight"] = 0.0
        else:
            y = labels.reindex(ordered.index)
            frame["relapse"] = np.where(y.to_numpy() == 1, CLASSES[1], CLASSES[0])
            frame["weight"] = y.notna().astype(np.float32).to_numpy()
        return frame.reset_index(drop=True)

    def _dataset(self, frame: pd.DataFrame, min_prediction_idx: int | None = None) -> Any:
        from pytorch_forecasting import TimeSeriesDataSet
        from pytorch_forecasting.data.encoders import NaNLabelEncoder

        reals = list(self.feature_columns_)
        return TimeSeriesDataSet(
            frame,
            time_idx="time_idx",
            target="relapse",
            group_ids=["patient_id"],
            weight="weight",
            max_encoder_length=self.options.encoder_length,
            min_encoder_length=min(self.options.min_encoder_length, self.options.encoder_length),
            max_prediction_length=1,
            min_prediction_length=1,
            min_prediction_idx=min_prediction_idx,
            time_varying_known_reals=reals,
            target_normalizer=NaNLabelEncoder().fit(pd.Series(CLASSES)),
            categorical_encoders={"__group_id__patient_id": NaNLabelEncoder(add_nan=True)},
            # Features are standardised here, and the added variables are scaled by the
            # dataset itself: no fitted scaler state has to be saved.
            scalers={name: None for name in [*reals, *_INTERNAL_VARIABLES]},
            add_relative_time_idx=True,
            add_encoder_length=True,
            allow_missing_timesteps=True,
        )

    def _network(self, dataset: Any) -> Any:
        from pytorch_forecasting import TemporalFusionTransformer
        from pytorch_forecasting.metrics import CrossEntropy

        return TemporalFusionTransformer.from_dataset(
            dataset,
            hidden_size=self.options.hidden_size,
            attention_head_size=self.options.attention_head_size,
            hidden_continuous_size=self.options.hidden_continuous_size,
            dropout=self.options.dropout,
            learning_rate=self.options.learning_rate,
            output_size=len(CLASSES),
            loss=CrossEntropy(),
            log_interval=-1,
            reduce_on_plateau_patience=max(1, self.options.patience - 1),
        )

    # -- Forecaster ----------------------------------------------------------------------------
    def fit(self, features: pd.DataFrame, labels: pd.DataFrame, horizons: Sequence[int]) -> Self:
        """Train one TFT per horizon on CPU, stopping early on the held-out last days."""
        import lightning.pytorch as pl
        import torch

        self.horizons_ = sorted(set(int(h) for h in horizons))
        if not self.horizons_:
            raise ValueError("at least one horizon is required")
        self.feature_columns_ = [str(c) for c in features.select_dtypes("number").columns]
        if not self.feature_columns_:
            raise ValueError("the feature frame has no numeric columns")
        for column in self.feature_columns_:
            values = features[column].astype(float)
            mean = float(values.mean()) if values.notna().any() else 0.0
            scale = float(values.std()) if values.notna().sum() > 1 else 1.0
            self.mean_[column] = mean if math.isfinite(mean) else 0.0
            self.scale_[column] = scale if math.isfinite(scale) and scale > 0 else 1.0
        if self.options.threads:
            torch.set_num_threads(self.options.threads)
        aligned = labels.reindex(features.index)
        for h in self.horizons_:
            y = label_series(aligned, h)
            if y.dropna().nunique() < 2:
                raise ValueError(f"horizon {h}: training labels hold a single class")
            self.prior_[h] = float(y.mean())
            frame = self._long_frame(features, y)
            days = np.sort(frame["time_idx"].unique())
            cutoff = int(days[int(len(days) * (1 - self.options.validation_fraction))])
            # Purge: training labels of the h days before the cut would look into it.
            purge = (frame["time_idx"] >= cutoff - h) & (frame["time_idx"] < cutoff)
            train_frame = frame.copy()
            train_frame.loc[purge, "weight"] = 0.0
            training = self._dataset(train_frame[train_frame["time_idx"] < cutoff])
            validation = self._dataset(frame, min_prediction_idx=cutoff)
            pl.seed_everything(self.options.seed + h, workers=True, verbose=False)
            with _quiet():
                self._train_one(h, training, validation)
        return self

    def _train_one(self, h: int, training: Any, validation: Any) -> None:
        """Train the network of horizon ``h`` with early stopping on ``validation``."""
        import lightning.pytorch as pl
        from lightning.pytorch.callbacks import EarlyStopping

        network = self._network(training)
        trainer = pl.Trainer(
            accelerator="cpu",
            devices=1,
            max_epochs=self.options.max_epochs,
            gradient_clip_val=self.options.gradient_clip_val,
            limit_train_batches=self.options.limit_train_batches or 1.0,
            callbacks=[EarlyStopping(monitor="val_loss", patience=self.options.patience)],
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            logger=False,
            deterministic=True,
        )
        trainer.fit(
            network,
            train_dataloaders=training.to_dataloader(
                train=True, batch_size=self.options.batch_size, num_workers=0
            ),
            val_dataloaders=validation.to_dataloader(
                train=False, batch_size=self.options.batch_size * 4, num_workers=0
            ),
        )
        network.eval()
        self.networks_[h] = network
        self.epochs_[h] = int(trainer.current_epoch)
        self.importance_[h] = self._selection_weights(network, validation)

    def _selection_weights(self, network: Any, dataset: Any) -> dict[str, float]:
        """Mean variable-selection weight of each input feature (encoder and decoder)."""
        loader = dataset.to_dataloader(train=False, batch_size=512, num_workers=0)
        with _quiet():
            raw = network.predict(loader, mode="raw", trainer_kwargs=_quiet_trainer())
        interpretation = network.interpret_output(raw, reduction="sum")
        weights: dict[str, float] = {c: 0.0 for c in self.feature_columns_}
        for kind, names in (
            ("encoder_variables", network.encoder_variables),
            ("decoder_variables", network.decoder_variables),
        ):
            values = interpretation[kind].detach().cpu().numpy().astype(float)
            total = values.sum()
            for name, value in zip(names, values, strict=True):
                if name in weights and total > 0:
                    weights[name] += float(value / total) / 2
        return weights

    @property
    def lookback(self) -> int:
        """The encoder length: a forecast reads at most that many earlier days."""
        return self.options.encoder_length

    def predict_proba(self, features: pd.DataFrame) -> pd.DataFrame:
        """Softmax probability of ``"relapse"`` for every row, one column per horizon.

        A patient's first day has no history to encode; it gets the training base rate.
        """
        import torch

        if not self.networks_:
            raise RuntimeError("TFTForecaster is not fitted; call fit() first")
        missing = [c for c in self.feature_columns_ if c not in features.columns]
        if missing:
            raise KeyError(f"features lack columns the model was fitted on: {missing[:10]}")
        frame = self._long_frame(features, None)
        key = pd.MultiIndex.from_arrays(
            [frame["patient_id"], frame["time_idx"]], names=["patient_id", "time_idx"]
        )
        out = pd.DataFrame(index=features.index)
        dataset = self._dataset(frame)
        loader = dataset.to_dataloader(train=False, batch_size=512, num_workers=0)
        for h in self.horizons_:
            network = self.networks_[h]
            with _quiet():
                prediction = network.predict(
                    loader,
                    mode="raw",
                    return_index=True,
                    return_x=True,
                    trainer_kwargs=_quiet_trainer(),
                )
            logits = prediction.output["prediction"][:, 0, :]
            proba = torch.softmax(logits.float(), dim=-1)[:, CLASSES.index("relapse")]
            index = prediction.index
            found = pd.DataFrame(
                {
                    "patient_id": index["patient_id"].astype(str).to_numpy(),
                    "time_idx": index["time_idx"].astype(np.int64).to_numpy(),
                    "encoder_length": prediction.x["encoder_lengths"].cpu().numpy(),
                    "proba": proba.cpu().numpy().astype(float),
                }
            )
            # A day can be decoded from several history lengths at the start of a series;
            # keep the forecast that saw the longest history.
            best = (
                found.sort_values("encoder_length")
                .drop_duplicates(["patient_id", "time_idx"], keep="last")
                .set_index(["patient_id", "time_idx"])["proba"]
            )
            values = best.reindex(key).fillna(self.prior_[h]).to_numpy()
            # ``frame`` is sorted by patient and date; put values back in the caller's order.
            ordered = pd.Series(
                values, index=features.sort_index(level=["patient_id", "date"]).index
            )
            out[proba_column(h)] = ordered.reindex(features.index).to_numpy()
        return out

    def feature_importance(self) -> pd.Series:
        """Variable-selection weight per input feature, averaged over horizons."""
        if not self.importance_:
            return pd.Series(dtype=float, name="importance")
        table = pd.DataFrame(self.importance_)
        return table.mean(axis=1).rename("importance").sort_values(ascending=False)

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write ``config.json`` and one ``horizon_{h}.safetensors`` per horizon under ``path``."""
        from safetensors.torch import save_model

        if not self.networks_:
            raise RuntimeError("TFTForecaster is not fitted; call fit() first")
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        for h, network in self.networks_.items():
            tmp = folder / f".horizon_{h}.safetensors.tmp"
            # save_model keeps one copy of the weights the TFT shares between its submodules.
            save_model(network, str(tmp))
            tmp.replace(folder / f"horizon_{h}.safetensors")
        config = {
            "name": self.name,
            "options": self.options.model_dump(),
            "horizons": self.horizons_,
            "feature_columns": self.feature_columns_,
            "mean": self.mean_,
            "scale": self.scale_,
            "prior": {str(h): p for h, p in self.prior_.items()},
            "importance": {str(h): w for h, w in self.importance_.items()},
            "epochs": {str(h): e for h, e in self.epochs_.items()},
        }
        atomic_write_text(folder / "config.json", json.dumps(config, indent=2))

    @classmethod
    def load(cls, path: Path) -> Self:
        """Rebuild the networks from ``config.json`` and load weights with safetensors."""
        from safetensors.torch import load_model

        folder = Path(path)
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise EmkitError(f"{folder}: not a saved tft model ({exc})") from exc
        if config.get("name") != cls.name:
            raise EmkitError(f"{folder}: holds a {config.get('name')!r} model, not 'tft'")
        model = cls(**config["options"])
        model.horizons_ = [int(h) for h in config["horizons"]]
        model.feature_columns_ = [str(c) for c in config["feature_columns"]]
        model.mean_ = {str(k): float(v) for k, v in config["mean"].items()}
        model.scale_ = {str(k): float(v) for k, v in config["scale"].items()}
        model.prior_ = {int(h): float(p) for h, p in config["prior"].items()}
        model.importance_ = {int(h): dict(w) for h, w in config["importance"].items()}
        model.epochs_ = {int(h): int(e) for h, e in config.get("epochs", {}).items()}
        template = model._template_dataset()
        for h in model.horizons_:
            with _quiet():
                network = model._network(template)
            load_model(network, str(folder / f"horizon_{h}.safetensors"), strict=True)
            network.eval()
            model.networks_[h] = network
        return model

    def _template_dataset(self) -> Any:
        """A tiny dataset with the fitted schema, enough to rebuild the network's shape."""
        days = self.options.encoder_length + 2
        frame = pd.DataFrame(
            {
                "patient_id": np.repeat(["a", "b"], days),
                "time_idx": np.tile(np.arange(days, dtype=np.int64), 2),
                "relapse": np.tile(np.array(CLASSES * days)[:days], 2),
                "weight": 1.0,
            }
        )
        for column in self.feature_columns_:
            frame[column] = np.float32(0.0)
        return self._dataset(frame)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence lightning's banners and pytorch-forecasting's advice while training/predicting.

    Only the known, harmless messages are filtered; other warnings still surface.
    """
    loggers = [logging.getLogger(n) for n in ("lightning.pytorch", "lightning.fabric", "lightning")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            for message in _HARMLESS_WARNINGS:
                warnings.filterwarnings("ignore", message=message)
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


#: Third-party warnings that say nothing about this model's data or results.
_HARMLESS_WARNINGS = (
    r"Attribute '(loss|logging_metrics)' is an instance of `nn.Module`",
    r".*isinstance\(treespec, LeafSpec\)",
    r"The '(train|val|predict)_dataloader' does not have many workers",
    r".*does not have many workers",
    r"The number of training batches .* is smaller than the logging interval",
    r"`Trainer\(limit_train_batches=1.0\)` was configured",
    # Raw outputs of batches with different encoder lengths (attention maps) are returned as
    # lists; only the fixed-shape "prediction" logits are used.
    r"Not all dimensions are equal for tensors shapes",
)


def _quiet_trainer() -> dict[str, Any]:
    """Trainer arguments for prediction without progress bars, loggers or summaries."""
    return {
        "accelerator": "cpu",
        "devices": 1,
        "logger": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
    }

"""Deprecated: model folders moved to :mod:`emkit.forecasters.model_folder`.

Use :func:`emkit.save_model`, :func:`emkit.load_model` and :func:`emkit.latest_risk`. Reading
a name here warns.
"""

from __future__ import annotations

from _sdk.deprecation import deprecated_aliases

__getattr__ = deprecated_aliases(
    __name__,
    {
        "MANIFEST": "emkit.forecasters.model_folder.MANIFEST",
        "MODEL_FILE": "emkit.forecasters.model_folder.MODEL_FILE",
        "TrainedModel": "emkit.TrainedModel",
        "latest_risk": "emkit.latest_risk",
        "load_model": "emkit.load_model",
        "save_model": "emkit.save_model",
    },
)

"""Entry point of ``emkit-transformers``: registers the ``transformers`` extractor."""

from __future__ import annotations

from collections.abc import Callable

import emkit
from emkit_transformers.extractor import TransformersExtractor


@emkit.hookimpl
def emkit_register_feature_extractors(
    register: Callable[[type[emkit.FeatureExtractor]], None],
) -> None:
    """Register the ``transformers`` extractor."""
    register(TransformersExtractor)

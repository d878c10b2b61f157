"""Built-in lexical and sentiment feature extractor."""

from __future__ import annotations

from collections.abc import Callable

from emkit.features.lexical import LexicalExtractor
from emkit.interfaces import FeatureExtractor
from emkit.plugins import hookimpl


@hookimpl
def emkit_register_feature_extractors(register: Callable[[type[FeatureExtractor]], None]) -> None:
    """Register the ``lexical`` extractor."""
    register(LexicalExtractor)

"""Entry point of the ``emkit-minillm`` plugin: the ``minillm`` extractor and ``emkit minillm``.

Registration imports nothing heavy: torch is imported when a model is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import emkit
from emkit_minillm.extractor import MiniLLMExtractor

if TYPE_CHECKING:
    import typer


@emkit.hookimpl
def emkit_register_feature_extractors(
    register: Callable[[type[emkit.FeatureExtractor]], None],
) -> None:
    """Register the ``minillm`` extractor."""
    register(MiniLLMExtractor)


@emkit.hookimpl
def emkit_register_commands(cli: typer.Typer) -> None:
    """Add ``emkit minillm train``."""
    from emkit_minillm.cli import minillm_app

    cli.add_typer(minillm_app(), name="minillm")

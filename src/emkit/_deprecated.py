"""Deprecated aliases of moved names: a module-level ``__getattr__`` that warns, then forwards."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any

#: The release after which the aliases are removed.
REMOVED_IN = "emkit 0.3"


def moved(old_module: str, targets: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``old_module`` that warns, then forwards.

    ``targets`` maps each old name to the dotted path of its new home; reading one warns with
    :class:`DeprecationWarning` and returns it.
    """

    def __getattr__(name: str) -> Any:
        target = targets.get(name)
        if target is None:
            raise AttributeError(f"module {old_module!r} has no attribute {name!r}")
        warnings.warn(
            f"{old_module}.{name} is deprecated and will be removed in {REMOVED_IN}; use {target}",
            DeprecationWarning,
            stacklevel=2,
        )
        module, _, attribute = target.rpartition(".")
        return getattr(importlib.import_module(module), attribute)

    return __getattr__

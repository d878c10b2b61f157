"""Deprecated aliases: old import paths and names that keep working, with a warning, for a release.

A module that moved, or whose names were renamed, sets its module-level ``__getattr__`` to
:func:`deprecated_aliases`. Reading an old name warns with :class:`DeprecationWarning` at the
caller's line, naming the replacement, and returns the object from its new home.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

#: The release that removes the aliases made for the next one (0.2.0): they last one release.
REMOVED_IN = "0.3.0"


def _resolve(dotted: str) -> Any:
    module, _, attribute = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def _public_home(name: str, packages: Sequence[str]) -> str | None:
    """``<package>.<name>`` for the first of ``packages`` whose ``__all__`` lists ``name``."""
    for package in packages:
        if name in getattr(importlib.import_module(package), "__all__", ()):
            return f"{package}.{name}"
    return None


def deprecated_aliases(
    old_module: str,
    names: Mapping[str, str] | None = None,
    *,
    module: str | None = None,
    public: Sequence[str] = (),
    advice: Mapping[str, str] | None = None,
) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``old_module`` serving its deprecated names.

    Args:
        old_module: The module the old names are read from (``"emkit.baselines"``).
        names: Old name → dotted path of the object that serves it now
            (``{"Exporter": "medcards.ModelExporter"}``).
        module: For a moved module, its new home: any other name is read from there.
        public: Packages whose ``__all__`` gives the public home of a name read through
            ``module``, named in the warning (else the new module's path is named).
        advice: Old name → the replacement to name in the warning, where it differs from the
            object served (a function with a new signature, say).

    Raises:
        AttributeError: (from the returned function) for a name that is neither listed nor in
            ``module``.
    """
    targets = dict(names or {})
    told = dict(advice or {})

    def __getattr__(name: str) -> Any:
        if name in targets:
            target = targets[name]
            value = _resolve(target)
        elif module is not None and not name.startswith("__"):
            try:
                value = getattr(importlib.import_module(module), name)
            except AttributeError:
                raise AttributeError(f"module {old_module!r} has no attribute {name!r}") from None
            target = _public_home(name, public) or f"{module}.{name}"
        else:
            raise AttributeError(f"module {old_module!r} has no attribute {name!r}")
        warnings.warn(
            f"{old_module}.{name} is deprecated and will be removed in {REMOVED_IN}; "
            f"use {told.get(name, target)} instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return value

    return __getattr__

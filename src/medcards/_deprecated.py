"""Deprecated import paths and names, kept working for one release (private).

A module that moved leaves a thin alias behind whose module ``__getattr__`` comes from
:func:`moved_module`; a public name that was renamed is served by :func:`renamed_names`. Both
emit a :class:`DeprecationWarning` naming the replacement, at the caller's line.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any


def _public_home(name: str) -> str | None:
    """``medcards.<name>`` or ``medcards.study.<name>`` when the public contract has ``name``."""
    for package in ("medcards", "medcards.study"):
        module = importlib.import_module(package)
        if name in getattr(module, "__all__", ()):
            return f"{package}.{name}"
    return None


def moved_module(
    old: str, new: str, renamed: Mapping[str, str] | None = None
) -> Callable[[str], Any]:
    """The module ``__getattr__`` of the alias ``old`` of a module now at ``new``.

    Every attribute read through the alias warns and is served from ``new`` (a name listed in
    ``renamed`` is served under its new name). The warning names the public replacement when
    the contract has one, else the new private module.
    """
    renames = dict(renamed or {})

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        target = renames.get(name, name)
        module = importlib.import_module(new)
        try:
            value = getattr(module, target)
        except AttributeError:
            raise AttributeError(f"module {old!r} has no attribute {name!r}") from None
        home = _public_home(target) or f"{new}.{target}"
        warnings.warn(
            f"{old}.{name} is deprecated and will be removed in the next release; "
            f"use {home} instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return value

    return __getattr__


def renamed_names(module: str, renamed: Mapping[str, tuple[str, Callable[[], Any]]]) -> Any:
    """The module ``__getattr__`` serving old names of renamed objects of ``module``.

    Args:
        module: The module the old names are read from, e.g. ``"medcards"``.
        renamed: ``old name -> (new dotted name, loader of the new object)``.
    """

    def __getattr__(name: str) -> Any:
        if name not in renamed:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        new_name, load = renamed[name]
        warnings.warn(
            f"{module}.{name} is deprecated and will be removed in the next release; "
            f"use {new_name} instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return load()

    return __getattr__

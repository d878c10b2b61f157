"""Shared internals of the SDK behind :mod:`emkit` and :mod:`medcards` (private).

Both packages expose the same plugin architecture: pluggy hook specifications named
``<pkg>_register_<things>(register)``, a registry per interface, components with a pydantic
``Options`` model, and errors that name what was wrong. This module is the one place that logic
lives; the public names are re-exported by each package.
"""

from _sdk.component import Component, validate_options
from _sdk.errors import (
    InvalidOptionsError,
    PluginClashWarning,
    PluginError,
    PluginLoadWarning,
    UnknownPluginError,
    UserError,
)
from _sdk.host import Implementation, PluginHost, PluginInfo, RegistrySpec
from _sdk.io import atomic_write_bytes, atomic_write_text

__all__ = [
    "Component",
    "Implementation",
    "InvalidOptionsError",
    "PluginClashWarning",
    "PluginError",
    "PluginHost",
    "PluginInfo",
    "PluginLoadWarning",
    "RegistrySpec",
    "UnknownPluginError",
    "UserError",
    "atomic_write_bytes",
    "atomic_write_text",
    "validate_options",
]

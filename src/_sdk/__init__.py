"""Shared internals of the SDK behind :mod:`emkit` and :mod:`medcards` (private).

Both packages expose the same plugin architecture: pluggy hook specifications named
``<pkg>_register_<things>(register)``, a registry per interface, components with a pydantic
``Options`` model, and errors that name what was wrong. This module is the one place that logic
lives; the public names are re-exported by each package.
"""

import importlib.metadata

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

try:
    #: The version of the ``emkit-medcards`` distribution both packages belong to.
    VERSION = importlib.metadata.version("emkit-medcards")
except importlib.metadata.PackageNotFoundError:  # running from a source tree
    VERSION = "0+unknown"

__all__ = [
    "VERSION",
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

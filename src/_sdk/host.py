"""The plugin host: one pluggy ``PluginManager`` plus a registry per interface."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import pkgutil
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pluggy

from _sdk.component import Component
from _sdk.errors import (
    PluginClashWarning,
    PluginError,
    PluginLoadWarning,
    UnknownPluginError,
)


@dataclass(frozen=True)
class RegistrySpec:
    """One interface whose implementations plugins register.

    Attributes:
        key: Registry key, e.g. ``"feature_extractor"``.
        label: Human name used in messages, e.g. ``"feature extractor"``.
        hook: The hook specification that fills it, e.g. ``"emkit_register_feature_extractors"``.
        base: The abstract base class every implementation subclasses.
    """

    key: str
    label: str
    hook: str
    base: type[Component]


@dataclass(frozen=True)
class Implementation:
    """A registered implementation and where it came from."""

    key: str
    name: str
    cls: type[Component]
    plugin: str
    distribution: str | None
    builtin: bool


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin: its distribution, the hooks it implements and what it registered."""

    name: str
    distribution: str | None
    version: str | None
    builtin: bool
    hooks: tuple[str, ...]
    implementations: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict (used by ``plugins --json``)."""
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "builtin": self.builtin,
            "hooks": list(self.hooks),
            "implementations": {k: list(v) for k, v in self.implementations.items()},
        }


class PluginHost:
    """Loads plugins for one project and keeps its registries.

    Args:
        project: pluggy project name and entry-point group (``"emkit"`` or ``"medcards"``).
        hookspecs: Module holding the hook specifications.
        default_plugins: Package whose modules are the built-in plugins (registered first, through
            the same hooks as third-party ones).
        registries: The interfaces plugins can implement.
        env_var: Allow-list variable: a comma-separated list of entry-point names to load;
            empty means none; unset means all.
    """

    def __init__(
        self,
        project: str,
        hookspecs: ModuleType,
        default_plugins: str,
        registries: Sequence[RegistrySpec],
        env_var: str,
    ) -> None:
        """Create the plugin manager; nothing is imported or registered yet."""
        self.project = project
        self.env_var = env_var
        self.pm = pluggy.PluginManager(project)
        self.pm.add_hookspecs(hookspecs)
        self._default_plugins = default_plugins
        self._specs = {spec.key: spec for spec in registries}
        self._sources: dict[str, tuple[str | None, str | None, bool]] = {}
        self._registry: dict[str, dict[str, Implementation]] | None = None
        self._loaded = False
        self._lock = threading.RLock()

    # -- loading ---------------------------------------------------------------------------

    def load_plugins(self) -> None:
        """Register the built-in plugins, then installed entry-point plugins (idempotent).

        An entry point that fails to import is skipped with a :class:`PluginLoadWarning`
        naming it; the host keeps working.
        """
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
            package = importlib.import_module(self._default_plugins)
            for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
                module = importlib.import_module(f"{self._default_plugins}.{info.name}")
                self._register(module, f"{self.project}.{info.name}", None, None, builtin=True)
            self._load_entry_points()

    def _load_entry_points(self) -> None:
        allowed: set[str] | None = None
        raw = os.environ.get(self.env_var)
        if raw is not None:
            allowed = {item.strip() for item in raw.split(",") if item.strip()}
        for ep in importlib.metadata.entry_points(group=self.project):
            if allowed is not None and ep.name not in allowed:
                continue
            if self.pm.has_plugin(ep.name) or self.pm.is_blocked(ep.name):
                continue
            dist = ep.dist.name if ep.dist is not None else None
            version = ep.dist.version if ep.dist is not None else None
            try:
                plugin = ep.load()
            except Exception as exc:  # any import failure of a third-party plugin
                warnings.warn(
                    f"{self.project} plugin {ep.name!r} ({ep.value}, distribution {dist}) "
                    f"failed to load and was skipped: {type(exc).__name__}: {exc}",
                    PluginLoadWarning,
                    stacklevel=3,
                )
                continue
            self._register(plugin, ep.name, dist, version, builtin=False)

    def _register(
        self, plugin: object, name: str, dist: str | None, version: str | None, *, builtin: bool
    ) -> None:
        self.pm.register(plugin, name=name)
        self._sources[name] = (dist, version, builtin)
        self._registry = None

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object (a module or class with hook implementations) at run time.

        Useful in notebooks and tests. Returns the name it was registered under.
        """
        self.load_plugins()
        with self._lock:
            plugin_name = name or self.pm.get_canonical_name(plugin)
            self._register(plugin, plugin_name, None, None, builtin=False)
            return plugin_name

    def unregister(self, name: str) -> None:
        """Remove a registered plugin by name."""
        with self._lock:
            self.pm.unregister(name=name)
            self._sources.pop(name, None)
            self._registry = None

    # -- registries ------------------------------------------------------------------------

    def _collect(self) -> dict[str, dict[str, Implementation]]:
        self.load_plugins()
        with self._lock:
            if self._registry is not None:
                return self._registry
            registry: dict[str, dict[str, Implementation]] = {key: {} for key in self._specs}
            for spec in self._specs.values():
                hook = getattr(self.pm.hook, spec.hook)
                # Call each implementation on its own, in registration order (built-ins
                # first, so they win name clashes), so that every registration is
                # attributed to the plugin (and distribution) that made it.
                for impl in hook.get_hookimpls():
                    register = self._make_register(spec, impl.plugin_name, registry[spec.key])
                    kwargs = {"register": register}
                    impl.function(**{a: kwargs[a] for a in impl.argnames})
            self._registry = registry
            return registry

    def _make_register(
        self, spec: RegistrySpec, plugin: str, into: dict[str, Implementation]
    ) -> Callable[[type[Component]], None]:
        dist, _, builtin = self._sources.get(plugin, (None, None, False))

        def register(cls: type[Component]) -> None:
            if not (isinstance(cls, type) and issubclass(cls, spec.base)):
                raise PluginError(
                    f"plugin {plugin!r} registered {cls!r} as a {spec.label}, "
                    f"but it is not a subclass of {spec.base.__module__}.{spec.base.__name__}"
                )
            if not cls.name:
                raise PluginError(f"plugin {plugin!r}: {cls.__name__} has no `name`")
            if cls.Options.model_config.get("extra") != "forbid":
                raise PluginError(
                    f"plugin {plugin!r}: {cls.__name__}.Options must forbid extra fields "
                    "(subclass the base Options model)"
                )
            existing = into.get(cls.name)
            if existing is not None:
                warnings.warn(
                    f"{spec.label} {cls.name!r} from plugin {plugin!r} clashes with the one from "
                    f"plugin {existing.plugin!r}; keeping the latter",
                    PluginClashWarning,
                    stacklevel=2,
                )
                return
            into[cls.name] = Implementation(spec.key, cls.name, cls, plugin, dist, builtin)

        return register

    def implementations(self, key: str) -> list[Implementation]:
        """Every implementation registered for the interface ``key``, sorted by name."""
        return sorted(self._collect()[key].values(), key=lambda i: i.name)

    def get_class(self, key: str, name: str) -> type[Component]:
        """The class registered under ``name`` for interface ``key``.

        Raises:
            UnknownPluginError: listing the valid names.
        """
        registry = self._collect()[key]
        try:
            return registry[name].cls
        except KeyError:
            raise UnknownPluginError(self._specs[key].label, name, list(registry)) from None

    def get(self, key: str, name: str, **options: Any) -> Component:
        """Instantiate the implementation ``name`` of interface ``key`` with ``options``.

        Raises:
            UnknownPluginError: listing the valid names.
            InvalidOptionsError: naming the bad option and the valid ones.
        """
        return self.get_class(key, name)(**options)

    def list_plugins(self, *, include_builtin: bool = True) -> list[PluginInfo]:
        """Loaded plugins with their distribution, hooks and registered implementations."""
        registry = self._collect()
        infos = []
        for plugin_name, plugin in self.pm.list_name_plugin():
            dist, version, builtin = self._sources.get(plugin_name, (None, None, False))
            if builtin and not include_builtin:
                continue
            if builtin:
                dist = "emkit-medcards"
                version = _own_version()
            hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or []))
            impls: dict[str, tuple[str, ...]] = {}
            for key, entries in registry.items():
                names = tuple(sorted(n for n, i in entries.items() if i.plugin == plugin_name))
                if names:
                    impls[key] = names
            infos.append(PluginInfo(plugin_name, dist, version, builtin, hooks, impls))
        return sorted(infos, key=lambda p: (not p.builtin, p.name))


def _own_version() -> str | None:
    try:
        return importlib.metadata.version("emkit-medcards")
    except importlib.metadata.PackageNotFoundError:
        return None

"""The public API: sorted explicit ``__all__``, nothing private, every public object documented."""

from __future__ import annotations

import importlib
import inspect
import tomllib
from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def public_modules() -> list[str]:
    """The public modules, as the import-linter contract in pyproject.toml lists them."""
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["id"] == "public-contract"]
    return list(contract["public_modules"])


MODULES = public_modules()


def test_the_contract_names_both_packages_and_their_kits():
    assert {"emkit", "medcards", "emkit.testing", "medcards.testing"} <= set(MODULES)


@pytest.mark.parametrize("module_name", MODULES)
def test_all_is_sorted_and_public(module_name):
    module = importlib.import_module(module_name)
    names = module.__all__
    assert names == sorted(names)
    private = [n for n in names if n.startswith("_") and n != "__version__"]
    assert private == []
    for name in names:
        assert hasattr(module, name), f"{module_name}.__all__ names missing {name!r}"
    undeclared = [
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and not inspect.ismodule(v)
        and n not in names
        and n != "annotations"
    ]
    assert undeclared == [], f"{module_name} exposes names outside __all__: {undeclared}"


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_object_has_a_docstring(module_name):
    module = importlib.import_module(module_name)
    for name in module.__all__:
        value = getattr(module, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"{module_name}.{name} has no docstring"
            if inspect.isclass(value):
                for attr, member in vars(value).items():
                    if attr.startswith("_") or not inspect.isfunction(member):
                        continue
                    assert inspect.getdoc(member), f"{module_name}.{name}.{attr} has no docstring"

"""The public API: sorted explicit ``__all__``, nothing private, every public object documented."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = ["emkit", "medcards", "emkit.testing", "medcards.testing"]


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

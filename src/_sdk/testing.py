"""Conformance-kit plumbing shared by :mod:`emkit.testing` and :mod:`medcards.testing`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from _sdk.component import Component
from _sdk.errors import InvalidOptionsError

C = TypeVar("C", bound=Component)
Check = Callable[[Callable[[], Any]], None]


def check_component_contract(factory: Callable[[], Component]) -> None:
    """A component has a name, a forbidding ``Options`` model and rejects unknown options."""
    component = factory()
    cls = type(component)
    assert isinstance(cls.name, str) and cls.name, f"{cls.__name__} has no `name`"
    assert issubclass(cls.Options, BaseModel), f"{cls.__name__}.Options is not a pydantic model"
    assert cls.Options.model_config.get("extra") == "forbid", (
        f"{cls.__name__}.Options must forbid extra fields"
    )
    try:
        cls(definitely_not_an_option_name=1)
    except InvalidOptionsError as exc:
        assert "definitely_not_an_option_name" in str(exc), str(exc)
    else:  # pragma: no cover - only reached by a broken implementation
        raise AssertionError(f"{cls.__name__} accepted an unknown option")


def parametrize_with_checks(factories: Sequence[Callable[[], Any]], checks: Sequence[Check]) -> Any:
    """A ``pytest.mark.parametrize`` over every (factory, check) pair.

    The test function takes ``factory`` and ``check`` and calls ``check(factory)``.
    """
    import pytest

    params: list[Any] = []
    for factory in factories:
        label = getattr(factory, "name", None) or getattr(factory, "__name__", None)
        label = label or type(factory).__name__
        params.extend(
            pytest.param(factory, check, id=f"{label}-{check.__name__}") for check in checks
        )
    return pytest.mark.parametrize(("factory", "check"), params)

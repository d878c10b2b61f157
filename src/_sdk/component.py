"""Base class of every swappable implementation: a ``name`` and a validated ``Options`` model."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from _sdk.errors import InvalidOptionsError, error_field


class Component:
    """A named implementation of an interface, configured by a pydantic ``Options`` model.

    Subclasses set ``name`` and, when they take options, define a nested ``Options`` model that
    subclasses :class:`Component.Options` (which forbids unknown fields). Keyword arguments given
    to the constructor are validated against it and kept as ``self.options``.
    """

    name: ClassVar[str] = ""
    #: Human-readable interface name used in error messages ("feature extractor", "backend").
    interface: ClassVar[str] = "component"

    class Options(BaseModel):
        """Options of a component; unknown fields are an error."""

        model_config = ConfigDict(extra="forbid", frozen=True)

    options: Any

    def __init__(self, **options: Any) -> None:
        """Validate ``options`` against the component's ``Options`` model."""
        self.options = validate_options(type(self), options)

    def __repr__(self) -> str:
        """Show the component's name and its non-default options."""
        changed = self.options.model_dump(exclude_defaults=True)
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"{type(self).__name__}({args})"


def validate_options(cls: type[Component], options: dict[str, Any]) -> BaseModel:
    """Validate ``options`` for ``cls`` and return its ``Options`` instance.

    Raises:
        InvalidOptionsError: naming each unknown or ill-typed option and listing valid ones.
    """
    model = cls.Options
    label = f"{cls.interface} {cls.name!r}" if cls.name else cls.__name__
    try:
        return model.model_validate(options)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = error_field(err, "(options)")
            if err["type"] == "extra_forbidden":
                problems.append(f"unknown option {field!r}")
            else:
                problems.append(f"option {field!r}: {err['msg']} (got {err.get('input')!r})")
        raise InvalidOptionsError(label, problems, list(model.model_fields)) from None

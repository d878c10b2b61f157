"""Versioned prompt templates: the one source of truth for inference and fine-tuning data.

Templates are TOML files shipped as package data under ``templates/<version>/<language>/``:
``common.toml`` (the system prompt, the output-format block, the feedback block) and one file
per card kind (``battlecard``, ``mcq``, ``open``, ``variant``) holding the user prompt.
Placeholders use :class:`string.Template` syntax (``$topic``, ``$context``, ``$format``,
``$perspective``, ``$parent``, ``$reasons``), so JSON braces need no escaping.

Fine-tuning data is formatted with exactly the same two functions used at inference::

    messages = build_messages(request)             # system + user turns
    target = render_target(card)                   # the assistant turn the model learns

so a model trained on ``messages + [ChatTurn(role="assistant", content=target)]`` is prompted
at inference time with the very same text.
"""

from __future__ import annotations

import functools
import json
import string
import tomllib
from collections.abc import Sequence
from importlib import resources
from typing import Any

from medcards.cards import Card, card_json_schema
from medcards.models import CardKind, CardRequest, ChatTurn

#: The template version used when none is asked for.
TEMPLATE_VERSION = "v1"

__all__ = [
    "TEMPLATE_VERSION",
    "build_messages",
    "format_skeleton",
    "load_template",
    "render_target",
    "template_versions",
]


def template_versions() -> list[str]:
    """The template versions shipped with this release, oldest first."""
    root = resources.files(__package__).joinpath("templates")
    return sorted(entry.name for entry in root.iterdir() if entry.is_dir())


@functools.cache
def load_template(
    kind: CardKind | str, language: str = "es", version: str | None = None
) -> dict[str, str]:
    """The template texts of ``kind`` in ``language``: system, user, format and feedback.

    Raises:
        ValueError: if the version, language or kind has no template file.
    """
    version = version or TEMPLATE_VERSION
    kind_value = CardKind(kind).value
    folder = resources.files(__package__).joinpath("templates", version, language)
    texts: dict[str, str] = {}
    for name in ("common", kind_value):
        entry = folder.joinpath(f"{name}.toml")
        if not entry.is_file():
            raise ValueError(
                f"no prompt template {version}/{language}/{name}.toml "
                f"(versions: {', '.join(template_versions())}; languages: es, en)"
            )
        texts.update(tomllib.loads(entry.read_text(encoding="utf-8")))
    missing = {"system", "user", "format", "feedback"} - set(texts)
    if missing:
        raise ValueError(
            f"prompt template {version}/{language}/{kind_value} lacks {sorted(missing)}"
        )
    return texts


def _skeleton(node: dict[str, Any], defs: dict[str, Any]) -> Any:
    if "$ref" in node:
        return _skeleton(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    if "const" in node:
        return node["const"]
    kind = node.get("type")
    if kind == "object":
        return {name: _skeleton(sub, defs) for name, sub in node.get("properties", {}).items()}
    if kind == "array":
        item = _skeleton(node.get("items", {}), defs)
        return [item] * max(1, int(node.get("minItems", 1)))
    if kind == "integer":
        return 0
    if kind == "string":
        return "..."
    return None


def format_skeleton(kind: CardKind | str) -> str:
    """A compact JSON example of the output of ``kind``, derived from its JSON Schema.

    The prompt shows it so that a backend without constrained decoding still knows the fields.
    """
    schema = card_json_schema(kind)
    return json.dumps(_skeleton(schema, schema.get("$defs", {})), ensure_ascii=False)


def build_messages(
    request: CardRequest, feedback: Sequence[str] = (), *, version: str | None = None
) -> list[ChatTurn]:
    """The chat turns (system, user) asking for the card described by ``request``.

    Args:
        request: Kind, language, topic and context (and, for variants, perspective and parent).
        feedback: Failure reasons of a previous attempt; when given, the prompt asks to fix them.
        version: Template version (default :data:`TEMPLATE_VERSION`).

    Returns:
        ``[system, user]`` turns rendered from the versioned template files.
    """
    texts = load_template(request.kind, request.language, version)
    fmt = string.Template(texts["format"]).substitute(format=format_skeleton(request.kind))
    values = {
        "topic": request.topic.strip(),
        "context": request.context.strip(),
        "format": fmt,
        "perspective": (request.perspective or "").strip(),
        "parent": f"[{request.parent_id}]" if request.parent_id else "",
    }
    user = string.Template(texts["user"]).substitute(values).strip()
    if feedback:
        reasons = "\n".join(f"- {reason}" for reason in feedback)
        user += "\n\n" + string.Template(texts["feedback"]).substitute(reasons=reasons)
    return [
        ChatTurn(role="system", content=texts["system"].strip()),
        ChatTurn(role="user", content=user),
    ]


def render_target(card: Card) -> str:
    """The exact assistant text a model is trained to produce for ``card``: compact JSON.

    Keys follow the model's field order, which is the property order of the JSON Schema the
    backends constrain generation with; non-ASCII characters are kept (Spanish text stays short
    in tokens).
    """
    return json.dumps(card.model_dump(mode="json"), ensure_ascii=False, separators=(", ", ": "))

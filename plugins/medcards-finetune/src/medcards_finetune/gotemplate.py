"""A renderer for the subset of Go's ``text/template`` that Ollama ``TEMPLATE`` lines use here.

It exists to check the templates :mod:`medcards_finetune.modelfile` writes: the check renders
them with this module and the Hugging Face chat template with jinja, on the same messages, and
compares the two strings. Supported: literal text, ``{{- ... -}}`` trimming, ``if`` / ``else if``
/ ``else`` / ``end``, ``range PIPELINE`` and ``range $i, $m := PIPELINE``, field chains
(``.Messages``, ``$m.Role``), variables, string and integer constants, parentheses and the
functions ``eq``, ``ne``, ``and``, ``or``, ``not``, ``len``, ``index``. Anything else is a
:class:`GoTemplateError` naming the action.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class GoTemplateError(ValueError):
    """A template outside the supported subset, or one that fails while rendering."""


_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<int>-?\d+)|(?P<var>\$\w*(?:\.\w+)*)'
    r"|(?P<field>(?:\.\w+)+|\.)|(?P<ident>[A-Za-z_]\w*)|(?P<punct>[(),]|:=))"
)


@dataclass
class _Node:
    kind: str  # "text", "expr", "if", "range"
    text: str = ""
    expr: Any = None
    branches: list[tuple[Any, list[_Node]]] = field(default_factory=list)
    body: list[_Node] = field(default_factory=list)
    otherwise: list[_Node] = field(default_factory=list)
    names: tuple[str, ...] = ()


def _tokens(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(source):
        if not source[pos:].strip():
            break
        match = _TOKEN.match(source, pos)
        if match is None or match.end() == pos:
            raise GoTemplateError(f"unsupported syntax at {source[pos:]!r} in {{{{{source}}}}}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _ExprParser:
    """Parses one pipeline (no ``|`` chains) into nested tuples."""

    FUNCTIONS = ("eq", "ne", "and", "or", "not", "len", "index")

    def __init__(self, tokens: list[tuple[str, str]], source: str) -> None:
        self.tokens, self.pos, self.source = tokens, 0, source

    def error(self, what: str) -> GoTemplateError:
        return GoTemplateError(f"{what} in {{{{{self.source}}}}}")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def command(self, stop: str | None = None) -> Any:
        head = self.peek()
        if head is None:
            raise self.error("empty pipeline")
        if head[0] == "ident":
            if head[1] not in self.FUNCTIONS:
                raise self.error(f"unsupported function {head[1]!r}")
            self.pos += 1
            args = []
            while (tok := self.peek()) is not None and tok[1] != stop:
                args.append(self.operand())
            return ("call", head[1], args)
        value = self.operand()
        if (tok := self.peek()) is not None and tok[1] != stop:
            raise self.error(f"unexpected {tok[1]!r}")
        return value

    def operand(self) -> Any:
        tok = self.peek()
        if tok is None:
            raise self.error("missing operand")
        self.pos += 1
        kind, text = tok
        if kind == "str":
            return ("const", _unquote(text))
        if kind == "int":
            return ("const", int(text))
        if kind == "var":
            name, *path = text.split(".")
            return ("var", name, tuple(path))
        if kind == "field":
            return ("field", tuple(p for p in text.split(".") if p))
        if text == "(":
            inner = self.command(stop=")")
            if self.peek() != ("punct", ")"):
                raise self.error("unclosed parenthesis")
            self.pos += 1
            return inner
        if kind == "ident" and text in self.FUNCTIONS:
            raise self.error(f"function {text!r} as an argument needs parentheses")
        raise self.error(f"unexpected {text!r}")


def _unquote(text: str) -> str:
    body = text[1:-1]
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt not in escapes:
                raise GoTemplateError(f"unsupported escape \\{nxt} in {text}")
            out.append(escapes[nxt])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _parse_expr(source: str) -> Any:
    parser = _ExprParser(_tokens(source), source)
    expr = parser.command()
    if parser.peek() is not None:
        raise parser.error("trailing tokens")
    return expr


def _actions(template: str) -> list[tuple[int, int, str, bool, bool]]:
    """``(start, end, body, trim_left, trim_right)`` of each ``{{ }}`` action.

    A scanner rather than a regular expression: a string constant may contain ``}}``.
    """
    found = []
    pos = 0
    while (start := template.find("{{", pos)) >= 0:
        i = start + 2
        while True:
            if i >= len(template):
                raise GoTemplateError(f"unclosed action '{{{{' at character {start}")
            if template[i] == '"':
                i += 1
                while i < len(template) and template[i] != '"':
                    i += 2 if template[i] == "\\" else 1
                i += 1
            elif template.startswith("}}", i):
                break
            else:
                i += 1
        body = template[start + 2 : i]
        trim_left = body.startswith("- ") or body == "-"
        trim_right = body.endswith(" -")
        body = body[2 if trim_left else 0 : len(body) - 2 if trim_right else len(body)]
        found.append((start, i + 2, body.strip(), trim_left, trim_right))
        pos = i + 2
    return found


def _split(template: str) -> list[tuple[str, str]]:
    """``("text", s)`` and ``("action", s)`` pieces, with ``{{-``/``-}}`` trimming applied."""
    pieces: list[tuple[str, str]] = []
    pos = 0
    trim_next = False
    for start, end, body, trim_left, trim_right in _actions(template):
        text = template[pos:start]
        if trim_next:
            text = text.lstrip(" \t\r\n")
        if trim_left:
            text = text.rstrip(" \t\r\n")
        pieces.append(("text", text))
        pieces.append(("action", body))
        trim_next = trim_right
        pos = end
    tail = template[pos:]
    pieces.append(("text", tail.lstrip(" \t\r\n") if trim_next else tail))
    return pieces


_RANGE = re.compile(r"range\s+(?:(\$\w+)\s*(?:,\s*(\$\w+))?\s*:=\s*)?(.+)", re.DOTALL)


def parse(template: str) -> list[_Node]:
    """Parse ``template`` into a tree.

    Raises:
        GoTemplateError: syntax outside the subset, or unbalanced ``if``/``range``/``end``.
    """
    root: list[_Node] = []
    stack: list[tuple[_Node, list[_Node]]] = []
    current = root
    for kind, text in _split(template):
        if kind == "text":
            if text:
                current.append(_Node("text", text=text))
            continue
        if text.startswith("/*"):
            continue
        word = text.split(None, 1)[0] if text else ""
        if word == "if":
            node = _Node("if")
            node.branches.append((_parse_expr(text[2:]), []))
            current.append(node)
            stack.append((node, current))
            current = node.branches[-1][1]
        elif word == "range":
            match = _RANGE.fullmatch(text)
            if match is None:
                raise GoTemplateError(f"unsupported range {{{{{text}}}}}")
            first, second, pipeline = match.groups()
            names = tuple(n for n in (first, second) if n)
            node = _Node("range", expr=_parse_expr(pipeline), names=names)
            current.append(node)
            stack.append((node, current))
            current = node.body
        elif word == "else":
            if not stack:
                raise GoTemplateError("{{else}} outside if/range")
            node, _ = stack[-1]
            rest = text[4:].strip()
            if rest.startswith("if "):
                if node.kind != "if":
                    raise GoTemplateError("{{else if}} inside range")
                node.branches.append((_parse_expr(rest[3:]), []))
                current = node.branches[-1][1]
            elif rest:
                raise GoTemplateError(f"unsupported {{{{{text}}}}}")
            else:
                current = node.otherwise
        elif word == "end":
            if not stack:
                raise GoTemplateError("{{end}} without if/range")
            _, current = stack.pop()
        elif word in ("with", "define", "template", "block", "break", "continue"):
            raise GoTemplateError(f"unsupported action {{{{{text}}}}}")
        else:
            current.append(_Node("expr", expr=_parse_expr(text)))
    if stack:
        raise GoTemplateError(f"unclosed {{{{{stack[-1][0].kind}}}}}")
    return root


def _truth(value: Any) -> bool:
    return value not in (None, False, 0, "") and not (
        isinstance(value, (Sequence, Mapping)) and len(value) == 0
    )


def _get(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        if name not in value:
            raise GoTemplateError(f"no field {name!r}")
        return value[name]
    if not hasattr(value, name):
        raise GoTemplateError(f"no field {name!r}")
    return getattr(value, name)


def _eq(a: Any, *others: Any) -> bool:
    return any(a == b for b in others)


_FUNCS: dict[str, Callable[..., Any]] = {
    "eq": _eq,
    "ne": lambda a, b: a != b,
    "not": lambda a: not _truth(a),
    "len": len,
    "index": lambda seq, *keys: _index(seq, keys),
}


def _index(value: Any, keys: Sequence[Any]) -> Any:
    for key in keys:
        try:
            value = value[key]
        except (IndexError, KeyError, TypeError):
            raise GoTemplateError(f"index {key!r} out of range") from None
    return value


def _eval(expr: Any, dot: Any, variables: dict[str, Any]) -> Any:
    tag = expr[0]
    if tag == "const":
        return expr[1]
    if tag == "field":
        value = dot
        for name in expr[1]:
            value = _get(value, name)
        return value
    if tag == "var":
        if expr[1] not in variables:
            raise GoTemplateError(f"undefined variable {expr[1]}")
        value = variables[expr[1]]
        for name in expr[2]:
            value = _get(value, name)
        return value
    name, args = expr[1], expr[2]
    if name in ("and", "or"):  # short-circuit, returning the deciding operand (Go semantics)
        value = None
        for arg in args:
            value = _eval(arg, dot, variables)
            if _truth(value) != (name == "and"):
                return value
        return value
    return _FUNCS[name](*(_eval(a, dot, variables) for a in args))


def _render(nodes: list[_Node], dot: Any, variables: dict[str, Any], out: list[str]) -> None:
    for node in nodes:
        if node.kind == "text":
            out.append(node.text)
        elif node.kind == "expr":
            value = _eval(node.expr, dot, variables)
            out.append("" if value is None else str(value))
        elif node.kind == "if":
            for condition, body in node.branches:
                if _truth(_eval(condition, dot, variables)):
                    _render(body, dot, variables, out)
                    break
            else:
                _render(node.otherwise, dot, variables, out)
        else:
            items = _eval(node.expr, dot, variables)
            if not _truth(items):
                _render(node.otherwise, dot, variables, out)
                continue
            for i, item in enumerate(items):
                scope = dict(variables)
                if len(node.names) == 1:
                    scope[node.names[0]] = item
                elif len(node.names) == 2:
                    scope[node.names[0]], scope[node.names[1]] = i, item
                _render(node.body, item, scope, out)


def render(template: str, data: Mapping[str, Any]) -> str:
    """Render ``template`` with ``data`` as the dot (``.Messages`` is ``data["Messages"]``).

    Raises:
        GoTemplateError: unsupported syntax, an unknown field or variable.
    """
    out: list[str] = []
    _render(parse(template), data, {"$": data}, out)
    return "".join(out)


def quote(text: str) -> str:
    """``text`` as a Go string constant (for literal text that contains ``{{``)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + '"'

"""Ollama ``Modelfile`` for an exported GGUF: the chat template translated to Go template syntax.

Ollama does not run the Jinja chat template stored in a GGUF; it needs a ``TEMPLATE`` in Go's
``text/template`` syntax, and a GGUF imported without one is prompted with raw text (the
"garbage output" users of other exporters report). The translation here does not parse Jinja: it
renders the model's own chat template on probe conversations whose contents are unique markers,
reads off the text around each turn (:class:`ChatLayout`), writes a Go template that puts the same
text around ``.Messages``, and then checks the translation by rendering both templates on several
conversations (:func:`check_translation`). A template whose turns cannot be expressed this way
(one that rewrites the message contents, for instance) is refused with an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medcards_finetune import gotemplate
from medcards_finetune.errors import ExportError

#: Renders a conversation with the Hugging Face chat template (``add_generation_prompt``).
ChatRenderer = Callable[[Sequence[Mapping[str, str]], bool], str]

#: The seed's sampling temperature, written as ``PARAMETER temperature``.
SEED_TEMPERATURE = 0.1

_MARK = {
    "system": "QZSYSTEMQZ",
    "user": "QZUSERQZ",
    "assistant": "QZASSISTANTQZ",
    "user2": "QZUSERTWOQZ",
}


@dataclass(frozen=True)
class ChatLayout:
    """The text a chat template writes around each turn.

    Attributes:
        first_system_prefix: Before the content of a system message that opens the conversation.
        system_suffix: After a system message's content.
        default_system: Written first when the conversation does not open with a system message
            (a template's built-in system prompt; may be empty).
        user_prefix: Before a user message's content.
        assistant_prefix: Before an assistant message's content.
        turn_suffix: After a user or assistant message's content.
        generation_prompt: Appended for the model's reply (``add_generation_prompt``).
    """

    first_system_prefix: str
    system_suffix: str
    default_system: str
    user_prefix: str
    assistant_prefix: str
    turn_suffix: str
    generation_prompt: str


def _between(text: str, marks: Sequence[str]) -> list[str]:
    """The pieces of ``text`` before, between and after ``marks`` (each present once, in order)."""
    pieces, pos = [], 0
    for mark in marks:
        found = text.find(mark, pos)
        if found < 0 or text.count(mark) != 1:
            raise ExportError(
                f"the chat template does not copy message contents verbatim (marker {mark!r})"
            )
        pieces.append(text[pos:found])
        pos = found + len(mark)
    pieces.append(text[pos:])
    return pieces


def chat_layout(render: ChatRenderer) -> ChatLayout:
    """Read the turn layout of a chat template from its renders of probe conversations.

    Raises:
        ExportError: when the template's turns are not plain prefix + content + suffix.
    """
    m = _MARK
    convo = [
        {"role": "system", "content": m["system"]},
        {"role": "user", "content": m["user"]},
        {"role": "assistant", "content": m["assistant"]},
        {"role": "user", "content": m["user2"]},
    ]
    plain = render(convo, False)
    prompted = render(convo, True)
    if not prompted.startswith(plain):
        raise ExportError("the chat template's generation prompt is not appended at the end")
    generation_prompt = prompted[len(plain) :]
    head, sys_to_user, user_to_asst, asst_to_user, tail = _between(
        plain, [m["system"], m["user"], m["assistant"], m["user2"]]
    )
    turn_suffix = tail
    if not user_to_asst.startswith(turn_suffix) or not asst_to_user.startswith(turn_suffix):
        raise ExportError("the chat template ends user and assistant turns differently")
    assistant_prefix = user_to_asst[len(turn_suffix) :]
    user_prefix = asst_to_user[len(turn_suffix) :]
    if not sys_to_user.endswith(user_prefix):
        raise ExportError("the chat template starts the first user turn differently")
    system_suffix = sys_to_user[: len(sys_to_user) - len(user_prefix)]
    user_only = render([{"role": "user", "content": m["user"]}], False)
    before, after = _between(user_only, [m["user"]])
    if not before.endswith(user_prefix) or after != turn_suffix:
        raise ExportError("the chat template lays out a lone user turn differently")
    return ChatLayout(
        first_system_prefix=head,
        system_suffix=system_suffix,
        default_system=before[: len(before) - len(user_prefix)],
        user_prefix=user_prefix,
        assistant_prefix=assistant_prefix,
        turn_suffix=turn_suffix,
        generation_prompt=generation_prompt,
    )


def _literal(text: str) -> str:
    """Template text for a literal: raw, or a Go string constant when it contains ``{{``."""
    return "{{" + gotemplate.quote(text) + "}}" if "{{" in text else text


def go_template(layout: ChatLayout) -> str:
    """The Ollama ``TEMPLATE`` (Go ``text/template``) that writes ``layout`` around ``.Messages``.

    The template has no whitespace of its own and no trim markers: every character it writes
    comes from the chat template.
    """
    lit = _literal
    return (
        "{{range $i, $m := .Messages}}"
        '{{if and (eq $i 0) (eq $m.Role "system")}}'
        f"{lit(layout.first_system_prefix)}{{{{$m.Content}}}}{lit(layout.system_suffix)}"
        "{{else}}"
        f"{{{{if eq $i 0}}}}{lit(layout.default_system)}{{{{end}}}}"
        '{{if eq $m.Role "user"}}'
        f"{lit(layout.user_prefix)}{{{{$m.Content}}}}{lit(layout.turn_suffix)}"
        '{{else if eq $m.Role "assistant"}}'
        f"{lit(layout.assistant_prefix)}{{{{$m.Content}}}}{lit(layout.turn_suffix)}"
        "{{end}}{{end}}{{end}}"
        f"{lit(layout.generation_prompt)}"
    )


def render_go(template: str, messages: Sequence[Mapping[str, str]]) -> str:
    """Render an Ollama template on ``messages`` as Ollama passes them (``.Messages``)."""
    data = {"Messages": [{"Role": m["role"], "Content": m["content"]} for m in messages]}
    return gotemplate.render(template, data)


#: Conversations the translation is checked on (besides the probes).
CHECK_CONVERSATIONS: tuple[tuple[dict[str, str], ...], ...] = (
    ({"role": "user", "content": "Tema: cetoacidosis diabética."},),
    (
        {"role": "system", "content": "Eres el Agente Generador.\nResponde en JSON."},
        {"role": "user", "content": "### Tema:\nApendicitis {aguda}"},
    ),
    (
        {"role": "system", "content": "S"},
        {"role": "user", "content": "¿Dosis?"},
        {"role": "assistant", "content": '{"kind": "mcq"}'},
        {"role": "user", "content": "Otra, con {{llaves}}."},
    ),
    (
        {"role": "user", "content": "  espacios  "},
        {"role": "assistant", "content": "a\n\nb"},
        {"role": "user", "content": ""},
    ),
)


def check_translation(
    template: str,
    render: ChatRenderer,
    conversations: Sequence[Sequence[Mapping[str, str]]] = CHECK_CONVERSATIONS,
) -> list[str]:
    """Compare the Go template with the chat template on ``conversations``.

    Returns:
        One line per conversation whose renders differ (empty when all agree).
    """
    problems = []
    for i, messages in enumerate(conversations):
        expected = render(messages, True)
        got = render_go(template, messages)
        if got != expected:
            problems.append(f"conversation {i}: chat template {expected!r} != Go template {got!r}")
    return problems


def stop_sequences(layout: ChatLayout, special_tokens: Sequence[str], eos: str | None) -> list[str]:
    """Stop strings: the special tokens that end a turn or start one, and the EOS token."""
    stops = [
        t for t in special_tokens if t and (t in layout.turn_suffix or t in layout.user_prefix)
    ]
    if eos and eos not in stops:
        stops.append(eos)
    return sorted(set(stops), key=stops.index)


def hf_renderer(tokenizer: Any) -> ChatRenderer:
    """A :data:`ChatRenderer` over a transformers tokenizer's ``apply_chat_template`` (jinja)."""

    def render(messages: Sequence[Mapping[str, str]], generation_prompt: bool) -> str:
        text: str = tokenizer.apply_chat_template(
            [dict(m) for m in messages], tokenize=False, add_generation_prompt=generation_prompt
        )
        return text

    return render


@dataclass(frozen=True)
class OllamaModelfile:
    """The parts of an Ollama ``Modelfile``.

    Attributes:
        from_path: The ``FROM`` line's GGUF (relative to the Modelfile's folder when beside it).
        template: The Go ``TEMPLATE``.
        stops: ``PARAMETER stop`` values.
        temperature: ``PARAMETER temperature``.
    """

    from_path: str
    template: str
    stops: tuple[str, ...]
    temperature: float = SEED_TEMPERATURE

    def text(self) -> str:
        """The Modelfile's text.

        Raises:
            ExportError: when the template contains ``\"\"\"`` (Ollama's quote).
        """
        if '"""' in self.template:
            raise ExportError('the chat template contains """, which a Modelfile cannot quote')
        lines = [f"FROM {self.from_path}", f'TEMPLATE """{self.template}"""']
        lines += [f"PARAMETER stop {json.dumps(s, ensure_ascii=False)}" for s in self.stops]
        lines.append(f"PARAMETER temperature {self.temperature:g}")
        return "\n".join(lines) + "\n"


def parse_modelfile(text: str) -> dict[str, Any]:
    """Read back the instructions :meth:`OllamaModelfile.text` writes.

    Returns:
        ``{"FROM": str, "TEMPLATE": str, "stop": [str], "temperature": float}``.

    Raises:
        ExportError: for a line it does not understand.
    """
    out: dict[str, Any] = {"stop": []}
    rest = text
    while rest.strip():
        rest = rest.lstrip("\n")
        if rest.startswith('TEMPLATE """'):
            end = rest.index('"""', len('TEMPLATE """'))
            out["TEMPLATE"] = rest[len('TEMPLATE """') : end]
            rest = rest[end + 3 :]
            continue
        line, _, rest = rest.partition("\n")
        words = line.split(None, 2)
        if words[:1] == ["FROM"] and len(words) == 2:
            out["FROM"] = words[1]
        elif words[:2] == ["PARAMETER", "stop"] and len(words) == 3:
            out["stop"].append(json.loads(words[2]))
        elif words[:2] == ["PARAMETER", "temperature"] and len(words) == 3:
            out["temperature"] = float(words[2])
        else:
            raise ExportError(f"Modelfile: unexpected line {line!r}")
    return out


def build_modelfile(model_dir: Path, gguf_path: Path, modelfile_path: Path) -> OllamaModelfile:
    """The Modelfile of ``gguf_path`` exported from ``model_dir`` (its tokenizer's template).

    Raises:
        ExportError: no chat template, or one that the Go translation does not reproduce.
    """
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    if not getattr(tokenizer, "chat_template", None):
        raise ExportError(f"{model_dir}: the tokenizer has no chat template for a Modelfile")
    render = hf_renderer(tokenizer)
    layout = chat_layout(render)
    template = go_template(layout)
    problems = check_translation(template, render)
    if problems:
        raise ExportError(
            f"{model_dir}: the chat template could not be translated for Ollama: {problems[0]}"
        )
    special = [str(t) for t in tokenizer.all_special_tokens]
    special += [str(t) for t in getattr(tokenizer, "added_tokens_decoder", {}).values()]
    stops = stop_sequences(layout, list(dict.fromkeys(special)), tokenizer.eos_token)
    if gguf_path.parent.resolve() == modelfile_path.parent.resolve():
        from_path = f"./{gguf_path.name}"
    else:
        from_path = str(gguf_path.resolve())
    return OllamaModelfile(from_path=from_path, template=template, stops=tuple(stops))


def write_modelfile(model_dir: Path, gguf_path: Path, modelfile_path: Path | None = None) -> Path:
    """Write the Ollama Modelfile of ``gguf_path`` (default: ``<gguf stem>.Modelfile`` beside it).

    Use it with ``ollama create NAME -f model.q4_k_m.Modelfile``.

    Raises:
        ExportError: see :func:`build_modelfile`.
    """
    from medcards import atomic_write_text

    target = modelfile_path or gguf_path.with_name(f"{gguf_path.stem}.Modelfile")
    atomic_write_text(target, build_modelfile(model_dir, gguf_path, target).text())
    return target

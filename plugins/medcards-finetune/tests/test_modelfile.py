"""Ollama Modelfile: chat templates translated to Go templates, checked by rendering both."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from medcards_finetune import gotemplate
from medcards_finetune.errors import ExportError
from medcards_finetune.modelfile import (
    OllamaModelfile,
    chat_layout,
    check_translation,
    go_template,
    hf_renderer,
    parse_modelfile,
    render_go,
    stop_sequences,
)

LLAMA3_LIKE = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content']"
    " + '<|eot_id|>' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{% endif %}"
)
#: Gemma's way: the system text is pasted into the first user turn (no system role).
MERGES_SYSTEM = (
    "{% set first = '' %}{% if messages[0]['role'] == 'system' %}"
    "{% set first = messages[0]['content'] + '\\n\\n' %}{% set loop_messages = messages[1:] %}"
    "{% else %}{% set loop_messages = messages %}{% endif %}"
    "{% for message in loop_messages %}{{ '<start_of_turn>' + message['role'] + '\\n' }}"
    "{% if loop.first %}{{ first }}{% endif %}{{ message['content'] + '<end_of_turn>\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"
)


@pytest.fixture
def tokenizer(smollm2_tokenizer):
    return smollm2_tokenizer


def _with_template(tokenizer, template):
    import copy

    other = copy.copy(tokenizer)
    other.chat_template = template
    return other


def test_smollm2_template_translates_and_matches_on_the_check_conversations(tokenizer):
    render = hf_renderer(tokenizer)
    layout = chat_layout(render)
    assert layout.user_prefix == "<|im_start|>user\n"
    assert layout.turn_suffix == "<|im_end|>\n"
    assert layout.generation_prompt == "<|im_start|>assistant\n"
    assert "You are a helpful AI assistant named SmolLM" in layout.default_system
    assert check_translation(go_template(layout), render) == []
    stops = stop_sequences(layout, tokenizer.all_special_tokens, tokenizer.eos_token)
    assert stops == ["<|im_start|>", "<|im_end|>"]


_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=40
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    system=st.one_of(st.none(), _text),
    turns=st.lists(_text, min_size=1, max_size=5),
)
def test_go_template_equals_the_jinja_template_on_any_conversation(tokenizer, system, turns):
    render = hf_renderer(tokenizer)
    template = go_template(chat_layout(render))
    messages = [] if system is None else [{"role": "system", "content": system}]
    messages += [
        {"role": "user" if i % 2 == 0 else "assistant", "content": text}
        for i, text in enumerate(turns)
    ]
    assert render_go(template, messages) == render(messages, True)


def test_a_llama3_style_template_translates(tokenizer):
    render = hf_renderer(_with_template(tokenizer, LLAMA3_LIKE))
    layout = chat_layout(render)
    assert layout.turn_suffix == "<|eot_id|>"
    assert check_translation(go_template(layout), render) == []


def test_a_template_that_moves_the_system_text_is_refused(tokenizer):
    render = hf_renderer(_with_template(tokenizer, MERGES_SYSTEM))
    with pytest.raises(ExportError, match="first user turn"):
        chat_layout(render)


def test_a_template_with_braces_in_its_text_is_quoted():
    from medcards_finetune.modelfile import ChatLayout

    layout = ChatLayout("{{S}}", "\n", "", "<u>{{", "<a>", "</t>\n", "<a>")
    template = go_template(layout)
    messages = [{"role": "system", "content": "x"}, {"role": "user", "content": "y"}]
    assert render_go(template, messages) == "{{S}}x\n<u>{{y</t>\n<a>"


def test_modelfile_text_roundtrips():
    modelfile = OllamaModelfile("./m.gguf", "{{range .Messages}}{{.Content}}{{end}}", ("<e>",))
    parsed = parse_modelfile(modelfile.text())
    assert parsed == {
        "FROM": "./m.gguf",
        "TEMPLATE": "{{range .Messages}}{{.Content}}{{end}}",
        "stop": ["<e>"],
        "temperature": 0.1,
    }
    with pytest.raises(ExportError, match='"""'):
        OllamaModelfile("./m.gguf", 'a"""b', ()).text()


@pytest.mark.parametrize(
    ("template", "data", "expected"),
    [
        ("a {{- .X -}} \n b", {"X": 1}, "a1b"),
        ('{{if eq .R "u"}}U{{else if eq .R "a"}}A{{else}}?{{end}}', {"R": "a"}, "A"),
        ("{{range .L}}[{{.}}]{{else}}none{{end}}", {"L": []}, "none"),
        ("{{range $i, $v := .L}}{{$i}}={{$v}};{{end}}", {"L": ["x", "y"]}, "0=x;1=y;"),
        (
            "{{if and .A (not .B)}}y{{end}}{{len .L}}{{index .L 1}}",
            {"A": 1, "B": 0, "L": "ab"},
            "y2b",
        ),
        ('{{"{{" }}{{ "a\\nb" }}', {}, "{{a\nb"),
        ("{{/* c */}}{{$.X}}", {"X": "z"}, "z"),
    ],
)
def test_go_template_subset(template, data, expected):
    assert gotemplate.render(template, data) == expected


@pytest.mark.parametrize(
    ("template", "match"),
    [
        ("{{if .A}}x", "unclosed"),
        ("{{end}}", "without"),
        ("{{printf .A}}", "unsupported function"),
        ("{{with .A}}x{{end}}", "unsupported action"),
        ("{{.A}", "unclosed action"),
        ("{{.Missing}}", "no field"),
    ],
)
def test_go_template_errors_name_the_action(template, match):
    with pytest.raises(gotemplate.GoTemplateError, match=match):
        gotemplate.render(template, {"A": 1})

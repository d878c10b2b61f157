"""Splitting guides into topics, chunking, the topics file."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medcards import GuideSection as Topic
from medcards import IngestError, load_topics, save_topics, split_guide

GUIDE = Path(__file__).parents[2] / "examples" / "guides" / "cetoacidosis_diabetica.md"


def test_split_by_headings_keeps_subsections_and_drops_the_note():
    (topic,) = split_guide(GUIDE, "endocrino")
    assert topic.title == "Cetoacidosis diabética (CAD)"
    assert topic.modulo == "endocrino"
    assert topic.source == str(GUIDE)
    assert topic.line == 5
    assert "### Criterios diagnósticos" in topic.context
    assert "Extracto de guía" not in topic.context


def test_several_topics_and_text_input():
    text = "# Guía\n\n## Tema A\nUno. Dos.\n\n## Tema B\nTres.\n"
    topics = split_guide(text, "m")
    assert [t.title for t in topics] == ["Tema A", "Tema B"]
    assert [t.position for t in topics] == [0, 1]
    assert split_guide("Texto sin títulos.", "m")[0].title == "guía"


def test_setext_and_plain_text(tmp_path):
    path = tmp_path / "guia.txt"
    path.write_text(
        "Sepsis\n======\n\nLa sepsis es grave.\n\nShock\n=====\n\nHipotensión.\n", encoding="utf-8"
    )
    assert [t.title for t in split_guide(path, "m")] == ["Sepsis", "Shock"]


def test_long_sections_are_chunked_to_the_budget():
    topics = split_guide(GUIDE, "m", max_context_tokens=150)
    assert len(topics) > 1
    assert all(len(t.context) <= 450 for t in topics)
    assert topics[0].title.endswith(f"(parte 1/{len(topics)})")


def test_errors_name_the_file_and_line(tmp_path):
    with pytest.raises(IngestError, match=r"unsupported guide format '\.odt'"):
        split_guide(tmp_path / "g.odt", "m")
    bad = tmp_path / "latin1.md"
    bad.write_bytes("# T\n\nlínea\n".encode() + "camión".encode("latin-1"))
    with pytest.raises(IngestError, match=r"latin1.md, line 4: not UTF-8"):
        split_guide(bad, "m")
    with pytest.raises(IngestError, match="no such guide"):
        split_guide(Path(tmp_path / "missing.md"), "m")
    empty = tmp_path / "empty.md"
    empty.write_text("# Solo título\n", encoding="utf-8")
    with pytest.raises(IngestError, match="no text"):
        split_guide(empty, "m")


@pytest.mark.parametrize("text", ["", "\n\n", "  \n\t\n", "> Solo una nota citada.\n"])
def test_a_guide_without_text_is_named_not_a_validation_error(tmp_path, text):
    empty = tmp_path / "vacia.md"
    empty.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        split_guide(empty, "m")
    assert str(caught.value) == f"{empty}: the guide has no text to make topics from"


def test_topics_file_round_trip_and_line_errors(tmp_path):
    topics = split_guide(GUIDE, "m", max_context_tokens=200)
    path = tmp_path / "topics.jsonl"
    save_topics(path, topics)
    assert load_topics(path) == topics
    path.write_text(path.read_text(encoding="utf-8") + '{"title": ""}\n', encoding="utf-8")
    with pytest.raises(IngestError, match=rf"line {len(topics) + 1}: title"):
        load_topics(path)


words = st.text(alphabet="abcdefghij", min_size=1, max_size=12)
sentence = st.lists(words, min_size=1, max_size=15).map(lambda ws: " ".join(ws).capitalize() + ".")


@settings(max_examples=40, deadline=None)
@given(
    paragraphs=st.lists(
        st.lists(sentence, min_size=1, max_size=6).map(" ".join), min_size=1, max_size=8
    ),
    budget=st.integers(50, 120),
)
def test_chunks_respect_budget_and_keep_every_word(paragraphs, budget):
    text = "# Guía\n\n## Tema\n" + "\n\n".join(paragraphs)
    topics = split_guide(text, "m", max_context_tokens=budget)
    assert all(len(t.context) <= budget * 3 for t in topics)
    assert " ".join(t.context for t in topics).split() == " ".join(paragraphs).split()
    assert all(isinstance(t, Topic) for t in topics)

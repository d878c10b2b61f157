"""NotebookLM notes: citation markers are kept as references, never quoted as text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

import medcards

NOTE = """\
# Cetoacidosis diabética: notas de NotebookLM

La cetoacidosis diabética se define por glucemia mayor de 250 mg/dL, pH menor de 7,30 y \
bicarbonato menor de 18 mEq/L [1].

## Tratamiento

- La reposición de fluidos es la primera medida, con suero salino al 0,9 % [1, 2].
- La insulina regular intravenosa se inicia a 0,1 U/kg/h tras la reposición inicial.[2]
- Si el potasio es menor de 3,3 mEq/L se retrasa la insulina [2-3]. Se corrige antes [3].

Ver [la guía](https://example.org/guia) y la referencia [nota][1].

Fuentes:
[1] Guía de urgencias endocrinas, 2024
[2] Protocolo de cetoacidosis del hospital
[3] Manual de fluidoterapia
"""


def _section(tmp_path) -> medcards.GuideSection:
    path = tmp_path / "notas_notebooklm.md"
    path.write_text(NOTE, encoding="utf-8")
    intro, treatment = medcards.split_guide(path, "endo")
    assert intro.title == "Cetoacidosis diabética: notas de NotebookLM"
    assert [c.marker for c in intro.citations] == ["[1]"]
    assert treatment.title == "Tratamiento"
    return treatment


def test_markers_leave_the_text_and_stay_as_references(tmp_path):
    section = _section(tmp_path)
    for marker in ("[1, 2]", " [2]", ".[2]", "[2-3]", "[3]"):
        assert marker not in section.context
    assert "suero salino al 0,9 %.\n" in section.context  # the space before it went too
    assert [c.marker for c in section.citations] == ["[1, 2]", "[2]", "[2-3]", "[3]"]
    assert section.references == {
        "1": "Guía de urgencias endocrinas, 2024",
        "2": "Protocolo de cetoacidosis del hospital",
        "3": "Manual de fluidoterapia",
    }
    assert "Fuentes" not in section.context
    # Links and reference links are not citation markers.
    assert "[la guía](https://example.org/guia)" in section.context
    assert "[nota][1]" in section.context


def test_a_note_becomes_topics_whose_cards_quote_no_marker(tmp_path):
    path = tmp_path / "notas.md"
    path.write_text(NOTE, encoding="utf-8")
    sections = medcards.split_guide(path, "endo")
    generator = medcards.get_card_generator("extractive")
    quoted = 0
    for section in sections:
        for kind in ("battlecard", "mcq"):
            request = medcards.CardRequest(
                topic=section.title, context=section.context, kind=kind, seed=0
            )
            try:
                card = generator.generate(request)
            except medcards.CardRejected:
                continue
            located = medcards.locate_card(card, section)
            facts = (
                [(located.evidence, located.location)]
                if isinstance(located, medcards.MCQDrill)
                else [(f.evidence, f.location) for f in located.facts()]
            )
            for evidence, location in facts:
                assert not re.search(r"(?<!\])\[\d", evidence), evidence
                assert location is not None
                assert location.line is not None
                assert NOTE.splitlines()[location.line - 1].count(evidence[:20]) == 1
                quoted += 1
    assert quoted >= 3


def test_the_location_names_the_sources_the_markers_cite(tmp_path):
    section = _section(tmp_path)
    fluids = medcards.locate_quote(
        "La reposición de fluidos es la primera medida, con suero salino al 0,9 %.", section
    )
    assert fluids is not None
    assert fluids.citations == (
        "[1, 2] Guía de urgencias endocrinas, 2024; Protocolo de cetoacidosis del hospital",
    )
    assert fluids.line == 7
    assert fluids.section == "Tratamiento"
    potassium = medcards.locate_quote("Si el potasio es menor de 3,3 mEq/L", section)
    assert potassium is not None
    assert potassium.citations[0].startswith("[2-3] Protocolo")
    insulin = medcards.locate_quote("se inicia a 0,1 U/kg/h tras la reposición inicial.", section)
    assert insulin is not None
    assert insulin.citations == ("[2] Protocolo de cetoacidosis del hospital",)
    assert insulin.describe() == (
        "notas_notebooklm.md, l. 8, Tratamiento, [2] Protocolo de cetoacidosis del hospital"
    )


def test_without_a_sources_list_brackets_are_the_guides_text():
    """Only a note with a sources list has markers: elsewhere a bracket is quoted as written."""
    text = "Las benzodiacepinas son el tratamiento de primera línea [4].\n"
    (section,) = medcards.split_guide(text, "neuro")
    assert section.context == text.strip()
    assert section.citations == ()
    (cited,) = medcards.split_guide(text + "\nFuentes:\n[4] Guía de estatus epiléptico\n", "neuro")
    assert cited.context == "Las benzodiacepinas son el tratamiento de primera línea."
    location = medcards.locate_quote("Las benzodiacepinas son el tratamiento", cited)
    assert location is not None
    assert location.citations == ("[4] Guía de estatus epiléptico",)
    assert location.line == 1


def test_doses_and_thresholds_in_brackets_stay_in_a_note():
    """Brackets the sources list does not name, or followed by a unit, are values, not markers."""
    note = (
        "# Potasio\n\n## Valores\n\n"
        "El potasio normal es [3,5-5,0] mEq/L [1].\n"
        "Se repone si baja de [2-3] mEq/L en dos controles [2].\n"
        "La glucemia objetivo es [140-180].\n"
        "La dosis de carga es [1, 2] g de sulfato de magnesio [1, 2].\n\n"
        "Fuentes:\n[1] Guía de iones\n[2] Protocolo de fluidoterapia\n"
    )
    (section,) = medcards.split_guide(note, "endo")
    assert section.context == (
        "El potasio normal es [3,5-5,0] mEq/L.\n"
        "Se repone si baja de [2-3] mEq/L en dos controles.\n"
        "La glucemia objetivo es [140-180].\n"
        "La dosis de carga es [1, 2] g de sulfato de magnesio."
    )
    assert [c.marker for c in section.citations] == ["[1]", "[2]", "[1, 2]"]


@st.composite
def _bracketed_values(draw: st.DrawFn) -> str:
    """``[3,5-5,0] mEq/L``: a bracketed range of decimal-comma numbers and a unit."""

    def number() -> str:
        whole = draw(st.integers(min_value=0, max_value=9999))
        decimals = draw(st.integers(min_value=1, max_value=3))
        return f"{whole},{draw(st.integers(0, 10**decimals - 1)):0{decimals}d}"

    values = [number() for _ in range(draw(st.integers(min_value=1, max_value=3)))]
    dash = draw(st.sampled_from(["-", "\u2013", " - "]))
    unit = draw(st.sampled_from(UNITS))
    return f"[{dash.join(values)}]{draw(st.sampled_from(['', ' ']))}{unit}"


UNITS = ["mEq/L", "mg/dL", "mmol/L", "%", "U/kg/h", "mL/kg", "g", "mg", "mmHg", "°C", "kg"]


@settings(max_examples=150, deadline=None)
@given(value=_bracketed_values(), sources=st.booleans(), fmt=st.sampled_from(["markdown", "pdf"]))
def test_a_bracketed_decimal_range_with_a_unit_survives_ingest(value, sources, fmt):
    sentence = f"El valor de referencia es {value} en adultos."
    text = f"# Guía\n\n## Valores\n\n{sentence}\n"
    if sources:  # a NotebookLM note citing sources whose numbers the range holds
        text += "La cifra se revisa cada año [1].\n\nFuentes:\n" + "".join(
            f"[{n}] Fuente {n}\n" for n in range(1, 1000)
        )
    document = medcards.GuideDocument(text=text, format=fmt, lines_are_source=fmt == "markdown")
    (section,) = medcards.split_document(document, "m")
    assert sentence in section.context
    assert all(c.marker == "[1]" for c in section.citations)

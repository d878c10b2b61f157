"""The built-in lexical / sentiment extractor."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import emkit
from emkit.features.lexical import (
    LexicalExtractor,
    count_syllables,
    lexical_columns,
    mattr,
    readability,
)
from emkit.models import DayMessage, PatientDay
from emkit.testing import feature_extractor_checks, parametrize_with_checks


@parametrize_with_checks([LexicalExtractor], feature_extractor_checks())
def test_conformance(factory, check):
    check(factory)


def _day(*texts, hour=10, patient="p1", date=dt.date(2024, 3, 1)):
    return PatientDay(
        patient_id=patient,
        date=date,
        messages=tuple(DayMessage(time=dt.time(hour, i), text=t) for i, t in enumerate(texts)),
    )


def test_registered_and_columns():
    extractor = emkit.get_feature_extractor("lexical")
    frame = extractor.transform([_day("hola")])
    assert list(frame.columns) == lexical_columns()
    assert all(c.startswith(("lex_", "sent_")) for c in frame.columns)


def test_spanish_rates_and_sentiment():
    frame = LexicalExtractor().transform(
        [_day("Hoy estoy muy cansada y me duelen las piernas 😔", "¿No hay cita con el médico?")]
    )
    row = frame.iloc[0]
    assert row["lex_messages"] == 2
    assert row["lex_symptom_fatigue_rate"] > 0
    assert row["lex_symptom_pain_rate"] > 0
    assert row["lex_symptom_mobility_rate"] > 0
    assert row["lex_question_rate"] == 0.5
    assert row["lex_first_person_rate"] > 0
    assert row["lex_negation_rate"] > 0
    assert row["sent_emoji_polarity"] < 0
    assert row["sent_score"] < 0
    positive = LexicalExtractor().transform([_day("Estoy genial, muy contenta 😊")]).iloc[0]
    assert positive["sent_score"] > 0
    assert positive["sent_emoji_polarity"] > 0


def test_negation_flips_polarity():
    plain = LexicalExtractor().transform([_day("estoy bien")]).iloc[0]["sent_score"]
    negated = LexicalExtractor().transform([_day("no estoy bien")]).iloc[0]["sent_score"]
    assert plain > 0 > negated


def test_english_and_auto_language():
    english = "I am so tired and my legs hurt, I can't walk today"
    en = LexicalExtractor(language="en").transform([_day(english)]).iloc[0]
    auto = LexicalExtractor(language="auto").transform([_day(english)]).iloc[0]
    assert en["lex_symptom_fatigue_rate"] > 0
    assert en["lex_symptom_mobility_rate"] > 0
    assert en["lex_first_person_rate"] > 0
    assert auto["lex_readability"] == pytest.approx(en["lex_readability"])


def test_night_rate_and_empty_day():
    frame = LexicalExtractor().transform(
        [_day("no puedo dormir", hour=3), PatientDay(patient_id="p1", date=dt.date(2024, 3, 2))]
    )
    assert frame.iloc[0]["lex_night_rate"] == 1.0
    empty = frame.iloc[1]
    assert empty["lex_messages"] == 0
    assert empty["lex_tokens"] == 0
    assert np.isnan(empty["lex_mattr"])


def test_typos_and_oov():
    row = LexicalExtractor().transform([_day("holaaaa qtal estoy bien xdxdxd")]).iloc[0]
    assert row["lex_typo_rate"] > 0
    assert row["lex_oov_rate"] > 0
    clean = LexicalExtractor().transform([_day("hoy estoy bien")]).iloc[0]
    assert clean["lex_oov_rate"] == 0
    assert clean["lex_typo_rate"] == 0


def test_extra_vocabulary(tmp_path):
    words = tmp_path / "vocab.txt"
    words.write_text("qtal\n", encoding="utf-8")
    base = LexicalExtractor().transform([_day("qtal")]).iloc[0]["lex_oov_rate"]
    extra = LexicalExtractor(vocabulary=words).transform([_day("qtal")]).iloc[0]["lex_oov_rate"]
    assert base == 1.0
    assert extra == 0.0
    with pytest.raises(emkit.EmkitError, match="vocab"):
        LexicalExtractor(vocabulary=tmp_path / "missing.txt")


def test_unknown_option_is_clear():
    with pytest.raises(emkit.InvalidOptionsError, match="langauge"):
        emkit.get_feature_extractor("lexical", langauge="es")


@pytest.mark.parametrize(
    ("word", "language", "expected"),
    [
        ("casa", "es", 2),
        ("cansada", "es", 3),
        ("piernas", "es", 2),
        ("poeta", "es", 3),
        ("día", "es", 2),
        ("neurología", "es", 5),
        ("table", "en", 2),
        ("walking", "en", 2),
        ("time", "en", 1),
    ],
)
def test_syllables(word, language, expected):
    assert count_syllables(word, language) == expected


def test_readability_formulas():
    # 10 words, 2 sentences, 20 syllables
    assert readability(10, 2, 20, "es") == pytest.approx(206.835 - 62.3 * 2 - 5)
    assert readability(10, 2, 20, "es", "fernandez_huerta") == pytest.approx(
        206.84 - 0.6 * 200 - 1.02 * 20
    )
    assert readability(10, 2, 20, "en") == pytest.approx(206.835 - 1.015 * 5 - 84.6 * 2)
    assert np.isnan(readability(0, 1, 0, "es"))


@settings(max_examples=50, deadline=None)
@given(words=st.lists(st.sampled_from("abcdefgh"), max_size=80), window=st.integers(2, 20))
def test_mattr_matches_definition(words, window):
    value = mattr(words, window)
    if not words:
        assert np.isnan(value)
        return
    if len(words) <= window:
        expected = len(set(words)) / len(words)
    else:
        ratios = [len(set(words[i : i + window])) / window for i in range(len(words) - window + 1)]
        expected = sum(ratios) / len(ratios)
    assert value == pytest.approx(expected)

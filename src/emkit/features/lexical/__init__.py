"""The built-in ``lexical`` feature extractor: lexical, symptom, readability and sentiment rates.

Every column is prefixed ``lex_`` (lexical) or ``sent_`` (sentiment); the formulas and units are
in the documentation (``docs/emkit/features.md``). Word lists ship inside the package
(``emkit/lexical/data``); nothing is downloaded.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from emkit.errors import EmkitError
from emkit.features.lexical._lexicons import (
    SYMPTOM_CATEGORIES,
    Lexicon,
    emoji_polarities,
    fold,
    load_lexicon,
)
from emkit.features.schema import ColumnRole, FeatureColumn, FeatureSchema
from emkit.interfaces import FeatureExtractor
from emkit.models import FEATURE_INDEX, PatientDay

__all__ = ["LexicalExtractor", "count_syllables", "lexical_columns", "mattr", "readability"]

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", re.UNICODE)
_EMOJI = re.compile(
    "[\U0001f300-\U0001faff\U00002600-\U000027bf\U0001f000-\U0001f2ff\u2764\u2b50\u2b55]"
)
_PUNCT = re.compile(r"[!¡?¿.,;:…()\"'«»\-]")
_SENTENCE_END = re.compile(r"[.!?…]+")
_ELONGATION = re.compile(r"([^\W\d_])\1\1")
_VOWELS_ES = set("aeiouáéíóúü")
_STRONG_ES = set("aeoáéóíú")


def count_syllables(word: str, language: str) -> int:
    """Syllables of ``word``: vowel nuclei with Spanish hiatus rules, or English vowel groups."""
    word = word.lower()
    if language == "es":
        count, previous = 0, ""
        for char in word:
            hiatus = previous in _STRONG_ES and char in _STRONG_ES
            if char in _VOWELS_ES and (previous not in _VOWELS_ES or hiatus):
                count += 1
            previous = char
        return max(count, 1)
    groups = re.findall(r"[aeiouy]+", fold(word))
    count = len(groups)
    if count > 1 and word.endswith("e") and not word.endswith(("le", "ee")):
        count -= 1
    return max(count, 1)


def mattr(words: Sequence[str], window: int) -> float:
    """Moving-average type-token ratio over windows of ``window`` words (TTR if shorter)."""
    n = len(words)
    if n == 0:
        return float("nan")
    if n <= window:
        return len(set(words)) / n
    counts = Counter(words[:window])
    total = len(counts)
    for i in range(window, n):
        counts[words[i]] += 1
        out = words[i - window]
        counts[out] -= 1
        if counts[out] == 0:
            del counts[out]
        total += len(counts)
    return total / (window * (n - window + 1))


def readability(
    n_words: int,
    n_sentences: int,
    n_syllables: int,
    language: str,
    spanish_formula: str = "szigriszt",
) -> float:
    """Reading ease (higher is easier, about 0-100).

    Spanish: Szigriszt-Pazos ``206.835 - 62.3·syll/words - words/sentences`` or Fernández-Huerta
    ``206.84 - 0.60·P - 1.02·F`` (P syllables and F sentences per 100 words). English: Flesch
    ``206.835 - 1.015·words/sentences - 84.6·syll/words``. NaN without words.
    """
    if n_words == 0 or n_sentences == 0:
        return float("nan")
    syllables_per_word = n_syllables / n_words
    words_per_sentence = n_words / n_sentences
    if language == "es":
        if spanish_formula == "fernandez_huerta":
            return 206.84 - 0.60 * 100 * syllables_per_word - 1.02 * 100 / words_per_sentence
        return 206.835 - 62.3 * syllables_per_word - words_per_sentence
    return 206.835 - 1.015 * words_per_sentence - 84.6 * syllables_per_word


def lexical_columns() -> list[str]:
    """Column names of the ``lexical`` extractor, in output order."""
    return [
        "lex_messages",
        "lex_tokens",
        "lex_mean_message_length",
        "lex_mattr",
        "lex_punctuation_rate",
        "lex_emoji_rate",
        "lex_question_rate",
        "lex_first_person_rate",
        "lex_negation_rate",
        *(f"lex_symptom_{c}_rate" for c in SYMPTOM_CATEGORIES),
        "lex_night_rate",
        "lex_readability",
        "lex_oov_rate",
        "lex_typo_rate",
        "sent_score",
        "sent_positive_rate",
        "sent_negative_rate",
        "sent_emoji_polarity",
    ]


class LexicalExtractor(FeatureExtractor):
    """Per-day lexical, symptom-lexicon, readability and sentiment features (Spanish, English).

    Rates are fractions of the day's word tokens (``lex_question_rate`` and ``lex_night_rate``:
    of its messages). Days without messages get ``lex_messages = lex_tokens = 0`` and NaN rates.
    Features of a day use that day's messages only, so the extractor is causal.
    """

    name: ClassVar[str] = "lexical"

    class Options(FeatureExtractor.Options):
        """Options of the lexical extractor."""

        language: Literal["es", "en", "auto"] = Field(
            default="es", description="Language of the messages; auto picks per day."
        )
        mattr_window: int = Field(default=50, ge=2, description="MATTR window, in words.")
        night_start_hour: int = Field(default=0, ge=0, le=23, description="Night from (h).")
        night_end_hour: int = Field(default=6, ge=1, le=24, description="Night until (h).")
        negation_scope: int = Field(
            default=3, ge=0, description="Words after a negation whose polarity is flipped."
        )
        spanish_readability: Literal["szigriszt", "fernandez_huerta"] = "szigriszt"
        vocabulary: Path | None = Field(
            default=None, description="Extra known words (one per line) for the OOV rate."
        )

    options: Options

    def __init__(self, **options: object) -> None:
        """Validate options; read the extra vocabulary file if one is given."""
        super().__init__(**options)
        self._extra_vocabulary: set[str] = set()
        if self.options.vocabulary is not None:
            path = Path(self.options.vocabulary)
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise EmkitError(f"{path}: cannot read the vocabulary file: {exc}") from None
            self._extra_vocabulary = {fold(w.strip()) for w in text.splitlines() if w.strip()}

    def _language(self, words: list[str]) -> str:
        if self.options.language != "auto":
            return self.options.language
        es, en = load_lexicon("es").vocabulary, load_lexicon("en").vocabulary
        hits_es = sum(w in es for w in words)
        hits_en = sum(w in en for w in words)
        return "en" if hits_en > hits_es else "es"

    def _day_row(self, day: PatientDay) -> list[float]:
        nan = float("nan")
        n_messages = day.n_messages
        raw_words: list[str] = []
        n_punct = n_emoji = n_questions = n_night = n_sentences = 0
        emoji_values: list[float] = []
        polarities = emoji_polarities()
        start, end = self.options.night_start_hour, self.options.night_end_hour
        for message in day.messages:
            text = message.text
            raw_words.extend(_WORD.findall(text))
            n_punct += len(_PUNCT.findall(text))
            emojis = _EMOJI.findall(text)
            n_emoji += len(emojis)
            emoji_values.extend(polarities[e] for e in emojis if e in polarities)
            n_questions += "?" in text
            n_night += start <= message.time.hour < end
            stripped = text.strip()
            n_sentences += len(_SENTENCE_END.findall(stripped))
            if stripped and not _SENTENCE_END.search(stripped[-1]):
                n_sentences += 1  # a message without final punctuation is one more sentence
        words = [fold(w) for w in raw_words]
        n_words = len(words)
        n_tokens = n_words + n_emoji
        if n_messages == 0:
            return [0.0, 0.0] + [nan] * (len(lexical_columns()) - 2)
        language = self._language(words)
        lexicon: Lexicon = load_lexicon(language)
        per_word = (lambda k: k / n_words) if n_words else (lambda k: nan)
        symptoms = [
            per_word(sum(w in lexicon.symptoms[c] for w in words)) for c in SYMPTOM_CATEGORIES
        ]
        syllables = sum(count_syllables(w, language) for w in raw_words)
        known = lexicon.vocabulary | self._extra_vocabulary
        n_oov = sum(
            not (w in known or lexicon.sentiment.get(w) is not None or _in_symptoms(lexicon, w))
            for w in words
        )
        n_typos = sum(
            bool(_ELONGATION.search(w)) or (len(w) >= 4 and not set(w) & _VOWELS_ES) for w in words
        )
        scores, n_pos, n_neg = self._sentiment(words, lexicon)
        word_scores = float(np.mean(scores)) if scores else 0.0
        return [
            float(n_messages),
            float(n_tokens),
            n_tokens / n_messages,
            mattr(words, self.options.mattr_window),
            n_punct / n_tokens if n_tokens else nan,
            n_emoji / n_tokens if n_tokens else nan,
            n_questions / n_messages,
            per_word(sum(w in lexicon.first_person for w in words)),
            per_word(sum(w in lexicon.negations for w in words)),
            *symptoms,
            n_night / n_messages,
            readability(
                n_words, max(n_sentences, 1), syllables, language, self.options.spanish_readability
            ),
            per_word(n_oov),
            per_word(n_typos),
            word_scores if n_words else nan,
            per_word(n_pos),
            per_word(n_neg),
            float(np.mean(emoji_values)) if emoji_values else 0.0,
        ]

    def _sentiment(self, words: list[str], lexicon: Lexicon) -> tuple[list[float], int, int]:
        """Polarity per sentiment-bearing word (flipped after a negation), positives, negatives."""
        scores: list[float] = []
        n_pos = n_neg = 0
        since_negation = self.options.negation_scope + 1
        for word in words:
            if word in lexicon.negations:
                since_negation = 0
                continue
            since_negation += 1
            value = lexicon.sentiment.get(word)
            if value is None:
                continue
            if since_negation <= self.options.negation_scope:
                value = -value
            scores.append(value)
            n_pos += value > 0
            n_neg += value < 0
        return scores, n_pos, n_neg

    def schema(self) -> FeatureSchema:
        """Every column is ``lexical`` (the ablation's first experiment)."""
        return FeatureSchema(
            columns=tuple(FeatureColumn(name=c, role=ColumnRole.LEXICAL) for c in lexical_columns())
        )

    def transform(self, days: Sequence[PatientDay]) -> pd.DataFrame:
        """One row of ``lex_*`` / ``sent_*`` features per day (float64), in input order."""
        index = pd.MultiIndex.from_tuples(
            [(d.patient_id, d.date) for d in days], names=list(FEATURE_INDEX)
        )
        rows = [self._day_row(day) for day in days]
        data = np.asarray(rows, dtype=np.float64).reshape(len(days), len(lexical_columns()))
        return pd.DataFrame(data, index=index, columns=lexical_columns())


def _in_symptoms(lexicon: Lexicon, word: str) -> bool:
    return any(word in terms for terms in lexicon.symptoms.values())

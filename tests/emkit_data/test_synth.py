"""Synthetic cohorts: layout, determinism, the oracle AUROC and the prodrome's language shift."""

from __future__ import annotations

import hashlib
import itertools
import re

import numpy as np
import pandas as pd
import pytest

import emkit
from emkit.dataset import read_cohort
from emkit.features.lexical import _WORD
from emkit.features.lexical._lexicons import emoji_polarities, fold, load_lexicon
from emkit.synth import (
    PHASES,
    VOCABULARIES,
    alt_language,
    language,
    oracle_auroc,
    simulate_patient,
    synthesize_cohort,
)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return synthesize_cohort(
        tmp_path_factory.mktemp("synth") / "cohort", patients=10, days=365, seed=0
    )


def test_layout_and_latent(cohort):
    patients = read_cohort(cohort)
    assert [p.patient_id for p in patients] == [f"p{i:03d}" for i in range(1, 11)]
    first = patients[0]
    assert (first.path / "events.csv").exists()
    assert (first.path / "metadata.json").exists()
    assert len(first.days()) == 365
    assert first.metadata.source == "synthetic"
    assert sum(len(p.relapse_onsets) for p in patients) >= 8
    assert any(e.event_type != "relapse" for e in first.events)
    latent = pd.read_parquet(cohort / "latent.parquet")
    assert list(latent.columns) == ["patient_id", "date", "latent", "phase"]
    assert len(latent) == 10 * 365
    assert set(latent["phase"]) == set(PHASES)
    assert latent["latent"].between(0, 1).all()


def test_oracle_auroc_in_the_promised_range(cohort):
    auroc = oracle_auroc(cohort, 14)
    assert 0.75 <= auroc <= 0.92, auroc


def test_deterministic_by_seed(tmp_path):
    a = synthesize_cohort(tmp_path / "a", patients=2, days=40, seed=7)
    b = synthesize_cohort(tmp_path / "b", patients=2, days=40, seed=7)
    c = synthesize_cohort(tmp_path / "c", patients=2, days=40, seed=8)
    files = sorted(p.relative_to(a) for p in a.rglob("*.txt"))
    assert files == sorted(p.relative_to(b) for p in b.rglob("*.txt"))
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert pd.read_parquet(a / "latent.parquet").equals(pd.read_parquet(b / "latent.parquet"))
    assert not pd.read_parquet(a / "latent.parquet").equals(pd.read_parquet(c / "latent.parquet"))
    with pytest.raises(emkit.EmkitError, match="already exists"):
        synthesize_cohort(tmp_path / "a", patients=2, days=40, seed=7)
    with pytest.raises(emkit.EmkitError, match="signal"):
        synthesize_cohort(tmp_path / "d", signal=1.5)


_SYMPTOMS = re.compile(
    r"cansad|agotad|fuerzas|hormigueo|entumec|borroso|doble|mare|tiembla|"
    r"debilidad|torpeza|cuesta|dormidas|bajón|triste|harta"
)


def _day_stats(cohort):
    latent = pd.read_parquet(cohort / "latent.parquet")
    latent["date"] = pd.to_datetime(latent["date"]).dt.date
    phase = latent.set_index(["patient_id", "date"])["phase"]
    rows = []
    for patient in read_cohort(cohort):
        for day in patient.days():
            texts = [m.text for m in day.messages]
            words = " ".join(texts).split()
            rows.append(
                {
                    "phase": phase[(patient.patient_id, day.date)],
                    "n": len(texts),
                    "words_per_message": len(words) / len(texts) if texts else np.nan,
                    "symptom_share": np.mean([bool(_SYMPTOMS.search(t.lower())) for t in texts])
                    if texts
                    else np.nan,
                    "repeated": np.mean(
                        [
                            any(a == b for a, b in zip(t.split(), t.split()[1:], strict=False))
                            for t in texts
                        ]
                    )
                    if texts
                    else np.nan,
                }
            )
    return pd.DataFrame(rows).groupby("phase").mean()


def test_prodrome_shifts_language(cohort):
    stats = _day_stats(cohort)
    normal, prodrome = stats.loc["normal"], stats.loc["prodrome"]
    assert prodrome["n"] < normal["n"]  # fewer messages
    assert prodrome["words_per_message"] < normal["words_per_message"]  # shorter
    assert prodrome["symptom_share"] > 2 * normal["symptom_share"]  # symptom/fatigue words
    assert prodrome["repeated"] > normal["repeated"]  # disfluency
    # Confounders move the same way, but less than the relapse itself.
    assert (
        normal["symptom_share"]
        < stats.loc["confounder"]["symptom_share"]
        < stats.loc["relapse"]["symptom_share"]
    )


def test_signal_zero_removes_the_language_shift(tmp_path):
    cohort = synthesize_cohort(tmp_path / "flat", patients=4, days=365, seed=1, signal=0.0)
    stats = _day_stats(cohort)
    assert abs(stats.loc["prodrome"]["symptom_share"] - stats.loc["normal"]["symptom_share"]) < 0.05


def test_prodrome_days_are_more_surprising_to_a_language_model(cohort):
    """A word-bigram model fitted on ordinary days finds prodrome days more perplexing.

    A cheap stand-in for the MiniLLM of the features layer: the disfluencies (typos, repeated
    words, broken word order) and the shifted vocabulary raise perplexity.
    """
    from collections import Counter

    latent = pd.read_parquet(cohort / "latent.parquet")
    latent["date"] = pd.to_datetime(latent["date"]).dt.date
    phase = latent.set_index(["patient_id", "date"])["phase"]
    patients = read_cohort(cohort)
    train, test = patients[:5], patients[5:]

    def tokens(text):
        return ["<s>", *text.lower().split(), "</s>"]

    unigrams, bigrams = Counter(), Counter()
    for patient in train:
        for day in patient.days():
            if phase[(patient.patient_id, day.date)] != "normal":
                continue
            for message in day.messages:
                words = tokens(message.text)
                unigrams.update(words[:-1])
                bigrams.update(itertools.pairwise(words))
    vocabulary = len(unigrams) + 1

    def day_perplexity(day):
        log_prob, n = 0.0, 0
        for message in day.messages:
            words = tokens(message.text)
            for a, b in itertools.pairwise(words):
                log_prob += np.log((bigrams[(a, b)] + 0.1) / (unigrams[a] + 0.1 * vocabulary))
                n += 1
        return float(np.exp(-log_prob / n))

    by_phase: dict[str, list[float]] = {"normal": [], "prodrome": []}
    for patient in test:
        for day in patient.days():
            current = phase[(patient.patient_id, day.date)]
            if current in by_phase and day.messages:
                by_phase[current].append(day_perplexity(day))
    prodrome, normal = np.median(by_phase["prodrome"]), np.median(by_phase["normal"])
    assert prodrome > 1.3 * normal, (prodrome, normal)


def test_overwrite_with_fewer_patients_removes_the_old_extra_ones(tmp_path):
    out = synthesize_cohort(tmp_path / "c", patients=4, days=20, seed=1)
    (out / "notes").mkdir()  # a folder of the user's, not a synthetic patient
    synthesize_cohort(out, patients=2, days=20, seed=1, overwrite=True)
    assert [p.patient_id for p in read_cohort(out)] == ["p001", "p002"]
    assert set(pd.read_parquet(out / "latent.parquet")["patient_id"]) == {"p001", "p002"}
    assert (out / "notes").is_dir()


# -- the alt vocabulary ---------------------------------------------------------------------


def _digest(folder):
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".parquet")
    h = hashlib.sha256()
    for path in files:
        h.update(str(path.relative_to(folder)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_default_vocabulary_is_byte_identical(tmp_path):
    plain = synthesize_cohort(tmp_path / "plain", patients=3, days=120, seed=3, exports=True)
    named = synthesize_cohort(
        tmp_path / "named", patients=3, days=120, seed=3, exports=True, vocabulary="default"
    )
    assert _digest(plain) == _digest(named)
    # the cohort written before vocabularies existed (messages, events, metadata, exports)
    assert _digest(plain) == "d4a41957b9578174d3bfb5a145f4f692b53ebedd18f2d83d40083571c6184dc2"


def test_alt_vocabulary_keeps_latent_and_events_changes_words(tmp_path):
    default = simulate_patient("p001", 0, 300, seed=5)
    alt = simulate_patient("p001", 0, 300, seed=5, vocabulary="alt")
    assert np.array_equal(default.latent, alt.latent)
    assert default.phase == alt.phase
    relapses = [(e.date, e.severity) for e in default.events if e.event_type == "relapse"]
    assert relapses == [(e.date, e.severity) for e in alt.events if e.event_type == "relapse"]
    assert isinstance(alt.style, alt_language.AltStyle)
    assert default.days != alt.days
    with pytest.raises(emkit.EmkitError, match="vocabulary"):
        simulate_patient("p001", 0, 10, seed=5, vocabulary="klingon")
    assert VOCABULARIES == ("default", "alt")


def test_alt_cohort_synth_json_names_its_vocabulary(tmp_path):
    out = synthesize_cohort(tmp_path / "c", patients=2, days=60, seed=1, vocabulary="alt")
    assert '"vocabulary": "alt"' in (out / "synth.json").read_text()


def _lexicon_hit(word):
    lexicon = load_lexicon("es")
    terms = [lexicon.first_person, lexicon.negations, *lexicon.symptoms.values()]
    folded = fold(word)
    return any(folded in t for t in terms) or lexicon.sentiment.get(folded) is not None


def test_alt_phrases_share_no_word_with_the_lexicons():
    checked = 0
    for bank, phrases in alt_language.ALT_SIGNAL_BANKS.items():
        for phrase in phrases:
            for word in _WORD.findall(phrase):
                assert not _lexicon_hit(word), (bank, phrase, word)
                checked += 1
    assert checked > 300
    # the checker does find lexicon words (it is not vacuous)
    assert _lexicon_hit("Cansadísima")
    assert _lexicon_hit("hormigueo")
    assert _lexicon_hit("no")
    emoticons = alt_language._HAPPY + alt_language._SAD
    assert not set(emoticons) & set(emoji_polarities())


def test_alt_messages_use_no_lexicon_symptom_or_sentiment_word():
    patient = simulate_patient("p001", 0, 200, seed=2, vocabulary="alt")
    words = [w for msgs in patient.days.values() for m in msgs for w in _WORD.findall(m.text)]
    lexicon = load_lexicon("es")
    symptom_or_mood = [
        w
        for w in words
        if any(fold(w) in t for t in lexicon.symptoms.values())
        or lexicon.sentiment.get(fold(w)) is not None
    ]
    # only words from the everyday (neutral) phrases, never from the signal banks
    neutral = {fold(w) for p in alt_language._NEUTRAL for w in _WORD.findall(p)}
    assert {fold(w) for w in symptom_or_mood} <= neutral, set(symptom_or_mood)


def test_alt_style_habits_are_disjoint_from_the_default():
    rng = np.random.default_rng(0)
    default = [language.random_style(rng) for _ in range(300)]
    alt = [alt_language.random_alt_style(rng) for _ in range(300)]
    # rhythm: many more, shorter messages a day
    assert min(s.rate for s in alt) > max(s.rate for s in default)
    assert max(s.verbosity for s in alt) < min(s.verbosity for s in default)
    # time of day: later waking, past-midnight sleeping
    assert min(s.wake for s in alt) > max(s.wake for s in default)
    assert min(s.sleep for s in alt) > max(s.sleep for s in default)
    # typos: more of them, and of other kinds; abbreviations and capitalisation of other kinds
    assert min(s.typo for s in alt) > max(s.typo for s in default)
    assert not set(alt_language.ALT_ABBREVIATIONS.values()) & set(language._ABBREVIATIONS.values())
    default_kinds = {"swap", "drop", "double", "keyboard"}
    assert not set(alt_language.ALT_TYPO_KINDS) & default_kinds
    for word in ("queso", "vivo", "hablo", "llave", "casa"):
        for kind in alt_language.ALT_TYPO_KINDS.values():
            typo = kind(word, np.random.default_rng(1))
            assert typo == word or len(typo) != len(word) or sorted(typo) != sorted(word)
    assert "lowercase" not in alt_language.ALT_CAPITALISATION
    # messages are never capitalised sentence-style
    patient = simulate_patient("p002", 1, 120, seed=0, vocabulary="alt")
    texts = [m.text for msgs in patient.days.values() for m in msgs]
    assert not any(t[:1].isupper() and t[1:2].islower() for t in texts)
    hours = [m.time.hour for msgs in patient.days.values() for m in msgs]
    assert min(hours) < 3 or max(hours) >= 22

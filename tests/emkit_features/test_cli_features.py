"""``emkit features``: cohort → extractors → store, resumable; option errors."""

from __future__ import annotations

from urllib.parse import quote as quote_url

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from emkit.cli import app
from emkit.cli.commands.features import parse_extractor_options
from emkit.store import SQLiteFeatureStore, has_password, redact_password

synth = pytest.importorskip("emkit.synth")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return synth.synthesize_cohort(tmp_path_factory.mktemp("c") / "cohort", patients=3, days=20)


def test_features_to_store_and_resume(cohort, tmp_path):
    store_path = tmp_path / "features.db"
    args = [
        "features",
        str(cohort),
        "--extractor",
        "lexical",
        "--store",
        str(store_path),
        "--option",
        "lexical.mattr_window=20",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    store = SQLiteFeatureStore(path=store_path)
    frame = store.read("features")
    assert len(frame) == 60
    assert "lex_tokens" in frame
    assert "60 patient-days written" in result.output
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "0 patient-days written" in again.output
    assert "3 finished patients skipped" in again.output
    assert len(store.versions("features")) == 1


def test_interrupted_run_is_resumed(cohort, tmp_path):
    from emkit.dataset import read_cohort
    from emkit.features.lexical import LexicalExtractor

    store_path = tmp_path / "features.db"
    store = SQLiteFeatureStore(path=store_path)
    first = read_cohort(cohort)[0]
    store.write("features", LexicalExtractor().transform(first.days()))  # a run stopped here
    result = CliRunner().invoke(app, ["features", str(cohort), "--store", str(store_path)])
    assert result.exit_code == 0, result.output
    assert "40 patient-days written" in result.output
    assert "1 finished patients skipped" in result.output
    assert len(store.read("features")) == 60


def test_unknown_extractor_and_options_are_clear(cohort, tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "f.db")
    result = runner.invoke(app, ["features", str(cohort), "-e", "lexicall", "--store", db])
    assert result.exit_code != 0
    assert "lexicall" in str(result.exception) + result.output
    result = runner.invoke(app, ["features", str(cohort), "--store", db, "-o", "lexical.windw=3"])
    assert "windw" in str(result.exception) + result.output
    with pytest.raises(Exception, match=r"EXTRACTOR\.OPTION=VALUE"):
        parse_extractor_options(["lexical"], ["mattr_window=3"])
    with pytest.raises(Exception, match="not selected"):
        parse_extractor_options(["lexical"], ["minillm.batch_size=3"])
    assert parse_extractor_options(
        ["lexical"], ["lexical.language=en", "lexical.mattr_window=9"]
    ) == {"lexical": {"language": "en", "mattr_window": 9}}


# -- passwords in store locations ------------------------------------------------------------

_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=12)
_PASSWORD = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=24)


def _keyword_value(password: str, quote: bool) -> str:
    """``password`` as libpq's keyword form writes it: bare, or quoted with escapes."""
    if quote or any(c.isspace() or c in "'\\" for c in password):
        return "'" + password.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return password


@settings(max_examples=300, deadline=None)
@given(user=_WORD, host=_WORD, db=_WORD, password=_PASSWORD, quote=st.booleans())
def test_no_password_survives_redaction_in_keyword_form(user, host, db, password, quote):
    dsn = f"host={host} user={user} password={_keyword_value(password, quote)} dbname={db}"
    assert has_password(dsn)
    assert redact_password(dsn) == f"host={host} user={user} password=*** dbname={db}"
    assert redact_password(f"sslpassword={_keyword_value(password, quote)}") == "sslpassword=***"


@settings(max_examples=300, deadline=None)
@given(user=_WORD, host=_WORD, db=_WORD, password=_PASSWORD)
def test_no_password_survives_redaction_in_url_form(user, host, db, password):
    encoded = quote_url(password, safe="")
    dsn = f"postgresql://{user}:{encoded}@{host}:5432/{db}?sslmode=prefer"
    assert has_password(dsn)
    assert redact_password(dsn) == f"postgresql://{user}:***@{host}:5432/{db}?sslmode=prefer"
    in_query = f"postgresql://{host}/{db}?user={user}&password={encoded}&sslmode=prefer"
    assert redact_password(in_query) == (
        f"postgresql://{host}/{db}?user={user}&password=***&sslmode=prefer"
    )
    raw = f"postgres://{user}:{password.replace('/', '')}@{host}/{db}"  # unencoded, "@" and all
    if not any(c.isspace() or c in "?#" for c in password):
        assert redact_password(raw) == f"postgres://{user}:***@{host}/{db}"


@pytest.mark.parametrize(
    "location",
    ["features.db", "/data/store.db", "postgresql://db.example/emkit", "host=/sock dbname=x"],
)
def test_locations_without_a_password_are_shown_as_they_are(location):
    assert not has_password(location)
    assert redact_password(location) == location


def test_a_plain_store_path_gets_no_password_warning(cohort, tmp_path):
    result = CliRunner().invoke(app, ["features", str(cohort), "--store", str(tmp_path / "f.db")])
    assert result.exit_code == 0, result.output
    assert "visible to other users" not in result.output

"""The public contract's helpers, deprecated aliases of moved modules and renamed names."""

from __future__ import annotations

import importlib

import pytest
from pydantic import ValidationError

import medcards
from medcards import (
    Backend,
    BackendError,
    CardKind,
    CardRequest,
    MedcardsError,
    apply_request_fields,
    call_with_retries,
    card_from_reply,
)
from medcards.backends import EchoBackend
from medcards.cli.commands.generate import parse_backend_options


@pytest.mark.parametrize(
    ("old", "name", "new"),
    [
        ("medcards.grounding", "check_card", medcards.check_card),
        ("medcards.generator", "extract_json", medcards.extract_json),
        ("medcards.prompts", "render_target", medcards.render_target),
        ("medcards.schedulers", "SM2Scheduler", None),
        ("medcards.extractive", "ExtractiveGenerator", None),
        ("medcards.ingest", "Topic", medcards.GuideSection),
        ("medcards.interfaces", "Exporter", medcards.ModelExporter),
        ("medcards.study.engine", "CARD_ADAPTER", medcards.CARD_ADAPTER),
    ],
)
def test_old_paths_still_work_and_warn(old, name, new):
    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=rf"{old}\.{name} is deprecated"):
        value = getattr(module, name)
    if new is not None:
        assert value is new
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        module.nope  # noqa: B018


def test_renamed_root_names_warn():
    with pytest.warns(DeprecationWarning, match=r"use medcards\.ModelExporter"):
        assert medcards.Exporter is medcards.ModelExporter
    assert issubclass(medcards.ModelExportResult, medcards.ExportResult)


def test_mastery_rules_old_field_name_warns():
    from medcards.study import MasteryRules

    with pytest.warns(DeprecationWarning, match="use max_difficulty"):
        rules = MasteryRules(fsrs_max_difficulty=4.0)
    assert rules.max_difficulty == 4.0
    with pytest.warns(DeprecationWarning, match="use max_difficulty"):
        assert rules.fsrs_max_difficulty == 4.0
    assert rules.thresholds() == medcards.MemoryThresholds(max_difficulty=4.0)


class _Closing(Backend):
    name = "closing"

    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    def close(self) -> None:
        self.closed += 1

    def complete(self, messages, **kwargs):
        raise NotImplementedError


def test_backend_is_a_context_manager_that_closes():
    with _Closing() as backend:
        assert backend.closed == 0
    assert backend.closed == 1
    with EchoBackend(responses=["hola"]) as echo:  # the default close holds nothing
        assert echo.complete([medcards.ChatTurn(role="user", content="x")]).text == "hola"
    echo.close()


def test_call_with_retries_backs_off_then_gives_up():
    delays: list[float] = []
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("down")
        return "ok"

    def transient(exc: Exception) -> str | None:
        return "server at x is not reachable" if isinstance(exc, ConnectionError) else None

    kwargs = {"transient": transient, "backoff_s": 0.5, "what": "chat", "sleep": delays.append}
    assert call_with_retries(flaky, max_retries=2, **kwargs) == "ok"
    assert delays == [0.5, 1.0]
    calls.clear()
    delays.clear()
    with pytest.raises(
        BackendError,
        match=r"not reachable during chat; gave up after 2 tries \(ConnectionError\)",
    ):
        call_with_retries(flaky, max_retries=1, **kwargs)
    assert delays == [0.5]

    def broken() -> str:
        raise KeyError("not transport")

    with pytest.raises(KeyError):
        call_with_retries(broken, max_retries=5, **kwargs)
    assert delays == [0.5]  # not retried


def test_replies_are_read_with_the_request_fixed_fields():
    request = CardRequest(
        topic="T" * 400,
        context="c",
        kind=CardKind.VARIANT,
        perspective="complicaciones",
        parent_id="abc",
    )
    data = apply_request_fields({"kind": "mcq", "topic": "x", "perspective": "otra"}, request)
    assert data == {
        "kind": "variant",
        "topic": "T" * medcards.SHORT_TEXT_MAX,
        "perspective": "complicaciones",
        "parent_id": "abc",
    }
    reply = (
        '```json\n{"challenge": "¿Qué complicaciones?", '
        '"key_points": [{"text": "Edema cerebral", "evidence": "edema cerebral"}]}\n```'
    )
    card = card_from_reply(reply, request)
    assert card.kind == "variant"
    assert card.parent_id == "abc"
    with pytest.raises(ValueError, match="one JSON object"):
        card_from_reply("[1, 2]", request)
    with pytest.raises(ValidationError, match="key_points"):
        card_from_reply('{"challenge": "x", "key_points": []}', request)


def test_backend_options_use_the_shared_key_value_parser():
    assert parse_backend_options(["n_ctx=2048", " model = a b"]) == {
        "n_ctx": 2048,
        "model": " a b",
    }
    with pytest.raises(MedcardsError, match=r"--backend-option 'novalue': expected KEY=VALUE"):
        parse_backend_options(["novalue"])


def test_unknown_card_is_its_own_error(tmp_path):
    from medcards.study import StudyEngine, UnknownCardError, UnknownTopicError

    with StudyEngine(tmp_path / "t.db") as engine, pytest.raises(UnknownCardError) as info:
        engine.card(42)
    assert isinstance(info.value, UnknownTopicError)

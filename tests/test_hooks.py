"""Each registration hook, implemented by a plugin registered at run time, fills its registry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import pytest
import supermemo2

import emkit
import medcards
from emkit import PrevalenceForecaster
from medcards.backends import EchoBackend
from medcards.scheduling import SM2Scheduler


class _Parser(emkit.ChatParser):
    name: ClassVar[str] = "test-parser"

    def sniff(self, path: Path) -> float:
        return 0.0

    def parse(self, path: Path) -> emkit.ChatExport:
        return emkit.ChatExport(source=str(path), format=self.name, messages=[])


class _Extractor(emkit.FeatureExtractor):
    name: ClassVar[str] = "test-extractor"

    def transform(self, days):
        index = pd.MultiIndex.from_tuples(
            [(d.patient_id, d.date) for d in days], names=list(emkit.FEATURE_INDEX)
        )
        return pd.DataFrame({"n": [float(d.n_messages) for d in days]}, index=index)


class _Store(emkit.FeatureStore):
    name: ClassVar[str] = "test-store"

    def write(self, feature_set, frame):
        self.frame = frame
        return len(frame)

    def read(self, feature_set, *, patients=None, as_of=None):
        return self.frame


class _Forecaster(PrevalenceForecaster):
    name: ClassVar[str] = "test-forecaster"


class _Generator(medcards.CardGenerator):
    name: ClassVar[str] = "test-generator"

    def generate(self, request):
        raise medcards.CardRejected(request.topic, ["test generator never produces cards"])


class _Exporter(medcards.ModelExporter):
    name: ClassVar[str] = "test-exporter"

    def export(self, model_dir, out_path):
        Path(out_path).write_bytes(b"x")
        return medcards.ExportResult(path=out_path, format="raw", size_bytes=1)


class _Trainer(medcards.Trainer):
    name: ClassVar[str] = "test-trainer"

    def train(self, dataset, base_model, output_dir):
        return medcards.TrainResult(output_dir=output_dir)


class _Scheduler(SM2Scheduler):
    name: ClassVar[str] = "test-scheduler"


class _Backend(EchoBackend):
    name: ClassVar[str] = "test-backend"


class EmkitTestPlugin:
    @emkit.hookimpl
    def emkit_register_chat_parsers(self, register):
        register(_Parser)

    @emkit.hookimpl
    def emkit_register_feature_extractors(self, register):
        register(_Extractor)

    @emkit.hookimpl
    def emkit_register_feature_stores(self, register):
        register(_Store)

    @emkit.hookimpl
    def emkit_register_forecasters(self, register):
        register(_Forecaster)


class MedcardsTestPlugin:
    @medcards.hookimpl
    def medcards_register_backends(self, register):
        register(_Backend)

    @medcards.hookimpl
    def medcards_register_card_generators(self, register):
        register(_Generator)

    @medcards.hookimpl
    def medcards_register_exporters(self, register):
        register(_Exporter)

    @medcards.hookimpl
    def medcards_register_schedulers(self, register):
        register(_Scheduler)

    @medcards.hookimpl
    def medcards_register_trainers(self, register):
        register(_Trainer)


@pytest.fixture
def runtime_plugins():
    emkit_name = emkit.plugins.host.register(EmkitTestPlugin(), name="emkit-test-plugin")
    medcards_name = medcards.plugins.host.register(MedcardsTestPlugin(), name="medcards-test")
    yield
    emkit.plugins.host.unregister(emkit_name)
    medcards.plugins.host.unregister(medcards_name)


@pytest.mark.usefixtures("runtime_plugins")
def test_each_hook_fills_its_registry(tmp_path):
    assert isinstance(emkit.get_chat_parser("test-parser"), _Parser)
    assert isinstance(emkit.get_feature_extractor("test-extractor"), _Extractor)
    assert isinstance(emkit.get_feature_store("test-store"), _Store)
    assert isinstance(emkit.get_forecaster("test-forecaster"), _Forecaster)
    assert isinstance(medcards.get_backend("test-backend"), _Backend)
    assert isinstance(medcards.get_card_generator("test-generator"), _Generator)
    assert isinstance(medcards.get_exporter("test-exporter"), _Exporter)
    assert isinstance(medcards.get_scheduler("test-scheduler"), _Scheduler)
    assert isinstance(medcards.get_trainer("test-trainer"), _Trainer)
    info = {p.name: p for p in emkit.list_plugins()}["emkit-test-plugin"]
    assert set(info.implementations) == {
        "chat_parser",
        "feature_extractor",
        "feature_store",
        "forecaster",
    }


def test_unregister_removes_implementations(runtime_plugins: Any):
    assert "test-forecaster" in emkit.forecaster_names()
    emkit.plugins.host.unregister("emkit-test-plugin")
    assert "test-forecaster" not in emkit.forecaster_names()
    emkit.plugins.host.register(EmkitTestPlugin(), name="emkit-test-plugin")


def test_card_rejected_lists_reasons():
    request = medcards.CardRequest(topic="CAD", context="texto", kind=medcards.CardKind.MCQ)
    with pytest.raises(medcards.CardRejected, match="never produces cards"):
        _Generator().generate(request)


def test_echo_backend_replays_queue_then_echoes():
    backend = medcards.get_backend("echo", responses=["uno"])
    turns = [medcards.ChatTurn(role="user", content="hola que tal")]
    assert backend.complete(turns).text == "uno"
    assert backend.complete(turns).text == "hola que tal"
    cut = backend.complete(turns, max_tokens=2)
    assert (cut.text, cut.finish_reason) == ("hola que", "length")
    assert len(backend.calls) == 3


def test_sm2_matches_reference_on_a_known_sequence():
    sm2 = medcards.get_scheduler("sm2")
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    state = sm2.replay([(medcards.Rating.GOOD, now)] * 4)
    assert state is not None
    reference = supermemo2.first_review(4, now.replace(tzinfo=None))
    for _ in range(3):
        reference = supermemo2.review(
            4, reference["easiness"], reference["interval"], reference["repetitions"], now
        )
    assert (state.interval_days, state.repetitions, state.ease) == (
        reference["interval"],
        reference["repetitions"],
        reference["easiness"],
    )

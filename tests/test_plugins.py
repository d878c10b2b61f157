"""The plugin system: swap by name, allow-lists, broken plugins, clear errors."""

from __future__ import annotations

import json

import pytest

import emkit
import medcards
from emkit import PrevalenceForecaster
from medcards.backends import EchoBackend
from medcards.scheduling import SM2Scheduler


def test_swap_by_name():
    assert type(emkit.get_forecaster("prevalence")) is PrevalenceForecaster
    assert type(medcards.get_scheduler("sm2")) is SM2Scheduler
    assert type(medcards.get_scheduler("leitner")).__name__ == "LeitnerScheduler"
    assert type(medcards.get_backend("echo")) is EchoBackend


def test_unknown_name_lists_valid_names():
    with pytest.raises(emkit.UnknownPluginError) as info:
        emkit.get_forecaster("prophet")
    message = str(info.value)
    assert "unknown forecaster 'prophet'" in message
    assert "prevalence" in message
    with pytest.raises(medcards.UnknownPluginError, match=r"valid names: .*sm2"):
        medcards.get_scheduler("sm17")


def test_bad_option_names_option_and_valid_ones():
    with pytest.raises(emkit.InvalidOptionsError) as info:
        emkit.get_forecaster("prevalence", prior_strenght=3)
    message = str(info.value)
    assert "unknown option 'prior_strenght'" in message
    assert "Valid options: prior_strength" in message


def test_ill_typed_option_is_named():
    with pytest.raises(medcards.InvalidOptionsError, match="option 'initial_ease'"):
        medcards.get_scheduler("sm2", initial_ease="fast")
    with pytest.raises(medcards.InvalidOptionsError, match="option 'initial_ease'"):
        medcards.get_scheduler("sm2", initial_ease=1.0)


def test_options_are_kept_validated():
    scheduler = medcards.get_scheduler("sm2", initial_ease=2.0)
    assert scheduler.options.initial_ease == 2.0
    assert repr(scheduler) == "SM2Scheduler(initial_ease=2.0)"


def test_load_plugins_is_idempotent():
    before = [p.name for p in emkit.list_plugins()]
    emkit.load_plugins()
    emkit.load_plugins()
    assert [p.name for p in emkit.list_plugins()] == before


def test_list_plugins_reports_distribution_and_hooks():
    infos = {p.name: p for p in medcards.list_plugins()}
    leitner = infos["leitner"]
    assert leitner.distribution == "emkit-medcards-plugin-template"
    assert leitner.hooks == ("medcards_register_schedulers",)
    assert leitner.implementations == {"scheduler": ("leitner",)}
    assert not leitner.builtin
    assert infos["medcards.schedulers"].builtin
    assert all(not p.builtin for p in medcards.list_plugins(include_builtin=False))


def test_allow_list_env_var_limits_entry_points(run_python):
    code = """
        import json, emkit, medcards
        print(json.dumps([emkit.feature_extractor_names(), medcards.scheduler_names()]))
    """
    result = run_python(code, env={"EMKIT_LOAD_PLUGINS": "", "MEDCARDS_LOAD_PLUGINS": "leitner"})
    assert result.returncode == 0, result.stderr
    extractors, schedulers = json.loads(result.stdout)
    assert "wordcount" not in extractors
    assert "leitner" in schedulers
    assert "sm2" in schedulers


def test_broken_plugin_warns_and_host_still_works(fake_dist, run_python):
    path = fake_dist(
        "emkit-broken", "emkit", "broken", "broken_plugin", "raise RuntimeError('boom at import')"
    )
    code = """
        import warnings, emkit
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            names = emkit.forecaster_names()
        print(names)
        print([str(w.message) for w in caught if issubclass(w.category, emkit.PluginLoadWarning)])
    """
    result = run_python(code, path=path)
    assert result.returncode == 0, result.stderr
    names, warned = result.stdout.strip().splitlines()
    assert "prevalence" in names
    assert "broken" in warned
    assert "emkit-broken" in warned
    assert "boom at import" in warned


def test_third_party_plugin_from_entry_point(fake_dist, run_python):
    source = """
        from typing import ClassVar
        import emkit
        from emkit import PrevalenceForecaster

        class Constant(PrevalenceForecaster):
            name: ClassVar[str] = "constant"

        @emkit.hookimpl
        def emkit_register_forecasters(register):
            register(Constant)
    """
    path = fake_dist("emkit-constant", "emkit", "constant", "constant_plugin", source)
    code = """
        import emkit
        print(type(emkit.get_forecaster("constant")).__name__)
        print({p.name: p.distribution for p in emkit.list_plugins()}["constant"])
    """
    result = run_python(code, path=path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Constant", "emkit-constant"]


def test_registering_a_non_subclass_is_a_clear_error(fake_dist, run_python):
    source = """
        import medcards

        @medcards.hookimpl
        def medcards_register_schedulers(register):
            register(dict)
    """
    path = fake_dist("medcards-bad", "medcards", "bad", "bad_plugin", source)
    result = run_python("import medcards; medcards.scheduler_names()", path=path)
    assert result.returncode != 0
    assert "plugin 'bad' registered" in result.stderr
    assert "Scheduler" in result.stderr


def test_name_clash_keeps_builtin(fake_dist, run_python):
    source = """
        from typing import ClassVar
        import medcards
        from medcards.scheduling import SM2Scheduler

        class Impostor(SM2Scheduler):
            name: ClassVar[str] = "sm2"

        @medcards.hookimpl
        def medcards_register_schedulers(register):
            register(Impostor)
    """
    path = fake_dist("medcards-impostor", "medcards", "impostor", "impostor_plugin", source)
    code = """
        import warnings, medcards
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(type(medcards.get_scheduler("sm2")).__name__)
        print(any("clashes" in str(w.message) for w in caught))
    """
    result = run_python(code, path=path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["SM2Scheduler", "True"]


def test_registration_imports_nothing_heavy(run_python):
    code = """
        import sys, emkit, medcards
        emkit.list_plugins(); medcards.list_plugins()
        heavy = {"torch", "transformers", "llama_cpp", "pytorch_forecasting", "lightning", "ollama",
                 "openai", "peft", "trl"}
        print(sorted(heavy & set(sys.modules)))
    """
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_plugin_adds_cli_commands(fake_dist, run_python):
    source = """
        import typer
        import emkit

        @emkit.hookimpl
        def emkit_register_commands(cli):
            @cli.command()
            def hello(name: str) -> None:
                typer.echo(f"hola {name}")
    """
    path = fake_dist("emkit-hello", "emkit", "hello", "hello_plugin", source)
    code = """
        from typer.testing import CliRunner
        from emkit.cli import app
        print(CliRunner().invoke(app, ["hello", "Ana"]).output.strip())
    """
    result = run_python(code, path=path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hola Ana"


def test_medcards_register_commands_hook_adds_a_group(fake_dist, run_python):
    source = """
        import typer
        import medcards

        group = typer.Typer()

        @group.command()
        def status() -> None:
            typer.echo("ready")

        @medcards.hookimpl
        def medcards_register_commands(cli):
            cli.add_typer(group, name="extra")
    """
    path = fake_dist("medcards-extra", "medcards", "extra", "extra_plugin", source)
    code = """
        from typer.testing import CliRunner
        from medcards.cli import app
        print(CliRunner().invoke(app, ["extra", "status"]).output.strip())
    """
    result = run_python(code, path=path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ready"

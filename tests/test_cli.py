"""The command lines: --version, plugins listing, readable errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import emkit
import medcards
from emkit.cli import app as emkit_app
from medcards.cli import app as medcards_app

runner = CliRunner()


def test_version():
    assert runner.invoke(emkit_app, ["--version"]).output.strip() == f"emkit {emkit.__version__}"
    result = runner.invoke(medcards_app, ["--version"])
    assert result.output.strip() == f"medcards {medcards.__version__}"


def test_plugins_json_lists_builtins_and_template_with_distributions():
    for app, builtin, template in [
        (emkit_app, "emkit.baselines", "wordcount"),
        (medcards_app, "medcards.schedulers", "leitner"),
    ]:
        result = runner.invoke(app, ["plugins", "--all", "--json"])
        assert result.exit_code == 0, result.output
        rows = {row["name"]: row for row in json.loads(result.output)}
        assert rows[builtin]["builtin"] is True
        assert rows[builtin]["distribution"] == "emkit-medcards"
        assert rows[template]["distribution"] == "emkit-medcards-plugin-template"
        assert rows[template]["hooks"]


def test_plugins_hides_builtins_without_all():
    result = runner.invoke(medcards_app, ["plugins", "--json"])
    names = [row["name"] for row in json.loads(result.output)]
    assert "leitner" in names
    assert not [n for n in names if n.startswith("medcards.")]


def test_plugins_table():
    result = runner.invoke(emkit_app, ["plugins", "--all"])
    assert result.exit_code == 0
    assert "wordcount" in result.output


def test_user_errors_print_one_line_without_traceback(fake_dist, run_python):
    source = """
        import emkit

        @emkit.hookimpl
        def emkit_register_commands(cli):
            @cli.command()
            def explode() -> None:
                emkit.get_forecaster("prophet")
    """
    path = fake_dist("emkit-explode", "emkit", "explode", "explode_plugin", source)
    code = """
        import sys
        from emkit.cli import main
        sys.argv = ["emkit", "explode"]
        main()
    """
    result = run_python(code, path=path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "unknown forecaster 'prophet'; valid names:" in result.stderr


def test_bad_cli_usage_is_a_usage_error(run_python):
    code = """
        import sys
        from medcards.cli import main
        sys.argv = ["medcards", "plugins", "--bogus"]
        main()
    """
    result = run_python(code)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--bogus" in result.stderr

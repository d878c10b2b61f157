"""The import-linter contract of ``make lint`` catches imports of private modules."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

CONFIG = """
[importlinter]
root_packages =
    _sdk
    emkit
contract_types =
    public_api: tools.public_api_contract.PublicApiContract

[importlinter:contract:public]
name = Scripts import only the public contract
type = public_api
guarded_packages =
    _sdk
    emkit
public_modules =
    emkit
    emkit.testing
source_paths =
    scripts
"""


def lint(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "job.py").write_text(textwrap.dedent(script), encoding="utf-8")
    (tmp_path / ".importlinter").write_text(CONFIG, encoding="utf-8")
    shutil.copytree(ROOT / "tools", tmp_path / "tools")
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is a dev dependency")
def test_public_imports_keep_the_contract(tmp_path):
    result = lint(
        tmp_path,
        """
        import emkit
        from emkit import testing
        from emkit.testing import toy_problem
        from emkit import get_forecaster
        """,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is a dev dependency")
def test_private_imports_break_it_with_file_and_line(tmp_path):
    result = lint(
        tmp_path,
        """
        import emkit
        from _sdk import atomic_write_text
        from emkit import interfaces
        import emkit.hookspecs
        """,
    )
    assert result.returncode == 1
    out = " ".join(result.stdout.split())
    assert "scripts/job.py:3 imports _sdk" in out
    assert "scripts/job.py:4 imports emkit.interfaces" in out
    assert "scripts/job.py:5 imports emkit.hookspecs" in out
    assert "job.py:2" not in out

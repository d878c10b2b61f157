"""Shared fixtures for the core tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


@pytest.fixture
def fake_dist(tmp_path: Path):
    """Write an installed-looking distribution with entry points into a folder for PYTHONPATH.

    Returns a function ``make(name, group, entry, module_source)``; the folder is ``tmp_path``.
    """

    def make(dist: str, group: str, entry: str, module: str, source: str) -> Path:
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        info = tmp_path / f"{dist.replace('-', '_')}-1.0.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(f"[{group}]\n{entry} = {module}\n", encoding="utf-8")
        return tmp_path

    return make


@pytest.fixture
def run_python():
    """Run code in a fresh interpreter (plugins are loaded once per process)."""
    return _run_python


def _run_python(code: str, *, path: Path | None = None, env: dict[str, str] | None = None):
    full_env = {**os.environ, **(env or {})}
    if path is not None:
        full_env["PYTHONPATH"] = os.pathsep.join([str(path), full_env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-W", "default", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )

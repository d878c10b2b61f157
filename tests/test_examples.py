"""Every script in examples/ runs to completion (the emkit pipeline on its quick cohort)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FOLDER = Path(__file__).parents[1] / "examples"
#: Examples that are their own make target and not part of `make test`: the CPU fine-tune
#: (`make finetune-demo`) trains for up to 25 minutes; its steps run in the medcards-finetune
#: tests at their smallest size (a real GGUF base, one LoRA step, export and Modelfile).
OWN_TARGET = {"finetune_demo.py"}
EXAMPLES = sorted(p for p in FOLDER.glob("*.py") if p.name not in OWN_TARGET)


def _run(script: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run an example at its quick size (the emkit pipeline's; others ignore it)."""
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=360,  # a 5x margin over the quick emkit pipeline (66 s on 2 quiet cores)
        check=False,
        env={**os.environ, "EMKIT_DEMO_QUICK": "1"},
    )


@pytest.mark.e2e
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    result = _run(script, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]


@pytest.mark.e2e
def test_emkit_pipeline_on_the_alt_vocabulary(tmp_path):
    result = _run(FOLDER / "emkit_pipeline.py", "--vocabulary", "alt", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "synthetic cohort (alt vocabulary)" in result.stdout
    assert (tmp_path / "emkit-demo" / "evaluation" / "report.html").is_file()


def test_emkit_pipeline_refuses_an_unknown_vocabulary(tmp_path):
    result = _run(FOLDER / "emkit_pipeline.py", "--vocabulary", "klingon", cwd=tmp_path)
    assert result.returncode == 2
    assert "--vocabulary" in result.stderr
    assert "klingon" in result.stderr
    assert not (tmp_path / "emkit-demo").exists()

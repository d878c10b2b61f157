"""Every script in examples/ runs to completion (the emkit pipeline on its quick cohort)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

#: Examples that are their own make target and not part of `make test`: the CPU fine-tune
#: (`make finetune-demo`) trains for up to 25 minutes; its steps run in the medcards-finetune
#: tests at their smallest size (a real GGUF base, one LoRA step, export and Modelfile).
OWN_TARGET = {"finetune_demo.py"}
EXAMPLES = sorted(
    p for p in (Path(__file__).parents[1] / "examples").glob("*.py") if p.name not in OWN_TARGET
)


@pytest.mark.e2e
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=360,  # a 5x margin over the quick emkit pipeline (66 s on 2 quiet cores)
        check=False,
        env={**os.environ, "EMKIT_DEMO_QUICK": "1"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]


@pytest.mark.e2e
def test_emkit_pipeline_on_the_alt_vocabulary(tmp_path):
    script = Path(__file__).parents[1] / "examples" / "emkit_pipeline.py"
    result = subprocess.run(
        [sys.executable, str(script), "--quick", "--vocabulary", "alt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=360,
        check=False,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "synthetic cohort (alt vocabulary)" in result.stdout
    assert (tmp_path / "emkit-demo" / "evaluation" / "report.html").is_file()


def test_emkit_pipeline_refuses_an_unknown_vocabulary(tmp_path):
    script = Path(__file__).parents[1] / "examples" / "emkit_pipeline.py"
    result = subprocess.run(
        [sys.executable, str(script), "--quick", "--vocabulary", "klingon"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--vocabulary" in result.stderr
    assert "klingon" in result.stderr

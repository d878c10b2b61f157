"""The ``dask`` executor on its own: registered without importing Dask, option errors, an
unreachable scheduler named in one line, failures yielded per item on a local cluster."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from emkit_dask import DaskExecutor

import emkit


def _square_or_fail(x):
    if x < 0:
        raise ValueError(f"negative: {x}")
    return x * x


def test_registered_without_importing_dask():
    code = (
        "import sys, emkit; assert 'dask' in emkit.executor_names(); "
        "print(sorted(m for m in sys.modules if m.startswith(('dask', 'distributed'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_option_errors():
    with pytest.raises(emkit.InvalidOptionsError, match="wokers"):
        emkit.get_executor("dask", wokers=2)
    with pytest.raises(emkit.EmkitError, match="not both"):
        DaskExecutor(scheduler="tcp://127.0.0.1:8786", workers=2)


def test_unreachable_scheduler_is_named():
    executor = DaskExecutor(scheduler="tcp://127.0.0.1:9", timeout_s=1)
    with pytest.raises(emkit.EmkitError, match=r"tcp://127\.0\.0\.1:9: cannot connect") as caught:
        list(executor.map_unordered(_square_or_fail, [1]))
    assert "\n" not in str(caught.value)


@pytest.mark.slow
def test_failures_are_yielded_and_the_others_finish():
    # math.sqrt: importable on every worker (this test module is not), and it raises for -4.
    with DaskExecutor(workers=2) as executor:
        results = dict(executor.map_unordered(math.sqrt, [1, -4, 9, 16]))
        assert list(executor.map_unordered(math.sqrt, [])) == []
    assert results[0] == 1
    assert results[2] == 3
    assert results[3] == 4
    assert isinstance(results[1], ValueError)
    assert "math domain error" in str(results[1])
    assert executor._client is None  # closed with the context

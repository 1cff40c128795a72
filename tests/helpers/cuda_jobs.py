"""The CUDA backend's helper processes (numba's CUDA simulator comparison, offline PTX), started early.

Both are single-threaded and take minutes; ``tests/conftest.py`` starts them as soon as the session has
collected ``tests/engine/test_cuda.py``, so they run on the core the test process leaves idle while the
tests before it run, and ``test_cuda.py`` collects their reports (starting them itself when run alone).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_jobs: dict[str, tuple[subprocess.Popen, Path]] = {}


def start(name: str, args: list[str], simulator: bool) -> None:
    """Start helper ``name`` (``python -m tests.helpers.cuda_equivalence *args``) unless it is running."""
    if name in _jobs:
        return
    out = Path(tempfile.mkdtemp(prefix=f"cuda-{name}-")) / "report.json"
    env = dict(os.environ)
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    if simulator:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    proc = subprocess.Popen([sys.executable, "-m", "tests.helpers.cuda_equivalence", *args, "--out", str(out)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _jobs[name] = (proc, out)


def start_all() -> None:
    start("simulated", [], simulator=True)
    start("ptx", ["--ptx"], simulator=False)


def result(name: str, timeout: float = 1500) -> dict:
    """Wait for helper ``name`` and return its report (raises AssertionError with its stderr if it failed)."""
    proc, out = _jobs[name]
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.read_text())


def stop_all() -> None:
    for proc, _ in _jobs.values():
        if proc.poll() is None:
            proc.kill()

"""The CUDA backend's helper processes (numba's CUDA simulator comparison, offline PTX), started early.

Both are single-threaded and take minutes; ``tests/conftest.py`` starts them as soon as the session has
collected ``tests/engine/test_cuda.py`` (with pytest-xdist: in the controlling process, before the workers
start), so they run while other tests do, and ``test_cuda.py`` collects their reports (starting them itself
when run alone).

Each helper writes into a directory named by :data:`SHARED_ENV` when it is set (the xdist workers inherit it):
``report.json`` on success and ``rc`` (its exit status) and ``stderr`` at the end, so whichever process runs
``test_cuda.py`` can wait for a helper another process started.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_ENV = "BRAINSWEEP_CUDA_JOBS_DIR"
_jobs: dict[str, tuple[subprocess.Popen, Path]] = {}


def _directory(name: str) -> Path | None:
    shared = os.environ.get(SHARED_ENV)
    return Path(shared) / name if shared else None


def start(name: str, args: list[str], simulator: bool) -> None:
    """Start helper ``name`` (``python -m tests.helpers.cuda_equivalence *args``) unless it is running (here, or
    in the process that shares its directory with this one)."""
    if name in _jobs:
        return
    shared = _directory(name)
    if shared is not None and shared.exists():
        return
    folder = shared if shared is not None else Path(tempfile.mkdtemp(prefix=f"cuda-{name}-"))
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    if simulator:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    command = [sys.executable, "-m", "tests.helpers.cuda_equivalence", *args, "--out", str(folder / "report.json")]
    # the exit status goes to a file, for a process that did not start the helper
    proc = subprocess.Popen(["bash", "-c", '"$@" 2> "$0/stderr"; echo $? > "$0/rc.part" && mv "$0/rc.part" "$0/rc"', str(folder), *command],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    _jobs[name] = (proc, folder)


def start_all() -> None:
    start("simulated", [], simulator=True)
    start("ptx", ["--ptx"], simulator=False)


def result(name: str, timeout: float = 1500) -> dict:
    """Wait for helper ``name`` and return its report (raises AssertionError with its stderr if it failed)."""
    folder = _jobs[name][1] if name in _jobs else _directory(name)
    assert folder is not None, f"CUDA helper {name!r} was never started"
    deadline = time.time() + timeout
    while not (folder / "rc").exists():
        assert time.time() < deadline, f"CUDA helper {name!r} did not finish within {timeout:g} s"
        time.sleep(0.5)
    rc = (folder / "rc").read_text().strip()
    err = (folder / "stderr").read_text() if (folder / "stderr").exists() else ""
    assert rc == "0", f"exit status {rc}: " + err[-3000:]
    return json.loads((folder / "report.json").read_text())


def stop_all() -> None:
    for proc, _ in _jobs.values():
        if proc.poll() is None:
            subprocess.run(["pkill", "-P", str(proc.pid)], capture_output=True)  # the helper, then its shell
            proc.kill()

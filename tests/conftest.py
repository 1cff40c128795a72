"""Test configuration: helper modules live in tests/helpers (tests are imported in importlib mode)."""
import os
import sys
from pathlib import Path

# Kernels compiled by the tests go to a cache private to this checkout unless the caller chose one.
os.environ.setdefault("BRAINSWEEP_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".bench" / "cache"))
sys.path.insert(0, str(Path(__file__).parent / "helpers"))



def pytest_collection_finish(session):
    """Start the CUDA backend's slow helper processes now, in the background, if their tests were collected."""
    import importlib.util

    if importlib.util.find_spec("numba_cuda") is None or session.config.option.collectonly:
        return
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the controlling process started them (pytest_configure), each worker only collects
    if any(item.nodeid.startswith("tests/engine/test_cuda.py::test_cuda_simulator")
           or item.nodeid.startswith("tests/engine/test_cuda.py::test_kernel_compiles") for item in session.items):
        import cuda_jobs

        cuda_jobs.start_all()


def pytest_configure(config):
    """With pytest-xdist, start the CUDA helpers in the controlling process, before the workers exist: they
    inherit the helpers' shared directory, and whichever runs test_cuda.py waits there for the reports."""
    import importlib.util
    import tempfile

    numprocesses = getattr(config.option, "numprocesses", None)
    if not numprocesses or os.environ.get("PYTEST_XDIST_WORKER") or config.option.collectonly:
        return
    if importlib.util.find_spec("numba_cuda") is None:
        return
    target = Path(__file__).parent / "engine" / "test_cuda.py"
    paths = [Path(a.split("::")[0]).resolve() for a in config.args] or [Path(__file__).parent]
    if not any(p == target or p in target.parents for p in paths):
        return
    import cuda_jobs

    os.environ[cuda_jobs.SHARED_ENV] = tempfile.mkdtemp(prefix="bs-cuda-jobs-")
    cuda_jobs.start_all()


def pytest_sessionfinish(session, exitstatus):
    if "cuda_jobs" in sys.modules:
        sys.modules["cuda_jobs"].stop_all()
    shared = os.environ.get("BRAINSWEEP_CUDA_JOBS_DIR")
    if shared and not os.environ.get("PYTEST_XDIST_WORKER"):
        import shutil

        shutil.rmtree(shared, ignore_errors=True)

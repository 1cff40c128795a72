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
        # each xdist worker collects every test but runs only some: test_cuda.py starts them where it runs
        return
    if any(item.nodeid.startswith("tests/engine/test_cuda.py::test_cuda_simulator")
           or item.nodeid.startswith("tests/engine/test_cuda.py::test_kernel_compiles") for item in session.items):
        import cuda_jobs

        cuda_jobs.start_all()


def pytest_sessionfinish(session, exitstatus):
    if "cuda_jobs" in sys.modules:
        sys.modules["cuda_jobs"].stop_all()

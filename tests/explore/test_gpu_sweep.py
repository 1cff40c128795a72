"""Sweeps routed to GPU workers: Dask resource restrictions on a real multi-process cluster whose GPU worker
runs the CUDA kernel in numba's CUDA simulator; results equal the CPU sweep's to rounding."""
from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

pytest.importorskip("numba_cuda", reason="numba-cuda is part of the test extra (brainsweep[gpu])")

from brainsweep.explore import SweepReport, sweep  # noqa: E402
from brainsweep.explore.schedule import ClusterError  # noqa: E402
from brainsweep.explore.spec import SpecError, parse_spec  # noqa: E402

from tests.helpers.cluster import Cluster, cli  # noqa: E402

SPEC = {
    "name": "gpu-routing",
    "connectivity": {"tvb_data": 66, "conduction_speed": 3.0},
    "model": {"name": "Generic2dOscillator", "parameters": {"a": -0.5}},
    "coupling": {"name": "Linear"},
    "integrator": {"name": "HeunStochastic", "dt": 0.5, "noise": {"nsig": 1.0e-3}},
    "monitors": [{"name": "TemporalAverage", "period": 1.0}],
    "features": [{"name": "mean", "monitor": "temporal_average"}, {"name": "std", "monitor": "temporal_average"}],
    "length": 8.0,
    "seed": 3,
    "repeats": 2,
    "axes": {"coupling.a": [0.0, 0.01, 0.02]},
    "batch_size": 2,
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(2, tmp_path_factory.mktemp("gpu-cluster"), gpu_workers=1)
    yield c
    c.close()


@pytest.fixture(scope="module")
def cpu_result(cluster, tmp_path_factory):
    store = tmp_path_factory.mktemp("cpu") / "cpu.zarr"
    return sweep(SPEC, store, scheduler=cluster.address, backend="cpu").load()


def _assert_close(a: xr.Dataset, b: xr.Dataset):
    for name in ("mean", "std"):
        x, y = a[name].values, b[name].values
        assert np.isfinite(x).all() and x.shape == y.shape
        np.testing.assert_allclose(y, x, rtol=1e-12, atol=1e-15, err_msg=name)
    assert (a["status"].values == b["status"].values).all()


def test_cuda_blocks_run_only_on_the_gpu_worker_and_match_the_cpu(cluster, cpu_result, tmp_path):
    report = SweepReport(store="")
    ds = sweep(SPEC, tmp_path / "gpu.zarr", scheduler=cluster.address, backend="cuda", report=report).load()
    workers = {s["worker"] for s in report.summaries}
    assert len(report.summaries) == 3 and len(workers) == 1
    assert {s["backend"] for s in report.summaries} == {"cuda"}
    from distributed import Client

    with Client(cluster.address) as c:
        names = {a: w["name"] for a, w in c.scheduler_info(n_workers=-1)["workers"].items()}
    assert names[workers.pop()].startswith("gpu")
    _assert_close(cpu_result, ds)
    assert int((ds["status"] == 0).sum()) == 6


def test_auto_uses_each_workers_own_device(cluster, cpu_result, tmp_path):
    report = SweepReport(store="")
    ds = sweep(dict(SPEC, backend="auto"), tmp_path / "auto.zarr", scheduler=cluster.address, report=report).load()
    from distributed import Client

    with Client(cluster.address) as c:
        names = {a: w["name"] for a, w in c.scheduler_info(n_workers=-1)["workers"].items()}
    for s in report.summaries:            # the GPU worker ran its blocks on its (simulated) GPU, the other on its CPU
        assert s["backend"] == ("cuda" if names[s["worker"]].startswith("gpu") else "cpu")
    _assert_close(cpu_result, ds)


def test_cuda_on_a_cluster_without_gpu_workers_is_refused(tmp_path):
    plain = Cluster(1, tmp_path)
    try:
        with pytest.raises(ClusterError, match="no worker of this cluster advertises a GPU resource"):
            sweep(SPEC, tmp_path / "x.zarr", scheduler=plain.address, backend="cuda")
    finally:
        plain.close()


def test_gpu_flag_without_a_gpu_is_one_line(tmp_path):
    import yaml

    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    proc = cli("sweep", spec, "-o", tmp_path / "g.zarr", "--gpu")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2
    assert err.strip().count("\n") == 0 and "GPU" in err


def test_backend_key_is_validated_and_cpu_keeps_old_fingerprints():
    with pytest.raises(SpecError, match="backend must be one of cpu, cuda, auto, got 'gpu'"):
        parse_spec(dict(SPEC, backend="gpu"))
    plain, cpu, cuda = parse_spec(SPEC), parse_spec(dict(SPEC, backend="cpu")), parse_spec(dict(SPEC, backend="cuda"))
    assert plain.fingerprint() == cpu.fingerprint() != cuda.fingerprint()

"""Sweeps on real multi-process Dask clusters: a scheduler and two workers started as processes on 127.0.0.1,
the CLI pointed at them; workers killed, the CLI interrupted, results compared bit for bit."""
import os
import signal
import time

import numpy as np
import pytest
import xarray as xr
import yaml

from tests.helpers.cluster import Cluster, cli

pytestmark = pytest.mark.cluster

SPEC = {
    "name": "cluster-test",
    "connectivity": {"dataset": "hcp80", "conduction_speed": 10.0},
    "model": {"name": "ReducedWongWang", "initial_state": {"S": 0.1}},
    "coupling": {"name": "Linear"},
    "integrator": {"name": "HeunStochastic", "dt": 0.5, "noise": {"nsig": 1.0e-4}},
    "monitors": [{"name": "BalloonWindkessel", "period": 720.0}, {"name": "TemporalAverage", "period": 10.0}],
    "features": [{"name": "fc_fit", "monitor": "balloon_windkessel", "empirical": "hcp80"},
                 {"name": "mean", "monitor": "temporal_average"}],
    "length": 16000.0,
    "transient": 2000.0,
    "seed": 7,
    "repeats": 2,
    # not in alphabetical order: the grid's dimension order must survive the trip to the workers
    "axes": {"noise.nsig": [1.0e-5, 1.0e-4, 1.0e-3], "coupling.a": [0.0, 0.05, 0.1, 0.15]},
    "batch_size": 4,
    "dtype": "float32",
}
def write_spec(path, **changes):
    spec = dict(SPEC, **changes)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(2, tmp_path)
    yield c
    c.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The sweep run uninterrupted on a one-worker LocalCluster."""
    from brainsweep.explore import sweep

    tmp = tmp_path_factory.mktemp("ref")
    return sweep(write_spec(tmp / "spec.yaml"), tmp / "ref.zarr", n_workers=1).load()


def assert_same(a: xr.Dataset, b: xr.Dataset):
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    for name in a.coords:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def done_points(store) -> int:
    try:
        return int(xr.open_zarr(store, consolidated=False)["done"].sum())
    except Exception:  # noqa: BLE001 - store not created yet
        return 0


def test_reference_sweep_is_complete_and_meaningful(reference):
    assert int(reference.done.sum()) == 4 * 3 * 2
    assert (reference.status == 0).all()
    assert reference.fc_fit.dims == ("noise.nsig", "coupling.a", "repeat")
    assert np.isfinite(reference.fc_fit).all()
    # repeats are independent realisations; the fit depends on the coupling
    assert np.any(reference.fc_fit.isel(repeat=0) != reference.fc_fit.isel(repeat=1))
    assert float(reference.fc_fit.sel(**{"coupling.a": 0.1}).mean()) > float(reference.fc_fit.sel(**{"coupling.a": 0.0}).mean())


def test_cli_on_an_existing_cluster_equals_one_worker_and_other_batch_sizes(cluster, reference, tmp_path):
    from brainsweep.explore import sweep

    spec = write_spec(tmp_path / "spec.yaml")
    proc = cli("sweep", spec, "-o", tmp_path / "two.zarr", "--scheduler", cluster.address, "--quiet")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert "24 points" in out and "best FC fit" in out
    assert_same(xr.open_zarr(tmp_path / "two.zarr").load(), reference)
    other = sweep(write_spec(tmp_path / "b12.yaml", batch_size=12), tmp_path / "b12.zarr", n_workers=2).load()
    assert_same(other, reference)


def test_killing_a_worker_mid_sweep_still_computes_every_point_once(cluster, reference, tmp_path):
    store = tmp_path / "killed.zarr"
    proc = cli("sweep", write_spec(tmp_path / "spec.yaml", batch_size=2), "-o", store, "--scheduler",
               cluster.address, "--quiet")
    deadline = time.time() + 300
    while done_points(store) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    cluster.kill_worker(0)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    result = xr.open_zarr(store).load()
    assert int(result.done.sum()) == 24
    assert_same(result.drop_vars([]), reference)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupted_cli_resumes_and_equals_an_uninterrupted_run(reference, tmp_path, sig):
    # One point per block on one worker: 24 blocks finish one after another, never in one burst. The moment the
    # first is seen in the store, the whole process group (CLI, nanny, worker) is frozen with SIGSTOP, so what is
    # done cannot move on while the test reads it and delivers the interruption: no race with a fast machine.
    spec = write_spec(tmp_path / "spec.yaml", batch_size=1)
    store = tmp_path / "interrupted.zarr"
    proc = cli("sweep", spec, "-o", store, "--workers", "1", "--quiet", start_new_session=True)
    group = os.getpgid(proc.pid)
    deadline = time.time() + 300
    while done_points(store) == 0 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.killpg(group, signal.SIGSTOP)
    partial = done_points(store)
    assert proc.poll() is None and 0 < partial < 24, f"the sweep was not caught mid-way ({partial} of 24 done)"
    if sig == signal.SIGKILL:
        os.killpg(group, signal.SIGKILL)
    else:
        proc.send_signal(sig)  # pending until the group is continued: handled before another block can finish
        os.killpg(group, signal.SIGCONT)
    out, err = proc.communicate(timeout=120)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "run the same command again" in err.lower()
    again = cli("sweep", spec, "-o", store, "--workers", "2")
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    skipped = int(out.split("(")[1].split(" already done")[0])
    assert partial <= skipped < 24
    assert_same(xr.open_zarr(store).load(), reference)


def test_a_different_spec_against_an_existing_store_is_refused(reference, tmp_path):
    spec = write_spec(tmp_path / "a.yaml", length=6000.0)
    first = cli("sweep", spec, "-o", tmp_path / "s.zarr", "--workers", "1", "--quiet")
    assert first.wait(timeout=600) == 0
    other = cli("sweep", write_spec(tmp_path / "b.yaml", length=7000.0), "-o", tmp_path / "s.zarr", "--quiet")
    out, err = other.communicate(timeout=120)
    assert other.returncode == 2 and "--overwrite" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("changes, message", [
    (dict(axes={"model.nope": [1, 2]}), "has no parameter 'nope'"),
    (dict(axes={"coupling.a": []}), "is empty"),
    (dict(length="long"), "length must be a number"),
    (dict(connectivity={"file": "/no/such.zip"}), "does not exist"),
])
def test_bad_specs_exit_2_with_one_line_before_simulating(tmp_path, changes, message):
    t0 = time.time()
    proc = cli("sweep", write_spec(tmp_path / "bad.yaml", **changes), "-o", tmp_path / "bad.zarr")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "bad.zarr").exists()
    assert time.time() - t0 < 30


def test_non_writable_store_exits_2(tmp_path):
    (tmp_path / "file").write_text("in the way")
    proc = cli("sweep", write_spec(tmp_path / "spec.yaml"), "-o", tmp_path / "file" / "x.zarr")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and len(err.strip().splitlines()) == 1

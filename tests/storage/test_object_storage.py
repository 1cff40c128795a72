"""Result stores on object storage: a local S3-compatible server (moto), written by a sweep with two worker
processes, interrupted, resumed, and equal to the local-disk run; errors name the location."""
from __future__ import annotations

import os
import signal
import socket
import time

import numpy as np
import pytest
import yaml

from brainsweep import storage
from tests.helpers.cluster import ENV

moto_server = pytest.importorskip("moto.server")
s3fs = pytest.importorskip("s3fs")

SPEC = {
    "name": "s3-sweep",
    "connectivity": {"dataset": "hcp80", "conduction_speed": 10.0},
    "model": {"name": "ReducedWongWang", "initial_state": {"S": 0.1}},
    "integrator": {"name": "HeunStochastic", "dt": 0.5, "noise": {"nsig": 1.0e-4}},
    "monitors": [{"name": "TemporalAverage", "period": 10.0}],
    "features": [{"name": "mean"}, {"name": "fc", "monitor": "temporal_average"}],
    "length": 60000.0,
    "seed": 3,
    "axes": {"coupling.a": [0.0, 0.02, 0.04, 0.06, 0.08, 0.1], "noise.nsig": [1.0e-5, 1.0e-4]},
    "batch_size": 1,
}


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A moto S3 server on 127.0.0.1 and the environment that points boto/s3fs (and child processes) at it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    fs = s3fs.S3FileSystem()
    fs.mkdir("results")
    yield fs
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    server.stop()


def cli(*args):
    """``brainsweep ARGS`` as a subprocess that sees the S3 server (the workers it starts inherit it)."""
    import subprocess
    import sys

    aws = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    return subprocess.Popen([sys.executable, "-m", "brainsweep.cli", *map(str, args)], env={**ENV, **aws},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def done_points(url: str) -> int:
    """Points done so far, as a reader sees them while the sweep writes (consolidated metadata: no listings)."""
    try:
        return int(storage.open_results(url, chunks=None)["done"].sum())
    except Exception:  # noqa: BLE001 - store not created yet
        return 0


def test_sweep_on_s3_is_interrupted_resumes_and_equals_the_local_disk_run(s3, tmp_path):
    from brainsweep.explore import sweep

    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC, sort_keys=False))
    local = sweep(spec, tmp_path / "local.zarr", n_workers=2).load()
    url = "s3://results/sweep.zarr"
    proc = cli("sweep", spec, "-o", url, "--workers", "2", "--quiet")
    deadline = time.time() + 300
    while done_points(url) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "the sweep finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    partial = done_points(url)
    assert 0 < partial < 12
    again = cli("sweep", spec, "-o", url, "--workers", "2")
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert "already done" in out
    remote = storage.open_results(url).load()
    assert int(remote.done.sum()) == 12
    for name in ("mean", "fc", "status", "seed"):
        np.testing.assert_array_equal(remote[name].values, local[name].values, err_msg=name)
    assert s3.exists("results/sweep.zarr/zarr.json")


def test_object_store_errors_name_the_location(s3):
    with pytest.raises(storage.StoreNotWritableError, match="s3://no-such-bucket/x.zarr"):
        storage.check_writable("s3://no-such-bucket/x.zarr")
    s3.pipe("results/not-a-store/data.bin", b"x")
    with pytest.raises(storage.StoreNotWritableError, match="not a Zarr store"):
        storage.check_writable("s3://results/not-a-store")

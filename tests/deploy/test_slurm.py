"""Sweeps and studies on a real Slurm (single node, 127.0.0.1): Dask workers as Slurm jobs through dask-jobqueue,
one job cancelled mid-sweep, and the one-allocation sbatch pattern; results equal a LocalCluster run's bit for bit."""
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from tests.helpers.cluster import cli
from tests.helpers.slurm import slurm  # noqa: F401 - fixture
from tests.helpers.specs import RWW_MEAN_STD

REPO = Path(__file__).resolve().parents[2]
SPEC = dict(
    RWW_MEAN_STD, name="slurm-test", seed=3, dtype="float32",
    integrator={"name": "HeunStochastic", "dt": 0.1, "noise": {"nsig": 1.0e-4}},
    length=60000.0,  # about a second per point here: long enough to cancel a job mid-sweep
    axes={"coupling.a": [round(0.01 * k, 2) for k in range(12)]},
)


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("slurm-spec") / "spec.yaml"
    path.write_text(yaml.safe_dump(SPEC, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def reference(spec_file, tmp_path_factory):
    from brainsweep.explore import sweep

    return sweep(spec_file, tmp_path_factory.mktemp("ref") / "ref.zarr", n_workers=1).load()


def done_points(store) -> int:
    try:
        return int(xr.open_zarr(store, consolidated=False)["done"].sum())
    except Exception:  # noqa: BLE001 - store not created yet
        return 0


def assert_same(a: xr.Dataset, b: xr.Dataset):
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def test_job_script_carries_the_flags_and_one_single_threaded_worker_per_core(tmp_path):
    from dask_jobqueue import SLURMCluster

    from brainsweep.deploy import slurm_settings

    extra = tmp_path / "jobqueue.yaml"
    extra.write_text(yaml.safe_dump({"jobqueue": {"slurm": {"cores": 4, "memory": "8GiB", "walltime": "02:00:00",
                                                            "job-extra-directives": ["--qos=long"]}}}))
    settings = slurm_settings(extra, memory="6GiB", account="lab42", queue="short", cores=2)
    assert settings["processes"] == 2 and settings["cores"] == 2
    with SLURMCluster(**settings, scheduler_options={"host": "127.0.0.1"}) as cluster:
        script = cluster.job_script()
    for line in ("#SBATCH -A lab42", "#SBATCH -p short", "#SBATCH -n 1", "#SBATCH --cpus-per-task=2",
                 "#SBATCH --mem=6G", "#SBATCH -t 02:00:00", "#SBATCH --qos=long",
                 "export NUMBA_NUM_THREADS=1"):
        assert line in script, (line, script)
    assert "--nthreads 1" in script and "--nworkers 2" in script


@pytest.mark.parametrize("bad, field", [({"cores": 0}, "cores"), ({"memory": "lots"}, "memory"),
                                         ({"walltime": "2 hours"}, "walltime"),
                                         ({"job_extra_directives": ["qos=low"]}, "job-extra"),
                                         ({"cores": 4, "processes": 3}, "processes")])
def test_bad_slurm_settings_name_the_field(bad, field):
    from brainsweep.deploy import ClusterLaunchError, slurm_settings

    with pytest.raises(ClusterLaunchError, match=f"^{field}: "):
        slurm_settings(**bad)


def test_cli_refuses_mixed_cluster_flags_in_one_line(spec_file, tmp_path):
    for args, expected in ((["--cluster", "slurm", "--scheduler", "tcp://127.0.0.1:1"], "starts its own scheduler"),
                           (["--jobs", "3"], "--jobs needs --cluster slurm"),
                           (["--memory", "4GiB"], "--memory needs --cluster slurm"),
                           (["--cluster", "slurm", "--image", "i:1"], "--image needs --cluster kubernetes"),
                           (["--cluster", "slurm", "--walltime", "forever"], "walltime: "),
                           (["--cluster", "kubernetes"], "needs --image")):
        proc = cli("sweep", spec_file, "-o", tmp_path / "x.zarr", *args)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2 and expected in err and len(err.strip().splitlines()) == 1, (args, err)
    assert not (tmp_path / "x.zarr").exists()


def test_a_job_slurm_refuses_fails_in_one_line_before_anything_runs(slurm, spec_file, tmp_path):  # noqa: F811
    for flag, expected in ((["--partition", "nosuch"], "invalid partition"),
                           (["--memory", "900TiB"], "requested node configuration")):
        proc = subprocess.run([sys.executable, "-m", "brainsweep.cli", "sweep", str(spec_file), "-o",
                               str(tmp_path / "x.zarr"), "--cluster", "slurm", "--interface", "lo", *flag],
                              env=slurm.env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and "Slurm refuses the worker job" in proc.stderr, proc.stderr
        assert expected in proc.stderr.lower() and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert slurm.jobs() == []


@pytest.mark.cluster
def test_sweep_on_slurm_worker_jobs_survives_a_cancelled_job(slurm, spec_file, reference, tmp_path):  # noqa: F811
    store, logs = tmp_path / "slurm.zarr", tmp_path / "logs"
    proc = subprocess.Popen([sys.executable, "-m", "brainsweep.cli", "sweep", str(spec_file), "-o", str(store),
                             "--cluster", "slurm", "--jobs", "2", "--cores", "1", "--memory", "1GiB",
                             "--interface", "lo", "--log-directory", str(logs)],
                            env=slurm.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    running = []
    while time.time() < deadline and proc.poll() is None:
        running = [j for j in slurm.jobs("brainsweep-worker") if j[2] == "RUNNING"]
        if len(running) == 2 and done_points(store) >= 1:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the sweep ended before a worker job could be cancelled: " + proc.communicate()[1]
    assert len(running) == 2, (slurm.jobs(), slurm.logs())
    assert done_points(store) < len(SPEC["axes"]["coupling.a"])
    slurm.run("scancel", running[0][0], check=True)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err + slurm.logs()
    assert "2 worker job(s) submitted" in err
    result = xr.open_zarr(store).load()
    assert int(result.done.sum()) == len(SPEC["axes"]["coupling.a"])
    assert_same(result, reference)
    deadline = time.time() + 30
    while slurm.jobs("brainsweep-worker") and time.time() < deadline:
        time.sleep(0.5)
    assert slurm.jobs("brainsweep-worker") == [], "worker jobs left behind"


@pytest.mark.cluster
def test_ctrl_c_cancels_the_worker_jobs_and_the_store_resumes(slurm, spec_file, tmp_path):  # noqa: F811
    import signal

    store = tmp_path / "interrupted.zarr"
    proc = subprocess.Popen([sys.executable, "-m", "brainsweep.cli", "sweep", str(spec_file), "-o", str(store),
                             "--cluster", "slurm", "--jobs", "2", "--memory", "1GiB", "--interface", "lo",
                             "--log-directory", str(tmp_path / "logs"), "--quiet"],
                            env=slurm.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None and not (
            done_points(store) >= 1 and len(slurm.jobs("brainsweep-worker")) == 2):
        time.sleep(0.2)
    assert proc.poll() is None and len(slurm.jobs("brainsweep-worker")) == 2
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "run the same command again" in err.lower(), err
    deadline = time.time() + 30
    while slurm.jobs("brainsweep-worker") and time.time() < deadline:
        time.sleep(0.5)
    assert slurm.jobs("brainsweep-worker") == [], "worker jobs left behind after Ctrl-C"
    assert 0 < done_points(store) < len(SPEC["axes"]["coupling.a"])


@pytest.mark.cluster
def test_sbatch_allocation_runs_scheduler_workers_and_the_cli(slurm, spec_file, reference, tmp_path):  # noqa: F811
    store = tmp_path / "sbatch.zarr"
    env = dict(slurm.env, PATH=f"{Path(sys.executable).parent}:{slurm.env['PATH']}", BRAINSWEEP_RUN_DIR=str(tmp_path))
    proc = subprocess.run(["sbatch", "--wait", "--ntasks=2", "--mem-per-cpu=800M", f"--output={tmp_path}/job-%j.out",
                           str(REPO / "deploy" / "slurm" / "sweep.sbatch"), "sweep", str(spec_file), "-o", str(store)],
                          env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    log = "\n".join(p.read_text() for p in tmp_path.glob("job-*.out"))
    assert proc.returncode == 0, proc.stderr + log[-4000:]
    assert "Registering Worker plugin brainsweep-warm-up" in log
    assert log.count("Start worker at") == 2
    assert_same(xr.open_zarr(store).load(), reference)
    assert not list(tmp_path.glob("brainsweep-scheduler-*.json")), "the scheduler file was left behind"


@pytest.mark.cluster
def test_a_study_runs_on_slurm_worker_jobs_and_releases_them(slurm, tmp_path):  # noqa: F811
    study = {k: v for k, v in SPEC.items() if k not in ("axes", "batch_size")}
    study.update(length=4000.0, features=[{"name": "synchrony", "monitor": "temporal_average"}],
                 search={"space": {"coupling.a": {"low": 0.0, "high": 0.2}}, "objective": "synchrony",
                                        "batch_size": 2, "seed": 1})
    spec = tmp_path / "study.yaml"
    spec.write_text(yaml.safe_dump(study, sort_keys=False))
    proc = subprocess.run([sys.executable, "-m", "brainsweep.cli", "optimize", str(spec), "--trials", "4", "-o",
                           str(tmp_path / "study.zarr"), "--cluster", "slurm", "--jobs", "1", "--memory", "1GiB",
                           "--interface", "lo", "--log-directory", str(tmp_path / "logs"), "--quiet"],
                          env=slurm.env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr + slurm.logs()
    assert "4 of 4 trials finished" in proc.stdout
    assert int(xr.open_zarr(tmp_path / "study.zarr").done.sum()) == 4
    deadline = time.time() + 30
    while slurm.jobs("brainsweep-worker") and time.time() < deadline:
        time.sleep(0.5)
    assert slurm.jobs("brainsweep-worker") == [], "worker jobs left behind"

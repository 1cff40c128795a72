"""Dask clusters started through the tools a cluster already uses: Slurm (dask-jobqueue) and Kubernetes
(the Dask Kubernetes operator).

Each launcher is a context manager yielding a connected :class:`distributed.Client`; leaving it (normally, on
an exception, on Ctrl-C or on SIGTERM) releases what it started: Slurm worker jobs are cancelled, the
``DaskCluster`` resource is deleted. The sweep and study code (``brainsweep.explore``) only ever sees the client.
"""
from __future__ import annotations

import contextlib
import copy
import re
import signal
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from importlib import resources
from pathlib import Path

import yaml

#: Environment every worker gets: one numba / BLAS thread per worker process (blocks run side by side).
WORKER_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}

_WALLTIME = re.compile(r"^(\d+-)?(\d+)(:\d{2}){0,2}$")


class ClusterLaunchError(RuntimeError):
    """A cluster could not be started: bad settings, or the batch system / Kubernetes API refused."""


def default_jobqueue_config() -> Path:
    """The ``jobqueue.yaml`` shipped with brainsweep (``deploy/slurm/jobqueue.yaml`` in the repository)."""
    return Path(str(resources.files("brainsweep.deploy") / "slurm" / "jobqueue.yaml"))


def slurm_settings(config: str | Path | None = None, **overrides) -> dict:
    """SLURMCluster keyword arguments: the ``jobqueue.slurm`` section of ``config`` (default: brainsweep's
    ``jobqueue.yaml``), then every override that is not ``None``.

    Parameters
    ----------
    config : path, optional
        A dask-jobqueue YAML file with a ``jobqueue: slurm:`` section.
    **overrides
        ``cores``, ``processes``, ``memory`` (e.g. ``"4GiB"``), ``walltime`` (``"HH:MM:SS"`` or
        ``"D-HH:MM:SS"``), ``account``, ``queue`` (the partition), ``job_extra_directives`` (list of
        ``"--flag=value"``), ``interface``, ``log_directory``, ``local_directory``.

    Raises
    ------
    ClusterLaunchError
        Naming the setting and what it allows.
    """
    from dask.utils import parse_bytes

    path = Path(config) if config is not None else default_jobqueue_config()
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise ClusterLaunchError(f"--jobqueue-config: cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ClusterLaunchError(f"--jobqueue-config: {path} is not valid YAML ({exc})") from None
    section = (doc.get("jobqueue") or {}).get("slurm") if isinstance(doc, dict) else None
    if not isinstance(section, dict):
        raise ClusterLaunchError(f"--jobqueue-config: {path} has no 'jobqueue: slurm:' section")
    settings = {key.replace("-", "_"): value for key, value in section.items()}
    # `name` in jobqueue.yaml is the Slurm job name; as a keyword, SLURMCluster takes it as `job_name`
    if "name" in settings:
        settings["job_name"] = settings.pop("name")
    settings.update({key: value for key, value in overrides.items() if value is not None})

    cores = settings.get("cores")
    if not isinstance(cores, int) or isinstance(cores, bool) or cores < 1:
        raise ClusterLaunchError(f"cores: must be a whole number >= 1 (CPUs per worker job), got {cores!r}")
    if settings.get("processes") is None:
        settings["processes"] = cores  # one single-threaded worker per core
    processes = settings["processes"]
    if not isinstance(processes, int) or processes < 1 or cores % processes:
        raise ClusterLaunchError(f"processes: must divide cores ({cores}), got {processes!r}")
    try:
        if parse_bytes(str(settings.get("memory"))) <= 0:
            raise ValueError
    except (ValueError, TypeError):
        raise ClusterLaunchError(f"memory: a size per worker job such as '2GiB' or '4GB', got "
                                 f"{settings.get('memory')!r}") from None
    walltime = settings.get("walltime")
    if walltime is not None and not _WALLTIME.match(str(walltime)):
        raise ClusterLaunchError(f"walltime: Slurm's MM, HH:MM:SS or D-HH:MM:SS, got {walltime!r}")
    extra = settings.get("job_extra_directives") or []
    if isinstance(extra, str) or not all(isinstance(d, str) and d.startswith("-") for d in extra):
        raise ClusterLaunchError(f"job-extra: sbatch options such as '--qos=normal', got {extra!r}")
    settings["job_extra_directives"] = list(extra)
    prologue = list(settings.get("job_script_prologue") or [])
    exports = " ".join(f"{k}={v}" for k, v in WORKER_ENV.items())
    if not any("NUMBA_NUM_THREADS" in line for line in prologue):
        prologue.insert(0, f"export {exports}")
    settings["job_script_prologue"] = prologue
    return {key: value for key, value in settings.items() if value is not None}


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (``scancel`` of the job running the CLI, ``kill``) unwinds like Ctrl-C, so clusters are released."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def slurm_client(jobs: int, settings: Mapping, announce: Callable[[str], None] | None = None,
                 wait_s: float | None = None) -> Iterator:
    """A client of a dask-jobqueue ``SLURMCluster`` scaled to ``jobs`` worker jobs.

    Parameters
    ----------
    jobs : int
        Worker jobs to submit (each runs ``processes`` single-threaded workers).
    settings : mapping
        From :func:`slurm_settings`.
    announce : callable, optional
        Called with progress lines (jobs submitted, workers up).
    wait_s : float, optional
        Give up when no worker has started after this many seconds (default: wait as long as Slurm queues).

    Leaving the context cancels every worker job (``scancel``), also on Ctrl-C and SIGTERM.
    """
    sigint = signal.getsignal(signal.SIGINT)
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise ClusterLaunchError("--cluster slurm needs dask-jobqueue: pip install 'brainsweep[slurm]'") from None
    finally:
        # importing dask_jobqueue (its runner module) replaces Ctrl-C's handler with sys.exit(): a Ctrl-C would then
        # end the command with status 0 and no word; keep Python's (the sweep reports the interruption, exit 130)
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is not sigint:
            signal.signal(signal.SIGINT, sigint)
    from distributed import Client

    if not isinstance(jobs, int) or jobs < 1:
        raise ClusterLaunchError(f"jobs: the number of Slurm worker jobs, a whole number >= 1, got {jobs!r}")
    say = announce or (lambda line: None)
    kwargs = dict(settings)
    with _sigterm_as_interrupt():
        try:
            with warnings.catch_warnings():
                # the dashboard moves to a free port when 8787 is taken; the sweep prints where it is
                warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
                cluster = SLURMCluster(**kwargs)
        except (ValueError, TypeError, RuntimeError) as exc:
            raise ClusterLaunchError(f"Slurm cluster: {exc}") from None
        try:
            _check_job_script(cluster.job_script(), _describe_job(kwargs))
            cluster.scale(jobs=jobs)
            client = Client(cluster)
            try:
                say(f"Slurm: {jobs} worker job(s) submitted ({kwargs['cores']} core(s), {kwargs['memory']} each, "
                    f"walltime {kwargs.get('walltime', 'default')}); waiting for the first to start (squeue)")
                try:
                    client.wait_for_workers(1, timeout=wait_s)
                except TimeoutError:
                    raise ClusterLaunchError(f"Slurm: no worker job started within {wait_s:g} s; see squeue and the "
                                             f"job logs{_log_hint(kwargs)}") from None
                say(f"Slurm: {len(client.scheduler_info(n_workers=-1)['workers'])} worker(s) up, scheduler "
                    f"{cluster.scheduler_address}")
                yield client
            finally:
                client.close()
        finally:
            cluster.close()  # scancel of every worker job still queued or running


def _describe_job(kwargs: Mapping) -> str:
    parts = [f"--cores {kwargs['cores']}", f"--memory {kwargs['memory']}"]
    parts += [f"--{flag} {kwargs[key]}" for key, flag in (("walltime", "walltime"), ("queue", "partition"),
                                                           ("account", "account")) if kwargs.get(key)]
    parts += [f"--job-extra={d}" for d in kwargs.get("job_extra_directives") or []]
    return " ".join(parts)


def _check_job_script(script: str, description: str) -> None:
    """``sbatch --test-only`` on the worker job script: a partition, account, memory or time Slurm refuses fails
    here, in one line, instead of leaving the sweep waiting for workers that will never start."""
    import os
    import shutil
    import subprocess
    import tempfile

    sbatch = shutil.which("sbatch")
    if sbatch is None:
        raise ClusterLaunchError("--cluster slurm: sbatch not found; run brainsweep where Slurm's commands are "
                                 "(a login node)")
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as fh:
        fh.write(script)
    try:
        proc = subprocess.run([sbatch, "--test-only", fh.name], capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(fh.name)
    if proc.returncode != 0:
        lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {proc.returncode}"
        raise ClusterLaunchError(f"Slurm refuses the worker job ({description}): "
                                 f"{reason.removeprefix('sbatch: error: ')}")


def _log_hint(kwargs: Mapping) -> str:
    return f" in {kwargs['log_directory']}" if kwargs.get("log_directory") else ""


def kubernetes_spec(workers: int, image: str, *, name: str = "brainsweep", cpu: str = "1",
                    memory: str = "2Gi", scheduler_memory: str = "2Gi", secret: str | None = None,
                    env: Mapping[str, str] | None = None, idle_timeout: int = 0) -> dict:
    """A ``DaskCluster`` (kubernetes.dask.org/v1) for the Dask Kubernetes operator, as a dict.

    Parameters
    ----------
    workers : int
        Worker pods (replicas); each runs one single-threaded worker.
    image : str
        Container image holding brainsweep (``deploy/container/Containerfile``).
    name : str
        The DaskCluster's name (a DNS label).
    cpu, memory : str
        Requests and limits of each worker pod (Kubernetes quantities: ``"1"``, ``"500m"``; ``"2Gi"``).
    scheduler_memory : str
        Request and limit of the scheduler pod's memory.
    secret : str, optional
        A Secret whose keys become environment variables of every pod (store credentials such as
        ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``).
    env : mapping, optional
        More environment variables for every pod.
    idle_timeout : int
        Seconds without a client after which the operator deletes the cluster (0: never).
    """
    try:
        from dask_kubernetes.operator import make_cluster_spec
    except ImportError:
        raise ClusterLaunchError("Kubernetes needs dask-kubernetes: pip install 'brainsweep[kubernetes]'") from None
    if not isinstance(workers, int) or workers < 1:
        raise ClusterLaunchError(f"workers: worker pods, a whole number >= 1, got {workers!r}")
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", name):
        raise ClusterLaunchError(f"name: a DNS label (lower-case letters, digits, '-'; at most 63), got {name!r}")
    if not image or any(c.isspace() for c in image):
        raise ClusterLaunchError(f"image: a container image reference such as registry/brainsweep:0.1, got {image!r}")
    for field, quantity in (("cpu", cpu), ("memory", memory), ("scheduler-memory", scheduler_memory)):
        if not re.fullmatch(r"\d+(\.\d+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?", str(quantity)):
            raise ClusterLaunchError(f"{field}: a Kubernetes quantity such as '1', '500m', '2Gi', got {quantity!r}")
    environment = {**WORKER_ENV, "BRAINSWEEP_CACHE_DIR": "/tmp/brainsweep-cache", **(env or {})}
    pod = {"requests": {"cpu": str(cpu), "memory": str(memory)}, "limits": {"cpu": str(cpu), "memory": str(memory)}}
    spec = make_cluster_spec(name=name, image=image, n_workers=workers, resources=pod, env=environment,
                             worker_command="dask worker", idle_timeout=idle_timeout)
    spec = copy.deepcopy(spec)  # make_cluster_spec shares one resources/env object between the pods
    scheduler = spec["spec"]["scheduler"]["spec"]["containers"][0]
    # distributed installs only the `dask` command (no `dask-scheduler`): the operator's default would not start
    scheduler["args"] = ["dask", "scheduler", "--host", "0.0.0.0"]
    scheduler["resources"] = {"requests": {"cpu": "1", "memory": scheduler_memory},
                              "limits": {"cpu": "1", "memory": scheduler_memory}}
    worker = spec["spec"]["worker"]["spec"]["containers"][0]
    worker["args"] = [*worker["args"], "--nthreads", "1", "--nworkers", "1",
                      "--memory-limit", _bytes_from_quantity(memory)]
    if secret:
        for container in (scheduler, worker):
            container["envFrom"] = [{"secretRef": {"name": secret}}]
    for service_port in spec["spec"]["scheduler"]["service"]["ports"]:
        service_port["targetPort"] = str(service_port["targetPort"])
    return _without_none(spec)


def _bytes_from_quantity(quantity: str) -> str:
    """A Kubernetes memory quantity as a number of bytes ``dask worker --memory-limit`` accepts."""
    units = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30,
             "Ti": 2**40, "m": 10**-3}
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([A-Za-z]*)", str(quantity)).groups()
    return str(int(float(number) * units[unit]))


def _without_none(obj):
    """The API server drops null fields; dropping them here makes the rendered manifest what it will store."""
    if isinstance(obj, dict):
        return {k: _without_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_without_none(v) for v in obj]
    return obj


def render_kubernetes(spec: Mapping, secret_template: str | None = None, header: str | None = None) -> str:
    """``spec`` as YAML for ``kubectl apply -f`` (no YAML anchors), optionally preceded by an example Secret and
    a comment ``header`` (e.g. the command that made it)."""
    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data):
            return True

    docs: list = []
    if secret_template:
        docs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": secret_template},
                     "type": "Opaque",
                     "stringData": {"AWS_ACCESS_KEY_ID": "change-me", "AWS_SECRET_ACCESS_KEY": "change-me",
                                    "AWS_ENDPOINT_URL": "https://s3.example.org"}})
    docs.append(spec)
    text = yaml.dump_all(docs, Dumper=_NoAliases, sort_keys=False)
    if header:
        text = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) + text
    return text


@contextlib.contextmanager
def kubernetes_client(spec: Mapping, namespace: str | None = None,
                      announce: Callable[[str], None] | None = None) -> Iterator:
    """A client of a ``DaskCluster`` created from ``spec`` through the operator (``KubeCluster``).

    Needs the operator installed in the cluster and credentials (``~/.kube/config`` or in-cluster). Leaving the
    context deletes the DaskCluster, also on Ctrl-C and SIGTERM.
    """
    try:
        from dask_kubernetes.operator import KubeCluster
    except ImportError:
        raise ClusterLaunchError("--cluster kubernetes needs dask-kubernetes: "
                                 "pip install 'brainsweep[kubernetes]'") from None
    from distributed import Client

    say = announce or (lambda line: None)
    before = set(KubeCluster._instances)
    with _sigterm_as_interrupt():
        try:
            cluster = KubeCluster(custom_cluster_spec=dict(spec), namespace=namespace, shutdown_on_close=True,
                                  quiet=True)
        except Exception as exc:  # noqa: BLE001 - kubernetes clients raise many types; one line for the user
            # a half-made cluster would be "closed" again at exit, against the same missing API: forget it
            for instance in set(KubeCluster._instances) - before:
                KubeCluster._instances.discard(instance)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ClusterLaunchError(f"Kubernetes: cannot create DaskCluster {spec['metadata']['name']!r} "
                                     f"({first}); check kubectl's context and that the Dask operator is "
                                     "installed") from None
        try:
            with Client(cluster) as client:
                say(f"Kubernetes: DaskCluster {spec['metadata']['name']!r} with "
                    f"{spec['spec']['worker']['replicas']} worker pod(s)")
                client.wait_for_workers(1)
                yield client
        finally:
            cluster.close()

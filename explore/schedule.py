"""Run a sweep on Dask: an embedded LocalCluster by default, or any existing cluster.

One task per block of the grid (see :mod:`brainsweep.explore.plan`); tasks write their block into the store
themselves, so only a small summary per block comes back. The base connectome is sent to every worker
once; each worker compiles (or loads from the on-disk cache) the block kernel once, in a warm-up worker plugin
(workers that join later warm up too), with
numba limited to one thread per worker process. A store interrupted half-way is resumed: only blocks not
marked done are submitted again.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

import dask
import numpy as np

from brainsweep import storage

from . import build, tasks
from .plugins import warmed_up
from .spec import load_spec


@dataclass
class SweepReport:
    """What a sweep did: counts, timings (s) and where it ran."""

    store: str
    points: int = 0
    blocks: int = 0
    skipped_blocks: int = 0
    ok: int = 0
    diverged: int = 0
    failed: int = 0
    wall_s: float = 0.0
    kernel_s: float = 0.0
    task_s: float = 0.0
    store_s: float = 0.0
    measure_s: float = 0.0
    busy_s: float = 0.0
    workers: int = 0
    dashboard: str = ""
    summaries: list = field(default_factory=list, repr=False)
    warm_ups: list = field(default_factory=list, repr=False)

    @property
    def scheduling_s(self) -> float:
        """Worker time between its warm-up and its last block not spent inside a block task (s)."""
        return max(self.busy_s - self.task_s, 0.0)


class Progress:
    """A one-line progress bar with ETA on stderr (silent when ``quiet``)."""

    def __init__(self, total: int, quiet: bool = False, stream=None, unit: str = "points"):
        self.total, self.quiet, self.done, self.unit = total, quiet, 0, unit
        self.stream = stream or sys.stderr
        self.t0 = time.perf_counter()

    def update(self, n: int) -> None:
        self.done += n
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / self.done * (self.total - self.done) if self.done else float("nan")
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        eta_text = "--" if eta != eta else f"{int(eta // 60)}m{int(eta % 60):02d}s"
        self.stream.write(f"\r[{'#' * filled}{' ' * (width - filled)}] {self.done}/{self.total} {self.unit}, "
                          f"elapsed {elapsed:.0f}s, ETA {eta_text} ")
        self.stream.flush()

    def close(self) -> None:
        if not self.quiet:
            self.stream.write("\n")
            self.stream.flush()


@contextlib.contextmanager
def connect(client=None, scheduler: str | None = None, scheduler_file: str | None = None,
            n_workers: int | None = None, gpu: bool = False):
    """A Dask client: the one given, one connected to ``scheduler``/``scheduler_file``, or a LocalCluster with one
    single-threaded worker process per core (numba limited to one thread in each).

    The LocalCluster's scheduler serves its dashboard on a free loopback port (never a fixed or public one).
    With ``gpu``, the LocalCluster has one worker per GPU (``n_workers``, default 1), each advertising a
    ``GPU`` resource.
    """
    from distributed import Client, LocalCluster

    if client is not None:
        yield client
        return
    if scheduler or scheduler_file:
        with Client(scheduler, scheduler_file=scheduler_file, timeout="20s") as c:
            yield c
        return
    n = n_workers or (1 if gpu else os.cpu_count() or 1)
    extra = {"resources": {"GPU": 1}} if gpu else {}
    with dask.config.set({"distributed.nanny.pre-spawn-environ.NUMBA_NUM_THREADS": "1",
                          "distributed.worker.daemon": False}):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address="127.0.0.1:0", silence_logs=40, **extra) as cluster:
            with Client(cluster) as c:
                yield c


def sweep(spec, store, client=None, *, scheduler: str | None = None, scheduler_file: str | None = None,
          n_workers: int | None = None, overwrite: bool = False, quiet: bool = True, retries: int = 3,
          report: SweepReport | None = None, announce=None, backend: str | None = None):
    """Run ``spec`` into the Zarr ``store`` and return the results as a lazy :class:`xarray.Dataset`.

    Parameters
    ----------
    spec : SweepSpec, mapping or path
        The sweep (YAML/TOML file, dict or parsed spec).
    store : str or path
        Zarr (v3) store; an interrupted store of the same spec is resumed, another spec's store is refused
        unless ``overwrite``.
    client : distributed.Client, optional
        Use this client; else connect to ``scheduler`` / ``scheduler_file``, else start a LocalCluster.
    n_workers : int, optional
        Workers of the LocalCluster (default: one per core).
    quiet : bool
        No progress bar.
    retries : int
        Times a block is retried when its worker dies.
    report : SweepReport, optional
        Filled in with counts and timings.
    announce : callable, optional
        Called with a line of text (e.g. the dashboard address) once the cluster is up.
    backend : {"cpu", "cuda", "auto"}, optional
        Overrides the spec's ``backend``: ``cuda`` runs every block on a worker advertising a ``GPU`` resource
        (the embedded cluster then has one GPU worker), ``auto`` lets each worker use its GPU if it advertises
        one. GPU sweeps want large blocks (``batch_size`` in the thousands).
    """
    t0 = time.perf_counter()
    spec = with_backend(load_spec(spec), backend)
    check_local_gpu(spec.backend, client, scheduler, scheduler_file)
    store = os.fspath(store)
    storage.check_writable(store)
    base = build.base_connectivity(spec)
    prep = tasks.prepare(spec, base)
    storage.create_store(store, prep.layout, overwrite=overwrite)
    blocks = prep.plan.blocks()
    pending = storage.pending_blocks(store, prep.layout)
    report = report if report is not None else SweepReport(store=store)
    report.store, report.points, report.blocks = store, prep.plan.n_points, len(blocks)
    report.skipped_blocks = len(blocks) - len(pending)
    spec_json = json.dumps(spec.to_dict(), default=str)
    if pending:
        with connect(client, scheduler, scheduler_file, n_workers, gpu=spec.backend == "cuda") as c, \
                _interrupt_guard() as interrupted:
            _run(c, spec_json, pending, store, base, prep, report, quiet, retries, announce, interrupted)
    storage.finalize_store(store)
    report.wall_s = time.perf_counter() - t0
    return storage.open_results(store)


class ClusterError(RuntimeError):
    """The cluster cannot run this work (e.g. a GPU sweep and no GPU worker)."""


def with_backend(spec, backend: str | None):
    """``spec`` with its ``backend`` replaced (validated), or unchanged for ``None``."""
    import dataclasses

    from .spec import BACKENDS, SpecError

    if backend is None:
        return spec
    if backend not in BACKENDS:
        raise SpecError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    return dataclasses.replace(spec, backend=backend)


def check_local_gpu(backend: str, client=None, scheduler: str | None = None,
                    scheduler_file: str | None = None) -> None:
    """Refuse, before anything is written or started, ``cuda`` work for the embedded cluster on a machine without
    a usable GPU (an existing cluster's GPU workers may well have one: they are not checked here)."""
    if backend != "cuda" or client is not None or scheduler or scheduler_file:
        return
    from brainsweep.engine.cuda import cuda_status

    usable, why = cuda_status()
    if not usable:
        raise ClusterError(why)


def gpu_workers(client) -> list[str]:
    """Addresses of the workers advertising a ``GPU`` resource."""
    info = client.scheduler_info(n_workers=-1)["workers"]
    return [addr for addr, w in info.items() if (w.get("resources") or {}).get("GPU", 0) > 0]


def task_resources(backend: str, client) -> dict | None:
    """Dask resource restrictions of a sweep's (or study's) tasks: a ``cuda`` backend needs a GPU worker."""
    if backend != "cuda":
        return None
    if not gpu_workers(client):
        raise ClusterError("backend 'cuda': no worker of this cluster advertises a GPU resource; start the GPU "
                           "workers with `dask worker --resources GPU=1 ...` (the embedded cluster does so with "
                           "--gpu), or use backend 'auto' to run on whatever each worker has")
    return {"GPU": 1}


@contextlib.contextmanager
def _interrupt_guard():
    """Record Ctrl-C (SIGINT) while a sweep runs, in addition to Python's KeyboardInterrupt.

    A KeyboardInterrupt raised while the main thread happens to run a finaliser is printed and dropped by
    Python; the recorded flag lets the wait loop stop the sweep anyway.
    """
    flag = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        flag.set()
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _run(client, spec_json, pending, store, base, prep, report, quiet, retries, announce, interrupted=None):
    from distributed import as_completed

    workers = list(client.scheduler_info(n_workers=-1)["workers"])
    resources = task_resources(prep.spec.backend, client)
    report.workers = len(workers)
    report.dashboard = getattr(client, "dashboard_link", "") or ""
    if announce:
        announce(f"Dask: {report.workers} worker(s), dashboard {report.dashboard or '(none)'}")
    base_future = share(client, base)
    # the spec holds every axis value: sent once per worker like the connectome, not inside each of the tasks
    # (a million-point spec is megabytes; in every task it would cost the scheduler O(points^2) memory)
    spec_future = share(client, spec_json)
    fingerprint = prep.spec.fingerprint()
    sizes = {k: int(np.prod(prep.plan.block_shape(prep.plan.block(k)))) for k in pending}
    # every worker (and any that joins later) readies the block kernel before it takes a block
    with warmed_up(client, tasks.warm_up, spec_json, base) as warm_results:
        progress = Progress(sum(sizes.values()), quiet=quiet)
        futures = [client.submit(tasks.run_block, spec_future, k, store, base_future, pure=False, retries=retries,
                                 key=f"block-{fingerprint}-{k}", resources=resources) for k in pending]
        try:
            for future in as_completed(futures):
                if interrupted is not None and interrupted.is_set():
                    raise KeyboardInterrupt
                summary = future.result()
                report.summaries.append(summary)
                for key in ("ok", "diverged", "failed"):
                    setattr(report, key, getattr(report, key) + summary[key])
                report.kernel_s += summary["kernel_s"]
                report.task_s += summary["task_s"]
                report.store_s += summary["store_s"]
                report.measure_s += summary["measure_s"]
                progress.update(summary["points"])
            if interrupted is not None and interrupted.is_set():
                raise KeyboardInterrupt
        except BaseException:
            client.cancel(futures)
            raise
        finally:
            progress.close()
        report.warm_ups = warm_results()
    report.busy_s = _busy_seconds(report.warm_ups, report.summaries)


def _value(obj):
    return obj


def share(client, obj):
    """A future holding ``obj`` that every task can depend on; sent to each worker once, when it first needs it.

    Not ``client.scatter``: scattered data that lives on a worker that dies is lost for good (the scheduler
    cancels every task depending on it). This is a task whose result is ``obj`` itself, so the scheduler simply
    recomputes it (from the object kept in the task) on another worker.
    """
    key = f"brainsweep-shared-{type(obj).__name__}-{uuid.uuid4().hex[:12]}"
    return client.submit(_value, obj, key=key, pure=False)


def _busy_seconds(warm_ups: list, summaries: list) -> float:
    """Sum over workers of the time from the end of its warm-up (or first block start) to its last block's end."""
    warm_end = {w["worker"]: w["ended"] for w in warm_ups}
    spans: dict[str, list[float]] = {}
    for s in summaries:
        span = spans.setdefault(s["worker"], [s["started"], s["ended"]])
        span[0], span[1] = min(span[0], s["started"]), max(span[1], s["ended"])
    return sum(end - min(warm_end.get(w, start), start) for w, (start, end) in spans.items())


__all__ = ["ClusterError", "with_backend", "check_local_gpu", "gpu_workers", "task_resources", "sweep", "connect", "SweepReport", "Progress"]

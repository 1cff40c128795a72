#!/usr/bin/env python
"""The framework's own overhead at scale: 10^3, 10^4 and 10^5 tasks with a trivial kernel on a LocalCluster.

Each task is one sweep block of one point whose simulation costs almost nothing (Linear model on the bundled
80-region connectome, 10 steps of 0.1 ms, one TemporalAverage sample, one ``mean`` feature), so what is measured
is brainsweep + Dask + Zarr per task: planning and submitting the blocks, the scheduler's round trip, the task's
fixed costs, the store write, and the client's memory while it holds every future. These are the figures
``deploy/README.md`` uses to plan a 1,000,000-point sweep.

Per row (each in a fresh client process, so its peak RSS is its own):

- wall: the whole ``sweep()`` call (cluster start, blocks, store finalisation)
- tasks/s: tasks over the block phase (first block start to last block end)
- per task (worker ms): worker time per task, split into inside the task (kernel + features + store write)
  and outside it (scheduler round trip, deserialisation: ``busy - task`` time of the workers)
- store writes/s: block writes per second of worker time spent writing (one worker), and over the whole run
- client peak RSS: the CLI's process, which also holds the LocalCluster's scheduler (as the CLI runs it)

Figures are printed, never asserted::

    . .venv/bin/activate
    python benchmarks/scale.py                        # 10^3, 10^4, 10^5 tasks (about 25 minutes on 2 cores)
    python benchmarks/scale.py --tasks 1000 10000     # a quicker look
    python benchmarks/scale.py --json results/scale.json
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

ROW = r"""
import json, os, resource, sys, tempfile, time
import numpy as np
from brainsweep.explore import SweepReport, sweep

n_tasks, workers = int(sys.argv[1]), int(sys.argv[2])
spec = {
    "name": f"scale-{n_tasks}",
    "connectivity": {"dataset": "hcp80", "conduction_speed": 10.0},
    "model": {"name": "Linear"},
    "coupling": {"name": "Linear"},
    "integrator": {"name": "HeunDeterministic", "dt": 0.1},
    "monitors": [{"name": "TemporalAverage", "period": 1.0}],
    "features": [{"name": "mean", "monitor": "temporal_average"}],
    "length": 1.0,
    "axes": {"coupling.a": np.linspace(0.0, 0.001, n_tasks).tolist()},
    "batch_size": 1,
    "dtype": "float64",
}
with tempfile.TemporaryDirectory(prefix="bs-scale-") as tmp:
    report = SweepReport(store="")
    from distributed import Client, LocalCluster
    import dask
    with dask.config.set({"distributed.nanny.pre-spawn-environ.NUMBA_NUM_THREADS": "1"}):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=40) as cluster, Client(cluster) as client:
            t0 = time.perf_counter()
            sweep(spec, os.path.join(tmp, "s.zarr"), client, quiet=True, report=report)
            wall = time.perf_counter() - t0
    starts = [s["started"] for s in report.summaries if "started" in s]
    ends = [s["ended"] for s in report.summaries if "ended" in s]
    phase = (max(ends) - min(starts)) if starts and ends else report.busy_s / max(workers, 1)
    store_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(tmp, "s.zarr"))
                      for f in fs)
print(json.dumps({
    "tasks": n_tasks, "workers": workers, "wall_s": wall, "phase_s": phase,
    "task_s": report.task_s, "busy_s": report.busy_s, "store_s": report.store_s, "kernel_s": report.kernel_s,
    "client_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    "store_bytes": store_bytes,
    "ok": report.ok,
}))
"""


def run_row(n_tasks: int, workers: int) -> dict:
    proc = subprocess.run([sys.executable, "-c", ROW, str(n_tasks), str(workers)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{n_tasks} tasks failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", default=None, help="also write the rows as JSON")
    args = ap.parse_args()

    import brainsweep
    import dask
    import distributed
    import zarr

    print(f"brainsweep {brainsweep.__version__}, dask/distributed {dask.__version__}/{distributed.__version__}, "
          f"zarr {zarr.__version__}; {args.workers} single-threaded worker(s) on {os.cpu_count()} core(s); "
          f"one point per task, trivial kernel (Linear model, 80 regions, 10 steps)")
    head = (f"{'tasks':>8} {'wall s':>8} {'tasks/s':>8} {'worker ms/task':>15} {'in task':>8} {'outside':>8} "
            f"{'store w/s':>10} {'client+scheduler RSS':>21} {'store MB':>9}")
    print(head)
    print("-" * len(head))
    rows = []
    for n in args.tasks:
        r = run_row(n, args.workers)
        r["tasks_per_s"] = n / r["phase_s"]
        r["worker_ms_per_task"] = 1000 * r["busy_s"] / n
        r["in_task_ms"] = 1000 * r["task_s"] / n
        r["outside_ms"] = 1000 * max(r["busy_s"] - r["task_s"], 0.0) / n
        r["store_writes_per_worker_s"] = n / r["store_s"] if r["store_s"] else float("nan")
        rows.append(r)
        print(f"{n:>8} {r['wall_s']:>8.1f} {r['tasks_per_s']:>8.0f} {r['worker_ms_per_task']:>15.2f} "
              f"{r['in_task_ms']:>8.2f} {r['outside_ms']:>8.2f} {r['store_writes_per_worker_s']:>10.0f} "
              f"{r['client_rss'] / 2**20:>17.0f} MiB {r['store_bytes'] / 1e6:>9.1f}", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"workers": args.workers, "cores": os.cpu_count(), "rows": rows}, fh, indent=1)
        print(f"written {args.json}")


if __name__ == "__main__":
    main()

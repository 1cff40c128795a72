#!/usr/bin/env python
"""The seed's TVB scripts under tvb-library and under brainsweep.lab, side by side in one run.

    python benchmarks/tvb_scripts.py                  # examples 7, 8 and 10 as written (TVB takes a long while)
    python benchmarks/tvb_scripts.py --scale 0.1      # every simulation_length x 0.1 (a quick look)
    python benchmarks/tvb_scripts.py --json out.json

The scripts are the seed's own code blocks (``../shared/seed/000_0abe62e6e780d64e.txt``): example 7 (the
resting-state script, 10 s of Generic2dOscillator with TemporalAverage and Raw monitors), example 8 (60 s of
ReducedWongWang with BOLD) and example 10 (the 20-point coupling sweep of 60 s BOLD runs, a loop of 20
simulators). Each runs in its own fresh process, once with ``tvb.simulator.lab`` and once with the import
lines rewritten to ``brainsweep.lab`` (:func:`brainsweep.lab.port_source`); brainsweep runs once with an empty
kernel cache (compilation included, what a first run costs) and once with the cache filled. A last row runs
example 10's 20 couplings as one batch of the engine (``Simulator.run(batch=...)``), the native way.

Columns: wall time of the script body (imports excluded), simulated seconds per wall second (all simulations
of the script), the process's peak RSS. Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seed" / "000_0abe62e6e780d64e.txt"

#: simulated seconds of each example as written, per simulation, and the number of simulations
WORKLOAD = {7: (10.0, 1), 8: (60.0, 1), 10: (60.0, 20)}

CHILD = r"""
import json, os, resource, sys, time, warnings, logging
warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)
import matplotlib
matplotlib.use("Agg")
import numpy as np
source = open(sys.argv[1]).read()
ns = {"__name__": "__bench__"}
os.chdir(sys.argv[2])
t0 = time.perf_counter()
exec(compile(source, "<example>", "exec"), ns)
wall = time.perf_counter() - t0
print(json.dumps({"wall_s": wall, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))
"""

BATCHED = """
import numpy as np
import brainsweep as bs
conn = bs.Connectivity.from_tvb_data()
coupling_values = np.linspace(0.001, 0.05, 20)
sim = bs.Simulator(conn, model=bs.models.ReducedWongWang(), coupling=bs.coupling.Linear(),
                   integrator=bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=0.001)),
                   monitors=[bs.monitors.Bold(period=2000.0)], seed=42)
ds = sim.run(LENGTH, batch={"coupling.a": coupling_values}, seeds=[42] * 20)
fc_simulated_all = np.array([np.corrcoef(b.T) for b in ds.bold.isel(variable=0).values])
"""


def seed_examples() -> dict[int, str]:
    from brainsweep.lab.porting import example_blocks

    if not SEED.exists():
        sys.exit(f"the seed ({SEED}) is not here: this benchmark runs the seed's own scripts")
    return example_blocks(SEED.read_text())


def run_child(code: str, env_extra: dict, workdir: Path) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(code)
    env = dict(os.environ, **env_extra)
    proc = subprocess.run([sys.executable, "-c", CHILD, fh.name, str(workdir)], capture_output=True, text=True,
                          env=env)
    os.unlink(fh.name)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every simulation_length (default 1)")
    parser.add_argument("--examples", default="7,8,10", help="seed examples to time (default 7,8,10)")
    parser.add_argument("--skip-tvb", action="store_true", help="time brainsweep only")
    parser.add_argument("--json", type=Path, help="write the rows here too")
    args = parser.parse_args(argv)
    from brainsweep.lab.porting import port_source, with_simulation_lengths

    examples = seed_examples()
    wanted = [int(x) for x in args.examples.split(",")]
    rows = []
    work = Path(tempfile.mkdtemp(prefix="tvb-scripts-"))
    cache = Path(tempfile.mkdtemp(prefix="bs-cache-"))
    for k in wanted:
        length, count = WORKLOAD[k]
        simulated = length * count * args.scale
        code = with_simulation_lengths(examples[k], lambda ms: ms * args.scale)
        runs = [] if args.skip_tvb else [("tvb-library 2.10", code, {})]
        ported = port_source(code)
        runs += [("brainsweep.lab, cold cache", ported, {"BRAINSWEEP_CACHE_DIR": str(cache / f"ex{k}")}),
                 ("brainsweep.lab, warm cache", ported, {"BRAINSWEEP_CACHE_DIR": str(cache / f"ex{k}")})]
        if k == 10:
            batched = BATCHED.replace("LENGTH", repr(60000.0 * args.scale))
            runs.append(("brainsweep batch of 20, warm", batched, {"BRAINSWEEP_CACHE_DIR": str(cache / "batch")}))
            run_child(batched, {"BRAINSWEEP_CACHE_DIR": str(cache / "batch")}, work)      # fill its cache
        for label, source, env in runs:
            r = run_child(source, env, work)
            row = {"example": k, "runner": label, "simulated_s": simulated, **r}
            if "wall_s" in r:
                row["sim_s_per_wall_s"] = simulated / r["wall_s"]
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)

    print(f"\nseed examples as written x {args.scale:g} (python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores; wall time of the script body, imports excluded)\n")
    head = f"{'example':>7}  {'runner':32s} {'simulated s':>11} {'wall s':>9} {'sim-s/wall-s':>12} {'peak RSS MiB':>12}"
    print(head)
    print("-" * len(head))
    base = {}
    for row in rows:
        if "error" in row:
            print(f"{row['example']:>7}  {row['runner']:32s} {row['simulated_s']:>11.1f}  failed: {row['error']}")
            continue
        if row["runner"].startswith("tvb"):
            base[row["example"]] = row["wall_s"]
        speed = f" ({base[row['example']] / row['wall_s']:.0f}x TVB)" if row["example"] in base and \
            not row["runner"].startswith("tvb") else ""
        print(f"{row['example']:>7}  {row['runner']:32s} {row['simulated_s']:>11.1f} {row['wall_s']:>9.2f} "
              f"{row['sim_s_per_wall_s']:>12.2f} {row['rss_mib']:>12.0f}{speed}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

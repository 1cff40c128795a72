#!/usr/bin/env python
"""Batched kernel on an NVIDIA GPU against the CPU kernel per core, in one run.

    python benchmarks/gpu.py                   # full table (about 3-4 minutes on an H100/H200)
    python benchmarks/gpu.py --quick           # smoke run
    python benchmarks/gpu.py --sweep10k        # also: 10,000 points x 60 s with BOLD and FC fit
    python benchmarks/gpu.py --tune            # first: kernel options (CANDIDATES) at N = 100; the fastest is used
    python benchmarks/gpu.py --json out.json

Workload (issue 15): stochastic ReducedWongWang (HeunStochastic, dt 0.1 ms, nsig 1e-3) with conduction delays
and Balloon-Windkessel BOLD (TR 720 ms, integrated on the device), float32 and float64, on

- N = 80: the bundled HCP group connectome (fibre lengths, 10 mm/ms: delays up to ~20 ms = 200 steps);
- N = 100: a synthetic dense distance-dependent connectome (centres in a 140 mm ellipsoid, weights
  exp(-d / 40 mm), 10 mm/ms).

Rows: for B batch members (from 64 up to the largest in the plan that fits the GPU's memory), wall time of a
run of ``length`` ms after a warm-up run (compilation excluded; the compile time is its own column),
simulated seconds per wall second (B * length / wall), GPU memory in use at the end of the run (device
total - free) and the host's peak RSS. The CPU row runs the same simulation with the CPU kernel on one core
(16 lanes, float32 and float64). With ``--tune``, the kernel options in :data:`CANDIDATES` are timed first
(N = 100, float32) and the fastest whose final state matches the first row's is used for every GPU row and
the sweep (the ``block`` column: lanes x node threads per block, lanes per thread, unrolling, register cap).
Figures are printed, never asserted.
"""
from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def connectome(n: int):
    import brainsweep as bs
    from brainsweep.engine.datasets import bundled_hcp80

    if n == 80:
        g = bundled_hcp80()
        return bs.Connectivity(weights=np.asarray(g.sc), tract_lengths=np.asarray(g.lengths),
                               conduction_speed=10.0)
    rng = np.random.default_rng(100)
    centres = rng.normal(size=(n, 3)) * np.array([70.0, 50.0, 40.0]) / 2.0
    d = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
    w = np.exp(-d / 40.0)
    np.fill_diagonal(w, 0.0)
    return bs.Connectivity(weights=w / w.max(), tract_lengths=d, conduction_speed=10.0)


def for_network(options: dict | None, n: int) -> dict:
    """``options`` for an N-node network: a candidate's one node thread per node (100) becomes ``n``."""
    options = dict(options or {})
    if options.get("cuda_node_threads") == 100:
        options["cuda_node_threads"] = n
    return options


def simulator(conn, dtype: str, backend: str, options: dict | None = None):
    import brainsweep as bs

    options = for_network(options, conn.number_of_regions)
    return bs.Simulator(connectivity=conn, model=bs.models.ReducedWongWang(), coupling=bs.coupling.Linear(a=0.2),
                        integrator=bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=1e-3)),
                        monitors=[bs.monitors.BalloonWindkessel(period=720.0)], dtype=dtype, seed=0,
                        backend=backend, kernel_options=options or {},
                        initial_conditions=np.full((1, conn.number_of_regions), 0.2))


def batch(B: int) -> dict:
    return dict(batch={"coupling.a": np.linspace(0.05, 0.5, B)}, seeds=range(B))


def gpu_memory_used() -> float:
    from numba import cuda

    free, total = cuda.current_context().get_memory_info()
    return (total - free) / 2 ** 30


def launch_label(ln) -> str:
    """Kernel launch in a table cell: lanes x node threads, lanes per thread, unroll, register cap."""
    regs = f" r{ln.max_registers}" if ln.max_registers else ""
    return f"{ln.lanes_per_block}x{ln.node_threads} k{ln.lanes_per_thread} u{ln.unroll}{regs}"


def gpu_row(conn, dtype, B, length, options=None, keep_state=False):
    from numba import cuda

    sim = simulator(conn, dtype, "cuda", options)
    t0 = time.perf_counter()
    sim.run(10.0, **batch(B))                    # compile + warm-up
    first = time.perf_counter() - t0
    sim.reset()
    cuda.synchronize()
    t0 = time.perf_counter()
    ds = sim.run(length, **batch(B))
    cuda.synchronize()
    wall = time.perf_counter() - t0
    used = gpu_memory_used()
    bold = ds["balloon_windkessel"].values
    ok = bool(np.isfinite(bold).all()) and (bold.shape[1] > 0 or length < 720.0)
    state = np.array(sim._state.X) if keep_state else None
    del sim, ds
    row = dict(backend="cuda", N=conn.number_of_regions, dtype=dtype, B=B, length_ms=length, wall_s=wall,
               first_run_s=first, sims_per_s=B * length / 1000.0 / wall, gpu_mem_gib=used, rss_mib=rss_mib(),
               bold_finite=ok, block=label_for(conn, B, options, dtype))
    if keep_state:
        row["_state"] = state
    return row


def label_for(conn, B, options, dtype="float32"):
    from brainsweep.engine.cuda import choose_launch

    return launch_label(choose_launch(conn.number_of_regions, B, for_network(options, conn.number_of_regions), dtype))


def cpu_row(conn, dtype, B, length):
    sim = simulator(conn, dtype, "cpu")
    t0 = time.perf_counter()
    sim.run(10.0, **batch(B))
    first = time.perf_counter() - t0
    sim.reset()
    t0 = time.perf_counter()
    sim.run(length, **batch(B))
    wall = time.perf_counter() - t0
    return dict(backend="cpu (1 core)", N=conn.number_of_regions, dtype=dtype, B=B, length_ms=length, wall_s=wall,
                first_run_s=first, sims_per_s=B * length / 1000.0 / wall, gpu_mem_gib=float("nan"),
                rss_mib=rss_mib(), bold_finite=True, block="")


def sweep10k(conn, dtype="float32", options=None, points=10_000, length=60_000.0, guard=240.0, probe=3_000.0,
             transient=10_000.0, empirical=None, fcd=True):
    """A 10,000-point sweep of 60 s points, all on the GPU: BOLD, FC and FC fit to the HCP group FC computed on
    the device (``FCSummary``), and with ``fcd`` the FCD (30-sample windows every 10 samples, as the sweeps'
    ``fcd_ks``) whose values the host turns into the KS distance to the HCP group's (``FCDSummary``), so only
    these cross to the host.

    A probe run of ``probe`` ms projects the total first; when it exceeds ``guard`` seconds the sweep is not
    run and the projection is reported instead."""
    from brainsweep.engine.datasets import bundled_hcp80
    from brainsweep.engine.summaries import FCDSummary, FCSummary
    from numba import cuda

    emp = bundled_hcp80().fc if empirical is None else empirical
    summaries = [FCSummary(monitor="balloon_windkessel", transient=transient, empirical=emp)]
    if fcd:
        summaries.append(FCDSummary(monitor="balloon_windkessel", transient=transient, window=21_600.0, step=7_200.0,
                                    empirical=bundled_hcp80().fcd_values, entries="full"))
    sim = simulator(conn, dtype, "cuda", options)
    sim.run(10.0, **batch(points))
    sim.reset()
    cuda.synchronize()
    t0 = time.perf_counter()
    sim.run(probe, **batch(points))
    cuda.synchronize()
    projected = (time.perf_counter() - t0) * length / probe
    sim.reset()
    label = label_for(conn, points, options, dtype)
    if projected > guard:
        return dict(points=points, length_ms=length, completed=False, projected_s=projected, probe_ms=probe,
                    block=label)
    t0 = time.perf_counter()
    ds = sim.run(length, **batch(points), summaries=summaries)
    r = np.asarray(ds["fc_fit"].values)
    wall = time.perf_counter() - t0
    ks = np.asarray(ds["fcd_ks"].values) if fcd else np.full(points, np.nan)
    return dict(points=points, length_ms=length, completed=True, total_s=wall, projected_s=projected,
                sims_per_s=points * length / 1000.0 / wall, best_r=float(np.nanmax(r)),
                best_coupling=float(np.asarray(ds["coupling.a"].values)[np.nanargmax(r)]),
                finite_fits=int(np.isfinite(r).sum()), fcd=bool(fcd), finite_fcd_ks=int(np.isfinite(ks).sum()),
                best_fcd_ks=float(np.nanmin(ks)) if np.isfinite(ks).any() else float("nan"),
                result_bytes=int(ds.nbytes), gpu_mem_gib=gpu_memory_used(), block=label)


#: Kernel options tried by ``--tune`` (N = 100, float32): block shape, lanes per thread, unrolling, register cap.
CANDIDATES = [
    {"cuda_lanes_per_thread": 1},
    {"cuda_lanes_per_thread": 2},
    {"cuda_lanes_per_thread": 4},
    {"cuda_lanes_per_block": 8, "cuda_node_threads": 100},
    {"cuda_lanes_per_thread": 2, "cuda_max_registers": 64},
    {"cuda_lanes_per_thread": 2, "cuda_unroll": 8},
    {"cuda_lanes_per_block": 8, "cuda_node_threads": 100, "cuda_lanes_per_thread": 2},
    {"cuda_max_registers": 64},
    {"cuda_unroll": 8},
    {"cuda_lanes_per_block": 32, "cuda_node_threads": 32, "cuda_lanes_per_thread": 2},
    # more node threads per lane: more warps for batches of ~10,000 (4 lanes per thread and 8 node threads
    # leave a batch of 10,000 with 79 blocks, ~5 warps per SM on an H100)
    {"cuda_lanes_per_thread": 4, "cuda_node_threads": 16},
    {"cuda_lanes_per_block": 16, "cuda_node_threads": 32, "cuda_lanes_per_thread": 4},
    {"cuda_lanes_per_thread": 2, "cuda_node_threads": 16},
]


#: Candidates for batches of about 10,000 (``--tune-set small``): at 2 lanes per thread and 8 node threads a
#: batch of 10,000 fills 157 blocks, ~9 warps per SM; more node threads (balanced over 80 nodes: 16, 20, 40)
#: give the scheduler more warps to hide the edge loads.
SMALL_BATCH_CANDIDATES = [
    {},
    {"cuda_lanes_per_thread": 1},
    {"cuda_lanes_per_thread": 1, "cuda_node_threads": 16},
    {"cuda_lanes_per_thread": 1, "cuda_node_threads": 20},
    {"cuda_lanes_per_thread": 1, "cuda_node_threads": 32},
    {"cuda_lanes_per_thread": 2, "cuda_node_threads": 16},
    {"cuda_lanes_per_thread": 2, "cuda_node_threads": 20},
    {"cuda_lanes_per_thread": 2, "cuda_node_threads": 32},
    {"cuda_lanes_per_block": 16, "cuda_node_threads": 40, "cuda_lanes_per_thread": 2},
    {"cuda_lanes_per_thread": 4},
    {"cuda_lanes_per_thread": 4, "cuda_node_threads": 16},
    {"cuda_lanes_per_thread": 4, "cuda_node_threads": 32},
]


def _compile_one(job):
    """Compile (and cache on disk) the kernel of one (N, dtype, options) by a one-step run in this process."""
    n, dtype, options = job
    t0 = time.perf_counter()
    try:
        simulator(connectome(n), dtype, "cuda", options).run(0.1, **batch(64))
        return job, time.perf_counter() - t0, ""
    except Exception as exc:                      # reported, and the timed run reports it again
        return job, time.perf_counter() - t0, f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


def precompile(jobs: list, processes: int) -> None:
    """Compile the kernels of ``jobs`` in parallel processes (numba's on-disk cache keeps them for the timed
    runs, whose first run then only loads them): on a 16-core host a dozen kernels in the time of one or two."""
    import multiprocessing as mp

    unique = list({json.dumps(j, sort_keys=True): j for j in jobs}.values())
    t0 = time.perf_counter()
    with mp.get_context("spawn").Pool(min(processes, len(unique))) as pool:
        for job, seconds, error in pool.imap_unordered(_compile_one, [tuple(j) for j in unique]):
            print(f"  compiled N={job[0]} {job[1]} {job[2]}: {seconds:.1f} s {error}", flush=True)
    print(f"precompiled {len(unique)} kernels in {time.perf_counter() - t0:.1f} s", flush=True)


PLAN = {
    # (N, dtype): batch sizes
    (100, "float32"): [64, 4096, 16384, 65536, 131072],
    (100, "float64"): [16384, 65536],
    (80, "float32"): [4096, 16384, 65536],
    (80, "float64"): [65536],
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--length", type=float, default=1440.0, help="simulated ms per timed run (default 2 TRs)")
    p.add_argument("--sweep10k", action="store_true")
    p.add_argument("--sweep-no-fcd", action="store_true",
                   help="the sweep without its FCD summary (FC fit only, as measured on 2026-11-27)")
    p.add_argument("--sweep-guard", type=float, default=240.0,
                   help="skip the sweep when a short probe projects more than this many seconds")
    p.add_argument("--plan", default=None,
                   help="GPU rows instead of PLAN, e.g. '100:float32:16384,131072;80:float32:65536'")
    p.add_argument("--no-cpu", action="store_true", help="leave out the CPU rows")
    p.add_argument("--tune", action="store_true",
                   help="first try the kernel options in CANDIDATES at N = 100, float32, and use the fastest below")
    p.add_argument("--tune-batch", type=int, default=32768)
    p.add_argument("--tune-n", type=int, default=100, choices=(80, 100), help="network size tuned at")
    p.add_argument("--tune-set", default="large", choices=("large", "small"),
                   help="CANDIDATES (large batches) or SMALL_BATCH_CANDIDATES (about 10,000)")
    p.add_argument("--rows-default", action="store_true",
                   help="GPU rows with the default launch (the tuned options go to the sweep only)")
    p.add_argument("--precompile", type=int, default=0, metavar="PROCESSES",
                   help="first compile every kernel the run needs in this many parallel processes")
    p.add_argument("--tune-budget", type=float, default=120.0, help="stop tuning after this many seconds")
    p.add_argument("--tune-length", type=float, default=144.0)
    p.add_argument("--budget", type=float, default=420.0, help="stop starting new rows after this many seconds")
    p.add_argument("--json")
    args = p.parse_args(argv)
    start = time.perf_counter()
    from brainsweep.engine.cuda import cuda_status

    ok, device = cuda_status()
    print(f"device: {device}; python {platform.python_version()}; host cores {os.cpu_count()}", flush=True)
    rows = []
    conns = {n: connectome(n) for n in (80, 100)}
    for n, c in conns.items():
        L = c.tract_lengths[c.weights > 0]
        print(f"N = {n}: {int((c.weights > 0).sum())} connections, longest delay "
              f"{L.max() / c.conduction_speed:.1f} ms", flush=True)
    plan = {k: v[:2] for k, v in PLAN.items()} if args.quick else PLAN
    if args.plan:
        plan = {}
        for part in args.plan.split(";"):
            n, dtype, sizes = part.split(":")
            plan[(int(n), dtype)] = [int(b) for b in sizes.split(",")]
    header = (f"{'backend':>14} {'N':>4} {'dtype':>8} {'B':>6} {'sim ms':>7} {'wall s':>8} {'sim-s/s':>9} "
              f"{'compile+warm s':>14} {'GPU GiB':>8} {'RSS MiB':>8} {'block':>12}")

    def show(r):
        print(f"{r['backend']:>14} {r['N']:>4} {r['dtype']:>8} {r['B']:>6} {r['length_ms']:>7.0f} "
              f"{r['wall_s']:>8.3f} {r['sims_per_s']:>9.1f} {r['first_run_s']:>14.2f} {r['gpu_mem_gib']:>8.2f} "
              f"{r['rss_mib']:>8.0f} {r['block']:>12}", flush=True)

    candidates = CANDIDATES if args.tune_set == "large" else SMALL_BATCH_CANDIDATES
    if ok and args.precompile:
        from brainsweep.engine.cuda import choose_launch

        def explicit(n, B, opts, dtype="float32"):
            """``opts`` with the launch that ``choose_launch`` picks for B made explicit (B is a run-time
            argument: the compiled kernel depends only on the launch shape)."""
            ln = choose_launch(n, B, for_network(opts, n), dtype)
            return {"cuda_lanes_per_block": ln.lanes_per_block, "cuda_node_threads": ln.node_threads,
                    "cuda_lanes_per_thread": ln.lanes_per_thread, "cuda_unroll": ln.unroll,
                    **({"cuda_max_registers": ln.max_registers} if ln.max_registers else {})}

        jobs = [(args.tune_n, "float32", explicit(args.tune_n, args.tune_batch, o)) for o in candidates] \
            if args.tune else []
        # rows with the default launch (rows with tuned options compile when they first run)
        jobs += [(n, dtype, explicit(n, B, {}, dtype)) for (n, dtype), sizes in plan.items() for B in sizes]
        if args.sweep10k and not args.tune:
            jobs.append((80, "float32", explicit(80, 10_000, {})))
        precompile(jobs, args.precompile)
    print(header, flush=True)
    best = {}
    if ok and args.tune:
        print(f"kernel options at N = {args.tune_n}, float32, B = {args.tune_batch}, {args.tune_length:.0f} ms "
              "(state compared with the first row's):", flush=True)
        ref = None
        for opts in candidates:
            if time.perf_counter() - start > args.tune_budget:
                print("(tuning budget reached: remaining candidates skipped)")
                break
            try:
                r = gpu_row(conns[args.tune_n], "float32", args.tune_batch, args.tune_length, opts, keep_state=True)
            except Exception as exc:
                print(f"{opts}: {type(exc).__name__}: {str(exc).splitlines()[0]}", flush=True)
                continue
            state = r.pop("_state")
            ref = state if ref is None else ref
            r["max_rel_vs_first"] = float(np.max(np.abs(state - ref) / np.maximum(np.abs(ref), 1e-6)))
            r["options"] = opts
            r["tuning"] = True
            rows.append(r)
            show(r)
            print(f"{'':>14} max rel. difference of the final state from the first row's: "
                  f"{r['max_rel_vs_first']:.1e}", flush=True)
        tuned = [r for r in rows if r.get("tuning") and r["max_rel_vs_first"] < 1e-3]
        if tuned:
            best = max(tuned, key=lambda r: r["sims_per_s"])["options"]
            print(f"fastest: {label_for(conns[args.tune_n], args.tune_batch, best)} {best}: used below", flush=True)
    if ok:
        for (n, dtype), sizes in plan.items():
            for B in sizes:
                if time.perf_counter() - start > args.budget:
                    print(f"(budget of {args.budget:.0f} s reached: N={n} {dtype} B={B} and later rows skipped)")
                    break
                try:
                    rows.append(gpu_row(conns[n], dtype, B, args.length if not args.quick else 200.0,
                                        {} if args.rows_default else best))
                    show(rows[-1])
                except Exception as exc:           # e.g. out of memory: the largest size that fits is the one before
                    print(f"N={n} {dtype} B={B}: {type(exc).__name__}: {str(exc).splitlines()[0]}", flush=True)
                    break
        sweep = None
        if args.sweep10k:
            sweep = sweep10k(conns[80], options=best, guard=args.sweep_guard, fcd=not args.sweep_no_fcd)
            if sweep["completed"]:
                print("sweep of 10,000 x 60 s points (HCP 80, float32; BOLD, FC, FC fit"
                      f"{' and FCD' if sweep['fcd'] else ''} on the GPU): "
                      f"total {sweep['total_s']:.1f} s ({sweep['sims_per_s']:.0f} sim-s/s; probe projected "
                      f"{sweep['projected_s']:.0f} s), best r {sweep['best_r']:.3f} at coupling.a "
                      f"{sweep['best_coupling']:.4f}, {sweep['finite_fits']} finite fits, "
                      f"{sweep['finite_fcd_ks']} finite FCD KS (best {sweep['best_fcd_ks']:.3f}), "
                      f"{sweep['result_bytes'] / 1e6:.2f} MB to the host [{sweep['block']}]", flush=True)
            else:
                print(f"sweep of 10,000 x 60 s points not run: a {sweep['probe_ms'] / 1000:.0f} s probe projects "
                      f"{sweep['projected_s']:.0f} s, over the guard [{sweep['block']}]", flush=True)
    else:
        sweep = None
        print(f"no GPU: {device}")
    # the CPU kernel on one core, same simulations (after the GPU rows, which matter most when time is short)
    for n in (100, 80) if not args.no_cpu else ():
        for dtype in ("float32", "float64"):
            rows.append(cpu_row(conns[n], dtype, 16, 200.0 if not args.quick else 50.0))
            show(rows[-1])
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"device": device, "rows": rows, "sweep10k": sweep}, fh, indent=1, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())

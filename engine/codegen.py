"""Generate the source of the one simulation kernel for a (model, coupling, scheme, monitors, dtype, batch) combination.

There is one time loop, written here once; models, couplings, schemes and monitors only contribute the
scalar expressions it calls. Layout (``B`` parameter sets are the innermost, contiguous axis, so one load of
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
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

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
    #: per-member node scaling (lesions): the delay buffer holds keep_j * pre(x_j), sums are scaled by keep_i
    node_scaling: bool = False

    @property
    def n_outputs(self) -> int:
        """Coupling outputs computed: those the model reads (TVB computes them all)."""
        return self.coupling_outputs

    @property
    def n_channels_total(self) -> int:
        return self.n_outputs * self.coupling_channels


def _support_digest() -> str:
    here = Path(__file__).parent
    h = hashlib.sha1(CODEGEN_VERSION.encode())
    for name in ("codegen.py", "fastmath.py", "rng.py", "_numba_support.py"):
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


def emit_prelude(e: "_Emitter", spec: KernelSpec, imports: list[str]) -> None:
    """Emit a kernel module's imports (``imports`` after the common ones), its name table for ``spec.dtype``
    and the model's and coupling's scalar functions (``inline``); shared by the CPU and CUDA generators."""
    T = spec.dtype
    e(0, "import numpy as np")
    e(0, "from brainsweep.engine.fastmath import *  # noqa: F401,F403")
    for line in imports:
        e(0, line)
    e(0, "U = np.uint64")
    e(0, f"_T = np.{T}")
    for public, impl in fastmath.KERNEL_NAMES[T].items():
        e(0, f"{public} = {impl}")
    for public, impl in fastmath.COMMON_NAMES.items():
        e(0, f"{public} = {impl}")
    for public, impl in fastmath.INTRINSIC_NAMES.items():
        e(0, f"{public} = {impl}")
    for public, value in fastmath.CONSTANTS.items():
        e(0, f"{public} = {value!r}")
    e(0, "")
    for fn in (spec.dfun, spec.coupling_post, spec.coupling_pre):
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
    S = len(spec.state_variables)
    n_out = spec.n_outputs

    def lit(x: float) -> str:
        return f"_T({float(x)!r})"

    # coupling outputs
    for o in range(n_out):
        cv = spec.cvar[o * spec.coupling_arity:(o + 1) * spec.coupling_arity]
        args = []
        for a in spec.coupling_post.args:
            if a == "gx" or a.startswith("gx_"):
                ch = o * spec.coupling_channels + (int(a[3:]) if a != "gx" else 0)
                args.append(gx(ch))
            elif a == "x_i":
                args.append(f"x{cv[0]}")
            elif a.startswith("x_i"):
                args.append(f"x{cv[int(a[3:])]}")
            elif a == "weight_sum":
                args.append(weight_sum)
            elif a == "n_cvar":
                args.append(lit(len(spec.cvar)))
            else:
                args.append(f"pc_{a}")
        call_text = f"coupling_post({', '.join(args)})"
        e(ind, f"c{o} = _T({call_text})" if cast_calls else f"c{o} = {call_text}")

    n_in = spec.n_coupling_inputs
    dfun_params = [f"pm_{a}" for a in spec.dfun.args[S + n_in:]]

    def call(prefix_in: str, out: str):
        state = ", ".join(f"{prefix_in}{s}" for s in range(S))
        cpl = "".join(f", c{k}" for k in range(n_in))
        prm = "".join(f", {a}" for a in dfun_params)
        lhs = ", ".join(f"{out}{s}" for s in range(S))
        e(ind, f"{lhs} = model_dfun({state}{cpl}{prm})")
        if cast_calls:
            for s in range(S):
                e(ind, f"{out}{s} = _T({out}{s})")

    def clamp(name: str, s: int):
        lo, hi = spec.bounds[s]
        if lo is not None:
            e(ind, f"{name} = {lit(lo)} if {name} < {lit(lo)} else {name}")
        if hi is not None:
            e(ind, f"{name} = {lit(hi)} if {name} > {lit(hi)} else {name}")

    dt = "pi_dt"
    if spec.stochastic:
        for s in range(S):
            g = f"ps_sig{s}"
            if spec.noise == "multiplicative":
                g = f"{g} * (pn_b_a * x{s} + pn_b_b)"
            e(ind, f"n{s} = {g} * {noise_value(s)}")
    noise = (lambda s: f" + n{s}") if spec.stochastic else (lambda s: "")
    stim = (lambda s: f" + {dt} * sti" if s in spec.stimulus_vars else "")

    def stage(out: str, expr):
        """One (bounded) stage: ``out{s} = expr(s)`` for every state variable."""
        for s in range(S):
            e(ind, f"{out}{s} = {expr(s)}")
            clamp(f"{out}{s}", s)

    if spec.scheme == "euler":
        call("x", "d")
        stage("y", lambda s: f"x{s} + {dt} * d{s}{noise(s)}{stim(s)}")
    elif spec.scheme == "heun":
        call("x", "d")
        stage("t", lambda s: f"x{s} + {dt} * d{s}{noise(s)}{stim(s)}")
        call("t", "f")
        stage("y", lambda s: f"x{s} + (d{s} + f{s}) * {dt} / _T(2.0){noise(s)}{stim(s)}")
    elif spec.scheme == "rk4":
        if spec.stochastic:
            raise ValueError("RungeKutta4th order has no stochastic variant")
        call("x", "k1_")
        stage("t", lambda s: f"x{s} + {dt} / _T(2.0) * k1_{s}")
        call("t", "k2_")
        stage("u", lambda s: f"x{s} + {dt} / _T(2.0) * k2_{s}")
        call("u", "k3_")
        stage("v", lambda s: f"x{s} + {dt} * k3_{s}")
        call("v", "k4_")
        stage("y", lambda s: f"x{s} + {dt} / _T(6.0) * (k1_{s} + _T(2.0) * k2_{s} + _T(2.0) * k3_{s} + k4_{s})"
                             f"{stim(s)}")
    else:
        raise ValueError(f"unknown scheme {spec.scheme!r}")

def generate(spec: KernelSpec) -> str:
    """Python source of a module defining ``run(...)`` for ``spec`` (see module docstring)."""
    T = spec.dtype
    B = spec.lanes
    K = spec.time_block
    U = spec.unroll
    S = len(spec.state_variables)
    C = spec.n_channels_total
    n_out = spec.n_outputs
    pair = "normal_pair64" if T == "float64" else "normal_pair32"
    slots = dict(spec.params)
    inline_flush = B >= 8

    def lit(x: float) -> str:
        return f"_T({float(x)!r})"

    e = _Emitter()
    e(0, f"# Generated by brainsweep.engine.codegen v{CODEGEN_VERSION}; do not edit. support {_support_digest()}")
    e(0, "# spec: " + json.dumps({"dtype": T, "lanes": B, "K": K, "unroll": U, "scheme": spec.scheme,
                                  "stochastic": spec.stochastic, "noise": spec.noise,
                                  "state_variables": spec.state_variables,
                                  "monitors": [(m.kind, m.voi) for m in spec.monitors]}))
    emit_prelude(e, spec, [
        "from brainsweep.engine.fastmath import inline, select, select_min, select_max",
        "from brainsweep.engine.rng import GOLDEN, splitmix64, normal_pair64, normal_pair32, normal_pair32_split",
        "from brainsweep.engine._numba_support import kernel_jit"])

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
    e(1, f"HALF = (N + 1) // 2")
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
    # this block's row of every long edge, in one vectorized pass (the ring row depends on the block start)
    e(2, "for ed in range(leo.shape[0]):")
    e(3, "r = p + lhd[U(ed)]")
    e(3, f"leo[U(ed)] = loff[U(ed)] + (r - H if r >= H else r) * {B}")
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
    e(7, "r = p + shd[U(ed)]")
    e(7, f"b = soff[U(ed)] + hoff + (r - H if r >= H else r) * {B}")
    e(7, f"for l in range({B}):")
    e(8, "cbt[U(dst + l)] += w * hist[U(b + l)]")
    if spec.stochastic:
        e(3, "gs = U(step + 1) * GOLDEN")
        e(3, f"for v in range({S}):")
        e(4, "for ip in range(HALF):")
        e(5, f"kbase = (v * HALF + ip) * {B}")
        e(5, f"zbase = (v * 2 * HALF + ip) * {B}")
        e(5, f"for l in range({B}):")
        if T == "float32":
            # 64-bit hashing (8 lanes) and 32-bit Box-Muller (16 lanes) vectorize best as separate loops
            e(6, "h = splitmix64(keys[U(kbase + l)] + gs)")
            e(6, "zh[U(kbase + l)] = np.uint32(h >> U(32))")
            e(6, "zh[U(ZH + kbase + l)] = np.uint32(h & U(0xFFFFFFFF))")
            e(3, f"for v in range({S}):")
            e(4, "for ip in range(HALF):")
            e(5, f"kbase = (v * HALF + ip) * {B}")
            e(5, f"zbase = (v * 2 * HALF + ip) * {B}")
            e(5, f"for l in range({B}):")
            e(6, "z0, z1 = normal_pair32_split(zh[U(kbase + l)], zh[U(ZH + kbase + l)])")
        else:
            e(6, f"z0, z1 = {pair}(splitmix64(keys[U(kbase + l)] + gs))")
        e(6, "zb[U(zbase + l)] = z0")
        e(6, f"zb[U(zbase + HALF * {B} + l)] = z1")

    # ---- model update: node loop, lane loop
    def load_params(indent: int, kinds: tuple[str, ...]):
        emit_load_params(e, spec, indent, kinds)

    ta_monitors = [m for m, mon in enumerate(spec.monitors) if mon.kind == "temporal_average"]
    acc_offsets = {}
    off = 0
    for m in ta_monitors:
        acc_offsets[m] = off
        off += len(spec.monitors[m].voi)

    e(3, "for i in range(N):")
    e(4, "wsi = wself[U(i)]")
    load_params(4, ("region",))
    if "weight_sum" in spec.coupling_post.args and not spec.node_scaling:
        e(4, "ws = wsum[U(i)]")
    e(4, f"for l in range({B}):")
    e(5, f"m = i * {B} + l")
    load_params(5, ("lane", "full", "time"))
    if spec.stimulus_vars:
        e(5, f"sti = stim_t[U(sidx * {B} + l)] * stim_w[U(m)]")
    for s in range(S):
        e(5, f"x{s} = X{s}[U(m)]")
    gx_sum = (lambda ch: f"keep[U(m)] * (cbt[U(kC + {ch} * NB + m)] + wsi * vb{ch}[U(vk + m)])") \
        if spec.node_scaling else (lambda ch: f"(cbt[U(kC + {ch} * NB + m)] + wsi * vb{ch}[U(vk + m)])")
    emit_update(e, spec, 5, gx_sum, "wsum[U(m)]" if spec.node_scaling else "ws",
                lambda s: f"zb[U(({s} * 2 * HALF + i) * {B} + l)]")
    svs = spec.state_variables
    for s in range(S):
        e(5, f"X{s}[U(m)] = y{s}")
    # delay buffer: the new values of the coupling variables (through pre), rows q and q + H
    for o in range(n_out):
        cv = spec.cvar[o * spec.coupling_arity:(o + 1) * spec.coupling_arity]
        if spec.coupling_pre is None:
            vals = [f"y{cv[0]}"]
        else:
            args = []
            for a in spec.coupling_pre.args:
                if a == "x_j":
                    args.append(f"y{cv[0]}")
                elif a.startswith("x_j"):
                    args.append(f"y{cv[int(a[3:])]}")
                else:
                    args.append(f"pc_{a}")
            names = [f"h{o}_{h}" for h in range(spec.coupling_channels)]
            e(5, f"{', '.join(names)} = coupling_pre({', '.join(args)})")
            vals = names
        if spec.node_scaling:
            for h, val in enumerate(vals):
                e(5, f"hk{o}_{h} = keep[U(m)] * {val}")
            vals = [f"hk{o}_{h}" for h in range(len(vals))]
        for h, val in enumerate(vals):
            ch = o * spec.coupling_channels + h
            e(5, f"vb{ch}[U(vk1 + m)] = {val}")
            if inline_flush:
                e(5, f"hw = {ch} * CH + i * RB + qB + l")
                e(5, f"hist[U(hw)] = {val}")
                e(5, "if dup:")
                e(6, f"hist[U(hw + HB)] = {val}")
    # temporal-average accumulation
    names = {sv: f"y{s}" for s, sv in enumerate(svs)}
    for m in ta_monitors:
        for j, v in enumerate(spec.monitors[m].voi):
            e(5, f"acc{acc_offsets[m] + j}[U(m)] += {_voi_code(spec.voi_exprs[v], names)}")
    if not inline_flush:
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
    xnames = {sv: f"X{s}[U(mm)]" for s, sv in enumerate(svs)}
    for m, mon in enumerate(spec.monitors):
        V = len(mon.voi)
        e(3, f"if step % istep[U({m})] == 0:")
        e(4, f"base = count[U({m})] * {V} * NB")
        if mon.kind == "temporal_average":
            e(4, f"inv = _T(1.0) / _T(istep[U({m})])")
            for j in range(V):
                a = acc_offsets[m] + j
                e(4, "for mm in range(NB):")
                e(5, f"out{m}[U(base + {j} * NB + mm)] = acc{a}[U(mm)] * inv")
                e(5, f"acc{a}[U(mm)] = _T(0.0)")
        else:
            for j, v in enumerate(mon.voi):
                e(4, "for mm in range(NB):")
                e(5, f"out{m}[U(base + {j} * NB + mm)] = {_voi_code(spec.voi_exprs[v], xnames)}")
        e(4, f"count[U({m})] += 1")
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
    for c in range(C):
        e(2, "for x in range(NB):")
        e(3, f"vb{c}[U(x)] = vb{c}[U(kb * NB + x)]")
    e(2, "done += kb")
    e(1, "return p")

    return e.text()


__all__ = ["KernelSpec", "ParamSlot", "MonitorSpec", "generate", "CODEGEN_VERSION"]

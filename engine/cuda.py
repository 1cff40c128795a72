"""The batched kernel on NVIDIA GPUs, generated from the same model, coupling, noise and monitor pieces.

:func:`generate_cuda` writes a ``numba.cuda`` kernel from the very :class:`~brainsweep.engine.codegen.KernelSpec`
the CPU generator uses; the model derivative, the coupling functions, the integration stages
(:func:`~brainsweep.engine.codegen.emit_update`), the counter-based noise (:mod:`brainsweep.engine.rng`), the
elementary functions (:mod:`brainsweep.engine.fastmath`) and the Balloon-Windkessel step
(:func:`~brainsweep.engine.bold.balloon_step`) are the same ``njit(inline="always")`` functions on both
devices. There is no second copy of any equation.

Layout and parallelism
----------------------
One thread per (node, lane) -- or per node and ``lanes_per_thread`` lanes ``l, l + lanes_per_block, ...``,
which then share the thread's edge offsets -- for ``node_threads`` nodes at once (a thread walks nodes
``ty, ty + node_threads, ...``); a block holds ``lanes_per_block * lanes_per_thread`` lanes (batch members)
times ``node_threads`` nodes. Lanes are independent, so a block needs no other block: the whole run is one
launch per chunk with one ``syncthreads`` per step, never a grid-wide barrier. Consecutive threads of a warp
are consecutive lanes, so every load and store of the state and of the delay buffer is coalesced.

- delay buffer ``hist[channel, row, node, lane]`` with ``R = H + 1`` ring rows (time ``t`` at row
  ``t mod R``): a step reads rows ``p - d`` (``0 <= d < H``) and writes row ``p + 1``, which no read of the
  same step touches, so one barrier per step suffices;
- edges listed per target (CSR), self-connections included (ring row ``p`` holds the current values), each
  as one offset ``source * B - delay * N * B`` from the current row: an edge costs a load of its offset and
  weight, one add and one wrap, then one load and one multiply-add per lane (the edge loop bounds the kernel);
  it is unrolled
  (``kernel_options["cuda_unroll"]``) so that several independent loads are in flight per thread;
- monitors: raw samples and temporal averages are written per chunk and copied to the host; the
  Balloon-Windkessel BOLD is integrated on the device (float64 state, as on the CPU), so only BOLD samples
  cross to the host; other post-processed monitors (TVB's HRF ``Bold``, spikes) get their interim averages
  copied back and post-processed on the host as on the CPU;
- summaries (``run(summaries=[FCSummary(...), FCDSummary(...)])``): a summarised monitor's samples after the
  transient stay on the device and :mod:`brainsweep.engine.cuda_summaries` computes the FC and the fit, or the
  FCD, there; a chunk's samples
  cross to the host only when a member diverges in it (for its divergence time).

The summation order of the coupling differs from the CPU kernel's blocked order, so float64 results agree
to rounding (about 1e-15 per step), not bit for bit.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import numpy as np

from .kernel import csr_edges, load_kernel
from .codegen import (CODEGEN_VERSION, KernelSpec, _Emitter, _support_digest, _voi_code, emit_load_params,
                      emit_coupling_pre, emit_prelude, emit_update)

#: Bump when the generated CUDA code's structure changes.
CUDA_CODEGEN_VERSION = "2"

#: Monitor kinds the CUDA kernel records: ``raw``/``subsample`` (state), ``temporal_average``, ``balloon``.
DEVICE_MONITOR_KINDS = ("raw", "subsample", "temporal_average", "balloon")


class CudaUnavailable(RuntimeError):
    """``backend="cuda"`` was asked for on a machine that cannot run it."""


def _import_cuda():
    if not hasattr(np, "row_stack"):
        # numba-cuda 0.30 registers an overload of np.row_stack at import; numpy 2.5 removed that alias of vstack
        np.row_stack = np.vstack
    try:
        from numba import cuda
    except Exception as exc:  # pragma: no cover - depends on the installation
        raise CudaUnavailable(f"backend='cuda' needs numba-cuda (pip install 'brainsweep[gpu]'): {exc}") from None
    return cuda


def cuda_status() -> tuple[bool, str]:
    """Whether kernels can run on a GPU here (or in numba's CUDA simulator), and why not."""
    try:
        cuda = _import_cuda()
    except CudaUnavailable as exc:
        return False, str(exc)
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return True, "numba CUDA simulator (NUMBA_ENABLE_CUDASIM=1)"
    try:
        if not cuda.is_available():
            return False, "backend='cuda' needs an NVIDIA GPU and driver; none was found (numba.cuda.is_available() is False)"
        dev = cuda.get_current_device()
        name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
        return True, f"{name} (compute capability {dev.compute_capability[0]}.{dev.compute_capability[1]})"
    except Exception as exc:  # pragma: no cover - driver-specific
        return False, f"backend='cuda': the CUDA driver failed: {str(exc).splitlines()[0]}"


def require_cuda():
    """``numba.cuda``, or one clear :class:`CudaUnavailable` line when no GPU can be used."""
    ok, why = cuda_status()
    if not ok:
        raise CudaUnavailable(why)
    return _import_cuda()


@dataclass(frozen=True)
class Launch:
    """Block shape: lanes per block (threadIdx.x) and node threads (threadIdx.y); edges summed per pass."""

    lanes_per_block: int
    node_threads: int
    unroll: int = 4
    max_registers: int | None = None
    lanes_per_thread: int = 1


#: Default lanes per thread by batch size: on an H100 (N = 100, float32, B = 32,768) 1, 2 and 4 lanes per
#: thread gave 2,411, 2,572 and 2,989 simulated s per wall s, and on an H200 (N = 80, B = 10,000) 4 lanes per
#: thread with 16 node threads 6,387 against 5,315 for 2 lanes with 20 (``benchmarks/gpu.py --tune``); small
#: batches keep one lane per thread so that enough blocks exist to fill the GPU.
LANES_PER_THREAD = ((8192, 4), (4096, 2), (0, 1))

#: Node threads per block (full 32-lane blocks) by dtype: each thread walks ``ceil(N / threads)`` nodes and a
#: step waits for the slowest, so more is faster up to what the registers of an SM hold (32 x 32 did not fit,
#: nor 32 x 20 in float64: OUT_OF_RESOURCES). On an H200, 4 lanes per thread, B = 65,536: N = 100 float32 with
#: 8 / 16 / 20 node threads gave 6,379 / 6,285 / 7,533 simulated s per wall s; float64 with 10 / 16 gave 3,609 /
#: 4,311 (N = 80: 10 / 16 / 8 gave 5,058 / 6,047 / 6,129); the 10,000-point sweep at N = 80 float32 ran at 6,771
#: with 16 and 7,715 with 20 (``benchmarks/results/gpu_h200_*2026-11-27*``).
MAX_NODE_THREADS = {"float32": 20, "float64": 16}


def default_node_threads(n_nodes: int, lanes_per_block: int, dtype: str = "float32") -> int:
    """Node threads per block: :data:`MAX_NODE_THREADS` (fewer for smaller networks); blocks of fewer than 32
    lanes (small batches) keep 256 threads."""
    if lanes_per_block < 32:
        return max(1, min(n_nodes, 256 // max(lanes_per_block, 1)))
    return max(1, min(n_nodes, MAX_NODE_THREADS.get(str(dtype), 16)))


def choose_launch(n_nodes: int, lanes: int, options: dict | None = None, dtype: str = "float32") -> Launch:
    """Default block shape, lanes per thread and unrolling (``kernel_options``: ``cuda_lanes_per_block``,
    ``cuda_node_threads``, ``cuda_lanes_per_thread``, ``cuda_unroll``, ``cuda_max_registers``)."""
    options = options or {}
    lb = int(options.get("cuda_lanes_per_block", min(32, lanes)))
    nt = int(options.get("cuda_node_threads", default_node_threads(n_nodes, lb, dtype)))
    unroll = int(options.get("cuda_unroll", 4))
    max_registers = options.get("cuda_max_registers")
    per_thread = int(options.get("cuda_lanes_per_thread", next(k for b, k in LANES_PER_THREAD if lanes >= b)))
    if not 1 <= per_thread <= 8:
        raise ValueError(f"kernel_options['cuda_lanes_per_thread'] must be in 1..8, got {per_thread}")
    if lb < 1 or nt < 1 or lb * nt > 1024:
        raise ValueError(f"kernel_options: cuda_lanes_per_block x cuda_node_threads must be 1..1024 threads, "
                         f"got {lb} x {nt}")
    if not 1 <= unroll <= 16:
        raise ValueError(f"kernel_options['cuda_unroll'] must be in 1..16, got {unroll}")
    if max_registers is not None and not 16 <= int(max_registers) <= 255:
        raise ValueError(f"kernel_options['cuda_max_registers'] must be in 16..255, got {max_registers}")
    return Launch(lb, nt, unroll, None if max_registers is None else int(max_registers), per_thread)


def generate_cuda(spec: KernelSpec, monitor_kinds: tuple[str, ...], launch: Launch) -> str:
    """Python source of a module defining the CUDA kernel ``run`` for ``spec`` (see module docstring).

    ``monitor_kinds`` gives, per monitor of ``spec``, one of :data:`DEVICE_MONITOR_KINDS`.
    """
    T = spec.dtype
    B = "B"                 # the lane count is a run-time argument: one compiled kernel serves every batch size
    S = len(spec.state_variables)
    C = spec.n_channels_total
    LB, NT = launch.lanes_per_block, launch.node_threads
    pair = "normal_pair64" if T == "float64" else "normal_pair32"
    if len(monitor_kinds) != len(spec.monitors) or any(k not in DEVICE_MONITOR_KINDS for k in monitor_kinds):
        raise ValueError(f"monitor kinds {monitor_kinds!r}: one of {DEVICE_MONITOR_KINDS} per monitor")

    e = _Emitter()
    e(0, f"# Generated by brainsweep.engine.cuda v{CUDA_CODEGEN_VERSION}/{CODEGEN_VERSION}; do not edit. "
         f"support {_support_digest()}")
    e(0, f"# block {LB} x {NT}, {launch.lanes_per_thread} lane(s) per thread, unroll {launch.unroll}, "
         f"registers {launch.max_registers or 'any'}, monitors {list(monitor_kinds)}")
    emit_prelude(e, spec, [
        "from numba import cuda",
        "from brainsweep.engine.fastmath import inline, select, select_min, select_max, sqrt_, floor_, ceil_, fabs_",
        "from brainsweep.engine.rng import GOLDEN, splitmix64, normal_pair64, normal_pair32",
        "from brainsweep.engine.bold import balloon_step, balloon_signal"])

    ta = [m for m, k in enumerate(monitor_kinds) if k in ("temporal_average", "balloon")]
    acc_of = {}
    n_acc = 0
    for m in ta:
        acc_of[m] = n_acc
        n_acc += len(spec.monitors[m].voi)
    balloons = [m for m, k in enumerate(monitor_kinds) if k == "balloon"]
    args = ([f"out{m}" for m in range(len(spec.monitors))] + [f"acc{a}" for a in range(n_acc)]
            + [f"bst{m}" for m in balloons] + [f"X{s}" for s in range(S)])
    regs = "" if launch.max_registers is None else f", max_registers={launch.max_registers}"
    e(0, f"@cuda.jit(cache=True{regs})")
    e(0, "def run(B, n_steps, step0, slot0, R, hist, keys, eptr, eoff, ew, keep, wsum, stim_t, stim_w, ptv, "
         f"n_chunk, ps, pl, pr, pf, istep, bistep, bpar{', ' if args else ''}{', '.join(args)}):")
    e(1, "N = eptr.shape[0] - 1")
    e(1, f"NB = N * {B}")
    e(1, "RNB = R * NB")
    e(1, "RNBu = U(RNB)")
    e(1, "HALF = (N + 1) // 2")
    K = launch.lanes_per_thread
    e(1, f"l0 = cuda.blockIdx.x * {LB * K} + cuda.threadIdx.x")
    e(1, "ty = cuda.threadIdx.y")
    emit_load_params(e, spec, 1, ("scalar",), lanes="B")
    e(1, "p = slot0")
    e(1, "for sidx in range(n_steps):")
    e(2, "step = step0 + sidx")
    e(2, "q = p + 1")
    e(2, "if q == R:")
    e(3, "q = 0")
    e(2, "pbl = U(p) * U(NB) + U(l0)")
    e(2, f"if l0 < {B}:")
    if spec.stochastic:
        e(3, "gs = U(step + 1) * GOLDEN")
    for k in range(1, K):
        e(3, f"ok{k} = l0 + {k * LB} < {B}")
    e(3, "i = ty")
    e(3, "while i < N:")
    # delayed coupling: every channel summed in one pass over the target's edges, for the K lanes of this thread
    # (lanes l0, l0 + LB, ...: one offset computation serves K coalesced loads)
    for c in range(C):
        for k in range(K):
            e(4, f"g{c}_{k} = _T(0.0)")

    def load(o, c, k):
        at = o + ("" if c == 0 else f" + U({c}) * RNBu") + ("" if k == 0 else f" + U({k * LB})")
        return f"hist[{at}]" if k == 0 else f"(hist[{at}] if ok{k} else _T(0.0))"

    # The edge loop bounds the kernel, so it is kept lean: one precomputed offset per edge (``source * B - delay *
    # N * B``) added to this step's row base, wrapped once; unsigned 64-bit indices, because numba adds a
    # negative-index wraparound (three more 64-bit operations) to every load through a signed index. Unrolled
    # by ``unroll`` edges so that several independent loads are in flight per thread.
    U_ = launch.unroll
    e(4, "ed = U(eptr[i])")
    e(4, "e1 = U(eptr[i + 1])")
    if U_ > 1:
        e(4, f"while ed + U({U_}) <= e1:")
        for u in range(U_):
            at = "ed" if u == 0 else f"ed + U({u})"
            e(5, f"o{u} = pbl + eoff[{at}]")
            e(5, f"o{u} = o{u} + RNBu if o{u} >= RNBu else o{u}")
            e(5, f"w{u} = ew[{at}]")
        for c in range(C):
            for k in range(K):
                terms = [f"w{u} * {load(f'o{u}', c, k)}" for u in range(U_)]
                while len(terms) > 1:
                    terms = [f"({terms[t]} + {terms[t + 1]})" if t + 1 < len(terms) else terms[t]
                             for t in range(0, len(terms), 2)]
                e(5, f"g{c}_{k} += {terms[0]}")
        e(5, f"ed += U({U_})")
    e(4, "while ed < e1:")
    e(5, "o = pbl + eoff[ed]")
    e(5, "o = o + RNBu if o >= RNBu else o")
    e(5, "w = ew[ed]")
    for c in range(C):
        for k in range(K):
            e(5, f"g{c}_{k} += w * {load('o', c, k)}")
    e(5, "ed += U(1)")
    if spec.stochastic:
        e(4, "ip = i if i < HALF else i - HALF")
    for k in range(K):
        if k == 0:
            e(4, "l = l0")
            b = 4
        else:
            e(4, f"l = l0 + {k * LB}")
            e(4, f"if ok{k}:")
            b = 5
        for c in range(C):
            e(b, f"g{c} = g{c}_{k}")
        _emit_node_update(e, spec, b, B, pair, monitor_kinds, acc_of)
    e(4, f"i += {NT}")
    e(2, "cuda.syncthreads()")
    e(2, "p = q")
    return e.text()


def _emit_node_update(e: _Emitter, spec: KernelSpec, b: int, B: str, pair: str, monitor_kinds, acc_of: dict) -> None:
    """Emit, at indentation ``b``, one (node ``i``, lane ``l``)'s step after its coupling sums ``g<c>``: its
    parameters and state, the noise, the integration stages, ring row ``q`` and the monitors (``acc_of``: the
    first accumulator of each averaging monitor)."""
    S = len(spec.state_variables)
    e(b, f"m = i * {B} + l")
    emit_load_params(e, spec, b, ("region", "lane", "full", "time"), lanes="B")
    if spec.stimulus_vars:
        e(b, f"sti = stim_t[sidx * {B} + l] * stim_w[m]")
    for s in range(S):
        e(b, f"x{s} = X{s}[m]")
    if spec.stochastic:
        for s in range(S):
            e(b, f"z0, z1 = {pair}(U(splitmix64(keys[({s} * HALF + ip) * {B} + l] + gs)))")
            e(b, f"z{s}_ = _T(z0 if i < HALF else z1)")
    gx = (lambda ch: f"(keep[m] * g{ch})") if spec.node_scaling else (lambda ch: f"g{ch}")
    emit_update(e, spec, b, gx, "wsum[m]" if spec.node_scaling else "wsum[i]", lambda s: f"z{s}_", cast_calls=True)
    for s in range(S):
        e(b, f"X{s}[m] = y{s}")
    # the new values of the coupling channels (through pre) into ring row q
    for o in range(spec.n_outputs):
        vals = emit_coupling_pre(e, spec, b, o, lambda s: f"y{s}")
        if spec.coupling_pre is not None:
            vals = [f"_T({n})" for n in vals]
        for h, val in enumerate(vals):
            ch = o * spec.coupling_channels + h
            scaled = f"keep[m] * {val}" if spec.node_scaling else val
            e(b, f"hist[{ch} * RNB + q * NB + m] = {scaled}")
    names = {sv: f"y{s}" for s, sv in enumerate(spec.state_variables)}
    for m, first in acc_of.items():
        for j, v in enumerate(spec.monitors[m].voi):
            e(b, f"acc{first + j}[m] += {_voi_code(spec.voi_exprs[v], names)}")
    for m, kind in enumerate(monitor_kinds):
        V = len(spec.monitors[m].voi)
        e(b, f"ist = istep[{m}]")
        e(b, "if step % ist == 0:")
        if kind == "balloon":
            e(b + 1, "inv = _T(1.0) / _T(ist)")
            e(b + 1, f"bi = bistep[{m}]")
            e(b + 1, "emit = step % bi == 0")
            e(b + 1, "cnt = step // bi - (step0 - 1) // bi - 1")
            for j in range(V):
                a = acc_of[m] + j
                e(b + 1, f"z = np.float64(acc{a}[m] * inv)")
                e(b + 1, f"acc{a}[m] = _T(0.0)")
                e(b + 1, f"bo = {4 * j} * NB + m")
                e(b + 1, f"sb, fb, vb, qb = balloon_step(z, bst{m}[bo], bst{m}[bo + NB], bst{m}[bo + 2 * NB], "
                     f"bst{m}[bo + 3 * NB], bpar[{m}, 0], bpar[{m}, 1], bpar[{m}, 2], bpar[{m}, 3], bpar[{m}, 4], "
                     f"bpar[{m}, 5], bpar[{m}, 6])")
                e(b + 1, f"bst{m}[bo] = sb")
                e(b + 1, f"bst{m}[bo + NB] = fb")
                e(b + 1, f"bst{m}[bo + 2 * NB] = vb")
                e(b + 1, f"bst{m}[bo + 3 * NB] = qb")
                e(b + 1, "if emit:")
                e(b + 2, f"out{m}[(cnt * {V} + {j}) * NB + m] = _T(balloon_signal(vb, qb, bpar[{m}, 7], bpar[{m}, 8], "
                     f"bpar[{m}, 9], bpar[{m}, 10]))")
        else:
            e(b + 1, "cnt = step // ist - (step0 - 1) // ist - 1")
            if kind == "temporal_average":
                e(b + 1, "inv = _T(1.0) / _T(ist)")
                for j in range(V):
                    a = acc_of[m] + j
                    e(b + 1, f"out{m}[(cnt * {V} + {j}) * NB + m] = acc{a}[m] * inv")
                    e(b + 1, f"acc{a}[m] = _T(0.0)")
            else:
                for j, v in enumerate(spec.monitors[m].voi):
                    e(b + 1, f"out{m}[(cnt * {V} + {j}) * NB + m] = {_voi_code(spec.voi_exprs[v], names)}")


def samples_in(step0: int, n_steps: int, every: int) -> int:
    """How many multiples of ``every`` lie in ``[step0, step0 + n_steps)`` (samples a chunk records)."""
    return (step0 + n_steps - 1) // every - (step0 - 1) // every


def balloon_parameters(monitor, dt: float) -> np.ndarray:
    """The 11 numbers :func:`~brainsweep.engine.bold.balloon_step`/``balloon_signal`` take, in kernel order."""
    p = {k: float(v[0]) for k, v in monitor.parameters().items()}
    rho = p["rho"]
    return np.array([monitor.kernel_istep(dt) * dt / 1000.0, p["kappa"], p["gamma"], p["tau"], 1.0 / p["alpha"],
                     np.log(1.0 - rho), rho, p["V_0"], 7.0 * rho, 2.0, 2.0 * rho - 0.2])


def device_free_bytes() -> int | None:
    """Free memory of the current GPU (None in the simulator or when it cannot be read)."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return None
    try:
        free, _total = _import_cuda().current_context().get_memory_info()
        return int(free)
    except Exception:  # pragma: no cover - driver-specific
        return None


def bytes_per_lane(sim, n_steps: int, chunk_steps: int | None) -> int:
    """Device bytes one batch member of ``sim`` needs: delay ring, state, accumulators, Balloon state, noise
    keys, parameters and one chunk of every monitor's samples (a generous estimate)."""
    from .monitors import BalloonWindkessel

    N = sim.connectivity.number_of_regions
    S = sim.model.nvar
    dt = sim.integrator.dt
    item = np.dtype(sim.dtype).itemsize
    delays = sim._connection_edges()[3]
    H = int(delays.max()) + 1 if delays.size else 1
    C = sim.model.n_coupling_inputs * sim.coupling.n_channels
    chunk = min(n_steps, int(chunk_steps) if chunk_steps else 1 << 14)
    n_vois = len(sim.model.variables_of_interest)
    values = C * (H + 1) * N + 2 * S * N + 8 * N          # ring, state, accumulators and per-member parameters
    eight = S * ((N + 1) // 2) + 4 * chunk                  # noise keys; time-varying inputs and stimulus
    for mon in sim.monitors:
        V = len(mon.voi_indices(n_vois))
        every = mon.istep(dt) if isinstance(mon, BalloonWindkessel) else mon.kernel_istep(dt)
        values += (chunk // every + 1) * V * N
        if isinstance(mon, BalloonWindkessel):
            eight += 4 * V * N
    return int(values * item + eight * 8)


class DeviceRun:
    """One ``Simulator.run`` call on the GPU: uploads the constant inputs, keeps the carried state on the
    device (in ``state.device``, so a later ``run`` continues there) and launches the kernel chunk by chunk.

    ``launch`` has the CPU kernel's contract: it advances ``n`` steps, fills each monitor's host ``views[m]``
    with the chunk's samples, sets ``count[m]`` and returns the new ring slot; it also refreshes the host copy
    of the state (``state.X``) that the divergence check reads.
    """

    def __init__(self, spec: KernelSpec, state, balloon: list[bool], monitors, dt: float,
                 connections: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], N: int, B: int, H: int, C: int, S: int, dtype, chunk: int, n_voi: list[int],
                 isteps: np.ndarray, keys: np.ndarray, keep: np.ndarray, wsum: np.ndarray, stim_w: np.ndarray,
                 params: tuple, options: dict):
        cuda = require_cuda()
        self.cuda = cuda
        self.B, self.N, self.R = B, N, H + 1
        kinds = tuple("balloon" if b else mon.kind for b, mon in zip(balloon, spec.monitors))
        self.launch_shape = choose_launch(N, B, options, spec.dtype)
        self.spec, self.kinds, self.options = spec, kinds, dict(options or {})
        self.source = generate_cuda(spec, kinds, self.launch_shape)
        self.kernel = load_kernel(self.source)
        targets, sources, weights, idelays = connections
        eptr, esrc, edel, ew = csr_edges(N, targets, sources, weights, idelays)
        to = cuda.to_device
        # one offset per edge from the current ring row's lane: source * B - delay * N * B (negative offsets wrap
        # as unsigned numbers; the kernel adds R * N * B back once)
        eoff = (esrc * B - edel * (N * B)).astype(np.int64).view(np.uint64)
        self.const = [to(eptr), to(eoff), to(ew.astype(dtype)), to(keep), to(wsum)]
        self.stim_w = to(stim_w)
        self.params = [to(np.ascontiguousarray(a)) for a in params]
        self.keys = to(keys)
        self.isteps = np.array([mon.kernel_istep(dt) if b else int(k) for b, mon, k in zip(balloon, monitors, isteps)],
                               dtype=np.int64)
        self.bisteps = np.array([mon.istep(dt) if b else 1 for b, mon in zip(balloon, monitors)], dtype=np.int64)
        bpar = np.zeros((len(monitors), 11))
        for m, (b, mon) in enumerate(zip(balloon, monitors)):
            if b:
                bpar[m] = balloon_parameters(mon, dt)
        self.istep_d, self.bistep_d, self.bpar = to(self.isteps), to(self.bisteps), to(bpar)
        self.every = np.where([bool(b) for b in balloon], self.bisteps, self.isteps)
        self.n_voi = n_voi
        self.chunk = chunk
        NB = N * B
        self.out = [cuda.device_array(max(1, (chunk // int(k) + 1) * v * NB), dtype=dtype)
                    for k, v in zip(self.every, n_voi)]
        if state.device is None:
            n_balloon = [v for b, v in zip(balloon, n_voi) if b]
            bst = []
            for v in n_balloon:
                rest = np.zeros((v, 4, NB))
                rest[:, 1:] = 1.0                        # s = 0, f = v = q = 1: at rest
                bst.append(to(rest.reshape(-1)))
            state.device = {"hist": self._ring(state.hist, H), "X": [to(np.ascontiguousarray(x)) for x in state.X],
                            "acc": [to(a) for a in state.acc], "bst": bst}
        self.dev = state.device
        self.state = state
        self.stim_t = self.ptv = None

    def _ring(self, rows: np.ndarray, H: int):
        """The device delay ring ``(C, H + 1, N, B)`` from the history's distinct rows ``(C, 1 or H, N, B)``: the
        rows are uploaded once and a history constant in time is replicated on the device (doubling copies),
        so no host array of the whole ring is made (10 GB at N = 100, H = 200, B = 131,072 in float32)."""
        C, L, N, B = rows.shape
        NB, R = N * B, H + 1
        ring = self.cuda.device_array(C * R * NB, dtype=rows.dtype)
        for c in range(C):
            base = c * R * NB
            ring[base:base + L * NB].copy_to_device(np.ascontiguousarray(rows[c]).reshape(-1))
            filled = L
            while filled < H:
                n = min(filled, H - filled)
                ring[base + filled * NB:base + (filled + n) * NB].copy_to_device(ring[base:base + n * NB])
                filled += n
        return ring

    def _arguments(self, n, step0, slot, ptv_d, stim_d, dev, out):
        return (self.B, n, step0, slot, self.R, dev["hist"], self.keys, *self.const, stim_d, self.stim_w, ptv_d, self.chunk,
                *self.params, self.istep_d, self.bistep_d, self.bpar, *out, *dev["acc"], *dev["bst"], *dev["X"])

    def _warm_simulator(self, step0, slot, ptv_d, stim_d):
        """In numba's CUDA simulator, run one thread for one step on copies of the state first: the simulator
        runs threads as Python threads, and their first concurrent calls of a not yet compiled ``njit``
        helper can mistype its arguments (``OverflowError: int too big to convert``)."""
        cuda = self.cuda
        copy = lambda a: cuda.to_device(a.copy_to_host())  # noqa: E731
        dev = {"hist": copy(self.dev["hist"]), "X": [copy(x) for x in self.dev["X"]],
               "acc": [copy(a) for a in self.dev["acc"]], "bst": [copy(b) for b in self.dev["bst"]]}
        out = [copy(o) for o in self.out]
        self.kernel[1, (1, 1)](*self._arguments(1, step0, slot, ptv_d, stim_d, dev, out))
        self._warm = True

    def launch(self, n: int, step0: int, slot: int, ptv: np.ndarray, stim_t: np.ndarray, count: np.ndarray,
               views: list, series: dict | None = None, device_only: set = frozenset()) -> int:
        cuda = self.cuda
        ptv_d = cuda.to_device(ptv)
        stim_d = cuda.to_device(stim_t)
        if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" and not getattr(self, "_warm", False):
            self._warm_simulator(step0, slot, ptv_d, stim_d)
        d = self.dev
        while True:
            grid = -(-self.B // (self.launch_shape.lanes_per_block * self.launch_shape.lanes_per_thread))
            block = (self.launch_shape.lanes_per_block, self.launch_shape.node_threads)
            try:
                self.kernel[grid, block](*self._arguments(n, step0, slot, ptv_d, stim_d, d, self.out))
                break
            except Exception as exc:
                if "OUT_OF_RESOURCES" not in str(exc):
                    raise
                if "cuda_node_threads" in self.options or block[1] <= 4:
                    raise ValueError(
                        f"kernel_options: a block of {block[0]} x {block[1]} threads needs more registers than the "
                        "GPU has per block for this model; use fewer (cuda_lanes_per_block x cuda_node_threads, "
                        "default 32 x 20 or fewer)") from None
                # a default block too large for this model's registers: half the node threads (nothing ran: the
                # launch failed before any thread started)
                self.launch_shape = dataclasses.replace(self.launch_shape, node_threads=max(1, block[1] // 2))
                self.source = generate_cuda(self.spec, self.kinds, self.launch_shape)
                self.kernel = load_kernel(self.source)
        NB = self.N * self.B
        for m, (every, v) in enumerate(zip(self.every, self.n_voi)):
            c = samples_in(step0, n, int(every))
            count[m] = c
            for kept in (series or {}).get(m, ()):
                kept.take(self.out[m], c, v)
            if c and m not in device_only:       # a series kept on the device: see fetch
                views[m][:c * v * NB] = self.out[m][:c * v * NB].copy_to_host()
        for s, x in enumerate(d["X"]):
            self.state.X[s] = x.copy_to_host()
        return (slot + n) % self.R

    def fetch(self, m: int, view: np.ndarray, c: int) -> None:
        """Copy the last chunk's ``c`` samples of monitor ``m`` to the host (a series otherwise kept on the device,
        when a member diverged in that chunk)."""
        size = c * self.n_voi[m] * self.N * self.B
        if size:
            view[:size] = self.out[m][:size].copy_to_host()


__all__ = ["generate_cuda", "cuda_status", "require_cuda", "CudaUnavailable", "choose_launch", "Launch",
           "csr_edges", "samples_in", "default_node_threads", "balloon_parameters", "bytes_per_lane", "device_free_bytes", "DEVICE_MONITOR_KINDS", "DeviceRun"]

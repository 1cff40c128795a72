"""Counter-based Gaussian noise: a point's noise depends only on (seed, state variable, node, step).

Each noisy state variable of each node of each batch member has a 64-bit key derived from the member's seed;
the draw at step ``t`` is ``splitmix64(key + (t + 1) * GOLDEN)``. One 64-bit hash gives a Box-Muller pair,
so node ``i`` and node ``i + half`` (``half = ceil(N / 2)``) of the same variable share a hash. The angle lies
in [-pi/4, pi/4), where sine and cosine are their polynomials alone (no argument reduction). No state is
carried between steps: results do not depend on batch size or position, chunking, worker or device, and
the same integer arithmetic compiles for a GPU.
"""
from __future__ import annotations

import numba as nb
import numpy as np

from .fastmath import F32, F64, cos32_poly, cos64_poly, inline, log32_normal, log64_normal, sin32_poly, sin64_poly, sqrt_

U64 = np.uint64
GOLDEN = U64(0x9E3779B97F4A7C15)
_MASK = (1 << 64) - 1
_GOLD = 0x9E3779B97F4A7C15


@inline
def splitmix64(x):
    """The splitmix64 finaliser (a bijective 64-bit mixer)."""
    z = x
    z = (z ^ (z >> U64(30))) * U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> U64(27))) * U64(0x94D049BB133111EB)
    return z ^ (z >> U64(31))


U32 = np.uint32


@inline
def normal_pair64(h):
    """Two independent N(0, 1) float64 values from one 64-bit hash (Box-Muller).

    32 bits give the radius (u in (0, 1), never 0), 30 bits the angle within a quadrant and 2 bits the
    quadrant, so sin and cos are only needed on [-pi/4, pi/4).
    """
    return normal_pair64_split(U32(h >> U64(32)), U32(h & U64(0xFFFFFFFF)))


@inline
def normal_pair64_split(hi, lo):
    """``normal_pair64`` of the hash whose high and low 32-bit halves are ``hi`` and ``lo`` (uint32): a CPU
    kernel hashes in one loop and draws in another, each vectorising better alone (20% faster)."""
    u = (F64(hi) + F64(0.5)) * F64(2.3283064365386963e-10)
    f = F64(lo >> U32(2)) * F64(9.313225746154785e-10) - F64(0.5)
    angle = f * F64(1.5707963267948966)
    r = sqrt_(F64(-2.0) * log64_normal(u)) * F64(0.70710678118654752440)      # u is in (0, 1)
    c = cos64_poly(angle)
    s = sin64_poly(angle)
    s0 = F64(1.0) - F64(2.0) * F64(lo & U32(1))
    s1 = F64(1.0) - F64(2.0) * F64((lo >> U32(1)) & U32(1))
    return s0 * r * (c - s), s1 * r * (c + s)


@inline
def normal_pair32(h):
    """Two independent N(0, 1) float32 values from one 64-bit hash (Box-Muller, 24-bit angle)."""
    return normal_pair32_split(U32(h >> U64(32)), U32(h & U64(0xFFFFFFFF)))


@inline
def normal_pair32_split(hi, lo):
    """``normal_pair32`` of the hash whose high and low 32-bit halves are ``hi`` and ``lo`` (uint32).

    Computed in 32-bit integer arithmetic, so that a float32 kernel can run it 16 lanes wide after a separate
    (64-bit, 8 lanes wide) hashing loop.
    """
    u = (F32(hi) + F32(0.5)) * F32(2.3283064365386963e-10)
    f = F32(lo >> U32(8)) * F32(5.9604644775390625e-08) - F32(0.5)
    angle = f * F32(1.5707963267948966)
    r = sqrt_(F32(-2.0) * log32_normal(u)) * F32(0.70710678118654752)        # u is in (0, 1)
    c = cos32_poly(angle)
    s = sin32_poly(angle)
    s0 = F32(1.0) - F32(2.0) * F32(lo & U32(1))
    s1 = F32(1.0) - F32(2.0) * F32((lo >> U32(1)) & U32(1))
    return s0 * r * (c - s), s1 * r * (c + s)


def _mix(x: int) -> int:
    z = x & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def noise_keys(seeds, n_variables: int, n_nodes: int) -> np.ndarray:
    """Keys ``[variable, pair, member]`` for the kernel's noise stream.

    Parameters
    ----------
    seeds : sequence of int
        One non-negative seed per batch member.
    n_variables : int
        Number of noisy (integrated) state variables.
    n_nodes : int
        Number of nodes; ``ceil(n_nodes / 2)`` keys per variable (one hash feeds two nodes).
    """
    half = (n_nodes + 1) // 2
    # the same integer arithmetic as _mix on Python ints, vectorised over members and nodes (uint64 wraps)
    seeds64 = np.array([int(seed) & _MASK for seed in seeds], dtype=np.uint64)
    with np.errstate(over="ignore"):
        base = _mix_array(seeds64 * U64(_GOLD) + U64(0x632BE59BD9B4E019))
        nodes = (np.arange(1, half + 1, dtype=np.uint64) * U64(0xD1B54A32D192ED03))[:, None]
        keys = np.empty((n_variables, half, len(seeds)), dtype=np.uint64)
        for v in range(n_variables):
            kv = _mix_array(base + U64(((v + 1) * _GOLD) & _MASK))
            keys[v] = _mix_array(kv[None, :] + nodes)
    return keys


def _mix_array(z: np.ndarray) -> np.ndarray:
    """:func:`_mix` on a uint64 array."""
    with np.errstate(over="ignore"):
        z = (z ^ (z >> U64(30))) * U64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> U64(27))) * U64(0x94D049BB133111EB)
        return z ^ (z >> U64(31))


def _make_filler(pair):
    # not cached on disk: two closures over one body would share numba's cache entry (numba#6845)
    @nb.njit
    def fill(keys, first_step, out):
        n_steps, n_var, n_nodes, lanes = out.shape
        half = keys.shape[1]
        for t in range(n_steps):
            gs = U64(first_step + t + 1) * GOLDEN
            for v in range(n_var):
                for i in range(half):
                    for b in range(lanes):
                        z0, z1 = pair(splitmix64(keys[v, i, b] + gs))
                        out[t, v, i, b] = z0
                        if i + half < n_nodes:
                            out[t, v, i + half, b] = z1
    return fill


_fill64 = _make_filler(normal_pair64)
_fill32 = _make_filler(normal_pair32)


def normals(seeds, n_variables: int, n_nodes: int, first_step: int, n_steps: int, dtype="float64") -> np.ndarray:
    """The standard normals the kernel draws for steps ``first_step .. first_step + n_steps - 1``.

    Returns an array ``(step, variable, node, member)``: the kernel adds ``sqrt(2 nsig dt) * z`` (times the
    multiplicative factor) at each step. Used to drive reference implementations with brainsweep's noise.
    """
    out = np.empty((n_steps, n_variables, n_nodes, len(seeds)), dtype=dtype)
    fill = _fill32 if out.dtype == np.float32 else _fill64
    fill(noise_keys(seeds, n_variables, n_nodes), first_step, out)
    return out


def uniform_hash(seed: int, counters: np.ndarray) -> np.ndarray:
    """Uniform numbers in (0, 1) from ``seed`` and integer ``counters`` (numpy, counter-based: the value of a
    counter never depends on which others are drawn with it)."""
    key = np.uint64(_mix((int(seed) & _MASK) * _GOLD + 0x2545F4914F6CDD1D))
    with np.errstate(over="ignore"):
        z = key + (np.asarray(counters, dtype=np.uint64) + np.uint64(1)) * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0 ** -53

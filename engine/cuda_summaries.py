"""FC, FC fit and FCD on the GPU, from a monitor's samples kept on the device (see
:mod:`brainsweep.engine.summaries`).

The samples after the transient are kept as ``series[t, node, lane]`` (the kernel's dtype) by
:class:`DeviceSeries`; :func:`summarise` (FC) and :func:`summarise_fcd` (FCD) then run small kernels, all
accumulating in float64 as the host's :mod:`~brainsweep.engine.features` does:

1. ``moments``: per (window, node, lane) the mean and the centred norm ``sqrt(sum (x - mean)^2)`` over the window's
   samples (an FC has one window: the whole series), and per lane whether any sample is non-finite; a signal is
   constant when ``norm <= 16 eps sqrt(T) |mean|`` (the host's rule);
2. ``pairs``: per (pair ``i, j``, window, lane) Pearson r, clipped to [-1, 1], NaN for a constant signal, a NaN
   input or a member with any non-finite sample; exactly 1 on the diagonal (``i == j``, for an FCD of whole FCs);
3. ``fit``: per lane Pearson r and RMSE between the fitted pairs and the empirical FC's (the empirical side
   centred on the host exactly as ``features.fc_fit`` centres it).

An FCD applies 1 and 2 twice: to the series with its sliding windows, which gives each window's FC as a column
``(pair, window)`` per lane, then to those columns (pairs as samples, windows as signals, one window), which gives
the correlations between windows. Lanes go through the first stage in groups small enough for its buffer.

Consecutive threads are consecutive lanes, so every load is coalesced. Only ``fc_fit`` and ``fc_rmse`` (and on
request the ``N (N - 1) / 2`` pairs), or the FCD's ``K (K - 1) / 2`` values per member, cross to the host.
"""
from __future__ import annotations

import math

import numpy as np

from .cuda import _import_cuda
from .features import constant_tolerance

# numba.cuda is imported, not started: the kernels compile on first use (or to PTX offline, without a GPU);
# they refer to the module as the global `cuda`, which numba's CUDA simulator swaps for its own
cuda = _import_cuda()
_THREADS = 128
#: Device memory (bytes) for the window FCs of one group of lanes in an FCD's first stage.
FCD_BUFFER_BYTES = 512 * 2**20


@cuda.jit
def moments(series, NB, B, starts, width, mean, norm, bad):
    # one thread per (window, node-lane), node-lanes fastest
    k = cuda.grid(1)
    if k >= starts.size * NB:
        return
    w = k // NB
    i = k - w * NB
    t0 = starts[w]
    s = 0.0
    for t in range(t0, t0 + width):
        s += float(series[t * NB + i])
    m = s / width
    q = 0.0
    for t in range(t0, t0 + width):
        d = float(series[t * NB + i]) - m
        q += d * d
    mean[k] = m
    norm[k] = math.sqrt(q)
    if not math.isfinite(q):
        bad[i % B] = 1            # any non-finite sample: the whole member's result is NaN (as on the host)


@cuda.jit
def pairs(series, NB, B, lane0, starts, width, pi, pj, mean, norm, tol, bad, out):
    # one thread per (pair, window, lane of this group), lanes fastest, as out[pair * K + window, lane]; a 1-D grid,
    # since pairs may outnumber a grid's y extent (65,535). Series lane = lane0 + group lane.
    G = out.shape[1]
    K = starts.size
    k = cuda.grid(1)
    if k >= pi.size * K * G:
        return
    row = k // G
    c = k - row * G
    p = row // K
    w = row - p * K
    b = lane0 + c
    i = pi[p] * B + b
    j = pj[p] * B + b
    mi, mj, ni, nj = mean[w * NB + i], mean[w * NB + j], norm[w * NB + i], norm[w * NB + j]
    if bad[c] != 0 or ni <= tol * abs(mi) or nj <= tol * abs(mj) or ni != ni or nj != nj:
        out[row, c] = math.nan
        return
    if i == j:
        out[row, c] = 1.0
        return
    t0 = starts[w]
    s = 0.0
    for t in range(t0, t0 + width):
        s += (float(series[t * NB + i]) - mi) * (float(series[t * NB + j]) - mj)
    r = s / (ni * nj)
    out[row, c] = min(1.0, max(-1.0, r))


@cuda.jit
def fit(fc, B, sel, y, yc, syy, r_out, rmse_out):
    b = cuda.grid(1)
    if b >= B:
        return
    n = sel.size
    s = 0.0
    for k in range(n):
        s += fc[sel[k], b]
    mx = s / n
    sxy = 0.0
    sxx = 0.0
    sd = 0.0
    for k in range(n):
        x = fc[sel[k], b]
        d = x - mx
        sxy += d * yc[k]
        sxx += d * d
        e = x - y[k]
        sd += e * e
    den = math.sqrt(sxx * syy)
    if mx != mx or den == 0.0:
        r = math.nan
    else:
        r = min(1.0, max(-1.0, sxy / den))
    r_out[b] = r
    rmse_out[b] = math.sqrt(sd / n)


def _blocks(n: int) -> int:
    return -(-max(n, 1) // _THREADS)


class DeviceSeries:
    """The samples of one monitor variable after the transient, kept on the GPU chunk by chunk.

    ``take(out, c, n_voi)`` is called after each kernel chunk with the device buffer of that chunk's ``c``
    samples (``(c, n_voi, N, B)``); samples before index ``drop`` (the transient) are skipped. Summaries of the
    same variable after the same transient (an FC and an FCD of the BOLD) share one."""

    def __init__(self, drop: int, total: int, variable: int, N: int, B: int, dtype):
        self.drop, self.variable = int(drop), int(variable)
        self.N, self.B, self.NB = N, B, N * B
        self.T = int(total) - self.drop
        self.data = cuda.device_array(self.T * self.NB, dtype=dtype)
        self.seen = 0

    def take(self, out, c: int, n_voi: int) -> None:
        NB = self.NB
        for k in range(c):
            g = self.seen + k - self.drop
            if 0 <= g < self.T:
                src = (k * n_voi + self.variable) * NB
                self.data[g * NB:(g + 1) * NB].copy_to_device(out[src:src + NB])
        self.seen += c


def _bad_lanes(series) -> object:
    """Per lane (device int32): any non-finite sample in the whole series."""
    NB, B, T = series.NB, series.B, series.T
    bad = cuda.to_device(np.zeros(B, dtype=np.int32))
    mean = cuda.device_array(NB, dtype=np.float64)
    norm = cuda.device_array(NB, dtype=np.float64)
    moments[_blocks(NB), _THREADS](series.data, NB, B, cuda.to_device(np.zeros(1, dtype=np.int64)), T, mean, norm,
                                   bad)
    return bad, mean, norm


def _check_complete(series) -> None:
    if series.seen - series.drop != series.T:
        raise RuntimeError(f"internal error: {series.seen} samples seen, {series.drop + series.T} expected")


def summarise(series: DeviceSeries, summary, mask: np.ndarray) -> dict[str, np.ndarray]:
    """An ``FCSummary`` on the GPU: ``fit`` and ``rmse`` ``(B,)`` (with an empirical FC; ``mask``: the fitted
    pairs), and with ``matrix`` the ``pairs`` ``(P, B)`` of the upper triangle, ``constant`` ``(N, B)`` and ``bad``
    ``(B,)``, computed from ``series``."""
    _check_complete(series)
    N, B, T = series.N, series.B, series.T
    tol = constant_tolerance(T)
    bad, mean, norm = _bad_lanes(series)
    pi, pj = np.triu_indices(N, k=1)
    P = pi.size
    fc = cuda.device_array((max(P, 1), B), dtype=np.float64)
    pairs[_blocks(P * B), _THREADS](series.data, N * B, B, 0, cuda.to_device(np.zeros(1, dtype=np.int64)), T,
                                    cuda.to_device(pi.astype(np.int64)), cuda.to_device(pj.astype(np.int64)),
                                    mean, norm, tol, bad, fc)
    out: dict[str, np.ndarray] = {}
    if summary.empirical is not None:
        # pair index of (i, j), i < j, in triu order
        index = np.full((N, N), -1, dtype=np.int64)
        index[pi, pj] = np.arange(P)
        sel = index[mask]
        y, yc, syy = summary.empirical_pairs(mask)
        r = cuda.device_array(B, dtype=np.float64)
        rmse = cuda.device_array(B, dtype=np.float64)
        fit[_blocks(B), _THREADS](fc, B, cuda.to_device(sel), cuda.to_device(y), cuda.to_device(yc), syy, r, rmse)
        out["fit"], out["rmse"] = r.copy_to_host(), rmse.copy_to_host()
    if summary.matrix:
        m, n = mean.copy_to_host().reshape(N, B), norm.copy_to_host().reshape(N, B)
        out["pairs"] = fc.copy_to_host()[:P].reshape(P, B)
        out["constant"] = n <= tol * np.abs(m)
        out["bad"] = bad.copy_to_host() != 0
    return out


def summarise_fcd(series: DeviceSeries, summary, width: int, starts: np.ndarray,
                  buffer_bytes: int = FCD_BUFFER_BYTES) -> dict[str, np.ndarray]:
    """An ``FCDSummary`` on the GPU: ``values`` ``(Q, B)``, the upper triangles (``Q = K (K - 1) / 2`` for ``K``
    windows of ``width`` samples starting at ``starts``), ``constant`` ``(K, B)`` (windows whose FC is constant)
    and ``bad`` ``(B,)``. ``summary.entries`` says which FC entries each window contributes (see
    ``features.fcd``)."""
    _check_complete(series)
    N, B, NB = series.N, series.B, series.NB
    K = int(starts.size)
    if summary.entries == "full":
        pi, pj = (a.ravel() for a in np.indices((N, N)))
    else:
        pi, pj = np.triu_indices(N, k=1)
    P = int(pi.size)
    ki, kj = np.triu_indices(K, k=1)
    Q = int(ki.size)
    bad, _mean, _norm = _bad_lanes(series)
    d_starts = cuda.to_device(np.ascontiguousarray(starts, dtype=np.int64))
    one = cuda.to_device(np.zeros(1, dtype=np.int64))
    d_pi, d_pj = cuda.to_device(pi.astype(np.int64)), cuda.to_device(pj.astype(np.int64))
    d_ki, d_kj = cuda.to_device(ki.astype(np.int64)), cuda.to_device(kj.astype(np.int64))
    # stage 1 moments: every window of every lane at once
    wmean = cuda.device_array(K * NB, dtype=np.float64)
    wnorm = cuda.device_array(K * NB, dtype=np.float64)
    moments[_blocks(K * NB), _THREADS](series.data, NB, B, d_starts, width, wmean, wnorm,
                                       cuda.to_device(np.zeros(B, dtype=np.int32)))
    values = cuda.device_array((max(Q, 1), B), dtype=np.float64)
    constant = np.zeros((K, B), dtype=bool)
    group = max(1, min(B, int(buffer_bytes) // (8 * P * K)))
    buffer = cuda.device_array(P * K * group, dtype=np.float64)
    tol = constant_tolerance(P)
    for lo in range(0, B, group):
        G = min(group, B - lo)
        flat = buffer[:P * K * G]
        # stage 1: each window's FC, as rows (pair, window) of this group's lanes ...
        pairs[_blocks(P * K * G), _THREADS](series.data, NB, B, lo, d_starts, width, d_pi, d_pj, wmean, wnorm,
                                            constant_tolerance(width), bad[lo:lo + G], flat.reshape(P * K, G))
        # ... which read as a series (pairs the samples, windows the signals) correlate into the FCD
        mean = cuda.device_array(K * G, dtype=np.float64)
        norm = cuda.device_array(K * G, dtype=np.float64)
        moments[_blocks(K * G), _THREADS](flat, K * G, G, one, P, mean, norm, cuda.to_device(np.zeros(G, np.int32)))
        if Q:
            pairs[_blocks(Q * G), _THREADS](flat, K * G, G, 0, one, P, d_ki, d_kj, mean, norm, tol, bad[lo:lo + G],
                                            values[:, lo:lo + G])
        m, n = mean.copy_to_host().reshape(K, G), norm.copy_to_host().reshape(K, G)
        constant[:, lo:lo + G] = n <= tol * np.abs(m)
    return {"values": values.copy_to_host()[:Q], "constant": constant, "bad": bad.copy_to_host() != 0}


__all__ = ["DeviceSeries", "summarise", "summarise_fcd", "FCD_BUFFER_BYTES"]

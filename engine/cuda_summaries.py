"""FC and FC fit on the GPU, from a monitor's samples kept on the device (see :mod:`brainsweep.engine.summaries`).

The samples after the transient are kept as ``series[t, node, lane]`` (the kernel's dtype) by
:class:`DeviceSeries`; :func:`summarise` then runs three small kernels, all accumulating in float64 as the host's
:mod:`~brainsweep.engine.features` does:

1. per (node, lane): the mean and the centred norm ``sqrt(sum (x - mean)^2)``, and whether the node is constant
   (``norm <= 16 eps sqrt(T) |mean|``, the host's rule);
2. per (region pair ``i < j``, lane): Pearson r, clipped to [-1, 1], NaN for a constant region or a member with
   any non-finite sample;
3. per lane: Pearson r and RMSE between the fitted pairs and the empirical FC's (the empirical side centred on the
   host exactly as ``features.fc_fit`` centres it).

Consecutive threads are consecutive lanes, so every load is coalesced. Only ``fc_fit`` and ``fc_rmse`` (and on
request the ``N (N - 1) / 2`` pairs) cross to the host.
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


@cuda.jit
def moments(series, T, NB, B, mean, norm, bad):
    i = cuda.grid(1)
    if i >= NB:
        return
    s = 0.0
    for t in range(T):
        s += float(series[t * NB + i])
    m = s / T
    q = 0.0
    for t in range(T):
        d = float(series[t * NB + i]) - m
        q += d * d
    mean[i] = m
    norm[i] = math.sqrt(q)
    if not math.isfinite(q):
        bad[i % B] = 1            # any non-finite sample: the whole member's FC is NaN (as on the host)


@cuda.jit
def pairs(series, T, NB, B, pi, pj, mean, norm, tol, bad, out):
    # one thread per (pair, lane), lanes fastest; a 1-D grid, since pairs may outnumber a grid's y extent (65,535)
    k = cuda.grid(1)
    if k >= pi.size * B:
        return
    p = k // B
    b = k - p * B
    i = pi[p] * B + b
    j = pj[p] * B + b
    mi, mj, ni, nj = mean[i], mean[j], norm[i], norm[j]
    if bad[b] != 0 or ni <= tol * abs(mi) or nj <= tol * abs(mj):
        out[p * B + b] = math.nan
        return
    s = 0.0
    for t in range(T):
        s += (float(series[t * NB + i]) - mi) * (float(series[t * NB + j]) - mj)
    r = s / (ni * nj)
    out[p * B + b] = min(1.0, max(-1.0, r))


@cuda.jit
def fit(fc, B, sel, y, yc, syy, r_out, rmse_out):
    b = cuda.grid(1)
    if b >= B:
        return
    n = sel.size
    s = 0.0
    for k in range(n):
        s += fc[sel[k] * B + b]
    mx = s / n
    sxy = 0.0
    sxx = 0.0
    sd = 0.0
    for k in range(n):
        x = fc[sel[k] * B + b]
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


class DeviceSeries:
    """The samples of one monitor variable after the transient, kept on the GPU chunk by chunk.

    ``take(out, c, n_voi)`` is called after each kernel chunk with the device buffer of that chunk's ``c``
    samples (``(c, n_voi, N, B)``); samples before index ``drop`` (the transient) are skipped."""

    def __init__(self, summary, drop: int, total: int, variable: int, N: int, B: int, dtype):
        self.summary, self.drop, self.variable = summary, int(drop), int(variable)
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


def summarise(series: DeviceSeries, mask: np.ndarray) -> dict[str, np.ndarray]:
    """``fit`` and ``rmse`` ``(B,)`` (with an empirical FC; ``mask``: the fitted pairs), and with ``matrix`` the
    ``pairs`` ``(P, B)`` of the upper triangle, ``constant`` ``(N, B)`` and ``bad`` ``(B,)``, computed on the GPU
    from ``series``."""
    N, B, NB, T = series.N, series.B, series.NB, series.T
    if series.seen - series.drop != T:
        raise RuntimeError(f"internal error: {series.seen} samples seen, {series.drop + T} expected")
    tol = constant_tolerance(T)
    mean = cuda.device_array(NB, dtype=np.float64)
    norm = cuda.device_array(NB, dtype=np.float64)
    bad = cuda.to_device(np.zeros(B, dtype=np.int32))
    moments[-(-NB // _THREADS), _THREADS](series.data, T, NB, B, mean, norm, bad)
    pi, pj = np.triu_indices(N, k=1)
    P = pi.size
    fc = cuda.device_array(max(P, 1) * B, dtype=np.float64)
    pairs[-(-max(P, 1) * B // _THREADS), _THREADS](series.data, T, NB, B, cuda.to_device(pi.astype(np.int64)),
                                                   cuda.to_device(pj.astype(np.int64)), mean, norm, tol, bad, fc)
    out: dict[str, np.ndarray] = {}
    summary = series.summary
    if summary.empirical is not None:
        # pair index of (i, j), i < j, in triu order
        index = np.full((N, N), -1, dtype=np.int64)
        index[pi, pj] = np.arange(P)
        sel = index[mask]
        y, yc, syy = summary.empirical_pairs(mask)
        r = cuda.device_array(B, dtype=np.float64)
        rmse = cuda.device_array(B, dtype=np.float64)
        fit[-(-B // _THREADS), _THREADS](fc, B, cuda.to_device(sel), cuda.to_device(y), cuda.to_device(yc), syy, r,
                                         rmse)
        out["fit"], out["rmse"] = r.copy_to_host(), rmse.copy_to_host()
    if summary.matrix:
        m, n = mean.copy_to_host().reshape(N, B), norm.copy_to_host().reshape(N, B)
        out["pairs"] = fc.copy_to_host()[:P * B].reshape(P, B)
        out["constant"] = n <= tol * np.abs(m)
        out["bad"] = bad.copy_to_host() != 0
    return out


__all__ = ["DeviceSeries", "summarise"]

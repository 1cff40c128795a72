"""Dynamic mean-field models of Wong & Wang (2006) as reduced by Deco et al. (2013, 2014): one population
(ReducedWongWang) and coupled excitatory-inhibitory populations (ReducedWongWangExcInh)."""
from __future__ import annotations

from ..fastmath import exp, where
from ..model import Model, Parameter


class ReducedWongWang(Model):
    r"""One-population reduced Wong-Wang model (TVB's ``ReducedWongWang``; Deco et al. 2013, J. Neurosci.
    33:11239, p. 11242).

    .. math::
        x_k &= w J_N S_k + I_o + J_N c_0 \\
        H(x_k) &= \frac{a x_k - b}{1 - \exp(-d (a x_k - b))} \\
        \dot S_k &= -\frac{S_k}{\tau_s} + (1 - S_k)\, H(x_k)\, \gamma

    ``S`` is kept in [0, 1] after every integration stage, as in TVB. Where ``a x - b`` is within 1e-3/d of 0,
    ``H`` uses its series (the plain quotient is 0/0 there); elsewhere the two agree to 1e-13.
    """

    a = Parameter(0.270, range=(0.0, 0.270), unit="n/C", doc="Input gain parameter.")
    b = Parameter(0.108, range=(0.0, 1.0), unit="kHz", doc="Input shift parameter.")
    d = Parameter(154.0, range=(0.0, 200.0), unit="ms", doc="Parameter chosen to fit numerical solutions.")
    gamma = Parameter(0.641, range=(0.0, 1.0), doc="Kinetic parameter.")
    tau_s = Parameter(100.0, range=(50.0, 150.0), unit="ms", doc="NMDA decay time constant.")
    w = Parameter(0.6, range=(0.0, 1.0), doc="Excitatory recurrence.")
    J_N = Parameter(0.2609, range=(0.2609, 0.5), unit="nA", doc="NMDA synaptic coupling.")
    I_o = Parameter(0.33, range=(0.0, 1.0), unit="nA", doc="Effective external input.")
    sigma_noise = Parameter(1e-9, range=(0.0, 0.005), unit="nA",
                            doc="Noise amplitude (kept for TVB compatibility; noise comes from the integrator).")

    state_variables = ("S",)
    state_variable_range = {"S": (0.0, 1.0)}
    state_variable_boundaries = {"S": (0.0, 1.0)}
    variables_of_interest = ("S",)
    cvar = ("S",)

    @staticmethod
    def dfun(S, c_0, lc_0, a, b, d, gamma, tau_s, w, J_N, I_o):
        x = w * J_N * S + I_o + J_N * c_0 + J_N * lc_0
        u = a * x - b
        y = d * u
        H = where(abs(y) < 1e-3, (1.0 + y * (0.5 + y * (1.0 / 12.0 - y * y / 720.0))) / d, u / (1.0 - exp(-y)))
        return -(S / tau_s) + (1.0 - S) * H * gamma


class ReducedWongWangExcInh(Model):
    r"""Reduced Wong-Wang model with coupled excitatory and inhibitory populations (TVB's
    ``ReducedWongWangExcInh``; Deco et al. 2014, J. Neurosci. 34:7886; Wong & Wang 2006).

    .. math::
        x_{e} &= w_p J_N S_e - J_i S_i + W_e I_o + G J_N c_0 + I_{ext} \\
        H_e &= \frac{a_e x_e - b_e}{1 - \exp(-d_e (a_e x_e - b_e))} \\
        \dot S_e &= -\frac{S_e}{\tau_e} + (1 - S_e)\, H_e\, \gamma_e \\
        x_{i} &= J_N S_e - S_i + W_i I_o + \lambda G J_N c_0 \\
        H_i &= \frac{a_i x_i - b_i}{1 - \exp(-d_i (a_i x_i - b_i))} \\
        \dot S_i &= -\frac{S_i}{\tau_i} + H_i\, \gamma_i

    Only ``S_e`` couples; the global coupling is scaled inside the model by ``G J_N`` (and by ``lamda`` for
    the inhibitory population). ``S_e`` and ``S_i`` are kept in [0, 1] after every integration stage, as in
    TVB. Rates ``H`` are in Hz and ``gamma`` carries the 1/1000 to make the derivatives per ms. Where
    :math:`|d (a x - b)| < 10^{-3}` ``H`` uses its series (TVB's quotient is 0/0 at the singular point);
    elsewhere this is TVB's expression, and the two agree to 1e-13 at the switch.

    References
    ----------
    G. Deco, A. Ponce-Alvarez, P. Hagmann, G. L. Romani, D. Mantini, M. Corbetta, *How local
    excitation-inhibition ratio impacts the whole brain dynamics*, J. Neurosci. 34(23):7886-7898, 2014.
    K.-F. Wong, X.-J. Wang, *A recurrent network mechanism of time integration in perceptual decisions*,
    J. Neurosci. 26(4):1314-1328, 2006.
    """

    a_e = Parameter(310.0, range=(0.0, 500.0), unit="n/C", doc="Excitatory input gain parameter.")
    b_e = Parameter(125.0, range=(0.0, 200.0), unit="Hz", doc="Excitatory input shift parameter.")
    d_e = Parameter(0.160, range=(0.0, 0.2), unit="s", doc="Excitatory input scaling parameter.")
    gamma_e = Parameter(0.641 / 1000, range=(0.0, 1.0 / 1000), doc="Excitatory kinetic parameter.")
    tau_e = Parameter(100.0, range=(50.0, 150.0), unit="ms", doc="Excitatory NMDA decay time constant.")
    w_p = Parameter(1.4, range=(0.0, 2.0), doc="Excitatory recurrence weight.")
    J_N = Parameter(0.15, range=(0.001, 0.5), unit="nA", doc="NMDA current.")
    W_e = Parameter(1.0, range=(0.0, 2.0), doc="Excitatory external input scaling weight.")
    a_i = Parameter(615.0, range=(0.0, 1000.0), unit="n/C", doc="Inhibitory input gain parameter.")
    b_i = Parameter(177.0, range=(0.0, 200.0), unit="Hz", doc="Inhibitory input shift parameter.")
    d_i = Parameter(0.087, range=(0.0, 0.2), unit="s", doc="Inhibitory input scaling parameter.")
    gamma_i = Parameter(1.0 / 1000, range=(0.0, 2.0 / 1000), doc="Inhibitory kinetic parameter.")
    tau_i = Parameter(10.0, range=(5.0, 100.0), unit="ms", doc="Inhibitory NMDA decay time constant.")
    J_i = Parameter(1.0, range=(0.001, 2.0), unit="nA", doc="Local inhibitory current.")
    W_i = Parameter(0.7, range=(0.0, 1.0), doc="Inhibitory external input scaling weight.")
    I_o = Parameter(0.382, range=(0.0, 1.0), unit="nA", doc="Effective external input.")
    I_ext = Parameter(0.0, range=(0.0, 1.0), unit="nA", doc="Effective external stimulus input (excitatory).")
    G = Parameter(2.0, range=(0.0, 10.0), doc="Global coupling scaling.")
    lamda = Parameter(0.0, range=(0.0, 1.0), doc="Inhibitory global coupling scaling.")

    state_variables = ("S_e", "S_i")
    state_variable_range = {"S_e": (0.0, 1.0), "S_i": (0.0, 1.0)}
    state_variable_boundaries = {"S_e": (0.0, 1.0), "S_i": (0.0, 1.0)}
    variables_of_interest = ("S_e", "S_i")
    cvar = ("S_e",)

    @staticmethod
    def dfun(S_e, S_i, c_0, lc_0, a_e, b_e, d_e, gamma_e, tau_e, w_p, J_N, W_e, a_i, b_i, d_i, gamma_i, tau_i,
             J_i, W_i, I_o, I_ext, G, lamda):
        cc = G * J_N * (c_0 + lc_0)
        jnSe = J_N * S_e

        x = w_p * jnSe - J_i * S_i + W_e * I_o + cc + I_ext
        x = a_e * x - b_e
        y = d_e * x
        h = where(abs(y) < 1e-3, (1.0 + y * (0.5 + y * (1.0 / 12.0 - y * y / 720.0))) / d_e, x / (1 - exp(-y)))
        dS_e = -(S_e / tau_e) + (1.0 - S_e) * h * gamma_e

        x = jnSe - S_i + W_i * I_o + lamda * cc
        x = a_i * x - b_i
        y = d_i * x
        h = where(abs(y) < 1e-3, (1.0 + y * (0.5 + y * (1.0 / 12.0 - y * y / 720.0))) / d_i, x / (1 - exp(-y)))
        dS_i = -(S_i / tau_i) + h * gamma_i
        return dS_e, dS_i

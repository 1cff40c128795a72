"""Wilson-Cowan model of interacting excitatory and inhibitory populations."""
from __future__ import annotations

from ..fastmath import exp, where
from ..model import Model, Parameter


class WilsonCowan(Model):
    r"""Wilson-Cowan model (TVB's ``WilsonCowan``; Wilson & Cowan 1972, Biophys. J. 12:1, eqs. 11-12).

    .. math::
        x_e &= \alpha_e (c_{ee} E - c_{ei} I + P - \theta_e + c_0) \\
        x_i &= \alpha_i (c_{ie} E - c_{ii} I + Q - \theta_i) \\
        \mathcal S_e &= c_e \left(\frac{1}{1 + e^{-a_e (x_e - b_e)}} - \frac{1}{1 + e^{a_e b_e}}\right)
            \quad\text{(shift\_sigmoid; else } \frac{c_e}{1 + e^{-a_e (x_e - b_e)}}\text{)} \\
        \mathcal S_i &= c_i \left(\frac{1}{1 + e^{-a_i (x_i - b_i)}} - \frac{1}{1 + e^{a_i b_i}}\right)
            \quad\text{(shift\_sigmoid; else } \frac{c_i}{1 + e^{-a_i (x_i - b_i)}}\text{)} \\
        \tau_e \dot E &= -E + (k_e - r_e E)\, \mathcal S_e \\
        \tau_i \dot I &= -I + (k_i - r_i I)\, \mathcal S_i

    ``cvar`` is ``(E, I)`` as in TVB, but TVB's equations read only the first coupling input ``c_0`` (into
    the excitatory population); the inhibitory population gets no long-range input. ``shift_sigmoid`` is TVB's
    boolean as a float: > 0.5 translates the sigmoids so that S(0) = 0. Time in ms.

    References
    ----------
    H. R. Wilson, J. D. Cowan, *Excitatory and inhibitory interactions in localized populations of model
    neurons*, Biophys. J. 12:1-24, 1972.
    """

    c_ee = Parameter(12.0, range=(11.0, 16.0), doc="Excitatory to excitatory coupling coefficient.")
    c_ei = Parameter(4.0, range=(2.0, 15.0), doc="Inhibitory to excitatory coupling coefficient.")
    c_ie = Parameter(13.0, range=(2.0, 22.0), doc="Excitatory to inhibitory coupling coefficient.")
    c_ii = Parameter(11.0, range=(2.0, 15.0), doc="Inhibitory to inhibitory coupling coefficient.")
    tau_e = Parameter(10.0, range=(0.0, 150.0), unit="ms", doc="Excitatory membrane time constant.")
    tau_i = Parameter(10.0, range=(0.0, 150.0), unit="ms", doc="Inhibitory membrane time constant.")
    a_e = Parameter(1.2, range=(0.0, 1.4), doc="Slope of the excitatory response function.")
    b_e = Parameter(2.8, range=(1.4, 6.0), doc="Position of the maximum slope of the excitatory sigmoid.")
    c_e = Parameter(1.0, range=(1.0, 20.0), doc="Amplitude of the excitatory response function.")
    theta_e = Parameter(0.0, range=(0.0, 60.0), doc="Excitatory threshold.")
    a_i = Parameter(1.0, range=(0.0, 2.0), doc="Slope of the inhibitory response function.")
    b_i = Parameter(4.0, range=(2.0, 6.0), doc="Position of the maximum slope of the inhibitory sigmoid.")
    theta_i = Parameter(0.0, range=(0.0, 60.0), doc="Inhibitory threshold.")
    c_i = Parameter(1.0, range=(1.0, 20.0), doc="Amplitude of the inhibitory response function.")
    r_e = Parameter(1.0, range=(0.5, 2.0), doc="Excitatory refractory period.")
    r_i = Parameter(1.0, range=(0.5, 2.0), doc="Inhibitory refractory period.")
    k_e = Parameter(1.0, range=(0.5, 2.0), doc="Maximum value of the excitatory response function.")
    k_i = Parameter(1.0, range=(0.0, 2.0), doc="Maximum value of the inhibitory response function.")
    P = Parameter(0.0, range=(0.0, 20.0), doc="Constant external input to the excitatory population.")
    Q = Parameter(0.0, range=(0.0, 20.0), doc="Constant external input to the inhibitory population.")
    alpha_e = Parameter(1.0, range=(0.0, 20.0), doc="Gain on the total excitatory input.")
    alpha_i = Parameter(1.0, range=(0.0, 20.0), doc="Gain on the total inhibitory input.")
    shift_sigmoid = Parameter(1.0, doc="TVB's boolean flag (1.0 True, 0.0 False): shift the sigmoids so S(0) = 0.")

    state_variables = ("E", "I")
    state_variable_range = {"E": (0.0, 1.0), "I": (0.0, 1.0)}
    variables_of_interest = ("E",)
    voi_choices = ("E", "I", "E + I", "E - I")
    cvar = ("E", "I")
    local_coupling = ("E", "I")

    @staticmethod
    def dfun(E, I, c_0, lc_0, lc_1, c_ee, c_ei, c_ie, c_ii, tau_e, tau_i, a_e, b_e, c_e, theta_e, a_i, b_i, theta_i, c_i,
             r_e, r_i, k_e, k_i, P, Q, alpha_e, alpha_i, shift_sigmoid):
        x_e = alpha_e * (c_ee * E - c_ei * I + P - theta_e + c_0 + lc_0 + lc_1)
        x_i = alpha_i * (c_ie * E - c_ii * I + Q - theta_i + lc_0 + lc_1)
        shift = shift_sigmoid > 0.5
        s_e = where(shift,
                    c_e * (1.0 / (1.0 + exp(-a_e * (x_e - b_e))) - 1.0 / (1.0 + exp(-a_e * -b_e))),
                    c_e / (1.0 + exp(-a_e * (x_e - b_e))))
        s_i = where(shift,
                    c_i * (1.0 / (1.0 + exp(-a_i * (x_i - b_i))) - 1.0 / (1.0 + exp(-a_i * -b_i))),
                    c_i / (1.0 + exp(-a_i * (x_i - b_i))))
        dE = (-E + (k_e - r_e * E) * s_e) / tau_e
        dI = (-I + (k_i - r_i * I) * s_i) / tau_i
        return dE, dI

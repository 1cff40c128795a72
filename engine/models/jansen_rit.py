"""Jansen-Rit neural mass model of a cortical column (pyramidal cells, excitatory and inhibitory interneurons)."""
from __future__ import annotations

from ..fastmath import exp
from ..model import Model, Parameter


class JansenRit(Model):
    r"""Jansen-Rit model (TVB's ``JansenRit``; Jansen & Rit 1995, Biol. Cybern. 73:357).

    .. math::
        \dot y_0 &= y_3 \\
        \dot y_1 &= y_4 \\
        \dot y_2 &= y_5 \\
        \dot y_3 &= A a\, S(y_1 - y_2) - 2 a y_3 - a^2 y_0 \\
        \dot y_4 &= A a \left(\mu + \alpha_2 J\, S(\alpha_1 J y_0) + c_0 + \mathrm{lc}_0 - \mathrm{lc}_1\right)
            - 2 a y_4 - a^2 y_1 \\
        \dot y_5 &= B b \left(\alpha_4 J\, S(\alpha_3 J y_0)\right) - 2 b y_5 - b^2 y_2 \\
        S(v) &= \frac{2 \nu_{max}}{1 + \exp(r (v_0 - v))}

    ``y1 - y2`` is the pyramidal membrane potential (mV); ``cvar`` is ``(y1, y2)`` so that TVB's
    ``SigmoidalJansenRit`` coupling can form :math:`S(y_{1j} - y_{2j})`, but ``dfun`` reads one coupling input
    ``c_0`` (TVB's ``coupling[0]``), entering the excitatory interneuron input next to :math:`\mu`. On a
    surface, ``lc_0 - lc_1`` is TVB's ``local_coupling * (y1 - y2)`` (local coupling of the neighbouring
    vertices' ``y1`` and ``y2``; zero in a region simulation).
    ``p_min`` and ``p_max`` are declared for TVB compatibility; TVB's equations do not use them. Time in ms.

    References
    ----------
    B. H. Jansen, V. G. Rit, *Electroencephalogram and visual evoked potential generation in a mathematical
    model of coupled cortical columns*, Biol. Cybern. 73:357-366, 1995.
    """

    A = Parameter(3.25, range=(2.6, 9.75), unit="mV", doc="Maximum amplitude of the EPSP (average synaptic gain).")
    B = Parameter(22.0, range=(17.6, 110.0), unit="mV", doc="Maximum amplitude of the IPSP (average synaptic gain).")
    a = Parameter(0.1, range=(0.05, 0.15), unit="1/ms", doc="Reciprocal of the excitatory synaptic time constant.")
    b = Parameter(0.05, range=(0.025, 0.075), unit="1/ms", doc="Reciprocal of the inhibitory synaptic time constant.")
    v0 = Parameter(5.52, range=(3.12, 6.0), unit="mV", doc="Firing threshold: PSP giving half the maximum rate.")
    nu_max = Parameter(0.0025, range=(0.00125, 0.00375), unit="1/ms", doc="Maximum firing rate of the population.")
    r = Parameter(0.56, range=(0.28, 0.84), unit="1/mV", doc="Steepness of the sigmoid.")
    J = Parameter(135.0, range=(65.0, 1350.0), doc="Average number of synapses between populations.")
    a_1 = Parameter(1.0, range=(0.5, 1.5), doc="Synaptic contact probability, feedback excitatory loop.")
    a_2 = Parameter(0.8, range=(0.4, 1.2), doc="Synaptic contact probability, slow feedback excitatory loop.")
    a_3 = Parameter(0.25, range=(0.125, 0.375), doc="Synaptic contact probability, feedback inhibitory loop.")
    a_4 = Parameter(0.25, range=(0.125, 0.375), doc="Synaptic contact probability, slow feedback inhibitory loop.")
    p_min = Parameter(0.12, range=(0.0, 0.12), doc="Minimum input firing rate (unused, as in TVB).")
    p_max = Parameter(0.32, range=(0.0, 0.32), doc="Maximum input firing rate (unused, as in TVB).")
    mu = Parameter(0.22, range=(0.0, 0.22), doc="Mean input firing rate.")

    state_variables = ("y0", "y1", "y2", "y3", "y4", "y5")
    state_variable_range = {"y0": (-1.0, 1.0), "y1": (-500.0, 500.0), "y2": (-50.0, 50.0),
                            "y3": (-6.0, 6.0), "y4": (-20.0, 20.0), "y5": (-500.0, 500.0)}
    variables_of_interest = ("y0", "y1", "y2", "y3")
    voi_choices = ("y0", "y1", "y2", "y3", "y4", "y5")
    cvar = ("y1", "y2")
    local_coupling = ("y1", "y2")

    @staticmethod
    def dfun(y0, y1, y2, y3, y4, y5, c_0, lc_0, lc_1, A, B, a, b, v0, nu_max, r, J, a_1, a_2, a_3, a_4, mu):
        sigm_y1_y2 = 2.0 * nu_max / (1.0 + exp(r * (v0 - (y1 - y2))))
        sigm_y0_1 = 2.0 * nu_max / (1.0 + exp(r * (v0 - (a_1 * J * y0))))
        sigm_y0_3 = 2.0 * nu_max / (1.0 + exp(r * (v0 - (a_3 * J * y0))))
        return (
            y3,
            y4,
            y5,
            A * a * sigm_y1_y2 - 2.0 * a * y3 - a ** 2 * y0,
            A * a * (mu + a_2 * J * sigm_y0_1 + c_0 + (lc_0 - lc_1)) - 2.0 * a * y4 - a ** 2 * y1,
            B * b * (a_4 * J * sigm_y0_3) - 2.0 * b * y5 - b ** 2 * y2,
        )

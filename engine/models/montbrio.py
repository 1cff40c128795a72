"""Exact mean field of quadratic integrate-and-fire neurons (Montbrio, Pazo & Roxin 2015)."""
from __future__ import annotations

import numpy as np

from ..model import Model, Parameter


class MontbrioPazoRoxin(Model):
    r"""Ott-Antonsen reduction of an infinite all-to-all coupled population of QIF (theta) neurons (TVB's
    ``MontbrioPazoRoxin`` from ``infinite_theta.py``; Montbrio, Pazo & Roxin 2015, Phys. Rev. X 5:021028).

    .. math::
        \dot r &= \frac{1}{\tau}\left(\frac{\Delta}{\pi \tau} + 2 V r\right) \\
        \dot V &= \frac{1}{\tau}\left(V^2 - \pi^2 \tau^2 r^2 + \eta + J \tau r + I + c_r c_0 + c_v c_1\right)

    ``r`` is the mean firing rate and ``V`` the mean membrane potential. Both couple: ``c_0`` is the input
    through ``r`` (weighted by ``cr``), ``c_1`` through ``V`` (weighted by ``cv``). ``r`` is kept >= 0 after
    every integration stage, as in TVB. ``Gamma`` is declared for TVB compatibility but TVB's equations do not
    use it (TVB also leaves it out of its ``parameter_names``). Time in ms.

    References
    ----------
    E. Montbrio, D. Pazo, A. Roxin, *Macroscopic description for networks of spiking neurons*, Phys. Rev. X
    5(2):021028, 2015.
    """

    tau = Parameter(1.0, range=(0.001, 15.0), unit="ms", doc="Characteristic time.")
    I = Parameter(0.0, range=(-10.0, 10.0), doc="External current.")
    Delta = Parameter(1.0, range=(0.0, 10.0), doc="Half-width of the distribution of excitabilities.")
    J = Parameter(15.0, range=(-25.0, 25.0), doc="Mean synaptic weight.")
    eta = Parameter(-5.0, range=(-10.0, 10.0), doc="Mean excitability (centre of the distribution).")
    Gamma = Parameter(0.0, range=(0.0, 10.0), doc="Half-width of the synaptic weight distribution (unused, as in TVB).")
    cr = Parameter(1.0, range=(0.0, 1.0), doc="Weight of the coupling through r.")
    cv = Parameter(0.0, range=(0.0, 1.0), doc="Weight of the coupling through V.")

    state_variables = ("r", "V")
    state_variable_range = {"r": (0.0, 2.0), "V": (-2.0, 1.5)}
    state_variable_boundaries = {"r": (0.0, None)}
    variables_of_interest = ("r", "V")
    cvar = ("r", "V")
    stvar = ("V",)                  # TVB: stimuli enter the membrane potential

    @staticmethod
    def dfun(r, V, c_0, c_1, tau, I, Delta, J, eta, cr, cv):
        dr = 1 / tau * (Delta / (np.pi * tau) + 2 * V * r)
        dV = 1 / tau * (V ** 2 - np.pi ** 2 * tau ** 2 * r ** 2 + eta + J * tau * r + I + cr * c_0 + cv * c_1)
        return dr, dV

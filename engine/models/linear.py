"""Linear (Ornstein-Uhlenbeck-like) node dynamics."""
from __future__ import annotations

from ..model import Model, Parameter


class Linear(Model):
    r"""Linear model (TVB's ``Linear``).

    .. math::
        \dot x_k = \gamma x_k + c_0

    With additive noise this is an Ornstein-Uhlenbeck process on the network; it is stable when
    :math:`-\gamma` exceeds the largest eigenvalue of the coupling (e.g. the node's weighted in-degree times
    the coupling gain). Time in ms.

    References
    ----------
    The Virtual Brain, ``tvb.simulator.models.linear.Linear`` (no paper).
    """

    gamma = Parameter(-10.0, range=(-100.0, 0.0), unit="1/ms",
                      doc="Damping coefficient: how fast activity relaxes (-gamma must exceed the in-degree).")

    state_variables = ("x",)
    state_variable_range = {"x": (-1.0, 1.0)}
    variables_of_interest = ("x",)
    cvar = ("x",)

    @staticmethod
    def dfun(x, c_0, lc_0, gamma):
        return gamma * x + c_0 + lc_0

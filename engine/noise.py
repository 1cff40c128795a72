r"""Noise sources for stochastic integrators, with TVB's ``nsig`` convention.

The stochastic increment added to state variable :math:`k` per step is
:math:`g_k(X)\,\sqrt{\Delta t}\,\xi` with :math:`\xi \sim N(0, 1)` and, as in TVB,

- ``Additive``: :math:`g = \sqrt{2\,\mathrm{nsig}}` (so the stationary variance of an Ornstein-Uhlenbeck
  process :math:`\dot x = -\lambda x + \ldots` is :math:`\mathrm{nsig}/\lambda`);
- ``Multiplicative``: :math:`g = \sqrt{2\,\mathrm{nsig}}\,(b_a X + b_b)`, TVB's default ``b`` being the linear
  equation :math:`a x + b` with ``a = 1``, ``b = 0``.

``nsig`` may be a scalar, one value per state variable, one per region, or ``(state variable, region)``, as in
TVB. The random numbers come from :mod:`brainsweep.engine.rng`, keyed by the simulator's seed.
"""
from __future__ import annotations

import numpy as np

from .component import Component, Parameter


class Noise(Component):
    """Base class; ``nsig`` is the noise dispersion D (TVB's ``nsig``)."""

    def __init__(self, nsig=1.0, **values):
        super().__init__(**values)
        self.nsig = nsig

    @classmethod
    def _extra_fields(cls):
        return ("nsig",)

    def __setattr__(self, key, value):
        if key == "nsig":
            arr = np.array(value, dtype=np.float64)
            if arr.ndim > 2 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ValueError(f"{type(self).__name__}.nsig must be finite, >= 0, and a scalar, one value per "
                                 f"state variable, per region, or (state variable, region); got {value!r}")
            value = np.atleast_1d(arr)
        super().__setattr__(key, value)

    def nsig_for(self, nvar: int, n_nodes: int, where: str = "noise.nsig") -> np.ndarray:
        """``nsig`` broadcast to ``(nvar, n_nodes)``, following TVB's accepted shapes."""
        return broadcast_nsig(self.nsig, nvar, n_nodes, where)


def broadcast_nsig(nsig, nvar: int, n_nodes: int, where: str = "noise.nsig") -> np.ndarray:
    """Broadcast an ``nsig`` value (TVB shapes: (1,), (nvar,), (N,), (nvar, N)) to ``(nvar, N)``."""
    nsig = np.asarray(nsig, dtype=np.float64)
    if nsig.size == 1:
        return np.full((nvar, n_nodes), float(nsig.ravel()[0]))
    if nsig.shape == (nvar,):
        return np.repeat(nsig[:, None], n_nodes, axis=1)
    if nsig.shape == (n_nodes,):
        return np.repeat(nsig[None, :], nvar, axis=0)
    if nsig.shape == (nvar, n_nodes) or nsig.shape == (nvar, n_nodes, 1):
        return nsig.reshape(nvar, n_nodes).copy()
    raise ValueError(f"{where} has shape {nsig.shape}; allowed: a scalar, ({nvar},) one per state variable, "
                     f"({n_nodes},) one per region, or ({nvar}, {n_nodes})")


class Additive(Noise):
    """Additive white noise, :math:`g = \\sqrt{2\\,nsig}` (TVB's ``Additive``)."""


class Multiplicative(Noise):
    """Multiplicative white noise, :math:`g = \\sqrt{2\\,nsig}\\,(b_a x + b_b)` (TVB's ``Multiplicative`` with its
    default linear ``b`` equation; ``b_a``/``b_b`` are that equation's ``a`` and ``b``)."""

    b_a = Parameter(1.0, doc="Slope of the linear diffusion coefficient b(x) = b_a x + b_b.")
    b_b = Parameter(0.0, doc="Offset of the linear diffusion coefficient b(x) = b_a x + b_b.")


__all__ = ["Noise", "Additive", "Multiplicative", "broadcast_nsig"]

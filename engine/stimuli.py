"""Stimuli in TVB's sense: a temporal pattern times a spatial weight per region.

``StimuliRegion(temporal=PulseTrain(T=1000/130, tau=0.1, amp=1.0), weight=w)`` adds, at every step and for
each region ``i``, ``temporal(t) * w[i]`` to the time derivative of the model's stimulated state variables
(``model.stvar``, TVB's default: the coupling variables), exactly where TVB's integrators add it. Time ``t`` is
in ms from the first step of the simulation (TVB restarts it at 0 at each ``run()`` call; brainsweep keeps
counting, so that a run continued in several calls equals one long run).
"""
from __future__ import annotations

import numpy as np

from .component import Component
from .equations import Equation


class StimuliRegion(Component):
    """A region stimulus (TVB's ``patterns.StimuliRegion``).

    Parameters
    ----------
    temporal : Equation
        The time course, e.g. ``PulseTrain`` (DBS), ``Sinusoid``, ``Gaussian`` or ``SinglePulse`` (TMS-like).
    weight : array of float, shape (N,)
        Spatial weight of each region (0 where not stimulated).
    connectivity : Connectivity, optional
        Accepted for TVB compatibility; only its number of regions is checked.
    """

    def __init__(self, temporal: Equation | None = None, weight=None, connectivity=None):
        super().__init__()
        if not isinstance(temporal, Equation):
            raise ValueError(f"StimuliRegion.temporal must be a brainsweep Equation (e.g. PulseTrain()), "
                             f"got {temporal!r}")
        self.temporal = temporal
        w = np.array([] if weight is None else weight, dtype=np.float64).ravel()
        if w.size == 0 or not np.all(np.isfinite(w)):
            raise ValueError("StimuliRegion.weight must be finite numbers, one per region")
        if connectivity is not None and w.size != connectivity.number_of_regions:
            raise ValueError(f"StimuliRegion.weight has {w.size} values for {connectivity.number_of_regions} regions")
        self.weight = w

    @classmethod
    def _extra_fields(cls):
        return ("temporal", "weight")

    def temporal_values(self, t: np.ndarray, overrides: dict | None = None) -> np.ndarray:
        """The temporal pattern at ``t`` (ms), with some of its parameters replaced."""
        eq = self.temporal
        if overrides:
            eq = eq.copy()
            for name, value in overrides.items():
                setattr(eq, name, value)
        return np.broadcast_to(eq.evaluate(t), np.shape(t)).astype(np.float64)


__all__ = ["StimuliRegion"]

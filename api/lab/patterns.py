"""TVB's ``tvb.datatypes.patterns``: region stimuli built the way TVB scripts build them.

``StimuliRegion(temporal=..., weight=..., connectivity=...)`` with every attribute settable afterwards, as
scripts do (``stim.spatial = np.zeros(n); stim.spatial[25] = 1.0``). The per-region weight the engine applies
is ``weight`` when ``spatial`` is unset (TVB's identity ``DiscreteEquation``), or ``weight * spatial`` when
``spatial`` is an array of one value per region (then ``weight`` may be one number: a stimulus amplitude times a
spatial mask). It is resolved when the simulation is configured, with an error naming the field that does not
fit the connectome.
"""
from __future__ import annotations

import numpy as np

from brainsweep.engine.stimuli import StimuliRegion as _EngineStimulus

from .equations import DiscreteEquation, engine_equation


class StimuliRegion:
    """A temporal pattern times a spatial weight per region (TVB's ``StimuliRegion``).

    Parameters
    ----------
    temporal : equation
        E.g. ``equations.PulseTrain(...)`` (DBS) or ``SinglePulse`` (TMS-like); time in ms.
    spatial : None, DiscreteEquation, or array of shape (regions,)
        A per-region mask multiplying ``weight`` (see the module notes).
    weight : array_like
        One value per region, or one value when ``spatial`` is an array.
    connectivity : Connectivity, optional
        Gives the number of regions (checked against the simulation's).
    """

    def __init__(self, temporal=None, spatial=None, weight=None, connectivity=None):
        self.temporal = temporal
        self.spatial = spatial
        self.weight = weight
        self.connectivity = connectivity

    @staticmethod
    def get_default_weights(number_of_regions: int) -> np.ndarray:
        """Zeros, one per region (TVB's helper)."""
        return np.zeros(int(number_of_regions))

    def region_weights(self, n_regions: int) -> np.ndarray:
        """The weight applied to each of ``n_regions`` regions."""
        if self.weight is None:
            raise ValueError("StimuliRegion.weight: not set; give one value per region (or one value with a "
                             "spatial mask)")
        w = np.array(self.weight, dtype=np.float64).ravel()
        spatial = self.spatial
        if spatial is None or isinstance(spatial, DiscreteEquation):
            if w.size != n_regions:
                raise ValueError(f"StimuliRegion.weight has {w.size} value(s) for {n_regions} regions; give one per "
                                 f"region, or one value with spatial = a per-region mask")
            return w
        mask = np.array(spatial, dtype=np.float64).ravel()
        if mask.size != n_regions:
            raise ValueError(f"StimuliRegion.spatial has {mask.size} value(s) for {n_regions} regions")
        if w.size not in (1, n_regions):
            raise ValueError(f"StimuliRegion.weight has {w.size} values; with a spatial mask give one value or one "
                             f"per region ({n_regions})")
        return w * mask

    def to_brainsweep(self, n_regions: int | None = None) -> _EngineStimulus:
        """The engine stimulus for a connectome of ``n_regions`` (default: ``connectivity``'s)."""
        if n_regions is None:
            if self.connectivity is None:
                raise ValueError("StimuliRegion.connectivity: not set; needed to know the number of regions")
            n_regions = self.connectivity.number_of_regions
        elif self.connectivity is not None and self.connectivity.number_of_regions not in (0, n_regions):
            raise ValueError(f"StimuliRegion.connectivity has {self.connectivity.number_of_regions} regions, the "
                             f"simulation {n_regions}")
        return _EngineStimulus(temporal=engine_equation(self.temporal, "StimuliRegion.temporal"),
                               weight=self.region_weights(n_regions))

    def configure_space(self, region_mapping=None):
        return self

    def configure(self):
        return self

    def __call__(self, time_ms):
        """The stimulus at ``time_ms`` (ms): array (regions, times)."""
        stim = self.to_brainsweep()
        t = np.atleast_1d(np.asarray(time_ms, dtype=float))
        return stim.weight[:, None] * stim.temporal_values(t)[None, :]


__all__ = ["StimuliRegion"]

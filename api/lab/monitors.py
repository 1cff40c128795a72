"""TVB's ``tvb.simulator.monitors``: the engine's monitors, and EEG/MEG/iEEG that take TVB's datatypes.

``Raw``, ``SubSample``, ``TemporalAverage``, ``Bold`` and the others are the engine's classes (TVB's names,
periods in ms, TVB's sample times: TemporalAverage at window midpoints, Bold at period ends). The projection
monitors here accept what TVB scripts pass, ``sensors=SensorsEEG.from_file()``,
``projection=ProjectionSurfaceEEG.from_file()``, ``region_mapping=RegionMapping.from_file()``, as well as file
names and arrays; and when none is given they use tvb-data's defaults (the 65-channel EEG set, the 276 MEG
SQUIDs, the 588 SEEG contacts with TVB's analytic gain) mapped to the connectome's regions
(``regionMapping_16k_76.txt`` or ``..._192.txt``), which TVB leaves to the script.
"""
from __future__ import annotations

from brainsweep.engine import projections as _proj
from brainsweep.engine.monitors import *  # noqa: F401,F403
from brainsweep.engine.monitors import DEFAULT_PERIOD, Monitor  # noqa: F401

#: tvb-data region mappings of the 16k cortex, by number of regions.
REGION_MAPPINGS = {76: "regionMapping_16k_76.txt", 192: "regionMapping_16k_192.txt"}


def _unwrap(value, attr):
    return getattr(value, attr) if hasattr(value, attr) else value


class _TVBProjection:
    def __init__(self, period: float = DEFAULT_PERIOD, sensors=None, projection=None, region_mapping=None,
                 gain=None, **kwargs):
        projection = _unwrap(projection, "projection_data")
        region_mapping = _unwrap(region_mapping, "array_data")
        self_default = sensors is None and projection is None and gain is None
        if self_default:
            sensors = self.tvb_data_sensors
            projection = self.tvb_data_projection
        if projection is not None and region_mapping is None:
            region_mapping = REGION_MAPPINGS[76]
            object.__setattr__(self, "_default_mapping", True)
        else:
            object.__setattr__(self, "_default_mapping", False)
        object.__setattr__(self, "_init_args", dict(period=period, sensors=sensors, projection=projection,
                                                    gain=gain, **kwargs))
        super().__init__(period=period, sensors=sensors, projection=projection, region_mapping=region_mapping,
                         gain=gain, **kwargs)

    def for_regions(self, n_regions: int):
        """This monitor, with the default region mapping swapped for the one of an ``n_regions`` connectome."""
        if not self._default_mapping or n_regions == 76:
            return self
        if n_regions not in REGION_MAPPINGS:
            raise ValueError(f"{type(self).__name__}: tvb-data's lead fields map onto 76 or 192 regions, the "
                             f"connectome has {n_regions}; give region_mapping (one region per vertex) or a gain "
                             f"(sensors x regions)")
        args = dict(self._init_args)
        args["period"] = self.period
        out = type(self)(region_mapping=REGION_MAPPINGS[n_regions], **args)
        out.variables_of_interest = self.variables_of_interest
        return out


class EEG(_TVBProjection, _proj.EEG):
    __doc__ = _proj.EEG.__doc__


class MEG(_TVBProjection, _proj.MEG):
    __doc__ = _proj.MEG.__doc__


class iEEG(_TVBProjection, _proj.iEEG):  # noqa: N801 (TVB's name)
    __doc__ = _proj.iEEG.__doc__


SEEG = iEEG
Projection = _proj.Projection

__all__ = ["Monitor", "Raw", "SubSample", "TemporalAverage", "Bold", "BalloonWindkessel", "PoissonSpikes",
           "EEG", "MEG", "iEEG", "SEEG", "Projection", "DEFAULT_PERIOD", "REGION_MAPPINGS"]

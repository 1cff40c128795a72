"""TVB's ``tvb.datatypes.projections``: vertex-level lead fields (sensors x 16k cortical vertices) from tvb-data."""
from __future__ import annotations

import numpy as np

from brainsweep.engine.projections import load_projection


class ProjectionMatrix:
    """A lead field ``projection_data`` (sensors x vertices)."""

    default_file = "projection_eeg_65_surface_16k.npy"

    def __init__(self, projection_data=None, sensors=None, sources=None, source: str = "arrays"):
        self.projection_data = None if projection_data is None else np.asarray(projection_data, dtype=np.float64)
        self.sensors = sensors
        self.sources = sources
        self.source = source

    @classmethod
    def from_file(cls, source_file: str | None = None, **kwargs):
        name = source_file or cls.default_file
        return cls(load_projection(name, where=f"{cls.__name__}.from_file"), source=str(name))

    def configure(self):
        return self


class ProjectionSurfaceEEG(ProjectionMatrix):
    """EEG lead field (TVB's default file ``projection_eeg_65_surface_16k.npy``)."""


class ProjectionSurfaceMEG(ProjectionMatrix):
    """MEG lead field (TVB's default file ``projection_meg_276_surface_16k.npy``)."""

    default_file = "projection_meg_276_surface_16k.npy"


class ProjectionSurfaceSEEG(ProjectionMatrix):
    """SEEG lead field; tvb-data ships none (``monitors.iEEG`` then uses TVB's analytic dipole gain)."""

    default_file = None

    @classmethod
    def from_file(cls, source_file: str | None = None, **kwargs):
        if source_file is None:
            raise ValueError("ProjectionSurfaceSEEG.from_file: tvb-data has no SEEG projection; give a file, or "
                             "leave projection=None in monitors.iEEG for TVB's analytic gain")
        return super().from_file(source_file)


__all__ = ["ProjectionMatrix", "ProjectionSurfaceEEG", "ProjectionSurfaceMEG", "ProjectionSurfaceSEEG"]

"""TVB's ``tvb.datatypes.region_mapping``: the region of every cortical-surface vertex."""
from __future__ import annotations

import numpy as np

from brainsweep.engine.projections import load_region_mapping


class RegionMapping:
    """The region index of each vertex (``array_data``), e.g. tvb-data's ``regionMapping_16k_76.txt``."""

    default_file = "regionMapping_16k_76.txt"

    def __init__(self, array_data=None, connectivity=None, surface=None, source: str = "arrays"):
        self.array_data = None if array_data is None else np.asarray(array_data, dtype=np.int64)
        self.connectivity = connectivity
        self.surface = surface
        self.source = source

    @classmethod
    def from_file(cls, source_file: str | None = None) -> "RegionMapping":
        name = source_file or cls.default_file
        return cls(load_region_mapping(name, where="RegionMapping.from_file"), source=str(name))

    def configure(self):
        return self


__all__ = ["RegionMapping"]

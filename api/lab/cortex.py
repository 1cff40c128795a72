"""TVB's ``tvb.datatypes.cortex`` and ``local_connectivity``: the cortical surface of a surface simulation.

``Cortex.from_file()`` loads tvb-data's 16,384-vertex cortex with its 76-region mapping, as TVB's; give it to
``simulator.Simulator(surface=...)``. As in TVB, ``region_mapping_data.connectivity`` may be set to the
connectome, ``coupling_strength`` rescales the local connectivity, and a cortex without a local connectivity
gets TVB's default one at ``configure()`` (a Gaussian of geodesic distance, cutoff 40 mm; needs tvb-gdist and
takes a while on 16k vertices: tvb-data's precomputed ``local_connectivity_16384.mat`` is the quick choice).
"""
from __future__ import annotations

import io
import zipfile

import numpy as np

from brainsweep.engine import equations as _equations
from brainsweep.engine import surface as _surface

from .region_mapping import RegionMapping


class LocalConnectivity:
    """TVB's ``LocalConnectivity``: ``matrix`` (sparse, vertices x vertices), or computed from ``cutoff`` (mm)
    and ``equation`` (a kernel of geodesic distance, default TVB's ``Gaussian()``) on ``surface``."""

    def __init__(self, matrix=None, cutoff: float = 40.0, equation=None, surface=None):
        self.matrix = matrix
        self.cutoff = float(cutoff)
        self.equation = equation
        self.surface = surface

    @classmethod
    def from_file(cls, source_file: str = "local_connectivity_16384.mat") -> "LocalConnectivity":
        return cls(matrix=_surface.LocalConnectivity.from_tvb_data(source_file).matrix)

    def to_brainsweep(self, vertices=None, triangles=None) -> _surface.LocalConnectivity:
        if self.matrix is not None:
            return _surface.LocalConnectivity(self.matrix)
        equation = self.equation
        if equation is not None and hasattr(equation, "to_brainsweep"):
            equation = equation.to_brainsweep()
        return _surface.LocalConnectivity.from_geodesic(vertices, triangles, self.cutoff,
                                                        equation or _equations.Gaussian())


class CorticalSurface:
    """TVB's ``CorticalSurface``: ``vertices`` (mm) and ``triangles``."""

    def __init__(self, vertices=None, triangles=None):
        self.vertices = None if vertices is None else np.asarray(vertices, dtype=np.float64)
        self.triangles = None if triangles is None else np.asarray(triangles, dtype=np.int64)

    @classmethod
    def from_file(cls, source_file: str = "cortex_16384.zip") -> "CorticalSurface":
        path = _surface._tvb_data_file("surfaceData", source_file)
        with zipfile.ZipFile(path) as zf:
            return cls(np.loadtxt(io.BytesIO(zf.read("vertices.txt"))),
                       np.loadtxt(io.BytesIO(zf.read("triangles.txt")), dtype=np.int64))

    @property
    def number_of_vertices(self) -> int:
        return int(self.vertices.shape[0])

    def configure(self):
        return self


class Cortex:
    """TVB's ``Cortex``: a surface, its region mapping, a local connectivity and ``coupling_strength``."""

    def __init__(self, region_mapping_data: RegionMapping | None = None, local_connectivity=None,
                 coupling_strength=None):
        self.region_mapping_data = region_mapping_data
        self.local_connectivity = local_connectivity
        self.coupling_strength = np.array([1.0]) if coupling_strength is None else np.atleast_1d(coupling_strength)

    @classmethod
    def from_file(cls, source_file: str = "cortex_16384.zip", region_mapping_file: str = "regionMapping_16k_76.txt",
                  local_connectivity_file: str | None = None) -> "Cortex":
        rm = RegionMapping.from_file(region_mapping_file)
        rm.surface = CorticalSurface.from_file(source_file)
        lc = LocalConnectivity.from_file(local_connectivity_file) if local_connectivity_file else None
        return cls(region_mapping_data=rm, local_connectivity=lc)

    @property
    def surface(self) -> CorticalSurface:
        return self.region_mapping_data.surface

    @property
    def number_of_vertices(self) -> int:
        return self.surface.number_of_vertices

    @property
    def region_mapping(self) -> np.ndarray:
        """TVB's full region mapping: the vertices' regions, then the regions without vertices (needs
        ``region_mapping_data.connectivity``; without it, the vertices' regions)."""
        rm = np.asarray(self.region_mapping_data.array_data[:self.number_of_vertices])
        conn = self.region_mapping_data.connectivity
        if conn is None:
            return rm
        return np.concatenate([rm, np.setdiff1d(np.arange(conn.number_of_regions), rm)])

    @property
    def vertices(self) -> np.ndarray:
        return self.surface.vertices

    @property
    def triangles(self) -> np.ndarray:
        return self.surface.triangles

    def configure(self) -> "Cortex":
        """As TVB: a missing local connectivity is computed with TVB's defaults (cutoff 40 mm, Gaussian)."""
        if self.local_connectivity is None:
            self.local_connectivity = LocalConnectivity(surface=self.surface)
        return self

    def to_brainsweep(self) -> _surface.Cortex:
        """The engine's :class:`brainsweep.engine.Cortex` of this cortex."""
        self.configure()
        rm = self.region_mapping_data
        surf = self.surface
        n = surf.number_of_vertices
        lc = self.local_connectivity.to_brainsweep(surf.vertices, surf.triangles)
        return _surface.Cortex(surf.vertices, surf.triangles, rm.array_data[:n], lc, self.coupling_strength,
                               source=f"brainsweep.lab Cortex ({rm.source})")


__all__ = ["Cortex", "CorticalSurface", "LocalConnectivity"]

"""TVB's ``tvb.datatypes.connectivity`` for scripts: a mutable :class:`Connectivity` with TVB's habits.

TVB scripts edit a connectome in place (``conn.weights[10, :] = 0``) and then call ``configure()``; brainsweep's
own :class:`brainsweep.engine.Connectivity` is immutable (every edit returns a new one, with its history). This
class holds the arrays as plain, writable numpy arrays like TVB's, and hands an immutable engine connectome to
the simulator when the simulation is configured (:meth:`to_brainsweep`), so the engine never sees an array that
changes under it.
"""
from __future__ import annotations

import copy as _copy
import os
from pathlib import Path

import numpy as np

from brainsweep.engine.connectivity import Connectivity as _EngineConnectivity

#: TVB's default connectome file (``Connectivity.from_file()``).
DEFAULT_FILE = "connectivity_76.zip"
_FIELDS = ("weights", "tract_lengths", "region_labels", "centres", "cortical", "hemispheres", "areas",
           "orientations")
_SCALING_MODES = ("tract", "edge", "region", "node", "none", None)


def _array(value, dtype=None):
    return None if value is None else np.array(value, dtype=dtype)


class Connectivity:
    """A structural connectome as TVB scripts use it (TVB's ``Connectivity``).

    Parameters
    ----------
    weights : array_like, shape (n, n)
        Connection strengths; ``weights[i, j]`` is the connection from ``j`` to ``i``.
    tract_lengths : array_like, shape (n, n), optional
        Tract lengths in mm; estimated from ``centres`` (Euclidean) by :meth:`configure` when missing.
    region_labels : array_like of str, shape (n,), optional
    centres : array_like, shape (n, 3), optional
        Region centres in mm.
    speed : float or array of one float, default 3.0
        Conduction speed in mm/ms (TVB's ``speed``; ``Simulator.conduction_speed`` overrides it, as in TVB).
    cortical, hemispheres, areas, orientations : optional
        As in TVB.

    Notes
    -----
    Every array is an ordinary writable attribute; edits take effect at the next :meth:`configure` (which a
    :class:`~brainsweep.lab.simulator.Simulator` calls when it is configured). Invalid data raises
    ``ValueError`` naming the field, from :meth:`configure`.
    """

    def __init__(self, weights=None, tract_lengths=None, region_labels=None, centres=None, speed=3.0,
                 cortical=None, hemispheres=None, areas=None, orientations=None, **unknown):
        if unknown:
            raise TypeError(f"Connectivity got unknown argument(s) {sorted(unknown)}; allowed: "
                            f"{list(_FIELDS) + ['speed']}")
        self.weights = _array(weights, np.float64)
        self.tract_lengths = _array(tract_lengths, np.float64)
        self.region_labels = None if region_labels is None else np.asarray(region_labels).astype(str)
        self.centres = _array(centres, np.float64)
        self.speed = np.atleast_1d(np.array(speed, dtype=np.float64))
        self.cortical = _array(cortical, bool)
        self.hemispheres = _array(hemispheres, bool)
        self.areas = _array(areas, np.float64)
        self.orientations = _array(orientations, np.float64)
        self.number_of_regions = 0 if self.weights is None else int(np.shape(self.weights)[0])
        self.number_of_connections = 0
        self.undirected = False
        self.delays = None
        self.source = "arrays"

    # ------------------------------------------------------------------ loading and saving
    @classmethod
    def from_file(cls, source_file: str | os.PathLike = DEFAULT_FILE) -> "Connectivity":
        """Load a TVB zip: a tvb-data name (``"connectivity_76.zip"`` (default), ``"connectivity_68.zip"``,
        ``"connectivity_192.zip"``, ``"paupau.zip"`` (4 regions), ...) or a path to a zip file."""
        return cls.from_brainsweep(_EngineConnectivity.from_file(source_file))

    @classmethod
    def from_brainsweep(cls, conn: _EngineConnectivity) -> "Connectivity":
        """A mutable copy of an engine :class:`brainsweep.engine.Connectivity`."""
        out = cls(weights=conn.weights, tract_lengths=conn.tract_lengths, region_labels=conn.region_labels,
                  centres=conn.centres, speed=conn.conduction_speed, cortical=conn.cortical,
                  hemispheres=conn.hemispheres, areas=conn.areas, orientations=conn.orientations)
        out.source = conn.source
        out.configure()
        return out

    def save(self, path: str | os.PathLike) -> Path:
        """Write a TVB zip archive (readable by TVB's and brainsweep's ``from_file``); returns the path."""
        return self.to_brainsweep().to_zip(path)

    # ------------------------------------------------------------------ TVB's configure and derived fields
    def configure(self) -> "Connectivity":
        """Validate the arrays and compute TVB's derived fields (``number_of_regions``,
        ``number_of_connections``, ``tract_lengths`` from centres when missing, ``delays``, ``undirected``);
        returns ``self``. Raises ``ValueError`` naming the offending field."""
        self.configure_from(self.to_brainsweep())
        return self

    def configure_from(self, conn: _EngineConnectivity) -> None:
        """TVB's derived fields from ``conn``, the engine connectome just built from these arrays (so a simulator
        that needs that connectome builds and checks it once)."""
        self.tract_lengths = np.array(conn.tract_lengths)
        self.region_labels = np.array(conn.region_labels)
        if self.hemispheres is None and conn.hemispheres is not None:
            self.hemispheres = np.array(conn.hemispheres)
        self.number_of_regions = conn.number_of_regions
        self.number_of_connections = int(np.count_nonzero(self.weights))
        self.delays = self.tract_lengths / float(self.speed.ravel()[0])
        self.undirected = bool(np.array_equal(self.weights, self.weights.T))

    def to_brainsweep(self, conduction_speed: float | None = None) -> _EngineConnectivity:
        """The immutable engine connectome of the current arrays (what simulations and sweeps use)."""
        if self.weights is None:
            raise ValueError("Connectivity.weights: not set; give weights (n x n) or use Connectivity.from_file()")
        speed = np.atleast_1d(np.asarray(self.speed, dtype=np.float64))
        if speed.size != 1:
            raise ValueError(f"Connectivity.speed must be one value (mm/ms), got {self.speed!r}")
        return _EngineConnectivity(
            self.weights, self.tract_lengths, self.region_labels, self.centres,
            conduction_speed=float(speed[0]) if conduction_speed is None else conduction_speed,
            cortical=self.cortical, hemispheres=self.hemispheres, areas=self.areas, orientations=self.orientations,
            source=self.source)

    def copy(self) -> "Connectivity":
        """An independent copy (edit it without touching the original)."""
        return _copy.deepcopy(self)

    # ------------------------------------------------------------------ TVB's transforms (return matrices)
    def scaled_weights(self, mode: str | None = "tract") -> np.ndarray:
        """The weights scaled as TVB does: ``"tract"``/``"edge"`` by the largest absolute weight,
        ``"region"``/``"node"`` by the largest absolute row sum (input to a region), ``"none"`` not at all.
        Zero weights stay zero; ``self.weights`` is not changed."""
        if mode not in _SCALING_MODES:
            raise ValueError(f"scaled_weights: mode must be one of 'tract', 'edge', 'region', 'node', 'none'; "
                             f"got {mode!r}")
        w = np.asarray(self.weights, dtype=np.float64)
        if mode in ("tract", "edge"):
            factor = np.abs(w).max()
        elif mode in ("region", "node"):
            factor = np.max(np.abs(w.sum(axis=1)))
        else:
            factor = 1.0
        out = w.copy()
        mask = w != 0.0
        out[mask] = w[mask] / factor
        return out

    def transform_binarize_matrix(self) -> np.ndarray:
        """The weights with every positive entry set to 1 (TVB's unweighted matrix)."""
        w = np.array(self.weights, dtype=np.float64)
        return np.where(w > 0, 1.0, w)

    def transform_remove_self_connections(self) -> np.ndarray:
        """The weights with the diagonal (self-connections) set to 0."""
        w = np.array(self.weights, dtype=np.float64)
        np.fill_diagonal(w, 0.0)
        return w

    def summary_info(self) -> dict:
        """TVB's summary: sizes, symmetry and min/max/mean of weights and tract lengths."""
        self.configure()
        w, tl = np.asarray(self.weights), np.asarray(self.tract_lengths)
        out = {"Number of regions": self.number_of_regions, "Number of connections": self.number_of_connections,
               "Undirected": self.undirected}

        def stats(name, arr):
            arr = np.asarray(arr, dtype=np.float64)
            if arr.size:
                out.update({f"{name} [min, median, max]": [float(arr.min()), float(np.median(arr)),
                                                           float(arr.max())],
                            f"{name} dtype": str(arr.dtype), f"{name} shape": tuple(arr.shape)})

        if self.areas is not None:
            stats("areas", self.areas)
        stats("weights", w)
        stats("weights-non-zero", w[w.nonzero()])
        stats("tract_lengths", tl)
        stats("tract_lengths-non-zero", tl[tl.nonzero()])
        stats("tract_lengths (connections)", tl[w.nonzero()])
        return out

    def __repr__(self):
        return f"Connectivity({self.number_of_regions} regions from {self.source})"


__all__ = ["Connectivity", "DEFAULT_FILE"]

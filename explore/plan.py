"""The sweep's points: axes -> labelled grid, blocks of points that run together, and each point's seed.

Grid dimensions are the axes in the spec's order (``combine: grid``) or one ``point`` dimension
(``combine: zip``), then ``repeat`` when ``repeats > 1``. The grid is cut into blocks of at most
``batch_size`` points, filling the last dimensions first; a block is one Dask task, one engine batch and
whole Zarr chunks. Axes that change the connectome (conduction speed, long-range or inter-hemispheric
scaling) get blocks of length 1, so every point of a block shares one connectome.

A point's seed is a hash of the sweep seed, its swept values and its repeat index: it does not depend on how
the grid is blocked, on the number of workers or on interruptions.
"""
from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass

import numpy as np

from .spec import SweepSpec


def _label(value) -> object:
    """A coordinate value: numbers as they are, lesions as 'none' or 'rA1+rV1'."""
    if isinstance(value, tuple):
        return "+".join(str(v) for v in value) if value else "none"
    if isinstance(value, (np.floating, np.integer)):
        return value.item()      # np.float64(0.1) and 0.1 are the same point (and seed)
    return value


def point_seed(sweep_seed: int, values: dict, repeat: int) -> int:
    """A 63-bit seed from the sweep seed, a point's swept values and its repeat index."""
    text = repr((int(sweep_seed), sorted((k, repr(_label(v))) for k, v in values.items()), int(repeat)))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


@dataclass(frozen=True)
class Point:
    values: dict        # axis name -> value (floats, or a tuple of regions for lesions)
    repeat: int
    seed: int


@dataclass(frozen=True)
class SweepPlan:
    """Grid, chunks and points of a sweep (pure data; built the same way on the client and the workers)."""

    spec: SweepSpec
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    chunks: tuple[int, ...]

    @classmethod
    def from_spec(cls, spec: SweepSpec) -> "SweepPlan":
        if spec.combine == "grid":
            dims = [a.name for a in spec.axes]
            shape = [len(a.values) for a in spec.axes]
        else:
            dims, shape = ["point"], [len(spec.axes[0].values)]
        if spec.repeats > 1:
            dims.append("repeat")
            shape.append(spec.repeats)
        fixed = {a.name for a in spec.axes if a.connectome_level}
        zipped_connectome = spec.combine == "zip" and fixed
        chunks = [1] * len(dims)
        room = spec.batch_size
        for d in reversed(range(len(dims))):
            if dims[d] in fixed or (dims[d] == "point" and zipped_connectome):
                continue
            chunks[d] = max(1, min(shape[d], room))
            room = max(1, room // chunks[d])
        return cls(spec=spec, dims=tuple(dims), shape=tuple(shape), chunks=tuple(chunks))

    # ------------------------------------------------------------------ coordinates
    def grid_coords(self) -> dict[str, np.ndarray]:
        """Index coordinate of each grid dimension."""
        coords = {}
        for name in self.dims:
            if name == "repeat":
                coords[name] = np.arange(self.spec.repeats)
            elif name == "point":
                coords[name] = np.arange(self.shape[0])
            else:
                axis = next(a for a in self.spec.axes if a.name == name)
                coords[name] = np.array([_label(v) for v in axis.values])
        return coords

    def point_coords(self) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
        """Zipped axes as coordinates along ``point``."""
        if self.spec.combine != "zip":
            return {}
        return {a.name: (("point",), np.array([_label(v) for v in a.values])) for a in self.spec.axes}

    # ------------------------------------------------------------------ blocks and points
    def blocks(self) -> list[tuple[slice, ...]]:
        """All blocks, C order (the same list as the storage layout's)."""
        ranges = [range(0, n, c) for n, c in zip(self.shape, self.chunks)]
        return [tuple(slice(s, min(s + c, n)) for s, c, n in zip(starts, self.chunks, self.shape))
                for starts in itertools.product(*ranges)]

    def block(self, index: int) -> tuple[slice, ...]:
        """Block ``index`` of :meth:`blocks` without building the list (tasks ask for one block each)."""
        counts = [-(-n // c) for n, c in zip(self.shape, self.chunks)]
        starts = [i * c for i, c in zip(np.unravel_index(index, counts), self.chunks)]
        return tuple(slice(s, min(s + c, n)) for s, c, n in zip(starts, self.chunks, self.shape))

    def point(self, index: tuple[int, ...]) -> Point:
        values, repeat = {}, 0
        for d, i in zip(self.dims, index):
            if d == "repeat":
                repeat = int(i)
            elif d == "point":
                values.update({a.name: a.values[i] for a in self.spec.axes})
            else:
                values[d] = next(a for a in self.spec.axes if a.name == d).values[i]
        return Point(values=values, repeat=repeat, seed=point_seed(self.spec.seed, values, repeat))

    def block_points(self, block: tuple[slice, ...]) -> list[Point]:
        """The block's points in C order."""
        return [self.point(index) for index in itertools.product(*(range(s.start, s.stop) for s in block))]

    def block_shape(self, block: tuple[slice, ...]) -> tuple[int, ...]:
        return tuple(s.stop - s.start for s in block)

    @property
    def n_points(self) -> int:
        return int(np.prod(self.shape))


__all__ = ["SweepPlan", "Point", "point_seed"]

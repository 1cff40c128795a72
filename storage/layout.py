"""Layout of a sweep's result store: grid, blocks, variables and the fingerprint that identifies them.

A :class:`StoreLayout` describes everything that defines the stored results, independently of Zarr:

- the **grid**: one dimension per swept axis (``("coupling.a", "noise.nsig", "repeat")``) or a single
  ``("point",)`` dimension for zipped axes, each with an index coordinate (``grid_coords``), plus optional
  non-index coordinates on the grid dimensions (``point_coords``, e.g. the zipped axis values along ``point``);
- the **blocks**: the grid is cut into blocks of shape ``chunks``; one block is computed by one task and is
  exactly one chunk of every stored variable, so that concurrent writers never share a chunk;
- the **variables**: per-point results (:class:`VariableSpec`), optionally with extra dimensions after the grid
  dimensions (``("region",)``, ``("region", "region_to")``) whose coordinates are in ``extra_coords``;
- **attrs**: JSON-serialisable provenance (the resolved spec, versions, fingerprints, seeds).

:meth:`StoreLayout.fingerprint` hashes what defines the results (dimensions, coordinates, chunks, variables and
``attrs["spec"]``, not the other attrs) so that resuming into a store made for another sweep can be refused, and
:meth:`StoreLayout.components` gives the same information as short readable entries so that the refusal can say
what differs.

Names (dimensions, coordinates, variables) may contain dots (``"coupling.a"``): Zarr v3 only splits node paths
on ``/``, so they are used as they are. Names that Zarr cannot use as a node name are refused.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

__all__ = [
    "VariableSpec",
    "StoreLayout",
    "RESERVED_VARIABLES",
    "VARIABLE_DTYPES",
    "STATUS_OK",
    "STATUS_DIVERGED",
    "STATUS_FAILED",
    "STATUS_NOT_COMPUTED",
    "LAYOUT_FORMAT_VERSION",
    "text_dtype",
    "describe_differences",
]

#: Point status codes stored in the ``status`` variable.
STATUS_OK, STATUS_DIVERGED, STATUS_FAILED, STATUS_NOT_COMPUTED = 0, 1, 2, -1

#: Variables that the store layer adds to every store; result variables may not use these names.
RESERVED_VARIABLES: tuple[str, ...] = ("done", "status", "error", "seed")

#: Data types a result variable may have (``"str"`` is short text, stored as variable-length UTF-8).
VARIABLE_DTYPES: tuple[str, ...] = ("float32", "float64", "int8", "int16", "int32", "int64",
                                    "uint8", "uint16", "uint32", "uint64", "str")

#: Version of the store layout conventions; part of the fingerprint.
LAYOUT_FORMAT_VERSION = 1

# Names Zarr v3 cannot use for a node inside a group (``zarr.json`` would collide with the group's metadata).
_FORBIDDEN_NAMES = {"", ".", "..", "zarr.json"}


def text_dtype() -> np.dtype:
    """The NumPy dtype used for text (coordinates and ``str`` variables).

    Returns
    -------
    numpy.dtype
        ``numpy.dtypes.StringDType()`` (variable-length UTF-8 in Zarr v3, the ``string`` data type) on NumPy 2,
        ``object`` on older NumPy (which xarray also writes as variable-length UTF-8).
    """
    string_dtype = getattr(np.dtypes, "StringDType", None)
    return np.dtype(object) if string_dtype is None else np.dtype(string_dtype())


def _check_name(name: Any, what: str) -> str:
    """Return ``name`` if it can name a Zarr v3 node and an xarray variable, else raise ``ValueError``."""
    if not isinstance(name, str):
        raise ValueError(f"{what} name must be a string, got {name!r}")
    if name in _FORBIDDEN_NAMES or "/" in name or name.startswith("__"):
        raise ValueError(f"{what} name {name!r} cannot be stored: names must be non-empty, contain no '/', "
                         "not start with '__' and not be '.', '..' or 'zarr.json'")
    return name


def _is_text(values: np.ndarray) -> bool:
    return values.dtype.kind in "UOT"


def _coord_array(values: Any, what: str) -> np.ndarray:
    """A 1-D, non-empty, read-only coordinate array of numbers, booleans or text (text as :func:`text_dtype`)."""
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{what} must be a non-empty 1-D array, got shape {arr.shape}")
    if _is_text(arr):
        if arr.dtype.kind == "O" and not all(isinstance(v, str) for v in arr):
            raise ValueError(f"{what} mixes text and other values; give all labels as strings")
        arr = np.array([str(v) for v in arr], dtype=text_dtype())
    elif arr.dtype.kind not in "biuf":
        raise ValueError(f"{what} must hold numbers or strings, got dtype {arr.dtype}")
    else:
        arr = arr.copy()
    arr.setflags(write=False)
    return arr


def _array_digest(arr: np.ndarray) -> str:
    """A short, stable hash of an array's dtype, shape and values."""
    h = hashlib.sha256()
    if _is_text(arr):
        h.update(b"str|")
        h.update("\x00".join(str(v) for v in arr.ravel()).encode("utf-8"))
    else:
        canonical = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        h.update(f"{canonical.dtype.str}|".encode())
        h.update(np.ascontiguousarray(canonical).tobytes())
    h.update(f"|{arr.shape}".encode())
    return h.hexdigest()[:16]


def _describe_array(arr: np.ndarray) -> str:
    """``"4 float64 values 0.1 .. 0.4 #digest"``: what a coordinate looks like, for mismatch messages."""
    kind = "str" if _is_text(arr) else str(arr.dtype)
    first, last = arr.ravel()[0], arr.ravel()[-1]
    return f"{arr.size} {kind} values {first!s}..{last!s} #{_array_digest(arr)}"


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _jsonable(value: Any, what: str) -> Any:
    """``value`` as plain JSON types (NumPy scalars and arrays converted); ``ValueError`` if impossible."""
    try:
        return json.loads(json.dumps(value, default=_json_default, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be JSON-serialisable (no NaN/inf, no objects): {exc}") from None


def _canonical_spec(spec: Any) -> str:
    """Canonical JSON of ``attrs["spec"]`` (a JSON string is parsed first, so string and dict forms agree)."""
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except ValueError:
            pass
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True, eq=False)
class VariableSpec:
    """One stored result variable.

    Parameters
    ----------
    name : str
        Variable name in the store (dots allowed).
    dims : tuple of str, optional
        Extra per-point dimensions after the grid dimensions, e.g. ``("region",)`` or ``("region", "region_to")``.
        Their coordinates are given by :attr:`StoreLayout.extra_coords`.
    dtype : str, optional
        One of :data:`VARIABLE_DTYPES`; ``"str"`` is short text per point.
    fill_value : scalar, optional
        Value of points not (yet) written; default NaN for floats, 0 for integers, ``""`` for text.
    attrs : dict, optional
        JSON-serialisable attributes such as ``units`` and ``long_name``.
    """

    name: str
    dims: tuple[str, ...] = ()
    dtype: str = "float64"
    fill_value: Any = None
    attrs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_name(self.name, "variable")
        dims = (self.dims,) if isinstance(self.dims, str) else tuple(self.dims)
        for dim in dims:
            _check_name(dim, f"dimension of variable {self.name!r}")
        if len(set(dims)) != len(dims):
            raise ValueError(f"variable {self.name!r} repeats a dimension: {dims}")
        if self.dtype not in VARIABLE_DTYPES:
            raise ValueError(f"variable {self.name!r}: dtype {self.dtype!r} is not one of {VARIABLE_DTYPES}")
        object.__setattr__(self, "dims", dims)
        object.__setattr__(self, "fill_value", self._resolve_fill_value())
        object.__setattr__(self, "attrs", _jsonable(dict(self.attrs), f"attrs of variable {self.name!r}"))

    def _resolve_fill_value(self) -> Any:
        fill = self.fill_value
        if self.dtype == "str":
            if fill is None:
                return ""
            if not isinstance(fill, str):
                raise ValueError(f"variable {self.name!r}: fill_value of a str variable must be a string")
            return fill
        dtype = np.dtype(self.dtype)
        if dtype.kind == "f":
            return math.nan if fill is None else float(fill)
        if fill is None:
            return 0
        if not float(fill).is_integer() or not np.iinfo(dtype).min <= int(fill) <= np.iinfo(dtype).max:
            raise ValueError(f"variable {self.name!r}: fill_value {fill!r} does not fit {self.dtype}")
        return int(fill)

    @property
    def numpy_dtype(self) -> np.dtype:
        """The NumPy dtype of the stored values (:func:`text_dtype` for ``"str"``)."""
        return text_dtype() if self.dtype == "str" else np.dtype(self.dtype)

    def describe(self) -> str:
        """Short readable description (dims, dtype, fill value), used in fingerprints and messages."""
        return f"dims {self.dims!r} {self.dtype} fill {self.fill_value!r}"

    def _identity(self) -> tuple:
        return self.name, self.describe(), json.dumps(self.attrs, sort_keys=True)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VariableSpec) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())


@dataclass(frozen=True, eq=False)
class StoreLayout:
    """Everything that defines a sweep's stored results (see the module docstring).

    Parameters
    ----------
    grid_dims : tuple of str
        Grid dimensions, e.g. ``("coupling.a", "noise.nsig", "repeat")`` or ``("point",)``.
    grid_coords : dict of str to array
        Index coordinate (1-D numbers or strings) of every grid dimension.
    chunks : tuple of int
        Block shape over ``grid_dims``; values larger than a dimension are clipped to its size.
    variables : tuple of VariableSpec
        Result variables. The store layer adds ``done``, ``status``, ``error`` and ``seed``.
    point_coords : dict of str to (dims, values), optional
        Non-index coordinates on grid dimensions, e.g. ``{"coupling.a": (("point",), values)}``.
    extra_coords : dict of str to array, optional
        Coordinates of the variables' extra dimensions (every extra dimension needs one).
    attrs : dict, optional
        JSON-serialisable dataset attributes; ``attrs["spec"]`` (dict or JSON string) is part of the fingerprint.
    coord_attrs : dict of str to dict, optional
        Attributes (``units``, ``long_name``) of coordinates, by coordinate name; not part of the fingerprint.

    Notes
    -----
    Inputs are normalised (tuples, read-only NumPy coordinates, text as :func:`text_dtype`, attrs as plain JSON
    types, chunks clipped to the grid). Layouts compare equal, and hash, by fingerprint plus all attributes.
    """

    grid_dims: tuple[str, ...]
    grid_coords: Mapping[str, np.ndarray]
    chunks: tuple[int, ...]
    variables: tuple[VariableSpec, ...]
    point_coords: Mapping[str, tuple[tuple[str, ...], np.ndarray]] = field(default_factory=dict)
    extra_coords: Mapping[str, np.ndarray] = field(default_factory=dict)
    attrs: dict = field(default_factory=dict)
    coord_attrs: Mapping[str, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        grid_dims = (self.grid_dims,) if isinstance(self.grid_dims, str) else tuple(self.grid_dims)
        if not grid_dims:
            raise ValueError("a store layout needs at least one grid dimension")
        for dim in grid_dims:
            _check_name(dim, "grid dimension")
        if len(set(grid_dims)) != len(grid_dims):
            raise ValueError(f"grid dimensions repeat a name: {grid_dims}")
        object.__setattr__(self, "grid_dims", grid_dims)
        object.__setattr__(self, "grid_coords", self._validated_grid_coords())
        object.__setattr__(self, "chunks", self._validated_chunks())
        object.__setattr__(self, "extra_coords", self._validated_extra_coords())
        object.__setattr__(self, "variables", self._validated_variables())
        object.__setattr__(self, "point_coords", self._validated_point_coords())
        attrs = _jsonable(dict(self.attrs), "layout attrs")
        object.__setattr__(self, "attrs", attrs)
        self._check_unique_names()
        object.__setattr__(self, "coord_attrs", self._validated_coord_attrs())

    # ------------------------------------------------------------------ validation
    def _validated_grid_coords(self) -> dict[str, np.ndarray]:
        missing = [d for d in self.grid_dims if d not in self.grid_coords]
        extra = [k for k in self.grid_coords if k not in self.grid_dims]
        if missing or extra:
            raise ValueError(f"grid_coords must have exactly one coordinate per grid dimension "
                             f"(missing {missing}, unexpected {extra})")
        return {d: _coord_array(self.grid_coords[d], f"grid coordinate {d!r}") for d in self.grid_dims}

    def _validated_chunks(self) -> tuple[int, ...]:
        chunks = tuple(int(c) for c in self.chunks)
        if len(chunks) != len(self.grid_dims) or any(c < 1 for c in chunks):
            raise ValueError(f"chunks {self.chunks!r} must give one positive block size per grid dimension "
                             f"{self.grid_dims}")
        return tuple(min(c, n) for c, n in zip(chunks, self.shape))

    def _validated_extra_coords(self) -> dict[str, np.ndarray]:
        coords = {}
        for name, values in self.extra_coords.items():
            _check_name(name, "extra dimension")
            coords[name] = _coord_array(values, f"extra coordinate {name!r}")
        return coords

    def _validated_variables(self) -> tuple[VariableSpec, ...]:
        variables = tuple(self.variables)
        if not all(isinstance(v, VariableSpec) for v in variables):
            raise ValueError("variables must be VariableSpec instances")
        names = [v.name for v in variables]
        if len(set(names)) != len(names):
            raise ValueError(f"variable names repeat: {names}")
        for var in variables:
            if var.name in RESERVED_VARIABLES:
                raise ValueError(f"variable name {var.name!r} is reserved by the store ({RESERVED_VARIABLES})")
            for dim in var.dims:
                if dim in self.grid_dims:
                    raise ValueError(f"variable {var.name!r}: extra dimension {dim!r} is a grid dimension")
                if dim not in self.extra_coords:
                    raise ValueError(f"variable {var.name!r}: extra dimension {dim!r} has no entry in extra_coords")
        return variables

    def _validated_point_coords(self) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
        coords = {}
        for name, entry in self.point_coords.items():
            _check_name(name, "point coordinate")
            try:
                dims, values = entry
            except (TypeError, ValueError):
                raise ValueError(f"point coordinate {name!r} must be a (dims, values) pair") from None
            dims = (dims,) if isinstance(dims, str) else tuple(dims)
            if any(d not in self.grid_dims for d in dims):
                raise ValueError(f"point coordinate {name!r}: dims {dims} must be grid dimensions {self.grid_dims}")
            arr = np.asarray(values)
            if arr.ndim != len(dims):
                raise ValueError(f"point coordinate {name!r}: {arr.ndim}-D values for dims {dims}")
            flat = _coord_array(arr.reshape(-1), f"point coordinate {name!r}")
            arr = flat.reshape(arr.shape)
            expected = tuple(self.sizes[d] for d in dims)
            if arr.shape != expected:
                raise ValueError(f"point coordinate {name!r}: shape {arr.shape} does not match dims {dims} "
                                 f"of sizes {expected}")
            coords[name] = (dims, arr)
        return coords

    def _validated_coord_attrs(self) -> dict[str, dict]:
        known = {*self.grid_coords, *self.extra_coords, *self.point_coords}
        unknown = sorted(set(self.coord_attrs) - known)
        if unknown:
            raise ValueError(f"coord_attrs names unknown coordinates {unknown}")
        return {name: _jsonable(dict(attrs), f"attrs of coordinate {name!r}")
                for name, attrs in self.coord_attrs.items()}

    def _check_unique_names(self) -> None:
        names = [*self.grid_dims, *self.extra_coords, *self.point_coords,
                 *(v.name for v in self.variables), *RESERVED_VARIABLES]
        seen, clashes = set(), set()
        for name in names:
            (clashes if name in seen else seen).add(name)
        if clashes:
            raise ValueError(f"names used twice among dimensions, coordinates and variables: {sorted(clashes)}")

    # ------------------------------------------------------------------ grid and blocks
    @property
    def shape(self) -> tuple[int, ...]:
        """Grid shape (sizes of ``grid_dims``)."""
        return tuple(len(self.grid_coords[d]) for d in self.grid_dims)

    @property
    def sizes(self) -> dict[str, int]:
        """Size of every dimension, grid and extra."""
        return {**dict(zip(self.grid_dims, self.shape)), **{k: len(v) for k, v in self.extra_coords.items()}}

    @property
    def n_points(self) -> int:
        """Number of grid points."""
        return math.prod(self.shape)

    def blocks(self) -> list[tuple[slice, ...]]:
        """All blocks of the grid, in C order.

        Returns
        -------
        list of tuple of slice
            One tuple of slices over ``grid_dims`` per block; edge blocks may be smaller than ``chunks``.
        """
        ranges = [range(0, n, c) for n, c in zip(self.shape, self.chunks)]
        return [tuple(slice(s, min(s + c, n)) for s, c, n in zip(starts, self.chunks, self.shape))
                for starts in itertools.product(*ranges)]

    @property
    def n_blocks(self) -> int:
        """Number of blocks."""
        return math.prod(-(-n // c) for n, c in zip(self.shape, self.chunks))

    def block(self, index: int) -> tuple[slice, ...]:
        """The slices of block ``index`` (an index into :meth:`blocks`).

        Raises
        ------
        IndexError
            If ``index`` is not an integer in ``range(n_blocks)``.
        """
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < self.n_blocks:
            raise IndexError(f"block index {index!r} is not in range(0, {self.n_blocks})")
        per_dim = [-(-n // c) for n, c in zip(self.shape, self.chunks)]
        starts = [i * c for i, c in zip(np.unravel_index(int(index), per_dim), self.chunks)]
        return tuple(slice(s, min(s + c, n)) for s, c, n in zip(starts, self.chunks, self.shape))

    def block_shape(self, block: int | tuple[slice, ...]) -> tuple[int, ...]:
        """Shape of a block over the grid dimensions.

        Parameters
        ----------
        block : int or tuple of slice
            A block index or a block from :meth:`blocks`.
        """
        slices = self.block(block) if isinstance(block, (int, np.integer)) else block
        return tuple(s.stop - s.start for s in slices)

    def variable_shape(self, variable: VariableSpec, block: int | tuple[slice, ...]) -> tuple[int, ...]:
        """Shape of ``variable`` over one block: block shape followed by its extra dimension sizes."""
        return self.block_shape(block) + tuple(len(self.extra_coords[d]) for d in variable.dims)

    def variable_chunks(self, variable: VariableSpec) -> tuple[int, ...]:
        """Zarr chunk shape of ``variable``: the block shape followed by its whole extra dimensions."""
        return self.chunks + tuple(len(self.extra_coords[d]) for d in variable.dims)

    # ------------------------------------------------------------------ identity
    @cached_property
    def _identity(self) -> tuple:
        attrs = json.dumps([self.attrs, self.coord_attrs, [v.attrs for v in self.variables]], sort_keys=True)
        return self.fingerprint(), attrs

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoreLayout) and self._identity == other._identity

    def __hash__(self) -> int:
        return hash(self._identity)

    @cached_property
    def _components(self) -> dict[str, str]:
        comps = {"format": f"brainsweep store layout {LAYOUT_FORMAT_VERSION}",
                 "grid dims": repr(self.grid_dims),
                 "chunks": repr(self.chunks)}
        for name, values in self.grid_coords.items():
            comps[f"grid coordinate {name!r}"] = _describe_array(values)
        for name, (dims, values) in self.point_coords.items():
            comps[f"point coordinate {name!r}"] = f"dims {dims!r} {_describe_array(values)}"
        for name, values in self.extra_coords.items():
            comps[f"extra coordinate {name!r}"] = _describe_array(values)
        for var in self.variables:
            comps[f"variable {var.name!r}"] = var.describe()
        if "spec" in self.attrs:
            digest = hashlib.sha256(_canonical_spec(self.attrs["spec"]).encode()).hexdigest()[:16]
            comps["spec"] = f"#{digest}"
        return comps

    def components(self) -> dict[str, str]:
        """Readable entries for everything the fingerprint covers (entry name -> short description).

        Two layouts have the same :meth:`fingerprint` exactly when their components are equal; comparing
        components names what differs.
        """
        return dict(self._components)

    def fingerprint(self) -> str:
        """Stable hash of everything that defines the stored results.

        Covers the grid dimensions, all coordinates (values and dtypes), chunks, variables (dims, dtype, fill
        value) and ``attrs["spec"]``; not the variables' attrs or other dataset attrs (versions, titles).

        Returns
        -------
        str
            Hex SHA-256 digest.
        """
        text = json.dumps(self._components, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def describe_differences(old: Mapping[str, str], new: Mapping[str, str], limit: int = 3) -> str:
    """One line naming the components that differ between two :meth:`StoreLayout.components` results.

    Parameters
    ----------
    old, new : mapping of str to str
        Components of the stored and of the requested layout.
    limit : int, optional
        Differences spelled out; more are counted.
    """
    keys = list(dict.fromkeys([*old, *new]))
    diffs = []
    for key in keys:
        if old.get(key) == new.get(key):
            continue
        if key not in old:
            diffs.append(f"{key} is new ({new[key]})")
        elif key not in new:
            diffs.append(f"{key} is gone (store has {old[key]})")
        else:
            diffs.append(f"{key}: store has {old[key]}, requested {new[key]}")
    shown = "; ".join(diffs[:limit])
    more = f"; and {len(diffs) - limit} more" if len(diffs) > limit else ""
    return shown + more

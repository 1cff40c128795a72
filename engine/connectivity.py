r"""The structural connectome: weights, tract lengths and conduction delays between regions.

:class:`Connectivity` follows TVB's conventions (``tvb.datatypes.connectivity.Connectivity``):

- ``weights[i, j]`` is the strength of the connection **from** region ``j`` **to** region ``i`` (rows are
  targets, columns are sources), in arbitrary units; the coupling of region ``i`` is
  :math:`\sum_j w_{ij}\, x_j(t - \tau_{ij})`.
- ``tract_lengths`` are in mm, the conduction speed in mm/ms, so delays
  :math:`\tau_{ij} = \ell_{ij} / v` are in ms.
- ``hemispheres[i]`` is ``True`` for a region of the **right** hemisphere.

Large connectomes (fine parcellations, 1,000-20,000+ nodes) may be **sparse**: give ``weights`` as a
``scipy.sparse`` matrix and the connectome stays sparse through every edit and into the engine, whose memory
is then O(connections + nodes x history x batch), with no dense ``n x n`` array anywhere.

Unlike TVB's mutable traits class, a :class:`Connectivity` is immutable: its arrays are read-only float64
copies, and every edit (:meth:`Connectivity.normalized`, :meth:`Connectivity.lesioned`, ...) returns a new
object. Files in TVB's zip format (the ``tvb_data.connectivity`` archives) are read with the same rules as
TVB's ``ZipReader`` and written so that TVB can read them back.
"""
from __future__ import annotations

import bz2
import hashlib
import importlib.resources
import io
import os
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np
import scipy.sparse as sp

__all__ = ["Connectivity", "NORMALIZATION_MODES"]

PathLike = Union[str, "os.PathLike[str]"]
ArrayLike = Any

#: Modes accepted by :meth:`Connectivity.normalized`.
NORMALIZATION_MODES: tuple[str, ...] = ("max", "row_sum", "in_strength", "none")

_DEFAULT_SPEED = 3.0  # mm/ms, TVB's default
_TVB_DATA_PACKAGE = "tvb_data.connectivity"
_TVB_DATA_NAME = re.compile(r"^connectivity_(\d+)\.zip$")
_INFO_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_FINGERPRINT_VERSION = b"brainsweep.Connectivity.fingerprint.v1"
_SPARSE_FINGERPRINT_VERSION = b"brainsweep.Connectivity.fingerprint.sparse.v1"
#: Largest sparse connectome :meth:`Connectivity.to_zip` writes as TVB's dense text matrices.
MAX_DENSE_EXPORT = 5000


# ----------------------------------------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------------------------------------

def _float_array(value: ArrayLike, name: str) -> np.ndarray:
    """Return a fresh float64 copy of ``value`` or raise ``ValueError`` naming ``name``."""
    arr = np.asarray(value)
    if arr.dtype.kind == "c":
        raise ValueError(f"{name}: complex values are not allowed, expected real numbers")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name}: expected numbers, got an array of dtype {arr.dtype}")
    arr = np.array(arr, dtype=np.float64, copy=True)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))
        raise ValueError(f"{name}: NaN or infinite values are not allowed "
                         f"({len(bad)} found, first at index {tuple(int(k) for k in bad[0])})")
    return arr


def _sparse_weights(value: Any) -> sp.csr_array:
    """Canonical float64 CSR copy of sparse ``weights`` (duplicates summed, explicit zeros dropped)."""
    if value.ndim != 2 or value.shape[0] != value.shape[1]:
        raise ValueError(f"weights: expected a square (n, n) matrix, got shape {value.shape}")
    if value.dtype.kind not in "biuf":
        raise ValueError(f"weights: expected real numbers, got a sparse matrix of dtype {value.dtype}")
    w = sp.csr_array(value, dtype=np.float64, copy=True)
    w.sum_duplicates()
    _finite(w.data, "weights")
    if np.any(w.data < 0):
        raise ValueError(f"weights: negative values are not allowed (min {w.data.min()!r}); weights must be >= 0")
    w.eliminate_zeros()
    w.sort_indices()
    return w


def _finite(data: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{name}: NaN or infinite values are not allowed ({int(np.sum(~np.isfinite(data)))} found)")


def _pattern_rows(w: sp.csr_array) -> np.ndarray:
    """Target (row) index of each stored entry of a CSR matrix."""
    return np.repeat(np.arange(w.shape[0], dtype=np.int64), np.diff(w.indptr))


def _lengths_at(tract_lengths: Any, w: sp.csr_array) -> np.ndarray:
    """Tract lengths (mm) at the stored entries of ``w``, from a sparse or dense ``tract_lengths``."""
    n = w.shape[0]
    rows, cols = _pattern_rows(w), w.indices.astype(np.int64)
    if sp.issparse(tract_lengths):
        if tract_lengths.shape != (n, n):
            raise ValueError(f"tract_lengths: expected shape ({n}, {n}) like weights, got {tract_lengths.shape}")
        tl = sp.csr_array(tract_lengths, dtype=np.float64, copy=True)
        tl.sum_duplicates()
        _finite(tl.data, "tract_lengths")
        stored = sp.csr_array((np.ones(tl.nnz), tl.indices, tl.indptr), shape=tl.shape)
        missing = (stored[rows, cols] == 0) & (rows != cols)
        if missing.any():
            k = int(np.argmax(missing))
            raise ValueError(f"tract_lengths: no length stored for {int(missing.sum())} connection(s) with a "
                             f"non-zero weight (first: target {rows[k]}, source {cols[k]}); store a length "
                             "(mm) for every connection (a missing self-connection length counts as 0)")
        values = np.asarray(tl[rows, cols], dtype=np.float64).reshape(-1)
    else:
        dense = _float_array(tract_lengths, "tract_lengths")
        if dense.shape != (n, n):
            raise ValueError(f"tract_lengths: expected shape ({n}, {n}) like weights, got {dense.shape}")
        values = dense[rows, cols]
    if np.any(values < 0):
        raise ValueError(f"tract_lengths: negative values are not allowed (min {values.min()!r}); "
                         "lengths must be >= 0 mm")
    return values


def _with_data(like: sp.csr_array, data: np.ndarray) -> sp.csr_array:
    """A writable CSR copy of ``like`` with new ``data`` (zeros are dropped by the constructor)."""
    return sp.csr_array((data, like.indices.copy(), like.indptr.copy()), shape=like.shape)


def _freeze_csr(data: np.ndarray, like: sp.csr_array) -> sp.csr_array:
    """A CSR matrix with ``like``'s structure and ``data``, all its arrays read-only."""
    m = sp.csr_array((np.array(data, dtype=data.dtype), like.indices.copy(), like.indptr.copy()), shape=like.shape)
    m.has_canonical_format = True
    for a in (m.data, m.indices, m.indptr):
        a.flags.writeable = False
    return m


def _bool_array(value: ArrayLike, name: str, n: int) -> np.ndarray:
    """Return a fresh bool copy of a length-``n`` vector of booleans or 0/1 values."""
    arr = np.asarray(value)
    if arr.dtype.kind != "b":
        if arr.dtype.kind not in "iuf":
            raise ValueError(f"{name}: expected booleans (or 0/1), got an array of dtype {arr.dtype}")
        if not np.all(np.isin(arr, (0, 1))):
            raise ValueError(f"{name}: expected booleans (or 0/1 values), got other values")
    arr = np.array(arr, dtype=bool, copy=True)
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected shape ({n},) for {n} regions, got {arr.shape}")
    return arr


def _readonly(arr: np.ndarray | None) -> np.ndarray | None:
    if arr is not None:
        arr.flags.writeable = False
    return arr


def _empty_to_none(value: ArrayLike | None) -> ArrayLike | None:
    """TVB marks a missing optional array with an empty array; treat it as absent."""
    if value is None:
        return None
    if isinstance(value, np.ndarray) and value.size == 0:
        return None
    return value


def _speed_value(value: Any) -> float:
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"conduction_speed: expected a positive number in mm/ms, got {value!r}")
    arr = np.asarray(value)
    if arr.size != 1 or arr.ndim > 1 or arr.dtype.kind not in "iuf":
        raise ValueError(f"conduction_speed: expected a single positive number in mm/ms, got {value!r}")
    speed = float(arr.reshape(()))
    if not np.isfinite(speed) or speed <= 0.0:
        raise ValueError(f"conduction_speed: must be finite and > 0 (mm/ms), got {speed!r}")
    return speed


def _default_labels(n: int) -> list[str]:
    """Labels TVB's ``Connectivity.compute_region_labels`` assigns: ``region_000``, ``region_001``, ..."""
    return ["region_%03d" % k for k in range(n)]


def _tvb_hemispheres(labels: Sequence[str]) -> np.ndarray | None:
    """Infer hemispheres from labels exactly as TVB's ``Connectivity.try_compute_hemispheres``.

    If *every* label starts with ``r``/``R`` or ``l``/``L`` that first letter decides (``r`` = right =
    ``True``); otherwise, if every label ends with ``r``/``l`` the last letter decides; otherwise ``None``.
    """
    for pick in (lambda s: s[:1], lambda s: s[-1:]):
        sides = []
        for label in labels:
            c = pick(label.lower())
            if c == "r":
                sides.append(True)
            elif c == "l":
                sides.append(False)
            else:
                break
        else:
            return np.array(sides, dtype=bool)
    return None


def _euclidean_distances(centres: np.ndarray) -> np.ndarray:
    """Pairwise Euclidean distances, computed as TVB's ``Connectivity.compute_tract_lengths``."""
    diff = centres[np.newaxis, :, :] - centres[:, np.newaxis, :]
    return np.sqrt(np.sum(diff ** 2, axis=-1))


# ----------------------------------------------------------------------------------------------------------
# file helpers
# ----------------------------------------------------------------------------------------------------------

def _tvb_data_dir():
    try:
        return importlib.resources.files(_TVB_DATA_PACKAGE)
    except ModuleNotFoundError as exc:  # pragma: no cover - tvb-data is a hard dependency
        raise ModuleNotFoundError("the 'tvb-data' package is needed for the shipped connectomes "
                                  "(pip install tvb-data)") from exc


def _tvb_data_sizes() -> dict[int, str]:
    """Map number of regions -> archive name of the connectomes shipped in tvb-data."""
    out = {}
    for entry in _tvb_data_dir().iterdir():
        m = _TVB_DATA_NAME.match(entry.name)
        if m:
            out[int(m.group(1))] = entry.name
    return dict(sorted(out.items()))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _is_csv(path: Path, text: str) -> bool:
    if path.suffix.lower() == ".csv":
        return True
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return "," in line
    return False


def _load_npz_member(path: Path, keys: Sequence[str]) -> np.ndarray:
    with np.load(path, allow_pickle=False) as npz:
        names = list(npz.files)
        if len(names) == 1:
            return npz[names[0]]
        for key in keys:
            if key in names:
                return npz[key]
    raise ValueError(f"{path}: cannot tell which array to use among {names}; "
                     f"store a single array or one named {' or '.join(repr(k) for k in keys)}")


def _read_matrix(source: Any, name: str) -> np.ndarray:
    """Read a matrix from a ``.npy``/``.npz``/text/CSV file, or pass an array through."""
    if sp.issparse(source):
        return source
    if not isinstance(source, (str, os.PathLike)):
        return np.asarray(source)
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as npz:
            is_scipy_sparse = {"format", "shape", "data"} <= set(npz.files)
        if is_scipy_sparse:                     # written by scipy.sparse.save_npz
            return sp.csr_array(sp.load_npz(path))
        return _load_npz_member(path, (name,))
    text = _decode(path.read_bytes())
    delimiter = "," if _is_csv(path, text) else None
    try:
        return np.loadtxt(io.StringIO(text), dtype=np.float64, delimiter=delimiter, ndmin=2)
    except ValueError as exc:
        raise ValueError(f"{name}: cannot read a numeric matrix from {path}: {exc}") from exc


def _read_labels(source: Any) -> list[str]:
    """Read region labels: one per line from a text file, a ``.npy`` string array, or a sequence."""
    if not isinstance(source, (str, os.PathLike)):
        return [str(x) for x in np.asarray(source).ravel()]
    path = Path(source)
    if path.suffix.lower() == ".npy":
        return [str(x) for x in np.load(path, allow_pickle=False).ravel()]
    if path.suffix.lower() == ".npz":
        return [str(x) for x in _load_npz_member(path, ("region_labels", "labels")).ravel()]
    return [line.strip() for line in _decode(path.read_bytes()).splitlines() if line.strip()]


def _parse_floats(tokens: Sequence[str]) -> list[float] | None:
    try:
        return [float(t) for t in tokens]
    except ValueError:
        return None


def _read_centres(source: Any) -> tuple[np.ndarray, list[str] | None]:
    """Read centres from ``label x y z`` or ``x y z`` lines (whitespace or comma separated) or ``.npy``.

    Returns the ``(n, 3)`` coordinates and the labels found in the file (``None`` when there are none).
    A first line whose coordinates are not numbers (a CSV header such as ``label,x,y,z``) is skipped.
    """
    if sp.issparse(source):
        return source
    if not isinstance(source, (str, os.PathLike)):
        return np.asarray(source), None
    path = Path(source)
    if path.suffix.lower() == ".npy":
        return np.load(path, allow_pickle=False), None
    if path.suffix.lower() == ".npz":
        return _load_npz_member(path, ("centres", "centers")), None
    text = _decode(path.read_bytes())
    csv = _is_csv(path, text)
    rows = [line.strip() for line in text.splitlines()]
    rows = [r for r in rows if r and not r.startswith("#")]
    labels: list[str] = []
    coords: list[list[float]] = []
    width = None
    for k, row in enumerate(rows):
        tokens = [t.strip() for t in row.split(",")] if csv else row.split()
        if len(tokens) not in (3, 4):
            raise ValueError(f"centres: {path} line {k + 1}: expected 'label x y z' or 'x y z', got {row!r}")
        xyz = _parse_floats(tokens[-3:])
        if xyz is None:
            if k == 0:  # header line
                continue
            raise ValueError(f"centres: {path} line {k + 1}: coordinates are not numbers: {row!r}")
        if width is None:
            width = len(tokens)
        elif len(tokens) != width:
            raise ValueError(f"centres: {path} line {k + 1}: mixes lines with and without labels")
        if len(tokens) == 4:
            labels.append(tokens[0])
        coords.append(xyz)
    arr = np.array(coords, dtype=np.float64).reshape(-1, 3)
    return arr, (labels if width == 4 else None)


def _parse_info(text: str) -> dict[str, str]:
    """Parse TVB's free-form ``info.txt`` (``key = "value"`` lines); malformed lines are ignored."""
    out = {}
    for line in text.splitlines():
        m = _INFO_LINE.match(line)
        if m:
            out[m.group(1)] = m.group(2).strip().strip('"').strip("'")
    return out


class _ZipArchive:
    """Member lookup and array reading with the rules of TVB's ``tvb.basic.readers.ZipReader``.

    A logical file ``"weights"`` is the first archive member whose name *contains* that string (members
    under ``__MACOSX`` are skipped); ``.bz2`` members are decompressed, ``.npy``/``.npz`` members loaded with
    NumPy, anything else parsed as whitespace-separated text with ``numpy.loadtxt``.
    """

    def __init__(self, zf: zipfile.ZipFile, where: str):
        self.zf = zf
        self.where = where

    def member(self, name: str) -> str | None:
        for actual in self.zf.namelist():
            if name in actual and not actual.startswith("__MACOSX"):
                return actual
        return None

    def text(self, member: str) -> str:
        data = self.zf.read(member)
        if member.endswith(".bz2"):
            data = bz2.decompress(data)
        return _decode(data)

    def array(self, name: str, dtype=np.float64, usecols=None, ndmin: int = 0) -> np.ndarray | None:
        member = self.member(name)
        if member is None:
            return None
        base = member[:-4] if member.endswith(".bz2") else member
        try:
            if base.endswith(".npy") or base.endswith(".npz"):
                raw = self.zf.read(member)
                if member.endswith(".bz2"):
                    raw = bz2.decompress(raw)
                loaded = np.load(io.BytesIO(raw), allow_pickle=False)
                if isinstance(loaded, np.lib.npyio.NpzFile):
                    with loaded:
                        loaded = loaded[loaded.files[0]]
                if usecols is not None:
                    loaded = loaded[:, list(usecols)]
                return np.asarray(loaded, dtype=dtype)
            return np.loadtxt(io.StringIO(self.text(member)), dtype=dtype, usecols=usecols, ndmin=ndmin)
        except ValueError as exc:
            raise ValueError(f"{name}: cannot read member {member!r} of {self.where}: {exc}") from exc

    def bool_array(self, name: str) -> np.ndarray | None:
        member = self.member(name)
        if member is None:
            return None
        try:  # TVB reads these with dtype=bool, i.e. integers 0/1
            return self.array(name, dtype=np.float64, ndmin=1).ravel() != 0
        except ValueError:
            tokens = self.text(member).split()
            truth = {"true": True, "false": False, "t": True, "f": False}
            try:
                return np.array([truth[t.lower()] for t in tokens], dtype=bool)
            except KeyError as exc:
                raise ValueError(f"{name}: member {member!r} of {self.where} holds values other than "
                                 "0/1/True/False") from exc


# ----------------------------------------------------------------------------------------------------------
# the class
# ----------------------------------------------------------------------------------------------------------

class Connectivity:
    """An immutable structural connectome with TVB's conventions.

    Parameters
    ----------
    weights : array_like or scipy.sparse matrix, shape (n, n)
        Connection strengths (arbitrary units, >= 0). ``weights[i, j]`` is the connection **from** region
        ``j`` **to** region ``i`` (row = target, column = source), as in TVB. A ``scipy.sparse`` matrix makes
        a sparse connectome (stored as CSR; see :attr:`is_sparse`).
    tract_lengths : array_like or scipy.sparse matrix, shape (n, n), optional
        Fibre tract lengths in mm (>= 0). When omitted they are estimated as the Euclidean distances
        between ``centres`` (as TVB's ``compute_tract_lengths``); one of the two is required. With sparse
        weights, a length must be stored for every non-zero weight (a sparse matrix with at least the
        weights' pattern, or a dense array); only those lengths are kept.
    region_labels : sequence of str, optional
        Unique, non-empty region names. Default: TVB's ``"region_000"``, ``"region_001"``, ...
    centres : array_like, shape (n, 3), optional
        Region centres in mm.
    conduction_speed : float, default 3.0
        Axonal conduction speed in mm/ms (= m/s); TVB's default is 3.0.
    cortical : array_like of bool, shape (n,), optional
        Whether each region is cortical.
    hemispheres : array_like of bool, shape (n,), optional
        ``True`` for regions of the **right** hemisphere, ``False`` for the left (TVB's convention). When
        omitted and labels were given, it is inferred from the labels like TVB's
        ``try_compute_hemispheres`` (all labels start with ``r``/``l``, else all end with ``r``/``l``);
        otherwise it stays ``None``. Unlike TVB, the generated default labels ``region_...`` are not used
        for inference (TVB would call every such region right-hemispheric).
    areas : array_like, shape (n,), optional
        Region areas in mm^2 (>= 0; TVB uses 0 for unknown).
    orientations : array_like, shape (n, 3), optional
        Average orientation (unit vector) of each region; zeros when unknown.
    source : str, default "arrays"
        Provenance: where the data came from (``"tvb-data connectivity_76.zip"``, a file path, ...).

    Raises
    ------
    ValueError
        If a field has the wrong shape, NaN/inf values, negative weights/lengths/areas, duplicate or empty
        labels, a non-positive speed, or there are no regions. The message names the field.

    Notes
    -----
    All arrays are stored as read-only copies; every edit method returns a new :class:`Connectivity`
    (its :attr:`history` records the edits), the original is never modified.
    """

    __slots__ = ("_weights", "_tract_lengths", "_labels", "_centres", "_speed", "_cortical",
                 "_hemispheres", "_areas", "_orientations", "_source", "_history", "_fingerprint")

    def __init__(self, weights: ArrayLike, tract_lengths: ArrayLike | None = None,
                 region_labels: Sequence[str] | None = None, centres: ArrayLike | None = None,
                 conduction_speed: float = _DEFAULT_SPEED, *, cortical: ArrayLike | None = None,
                 hemispheres: ArrayLike | None = None, areas: ArrayLike | None = None,
                 orientations: ArrayLike | None = None, source: str = "arrays"):
        sparse = sp.issparse(weights)
        if sparse:
            w = _sparse_weights(weights)
        else:
            w = _float_array(weights, "weights")
            if w.ndim != 2 or w.shape[0] != w.shape[1]:
                raise ValueError(f"weights: expected a square (n, n) matrix, got shape {w.shape}")
        n = w.shape[0]
        if n < 1:
            raise ValueError("weights: a connectivity needs at least 1 region, got a 0 x 0 matrix")
        if not sparse and np.any(w < 0):
            raise ValueError(f"weights: negative values are not allowed (min {w.min()!r}); weights must be >= 0")

        c = _empty_to_none(centres)
        if c is not None:
            c = _float_array(c, "centres")
            if c.shape != (n, 3):
                raise ValueError(f"centres: expected shape ({n}, 3) for {n} regions, got {c.shape}")

        tl = _empty_to_none(tract_lengths)
        if tl is None and c is None:
            raise ValueError("tract_lengths: missing; give tract_lengths (mm) or centres (mm) "
                             "to estimate them as Euclidean distances")
        if sparse:
            if tl is None:
                diff = c[w.indices] - c[_pattern_rows(w)]      # per connection, as _euclidean_distances
                lengths = np.sqrt(np.sum(diff ** 2, axis=-1))
            else:
                lengths = _lengths_at(tl, w)
            tl = _freeze_csr(lengths, w)
            w = _freeze_csr(w.data, w)
        elif tl is None:
            tl = _euclidean_distances(c)
        else:
            if sp.issparse(tl):
                tl = tl.toarray()
            tl = _float_array(tl, "tract_lengths")
            if tl.shape != (n, n):
                raise ValueError(f"tract_lengths: expected shape ({n}, {n}) like weights, got {tl.shape}")
            if np.any(tl < 0):
                raise ValueError(f"tract_lengths: negative values are not allowed (min {tl.min()!r}); "
                                 "lengths must be >= 0 mm")

        if region_labels is None or (isinstance(region_labels, np.ndarray) and region_labels.size == 0):
            labels = _default_labels(n)
            labels_given = False
        else:
            if isinstance(region_labels, (str, bytes)):
                raise ValueError("region_labels: expected a sequence of strings, got a single string")
            raw = list(np.asarray(region_labels, dtype=object).ravel()) \
                if isinstance(region_labels, np.ndarray) else list(region_labels)
            labels = []
            for k, lab in enumerate(raw):
                if isinstance(lab, bytes):
                    lab = lab.decode("utf-8")
                if not isinstance(lab, (str, np.str_)):
                    raise ValueError(f"region_labels: label {k} is {lab!r}, expected a string")
                if not str(lab).strip():
                    raise ValueError(f"region_labels: label {k} is empty")
                labels.append(str(lab))
            if len(labels) != n:
                raise ValueError(f"region_labels: expected {n} labels (one per region), got {len(labels)}")
            seen, dup = set(), []
            for lab in labels:
                if lab in seen and lab not in dup:
                    dup.append(lab)
                seen.add(lab)
            if dup:
                raise ValueError(f"region_labels: labels must be unique, duplicated: {dup[:10]}")
            labels_given = True

        speed = _speed_value(conduction_speed)

        cort = _empty_to_none(cortical)
        if cort is not None:
            cort = _bool_array(cort, "cortical", n)
        hemi = _empty_to_none(hemispheres)
        if hemi is not None:
            hemi = _bool_array(hemi, "hemispheres", n)
        elif labels_given:
            hemi = _tvb_hemispheres(labels)
        ar = _empty_to_none(areas)
        if ar is not None:
            ar = _float_array(ar, "areas")
            if ar.shape != (n,):
                raise ValueError(f"areas: expected shape ({n},) for {n} regions, got {ar.shape}")
            if np.any(ar < 0):
                raise ValueError("areas: negative values are not allowed; areas must be >= 0 mm^2")
        ori = _empty_to_none(orientations)
        if ori is not None:
            ori = _float_array(ori, "orientations")
            if ori.shape != (n, 3):
                raise ValueError(f"orientations: expected shape ({n}, 3) for {n} regions, got {ori.shape}")

        set_ = object.__setattr__
        set_(self, "_weights", w if sparse else _readonly(w))
        set_(self, "_tract_lengths", tl if sparse else _readonly(tl))
        set_(self, "_labels", _readonly(np.array(labels, dtype=str)))
        set_(self, "_centres", _readonly(c))
        set_(self, "_speed", speed)
        set_(self, "_cortical", _readonly(cort))
        set_(self, "_hemispheres", _readonly(hemi))
        set_(self, "_areas", _readonly(ar))
        set_(self, "_orientations", _readonly(ori))
        set_(self, "_source", str(source))
        set_(self, "_history", ())
        set_(self, "_fingerprint", None)

    def __setattr__(self, name, value):
        raise AttributeError(f"Connectivity is immutable; use the edit methods (they return a new object) "
                             f"instead of setting {name!r}")

    def __delattr__(self, name):
        raise AttributeError("Connectivity is immutable")

    # ------------------------------------------------------------------------------------------------------
    # loaders
    # ------------------------------------------------------------------------------------------------------

    @classmethod
    def tvb_data_sizes(cls) -> tuple[int, ...]:
        """Numbers of regions of the connectomes shipped in tvb-data (e.g. ``(66, 68, 76, 96, 192)``)."""
        return tuple(_tvb_data_sizes())

    @classmethod
    def from_tvb_data(cls, n: int = 76, conduction_speed: float = _DEFAULT_SPEED) -> Connectivity:
        """Load a connectome shipped in tvb-data by its number of regions.

        Parameters
        ----------
        n : int, default 76
            Number of regions; ``connectivity_<n>.zip`` is read. 76 is TVB's default connectome.
        conduction_speed : float, default 3.0
            Conduction speed in mm/ms.

        Raises
        ------
        ValueError
            If tvb-data ships no connectome with ``n`` regions (the message lists the available sizes).
        """
        sizes = _tvb_data_sizes()
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or int(n) not in sizes:
            raise ValueError(f"n: tvb-data has no connectome with {n!r} regions; "
                             f"available sizes: {list(sizes)}")
        name = sizes[int(n)]
        with importlib.resources.as_file(_tvb_data_dir() / name) as path:
            conn = cls.from_zip(path, conduction_speed=conduction_speed)
        return conn._replace(source=f"tvb-data {name}", history=())

    @classmethod
    def from_file(cls, path_or_name: PathLike, conduction_speed: float | None = None) -> Connectivity:
        """Load a connectome from a TVB zip archive, given as a path or as a bare tvb-data file name.

        Parameters
        ----------
        path_or_name : str or path-like
            An existing ``.zip`` file, or the name of an archive shipped in tvb-data such as
            ``"connectivity_76.zip"`` (looked up there when no such file exists locally; TVB's
            ``Connectivity.from_file`` instead always prefers tvb-data for relative names).
        conduction_speed : float, optional
            Conduction speed in mm/ms; see :meth:`from_zip`.

        Raises
        ------
        FileNotFoundError
            If the file is neither present nor shipped in tvb-data.
        ValueError
            If the file is not a ``.zip`` archive (use :meth:`from_files` for matrices in separate files).
        """
        path = Path(path_or_name)
        if not path.exists():
            if path.name == str(path_or_name) and (_tvb_data_dir() / path.name).is_file():
                with importlib.resources.as_file(_tvb_data_dir() / path.name) as p:
                    conn = cls.from_zip(p, conduction_speed=conduction_speed)
                return conn._replace(source=f"tvb-data {path.name}", history=())
            raise FileNotFoundError(f"no connectivity file {str(path_or_name)!r} (neither a file nor one of "
                                    f"tvb-data's {sorted(_tvb_data_sizes().values())})")
        if path.suffix.lower() != ".zip" and not zipfile.is_zipfile(path):
            raise ValueError(f"path: {path} is not a TVB .zip connectivity; use Connectivity.from_files() "
                             "for weights/tract lengths/labels/centres in separate text, CSV or .npy files")
        return cls.from_zip(path, conduction_speed=conduction_speed)

    @classmethod
    def from_zip(cls, path: PathLike, conduction_speed: float | None = None) -> Connectivity:
        """Read a connectome in TVB's zip format, with the rules of TVB's ``Connectivity._read``.

        Archive members are found by *substring* of their names (the first match wins, ``__MACOSX``
        entries are skipped) and ``.bz2`` members decompressed:

        - ``weights`` (required): n x n matrix;
        - ``tract_lengths``: n x n matrix in mm (TVB requires it; here it may be missing if centres exist);
        - ``centres`` (or ``centers``): lines ``label x y z`` giving the labels and centres in mm;
        - optional ``cortical``, ``hemispheres`` (0/1 per line, 1 = right), ``areas``,
          ``average_orientations`` (3 numbers per line).

        Parameters
        ----------
        path : str or path-like
            The archive.
        conduction_speed : float, optional
            Conduction speed in mm/ms. When ``None``, a ``conduction_speed`` entry of the archive's
            ``info.txt`` (written by :meth:`to_zip`) is used, else TVB's default 3.0.
        """
        path = Path(path)
        with zipfile.ZipFile(path) as zf:
            z = _ZipArchive(zf, str(path))
            info_member = z.member("info")
            info = _parse_info(z.text(info_member)) if info_member else {}
            weights = z.array("weights", ndmin=2)
            if weights is None:
                raise ValueError(f"weights: no member named like 'weights' in {path} "
                                 f"(members: {zf.namelist()})")
            tract_lengths = z.array("tract_lengths", ndmin=2)
            centres_name = "centres" if z.member("centres") else ("centers" if z.member("centers") else None)
            centres = labels = None
            if centres_name:
                centres = z.array(centres_name, usecols=(1, 2, 3), ndmin=2)
                labels = z.array(centres_name, dtype=np.str_, usecols=(0,), ndmin=1)
            if info.get("centres", "").lower() == "missing":
                centres = None
            orientations = z.array("average_orientations", ndmin=2)
            cortical = z.bool_array("cortical")
            hemispheres = z.bool_array("hemispheres")
            areas = z.array("areas", ndmin=1)
        if areas is not None:
            areas = areas.ravel()
        if conduction_speed is None:
            conduction_speed = float(info["conduction_speed"]) if "conduction_speed" in info \
                else _DEFAULT_SPEED
        return cls(weights, tract_lengths, labels, centres, conduction_speed, cortical=cortical,
                   hemispheres=hemispheres, areas=areas, orientations=orientations, source=str(path))

    @classmethod
    def from_files(cls, weights: PathLike | ArrayLike, tract_lengths: PathLike | ArrayLike | None = None,
                   region_labels: PathLike | Sequence[str] | None = None,
                   centres: PathLike | ArrayLike | None = None,
                   conduction_speed: float = _DEFAULT_SPEED) -> Connectivity:
        """Build a connectome from separate files.

        Parameters
        ----------
        weights, tract_lengths : path or array_like
            Square matrices in a ``.npy`` file, a ``.npz`` file (a single array, or one named ``weights`` /
            ``tract_lengths``), or a text file: whitespace separated, or comma separated when the name ends
            in ``.csv`` or the first data line contains a comma (``#`` starts a comment). Tract lengths in
            mm; when omitted they are computed from ``centres``.
        region_labels : path or sequence of str, optional
            A text file with one label per line (blank lines ignored), a ``.npy`` string array, or the
            labels themselves. When omitted, labels found in the centres file are used.
        centres : path or array_like, optional
            Lines ``label x y z`` (TVB's format) or ``x y z``, whitespace or comma separated, or a ``.npy``
            ``(n, 3)`` array; in mm. A non-numeric first line (header) is skipped.
        conduction_speed : float, default 3.0
            Conduction speed in mm/ms.

        Raises
        ------
        ValueError
            If files cannot be parsed, or labels from ``region_labels`` and the centres file disagree.
        """
        w = _read_matrix(weights, "weights")
        tl = None if tract_lengths is None else _read_matrix(tract_lengths, "tract_lengths")
        labels = None if region_labels is None else _read_labels(region_labels)
        c = None
        if centres is not None:
            c, centre_labels = _read_centres(centres)
            if centre_labels is not None:
                if labels is None:
                    labels = centre_labels
                elif list(labels) != list(centre_labels):
                    raise ValueError("region_labels: the labels file and the labels in the centres file "
                                     "disagree; give only one of them or make them identical")
        source = str(weights) if isinstance(weights, (str, os.PathLike)) else "arrays"
        return cls(w, tl, labels, c, conduction_speed, source=source)

    def to_zip(self, path: PathLike) -> Path:
        """Write the connectome in TVB's zip format; returns the path.

        Members: ``weights.txt``, ``tract_lengths.txt``, ``centres.txt`` (``label x y z``), and when known
        ``cortical.txt``, ``hemispheres.txt`` (1 = right), ``areas.txt``, ``average_orientations.txt``, plus
        an ``info.txt`` with units and the conduction speed. Floats are written with ``%.18e`` so that
        :meth:`from_zip` gives back bit-identical arrays, and TVB's ``Connectivity.from_file`` can read the
        archive. Unknown centres are written as zeros (TVB requires the file) and flagged in ``info.txt``.

        Raises
        ------
        ValueError
            If a label cannot be stored in a ``label x y z`` line (contains whitespace or ``#``).
        """
        if self.is_sparse and self.number_of_regions > MAX_DENSE_EXPORT:
            raise ValueError(f"weights: a sparse connectome of {self.number_of_regions} regions is too large for "
                             f"TVB's dense zip format (at most {MAX_DENSE_EXPORT}); save weights and "
                             "tract_lengths with scipy.sparse.save_npz and load them with Connectivity.from_files")
        for lab in self._labels:
            if re.search(r"\s|#", lab):
                raise ValueError(f"region_labels: {lab!r} cannot be written to a TVB centres file "
                                 "(labels must not contain whitespace or '#')")
        path = Path(path)
        fmt = "%.18e"

        def matrix_text(a: np.ndarray) -> str:
            buf = io.StringIO()
            np.savetxt(buf, a, fmt=fmt, delimiter=" ")
            return buf.getvalue()

        centres = self._centres if self._centres is not None else np.zeros((self.number_of_regions, 3))
        centre_lines = "".join(f"{lab} {fmt % x} {fmt % y} {fmt % z}\n"
                               for lab, (x, y, z) in zip(self._labels, centres))
        info = ['weights_unit = "au"', 'length_unit = "mm"', 'area_unit = "mm^2"',
                f'conduction_speed = "{self._speed!r}"', 'speed_unit = "mm/ms"']
        if self._centres is None:
            info.append('centres = "missing"')
        dense = self.to_dense()
        members = [("weights.txt", matrix_text(dense._weights)),
                   ("tract_lengths.txt", matrix_text(dense._tract_lengths)),
                   ("centres.txt", centre_lines)]
        if self._cortical is not None:
            members.append(("cortical.txt", "".join(f"{int(v)}\n" for v in self._cortical)))
        if self._hemispheres is not None:
            members.append(("hemispheres.txt", "".join(f"{int(v)}\n" for v in self._hemispheres)))
        if self._areas is not None:
            members.append(("areas.txt", "".join(f"{fmt % v}\n" for v in self._areas)))
        if self._orientations is not None:
            members.append(("average_orientations.txt", matrix_text(self._orientations)))
        members.append(("info.txt", "\n".join(info) + "\n"))
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, text in members:
                zf.writestr(name, text.encode("utf-8"))
        return path

    # ------------------------------------------------------------------------------------------------------
    # data
    # ------------------------------------------------------------------------------------------------------

    @property
    def number_of_regions(self) -> int:
        """Number of regions ``n``."""
        return int(self._weights.shape[0])

    @property
    def weights(self) -> np.ndarray | sp.csr_array:
        """Read-only ``(n, n)`` float64 weights; ``weights[i, j]`` is from ``j`` to ``i`` (arbitrary units).

        A ``scipy.sparse.csr_array`` (no explicit zeros, sorted indices) for a sparse connectome.
        """
        return self._weights

    @property
    def tract_lengths(self) -> np.ndarray | sp.csr_array:
        """Read-only ``(n, n)`` float64 tract lengths in mm.

        For a sparse connectome, a ``csr_array`` with exactly the structure of :attr:`weights`: lengths are
        kept for the connections only.
        """
        return self._tract_lengths

    @property
    def is_sparse(self) -> bool:
        """Whether weights and tract lengths are stored as ``scipy.sparse`` CSR matrices."""
        return sp.issparse(self._weights)

    def connections(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The existing connections (non-zero weights, self-connections included) as edge lists.

        Returns
        -------
        targets, sources : numpy.ndarray of int64
            Region indices, ordered by target then source (row-major, as ``numpy.nonzero``).
        weights : numpy.ndarray of float64
        tract_lengths : numpy.ndarray of float64
            Lengths in mm.

        The lists are the same for a dense connectome and its :meth:`to_sparse` copy, so the engine builds the
        same kernel inputs from either.
        """
        if self.is_sparse:
            w = self._weights
            return (_pattern_rows(w), w.indices.astype(np.int64), np.array(w.data), np.array(self._tract_lengths.data))
        ii, jj = np.nonzero(self._weights)
        return (ii.astype(np.int64), jj.astype(np.int64), self._weights[ii, jj], self._tract_lengths[ii, jj])

    def to_sparse(self) -> Connectivity:
        """This connectome with sparse (CSR) weights and lengths; lengths of absent connections are dropped."""
        if self.is_sparse:
            return self
        return self._replace(weights=sp.csr_array(self._weights), tract_lengths=self._tract_lengths, edit="to_sparse()")

    def to_dense(self) -> Connectivity:
        """This connectome with dense ``(n, n)`` arrays (absent connections get length 0 mm)."""
        if not self.is_sparse:
            return self
        return self._replace(weights=self._weights.toarray(), tract_lengths=self._tract_lengths.toarray(),
                             edit="to_dense()")

    @property
    def region_labels(self) -> np.ndarray:
        """Read-only ``(n,)`` array of region labels (``str``)."""
        return self._labels

    @property
    def centres(self) -> np.ndarray | None:
        """Read-only ``(n, 3)`` region centres in mm, or ``None`` when unknown."""
        return self._centres

    @property
    def conduction_speed(self) -> float:
        """Conduction speed in mm/ms."""
        return self._speed

    @property
    def cortical(self) -> np.ndarray | None:
        """Read-only ``(n,)`` bool, ``True`` for cortical regions, or ``None``."""
        return self._cortical

    @property
    def hemispheres(self) -> np.ndarray | None:
        """Read-only ``(n,)`` bool, ``True`` = right hemisphere (TVB's convention), or ``None``."""
        return self._hemispheres

    @property
    def areas(self) -> np.ndarray | None:
        """Read-only ``(n,)`` region areas in mm^2, or ``None``."""
        return self._areas

    @property
    def orientations(self) -> np.ndarray | None:
        """Read-only ``(n, 3)`` average region orientations, or ``None``."""
        return self._orientations

    @property
    def source(self) -> str:
        """Where the data came from (``"arrays"``, ``"tvb-data connectivity_76.zip"``, a file path)."""
        return self._source

    @property
    def history(self) -> tuple[str, ...]:
        """The edits applied since loading, oldest first (e.g. ``("normalized('max')",)``)."""
        return self._history

    @property
    def number_of_connections(self) -> int:
        """Number of non-zero weights (self-connections included)."""
        return int(self._weights.nnz) if self.is_sparse else int(np.count_nonzero(self._weights))

    @property
    def delays(self) -> np.ndarray:
        """Conduction delays in ms: ``tract_lengths / conduction_speed`` (a new array, as TVB computes it;
        sparse like :attr:`tract_lengths` for a sparse connectome)."""
        if self.is_sparse:
            return _freeze_csr(self._tract_lengths.data / np.array([self._speed]), self._weights)
        return self._tract_lengths / np.array([self._speed])

    def idelays(self, dt: float) -> np.ndarray:
        """Delays in integration steps, exactly as TVB's ``Connectivity.set_idelays``.

        Parameters
        ----------
        dt : float
            Integration time step in ms (> 0).

        Returns
        -------
        numpy.ndarray of int64, shape (n, n)
            ``numpy.rint(delays / dt)`` with ``delays = tract_lengths / speed`` (TVB stores int32); a CSR
            matrix with the structure of :attr:`weights` for a sparse connectome.
        """
        dt = float(dt)
        if not np.isfinite(dt) or dt <= 0:
            raise ValueError(f"dt: must be finite and > 0 (ms), got {dt!r}")
        if self.is_sparse:
            return _freeze_csr(np.rint(self.delays.data / dt).astype(np.int64), self._weights)
        return np.rint(self.delays / dt).astype(np.int64)

    def horizon(self, dt: float) -> int:
        """Length of the delay buffer in steps: ``max(idelays) + 1`` over the connections that exist.

        Only entries with a non-zero weight count (1 when there are none). TVB's ``horizon`` takes the
        maximum over *all* entries, so it can be larger for connectomes whose long tracts have zero weight.
        """
        idel = self.idelays(dt)
        if self.is_sparse:
            return int(idel.data.max()) + 1 if idel.nnz else 1
        mask = self._weights != 0
        return int(idel[mask].max()) + 1 if mask.any() else 1

    # ------------------------------------------------------------------------------------------------------
    # provenance
    # ------------------------------------------------------------------------------------------------------

    def fingerprint(self) -> str:
        """A short (16 hex digits) SHA-1 of weights, tract lengths, labels and speed, stable across runs.

        Equal connectomes (in the sense of ``==``) have the same fingerprint; a sparse connectome and its dense
        copy are not equal (compare ``a.to_dense() == b``) and have different fingerprints; centres, hemispheres and the
        other per-region vectors do not enter it.
        """
        if self._fingerprint is None:
            h = hashlib.sha1(_SPARSE_FINGERPRINT_VERSION if self.is_sparse else _FINGERPRINT_VERSION)
            h.update(np.int64(self.number_of_regions).astype("<i8").tobytes())
            if self.is_sparse:
                h.update(np.ascontiguousarray(self._weights.indptr, dtype="<i8").tobytes())
                h.update(np.ascontiguousarray(self._weights.indices, dtype="<i8").tobytes())
            for arr in (self._weights, self._tract_lengths):
                values = arr.data if self.is_sparse else arr
                h.update(np.ascontiguousarray(values + 0.0, dtype="<f8").tobytes())  # +0.0 folds -0.0 into 0.0
            for lab in self._labels:
                b = lab.encode("utf-8")
                h.update(len(b).to_bytes(8, "little") + b)
            h.update(repr(self._speed).encode())
            object.__setattr__(self, "_fingerprint", h.hexdigest()[:16])
        return self._fingerprint

    def summary(self) -> dict[str, Any]:
        """JSON-friendly description: sizes, weight and length ranges, speed, fingerprint, source.

        Ranges are ``[min, max]``; ``weight_range_nonzero`` and ``tract_length_range_connections`` are taken
        over the existing connections only (``None`` when there are none). Lengths in mm, speed in mm/ms,
        delays in ms.
        """
        _, _, conn_w, conn_l = self.connections()

        def rng(a: np.ndarray) -> list[float] | None:
            return [float(a.min()), float(a.max())] if a.size else None

        def full_range(m) -> list[float] | None:
            if not self.is_sparse:
                return rng(m)
            values = m.data if m.nnz == m.shape[0] * m.shape[1] else np.append(m.data, 0.0)
            return rng(values)

        return {
            "n_regions": self.number_of_regions,
            "n_connections": self.number_of_connections,
            "sparse": self.is_sparse,
            "weight_range": full_range(self._weights),
            "weight_range_nonzero": rng(conn_w),
            "tract_length_range": full_range(self._tract_lengths),
            "tract_length_range_connections": rng(conn_l),
            "delay_range_connections": rng(conn_l / self._speed),
            "conduction_speed": self._speed,
            "has_centres": self._centres is not None,
            "has_hemispheres": self._hemispheres is not None,
            "fingerprint": self.fingerprint(),
            "source": self._source,
            "history": list(self._history),
        }

    # ------------------------------------------------------------------------------------------------------
    # edits (all return new objects)
    # ------------------------------------------------------------------------------------------------------

    def _replace(self, *, edit: str | None = None, history: tuple[str, ...] | None = None,
                 **changes: Any) -> Connectivity:
        fields = dict(weights=self._weights, tract_lengths=self._tract_lengths,
                      region_labels=self._labels, centres=self._centres, conduction_speed=self._speed,
                      cortical=self._cortical, hemispheres=self._hemispheres, areas=self._areas,
                      orientations=self._orientations, source=self._source)
        fields.update(changes)
        new = Connectivity(**fields)
        if fields["hemispheres"] is None:  # do not let the new object infer what this one left unknown
            object.__setattr__(new, "_hemispheres", None)
        hist = self._history if history is None else history
        object.__setattr__(new, "_history", hist + ((edit,) if edit else ()))
        return new

    def to_networkx(self, directed: bool = True):
        """This connectome as a NetworkX graph (see :func:`brainsweep.engine.graphs.sc_graph`)."""
        from .graphs import sc_graph

        return sc_graph(self, directed=directed)

    def copy(self) -> Connectivity:
        """An equal, independent :class:`Connectivity` (same source and history)."""
        return self._replace()

    def with_speed(self, speed: float) -> Connectivity:
        """The same connectome with conduction speed ``speed`` (mm/ms)."""
        return self._replace(conduction_speed=_speed_value(speed), edit=f"with_speed({float(speed)!r})")

    def normalized(self, mode: str = "max") -> Connectivity:
        """Rescale the weights.

        Parameters
        ----------
        mode : {"max", "row_sum", "in_strength", "none"}
            ``"max"``: divide by the largest weight (an all-zero matrix stays zero). ``"row_sum"`` (alias
            ``"in_strength"``): divide each row, i.e. the inputs of each target region, by its sum, so that
            every row sums to 1; rows of zeros stay zero. ``"none"``: unchanged copy.
        """
        if mode not in NORMALIZATION_MODES:
            raise ValueError(f"mode: unknown normalisation {mode!r}; choose one of {list(NORMALIZATION_MODES)}")
        w = self._weights
        if self.is_sparse:
            data = w.data
            if mode == "max":
                top = data.max() if data.size else 0.0
                data = data / top if top > 0 else data.copy()
            elif mode in ("row_sum", "in_strength"):
                rows = _pattern_rows(w)
                sums = np.bincount(rows, weights=data, minlength=w.shape[0])
                data = data / sums[rows]
            return self._replace(weights=_with_data(w, data), edit=f"normalized({mode!r})")
        if mode == "max":
            top = w.max()
            w = w / top if top > 0 else w.copy()
        elif mode in ("row_sum", "in_strength"):
            sums = w.sum(axis=1, keepdims=True)
            w = np.divide(w, sums, out=np.zeros_like(w), where=sums > 0)
        else:
            w = w.copy()
        return self._replace(weights=w, edit=f"normalized({mode!r})")

    def region_indices(self, regions: int | str | Iterable[int | str]) -> np.ndarray:
        """Indices of regions given by index and/or label (a single one or an iterable, mixed allowed)."""
        if isinstance(regions, (str, int, np.integer)):
            regions = [regions]
        lookup = {lab: k for k, lab in enumerate(self._labels)}
        n = self.number_of_regions
        out = []
        for r in regions:
            if isinstance(r, (bool, np.bool_)):
                raise ValueError(f"regions: {r!r} is neither a region index nor a label")
            if isinstance(r, (int, np.integer)):
                if not 0 <= int(r) < n:
                    raise ValueError(f"regions: index {int(r)} is out of range 0..{n - 1}")
                out.append(int(r))
            elif isinstance(r, str):
                if r not in lookup:
                    raise ValueError(f"regions: unknown region label {r!r}")
                out.append(lookup[r])
            else:
                raise ValueError(f"regions: {r!r} is neither a region index nor a label")
        return np.array(out, dtype=np.int64)

    def lesioned(self, regions: int | str | Iterable[int | str]) -> Connectivity:
        """Remove all incoming and outgoing connections of ``regions`` (by index or label).

        The regions stay in the connectome (shapes are unchanged); their weight rows and columns become 0.
        """
        idx = self.region_indices(regions)
        names = [str(self._labels[k]) for k in idx]
        if self.is_sparse:
            hit = np.zeros(self.number_of_regions, dtype=bool)
            hit[idx] = True
            w = self._weights
            data = np.where(hit[_pattern_rows(w)] | hit[w.indices], 0.0, w.data)
            return self._replace(weights=_with_data(w, data), edit=f"lesioned({names!r})")
        w = self._weights.copy()
        w[idx, :] = 0.0
        w[:, idx] = 0.0
        names = [str(self._labels[k]) for k in idx]
        return self._replace(weights=w, edit=f"lesioned({names!r})")

    def scaled_long_range(self, length_mm: float, factor: float) -> Connectivity:
        """Multiply the weights of connections with tract length ``> length_mm`` (mm) by ``factor`` (>= 0)."""
        length_mm = float(length_mm)
        factor = self._check_factor(factor)
        if not np.isfinite(length_mm):
            raise ValueError(f"length_mm: must be finite, got {length_mm!r}")
        if self.is_sparse:
            data = self._weights.data.copy()
            data[self._tract_lengths.data > length_mm] *= factor
            return self._replace(weights=_with_data(self._weights, data),
                                 edit=f"scaled_long_range({length_mm!r}, {factor!r})")
        w = self._weights.copy()
        mask = self._tract_lengths > length_mm
        w[mask] *= factor
        return self._replace(weights=w, edit=f"scaled_long_range({length_mm!r}, {factor!r})")

    def scaled_interhemispheric(self, factor: float) -> Connectivity:
        """Multiply the weights between the two hemispheres by ``factor`` (>= 0; 0 removes them).

        Requires :attr:`hemispheres` (``True`` = right).
        """
        factor = self._check_factor(factor)
        if self._hemispheres is None:
            raise ValueError("hemispheres: unknown for this connectome; give hemispheres= when building it "
                             "to scale inter-hemispheric connections")
        h = self._hemispheres
        if self.is_sparse:
            w = self._weights
            data = w.data.copy()
            data[h[_pattern_rows(w)] != h[w.indices]] *= factor
            return self._replace(weights=_with_data(w, data), edit=f"scaled_interhemispheric({factor!r})")
        mask = h[:, None] != h[None, :]
        w = self._weights.copy()
        w[mask] *= factor
        return self._replace(weights=w, edit=f"scaled_interhemispheric({factor!r})")

    def without_interhemispheric(self) -> Connectivity:
        """Remove all connections between the hemispheres (``scaled_interhemispheric(0.0)``)."""
        return self.scaled_interhemispheric(0.0)

    @staticmethod
    def _check_factor(factor: float) -> float:
        if isinstance(factor, (bool, np.bool_)):
            raise ValueError(f"factor: expected a number >= 0, got {factor!r}")
        factor = float(factor)
        if not np.isfinite(factor) or factor < 0:
            raise ValueError(f"factor: must be finite and >= 0 (weights cannot be negative), got {factor!r}")
        return factor

    # ------------------------------------------------------------------------------------------------------
    # dunder
    # ------------------------------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return (f"Connectivity(n_regions={self.number_of_regions}, n_connections={self.number_of_connections}, "
                f"conduction_speed={self._speed!r} mm/ms, source={self._source!r})")

    def __eq__(self, other: object) -> bool:
        """Exact equality of all arrays, labels and speed (``source`` and ``history`` are ignored)."""
        if not isinstance(other, Connectivity):
            return NotImplemented
        if self._speed != other._speed or not np.array_equal(self._labels, other._labels):
            return False
        if self.is_sparse != other.is_sparse:
            return False
        if self.is_sparse:
            for a, b in ((self._weights, other._weights), (self._tract_lengths, other._tract_lengths)):
                if not (np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
                        and np.array_equal(a.data, b.data)):
                    return False
            names = ("_centres", "_cortical", "_hemispheres", "_areas", "_orientations")
        else:
            names = ("_weights", "_tract_lengths", "_centres", "_cortical", "_hemispheres", "_areas",
                     "_orientations")
        for name in names:
            a, b = getattr(self, name), getattr(other, name)
            if (a is None) != (b is None) or (a is not None and not np.array_equal(a, b)):
                return False
        return True

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def __reduce__(self):
        state = dict(weights=self._weights, tract_lengths=self._tract_lengths, region_labels=self._labels,
                     centres=self._centres, conduction_speed=self._speed, cortical=self._cortical,
                     hemispheres=self._hemispheres, areas=self._areas, orientations=self._orientations,
                     source=self._source)
        return (_rebuild, (state, self._history))


def _rebuild(state: dict[str, Any], history: tuple[str, ...]) -> Connectivity:
    """Unpickling helper (keeps ``hemispheres=None`` and the edit history)."""
    conn = Connectivity(**state)
    if state["hemispheres"] is None:
        object.__setattr__(conn, "_hemispheres", None)
    object.__setattr__(conn, "_history", tuple(history))
    return conn

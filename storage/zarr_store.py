"""Zarr v3 result stores: template, block writes from workers, resume, and lazy reading with xarray.

The only module of the project that knows Zarr. The life of a store:

1. :func:`create_store` (client, once) writes the template: metadata, coordinates and every variable with
   chunks ``layout.chunks`` + whole extra dimensions, but no data chunks (all points read as fill values,
   ``done == 0``, ``status == -1``), then marks the store with the layout's fingerprint and consolidates its
   metadata. An existing store with the same fingerprint is left as it is (resume); another one is refused with
   :class:`StoreMismatchError` unless ``overwrite=True``.
2. :func:`write_block` (workers, concurrently) writes one whole block of every variable, then ``done = 1`` for
   its points. Each block is exactly one chunk of every array, so writers of different blocks never touch the
   same object, and no metadata is rewritten (arrays are written with Zarr directly, the group's ``zarr.json``
   is only read).
3. :func:`pending_blocks` (client, on resume) lists the blocks whose points are not all ``done``. The explicit
   ``done`` variable is used, never chunk existence: Zarr 3 does not write chunks equal to the fill value
   (``write_empty_chunks=False``), so an all-NaN block of diverged points has no chunk objects.
4. :func:`finalize_store` re-consolidates the metadata; :func:`open_results` opens the labelled grid lazily
   with :func:`xarray.open_zarr`.

Text (``error`` and ``"str"`` variables, text coordinates) is stored as Zarr v3 variable-length UTF-8 (the
``string`` data type) from NumPy's ``StringDType``: fixed-width ``<U`` arrays would be stored as Zarr-python's
``fixed_length_utf32``, which has no v3 specification (``UnstableSpecificationWarning``) and whose width, fixed
by the template, would refuse longer messages. xarray reads it back as ``StringDType`` arrays.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any, Union

import numpy as np

from .layout import (LAYOUT_FORMAT_VERSION, STATUS_DIVERGED, STATUS_FAILED, STATUS_NOT_COMPUTED, STATUS_OK,
                     StoreLayout, VariableSpec, describe_differences, text_dtype)

__all__ = [
    "StoreMismatchError",
    "StoreNotWritableError",
    "check_writable",
    "create_store",
    "pending_blocks",
    "write_block",
    "finalize_store",
    "open_results",
    "MARKER_ATTR",
    "MAX_ERROR_CHARS",
]

StorePath = Union[str, "os.PathLike[str]"]
#: A store's location: a local directory, or an fsspec URL (``s3://bucket/results.zarr``, ``gs://...``, ...).
Location = Union[Path, str]

#: Root attribute holding the layout fingerprint; written last by :func:`create_store`, so a store without it
#: is not (or not completely) a brainsweep result store.
MARKER_ATTR = "brainsweep_store"

#: Error messages are cut to this many characters (one message per point).
MAX_ERROR_CHARS = 2000

_STATUS_CODES = (STATUS_OK, STATUS_DIVERGED, STATUS_FAILED)
_OVERWRITE_HINT = "pass overwrite=True (--overwrite) to replace it, or choose another store"


class StoreMismatchError(ValueError):
    """An existing store was made for a different layout (or is not a complete brainsweep store)."""


class StoreNotWritableError(OSError):
    """The store location cannot be created or written."""


# ---------------------------------------------------------------------------------------------- helpers
def _store_path(store: StorePath) -> Location:
    """A store's location: an absolute local directory, or an fsspec URL (kept as a string, no trailing ``/``).

    Object stores are reached through fsspec (``s3fs`` for ``s3://``): credentials and options come from the
    environment or fsspec's configuration as usual (``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL`` for an
    S3-compatible server, ``FSSPEC_S3_*``, ``~/.config/fsspec/``), so workers without a shared file system
    reach the same store.
    """
    text = os.fspath(store)
    if "://" in str(text):
        return str(text).rstrip("/")
    return Path(text).expanduser().absolute()


def _is_remote(loc: Location) -> bool:
    return isinstance(loc, str)


def _fs(loc: str):
    """The fsspec file system of a URL, and the path in it."""
    import fsspec

    try:
        return fsspec.core.url_to_fs(loc)
    except (ImportError, ValueError) as exc:
        raise StoreNotWritableError(f"cannot reach {loc}: {exc} (for s3:// URLs install s3fs)") from exc


def _has_group(loc: Location) -> bool:
    """Whether a Zarr group (its ``zarr.json``) exists at ``loc``."""
    if _is_remote(loc):
        fs, path = _fs(loc)
        return fs.exists(f"{path}/zarr.json")
    return (loc / "zarr.json").is_file()


def _remove(loc: Location) -> None:
    """Delete the store at ``loc`` (only ever called on a Zarr store or an empty location)."""
    if _is_remote(loc):
        fs, path = _fs(loc)
        if fs.exists(path):
            fs.rm(path, recursive=True)
    else:
        shutil.rmtree(loc)
        loc.mkdir(parents=True)


@contextmanager
def _quiet_consolidation() -> Iterator[None]:
    """Silence zarr's warning that consolidated metadata is not part of the Zarr v3 specification."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Consolidated metadata is currently not part",
                                category=UserWarning)
        yield


def _consolidate(path: Location) -> None:
    import zarr

    with _quiet_consolidation():
        zarr.consolidate_metadata(str(path))


def _read_marker(path: Location) -> dict | None:
    """The fingerprint marker of the store at ``path``, or ``None`` if it has none (or is not a Zarr group)."""
    import zarr

    try:
        group = zarr.open_group(str(path), mode="r")
    except Exception:  # noqa: BLE001 - anything unreadable is "not a brainsweep store"
        return None
    marker = group.attrs.get(MARKER_ATTR)
    return marker if isinstance(marker, dict) and "fingerprint" in marker else None


def _require_matching_store(path: Location, layout: StoreLayout) -> None:
    """Raise unless ``path`` is a complete store made for ``layout``."""
    if not _has_group(path):
        raise FileNotFoundError(f"no result store at {path}; create it with create_store first")
    marker = _read_marker(path)
    if marker is None:
        raise StoreMismatchError(f"{path} is not a complete brainsweep result store (no {MARKER_ATTR!r} "
                                 f"attribute: interrupted creation?); {_OVERWRITE_HINT}")
    if marker["fingerprint"] != layout.fingerprint():
        diff = describe_differences(marker.get("components", {}), layout.components())
        raise StoreMismatchError(f"{path} holds results of a different sweep ({diff or 'fingerprint differs'}); "
                                 f"{_OVERWRITE_HINT}")


#: (store, layout fingerprint) -> when a worker process last found the store matching (time.monotonic())
_VERIFIED: dict[tuple[str, str], float] = {}
#: how long a worker trusts that check: a store replaced by another sweep's mid-run is still refused within this
_VERIFY_EVERY_S = 10.0


def _require_matching_store_recently(path: Location, layout: StoreLayout) -> None:
    """:func:`_require_matching_store`, at most every :data:`_VERIFY_EVERY_S` seconds per store and layout in a
    process (reading the marker costs as much as writing a small block)."""
    import time

    key = (str(path), layout.fingerprint())
    now = time.monotonic()
    if now - _VERIFIED.get(key, -float("inf")) < _VERIFY_EVERY_S:
        return
    _require_matching_store(path, layout)
    _VERIFIED[key] = now


# ---------------------------------------------------------------------------------------------- creation
def check_writable(store: StorePath) -> Location:
    """Make sure results can be written to ``store``; call it before any simulation.

    Creates the directory (and its parents) if needed and probes it with a temporary file; for a URL, writes
    and deletes a probe object.

    Parameters
    ----------
    store : str or path-like
        Local directory of the store, or an fsspec URL (``s3://bucket/results.zarr``).

    Returns
    -------
    pathlib.Path or str
        The absolute store path, or the URL.

    Raises
    ------
    StoreNotWritableError
        If the path is a file, cannot be created, is a non-empty directory that is not a Zarr store, or cannot
        be written.
    """
    path = _store_path(store)
    prefix = f"cannot write results to {path}:"
    if _is_remote(path):
        _check_remote_writable(path, prefix)
        return path
    if path.exists() and not path.is_dir():
        raise StoreNotWritableError(f"{prefix} it exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreNotWritableError(f"{prefix} cannot create the directory ({exc.strerror or exc})") from exc
    if not (path / "zarr.json").is_file() and any(path.iterdir()):
        raise StoreNotWritableError(f"{prefix} the directory is not empty and is not a Zarr store; "
                                    "choose a new or empty directory")
    try:
        with tempfile.TemporaryFile(dir=path, prefix=".write-probe-"):
            pass
    except OSError as exc:
        raise StoreNotWritableError(f"{prefix} the directory is not writable ({exc.strerror or exc})") from exc
    return path


def _check_remote_writable(url: str, prefix: str) -> None:
    fs, path = _fs(url)
    try:
        if not _has_group(url) and fs.exists(path) and fs.ls(path):
            raise StoreNotWritableError(f"{prefix} the location holds objects and is not a Zarr store; "
                                        "choose a new or empty location")
        probe = f"{path}/.write-probe-{os.getpid()}"
        fs.pipe(probe, b"")
        fs.rm(probe)
    except StoreNotWritableError:
        raise
    except Exception as exc:  # noqa: BLE001 - any backend error (no bucket, no credentials, no network)
        raise StoreNotWritableError(f"{prefix} {type(exc).__name__}: {exc}") from exc


def _template_variable(layout: StoreLayout, var: VariableSpec) -> tuple[tuple[str, ...], Any, dict]:
    """A lazy (dask) variable of fill values with the store's chunks; never computed."""
    import dask.array as da

    shape = layout.shape + tuple(len(layout.extra_coords[d]) for d in var.dims)
    # one dask chunk (many Zarr chunks): the template is never computed, and a small graph keeps big grids fast
    data = da.full(shape, var.fill_value, dtype=var.numpy_dtype, chunks=shape)
    return layout.grid_dims + var.dims, data, dict(var.attrs)


def _store_variables(layout: StoreLayout) -> tuple[VariableSpec, ...]:
    """The variables the store layer adds to every store."""
    return (
        VariableSpec("done", dtype="uint8", fill_value=0,
                     attrs={"long_name": "point written", "flag_values": [0, 1],
                            "flag_meanings": "pending written"}),
        VariableSpec("status", dtype="int8", fill_value=STATUS_NOT_COMPUTED,
                     attrs={"long_name": "simulation status",
                            "flag_values": [STATUS_NOT_COMPUTED, STATUS_OK, STATUS_DIVERGED, STATUS_FAILED],
                            "flag_meanings": "not_computed ok diverged failed"}),
        VariableSpec("error", dtype="str", fill_value="",
                     attrs={"long_name": "error message (empty if none)"}),
        VariableSpec("seed", dtype="int64", fill_value=0, attrs={"long_name": "random seed of the point"}),
    )


def _template(layout: StoreLayout) -> tuple[Any, dict[str, dict]]:
    """The template dataset and its Zarr encoding."""
    import xarray as xr

    variables = (*layout.variables, *_store_variables(layout))
    data_vars = {var.name: _template_variable(layout, var) for var in variables}
    encoding = {var.name: {"chunks": layout.variable_chunks(var), "fill_value": var.fill_value}
                for var in variables}
    coords: dict[str, Any] = {}
    for name, values in (*layout.grid_coords.items(), *layout.extra_coords.items()):
        coords[name] = ((name,), values, dict(layout.coord_attrs.get(name, {})))
    for name, (dims, values) in layout.point_coords.items():
        coords[name] = (dims, values, dict(layout.coord_attrs.get(name, {})))
    for name, (_, values, _) in coords.items():
        encoding[name] = {"chunks": values.shape}  # one chunk per coordinate
    return xr.Dataset(data_vars, coords=coords, attrs=dict(layout.attrs)), encoding


def _write_template(path: Location, layout: StoreLayout) -> None:
    import zarr

    dataset, encoding = _template(layout)
    dataset.to_zarr(str(path), mode="w", compute=False, zarr_format=3, consolidated=False, encoding=encoding)
    group = zarr.open_group(str(path), mode="r+", use_consolidated=False)
    group.attrs[MARKER_ATTR] = {"format": LAYOUT_FORMAT_VERSION, "fingerprint": layout.fingerprint(),
                                "components": layout.components()}
    _consolidate(path)


def create_store(store: StorePath, layout: StoreLayout, overwrite: bool = False) -> None:
    """Create the result store of a sweep, or check that an existing one can be resumed.

    Parameters
    ----------
    store : str or path-like
        Local directory of the store, or an fsspec URL.
    layout : StoreLayout
        Layout of the results.
    overwrite : bool, optional
        Replace an existing store (only a Zarr store or an empty directory is ever deleted).

    Raises
    ------
    StoreMismatchError
        If the store exists, ``overwrite`` is false and it was made for another layout (the message names what
        differs) or its creation was interrupted.
    StoreNotWritableError
        If the location cannot be written (see :func:`check_writable`).
    """
    path = check_writable(store)
    if _has_group(path):
        if not overwrite:
            _require_matching_store(path, layout)
            return  # same layout: resume, keep the data
        _remove(path)
    _write_template(path, layout)


def finalize_store(store: StorePath) -> None:
    """Consolidate the store's metadata (into the root ``zarr.json``) after all writes.

    Parameters
    ----------
    store : str or path-like
        Local directory of the store, or an fsspec URL.
    """
    path = _store_path(store)
    if not _has_group(path):
        raise FileNotFoundError(f"no result store at {path}")
    _consolidate(path)


# ---------------------------------------------------------------------------------------------- progress
def pending_blocks(store: StorePath, layout: StoreLayout) -> list[int]:
    """Blocks that still have to be computed.

    Parameters
    ----------
    store : str or path-like
        Local directory of the store, or an fsspec URL.
    layout : StoreLayout
        Layout the store was created with.

    Returns
    -------
    list of int
        Indices into ``layout.blocks()`` of the blocks whose points are not all done, ascending.

    Raises
    ------
    StoreMismatchError
        If the store was made for another layout.
    """
    import zarr

    path = _store_path(store)
    _require_matching_store(path, layout)
    complete = zarr.open_array(str(path), path="done", mode="r")[...] == 1
    for axis, (size, chunk) in enumerate(zip(layout.shape, layout.chunks)):
        complete = np.logical_and.reduceat(complete, np.arange(0, size, chunk), axis=axis)
    return [int(i) for i in np.flatnonzero(~complete.ravel())]  # block indices are C order, as blocks()


# ---------------------------------------------------------------------------------------------- block writes
def _block_array(values: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.shape != shape:
        raise ValueError(f"{what} has shape {arr.shape}, the block needs {shape}")
    return arr


def _integer_array(arr: np.ndarray, dtype: np.dtype, what: str) -> np.ndarray:
    """``arr`` cast to the integer ``dtype``; ``ValueError`` for non-integers or values out of range."""
    if arr.dtype.kind not in "biu":
        raise ValueError(f"{what} must hold integers, got dtype {arr.dtype}")
    info = np.iinfo(dtype)
    if arr.size and (int(arr.min()) < info.min or int(arr.max()) > info.max):
        raise ValueError(f"{what} has values outside the range of {dtype}")
    return arr.astype(dtype)


def _text_array(arr: np.ndarray, what: str, max_chars: int | None = None) -> np.ndarray:
    """``arr`` as :func:`text_dtype` (``None`` becomes ``""``)."""
    if arr.dtype.kind not in "UOT":
        raise ValueError(f"{what} must hold strings, got dtype {arr.dtype}")
    texts = ["" if v is None else str(v)[:max_chars] for v in arr.ravel()]
    return np.array(texts, dtype=text_dtype()).reshape(arr.shape)


def _result_array(layout: StoreLayout, var: VariableSpec, block_index: int, values: Any) -> np.ndarray:
    """A result checked against the variable's block shape and dtype, cast to the stored dtype."""
    what = f"result {var.name!r}"
    arr = _block_array(values, layout.variable_shape(var, block_index), what)
    if var.dtype == "str":
        return _text_array(arr, what)
    dtype = var.numpy_dtype
    if dtype.kind in "iu":
        return _integer_array(arr, dtype, what)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{what} must hold numbers, got dtype {arr.dtype}")
    return arr.astype(dtype)


def _block_arrays(layout: StoreLayout, block_index: int, results: Mapping[str, Any], status: Any,
                  error: Any, seed: Any) -> dict[str, np.ndarray]:
    """Every array of one block, checked and cast; ``done`` last."""
    names = {var.name for var in layout.variables}
    missing, unexpected = sorted(names - set(results)), sorted(set(results) - names)
    if missing or unexpected:
        raise ValueError(f"results must have exactly the layout's variables (missing {missing}, "
                         f"unexpected {unexpected})")
    shape = layout.block_shape(block_index)
    arrays = {var.name: _result_array(layout, var, block_index, results[var.name]) for var in layout.variables}
    status_arr = _integer_array(_block_array(status, shape, "status"), np.dtype("int8"), "status")
    if not np.isin(status_arr, _STATUS_CODES).all():
        raise ValueError(f"status values must be in {_STATUS_CODES} (ok, diverged, failed)")
    arrays["status"] = status_arr
    if error is None:
        arrays["error"] = np.full(shape, "", dtype=text_dtype())
    else:
        arrays["error"] = _text_array(_block_array(error, shape, "error"), "error", MAX_ERROR_CHARS)
    arrays["seed"] = _integer_array(_block_array(seed, shape, "seed"), np.dtype("int64"), "seed")
    arrays["done"] = np.ones(shape, dtype=np.uint8)
    return arrays


def write_block(store: StorePath, layout: StoreLayout, block_index: int, results: Mapping[str, Any],
                status: Any, error: Any | None, seed: Any) -> None:
    """Write one whole block of results (from a worker process).

    Everything is checked before anything is written. Results, ``status``, ``error`` and ``seed`` are written
    first and ``done = 1`` last, so a point is never marked done without its results. Writers of different
    blocks can run concurrently (each block is whole chunks of every array); writing a block again gives the
    same bytes. Only array chunks are written, never metadata.

    Parameters
    ----------
    store : str or path-like
        Local directory (or fsspec URL) of a store made by :func:`create_store` with ``layout``.
    layout : StoreLayout
        Layout of the store.
    block_index : int
        Index into ``layout.blocks()``.
    results : mapping of str to array
        One array per result variable, shaped block shape + the variable's extra dimension sizes. Numbers are
        cast to the stored dtype (e.g. float64 into float32); integer results must fit the stored dtype.
    status : array of int
        Block-shaped status codes: 0 ok, 1 diverged, 2 failed.
    error : array of str or None
        Block-shaped error messages (``""`` or ``None`` for none; cut to :data:`MAX_ERROR_CHARS`); ``None`` for
        no errors at all.
    seed : array of int
        Block-shaped seeds of the points.

    Raises
    ------
    ValueError
        If the block index is not a block of the layout, or a shape, dtype, name or value does not fit.
    StoreMismatchError
        If the store was made for another layout.
    """
    try:
        slices = layout.block(block_index)
    except IndexError as exc:
        raise ValueError(str(exc)) from None
    arrays = _block_arrays(layout, block_index, results, status, error, seed)
    path = _store_path(store)
    _require_matching_store_recently(path, layout)
    _write_regions(path, {name: (slices + (slice(None),) * (values.ndim - len(slices)), values)
                          for name, values in arrays.items()}, layout.fingerprint())


#: arrays a worker process has opened, per store and layout: their metadata never changes during a sweep (only chunks are
#: written), and reading it again costs more than writing a small block
_OPEN_ARRAYS: dict[tuple[str, str, str], Any] = {}


def _write_regions(path: Location, regions: Mapping[str, tuple], fingerprint: str) -> None:
    """Write ``{array name: (selection, values)}`` with ``done`` last, in one trip through zarr's event loop.

    The arrays other than ``done`` are written concurrently, through arrays opened once per process (one
    ``sync`` call per block instead of two per array: for small blocks the hand-offs cost more than the writes).
    ``fingerprint`` is the layout's: a store made again at the same path for another layout is opened afresh.
    """
    import asyncio

    import zarr.api.asynchronous as zarr_async
    from zarr.core.sync import sync

    async def write(name: str) -> None:
        selection, values = regions[name]
        key = (str(path), fingerprint, name)
        target = _OPEN_ARRAYS.get(key)
        if target is None:
            target = _OPEN_ARRAYS[key] = await zarr_async.open_array(store=str(path), path=name, mode="r+")
        await target.setitem(selection, values)

    async def write_all() -> None:
        await asyncio.gather(*(write(name) for name in regions if name != "done"))
        if "done" in regions:
            await write("done")

    sync(write_all())


# ---------------------------------------------------------------------------------------------- reading
def _decode_attr(value: Any) -> Any:
    """A JSON object stored as a string (``attrs["spec"]``) as a dict; other values unchanged."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def open_results(store: StorePath, chunks: Mapping[str, int] | None = MappingProxyType({})) -> Any:
    """Open a result store as a lazy, labelled :class:`xarray.Dataset`.

    Parameters
    ----------
    store : str or path-like
        Local directory of the store, or an fsspec URL.
    chunks : dict or None, optional
        Passed to :func:`xarray.open_zarr`; the default ``{}`` gives dask arrays with the store's chunks,
        ``None`` gives lazily indexed NumPy-backed variables (faster for small selections).

    Returns
    -------
    xarray.Dataset
        Grid dimensions with their coordinates, result variables plus ``done``, ``status``, ``error`` and
        ``seed``; dataset attrs with JSON-string objects (``spec``) decoded to dicts.
    """
    import xarray as xr

    path = _store_path(store)
    if not _has_group(path):
        raise FileNotFoundError(f"no result store at {path}")
    ds = xr.open_zarr(str(path), chunks=None if chunks is None else dict(chunks), consolidated=None,
                      zarr_format=3)
    ds.attrs = {key: _decode_attr(value) for key, value in ds.attrs.items()}
    return ds

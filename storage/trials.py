"""Result stores of optimisation studies: one row per trial along a growing ``trial`` dimension.

A study does not know in advance how many trials it will run (a resumed study may be asked for more), so the
``trial`` dimension grows: :func:`write_trials` resizes every array to the highest trial number written and
writes rows at the trials' numbers (Optuna's ``trial.number``). Only the client of a study writes (one writer),
so rows never race; metadata is consolidated after every write so that ``xr.open_zarr`` shows the rows so
far while the study runs.

Variables: one per searched parameter (named like the parameter, ``"coupling.a"``), one per stored feature
(optionally with extra dimensions such as ``repeat`` or ``region``), plus ``objective`` (``trial``,
``objective``), ``state`` (0 complete, 1 pruned, 2 failed, -1 not recorded), ``error``, ``seed`` and ``done``.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .layout import VariableSpec, _coord_array, _jsonable, describe_differences, text_dtype
from .zarr_store import (MARKER_ATTR, StoreMismatchError, StorePath, _consolidate, _has_group, _read_marker, _remove,
                         _store_path, check_writable)

#: Trial states stored in ``state``.
TRIAL_COMPLETE, TRIAL_PRUNED, TRIAL_FAILED, TRIAL_NOT_RECORDED = 0, 1, 2, -1
#: Rows per chunk along ``trial``.
TRIAL_CHUNK = 64
_FORMAT = "trials-1"


@dataclass(frozen=True, eq=False)
class TrialLayout:
    """What a study's store holds per trial.

    Parameters
    ----------
    variables : sequence of VariableSpec
        Per-trial variables (searched parameters, features); ``dims`` are the dimensions after ``trial``.
    extra_coords : mapping of str to array
        Coordinates of the extra dimensions (``region``, ``repeat``, ``objective`` ...).
    attrs : mapping
        JSON-serialisable attributes; ``attrs["spec"]`` is part of the fingerprint.
    """

    variables: tuple
    extra_coords: Mapping[str, Any] = field(default_factory=dict)
    attrs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        coords = {str(k): _coord_array(v, f"coordinate {k!r}") for k, v in dict(self.extra_coords).items()}
        object.__setattr__(self, "extra_coords", coords)
        object.__setattr__(self, "variables", tuple(self.variables))
        object.__setattr__(self, "attrs", _jsonable(dict(self.attrs), "store attrs"))
        names = [v.name for v in self.all_variables]
        if len(set(names)) != len(names) or "trial" in names:
            raise ValueError(f"variable names must be unique and not 'trial': {names}")
        for var in self.variables:
            missing = [d for d in var.dims if d not in coords]
            if missing:
                raise ValueError(f"variable {var.name!r}: no coordinate for dimension(s) {missing}")

    @property
    def all_variables(self) -> tuple:
        """The given variables plus ``state``, ``error`` and ``done``."""
        return (*self.variables,
                VariableSpec("state", dtype="int8", fill_value=TRIAL_NOT_RECORDED,
                             attrs={"long_name": "trial state", "flag_values": [-1, 0, 1, 2],
                                    "flag_meanings": "not_recorded complete pruned failed"}),
                VariableSpec("error", dtype="str", fill_value="", attrs={"long_name": "why the trial failed"}),
                VariableSpec("done", dtype="uint8", fill_value=0, attrs={"long_name": "row written"}))

    def components(self) -> dict[str, str]:
        """Readable entries of what defines the store (for mismatch messages)."""
        out = {"format": _FORMAT, "spec": hashlib.sha256(str(self.attrs.get("spec", "")).encode()).hexdigest()[:16]}
        for var in self.all_variables:
            out[f"variable {var.name}"] = var.describe()
        for name, values in self.extra_coords.items():
            out[f"coordinate {name}"] = f"{len(values)} values " + hashlib.sha256(
                "\x00".join(map(str, values)).encode()).hexdigest()[:12]
        return out

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.components(), sort_keys=True).encode()).hexdigest()[:16]


@contextlib.contextmanager
def _writer_lock(path) -> Iterator[None]:
    """Several clients of one study may share its store: on a local file system their creation and row writes
    (which resize arrays and rewrite whole chunks) take turns under an advisory lock on the store's parent
    directory (``flock``: released if a client dies). Object stores have no such lock: give each client its own
    store there."""
    if isinstance(path, str):
        yield
        return
    import fcntl

    parent = Path(path).parent
    parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _require_matching(path, layout: TrialLayout) -> None:
    marker = _read_marker(path)
    if marker is None or marker.get("format") != _FORMAT:
        raise StoreMismatchError(f"{path} is not a brainsweep study store; pass overwrite=True (--overwrite) to "
                                 "replace it, or choose another store")
    if marker["fingerprint"] != layout.fingerprint():
        diff = describe_differences(marker.get("components", {}), layout.components())
        raise StoreMismatchError(f"{path} holds the trials of a different study ({diff or 'fingerprint differs'}); "
                                 "pass overwrite=True (--overwrite) to replace it, or choose another store")


def create_trial_store(store: StorePath, layout: TrialLayout, overwrite: bool = False) -> None:
    """Create a study's store with no rows, or check that an existing one belongs to the same study.

    Raises
    ------
    StoreMismatchError
        If the store exists, ``overwrite`` is false and it was made for another study.
    StoreNotWritableError
        If the location cannot be written.
    """
    path = check_writable(store)
    with _writer_lock(path):
        _create_trial_store(path, layout, overwrite)


def _create_trial_store(path, layout: TrialLayout, overwrite: bool) -> None:
    import zarr

    if _has_group(path):
        if not overwrite:
            _require_matching(path, layout)
            return
        _remove(path)
    group = zarr.open_group(str(path), mode="w", zarr_format=3)
    for name, values in layout.extra_coords.items():
        arr = group.create_array(name, shape=values.shape, dtype=values.dtype, dimension_names=(name,))
        arr[...] = values
    group.create_array("trial", shape=(0,), chunks=(TRIAL_CHUNK,), dtype="int64", fill_value=-1,
                       dimension_names=("trial",), attributes={"long_name": "Optuna trial number"})
    for var in layout.all_variables:
        extra = tuple(len(layout.extra_coords[d]) for d in var.dims)
        group.create_array(var.name, shape=(0, *extra), chunks=(TRIAL_CHUNK, *extra), dtype=var.numpy_dtype,
                           fill_value=var.fill_value, dimension_names=("trial", *var.dims),
                           attributes=dict(var.attrs))
    group.attrs.update(dict(layout.attrs))
    group.attrs[MARKER_ATTR] = {"format": _FORMAT, "fingerprint": layout.fingerprint(),
                                "components": layout.components()}
    _consolidate(path)


def write_trials(store: StorePath, layout: TrialLayout, numbers: Sequence[int], values: Mapping[str, Any],
                 state: Sequence[int], error: Sequence[str]) -> None:
    """Write the rows of trials ``numbers`` (growing the ``trial`` dimension as needed), ``done`` last.

    Parameters
    ----------
    numbers : sequence of int
        Trial numbers (row indices).
    values : mapping of str to array
        Per variable of the layout, an array shaped ``(len(numbers), *extra)``; variables left out keep their
        fill values.
    state, error : sequence
        Per trial, one of the ``TRIAL_*`` states and the failure reason ("" if none).
    """
    import zarr

    path = _store_path(store)
    _require_matching(path, layout)
    rows = np.asarray(numbers, dtype=np.int64)
    if rows.ndim != 1 or rows.size == 0 or rows.min() < 0:
        raise ValueError(f"numbers must be non-negative trial numbers, got {numbers!r}")
    by_name = {v.name: v for v in layout.all_variables}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        raise ValueError(f"unknown trial variable(s) {unknown}; the layout has {sorted(by_name)}")
    arrays = {}
    for name, vals in values.items():
        var = by_name[name]
        shape = (rows.size, *(len(layout.extra_coords[d]) for d in var.dims))
        arr = np.asarray(vals)
        if arr.shape != shape:
            raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
        arrays[name] = arr.astype(var.numpy_dtype) if var.dtype != "str" else np.array(
            [str(x) for x in arr.ravel()], dtype=text_dtype()).reshape(shape)
    arrays["state"] = np.asarray(state, dtype=np.int8).reshape(rows.size)
    arrays["error"] = np.array([str(e)[:500] for e in error], dtype=text_dtype())
    arrays["done"] = np.ones(rows.size, dtype=np.uint8)

    with _writer_lock(path):
        group = zarr.open_group(str(path), mode="r+", use_consolidated=False)
        n = int(rows.max()) + 1
        if group["trial"].shape[0] < n:
            for var in layout.all_variables:
                a = group[var.name]
                a.resize((n, *a.shape[1:]))
            group["trial"].resize((n,))
            group["trial"][:] = np.arange(n)
        order = [k for k in arrays if k != "done"] + ["done"]
        for name in order:
            group[name].oindex[rows] = arrays[name]
        _consolidate(path)


def read_trials(store: StorePath) -> dict[str, np.ndarray]:
    """The ``trial``, ``state`` and ``done`` columns as NumPy arrays (empty for a new store)."""
    import zarr

    group = zarr.open_group(str(_store_path(store)), mode="r", use_consolidated=False)
    return {name: np.asarray(group[name][...]) for name in ("trial", "state", "done")}


__all__ = ["TrialLayout", "create_trial_store", "write_trials", "read_trials", "TRIAL_COMPLETE", "TRIAL_PRUNED",
           "TRIAL_FAILED", "TRIAL_NOT_RECORDED", "TRIAL_CHUNK"]

"""Zarr v3 result stores: template, whole-block writes (also concurrent), resume and errors."""
from __future__ import annotations

import json
import multiprocessing
import os
import random
import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from brainsweep import storage
from brainsweep.storage import (STATUS_DIVERGED, STATUS_FAILED, StoreLayout, StoreMismatchError,
                                StoreNotWritableError, VariableSpec)

REGIONS = np.array(["lh.V1", "rh.V1", "lh.A1"])
SPEC = {"model": "Generic2dOscillator", "axes": {"coupling.a": [0.1, 0.5]}, "seed": 42}


def grid_layout(**changes) -> StoreLayout:
    """Two float axes and ``repeat`` (5 x 3 x 2 points in 3 x 2 x 2 = 12 blocks, edge blocks smaller)."""
    kwargs = dict(
        grid_dims=("coupling.a", "noise.nsig", "repeat"),
        grid_coords={"coupling.a": np.linspace(0.0, 0.4, 5), "noise.nsig": [1e-4, 1e-3, 1e-2], "repeat": [0, 1]},
        chunks=(2, 2, 1),
        extra_coords={"region": REGIONS, "region_to": REGIONS},
        variables=(VariableSpec("fc", ("region", "region_to"), "float32", attrs={"long_name": "FC"}),
                   VariableSpec("mean.x", ("region",), "float64", attrs={"units": "mV"}),
                   VariableSpec("fc_fit", (), "float64"),
                   VariableSpec("n_peaks", (), "int64"),
                   VariableSpec("regime", (), "str")),
        attrs={"spec": json.dumps(SPEC), "brainsweep_version": "0.1.0", "sweep_seed": 42},
        coord_attrs={"coupling.a": {"long_name": "coupling strength", "units": "a.u."}},
    )
    kwargs.update(changes)
    return StoreLayout(**kwargs)


def zipped_layout() -> StoreLayout:
    """Zipped axes: one ``point`` dimension (7 points in blocks of 3) with the axis values as coordinates."""
    n = 7
    return StoreLayout(
        grid_dims=("point",), grid_coords={"point": np.arange(n)}, chunks=(3,),
        point_coords={"coupling.a": (("point",), np.linspace(0.1, 0.7, n)),
                      "lesion": (("point",), np.array(["none", "lh.V1", "rh.V1+lh.A1", "none", "x", "y", "z"]))},
        extra_coords={"region": REGIONS},
        variables=(VariableSpec("mean.x", ("region",), "float32"), VariableSpec("fc_fit")),
        attrs={"spec": SPEC},
    )


def expected(layout: StoreLayout) -> dict[str, np.ndarray]:
    """Deterministic full-grid values of every variable (and status, error, seed)."""
    flat = np.arange(layout.n_points, dtype=np.float64).reshape(layout.shape)
    values = {}
    for var in layout.variables:
        extra = tuple(len(layout.extra_coords[d]) for d in var.dims)
        offset = np.arange(int(np.prod(extra)), dtype=np.float64).reshape(extra) / 100 if extra else 0.0
        full = flat.reshape(flat.shape + (1,) * len(extra)) + offset
        if var.dtype == "str":
            values[var.name] = np.array([f"regime {int(v)} ✓" for v in flat.ravel()]).reshape(layout.shape)
        else:
            values[var.name] = full.astype(var.numpy_dtype)
    values["status"] = (flat.astype(np.int64) % 3).astype(np.int8)
    values["error"] = np.where(values["status"] == STATUS_FAILED, np.char.add("boom at ", flat.astype(int).astype(str)),
                               "")
    values["seed"] = flat.astype(np.int64) * 1_000_003 + 7
    return values


def write(store: Path, layout: StoreLayout, index: int, full: dict[str, np.ndarray]) -> None:
    block = layout.blocks()[index]
    results = {var.name: full[var.name][block] for var in layout.variables}
    storage.write_block(store, layout, index, results, full["status"][block], full["error"][block],
                        full["seed"][block])


def files(store: Path) -> dict[str, bytes]:
    """Every file of a store, by relative path."""
    return {str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*")) if p.is_file()}


def chunk_files(store: Path) -> dict[str, bytes]:
    return {k: v for k, v in files(store).items() if not k.endswith("zarr.json")}


def assert_grid(ds: xr.Dataset, layout: StoreLayout, full: dict[str, np.ndarray]) -> None:
    for name, values in full.items():
        np.testing.assert_array_equal(ds[name].values, values, err_msg=name)
    np.testing.assert_array_equal(ds["done"].values, 1)


# ------------------------------------------------------------------------------------------------- round trip
def test_shuffled_block_writes_give_the_full_labelled_grid(tmp_path):
    layout, store = grid_layout(), tmp_path / "sweep.zarr"
    full = expected(layout)
    storage.create_store(store, layout)
    order = list(range(layout.n_blocks))
    random.Random(0).shuffle(order)
    for index in order:
        write(store, layout, index, full)
    storage.finalize_store(store)

    ds = storage.open_results(store)
    assert ds["fc"].dims == ("coupling.a", "noise.nsig", "repeat", "region", "region_to")
    assert ds["mean.x"].dims == ("coupling.a", "noise.nsig", "repeat", "region")
    assert ds.sizes == {"coupling.a": 5, "noise.nsig": 3, "repeat": 2, "region": 3, "region_to": 3}
    for dim, values in layout.grid_coords.items():
        np.testing.assert_array_equal(ds[dim].values, values)
    assert list(ds["region"].values) == list(REGIONS)
    assert ds["fc"].dtype == np.float32 and ds["mean.x"].dtype == np.float64 and ds["n_peaks"].dtype == np.int64
    assert ds["fc"].chunks[:3] == ((2, 2, 1), (2, 1), (1, 1))  # lazy, one dask chunk per block
    assert_grid(ds, layout, full)
    # labelled selection with dotted names
    point = ds.sel({"coupling.a": 0.1, "noise.nsig": 1e-3, "repeat": 1, "region": "rh.V1"})
    np.testing.assert_array_equal(point["mean.x"].values, full["mean.x"][1, 1, 1, 1])
    # attrs: spec decoded from its JSON string, provenance kept, variable and coordinate attrs kept
    assert ds.attrs["spec"] == SPEC and ds.attrs["brainsweep_version"] == "0.1.0"
    assert ds["mean.x"].attrs["units"] == "mV" and ds["coupling.a"].attrs["units"] == "a.u."
    assert ds["status"].attrs["flag_meanings"] == "not_computed ok diverged failed"
    assert storage.pending_blocks(store, layout) == []


def test_zipped_layout_round_trips_point_coordinates(tmp_path):
    layout, store = zipped_layout(), tmp_path / "zip.zarr"
    full = expected(layout)
    storage.create_store(store, layout)
    for index in reversed(range(layout.n_blocks)):
        write(store, layout, index, full)
    ds = storage.open_results(store)
    assert ds["mean.x"].dims == ("point", "region") and ds["mean.x"].dtype == np.float32
    assert ds["coupling.a"].dims == ("point",) and "coupling.a" in ds.coords
    np.testing.assert_array_equal(ds["coupling.a"].values, layout.point_coords["coupling.a"][1])
    assert list(ds["lesion"].values) == list(layout.point_coords["lesion"][1])
    assert_grid(ds, layout, full)
    assert ds.attrs["spec"] == SPEC


def test_partial_store_reports_exactly_the_missing_blocks(tmp_path):
    layout, store = grid_layout(), tmp_path / "sweep.zarr"
    full = expected(layout)
    storage.create_store(store, layout)
    assert storage.pending_blocks(store, layout) == list(range(layout.n_blocks))
    written = [0, 3, 4, 9, 11]
    for index in written:
        write(store, layout, index, full)
    assert storage.pending_blocks(store, layout) == [i for i in range(layout.n_blocks) if i not in written]

    ds = storage.open_results(store, chunks=None)
    missing = layout.blocks()[1]
    assert (ds["done"].values[missing] == 0).all() and (ds["status"].values[missing] == -1).all()
    assert np.isnan(ds["fc"].values[missing]).all() and (ds["error"].values[missing] == "").all()
    present = layout.blocks()[3]
    np.testing.assert_array_equal(ds["fc"].values[present], full["fc"][present])


def test_rewriting_a_block_is_idempotent_and_never_touches_metadata(tmp_path):
    layout, store = grid_layout(), tmp_path / "sweep.zarr"
    full = expected(layout)
    storage.create_store(store, layout)
    metadata = {k: v for k, v in files(store).items() if k.endswith("zarr.json")}
    write(store, layout, 5, full)
    first = files(store)
    write(store, layout, 5, full)
    assert files(store) == first
    assert {k: v for k, v in first.items() if k.endswith("zarr.json")} == metadata


# ------------------------------------------------------------------------------------------------- concurrency
def test_concurrent_writes_from_processes_equal_sequential_writes(tmp_path):
    layout = grid_layout()
    full = expected(layout)
    sequential, parallel = tmp_path / "seq.zarr", tmp_path / "par.zarr"
    storage.create_store(sequential, layout)
    storage.create_store(parallel, layout)
    for index in range(layout.n_blocks):
        write(sequential, layout, index, full)

    order = list(range(layout.n_blocks))
    random.Random(1).shuffle(order)
    context = multiprocessing.get_context("forkserver")  # separate processes, as Dask workers; import once
    context.set_forkserver_preload(["brainsweep.storage"])
    with ProcessPoolExecutor(max_workers=3, mp_context=context) as pool:
        futures = []
        for index in order:
            block = layout.blocks()[index]
            results = {var.name: full[var.name][block] for var in layout.variables}
            futures.append(pool.submit(storage.write_block, str(parallel), layout, index, results,
                                       full["status"][block], full["error"][block], full["seed"][block]))
        for future in futures:
            future.result()

    assert storage.pending_blocks(parallel, layout) == []
    xr.testing.assert_identical(storage.open_results(parallel).load(), storage.open_results(sequential).load())
    assert chunk_files(parallel) == chunk_files(sequential)


# ------------------------------------------------------------------------------------------------- block checks
@pytest.mark.parametrize("case", ["edge shape for a full block", "index past the end", "negative index",
                                  "missing variable", "unexpected variable", "status code", "float into int",
                                  "status shape", "seed dtype"])
def test_misaligned_or_invalid_blocks_raise_before_writing(tmp_path, case):
    layout, store = grid_layout(), tmp_path / "sweep.zarr"
    full = expected(layout)
    storage.create_store(store, layout)
    before = files(store)
    index, block = 0, layout.blocks()[0]
    results = {var.name: full[var.name][block] for var in layout.variables}
    status, error, seed = full["status"][block], full["error"][block], full["seed"][block]
    edge = layout.blocks()[-1]  # (1, 1, 1) block
    if case == "edge shape for a full block":
        results = {var.name: full[var.name][edge] for var in layout.variables}
    elif case == "index past the end":
        index = layout.n_blocks
    elif case == "negative index":
        index = -1
    elif case == "missing variable":
        del results["fc"]
    elif case == "unexpected variable":
        results["other"] = results["fc_fit"]
    elif case == "status code":
        status = np.full_like(status, 3)
    elif case == "float into int":
        results["n_peaks"] = results["n_peaks"] + 0.5
    elif case == "status shape":
        status = status[:1]
    elif case == "seed dtype":
        seed = seed.astype(float)
    with pytest.raises(ValueError):
        storage.write_block(store, layout, index, results, status, error, seed)
    assert files(store) == before
    assert storage.pending_blocks(store, layout) == list(range(layout.n_blocks))


def test_diverged_and_failed_blocks_count_as_done_and_errors_round_trip(tmp_path):
    layout, store = grid_layout(), tmp_path / "sweep.zarr"
    full = expected(layout)
    storage.create_store(store, layout)
    write(store, layout, 0, full)  # real values first, then overwritten by an all-NaN diverged block
    block = layout.blocks()[0]
    shape = layout.block_shape(block)
    nan_results = {var.name: np.full(layout.variable_shape(var, 0), var.fill_value, dtype=var.numpy_dtype)
                   for var in layout.variables}
    status = np.full(shape, STATUS_DIVERGED, dtype=np.int8)
    storage.write_block(store, layout, 0, nan_results, status, None, full["seed"][block])
    failed = layout.blocks()[1]
    messages = np.array(["FloatingPointError: overflow in ‘dfun’ ✗", "", "x" * 5000, "ok"]).reshape(
        layout.block_shape(failed))
    storage.write_block(store, layout, 1, nan_results, np.full(shape, STATUS_FAILED), messages, full["seed"][failed])

    assert 0 not in storage.pending_blocks(store, layout) and 1 not in storage.pending_blocks(store, layout)
    assert not any(k.startswith("fc/c/0/0/") for k in files(store))  # no chunk objects for all-NaN blocks ...
    ds = storage.open_results(store)  # ... yet they read back as NaN and count as done
    assert np.isnan(ds["fc"].values[block]).all() and (ds["done"].values[block] == 1).all()
    assert (ds["status"].values[block] == STATUS_DIVERGED).all() and (ds["error"].values[block] == "").all()
    got = ds["error"].values[failed]
    assert got.ravel()[0] == "FloatingPointError: overflow in ‘dfun’ ✗" and got.ravel()[1] == ""
    assert got.ravel()[2] == "x" * storage.MAX_ERROR_CHARS
    assert (ds["status"].values[failed] == STATUS_FAILED).all()


# ------------------------------------------------------------------------------------------------- resume
def test_resume_keeps_the_data_of_a_store_with_the_same_layout(tmp_path):
    layout, store = grid_layout(), tmp_path / "sweep.zarr"
    full = expected(layout)
    storage.create_store(store, layout)
    write(store, layout, 2, full)
    before = files(store)
    # provenance other than the spec (versions) does not define the results: still the same sweep
    same = grid_layout(attrs={"spec": SPEC, "brainsweep_version": "0.2.0"})
    assert same.fingerprint() == layout.fingerprint()
    storage.create_store(store, same)
    assert files(store) == before
    assert storage.pending_blocks(store, same) == [i for i in range(layout.n_blocks) if i != 2]


@pytest.mark.parametrize("changes, named", [
    ({"grid_coords": {"coupling.a": np.linspace(0.0, 0.5, 6), "noise.nsig": [1e-4, 1e-3, 1e-2], "repeat": [0, 1]}},
     "grid coordinate 'coupling.a'"),
    ({"chunks": (1, 2, 1)}, "chunks"),
    ({"variables": (VariableSpec("fc", ("region", "region_to"), "float64"),)}, "variable 'fc'"),
    ({"attrs": {"spec": {**SPEC, "seed": 43}}}, "spec"),
])
def test_a_different_layout_is_refused_naming_the_difference(tmp_path, changes, named):
    layout, store = grid_layout(), tmp_path / "sweep.zarr"
    storage.create_store(store, layout)
    write(store, layout, 0, expected(layout))
    before = files(store)
    other = grid_layout(**changes)
    with pytest.raises(StoreMismatchError, match="overwrite") as info:
        storage.create_store(store, other)
    message = str(info.value)
    assert named in message and "\n" not in message
    assert files(store) == before
    with pytest.raises(StoreMismatchError):
        storage.pending_blocks(store, other)
    with pytest.raises(StoreMismatchError):
        write(store, other, 0, expected(other))

    storage.create_store(store, other, overwrite=True)
    assert storage.pending_blocks(store, other) == list(range(other.n_blocks))
    assert storage.open_results(store)["done"].values.sum() == 0


def test_an_interrupted_or_foreign_zarr_store_needs_overwrite(tmp_path):
    store = tmp_path / "foreign.zarr"
    xr.Dataset({"x": ("i", np.arange(3))}).to_zarr(store, zarr_format=3, consolidated=False)
    layout = zipped_layout()
    with pytest.raises(StoreMismatchError, match="not a complete brainsweep result store"):
        storage.create_store(store, layout)
    storage.create_store(store, layout, overwrite=True)
    assert "x" not in storage.open_results(store)


# ------------------------------------------------------------------------------------------------- bad locations
def test_a_file_in_the_way_fails_with_a_clear_message(tmp_path):
    blocker = tmp_path / "results"
    blocker.write_text("not a store")
    with pytest.raises(StoreNotWritableError, match="exists and is not a directory"):
        storage.create_store(blocker, zipped_layout())
    with pytest.raises(StoreNotWritableError, match="cannot create the directory"):
        storage.check_writable(blocker / "sweep.zarr")
    assert blocker.read_text() == "not a store"


def test_a_non_empty_directory_that_is_not_a_store_is_never_replaced(tmp_path):
    folder = tmp_path / "home"
    folder.mkdir()
    (folder / "thesis.tex").write_text("precious")
    for overwrite in (False, True):
        with pytest.raises(StoreNotWritableError, match="not empty and is not a Zarr store"):
            storage.create_store(folder, zipped_layout(), overwrite=overwrite)
    assert (folder / "thesis.tex").read_text() == "precious"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores directory permissions")
def test_a_read_only_directory_fails_with_a_clear_message(tmp_path):
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(StoreNotWritableError, match="cannot write results to"):
            storage.check_writable(parent / "sweep.zarr")
    finally:
        parent.chmod(stat.S_IRWXU)


# ------------------------------------------------------------------------------------------------- layout
def test_layout_blocks_and_fingerprint():
    layout = grid_layout()
    blocks = layout.blocks()
    assert len(blocks) == layout.n_blocks == 12
    assert blocks[0] == (slice(0, 2), slice(0, 2), slice(0, 1))
    assert blocks[-1] == (slice(4, 5), slice(2, 3), slice(1, 2))
    assert [layout.block(i) for i in range(len(blocks))] == blocks
    assert layout.block_shape(blocks[-1]) == (1, 1, 1) and layout.block_shape(0) == (2, 2, 1)
    assert sum(np.prod(layout.block_shape(b)) for b in blocks) == layout.n_points
    # equivalent inputs (lists vs arrays, spec as dict vs JSON string) give the same fingerprint
    coords = {"coupling.a": list(np.linspace(0.0, 0.4, 5)), "noise.nsig": np.array([1e-4, 1e-3, 1e-2]),
              "repeat": np.array([0, 1])}
    twin = grid_layout(grid_coords=coords, attrs={"spec": SPEC})
    assert twin.fingerprint() == layout.fingerprint()
    assert grid_layout() == layout and hash(grid_layout()) == hash(layout) and twin != layout  # twin: other attrs
    assert grid_layout(chunks=(5, 3, 2)).fingerprint() != layout.fingerprint()


@pytest.mark.parametrize("changes, match", [
    ({"variables": (VariableSpec("status"),)}, "reserved"),
    ({"variables": (VariableSpec("fc", ("sensor",)),)}, "extra_coords"),
    ({"chunks": (2, 2)}, "chunks"),
    ({"attrs": {"bad": object()}}, "JSON"),
])
def test_invalid_layouts_are_refused(changes, match):
    with pytest.raises(ValueError, match=match):
        grid_layout(**changes)


def test_names_zarr_cannot_store_are_refused():
    with pytest.raises(ValueError, match="'/'"):
        VariableSpec("fc/raw")
    with pytest.raises(ValueError, match="dtype"):
        VariableSpec("x", dtype="complex128")

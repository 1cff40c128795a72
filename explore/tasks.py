"""What one Dask task does: simulate one block of the grid as one engine batch, measure it, store it.

Everything here runs on a worker and is a pure function of (spec, block index, base connectome, store):
whichever worker runs a block, however often, it writes the same bytes.
"""
from __future__ import annotations

import functools
import json
import time
import traceback
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from brainsweep import storage

from . import build, measure
from .plan import SweepPlan
from .spec import CONNECTOME_AXES, SweepSpec, parse_spec

STATUS_OK, STATUS_DIVERGED, STATUS_FAILED = 0, 1, 2


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class Prepared:
    spec: SweepSpec
    plan: SweepPlan
    outputs: tuple
    layout: object


def prepare(spec: SweepSpec, base=None) -> Prepared:
    """Plan, outputs and storage layout of a spec (identical on the client and on every worker)."""
    plan = SweepPlan.from_spec(spec)
    base = build.base_connectivity(spec) if base is None else base
    conn = build.build_connectivity(spec, base=base)
    outputs = tuple(measure.output_specs(spec, build.build_simulator(spec, conn)))
    extra = {}
    for out in outputs:
        for name, labels in out.coords:
            extra[name] = np.array(labels)
    variables = tuple(storage.VariableSpec(out.name, out.dims, "float64", attrs={"units": out.units,
                                                                                 "long_name": out.long_name})
                      for out in outputs)
    attrs = {
        "title": f"brainsweep sweep {spec.name}",
        "spec": json.dumps(spec.to_dict(), default=str),
        "spec_fingerprint": spec.fingerprint(),
        "connectivity_fingerprint": conn.fingerprint(),
        "sweep_seed": spec.seed,
        "seed_policy": "point seed = sha256(sweep seed, swept values, repeat index)",
        "status_codes": "0 ok, 1 diverged, 2 failed, -1 not computed",
        "brainsweep_version": _version("brainsweep"),
        "numba_version": _version("numba"),
        "dask_version": _version("dask"),
    }
    layout = storage.StoreLayout(grid_dims=plan.dims, grid_coords=plan.grid_coords(),
                                 point_coords=plan.point_coords(), chunks=plan.chunks, extra_coords=extra,
                                 variables=variables, attrs=attrs)
    return Prepared(spec, plan, outputs, layout)


@functools.lru_cache(maxsize=4)
def _prepared(spec_json: str, base) -> Prepared:
    return prepare(parse_spec(json.loads(spec_json)), base)


def _simulate(prep: Prepared, points: list, base, length: float):
    """The block's points as one engine batch; returns (simulator, dataset)."""
    spec = prep.spec
    edits = {k: v for k, v in points[0].values.items() if k in CONNECTOME_AXES}
    conn = build.build_connectivity(spec, edits, base=base)
    sim = build.build_simulator(spec, conn, backend=build.worker_backend(spec.backend))  # "auto": this worker's
    batch = build.batch_values(sim, [p.values for p in points])
    return sim, sim.run(length, batch=batch, seeds=[p.seed for p in points],
                        summaries=measure.run_summaries(spec, sim) or None)


def run_block(spec_json: str, block_index: int, store: str, base) -> dict:
    """Simulate, measure and store block ``block_index``; returns a small summary for the client."""
    t0, started = time.perf_counter(), time.time()
    prep = _prepared(spec_json, base)
    plan = prep.plan
    block = plan.block(block_index)
    points = plan.block_points(block)
    shape = plan.block_shape(block)
    B = len(points)
    seeds = np.array([p.seed for p in points], dtype=np.int64)
    status = np.full(B, STATUS_OK, dtype=np.int8)
    error = np.full(B, "", dtype=object)
    results, kernel_s, measure_s = {}, 0.0, 0.0
    try:
        sim, ds = _simulate(prep, points, base, prep.spec.length)
        kernel_s = float(ds.attrs["wall_time_s"])
        status[np.asarray(ds.diverged.values, dtype=bool).reshape(-1)] = STATUS_DIVERGED
        t_measure = time.perf_counter()
        results = measure.compute(prep.spec, sim, ds, list(prep.outputs))
        measure_s = time.perf_counter() - t_measure
    except Exception as exc:  # noqa: BLE001 - a failed point is recorded, the sweep goes on
        status[:] = STATUS_FAILED
        error[:] = f"{type(exc).__name__}: {exc}"[:500]
        results = {}
        traceback.print_exc()
    block_results = {}
    for out in prep.outputs:
        extra = tuple(len(c[1]) for c in out.coords)
        arr = results.get(out.name)
        if arr is None:
            arr = np.full((B,) + extra, np.nan)
        block_results[out.name] = np.asarray(arr, dtype=np.float64).reshape(shape + extra)
    t1 = time.perf_counter()
    storage.write_block(store, prep.layout, block_index, block_results, status.reshape(shape),
                        error.reshape(shape).astype(str), seeds.reshape(shape))
    return {"block": block_index, "points": B, "ok": int(np.sum(status == STATUS_OK)),
            "diverged": int(np.sum(status == STATUS_DIVERGED)), "failed": int(np.sum(status == STATUS_FAILED)),
            "kernel_s": kernel_s, "measure_s": measure_s, "store_s": time.perf_counter() - t1,
            "task_s": time.perf_counter() - t0, "worker": _worker_name(), "started": started, "ended": time.time(),
            "backend": build.worker_backend(prep.spec.backend)}


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "local"


def warm_up(spec_json: str, base) -> dict:
    """Compile (or load from the disk cache) the kernel of the first block on this worker.

    Returns the worker, the seconds taken and when it ended (``time.time()``).
    """
    t0 = time.perf_counter()
    import zarr  # noqa: F401 - imported here, so that the first block's write is not charged the import

    prep = _prepared(spec_json, base)
    if prep.spec.backend == "cuda" and not build.has_gpu_resource():
        # blocks of a GPU sweep never run here (they need a GPU resource): nothing to compile
        return {"worker": _worker_name(), "warm_s": time.perf_counter() - t0, "ended": time.time()}
    points = prep.plan.block_points(prep.plan.block(0))
    _simulate(prep, points, base, 2 * prep.spec.integrator["dt"])
    return {"worker": _worker_name(), "warm_s": time.perf_counter() - t0, "ended": time.time()}


__all__ = ["prepare", "run_block", "warm_up", "STATUS_OK", "STATUS_DIVERGED", "STATUS_FAILED"]

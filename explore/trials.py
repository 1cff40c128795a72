"""What a Dask task of a study does: simulate a batch of trials in one engine batch and measure them.

Runs on a worker; a pure function of (study spec, the trials' parameters, base connectome): a trial's seeds
derive from the spec's seed and its parameter values (as a sweep point's), so it gives the same numbers in any
batch, on any worker, and again after a retry.

With pruning, a batch runs in two stages. ``stage="first"`` simulates the first part of the run, measures the
objective on it (the intermediate value the pruner judges) and keeps the simulator on the worker;
``stage="rest"`` continues it to the full length (a continued run equals one long run, bit for bit) or, on a
worker that does not hold it, simulates the full length from the start.
"""
from __future__ import annotations

import collections
import functools
import json
import time
import traceback
from dataclasses import dataclass

import numpy as np
import xarray as xr

from . import build, measure
from .plan import point_seed
from .search import StudySpec, parse_study
from .spec import CONNECTOME_AXES

# Simulators paused after the first stage, by batch key; a few only (a batch whose rest never comes is dropped).
_PAUSED: collections.OrderedDict = collections.OrderedDict()
_PAUSED_MAX = 8


@dataclass(frozen=True)
class PreparedStudy:
    study: StudySpec
    outputs: tuple


def study_from_json(study_json: str) -> StudySpec:
    raw = json.loads(study_json)
    return parse_study(raw)


@functools.lru_cache(maxsize=4)
def _prepared(study_json: str, base) -> PreparedStudy:
    study = study_from_json(study_json)
    return prepare(study, base)


def prepare(study: StudySpec, base=None) -> PreparedStudy:
    base = build.base_connectivity(study.sim) if base is None else base
    sim = build.build_simulator(study.sim, build.build_connectivity(study.sim, base=base))
    return PreparedStudy(study, tuple(measure.output_specs(study.sim, sim)))


def trial_seeds(study: StudySpec, params: dict) -> list[int]:
    """The noise seeds of a trial's repeats (the same as a sweep point with these values)."""
    return [point_seed(study.sim.seed, params, r) for r in range(study.sim.repeats)]


def objective_values(study: StudySpec, features: dict[str, np.ndarray]) -> np.ndarray:
    """``(trials, objectives)``: weighted sums of the repeat-averaged scalar features."""
    n = next(iter(features.values())).shape[0]
    out = np.zeros((n, len(study.search.objectives)))
    for k, obj in enumerate(study.search.objectives):
        for name, weight in obj.items():
            vals = np.asarray(features[name], dtype=np.float64).reshape(n, -1)
            out[:, k] += weight * vals.mean(axis=1)
    return out


def trial_values(study: StudySpec, params: dict) -> dict:
    """A trial's values by parameter name, as a sweep point's: a number, or one value per region."""
    return {p.name: np.array([float(params[n]) for n, _ in p.expanded()]) if p.regions else params[p.name]
            for p in study.search.params}


def _connectome_groups(params: list[dict]) -> dict[tuple, list[int]]:
    """Trials by the connectome-level values they need (each group is one kernel call)."""
    groups: dict[tuple, list[int]] = {}
    for i, p in enumerate(params):
        groups.setdefault(tuple((k, p[k]) for k in CONNECTOME_AXES if k in p), []).append(i)
    return groups


def _simulate(prep: PreparedStudy, params: list[dict], base, length: float, key: str | None, resume: bool,
              whole: bool = False):
    """Simulate the trials' lanes (trial-major, repeats inner); one kernel call per distinct connectome."""
    study = prep.study
    R = study.sim.repeats
    pieces, kernel_s = {}, 0.0
    for g, (edits, members) in enumerate(_connectome_groups(params).items()):
        lanes = [trial_values(study, params[i]) for i in members for _ in range(R)]
        seeds = [s for i in members for s in trial_seeds(study, params[i])]
        cached = _PAUSED.pop(f"{key}/{g}", None) if (resume and key) else None
        if cached is not None:
            sim, first = cached
            rest = sim.run(length, batch=build.batch_values(sim, lanes), seeds=seeds)
            ds = _concat(first, rest)
            kernel_s += float(rest.attrs["wall_time_s"])
        else:
            sim = build.build_simulator(study.sim, build.build_connectivity(study.sim, dict(edits), base=base),
                                        backend=build.worker_backend(study.sim.backend))
            # a whole run (not a part to be continued) may leave its FC features to the engine (on a GPU)
            ds = sim.run(length, batch=build.batch_values(sim, lanes), seeds=seeds,
                         summaries=(measure.run_summaries(study.sim, sim) or None) if whole else None)
            kernel_s += float(ds.attrs["wall_time_s"])
        pieces[g] = (members, sim, ds)
    return pieces, kernel_s


def _concat(first: xr.Dataset, rest: xr.Dataset) -> xr.Dataset:
    """The recordings of a run and of its continuation as one run's."""
    out = {}
    for name, da in first.data_vars.items():
        tdim = next((d for d in da.dims if d.startswith("time")), None)
        out[name] = xr.concat([da, rest[name]], dim=tdim) if tdim else rest[name]
    return xr.Dataset(out, attrs=rest.attrs)


def run_trials(study_json: str, params: list[dict], base, stage: str = "full", key: str | None = None) -> dict:
    """Simulate and measure one batch of trials.

    Parameters
    ----------
    study_json : str
        The study spec as JSON (``StudySpec.to_dict``).
    params : list of dict
        Each trial's parameter values.
    base : Connectivity
        The spec's connectome as loaded (sent to each worker once).
    stage : {"full", "first", "rest"}
        The whole run; its first part (pruning: intermediate objective only, simulator kept); or the rest.
    key : str, optional
        Identifies the batch between its two stages.

    Returns
    -------
    dict
        ``features`` (name -> ``(trials, repeats, *extra)``), ``objective`` (``(trials, objectives)``),
        ``diverged`` and ``error`` per trial, ``kernel_s``, ``worker``.
    """
    t0 = time.perf_counter()
    prep = _prepared(study_json, base)
    study = prep.study
    sim_spec = study.sim
    n_real = len(params)
    # a short batch is padded with copies of its last trial: one kernel (one compilation) for every batch
    params = list(params) + [params[-1]] * max(study.search.batch_size - n_real, 0)
    n, R = len(params), sim_spec.repeats
    first_length = (sim_spec.transient + study.search.prune_at * (sim_spec.length - sim_spec.transient)
                    if stage != "full" else None)
    error = [""] * n
    features: dict[str, np.ndarray] = {}
    diverged = np.zeros(n, dtype=bool)
    kernel_s = 0.0
    try:
        if stage == "rest":     # continue the first part where this worker holds it, else the whole run
            held = all(f"{key}/{g}" in _PAUSED for g in range(len(_connectome_groups(params))))
            pieces, kernel_s = _simulate(prep, params, base,
                                         sim_spec.length - first_length if held else sim_spec.length, key, held)
        else:
            pieces, kernel_s = _simulate(prep, params, base, first_length if stage == "first" else sim_spec.length,
                                         key, resume=False, whole=stage == "full")
        for g, (members, sim, ds) in pieces.items():
            res = measure.compute(sim_spec, sim, ds, list(prep.outputs))
            lanes_div = np.asarray(ds.diverged.values, dtype=bool).reshape(len(members), R)
            for j, i in enumerate(members):
                diverged[i] = lanes_div[j].any()
                if diverged[i]:
                    t = np.asarray(ds.divergence_time.values).reshape(len(members), R)[j]
                    error[i] = f"diverged (non-finite state) at t = {np.nanmin(t):g} ms"
            for out in prep.outputs:
                arr = np.asarray(res[out.name], dtype=np.float64)
                arr = arr.reshape(len(members), R, *arr.shape[1:])
                dest = features.setdefault(out.name, np.full((n, R, *arr.shape[2:]), np.nan))
                dest[members] = arr
            if stage == "first":
                _PAUSED[f"{key}/{g}"] = (sim, ds)
                while len(_PAUSED) > _PAUSED_MAX:
                    _PAUSED.popitem(last=False)
    except Exception as exc:  # noqa: BLE001 - the trials fail with the reason, the study goes on
        traceback.print_exc()
        error = [f"{type(exc).__name__}: {exc}"[:500]] * n
        diverged[:] = False
        features = {out.name: np.full((n, R), np.nan) for out in prep.outputs if not out.dims}
    scalar = {k: v for k, v in features.items() if v.ndim == 2}
    objective = objective_values(study, scalar) if scalar else np.full((n, len(study.search.objectives)), np.nan)
    return {"features": {k: v[:n_real] for k, v in features.items()}, "objective": objective[:n_real],
            "diverged": diverged[:n_real], "error": error[:n_real],
            "seeds": [trial_seeds(study, p) for p in params[:n_real]], "kernel_s": kernel_s, "stage": stage,
            "task_s": time.perf_counter() - t0, "worker": _worker_name()}


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "local"


def warm_up(study_json: str, base) -> dict:
    """Compile (or load from the disk cache) the study's kernel on this worker."""
    t0 = time.perf_counter()
    import zarr  # noqa: F401

    prep = _prepared(study_json, base)
    if prep.study.sim.backend == "cuda" and not build.has_gpu_resource():
        return {"worker": _worker_name(), "warm_s": time.perf_counter() - t0, "ended": time.time()}
    p = {name: (sp.choices[0] if sp.kind == "categorical" else sp.low)
         for q in prep.study.search.params for name, sp in q.expanded()}
    _simulate(prep, [p] * prep.study.search.batch_size, base, 2 * prep.study.sim.integrator["dt"], None, False)
    return {"worker": _worker_name(), "warm_s": time.perf_counter() - t0, "ended": time.time()}


__all__ = ["run_trials", "warm_up", "prepare", "trial_seeds", "trial_values", "objective_values", "study_from_json"]

"""Turn a validated spec (and one sweep point's connectome values) into engine objects."""
from __future__ import annotations

import functools

import numpy as np

from brainsweep.engine import Connectivity, Simulator
from brainsweep.engine import coupling as couplings
from brainsweep.engine import datasets, equations, integrators, models, monitors, noise, stimuli

from .spec import SweepSpec


@functools.lru_cache(maxsize=8)
def _base_connectivity(source: tuple) -> Connectivity:
    kind, value = source
    if kind == "dataset":
        return datasets.bundled_hcp80().connectivity()
    if kind == "tvb_data":
        return Connectivity.from_tvb_data(int(value))
    return Connectivity.from_file(value)


def base_connectivity(spec: SweepSpec) -> Connectivity:
    """The spec's connectome as loaded (before normalisation and edits): what is sent to the workers."""
    c = spec.connectivity
    kind = next(k for k in ("dataset", "tvb_data", "file") if k in c)
    return _base_connectivity((kind, c[kind]))


def build_connectivity(spec: SweepSpec, values: dict | None = None, base: Connectivity | None = None) -> Connectivity:
    """The spec's connectome (from ``base`` if given) with the connectome-level axis ``values`` of one point."""
    c = spec.connectivity
    conn = base_connectivity(spec) if base is None else base
    if c.get("normalization", "none") != "none":
        conn = conn.normalized(c["normalization"])
    values = values or {}
    speed = values.get("connectivity.conduction_speed", c.get("conduction_speed"))
    if speed is not None:
        conn = conn.with_speed(float(speed))
    if "connectivity.long_range_scale" in values:
        conn = conn.scaled_long_range(float(c["long_range_length"]), float(values["connectivity.long_range_scale"]))
    if "connectivity.interhemispheric_scale" in values:
        conn = conn.scaled_interhemispheric(float(values["connectivity.interhemispheric_scale"]))
    return conn


def build_simulator(spec: SweepSpec, connectivity: Connectivity, backend: str = "cpu") -> Simulator:
    """A Simulator with the spec's fixed settings (swept values come as a batch), on ``backend`` ("cpu" or
    "cuda": the caller resolves the spec's "auto")."""
    m = spec.model
    model = getattr(models, m["name"])(**m["parameters"])
    if "variables_of_interest" in m:
        model.variables_of_interest = tuple(m["variables_of_interest"])
    if "cvar" in m:
        model.cvar = tuple(m["cvar"])
    cpl = getattr(couplings, spec.coupling["name"])(**spec.coupling["parameters"])
    i = spec.integrator
    icls = getattr(integrators, i["name"])
    if issubclass(icls, integrators.IntegratorStochastic):
        ncls = getattr(noise, i["noise"].get("name", "Additive"))
        integ = icls(dt=i["dt"], noise=ncls(nsig=i["noise"]["nsig"], **i["noise"].get("parameters", {})))
    else:
        integ = icls(dt=i["dt"])
    mons = [getattr(monitors, mon["name"])(**{k: v for k, v in mon.items() if k != "name"}) for mon in spec.monitors]
    ic = None
    if "initial_state" in m:
        ic = np.array([[m["initial_state"].get(sv, np.mean(model.state_variable_range[sv]))] * connectivity.number_of_regions
                       for sv in model.state_variables])
    stim = None
    if spec.stimulus is not None:
        t = spec.stimulus["temporal"]
        temporal = getattr(equations, t["name"])(**t["parameters"])
        weight = np.zeros(connectivity.number_of_regions)
        weight[connectivity.region_indices(spec.stimulus["regions"])] = float(spec.stimulus.get("weight", 1.0))
        stim = stimuli.StimuliRegion(temporal=temporal, weight=weight)
    surface = None
    if spec.surface is not None:
        surface = tvb_data_cortex(spec.surface["tvb_data"], spec.surface["local_connectivity"],
                                  spec.surface["coupling_strength"])
    return Simulator(connectivity, model, cpl, integ, mons, initial_conditions=ic, dtype=spec.dtype, stimulus=stim,
                     backend=backend, surface=surface)


@functools.lru_cache(maxsize=4)
def tvb_data_cortex(n_regions: int, local_connectivity: bool, coupling_strength: float):
    """tvb-data's cortex, loaded once per worker process (blocks of a surface sweep share it)."""
    from brainsweep.engine import Cortex

    return Cortex.from_tvb_data(n_regions, local_connectivity=local_connectivity,
                                coupling_strength=coupling_strength)


def has_gpu_resource() -> bool:
    """Whether this code runs on a Dask worker that advertises a ``GPU`` resource."""
    try:
        from distributed import get_worker

        return get_worker().state.total_resources.get("GPU", 0) > 0
    except (ImportError, ValueError, AttributeError):
        return False


def worker_backend(backend: str) -> str:
    """The engine backend for a block on this worker: ``auto`` means the GPU where the worker advertises a
    ``GPU`` resource (``dask worker --resources GPU=1``), else the CPU; outside Dask, the GPU if one is usable."""
    if backend != "auto":
        return backend
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        from brainsweep.engine.cuda import cuda_status

        return "cuda" if cuda_status()[0] else "cpu"
    return "cuda" if has_gpu_resource() else "cpu"


def lesion_masks(connectivity: Connectivity, lesions) -> np.ndarray:
    """``(B, N)`` masks (1 = lesioned) from one tuple of region labels/indices per member."""
    masks = np.zeros((len(lesions), connectivity.number_of_regions))
    for b, regions in enumerate(lesions):
        if regions:
            masks[b, connectivity.region_indices(list(regions))] = 1.0
    return masks


def batch_values(sim: Simulator, lanes: list[dict]) -> dict[str, np.ndarray]:
    """The engine ``batch`` of lanes that share ``sim``'s connectome, from each lane's swept values.

    Connectome-level values are left out (they are in the connectome); lesions become masks; a per-region
    value (an array) gives ``(B, N)``, a number ``(B,)``. With nothing else to vary, lanes differ by their
    seeds only, so the batch is the simulator's own first coupling parameter for every lane.
    """
    from .spec import CONNECTOME_AXES

    batch = {}
    for name in lanes[0]:
        if name in CONNECTOME_AXES:
            continue
        if name == "connectivity.lesion":
            batch[name] = lesion_masks(sim.connectivity, [lane[name] for lane in lanes])
        else:
            batch[name] = np.array([lane[name] for lane in lanes], dtype=np.float64)
    if not batch:
        pname = sim.coupling.parameter_names[0]
        batch[f"coupling.{pname}"] = np.full(len(lanes), float(getattr(sim.coupling, pname)[0]))
    return batch


def simulate_point(spec: SweepSpec, values: dict, seed: int, base: Connectivity | None = None):
    """One sweep point (or study trial) simulated alone: ``(simulator, dataset)``.

    ``values`` are the point's swept values by axis name; ``seed`` its noise seed (as stored). A member's
    numbers do not depend on the batch it ran in, so this reproduces the stored results bit for bit.
    """
    from .spec import CONNECTOME_AXES

    sim = build_simulator(spec, build_connectivity(spec, {k: v for k, v in values.items() if k in CONNECTOME_AXES},
                                                   base=base))
    return sim, sim.run(spec.length, batch=batch_values(sim, [values]), seeds=[int(seed)])


__all__ = ["base_connectivity", "build_connectivity", "build_simulator", "lesion_masks", "batch_values",
           "worker_backend", "has_gpu_resource",
           "simulate_point"]

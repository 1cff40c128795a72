"""Run the same simulation in tvb-library (the oracle) and in brainsweep, from one description.

A case is a dict: model / model_params, coupling / coupling_params, integrator, dt, optional noise
(("Additive" | "Multiplicative", nsig)), monitor ((class name, period)), length (ms) and voi (variables of
interest). Both sides start from the same history: a random state ``x0`` inside the model's
``state_variable_range``, constant over TVB's horizon, so both clocks start at step ``horizon - 1``.

TVB 2.x stores its delay buffer and weights in float32 (``tvb.simulator.history``'s ``NDArray(..., 'f')``),
so its coupling carries ~1e-7 relative rounding. ``float64_history=True`` switches those arrays to float64
for a run, which makes TVB's loop a float64 computation that brainsweep must match to rounding.

For stochastic integrators TVB's numpy random stream is replaced by brainsweep's counter-based normals for
the same steps, so TVB's own scheme code runs on brainsweep's noise.
"""
from __future__ import annotations

import contextlib
import logging
import warnings

import numpy as np

import brainsweep as bs
from brainsweep.engine.rng import normals

logging.getLogger("tvb").setLevel(logging.ERROR)
warnings.filterwarnings("ignore", module="tvb")


@contextlib.contextmanager
def tvb_float64_history():
    """Temporarily make TVB's history buffer and weights float64."""
    import tvb.simulator.history as th

    changed = []
    for cls in (th.BaseHistory, th.DenseHistory, th.SparseHistory):
        for desc in vars(cls).values():
            if isinstance(desc, th.NDArray) and desc.dtype == "f":
                desc.dtype = "d"
                changed.append(desc)
    try:
        yield
    finally:
        for desc in changed:
            desc.dtype = "f"


class _Stream(np.random.RandomState):
    """Stands in for TVB's ``numpy.random.RandomState``: returns brainsweep's normals step by step."""

    def __init__(self, seed: int, nvar: int, n_nodes: int, first_step: int, n_steps: int):
        super().__init__(0)
        self.z = normals([seed], nvar, n_nodes, first_step, n_steps)[..., 0]
        self.k = 0

    def normal(self, size=None):
        out = self.z[self.k].reshape(size)
        self.k += 1
        return out


def horizon(dt: float, speed: float = 3.0) -> int:
    conn = bs.Connectivity.from_tvb_data()
    return int(np.rint(conn.tract_lengths / speed / dt).max()) + 1


def initial_state(model_name: str, seed: int) -> np.ndarray:
    model = getattr(bs.models, model_name)
    rng = np.random.default_rng(seed)
    n = bs.Connectivity.from_tvb_data().number_of_regions
    return np.array([rng.uniform(*model.state_variable_range[sv], size=n) for sv in model.state_variables])


def run_tvb(case: dict, x0: np.ndarray, float64_history: bool = False, seed: int = 0):
    from tvb.simulator import coupling, integrators, models, monitors, noise, simulator
    from tvb.datatypes.connectivity import Connectivity

    conn = Connectivity.from_file()
    conn.speed = np.array([3.0])
    model = getattr(models, case["model"])(**{k: np.array([v]) for k, v in case.get("model_params", {}).items()})
    if case.get("voi"):
        model.variables_of_interest = list(case["voi"])
    cpl = getattr(coupling, case["coupling"])(**{k: np.array([v]) for k, v in case.get("coupling_params", {}).items()})
    dt = case["dt"]
    if case.get("noise"):
        kind, nsig = case["noise"]
        integ = getattr(integrators, case["integrator"])(dt=dt, noise=getattr(noise, kind)(nsig=np.array([nsig])))
    else:
        integ = getattr(integrators, case["integrator"])(dt=dt)
    mon_name, period = case["monitor"]
    mon = getattr(monitors, mon_name)() if mon_name == "Raw" else getattr(monitors, mon_name)(period=period)
    H = horizon(dt)
    ic = np.repeat(x0[None, :, :, None], H, axis=0)
    extra = {}
    if case.get("stimulus"):
        from tvb.datatypes import equations, patterns
        name, params, weight = case["stimulus"]
        eqn = getattr(equations, name)()
        eqn.parameters.update(params)
        extra["stimulus"] = patterns.StimuliRegion(temporal=eqn, connectivity=conn, weight=np.asarray(weight))
    ctx = tvb_float64_history() if float64_history else contextlib.nullcontext()
    with ctx:
        sim = simulator.Simulator(connectivity=conn, model=model, coupling=cpl, integrator=integ, monitors=[mon],
                                  initial_conditions=ic, simulation_length=case["length"], **extra).configure()
        if case.get("noise"):
            n_steps = int(np.ceil(case["length"] / dt))
            sim.integrator.noise.random_stream = _Stream(seed, x0.shape[0], x0.shape[1], H, n_steps)
        (t, y), = sim.run()
    return t, y[..., 0]


def make_sim(case: dict, x0: np.ndarray, seed: int = 0, dtype: str = "float64", **kw) -> bs.Simulator:
    model = getattr(bs.models, case["model"])(**case.get("model_params", {}))
    if case.get("voi"):
        model.variables_of_interest = case["voi"]
    cpl = getattr(bs.coupling, case["coupling"])(**case.get("coupling_params", {}))
    dt = case["dt"]
    if case.get("noise"):
        kind, nsig = case["noise"]
        integ = getattr(bs.integrators, case["integrator"])(dt=dt, noise=getattr(bs.noise, kind)(nsig=nsig))
    else:
        integ = getattr(bs.integrators, case["integrator"])(dt=dt)
    mon_name, period = case["monitor"]
    mon = getattr(bs.monitors, mon_name)() if mon_name == "Raw" else getattr(bs.monitors, mon_name)(period=period)
    ic = np.repeat(x0[None], horizon(dt), axis=0)
    if case.get("stimulus"):
        name, params, weight = case["stimulus"]
        kw["stimulus"] = bs.stimuli.StimuliRegion(temporal=getattr(bs.equations, name)(**params), weight=weight)
    return bs.Simulator(bs.Connectivity.from_tvb_data(), model, cpl, integ, [mon], initial_conditions=ic, seed=seed,
                        dtype=dtype, **kw)


def run_ours(case: dict, x0: np.ndarray, seed: int = 0, **kw):
    ds = make_sim(case, x0, seed=seed, **kw).run(case["length"])
    name = [v for v in ds.data_vars if v not in ("diverged", "divergence_time")][0]
    return ds["time"].values, ds[name].values, ds


def relative_error(ours: np.ndarray, ref: np.ndarray) -> float:
    """max |ours - ref| / max |ref|."""
    return float(np.abs(ours - ref).max() / np.abs(ref).max())

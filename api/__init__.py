"""brainsweep: whole-brain network simulation and distributed parameter exploration.

Quick start (TVB's resting-state script)::

    import brainsweep as bs

    sim = bs.Simulator(
        connectivity=bs.Connectivity.from_tvb_data(),            # TVB's default 76-region connectome
        model=bs.models.Generic2dOscillator(),
        coupling=bs.coupling.Linear(a=0.042),
        integrator=bs.integrators.HeunDeterministic(dt=2**-4),
        monitors=[bs.monitors.TemporalAverage(period=2.0)],
    )
    ds = sim.run(10_000.0)        # xarray.Dataset: temporal_average(time, variable, region)

Sub-packages: :mod:`brainsweep.engine` (simulation), :mod:`brainsweep.explore` (sweeps and studies on Dask),
:mod:`brainsweep.storage` (Zarr results), :mod:`brainsweep.dashboards` (Panel apps).
"""
from importlib import metadata as _metadata

from .engine import (Additive, Connectivity, Coupling, Epileptor, EulerDeterministic, EulerStochastic,
                     Generic2dOscillator, HeunDeterministic, HeunStochastic, JansenRit, Kuramoto, Model,
                     MontbrioPazoRoxin, Multiplicative, Parameter, Raw, ReducedWongWang, ReducedWongWangExcInh,
                     RungeKutta4thOrderDeterministic, Simulator, SubSample, SupHopf, Bold, BalloonWindkessel, PoissonSpikes, equations, stimuli,
                     TemporalAverage, WilsonCowan, coupling, integrators, models, monitors, noise,
                     Cortex, FCDSummary, FCSummary, LocalConnectivity, SpatialAverage, synthetic)

try:
    __version__ = _metadata.version("brainsweep")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from an unpacked tree
    __version__ = "0+unknown"

__all__ = [
    "Simulator", "FCSummary", "FCDSummary", "Connectivity", "Model", "Parameter", "Coupling",
    "models", "coupling", "integrators", "noise", "monitors", "equations", "stimuli",
    "Generic2dOscillator", "Kuramoto", "SupHopf", "ReducedWongWang", "ReducedWongWangExcInh", "JansenRit",
    "WilsonCowan", "MontbrioPazoRoxin", "Epileptor",
    "EulerDeterministic", "HeunDeterministic", "RungeKutta4thOrderDeterministic", "EulerStochastic",
    "HeunStochastic", "Additive", "Multiplicative", "Raw", "SubSample", "TemporalAverage", "Bold",
    "BalloonWindkessel", "PoissonSpikes", "Cortex", "LocalConnectivity", "SpatialAverage", "synthetic", "__version__",
]

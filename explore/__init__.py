"""Parameter exploration: sweeps over grids of parameters, scheduled on Dask, stored in Zarr.

``sweep(spec, store)`` runs a spec (YAML/TOML file, dict or :class:`SweepSpec`) on an embedded LocalCluster (or
any Dask cluster) and returns the labelled results; ``brainsweep sweep spec.yaml -o results.zarr`` does the same
from the command line. ``optimize(spec, store, trials)`` (``brainsweep optimize``) runs an Optuna study whose
trials are simulated in engine batches on the same workers. The engine does the simulating; this package knows
Dask and Optuna, not numba.
"""
import importlib

# Names resolve on first use, so that importing a light module (``brainsweep.explore.build``, ``.spec``) does
# not import Dask and Optuna (the dashboards re-simulate points without them).
_EXPORTS = {
    "optimize": "studies", "StudyReport": "studies", "StudyMismatchError": "studies",
    "SweepPlan": "plan", "point_seed": "plan",
    "sweep": "schedule", "connect": "schedule", "SweepReport": "schedule",
    "StudySpec": "search", "load_study": "search", "parse_study": "search",
    "SpecError": "spec", "SweepSpec": "spec", "load_spec": "spec", "parse_spec": "spec",
    "simulate_point": "build",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)

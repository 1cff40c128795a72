"""Parameter exploration: sweeps over grids of parameters, scheduled on Dask, stored in Zarr.

``sweep(spec, store)`` runs a spec (YAML/TOML file, dict or :class:`SweepSpec`) on an embedded LocalCluster (or
any Dask cluster) and returns the labelled results; ``brainsweep sweep spec.yaml -o results.zarr`` does the same
from the command line. ``optimize(spec, store, trials)`` (``brainsweep optimize``) runs an Optuna study whose
trials are simulated in engine batches on the same workers. The engine does the simulating; this package knows
Dask and Optuna, not numba.
"""
from .optimize import StudyMismatchError, StudyReport, optimize
from .plan import SweepPlan, point_seed
from .schedule import SweepReport, connect, sweep
from .search import StudySpec, load_study, parse_study
from .spec import SpecError, SweepSpec, load_spec, parse_spec

__all__ = ["optimize", "StudyReport", "StudyMismatchError", "StudySpec", "load_study", "parse_study", "sweep", "connect", "SweepReport", "SweepSpec", "SweepPlan", "SpecError", "load_spec", "parse_spec",
           "point_seed"]

"""Sweep specs shared by tests."""

#: ReducedWongWang + Balloon-Windkessel BOLD on the bundled HCP 80 regions, FC fit to the bundled empirical FC
#: (12 s simulated at dt 0.5 ms: about a second per point here). Add ``name`` and ``axes`` (or ``search``).
RWW_FC_FIT = {
    "connectivity": {"dataset": "hcp80", "conduction_speed": 10.0},
    "model": {"name": "ReducedWongWang", "initial_state": {"S": 0.1}}, "coupling": {"name": "Linear"},
    "integrator": {"name": "HeunStochastic", "dt": 0.5, "noise": {"nsig": 1e-4}},
    "monitors": [{"name": "BalloonWindkessel", "period": 720.0}],
    "features": [{"name": "fc_fit", "monitor": "balloon_windkessel", "empirical": "hcp80"}],
    "length": 12000.0, "transient": 2000.0, "seed": 5, "dtype": "float32",
}

#: ReducedWongWang with a 10 ms TemporalAverage and its per-region mean and std, one point per block: cheap
#: points for tests about where blocks run (Slurm jobs, containers). Add ``name``, ``length``, ``seed``, ``axes``.
RWW_MEAN_STD = {
    "connectivity": {"dataset": "hcp80", "conduction_speed": 10.0},
    "model": {"name": "ReducedWongWang", "initial_state": {"S": 0.1}}, "coupling": {"name": "Linear"},
    "integrator": {"name": "HeunStochastic", "dt": 0.5, "noise": {"nsig": 1.0e-4}},
    "monitors": [{"name": "TemporalAverage", "period": 10.0}],
    "features": [{"name": "mean", "monitor": "temporal_average"}, {"name": "std", "monitor": "temporal_average"}],
    "batch_size": 1,
}

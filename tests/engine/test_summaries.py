"""Summaries returned instead of series (``Simulator.run(..., summaries=...)``): on the CPU they equal the
features computed from the recorded series; bad fields get one clear error before anything runs. (The GPU's
values against these: ``tests/helpers/cuda_equivalence.py``'s ``*-fc-summary-*`` and ``*-fcd-summary-*``
variants.)"""
from __future__ import annotations

import numpy as np
import pytest

import brainsweep as bs
from brainsweep.engine import features
from brainsweep.engine.summaries import FCDSummary, FCSummary

N = 6


def _simulator(**kw):
    rng = np.random.default_rng(1)
    w = rng.uniform(size=(N, N))
    np.fill_diagonal(w, 0.0)
    conn = bs.Connectivity(weights=w, tract_lengths=rng.uniform(2.0, 20.0, (N, N)), conduction_speed=5.0,
                           region_labels=[f"{s}{k}" for s in "rl" for k in range(N // 2)])
    return bs.Simulator(connectivity=conn, model=bs.models.ReducedWongWang(), coupling=bs.coupling.Linear(a=0.3),
                        integrator=bs.integrators.HeunStochastic(dt=0.5, noise=bs.noise.Additive(nsig=1e-3)),
                        monitors=[bs.monitors.TemporalAverage(period=2.0),
                                  bs.monitors.BalloonWindkessel(period=10.0)],
                        initial_conditions=np.full((1, N), 0.2), seed=0, **kw)


EMPIRICAL = np.corrcoef(np.random.default_rng(2).normal(size=(50, N)).T)
EMPIRICAL_FCD = np.random.default_rng(3).uniform(-0.1, 0.9, 500)
BATCH = dict(batch={"coupling.a": [0.1, 0.4, 0.8]}, seeds=[1, 2, 3])


@pytest.mark.parametrize("exclude", [False, True])
def test_summaries_equal_the_features_of_the_series(exclude):
    plain = _simulator().run(400.0, **BATCH)
    fc = features.functional_connectivity(plain["balloon_windkessel"], transient=100.0)
    kw = dict(exclude_interhemispheric=exclude, hemispheres=np.arange(N) < N // 2 if exclude else None)
    ds = _simulator().run(400.0, **BATCH, summaries=[FCSummary(transient=100.0, empirical=EMPIRICAL, matrix=True,
                                                               exclude_interhemispheric=exclude)])
    np.testing.assert_array_equal(ds["fc"].values, fc.values)
    np.testing.assert_array_equal(ds["fc_fit"].values, features.fc_fit(fc, EMPIRICAL, **kw).values)
    np.testing.assert_array_equal(ds["fc_rmse"].values, features.fc_rmse(fc, EMPIRICAL, **kw).values)
    assert ds["fc_fit"].attrs["n_pairs"] == (6 if exclude else 15)
    assert np.all(np.abs(ds["fc_fit"].values) > 0)             # a real fit, not NaN or zero
    # the summarised series is left out; the other monitor is labelled as before
    assert "balloon_windkessel" not in ds and "time_balloon_windkessel" not in ds.dims
    np.testing.assert_array_equal(ds["temporal_average"].values, plain["temporal_average"].values)
    assert ds["temporal_average"].dims == plain["temporal_average"].dims


@pytest.mark.parametrize("entries", ["upper", "full"])
def test_an_fcd_summary_equals_the_features_of_the_series(entries):
    plain = _simulator().run(300.0, **BATCH)
    fcd = features.fcd(plain["temporal_average"], window=40.0, step=10.0, transient=50.0, entries=entries)
    ds = _simulator().run(300.0, **BATCH, summaries=[
        FCDSummary(monitor="temporal_average", transient=50.0, window=40.0, step=10.0, empirical=EMPIRICAL_FCD,
                   entries=entries, matrix=True),
        FCSummary(monitor="temporal_average", transient=50.0, empirical=EMPIRICAL, keep_series=True)])
    np.testing.assert_array_equal(ds["fcd"].values, fcd.values)
    assert ds["fcd"].dims == ("batch", "window", "window_to") and ds.sizes["window"] == 22
    np.testing.assert_array_equal(ds["fcd"]["window"].values, fcd["window"].values)
    ks = features.fcd_ks(fcd, EMPIRICAL_FCD).values
    np.testing.assert_array_equal(ds["fcd_ks"].values, ks)
    assert np.all((ks > 0) & (ks < 1))                          # a real distance, not NaN or 0
    # one series, two summaries of it (one keeps it): kept once, equal to the plain run's
    np.testing.assert_array_equal(ds["temporal_average"].values, plain["temporal_average"].values)


def test_a_kept_series_is_the_series_of_a_run_without_summaries():
    plain = _simulator().run(300.0, **BATCH)
    ds = _simulator().run(300.0, **BATCH, summaries=[FCSummary(transient=50.0, empirical=EMPIRICAL,
                                                               keep_series=True)])
    np.testing.assert_array_equal(ds["balloon_windkessel"].values, plain["balloon_windkessel"].values)
    fc = features.functional_connectivity(plain["balloon_windkessel"], transient=50.0)
    np.testing.assert_array_equal(ds["fc_fit"].values, features.fc_fit(fc, EMPIRICAL).values)
    assert "fc" not in ds                                    # the matrix only on request


@pytest.mark.parametrize("summary, message", [
    (FCSummary(monitor="bold", empirical=EMPIRICAL), "FCSummary.monitor 'bold': allowed"),
    (FCSummary(transient=1000.0, empirical=EMPIRICAL), "FCSummary.transient: 0 sample"),
    (FCSummary(transient=-1.0, empirical=EMPIRICAL), "FCSummary.transient must be"),
    (FCSummary(empirical=np.eye(N + 1)), r"FCSummary.empirical must be \(6, 6\)"),
    (FCSummary(variable="V", empirical=EMPIRICAL), r"FCSummary.variable 'V': allowed \['S'\]"),
    (FCSummary(name="temporal_average", matrix=True), "already taken"),
    (FCSummary(), "nothing to compute"),
    ("fc", "summaries\\[0\\] must be an FCSummary or an FCDSummary"),
    (FCDSummary(monitor="temporal_average", window=300.0, step=50.0, empirical=EMPIRICAL_FCD),
     r"FCDSummary.window: 1 window of 300.0 ms every 50.0 ms fits"),
    (FCDSummary(monitor="temporal_average", window=1.0, empirical=EMPIRICAL_FCD),
     r"FCDSummary.window = 1.0 ms is 0 samples of 2 ms; need 2..150"),
    (FCDSummary(monitor="temporal_average", window=20.0, step=0.5, empirical=EMPIRICAL_FCD),
     r"FCDSummary.step = 0.5 ms is less than one sample \(2 ms\)"),
    (FCDSummary(monitor="temporal_average", window=-3.0, empirical=EMPIRICAL_FCD),
     r"FCDSummary.window must be a number of ms > 0, got -3.0"),
    (FCDSummary(monitor="temporal_average", window=20.0, step=10.0, entries="diag", empirical=EMPIRICAL_FCD),
     r"FCDSummary.entries must be 'upper' or 'full', got 'diag'"),
    (FCDSummary(monitor="temporal_average", window=20.0, step=10.0, empirical=[np.nan]),
     "FCDSummary.empirical has no finite values"),
    (FCDSummary(monitor="temporal_average", window=20.0, step=10.0), "FCDSummary: nothing to compute"),
    (FCDSummary(monitor="temporal_average", window=20.0, step=10.0, name="temporal_average", matrix=True,
                empirical=EMPIRICAL_FCD), "already taken"),
])
def test_bad_fields_fail_before_running(summary, message):
    sim = _simulator()
    with pytest.raises(ValueError, match=message):
        sim.run(300.0, **BATCH, summaries=[summary])
    assert sim.current_step == 0


def test_hemispheres_that_cannot_be_known_fail_before_running():
    rng = np.random.default_rng(1)
    conn = bs.Connectivity(weights=rng.uniform(size=(N, N)), tract_lengths=rng.uniform(2.0, 20.0, (N, N)),
                           region_labels=[f"area{k}" for k in range(N)])
    sim = bs.Simulator(connectivity=conn, monitors=[bs.monitors.TemporalAverage(period=1.0)])
    with pytest.raises(ValueError, match="FCSummary.exclude_interhemispheric: .*hemispheres"):
        sim.run(50.0, summaries=[FCSummary(monitor="temporal_average", empirical=EMPIRICAL,
                                           exclude_interhemispheric=True)])
    assert sim.current_step == 0

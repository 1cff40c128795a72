"""Observables beyond the state: LFP-like expressions of state variables and Poisson spike counts."""
import numpy as np
from scipy import stats

import brainsweep as bs

CONN = bs.Connectivity.from_tvb_data()


def test_lfp_like_observable_is_an_expression_of_state_variables():
    model = bs.models.JansenRit(variables_of_interest=("y1 - y2", "y1", "y2"))
    ds = bs.Simulator(CONN, model, bs.coupling.SigmoidalJansenRit(a=10.0), bs.integrators.HeunDeterministic(dt=0.1),
                      [bs.monitors.TemporalAverage(period=1.0)], seed=2).run(200.0)
    lfp, y1, y2 = (ds.temporal_average.sel(variable=v).values for v in ("y1 - y2", "y1", "y2"))
    np.testing.assert_allclose(lfp, y1 - y2, rtol=1e-12, atol=1e-12)
    assert np.ptp(lfp) > 1.0


def spikes(rate, seeds, length=20_000.0, chunk_steps=None):
    sim = bs.Simulator(CONN, bs.models.Linear(gamma=0.0), bs.coupling.Linear(a=0.0),
                       bs.integrators.EulerDeterministic(dt=0.5),
                       [bs.monitors.PoissonSpikes(period=2.0, rate_scale=1e-3, n_neurons=10)],
                       initial_conditions=np.full((1, 76), rate))
    return sim.run(length, batch={"model.gamma": [0.0] * len(seeds)}, seeds=seeds,
                   chunk_steps=chunk_steps).poisson_spikes.values[:, :, 0]


def test_poisson_counts_have_the_rate_and_poisson_statistics():
    rate_hz = np.linspace(0, 50, 76)
    counts = spikes(rate_hz, seeds=[1])[0]                 # (bins, region), 2 ms bins, 10 neurons
    expected = rate_hz * 1e-3 * 10 * 2.0
    n = counts.shape[0]
    assert np.all(np.abs(counts.mean(0) - expected) < 5 * np.sqrt(expected / n) + 1e-12)
    busy = expected > 0.5
    np.testing.assert_allclose(counts.var(0)[busy] / expected[busy], 1.0, atol=0.15)
    lam, c = expected[-1], counts[:, -1].astype(int)
    observed = [np.sum(c == 0), np.sum(c == 1), np.sum(c == 2), np.sum(c >= 3)]
    pmf = [stats.poisson.pmf(0, lam), stats.poisson.pmf(1, lam), stats.poisson.pmf(2, lam), stats.poisson.sf(2, lam)]
    assert stats.chisquare(observed, np.array(pmf) * n).pvalue > 1e-4
    np.testing.assert_array_equal(counts[:, 0], 0)


def test_spike_counts_are_seeded_and_independent_of_batch_and_chunks():
    rate = np.full(76, 20.0)
    a = spikes(rate, seeds=[3, 4], length=400.0)
    b = spikes(rate, seeds=[4], length=400.0, chunk_steps=37)
    np.testing.assert_array_equal(a[1], b[0])
    assert np.any(a[0] != a[1])

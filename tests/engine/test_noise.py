r"""Noise against analytic results: the Ornstein-Uhlenbeck process and the generator's statistics.

TVB's Linear model without coupling is :math:`\dot x = \gamma x + \sqrt{2 D}\,\xi(t)` with ``D = nsig``: an
Ornstein-Uhlenbeck process whose stationary variance is :math:`D / |\gamma|`.
"""
import numpy as np
import pytest
from scipy import stats

import brainsweep as bs
from brainsweep.engine.rng import normals

CONN = bs.Connectivity.from_tvb_data()


def ou_samples(integrator, nsig, gamma=-10.0, length=500.0, seeds=range(6)):
    sim = bs.Simulator(CONN, bs.models.Linear(gamma=gamma), bs.coupling.Linear(a=0.0), integrator,
                       [bs.monitors.SubSample(period=0.5)], initial_conditions=np.zeros((1, 76)))
    seeds = list(seeds)
    ds = sim.run(length, batch={"noise.nsig": [nsig] * len(seeds)}, seeds=seeds)
    return ds.sub_sample.values[:, 100:, 0, :]      # drop 50 ms of transient (>> 1/|gamma| = 0.1 ms)


@pytest.mark.parametrize("integrator, dt", [(bs.integrators.HeunStochastic, 0.01),
                                            (bs.integrators.EulerStochastic, 0.002)])
def test_ou_stationary_variance_matches_nsig_over_gamma(integrator, dt):
    nsig, gamma = 2e-3, -10.0
    x = ou_samples(integrator(dt=dt, noise=bs.noise.Additive(nsig=nsig)), nsig, gamma)
    expected = nsig / abs(gamma)
    # ~410,000 nearly independent samples: a standard error of 0.2%; Euler's discrete-time variance is 1% above
    # the continuous one (a factor 1 / (1 - |gamma| dt / 2)), Heun's 0.01% below
    assert abs(x.var() / expected - 1) < 0.02
    assert abs(x.mean()) < 0.02 * np.sqrt(expected)


def test_ou_variance_follows_per_region_nsig():
    nsig = np.linspace(1e-4, 4e-3, 76)
    sim = bs.Simulator(CONN, bs.models.Linear(gamma=-10.0), bs.coupling.Linear(a=0.0),
                       bs.integrators.HeunStochastic(dt=0.01, noise=bs.noise.Additive(nsig=nsig)),
                       [bs.monitors.SubSample(period=0.5)], initial_conditions=np.zeros((1, 76)), seed=3)
    x = sim.run(2000.0).sub_sample.values[100:, 0, :]
    ratio = x.var(axis=0) / (nsig / 10.0)
    # each region has ~3,800 samples 0.5 ms apart (independent): variance within 3 standard errors
    assert np.all(np.abs(ratio - 1) < 3 * np.sqrt(2 / x.shape[0]) + 0.005)
    assert np.corrcoef(x.var(axis=0), nsig)[0, 1] > 0.99


def test_noise_is_standard_normal_and_independent():
    z = normals(seeds=[1, 2], n_variables=2, n_nodes=77, first_step=0, n_steps=3000)
    flat = z.ravel()
    assert stats.kstest(flat[:400_000], "norm").pvalue > 1e-3
    assert abs(flat.mean()) < 5 / np.sqrt(flat.size) and abs(flat.std() - 1) < 5 / np.sqrt(flat.size)
    # no correlation between the two nodes sharing a hash, across members, variables or consecutive steps
    half = 39
    for a, b in [(z[:, 0, 0, 0], z[:, 0, half, 0]), (z[:, 0, 5, 0], z[:, 0, 5, 1]), (z[:, 0, 5, 0], z[:, 1, 5, 0]),
                 (z[1:, 0, 5, 0], z[:-1, 0, 5, 0])]:
        assert abs(np.corrcoef(a, b)[0, 1]) < 4 / np.sqrt(a.size)


def test_noise_depends_only_on_seed_step_variable_and_node():
    z = normals(seeds=[7, 8], n_variables=2, n_nodes=10, first_step=100, n_steps=50)
    again = normals(seeds=[8], n_variables=2, n_nodes=10, first_step=120, n_steps=10)
    np.testing.assert_array_equal(z[20:30, ..., 1], again[..., 0])
    f32 = normals(seeds=[7], n_variables=1, n_nodes=10, first_step=0, n_steps=2000, dtype="float32")
    assert f32.dtype == np.float32 and abs(f32.std() - 1) < 0.03

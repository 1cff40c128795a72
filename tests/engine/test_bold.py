"""BOLD monitors: TVB's kernel method against tvb-library, the Balloon-Windkessel model against its fixed point,
and both against themselves when the run is chunked."""
import numpy as np
import pytest
from tvb_oracle import initial_state, relative_error, run_ours, run_tvb

import brainsweep as bs
from brainsweep.engine.bold import balloon_steady_state

CONN = bs.Connectivity.from_tvb_data()
BOLD_CASE = dict(model="ReducedWongWang", coupling="Linear", coupling_params={"a": 0.5},
                 integrator="HeunDeterministic", dt=0.5, monitor=("Bold", 500.0), length=12000.0)


def test_bold_matches_tvb():
    pytest.importorskip("tvb.simulator")
    x0 = initial_state("ReducedWongWang", 3)
    t_ref, ref = run_tvb(BOLD_CASE, x0)
    _, ref64 = run_tvb(BOLD_CASE, x0, float64_history=True)
    t, ours, _ = run_ours(BOLD_CASE, x0)
    np.testing.assert_allclose(t, t_ref)
    assert ours.shape == ref.shape == (24, 1, 76)
    assert np.ptp(ref[-5:]) > 0.01
    assert relative_error(ours, ref) < 1e-6
    assert relative_error(ours, ref64) < 1e-12


@pytest.mark.parametrize("kernel", ["Gamma", "DoubleExponential", "MixtureOfGammas"])
def test_hrf_kernels_match_tvb_equations(kernel):
    equations = pytest.importorskip("tvb.datatypes.equations")
    t = np.arange(0.0, 20.0, 0.004)
    np.testing.assert_allclose(getattr(bs.engine.bold, kernel)().evaluate(t),
                               getattr(equations, kernel)().evaluate(t), rtol=1e-12, atol=1e-15)


def test_balloon_windkessel_reaches_the_analytic_fixed_point():
    z = np.linspace(0.0, 0.5, 76)
    sim = bs.Simulator(CONN, bs.models.Linear(gamma=0.0), bs.coupling.Linear(a=0.0),
                       bs.integrators.EulerDeterministic(dt=0.5), [bs.monitors.BalloonWindkessel(period=1000.0)],
                       initial_conditions=z[None])
    ds = sim.run(60_000.0)
    bold = ds.balloon_windkessel.values[:, 0]
    expected = np.array([balloon_steady_state(v) for v in z])
    np.testing.assert_allclose(bold[-1], expected, rtol=1e-6, atol=1e-9)
    assert expected[-1] > 0.01 and abs(expected[0]) < 1e-15
    # the response rises over seconds, not instantly
    assert bold[0, -1] < 0.8 * expected[-1]


@pytest.mark.parametrize("monitor", [bs.monitors.Bold(period=1000.0), bs.monitors.BalloonWindkessel(period=500.0)],
                         ids=["Bold", "BalloonWindkessel"])
def test_chunked_bold_equals_one_long_run(monitor):
    def make():
        return bs.Simulator(CONN, bs.models.ReducedWongWang(), bs.coupling.Linear(a=0.3),
                            bs.integrators.HeunStochastic(dt=0.5, noise=bs.noise.Additive(nsig=1e-4)),
                            [monitor.copy()], seed=5)

    one = make().run(8000.0)
    name = [v for v in one.data_vars if v not in ("diverged", "divergence_time")][0]
    small = make().run(8000.0, chunk_steps=333)
    sim = make()
    parts = [sim.run(2999.5), sim.run(5000.5)]
    np.testing.assert_array_equal(one[name].values, small[name].values)
    np.testing.assert_array_equal(one[name].values, np.concatenate([p[name].values for p in parts]))
    assert one[name].sizes["time"] == 8000.0 / monitor.period


def test_bold_period_must_fit_its_averaging_window():
    with pytest.raises(ValueError, match="multiple of"):
        bs.Simulator(CONN, bs.models.ReducedWongWang(), monitors=[bs.monitors.Bold(period=1001.0)],
                     integrator=bs.integrators.HeunDeterministic(dt=0.5)).run(10.0)

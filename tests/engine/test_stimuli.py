"""Stimuli against tvb-library's StimuliRegion, and time-varying parameters against equivalent runs."""
import numpy as np
import pytest
from tvb_oracle import initial_state, relative_error, run_ours, run_tvb

import brainsweep as bs

CONN = bs.Connectivity.from_tvb_data()
W = np.zeros(76)
W[[3, 10, 40]] = [1.0, 0.5, 2.0]
PULSES = ("PulseTrain", {"T": 10.0, "tau": 2.0, "amp": 0.5, "onset": 5.0}, W)
G2D = dict(model="Generic2dOscillator", coupling="Linear", coupling_params={"a": 0.0152}, dt=0.0625,
           monitor=("Raw", None), length=60.0, voi=("V", "W"))
CASES = {
    "pulses-heun": dict(G2D, integrator="HeunDeterministic", stimulus=PULSES),
    "pulses-euler": dict(G2D, integrator="EulerDeterministic", stimulus=PULSES),
    "pulses-rk4": dict(G2D, integrator="RungeKutta4thOrderDeterministic", stimulus=PULSES),
    "sinusoid-heun-stochastic": dict(G2D, integrator="HeunStochastic", noise=("Additive", 1e-4),
                                     stimulus=("Sinusoid", {"amp": 1.0, "frequency": 0.04}, W)),
    "gaussian-montbrio": dict(model="MontbrioPazoRoxin", coupling="Linear", coupling_params={"a": 0.05},
                              integrator="HeunDeterministic", dt=0.01, monitor=("SubSample", 0.1), length=10.0,
                              voi=("r", "V"), stimulus=("Gaussian", {"amp": 3.0, "sigma": 1.0, "midpoint": 4.0}, W)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_stimulus_matches_tvb(name):
    pytest.importorskip("tvb.simulator")
    case = CASES[name]
    x0 = initial_state(case["model"], seed=4)
    _, ref = run_tvb(case, x0, float64_history=True, seed=3)
    _, ours, _ = run_ours(case, x0, seed=3)
    assert relative_error(ours, ref) < 1e-12
    unstimulated = dict(case)
    unstimulated.pop("stimulus")
    _, without, _ = run_ours(unstimulated, x0, seed=3)
    assert np.abs(ours - without).max() > 0.1          # the stimulus matters


def test_stimulus_enters_only_stimulated_regions_and_variables():
    sim = bs.Simulator(CONN, bs.models.Linear(gamma=-1.0), bs.coupling.Linear(a=0.0),
                       bs.integrators.EulerDeterministic(dt=0.1), [bs.monitors.Raw()],
                       initial_conditions=np.zeros((1, 76)),
                       stimulus=bs.stimuli.StimuliRegion(temporal=bs.equations.Step(high=2.0, onset=0.0), weight=W))
    x = sim.run(20.0).raw.values[:, 0]
    np.testing.assert_array_equal(x[:, W == 0], 0.0)
    np.testing.assert_allclose(x[-1, W != 0], 2.0 * W[W != 0] * (1 - 0.9 ** 200), rtol=1e-12)


def test_batch_over_stimulus_parameters_equals_separate_runs():
    def sim(**stim):
        return bs.Simulator(CONN, bs.models.Generic2dOscillator(), bs.coupling.Linear(a=0.01),
                            bs.integrators.HeunDeterministic(dt=0.1), [bs.monitors.TemporalAverage(period=1.0)],
                            initial_conditions=np.zeros((2, 76)), stimulus=bs.stimuli.StimuliRegion(
                                temporal=bs.equations.PulseTrain(T=7.7, tau=1.0, **stim), weight=W))

    amps = [0.0, 0.5, 1.5]
    weights = np.stack([W, 2 * W, np.roll(W, 1)])
    ds = sim().run(40.0, batch={"stimulus.amp": amps, "stimulus.weight": weights})
    for b in range(3):
        alone = sim(amp=amps[b])
        alone.stimulus.weight = weights[b]
        np.testing.assert_array_equal(ds.temporal_average.values[b], alone.run(40.0).temporal_average.values)


def test_time_varying_parameter_equals_a_parameter_changed_between_runs():
    make = lambda **kw: bs.Simulator(CONN, bs.models.Linear(gamma=-1.0), bs.coupling.Linear(a=0.01),
                                     bs.integrators.HeunDeterministic(dt=0.1), [bs.monitors.Raw()],
                                     initial_conditions=np.ones((1, 76)), **kw)
    step = make(time_varying={"model.gamma": bs.equations.Step(low=-1.0, high=-3.0, onset=10.0)}).run(20.0)
    two = make()
    first = two.run(10.0)
    two.model.gamma = -3.0
    second = two.run(10.0)
    np.testing.assert_array_equal(step.raw.values, np.concatenate([first.raw.values, second.raw.values]))


def test_time_varying_coupling_matches_a_direct_loop():
    a_of_t = bs.equations.Offset(bs.equations.Sinusoid(amp=0.02, frequency=0.05), base=0.03)
    x0 = np.linspace(-1, 1, 76)
    sim = bs.Simulator(CONN, bs.models.Linear(gamma=-0.5), bs.coupling.Linear(), bs.integrators.EulerDeterministic(dt=0.1),
                       [bs.monitors.Raw()], initial_conditions=x0[None], conduction_speed=1e9,
                       time_varying={"coupling.a": a_of_t})
    ours = sim.run(30.0).raw.values[:, 0]
    x, ref = x0.copy(), []
    for n in range(300):
        x = x + 0.1 * (-0.5 * x + a_of_t.evaluate(n * 0.1) * (CONN.weights @ x))
        ref.append(x)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-14)


def test_bad_stimulus_and_time_varying_input():
    with pytest.raises(ValueError, match="weight has 3 values"):
        bs.Simulator(CONN, stimulus=bs.stimuli.StimuliRegion(temporal=bs.equations.Sinusoid(), weight=[1, 2, 3])).run(1.0)
    with pytest.raises(ValueError, match="time_varying key 'model.nope'"):
        bs.Simulator(CONN, time_varying={"model.nope": bs.equations.Sinusoid()}).run(1.0)
    with pytest.raises(ValueError, match="temporal must be a brainsweep Equation"):
        bs.stimuli.StimuliRegion(temporal="pulse", weight=W)

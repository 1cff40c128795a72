"""brainsweep against the real TVB (tvb-library): every model, coupling, integrator and monitor.

Deterministic runs on TVB's default 76-region connectome with delays (3 mm/ms) must match TVB's
trajectories to 1e-6 of the signal's range. With TVB's float32 delay buffer switched to float64 (see
``tvb_oracle.tvb_float64_history``) they must match to rounding (1e-9), which shows the remaining 1e-8-ish
differences come from TVB's float32 history alone. Stochastic schemes run TVB's own scheme code on
brainsweep's noise.
"""
import json

import numpy as np
import pytest
from paths import SHARED
from tvb_oracle import initial_state, relative_error, run_ours, run_tvb

pytest.importorskip("tvb.simulator")

MS = ("SubSample", 1.0)
CASES = {
    # models, each with a typical coupling
    "g2d-linear-heun": dict(model="Generic2dOscillator", coupling="Linear", coupling_params={"a": 0.0152},
                            integrator="HeunDeterministic", dt=0.0625, monitor=("TemporalAverage", 1.0), length=120,
                            voi=("V", "W")),
    "kuramoto-kuramoto": dict(model="Kuramoto", coupling="Kuramoto", coupling_params={"a": 0.5},
                              integrator="HeunDeterministic", dt=0.1, monitor=MS, length=100, stock_length=20),
    "suphopf-difference": dict(model="SupHopf", model_params={"a": 0.2}, x0_scale=0.2, coupling="Difference",
                               coupling_params={"a": 0.05}, integrator="HeunDeterministic", dt=0.1, monitor=MS,
                               length=100, voi=("x", "y")),
    "rww-linear-heun": dict(model="ReducedWongWang", coupling="Linear", coupling_params={"a": 0.5},
                            integrator="HeunDeterministic", dt=0.1, monitor=MS, length=100),
    "rwwei-linear": dict(model="ReducedWongWangExcInh", coupling="Linear", coupling_params={"a": 0.2},
                         integrator="HeunDeterministic", dt=0.1, monitor=MS, length=100, voi=("S_e", "S_i")),
    "jansenrit-sjr": dict(model="JansenRit", coupling="SigmoidalJansenRit", coupling_params={"a": 10.0},
                          integrator="HeunDeterministic", dt=0.1, monitor=("TemporalAverage", 1.0), length=100,
                          voi=("y0", "y1", "y2", "y3", "y4", "y5")),
    "wilsoncowan-linear-rk4": dict(model="WilsonCowan", coupling="Linear", coupling_params={"a": 0.1},
                                   integrator="RungeKutta4thOrderDeterministic", dt=0.1, monitor=MS, length=100,
                                   voi=("E", "I")),
    "montbrio-linear": dict(model="MontbrioPazoRoxin", coupling="Linear", coupling_params={"a": 0.05},
                            integrator="HeunDeterministic", dt=0.01, monitor=("SubSample", 0.5), length=40,
                            voi=("r", "V"), stock_length=1.5, stock_monitor=("Raw", None)),
    "epileptor-difference": dict(model="Epileptor", model_params={"Ks": -0.2, "Kf": 0.1, "Kvf": 0.05},
                                 coupling="Difference", coupling_params={"a": 1.0}, integrator="HeunDeterministic",
                                 dt=0.05, monitor=("SubSample", 0.5), length=100,
                                 voi=("x1", "y1", "z", "x2", "y2", "g")),
    "linear-linear-euler": dict(model="Linear", coupling="Linear", coupling_params={"a": 0.01},
                                integrator="EulerDeterministic", dt=0.1, monitor=("Raw", None), length=50),
    # the remaining couplings
    "g2d-scaling": dict(model="Generic2dOscillator", coupling="Scaling", coupling_params={"a": 0.02},
                        integrator="HeunDeterministic", dt=0.0625, monitor=MS, length=100),
    "g2d-sigmoidal": dict(model="Generic2dOscillator", coupling="Sigmoidal", coupling_params={"a": 2.0, "sigma": 50.0},
                          integrator="HeunDeterministic", dt=0.0625, monitor=MS, length=100),
    "g2d-tanh": dict(model="Generic2dOscillator", coupling="HyperbolicTangent",
                     coupling_params={"a": 0.01, "sigma": 2.0}, integrator="HeunDeterministic", dt=0.0625,
                     monitor=MS, length=100),
    "wilsoncowan-difference": dict(model="WilsonCowan", coupling="Difference", coupling_params={"a": 0.05},
                                   integrator="HeunDeterministic", dt=0.1, monitor=MS, length=100),
    # the remaining integrators, and a variable of interest that is an expression
    "g2d-linear-euler": dict(model="Generic2dOscillator", coupling="Linear", coupling_params={"a": 0.0152},
                             integrator="EulerDeterministic", dt=0.0625, monitor=("TemporalAverage", 1.0),
                             length=100, voi=("V - W",)),
    "g2d-linear-rk4": dict(model="Generic2dOscillator", coupling="Linear", coupling_params={"a": 0.0152},
                           integrator="RungeKutta4thOrderDeterministic", dt=0.0625, monitor=("Raw", None),
                           length=30, voi=("V", "W")),
    "rww-linear-euler": dict(model="ReducedWongWang", coupling="Linear", coupling_params={"a": 0.5},
                             integrator="EulerDeterministic", dt=0.1, monitor=MS, length=100),
    "rww-linear-rk4": dict(model="ReducedWongWang", coupling="Linear", coupling_params={"a": 0.5},
                           integrator="RungeKutta4thOrderDeterministic", dt=0.1, monitor=MS, length=100),
    # stochastic schemes on brainsweep's noise
    "g2d-heun-stochastic": dict(model="Generic2dOscillator", coupling="Linear", coupling_params={"a": 0.0152},
                                integrator="HeunStochastic", dt=0.0625, noise=("Additive", 1e-3),
                                monitor=("Raw", None), length=40, voi=("V", "W")),
    "rww-euler-stochastic": dict(model="ReducedWongWang", coupling="Linear", coupling_params={"a": 0.5},
                                 integrator="EulerStochastic", dt=0.1, noise=("Additive", 1e-4), monitor=MS,
                                 length=100),
    "linear-heun-multiplicative": dict(model="Linear", coupling="Linear", coupling_params={"a": 0.01},
                                       integrator="HeunStochastic", dt=0.1, noise=("Multiplicative", 1e-2),
                                       monitor=("Raw", None), length=50),
}


def _x0(name):
    case = CASES[name]
    return initial_state(case["model"], seed=sorted(CASES).index(name)) * case.get("x0_scale", 1.0)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_tvb(name):
    """Stock TVB, to 1e-6 of the signal range. For fast (Montbrio) or phase-accumulating (Kuramoto) models
    TVB's own float32 delay buffer drifts from the float64 solution beyond 1e-6 within tens of ms, so those
    are compared over a shorter stretch here and over the full length in the float64-history test below."""
    case = dict(CASES[name])
    case["length"] = case.get("stock_length", case["length"])
    case["monitor"] = case.get("stock_monitor", case["monitor"])
    x0 = _x0(name)
    t_ref, ref = run_tvb(case, x0, seed=7)
    t, ours, ds = run_ours(case, x0, seed=7)
    np.testing.assert_allclose(t, t_ref, rtol=0, atol=1e-9)
    assert ours.shape == ref.shape
    assert np.ptp(ref) > 0, "the reference must move, or the test proves nothing"
    assert relative_error(ours, ref) < 1e-6
    assert not bool(ds.diverged)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_tvb_float64_history_to_rounding(name):
    case = CASES[name]
    x0 = _x0(name)
    _, ref = run_tvb(case, x0, float64_history=True, seed=7)
    _, ours, _ = run_ours(case, x0, seed=7)
    assert np.all(np.isfinite(ref))
    assert relative_error(ours, ref) < 1e-9


def test_tvb_float32_history_is_the_only_difference():
    """Stock TVB and float64-history TVB differ by about as much as brainsweep and stock TVB do."""
    case = CASES["rww-linear-heun"]
    x0 = initial_state(case["model"], seed=1)
    _, stock = run_tvb(case, x0)
    _, exact = run_tvb(case, x0, float64_history=True)
    _, ours, _ = run_ours(case, x0)
    assert 1e-10 < relative_error(exact, stock) < 1e-6
    assert relative_error(ours, exact) < 1e-12


REFS = SHARED / "refs" / "tvb"


@pytest.mark.skipif(not REFS.exists(), reason="../shared/refs/tvb not available")
@pytest.mark.parametrize("ref_file", sorted(p.name for p in REFS.glob("*.npz")) if REFS.exists() else [])
def test_stored_tvb_references(ref_file):
    d = np.load(REFS / ref_file)
    spec = json.loads(str(d["spec"]))
    case = dict(model=spec["model"], model_params=spec["model_params"], coupling=spec["coupling"],
                coupling_params=spec["coupling_params"], integrator=spec["integrator"], dt=spec["dt"],
                monitor=(spec["monitor"], spec["monitor_params"].get("period")), length=spec["simulation_length"],
                voi=tuple(spec["variables_of_interest"]))
    t, ours, _ = run_ours(case, d["x0"])
    np.testing.assert_allclose(t, d["time"], rtol=0, atol=1e-9)
    assert relative_error(ours, d["data"][..., 0]) < 1e-6

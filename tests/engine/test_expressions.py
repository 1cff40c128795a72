"""Model and coupling functions: how they are rewritten, refused, and run as user-defined models."""
import numpy as np
import pytest

import brainsweep as bs
from brainsweep.engine.expressions import ExpressionError, ScalarFunction

SCALE = 2.5


def test_rewrites_literals_powers_selects_and_numpy_calls():
    def f(x, y):
        z = x ** 3 + x ** -2 + x ** 0.5 + x ** y + np.exp(-x) + SCALE
        return z if x > 1 and y < 2 else -z

    fn = ScalarFunction.from_function(f, "g", "test")
    assert "ipow3(x)" in fn.body and "_T(1.0) / ipow2(x)" in fn.body and "sqrt(x)" in fn.body
    assert "pow(x, y)" in fn.body and "exp(-x)" in fn.body and "_T(2.5)" in fn.body
    assert "where(" in fn.body and "&" in fn.body
    x, y = np.array([0.5, 1.5, 3.0]), np.array([1.0, 1.0, 3.0])
    z = x ** 3 + x ** -2.0 + np.sqrt(x) + x ** y + np.exp(-x) + SCALE
    np.testing.assert_allclose(fn.evaluate(x, y), np.where((x > 1) & (y < 2), z, -z), rtol=1e-15)


def test_divisions_by_parameters_and_literals_become_reciprocal_products():
    def f(x, tau, k):
        return x / tau + x / 3.0 + 1.0 / tau + tau / x + x / (tau * k)

    fn = ScalarFunction.from_function(f, "g", "test", parameters=("tau", "k"))
    # the reciprocal of a parameter does not depend on the node, lane or step: the kernel computes it once
    assert "x * (_T(1.0) / tau)" in fn.body and "x * (_T(1.0) / _T(3.0))" in fn.body
    # 1 / tau is already a reciprocal; a state variable or an expression stays a divisor
    assert "+ _T(1.0) / tau +" in fn.body and "tau / x" in fn.body and "x / (tau * k)" in fn.body
    plain = ScalarFunction.from_function(f, "g", "test")
    assert "x / tau" in plain.body
    x, tau, k = np.array([0.3, -2.0, 7.0]), np.array([10.0, 0.5, 3.0]), 2.0
    np.testing.assert_allclose(fn.evaluate(x, tau, k), plain.evaluate(x, tau, k), rtol=4e-16)


def test_arguments_fixed_at_zero_drop_the_terms_they_cancel():
    def f(x, c, lc, g):
        return g * x + c + g * lc - (lc - x) + np.sin(lc) * x + (0.0 * x if x > 0 else lc) + lc / x

    fn = ScalarFunction.from_function(f, "g", "test")
    zero = fn.with_zero_arguments(["lc"])
    assert zero.args == fn.args and "lc" not in zero.body.split(":", 1)[1]      # the signature stays
    assert "g * x + c - -x" in zero.body and "sin" not in zero.body
    assert "_T(0.0) / x" in zero.body                                       # 0 / 0 is NaN: kept
    x = np.array([-1.5, 0.0, 2.0, 3.0])
    with np.errstate(divide="ignore", invalid="ignore"):          # 0 / 0 at x = 0: NaN in both
        np.testing.assert_array_equal(zero.evaluate(x, 0.25, 0.0, 1.5), fn.evaluate(x, 0.25, 0.0, 1.5))
    assert fn.with_zero_arguments([]) is fn and fn.with_zero_arguments(["missing"]) is fn


@pytest.mark.parametrize("name", ["ReducedWongWang", "ReducedWongWangExcInh", "Generic2dOscillator", "JansenRit",
                                  "WilsonCowan", "Kuramoto", "SupHopf", "Epileptor", "Linear"])
def test_region_kernels_model_without_local_coupling_gives_the_same_derivatives(name):
    """Region kernels drop the local-coupling terms (always zero there): the same derivatives, bit for bit."""
    model = getattr(bs.models, name)()
    fn = type(model)._dfun
    local = [a for a in fn.args if a.startswith("lc_")]
    zero = fn.with_zero_arguments(local)
    assert local and not any(a in zero.body.split(":", 1)[1] for a in local)
    rng = np.random.default_rng(1)
    args = []
    for a in fn.args:
        if a in local:
            args.append(np.zeros(64))
        elif a in model.state_variables or a.startswith("c_"):
            args.append(rng.uniform(-1.0, 1.0, 64) if a not in ("S", "S_e", "S_i") else rng.uniform(0, 1, 64))
        else:                                                    # a parameter: its default
            args.append(np.full(64, float(np.ravel(getattr(model, a))[0])))
    for full, folded in zip(np.atleast_2d(fn.evaluate(*args)), np.atleast_2d(zero.evaluate(*args))):
        np.testing.assert_array_equal(folded, full)


def test_refuses_unknown_names_and_bad_signatures():
    def uses_global(x):
        return x + np.random.normal()

    with pytest.raises(ExpressionError, match="np.random"):
        ScalarFunction.from_function(uses_global, "g", "m.dfun")

    helper = object()

    def uses_object(x):
        return helper(x)

    with pytest.raises(ExpressionError, match="uses 'helper'"):
        ScalarFunction.from_function(uses_object, "g", "m.dfun")

    def star(*x):
        return x

    with pytest.raises(ExpressionError, match="plain positional arguments"):
        ScalarFunction.from_function(star, "g", "m.dfun")


def test_model_declaration_errors():
    with pytest.raises(TypeError, match="must take the state variables"):
        class Bad1(bs.Model):
            state_variables = ("x",)
            state_variable_range = {"x": (0, 1)}
            cvar = ("x",)

            @staticmethod
            def dfun(c_0, x):
                return x

    with pytest.raises(TypeError, match="neither a state variable, a coupling input"):
        class Bad2(bs.Model):
            state_variables = ("x",)
            state_variable_range = {"x": (0, 1)}
            cvar = ("x",)

            @staticmethod
            def dfun(x, c_0, k):
                return k * x

    with pytest.raises(TypeError, match="returns 1 value"):
        class Bad3(bs.Model):
            state_variables = ("x", "y")
            state_variable_range = {"x": (0, 1), "y": (0, 1)}
            cvar = ("x",)

            @staticmethod
            def dfun(x, y):
                return x


# A user-defined model, exactly as the README shows it: the FitzHugh-Nagumo oscillator.
class FitzHughNagumo(bs.Model):
    """FitzHugh-Nagumo: dv = v - v^3/3 - w + I + c_0, dw = (v + a - b w) / tau (time in ms)."""

    a = bs.Parameter(0.7, range=(0.0, 1.5), doc="Recovery offset.")
    b = bs.Parameter(0.8, range=(0.0, 1.0), doc="Recovery coupling.")
    tau = bs.Parameter(12.5, range=(1.0, 50.0), unit="ms", doc="Recovery time scale.")
    I = bs.Parameter(0.5, range=(0.0, 2.0), doc="External input.")

    state_variables = ("v", "w")
    state_variable_range = {"v": (-2.0, 2.0), "w": (-1.0, 2.0)}
    variables_of_interest = ("v",)
    cvar = ("v",)

    @staticmethod
    def dfun(v, w, c_0, a, b, tau, I):
        return v - v ** 3 / 3 - w + I + c_0, (v + a - b * w) / tau


def numpy_reference(conn, model, a_coupling, x0, dt, n_steps):
    """Heun with delayed linear coupling, written directly with numpy (delay 0 = current state)."""
    W = conn.weights
    D = np.rint(conn.tract_lengths / conn.conduction_speed / dt).astype(int)
    ii, jj = np.nonzero(W)
    H = D[ii, jj].max() + 1
    hist = [x0[0].copy() for _ in range(H)]
    x = x0.copy()
    out = []
    for _ in range(n_steps):
        c = np.zeros(x.shape[1])
        np.add.at(c, ii, W[ii, jj] * np.array([hist[-1 - d][j] for d, j in zip(D[ii, jj], jj)]))
        c = a_coupling * c
        f1 = model.evaluate_dfun(x, c[None])
        f2 = model.evaluate_dfun(x + dt * f1, c[None])
        x = x + dt / 2 * (f1 + f2)
        hist.append(x[0].copy())
        hist = hist[-H:]
        out.append(x.copy())
    return np.array(out)


def test_user_defined_model_runs_compiled_and_matches_numpy():
    conn = bs.Connectivity.from_tvb_data(68)
    model = FitzHughNagumo(variables_of_interest=("v", "w"))
    x0 = np.stack([np.linspace(-1, 1, 68), np.linspace(0, 1, 68)])
    dt, n = 0.05, 400
    ds = bs.Simulator(conn, model, bs.coupling.Linear(a=0.01), bs.integrators.HeunDeterministic(dt=dt),
                      [bs.monitors.Raw()], initial_conditions=x0).run(n * dt)
    ref = numpy_reference(conn, model, 0.01, x0, dt, n)
    np.testing.assert_allclose(ds.raw.values, ref, rtol=1e-12, atol=1e-12)
    assert np.ptp(ref[:, 0]) > 0.5


def test_user_defined_model_in_float32_batch():
    ds = bs.Simulator(bs.Connectivity.from_tvb_data(68), FitzHughNagumo(), bs.coupling.Linear(a=0.01),
                      bs.integrators.HeunStochastic(dt=0.05, noise=bs.noise.Additive(nsig=1e-4)),
                      [bs.monitors.TemporalAverage(period=1.0)], dtype="float32").run(
        50.0, batch={"model.I": [0.0, 0.5, 1.0], "model.tau": [10.0, 12.5, 15.0]})
    assert ds.temporal_average.dtype == np.float32
    assert ds.temporal_average.shape == (3, 50, 1, 68)
    assert not ds.diverged.any()

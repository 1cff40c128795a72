"""Every built-in model against TVB 2.10's own ``dfun``: declarations, equations and parameter mapping.

TVB's ``dfun`` takes ``state`` of shape (nvar, nodes, modes) and ``coupling`` of shape (ncvar, nodes, modes);
ours takes the same without the mode axis. Each model is checked at TVB's defaults, with a couple of
parameters changed and one given per region, and with every parameter given per region, at random states
inside (and somewhat beyond) ``state_variable_range`` and random coupling inputs of a scale typical for it.
"""
from __future__ import annotations

import numpy as np
import pytest

tvb_models = pytest.importorskip("tvb.simulator.models")
from tvb.basic.neotraits.api import NArray  # noqa: E402

from brainsweep.engine.models import MODELS  # noqa: E402

N = 76
RTOL = 1e-12

#: Per model: scale of the random coupling inputs, a couple of non-default parameter values, one parameter
#: given per region (values drawn in [lo, hi]), and the number of coupling rows TVB's dfun reads, with
#: parameters under which every one of them matters (``reads_with``).
SPECS = {
    "Generic2dOscillator": dict(c_scale=0.5, changed={"a": 1.5, "tau": 2.0}, regional=("I", -1.0, 1.0),
                                reads=1, reads_with={}),
    "Kuramoto": dict(c_scale=1.0, changed={"omega": 0.3}, regional=("omega", 0.05, 0.5), reads=1, reads_with={}),
    "SupHopf": dict(c_scale=1.0, changed={"a": 0.3, "omega": 0.25}, regional=("a", -1.0, 1.0),
                    reads=2, reads_with={}),
    "ReducedWongWang": dict(c_scale=0.5, changed={"w": 0.9, "I_o": 0.3}, regional=("J_N", 0.2609, 0.5),
                            reads=1, reads_with={}),
    "ReducedWongWangExcInh": dict(c_scale=0.5, changed={"G": 1.3, "lamda": 0.4, "J_i": 1.2},
                                  regional=("w_p", 1.0, 1.8), reads=1, reads_with={}),
    "JansenRit": dict(c_scale=0.1, changed={"A": 3.8, "mu": 0.1}, regional=("b", 0.03, 0.07),
                      reads=1, reads_with={}),
    "WilsonCowan": dict(c_scale=1.0, changed={"P": 1.2, "shift_sigmoid": 0.0, "tau_i": 20.0},
                        regional=("c_ee", 11.0, 16.0), reads=1, reads_with={}),
    "MontbrioPazoRoxin": dict(c_scale=1.0, changed={"cv": 0.5, "eta": -4.6, "tau": 2.0},
                              regional=("J", 10.0, 20.0), reads=2, reads_with={"cv": 0.5}),
    "Epileptor": dict(c_scale=1.0, changed={"x0": -2.2, "Kvf": 0.5, "Ks": -0.2, "Kf": 0.1, "modification": 1.0},
                      regional=("Iext", 1.5, 5.0), reads=2, reads_with={"Kvf": 0.5, "Kf": 0.1}),
    "Linear": dict(c_scale=1.0, changed={"gamma": -3.0}, regional=("gamma", -20.0, -1.0), reads=1, reads_with={}),
}


def test_every_model_has_a_spec():
    assert set(SPECS) == set(MODELS)
    assert list(MODELS) == ["Generic2dOscillator", "Kuramoto", "SupHopf", "ReducedWongWang",
                            "ReducedWongWangExcInh", "JansenRit", "WilsonCowan", "MontbrioPazoRoxin",
                            "Epileptor", "Linear"]


# --------------------------------------------------------------------------------------------- helpers
def _tvb_params(cls) -> dict:
    """TVB's declared parameters (NArray traits), in declaration order."""
    return {name: getattr(cls, name) for name in cls.declarative_attrs if isinstance(getattr(cls, name), NArray)}


def _tvb_model(name: str, values: dict):
    """A configured TVB model; per-region values reshaped as TVB's simulator does (``spatial_param_reshape``)."""
    cls = getattr(tvb_models, name)
    traits = _tvb_params(cls)
    m = cls()
    kwargs = {}
    for key, value in values.items():
        arr = np.atleast_1d(np.asarray(value, dtype=np.float64)).astype(traits[key].dtype)
        kwargs[key] = arr if arr.size == 1 else arr.reshape(m.spatial_param_reshape)
    m = cls(**kwargs)
    m.configure()
    return m


def _draw(ours, rng, widen=0.0):
    """States (nvar, N) uniform in state_variable_range (widened by ``widen`` of its width on each side)."""
    out = np.empty((ours.nvar, N))
    for k, sv in enumerate(ours.state_variables):
        lo, hi = ours.state_variable_range[sv]
        w = hi - lo
        out[k] = rng.uniform(lo - widen * w, hi + widen * w, N)
    return out


def _compare(name: str, values: dict, seed: int, widen: float = 0.0, n_draws: int = 3):
    spec = SPECS[name]
    ours = MODELS[name](**values)
    rng = np.random.default_rng(seed)
    for _ in range(n_draws):
        tvb = _tvb_model(name, values)      # fresh each time: TVB's Kuramoto reuses its output buffer
        state = _draw(ours, rng, widen)
        coupling = spec["c_scale"] * rng.uniform(-1.0, 1.0, (len(ours.cvar), N))
        expected = np.array(tvb.dfun(state[..., None], coupling[..., None]))[..., 0]
        got = ours.evaluate_dfun(state, coupling)
        assert got.shape == expected.shape == (ours.nvar, N)
        assert np.all(np.isfinite(expected))
        for k, sv in enumerate(ours.state_variables):
            scale = max(np.max(np.abs(expected[k])), 1e-300)
            np.testing.assert_allclose(got[k], expected[k], rtol=RTOL, atol=RTOL * scale,
                                       err_msg=f"{name}: d{sv}/dt differs from TVB's (values={values})")


# --------------------------------------------------------------------------------------------- declarations
@pytest.mark.parametrize("name", list(SPECS))
def test_declarations_match_tvb(name):
    cls = MODELS[name]
    ours = cls()
    tvb = _tvb_model(name, {})
    tcls = type(tvb)

    assert ours.state_variables == tuple(tvb.state_variables)
    assert ours.number_of_modes == tvb.number_of_modes == 1
    assert tvb.non_integrated_variables is None
    np.testing.assert_array_equal(ours.cvar_indices, tvb.cvar)

    # parameters: names (in order), defaults, ranges
    traits = _tvb_params(tcls)
    assert list(cls._parameters) == list(traits)
    for pname, trait in traits.items():
        default = np.asarray(trait.default, dtype=np.float64)
        assert default.shape == (1,), (name, pname)
        assert cls._parameters[pname].default == default[0], (name, pname)
        assert np.all(getattr(ours, pname) == getattr(tvb, pname).astype(np.float64)), (name, pname)
        rng = None if trait.domain is None else (float(trait.domain.lo), float(trait.domain.hi))
        assert cls._parameters[pname].range == rng, (name, pname)

    # state variable ranges and boundaries
    tvb_range = tcls.state_variable_range.default
    assert set(ours.state_variable_range) == set(tvb_range)
    for sv, (lo, hi) in ours.state_variable_range.items():
        assert (lo, hi) == tuple(float(v) for v in tvb_range[sv]), (name, sv)
    tvb_bounds = tvb.state_variable_boundaries or {}
    assert set(ours.state_variable_boundaries or {}) == set(tvb_bounds)
    big = np.finfo(np.float64).max
    for sv, (lo, hi) in zip(ours.state_variables, ours.bounds()):
        tlo, thi = tvb_bounds.get(sv, (-big, big))
        assert (max(lo, -big), min(hi, big)) == (tlo, thi), (name, sv)

    # monitors
    assert ours.variables_of_interest == tuple(tvb.variables_of_interest)
    assert ours.voi_choices == tuple(tcls.variables_of_interest.element_choices)


@pytest.mark.parametrize("name", list(SPECS))
def test_coupling_inputs_are_those_tvb_reads(name):
    """TVB's dfun reads coupling rows 0..reads-1 and nothing else; our dfun takes exactly c_0..c_{reads-1}."""
    spec = SPECS[name]
    ours = MODELS[name]()
    assert ours.n_coupling_inputs == spec["reads"]
    ncvar = len(ours.cvar)
    rng = np.random.default_rng(7)
    state = _draw(ours, rng)[..., None]
    base = spec["c_scale"] * rng.uniform(-1.0, 1.0, (ncvar, N, 1))
    ref = np.array(_tvb_model(name, spec["reads_with"]).dfun(state, base))
    for row in range(ncvar):
        bumped = base.copy()
        bumped[row] += spec["c_scale"]
        out = np.array(_tvb_model(name, spec["reads_with"]).dfun(state, bumped))
        assert (not np.array_equal(out, ref)) == (row < spec["reads"]), (name, row)


# --------------------------------------------------------------------------------------------- equations
@pytest.mark.parametrize("name", list(SPECS))
def test_dfun_defaults(name):
    _compare(name, {}, seed=1)


@pytest.mark.parametrize("name", list(SPECS))
def test_dfun_beyond_state_range(name):
    """States up to half a range-width outside ``state_variable_range``: the other sides of the branches."""
    _compare(name, {}, seed=2, widen=0.5)


@pytest.mark.parametrize("name", list(SPECS))
def test_dfun_changed_and_regional_parameters(name):
    spec = SPECS[name]
    pname, lo, hi = spec["regional"]
    values = dict(spec["changed"])
    values[pname] = np.random.default_rng(3).uniform(lo, hi, N)
    _compare(name, values, seed=4)


@pytest.mark.parametrize("name", list(SPECS))
def test_dfun_every_parameter_per_region(name):
    """Each parameter its own per-region array (flags: random 0/1): any mix-up of parameters shows."""
    cls = MODELS[name]
    rng = np.random.default_rng(5)
    values = {}
    for pname, trait in _tvb_params(getattr(tvb_models, name)).items():
        default = float(cls._parameters[pname].default)
        if trait.dtype == np.bool_:
            values[pname] = rng.integers(0, 2, N).astype(np.float64)
        elif default == 0.0:
            values[pname] = rng.uniform(0.0, 0.2, N)
        else:
            values[pname] = default * rng.uniform(0.85, 1.15, N)
    _compare(name, values, seed=6)


def test_epileptor_negative_z_branch():
    """z < 0 switches on -0.1 z**7 in TVB's (non-modified) slow variable."""
    ours = MODELS["Epileptor"]()
    rng = np.random.default_rng(8)
    state = _draw(ours, rng)
    state[2] = rng.uniform(-1.5, 0.0, N)
    tvb = _tvb_model("Epileptor", {})
    coupling = rng.uniform(-1.0, 1.0, (2, N))
    expected = tvb.dfun(state[..., None], coupling[..., None])[..., 0]
    got = ours.evaluate_dfun(state, coupling)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=RTOL * np.max(np.abs(expected)))

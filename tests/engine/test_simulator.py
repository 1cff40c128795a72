"""Simulator behaviour: batches, chunking, reproducibility, divergence, results layout, validation."""
import json
import re

import numpy as np
import pytest
import xarray as xr

import brainsweep as bs
from brainsweep.engine import simulator as simulator_module

CONN = bs.Connectivity.from_tvb_data()


def rww_sim(dtype="float64", **kw):
    return bs.Simulator(CONN, bs.models.ReducedWongWang(), bs.coupling.Linear(a=0.1),
                        bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=1e-4)),
                        [bs.monitors.TemporalAverage(period=1.0)], dtype=dtype, **kw)


# ----------------------------------------------------------------------------------- batches
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_batch_member_does_not_depend_on_batch_or_position(dtype):
    a = np.array([0.05, 0.2, 0.4, 0.6, 1.0])
    seeds = [3, 1, 4, 1, 5]
    full = rww_sim(dtype).run(150.0, batch={"coupling.a": a}, seeds=seeds).temporal_average.values
    assert full.dtype == np.dtype(dtype)
    # distinct parameters really give distinct trajectories
    assert np.abs(full[0] - full[4]).max() > 1e-3
    for b in (0, 3):
        alone = rww_sim(dtype).run(150.0, batch={"coupling.a": a[b:b + 1]}, seeds=seeds[b:b + 1])
        np.testing.assert_array_equal(alone.temporal_average.values[0], full[b])
    perm = [4, 2, 0]
    sub = rww_sim(dtype).run(150.0, batch={"coupling.a": a[perm]}, seeds=[seeds[p] for p in perm])
    for k, p in enumerate(perm):
        np.testing.assert_array_equal(sub.temporal_average.values[k], full[p])
    big = rww_sim(dtype).run(150.0, batch={"coupling.a": np.tile(a, 7)}, seeds=seeds * 7)
    np.testing.assert_array_equal(big.temporal_average.values[33], full[33 % 5])
    # 3 to 8 lanes run the model loop nodes-inner (codegen.NODE_INNER_LANES), 5 and 3 above, 8 here; 35 lanes-inner
    eight = rww_sim(dtype).run(150.0, batch={"coupling.a": np.tile(a, 2)[:8]}, seeds=(seeds * 2)[:8])
    np.testing.assert_array_equal(eight.temporal_average.values[6], full[1])


@pytest.mark.parametrize("members,parts", [(5, 2), (20, 2)])   # parts of 2 and 3 lanes; two of 10 (16 lanes)
def test_threads_give_the_same_dataset_as_one_kernel_call(members, parts):
    batch = {"coupling.a": np.linspace(0.0, 0.6, members),
             "model.w": np.linspace(0.5, 0.9, members)[:, None] * np.ones(CONN.number_of_regions)}
    seeds = list(range(3, 3 + members))
    one = rww_sim("float32").run(40.0, batch=batch, seeds=seeds)
    split = rww_sim("float32", threads=2).run(40.0, batch=batch, seeds=seeds)
    config = json.loads(split.attrs["configuration"])
    assert (config["threads"], config["thread_parts"]) == (2, parts)
    assert config["seeds"] == seeds and config["batch"]["coupling.a"] == batch["coupling.a"].tolist()
    assert np.abs(one.temporal_average.values[0] - one.temporal_average.values[-1]).max() > 1e-3
    one.attrs, split.attrs = {}, {}
    xr.testing.assert_identical(one, split)          # every member's numbers, bit for bit, and the labels


def test_threaded_runs_continue_each_part_with_the_components_set_between_runs():
    batch, seeds = {"coupling.a": [0.0, 0.2, 0.4]}, [1, 2, 3]
    plain, threaded = rww_sim(), rww_sim(threads=2)
    for sim in (plain, threaded):
        sim.run(20.0, batch=batch, seeds=seeds)
        sim.model = bs.models.ReducedWongWang(w=0.8)     # a new parameter value, same structure: continues
    second = [sim.run(20.0, batch=batch, seeds=seeds).temporal_average.values for sim in (plain, threaded)]
    assert plain.current_step == threaded.current_step == 400
    np.testing.assert_array_equal(second[0], second[1])
    fresh = rww_sim().run(20.0, batch=batch, seeds=seeds).temporal_average.values
    assert np.abs(second[1] - fresh).max() > 1e-6                 # it really continued
    threaded.reset()
    assert threaded.current_step == 0
    plain.reset()
    np.testing.assert_array_equal(plain.run(20.0, batch=batch, seeds=seeds).temporal_average.values,
                                  threaded.run(20.0, batch=batch, seeds=seeds).temporal_average.values)


@pytest.mark.parametrize("threads", [0, -2, 1.5, "2", True])
def test_threads_must_be_a_positive_integer(threads):
    with pytest.raises(ValueError, match=r"Simulator.threads must be a positive integer .*, got " + re.escape(repr(threads)) + "$"):
        rww_sim(threads=threads).run(1.0, batch={"coupling.a": [0.1, 0.2]})


def test_threads_are_for_the_cpu_backend():
    with pytest.raises(ValueError, match=r"Simulator.threads applies to backend='cpu' only"):
        rww_sim(threads=2, backend="cuda").run(1.0)


def test_non_batch_run_equals_batch_of_one_with_same_seed():
    plain = rww_sim(seed=11).run(100.0).temporal_average.values
    batch = rww_sim().run(100.0, batch={"coupling.a": [0.1]}, seeds=[11]).temporal_average.values[0]
    np.testing.assert_array_equal(plain, batch)


def test_batch_over_model_noise_and_per_region_values():
    N = CONN.number_of_regions
    per_region = np.tile(np.linspace(0.3, 0.7, N), (3, 1))
    per_region[2] *= 1.1
    ds = rww_sim().run(50.0, batch={"model.w": per_region, "noise.nsig": [1e-5, 1e-4, 1e-3],
                                    "coupling.a": [0.1, 0.2, 0.3]}, seeds=[0, 0, 0])
    assert ds.temporal_average.dims == ("batch", "time", "variable", "region")
    assert ds["model.w"].dims == ("batch", "region")
    np.testing.assert_array_equal(ds["noise.nsig"].values, [1e-5, 1e-4, 1e-3])
    # the member with per-region w equals a single run with the same per-region w
    single = bs.Simulator(CONN, bs.models.ReducedWongWang(w=per_region[1]), bs.coupling.Linear(a=0.2),
                          bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=1e-4)),
                          [bs.monitors.TemporalAverage(period=1.0)], seed=0).run(50.0)
    np.testing.assert_array_equal(single.temporal_average.values, ds.temporal_average.values[1])


def test_same_seed_same_numbers_different_seed_different_numbers():
    a = rww_sim(seed=5).run(100.0).temporal_average.values
    b = rww_sim(seed=5).run(100.0).temporal_average.values
    c = rww_sim(seed=6).run(100.0).temporal_average.values
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-6


# ----------------------------------------------------------------------------------- chunking and continuation
def test_chunked_and_continued_runs_equal_one_long_run():
    mons = lambda: [bs.monitors.TemporalAverage(period=3.3), bs.monitors.SubSample(period=0.7), bs.monitors.Raw()]

    def make():
        return bs.Simulator(CONN, bs.models.Generic2dOscillator(), bs.coupling.Linear(a=0.02),
                            bs.integrators.HeunStochastic(dt=0.05, noise=bs.noise.Additive(nsig=1e-4)), mons(), seed=2)

    one = make().run(60.0)
    small = make().run(60.0, chunk_steps=7)
    sim = make()
    first, second = sim.run(25.0), sim.run(35.0)
    assert sim.current_step == 1200
    for name in ("temporal_average", "sub_sample", "raw"):
        np.testing.assert_array_equal(one[name].values, small[name].values)
        tdim = f"time_{name}"
        joined = np.concatenate([first[name].values, second[name].values])
        np.testing.assert_array_equal(one[name].values, joined)
        np.testing.assert_allclose(one[tdim].values, np.concatenate([first[tdim].values, second[tdim].values]))


def test_reset_restarts_from_initial_conditions():
    sim = rww_sim(seed=1)
    a = sim.run(30.0).temporal_average.values
    sim.reset()
    np.testing.assert_array_equal(a, sim.run(30.0).temporal_average.values)


# ----------------------------------------------------------------------------------- divergence
def test_divergence_is_reported_per_member_and_spares_the_others():
    model = bs.models.Linear()
    sim = lambda: bs.Simulator(CONN, model, bs.coupling.Linear(a=0.0), bs.integrators.HeunDeterministic(dt=0.1),
                               [bs.monitors.SubSample(period=1.0)], initial_conditions=np.ones((1, 76)))
    ds = sim().run(1000.0, batch={"model.gamma": [-10.0, 1.5, -1.0]})
    assert ds.diverged.values.tolist() == [False, True, False]
    t_div = float(ds.divergence_time[1])
    assert 400 < t_div < 600            # e^(1.5 t) overflows float64 near t = 473 ms
    assert np.isnan(ds.divergence_time[0])
    assert np.isfinite(ds.sub_sample.values[[0, 2]]).all()
    ok = sim().run(1000.0, batch={"model.gamma": [-1.0]})
    np.testing.assert_array_equal(ok.sub_sample.values[0], ds.sub_sample.values[2])


# ----------------------------------------------------------------------------------- results
def test_dataset_layout_labels_units_and_configuration():
    model = bs.models.Generic2dOscillator(variables_of_interest=("V", "V - W"))
    sim = bs.Simulator(CONN, model, bs.coupling.Linear(a=0.01), bs.integrators.HeunDeterministic(dt=0.1),
                       [bs.monitors.TemporalAverage(period=2.0)], seed=3)
    ds = sim.run(100.0)
    da = ds.temporal_average
    assert da.dims == ("time", "variable", "region")
    assert da.shape == (50, 2, 76)
    assert list(ds.variable.values) == ["V", "V - W"]
    assert list(ds.region.values) == list(CONN.region_labels)
    assert ds.time.attrs["units"] == "ms"
    np.testing.assert_allclose(ds.time.values, np.arange(50) * 2.0 + 1.0)     # TVB: (step - istep/2) dt
    config = json.loads(ds.attrs["configuration"])
    assert config["model"]["class"] == "Generic2dOscillator"
    assert config["coupling"]["a"] == 0.01
    assert config["integrator"]["dt"] == 0.1
    assert config["connectivity"]["fingerprint"] == CONN.fingerprint()
    assert config["seed"] == 3
    assert ds.attrs["brainsweep_version"]


def test_initial_conditions_constant_history_and_first_step():
    x0 = np.linspace(-1, 1, 76)[None]
    sim = bs.Simulator(CONN, bs.models.Linear(gamma=-2.0), bs.coupling.Linear(a=0.0),
                       bs.integrators.EulerDeterministic(dt=0.1), [bs.monitors.Raw()], initial_conditions=x0)
    ds = sim.run(0.2)
    np.testing.assert_allclose(ds.time.values, [0.1, 0.2])
    np.testing.assert_allclose(ds.raw.values[0, 0], x0[0] * (1 - 0.2), rtol=1e-15)
    np.testing.assert_allclose(ds.raw.values[1, 0], x0[0] * (1 - 0.2) ** 2, rtol=1e-15)


def test_random_initial_conditions_are_drawn_from_ranges_with_the_seed():
    model = bs.models.Generic2dOscillator(variables_of_interest=("V", "W"))
    # a huge conduction speed makes every delay zero, so the history is one step long
    run = lambda seed: bs.Simulator(CONN, model, bs.coupling.Linear(a=0.0), bs.integrators.EulerDeterministic(dt=1e-9),
                                    [bs.monitors.Raw()], seed=seed, conduction_speed=1e12).run(1e-9).raw.values[0]
    a, b, c = run(1), run(1), run(2)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0.1
    assert a[0].min() >= -2.0 and a[0].max() <= 4.0 and a[1].min() >= -6.0 and a[1].max() <= 6.0


def test_bounds_are_applied_to_initial_conditions_and_every_stage():
    x0 = np.full((1, 76), 1.5)          # outside RWW's [0, 1]
    ds = bs.Simulator(CONN, bs.models.ReducedWongWang(), bs.coupling.Linear(a=0.5),
                      bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=0.1)),
                      [bs.monitors.Raw()], initial_conditions=x0).run(20.0)
    assert ds.raw.values.min() >= 0.0 and ds.raw.values.max() <= 1.0


def test_float32_tracks_float64():
    run = lambda dtype: bs.Simulator(CONN, bs.models.ReducedWongWang(), bs.coupling.Linear(a=0.3),
                                     bs.integrators.HeunDeterministic(dt=0.1), [bs.monitors.SubSample(period=1.0)],
                                     seed=4, dtype=dtype).run(200.0).sub_sample.values
    f64, f32 = run("float64"), run("float32")
    assert f32.dtype == np.float32
    assert np.abs(f32 - f64).max() < 1e-4


def test_two_monitors_get_their_own_time_axes():
    ds = bs.Simulator(CONN, bs.models.ReducedWongWang(), bs.coupling.Linear(a=0.3),
                      bs.integrators.HeunDeterministic(dt=0.1),
                      [bs.monitors.TemporalAverage(period=1.0), bs.monitors.SubSample(period=5.0)]).run(20.0)
    assert ds.temporal_average.dims == ("time_temporal_average", "variable", "region")
    assert ds.sub_sample.dims == ("time_sub_sample", "variable", "region")
    assert ds.sizes["time_temporal_average"] == 20 and ds.sizes["time_sub_sample"] == 4


# ----------------------------------------------------------------------------------- validation
def _never_compile(monkeypatch):
    def refuse(source):
        raise AssertionError("a kernel was compiled for invalid input")
    monkeypatch.setattr(simulator_module, "load_kernel", refuse)


BAD = [
    (dict(connectivity="connectivity_76.zip"), TypeError, "Simulator.connectivity"),
    (dict(model=bs.models.ReducedWongWang(a=np.ones(5))), ValueError, "model.a has 5 values"),
    (dict(coupling=bs.coupling.Linear(a=np.ones(3))), ValueError, "coupling.a"),
    (dict(dtype="float16"), ValueError, "('float64', 'float32')"),
    (dict(monitors=[bs.monitors.TemporalAverage(period=0.01)]), ValueError, "TemporalAverage.period"),
    (dict(monitors=[bs.monitors.SubSample(variables_of_interest=[3])]), ValueError, "variables_of_interest"),
    (dict(initial_conditions=np.zeros((2, 76))), ValueError, "initial_conditions has shape (2, 76)"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(time_block=0), ValueError, "time_block"),
    (dict(conduction_speed=0.0), ValueError, "conduction_speed"),
    (dict(conduction_speed=1e-6), MemoryError, "delay buffer"),
    (dict(model=bs.models.SupHopf(), coupling=bs.coupling.SigmoidalJansenRit()), ValueError, "coupling inputs"),
]


@pytest.mark.parametrize("kwargs, exc, text", BAD, ids=[b[2][:30] for b in BAD])
def test_bad_configuration_is_refused_before_compiling(monkeypatch, kwargs, exc, text):
    _never_compile(monkeypatch)
    base = dict(connectivity=CONN, model=bs.models.ReducedWongWang(), coupling=bs.coupling.Linear(),
                integrator=bs.integrators.HeunDeterministic(dt=0.1), monitors=[bs.monitors.Raw()])
    base.update(kwargs)
    with pytest.raises(exc) as err:
        bs.Simulator(**base).run(10.0)
    assert text in str(err.value)


BAD_RUNS = [
    (dict(simulation_length=-5), "simulation_length"),
    (dict(batch={"a": [1, 2]}), "'component.parameter'"),
    (dict(batch={"model.nope": [1, 2]}), "allowed: ['a', 'b', 'd'"),
    (dict(batch={"noise.nsig": [1, 2]}), "noise needs a stochastic integrator"),
    (dict(batch={"coupling.a": [1, 2], "model.w": [1, 2, 3]}), "different lengths"),
    (dict(batch={"coupling.a": 0.5}), "one entry per batch member"),
    (dict(batch={"coupling.a": np.ones((2, 5))}), "(B, 76)"),
    (dict(batch={"coupling.a": [1, 2]}, seeds=[1, 2, 3]), "seeds has 3 entries"),
    (dict(batch={"connectivity.conduction_speed": [1, 2]}), "share the connectome"),
]


@pytest.mark.parametrize("kwargs, text", BAD_RUNS, ids=[b[1][:30] for b in BAD_RUNS])
def test_bad_run_arguments_are_refused_before_compiling(monkeypatch, kwargs, text):
    _never_compile(monkeypatch)
    sim = bs.Simulator(CONN, bs.models.ReducedWongWang(), bs.coupling.Linear(),
                       bs.integrators.HeunDeterministic(dt=0.1), [bs.monitors.Raw()])
    length = kwargs.pop("simulation_length", 10.0)
    with pytest.raises(ValueError) as err:
        sim.run(length, **kwargs)
    assert text in str(err.value)


def test_component_errors_name_the_field():
    with pytest.raises(ValueError, match="ReducedWongWang.a must be finite"):
        bs.models.ReducedWongWang(a=np.nan)
    with pytest.raises(TypeError, match=r"its parameters are \['a', 'b', 'd'"):
        bs.models.ReducedWongWang(alpha=1.0)
    with pytest.raises(ValueError, match="HeunDeterministic.dt must be a positive number"):
        bs.integrators.HeunDeterministic(dt=-0.1)
    with pytest.raises(ValueError, match="variable of interest 'Q' is not allowed; choose from"):
        bs.models.Generic2dOscillator(variables_of_interest=("Q",))
    with pytest.raises(ValueError, match="nsig must be finite, >= 0"):
        bs.noise.Additive(nsig=-1.0)


def test_parameter_change_between_runs_continues_like_tvb():
    """TVB semantics: run() continues with the components' new parameter values."""
    sim = bs.Simulator(CONN, bs.models.Linear(gamma=-1.0), bs.coupling.Linear(a=0.0),
                       bs.integrators.EulerDeterministic(dt=0.1), [bs.monitors.Raw()],
                       initial_conditions=np.ones((1, 76)))
    first = sim.run(1.0).raw.values
    sim.model.gamma = -2.0
    second = sim.run(0.1).raw.values
    np.testing.assert_allclose(second[0], first[-1] * (1 - 0.2), rtol=1e-15)
    assert sim.current_step == 11
    # a structural change (here the recorded variables) restarts from the initial conditions
    sim.model.cvar = ("x",)
    sim.monitors = [bs.monitors.SubSample(period=0.1)]
    again = sim.run(0.1).sub_sample.values
    np.testing.assert_allclose(again[0], np.ones((1, 76)) * (1 - 0.2), rtol=1e-15)


def test_changing_cvar_between_runs_restarts_instead_of_reusing_buffers():
    model = bs.models.WilsonCowan()
    sim = bs.Simulator(CONN, model, bs.coupling.Linear(a=0.05), bs.integrators.EulerDeterministic(dt=0.1),
                       [bs.monitors.Raw()], initial_conditions=np.full((2, 76), 0.02))
    sim.run(5.0)
    model.cvar = ("E",)
    ds = sim.run(5.0)
    assert sim.current_step == 50 and np.isfinite(ds.raw.values).all()
    with pytest.raises(ValueError, match="cvar must name state variables"):
        model.cvar = ("Q",)


def test_kernel_options_change_speed_knobs_not_results():
    base = rww_sim(seed=2).run(60.0).temporal_average.values
    blocked = rww_sim(seed=2, kernel_options={"cache_bytes": 4096}).run(60.0).temporal_average.values
    np.testing.assert_array_equal(base, blocked)
    unrolled = rww_sim(seed=2, kernel_options={"unroll": 8}).run(60.0).temporal_average.values
    np.testing.assert_allclose(unrolled, base, rtol=1e-12)
    with pytest.raises(ValueError, match="kernel_options: unknown key"):
        rww_sim(kernel_options={"threads": 4}).run(1.0)


@pytest.mark.parametrize("B", [1, 4, 16])
def test_kernel_without_self_connections_skips_their_term_with_the_same_numbers(monkeypatch, B):
    sources = []
    generate = simulator_module.codegen.generate
    monkeypatch.setattr(simulator_module.codegen, "generate", lambda spec: sources.append(generate(spec)) or sources[-1])
    batch = {"coupling.a": np.linspace(0.05, 0.15, B)}
    rww_sim().run(1.0, batch=batch)
    assert "wsi = wself" in sources[-1]                 # TVB's connectome has 66 self-connections
    weights = CONN.weights.copy()
    np.fill_diagonal(weights, 0.0)
    conn = bs.Connectivity(weights, CONN.tract_lengths, region_labels=CONN.region_labels)

    def run():
        return bs.Simulator(conn, bs.models.ReducedWongWang(), bs.coupling.Linear(a=0.1),
                            bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=1e-4)),
                            [bs.monitors.TemporalAverage(period=1.0)], seed=4).run(40.0, batch=batch)

    lean = run().temporal_average.values
    assert "wsi = wself" not in sources[-1]
    spec = simulator_module.Simulator._spec
    monkeypatch.setattr(simulator_module.Simulator, "_spec",
                        lambda self, *a, **kw: spec(self, *a, **{**kw, "self_weights": True}))
    full = run().temporal_average.values
    assert "wsi = wself" in sources[-1]
    np.testing.assert_array_equal(lean, full)


@pytest.mark.parametrize("coupling", [bs.coupling.Linear(a=0.05, b=0.01), bs.coupling.Difference(a=0.05)],
                         ids=["Linear", "Difference"])
def test_batch_of_lesions_equals_lesioned_connectomes(coupling):
    """'connectivity.lesion' per member equals simulating Connectivity.lesioned(...) (TVB: zeroed rows/columns)."""
    N = CONN.number_of_regions
    lesion = np.zeros((3, N))
    lesion[1, [3, 10]] = 1.0
    lesion[2, 20:40] = 1.0
    x0 = np.linspace(-1, 1, 2 * N).reshape(2, N)
    make = lambda conn: bs.Simulator(conn, bs.models.Generic2dOscillator(), coupling,
                                     bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=1e-5)),
                                     [bs.monitors.TemporalAverage(period=1.0)], initial_conditions=x0, seed=1)
    ds = make(CONN).run(60.0, batch={"connectivity.lesion": lesion})
    for b, regions in enumerate([[], [3, 10], list(range(20, 40))]):
        conn = CONN.lesioned(regions) if regions else CONN
        alone = make(conn).run(60.0).temporal_average.values
        np.testing.assert_allclose(ds.temporal_average.values[b], alone, rtol=1e-12, atol=1e-12)
    assert np.abs(ds.temporal_average.values[1] - ds.temporal_average.values[0]).max() > 1e-3

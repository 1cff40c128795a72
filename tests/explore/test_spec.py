"""Sweep specs: parsing, validation with one clear line per problem, planning and seeds."""
import json
import textwrap

import numpy as np
import pytest
import yaml

from brainsweep.explore import SpecError, SweepPlan, load_spec, parse_spec
from brainsweep.explore.plan import point_seed

from tests.helpers.paths import REPO

EXAMPLES = REPO / "examples"

BASE = dict(connectivity={"tvb_data": 76}, model={"name": "ReducedWongWang"},
            integrator={"name": "HeunStochastic", "dt": 0.5, "noise": {"nsig": 1e-4}},
            monitors=[{"name": "TemporalAverage", "period": 10.0}], features=[{"name": "mean"}],
            length=100.0, axes={"coupling.a": {"linspace": [0.0, 0.3, 4]}})


def spec(**changes):
    raw = {k: v for k, v in BASE.items()}
    raw.update(changes)
    return raw


def test_yaml_and_toml_give_the_same_spec(tmp_path):
    (tmp_path / "s.yaml").write_text(textwrap.dedent("""
        connectivity: {tvb_data: 76}
        model: {name: ReducedWongWang}
        integrator: {name: HeunStochastic, dt: 0.5, noise: {nsig: 1.0e-4}}
        monitors: [{name: TemporalAverage, period: 10.0}]
        features: [{name: mean}]
        length: 100.0
        axes: {coupling.a: {linspace: [0.0, 0.3, 4]}}
    """))
    (tmp_path / "s.toml").write_text(textwrap.dedent("""
        length = 100.0
        features = [{name = "mean"}]
        monitors = [{name = "TemporalAverage", period = 10.0}]
        [connectivity]
        tvb_data = 76
        [model]
        name = "ReducedWongWang"
        [integrator]
        name = "HeunStochastic"
        dt = 0.5
        noise = {nsig = 1.0e-4}
        [axes]
        "coupling.a" = {linspace = [0.0, 0.3, 4]}
    """))
    a, b = load_spec(tmp_path / "s.yaml"), load_spec(tmp_path / "s.toml")
    assert a.fingerprint() == b.fingerprint() == parse_spec(spec()).fingerprint()
    np.testing.assert_allclose(a.axes[0].values, [0.0, 0.1, 0.2, 0.3])


BAD = [
    (dict(axes={"model.nope": [1, 2]}), "axes.model.nope: ReducedWongWang has no parameter 'nope'"),
    (dict(axes={"coupling.a": []}), "axes.coupling.a is empty"),
    (dict(axes={}), "axes is empty"),
    (dict(axes={"coupling.a": ["x"]}), "axes.coupling.a must be a number"),
    (dict(length="long"), "length must be a number"),
    (dict(length=-1.0), "length must be > 0"),
    (dict(model={"name": "Nope"}), "model.name: unknown 'Nope'"),
    (dict(connectivity={"file": "/no/such/conn.zip"}), "connectivity.file: /no/such/conn.zip does not exist"),
    (dict(monitors=[{"name": "Bold", "period": 1001.0}]), "monitors[0]: Bold.period"),
    (dict(features=[{"name": "fc_fit", "monitor": "temporal_average"}]), "features[0].empirical"),
    (dict(features=[{"name": "mean", "monitor": "bold"}]), "features[0].monitor: no monitor 'bold'"),
    (dict(transient=500.0), "transient (500.0 ms) must be shorter than length"),
    (dict(integrator={"name": "HeunDeterministic", "dt": 0.1, "noise": {"nsig": 1.0}}), "is deterministic"),
    (dict(combine="zip", axes={"coupling.a": [0.1, 0.2], "model.w": [0.5]}), "zip needs axes of equal length"),
    (dict(extra=1), "unknown key(s) ['extra']"),
]


@pytest.mark.parametrize("changes, message", BAD, ids=[b[1][:40] for b in BAD])
def test_bad_specs_fail_with_one_clear_line(changes, message):
    with pytest.raises(SpecError) as err:
        parse_spec(spec(**changes))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_plan_blocks_cover_the_grid_once_and_respect_batch_size():
    s = parse_spec(spec(axes={"coupling.a": {"linspace": [0, 1, 5]}, "model.w": [0.5, 0.6, 0.7]}, repeats=3,
                        batch_size=7))
    plan = SweepPlan.from_spec(s)
    assert plan.dims == ("coupling.a", "model.w", "repeat") and plan.shape == (5, 3, 3)
    seen = np.zeros(plan.shape, dtype=int)
    for block in plan.blocks():
        assert len(plan.block_points(block)) <= 7
        seen[block] += 1
    assert np.all(seen == 1)


def test_connectome_axes_never_share_a_block():
    s = parse_spec(spec(axes={"connectivity.conduction_speed": [3.0, 6.0], "coupling.a": [0.1, 0.2, 0.3]},
                        batch_size=16))
    plan = SweepPlan.from_spec(s)
    assert plan.chunks == (1, 3)
    for block in plan.blocks():
        speeds = {p.values["connectivity.conduction_speed"] for p in plan.block_points(block)}
        assert len(speeds) == 1


def test_point_seeds_depend_on_values_not_on_blocking():
    a = SweepPlan.from_spec(parse_spec(spec(repeats=2, batch_size=2)))
    b = SweepPlan.from_spec(parse_spec(spec(repeats=2, batch_size=8)))
    seeds = lambda plan: {(p.values["coupling.a"], p.repeat): p.seed
                          for blk in plan.blocks() for p in plan.block_points(blk)}
    assert seeds(a) == seeds(b)
    assert len(set(seeds(a).values())) == 8
    assert point_seed(1, {"coupling.a": 0.1}, 0) != point_seed(2, {"coupling.a": 0.1}, 0)


def test_logspace_axes_are_the_same_bits_whatever_power_routine_the_cpu_has(monkeypatch):
    """On AVX-512 CPUs numpy's power loop gave np.logspace(-5, -3, 3)[0] == 9.999999999999999e-06, hence other
    point seeds (they hash the values' text) than on other CPUs: the README's main job found r 0.49 on an Intel VM
    and 0.44 on an AMD one at the same point. Here numpy's power is made one ulp off, as there."""
    from decimal import Context, Decimal

    grid = {"noise.nsig": {"logspace": [-5, -3, 3]}, "coupling.a": {"logspace": [-2.5, 0.5, 13]}}
    values = lambda parsed: {a.name: a.values for a in parsed.axes}
    before = parse_spec(spec(axes=grid))
    exact = [float(Context(prec=60).power(Decimal(10), Decimal(float(y)))) for y in np.linspace(-2.5, 0.5, 13)]
    assert values(before)["noise.nsig"] == (1e-05, 1e-04, 1e-03)
    assert values(before)["coupling.a"] == tuple(exact)

    real_power = np.power
    monkeypatch.setattr(np, "power", lambda *a, **k: np.nextafter(real_power(*a, **k), 0))
    monkeypatch.setattr(np, "logspace", lambda *a, **k: np.nextafter(np.asarray(10.0) ** np.linspace(*a, **k), 0))
    assert np.logspace(-5, -3, 3)[0] == 9.999999999999999e-06      # what the AVX-512 CPU gave
    after = parse_spec(spec(axes=grid))
    assert values(after) == values(before)
    seeds = lambda parsed: [p.seed for plan in [SweepPlan.from_spec(parsed)]
                            for blk in plan.blocks() for p in plan.block_points(blk)]
    assert seeds(after) == seeds(before)

@pytest.mark.parametrize("change, message", [
    ({"length": 20_000, "transient": 5_000}, "fcd_ks"),
    ({"features": [{"name": "fc_fit", "monitor": "balloon_windkessel", "empirical": "hcp80"}],
      "length": 2_000, "transient": 0}, "need at least 3"),
])
def test_features_that_cannot_fit_the_recorded_length_are_refused(change, message):
    raw = yaml.safe_load(open(EXAMPLES / "fc_fit_grid.yaml"))
    raw.update(change)
    with pytest.raises(SpecError, match=message):
        parse_spec(raw)


def test_a_spec_survives_the_json_trip_to_the_workers_with_its_axis_order():
    raw = yaml.safe_load(open(EXAMPLES / "bifurcation_g2d.yaml"))
    spec = parse_spec(raw)
    again = parse_spec(json.loads(json.dumps(spec.to_dict())))
    assert [a.name for a in again.axes] == ["model.a", "coupling.a"] == [a.name for a in spec.axes]
    assert again.fingerprint() == spec.fingerprint()
    swapped = dict(raw, axes=dict(reversed(list(raw["axes"].items()))))
    assert parse_spec(swapped).fingerprint() != spec.fingerprint()


def test_public_names_are_the_functions_whatever_was_imported_first():
    """The package resolves its names lazily (no Dask/Optuna for light imports); no name may be shadowed by a
    submodule of the same name."""
    import importlib
    import sys

    import brainsweep.explore as explore

    for module in ("studies", "schedule", "build", "plan", "search", "spec"):
        importlib.import_module(f"brainsweep.explore.{module}")
    for name in explore.__all__:
        assert not isinstance(getattr(explore, name), type(sys)), name
    assert callable(explore.optimize) and callable(explore.sweep) and callable(explore.simulate_point)

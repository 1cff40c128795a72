"""Drill-down beyond the landscape: from the bifurcation diagram, from a study's sampled points (over the grid
of the same space), and from the store itself when the sweep saved FC and series. Real (tiny) sweeps and
studies; the object graph is checked (the browser tests cover the landscape click end to end)."""
from __future__ import annotations

import holoviews as hv
import numpy as np
import panel as pn
import pytest
import xarray as xr

from brainsweep.dashboards import StoreView, build_app
from brainsweep.dashboards import drilldown as drill_module

from tests.helpers.specs import RWW_FC_FIT as FIT


def _table(pane) -> dict:
    return next(e for e in pane.object if isinstance(e, hv.Table)).dframe().set_index("parameter")["value"]


def _pane(panel, name):
    return next(p for p in panel.select(pn.pane.HoloViews) if p.name == name)


def test_tapping_the_bifurcation_diagram_drills_down_to_that_simulation(tmp_path):
    from brainsweep.explore import sweep

    raw = {"name": "bif", "connectivity": {"tvb_data": 66, "conduction_speed": 3.0},
           "model": {"name": "Generic2dOscillator"}, "coupling": {"name": "Linear"},
           "integrator": {"name": "HeunDeterministic", "dt": 0.5},
           "monitors": [{"name": "TemporalAverage", "period": 2.0}],
           "features": [{"name": "extrema", "monitor": "temporal_average"}],
           "length": 400.0, "transient": 200.0, "seed": 1,
           "axes": {"model.a": [-0.5, 1.5], "coupling.a": [0.0, 0.01]}}
    store = tmp_path / "bif.zarr"
    ds = sweep(raw, store, n_workers=1).load()
    panel = build_app([str(store)], explorer=False)[0]
    # the highest maximum of the oscillating setting: tap right on it
    top = ds["max"].sel({"model.a": 1.5}).isel(variable=0)
    k = np.unravel_index(int(np.argmax(top.values)), top.shape)
    target = {d: top[d].values[i] for d, i in zip(top.dims, k)}
    panel.widgets["bif_tap"].event(x=1.5, y=float(top.max()))
    table = _table(_pane(panel, "bifurcation drill-down"))
    assert float(table["model.a"]) == 1.5 and float(table["coupling.a"]) == target["coupling.a"]
    assert table["data"].startswith("re-simulated")


def test_a_study_trial_drills_down_and_its_samples_lie_over_the_grid_of_the_same_space(tmp_path):
    from brainsweep.explore import optimize, sweep

    space = {"coupling.a": {"low": 0.0, "high": 0.3}, "noise.nsig": {"low": 1e-5, "high": 1e-3, "log": True}}
    study = dict(FIT, name="trials", search={"space": space, "objective": "fc_fit", "batch_size": 2, "seed": 3,
                                             "sampler": "random"})
    s_store = tmp_path / "study.zarr"
    trials = optimize(study, s_store, 3, n_workers=1).load()
    grid = dict(FIT, name="grid", axes={"coupling.a": [0.0, 0.15, 0.3], "noise.nsig": {"logspace": [-5, -3, 3]}})
    g_store = tmp_path / "grid.zarr"
    sweep(grid, g_store, n_workers=1)
    app = build_app([str(g_store), str(s_store)], explorer=False)
    panel = app[1]
    # the samples plot has the grid's landscape of the same feature under the trials
    samples = _pane(panel, "samples").object
    under = samples[()].values()[0]
    assert isinstance(under, hv.QuadMesh)
    np.testing.assert_allclose(np.sort(under.dimension_values(2)[np.isfinite(under.dimension_values(2))]),
                               np.sort(xr.open_zarr(g_store)["fc_fit"].mean("repeat").values.ravel()
                                       if "repeat" in xr.open_zarr(g_store).dims
                                       else xr.open_zarr(g_store)["fc_fit"].values.ravel()))
    t = 1
    a, nsig = float(trials["coupling.a"].sel(trial=t)), float(trials["noise.nsig"].sel(trial=t))
    panel.widgets["tap"].event(x=a, y=nsig)
    table = _table(_pane(panel, "trial drill-down"))
    assert table["trial"] == str(t)
    # the trial re-simulated alone gives its stored FC fit, to the last bit
    spec, sim, ds = drill_module.resimulate(StoreView(str(s_store)), {"trial": t})
    from brainsweep.explore import measure

    fit = measure.compute(spec, sim, ds, measure.output_specs(spec, sim))["fc_fit"][0]
    assert fit == float(np.asarray(trials["fc_fit"].sel(trial=t).values).reshape(-1)[0])


def test_a_point_whose_fc_and_series_were_stored_is_shown_from_the_store(tmp_path, monkeypatch):
    from brainsweep.explore import sweep

    raw = dict(FIT, name="stored", axes={"coupling.a": [0.0, 0.2], "noise.nsig": [1e-5, 1e-4]},
               features=FIT["features"] + [{"name": "fc", "monitor": "balloon_windkessel"},
                                           {"name": "timeseries", "monitor": "balloon_windkessel"}])
    store = tmp_path / "stored.zarr"
    ds = sweep(raw, store, n_workers=1).load()

    def no_simulation(*a, **k):
        raise AssertionError("the drill-down re-simulated a point whose FC and series are in the store")

    monkeypatch.setattr(drill_module, "resimulate", no_simulation)
    layout = drill_module.drilldown(StoreView(str(store)), {"coupling.a": 0.2, "noise.nsig": 1e-4})
    table = next(e for e in layout if isinstance(e, hv.Table)).dframe().set_index("parameter")["value"]
    assert table["data"] == "stored in the results store"
    fc_image = next(e for e in layout if isinstance(e, hv.Image))
    stored_fc = ds["fc"].sel({"coupling.a": 0.2, "noise.nsig": 1e-4}).values
    np.testing.assert_array_equal(np.sort(fc_image.dimension_values(2)), np.sort(stored_fc.ravel()))
    assert float(table["stored fc_fit"]) == pytest.approx(float(table["fc_fit of the FC shown"]), abs=1e-6)


def test_the_server_compiles_what_a_first_drill_down_simulates_with_in_the_background(tmp_path, monkeypatch):
    """While serving, the dashboard simulates two steps of each store's first point on a background thread: the
    kernel a drill-down runs is then loaded, and a first click waits for its simulation only."""
    from brainsweep.dashboards.app import _prepare_drilldowns, open_views
    from brainsweep.engine import kernel
    from brainsweep.explore import sweep

    raw = {"name": "warm", "connectivity": {"tvb_data": 66, "conduction_speed": 3.0},
           "model": {"name": "Generic2dOscillator"}, "coupling": {"name": "Linear"},
           "integrator": {"name": "HeunStochastic", "dt": 0.5, "noise": {"nsig": 1e-4}},
           "monitors": [{"name": "TemporalAverage", "period": 2.0}],
           "features": [{"name": "mean", "monitor": "temporal_average"}],
           "length": 400.0, "transient": 100.0, "seed": 3, "batch_size": 4,
           "axes": {"model.a": [-0.5, 1.5], "coupling.a": [0.0, 0.01]}}
    store = str(tmp_path / "warm.zarr")
    sweep(raw, store, n_workers=1)
    monkeypatch.setattr(kernel, "_LOADED", {})                  # nothing compiled or loaded in this process yet
    shared = open_views([store])
    _prepare_drilldowns(shared).join(timeout=300)
    warmed = set(kernel._LOADED)
    assert warmed
    layout = drill_module.drilldown(shared[store], {"model.a": 1.5, "coupling.a": 0.01})
    table = next(e for e in layout if isinstance(e, hv.Table)).dframe().set_index("parameter")["value"]
    assert table["data"].startswith("re-simulated")
    assert set(kernel._LOADED) == warmed                         # the drill-down loaded no other kernel

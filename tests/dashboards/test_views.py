"""The dashboards' HoloViews object graph on small synthetic stores (written through the storage layer):
element types, key dimensions and values at known points; failed points, one axis, four axes."""
import itertools

import holoviews as hv
import numpy as np
import panel as pn
import pytest
import xarray as xr

from brainsweep import storage
from brainsweep.dashboards import StoreError, StoreView, bifurcation, build_app, landscape, study_history
from brainsweep.dashboards.app import open_views, refresh
from brainsweep.dashboards.views import best_trials, parameter_importances
from brainsweep.storage import StoreLayout, VariableSpec

REGIONS = ["rA", "rB", "lA"]


def drawn(panel, name: str):
    """What the plot of ``panel``'s HoloViews pane ``name`` shows now (its current frame)."""
    pane = next(p for p in panel.select(pn.pane.HoloViews) if p.name == name)
    return next(iter(pane._plots.values()))[0].current_frame


def make_store(path, axes: dict, fail=(), pending=(), with_extrema=False, write=None, state_variables=("V",),
               with_fcd=False):
    """fc_fit = sum of the axis indices / 10 (known values); ``fail``/``pending`` are grid indices.

    ``write`` (a grid index) writes that one point into an existing store instead. Extrema of the k-th of
    ``state_variables`` are k + 1 times those of the first. ``with_fcd``: a second feature, fcd_ks = 1 - fc_fit."""
    dims = tuple(axes)
    variables = [VariableSpec("fc_fit", attrs={"long_name": "FC fit", "units": "1"})]
    if with_fcd:
        variables.append(VariableSpec("fcd_ks"))
    extra = {}
    if with_extrema:
        extra = {"variable": np.array(list(state_variables)), "region": np.array(REGIONS)}
        variables += [VariableSpec("min", ("variable", "region")), VariableSpec("max", ("variable", "region"))]
    layout = StoreLayout(grid_dims=dims, grid_coords={k: np.asarray(v) for k, v in axes.items()}, chunks=(1,) * len(dims),
                         variables=tuple(variables), extra_coords=extra, attrs={"spec": "{}", "title": "synthetic"})
    if write is None:
        storage.create_store(path, layout)
    for k, block in enumerate(layout.blocks()):
        index = tuple(s.start for s in block)
        if index in pending or (write is not None and index != tuple(write)):
            continue
        value = sum(index) / 10
        results = {"fc_fit": np.full((1,) * len(dims), value)}
        if with_fcd:
            results["fcd_ks"] = 1 - results["fc_fit"]
        if with_extrema:
            amp = max(0.0, value - 0.2)
            scale = np.arange(1, len(state_variables) + 1)[:, None]
            results["min"] = (np.full((1,) * len(dims) + (len(state_variables), 3), -amp) + np.arange(3) * 0.01) * scale
            results["max"] = (np.full((1,) * len(dims) + (len(state_variables), 3), amp) + np.arange(3) * 0.01) * scale
        status = np.full((1,) * len(dims), storage.STATUS_FAILED if index in fail else storage.STATUS_OK, np.int8)
        storage.write_block(path, layout, k, results, status, np.full(status.shape, "boom" if index in fail else ""),
                            np.zeros(status.shape, np.int64))
    if write is None:
        storage.finalize_store(path)
    return path


def test_landscape_values_best_point_and_failed_points(tmp_path):
    axes = {"coupling.a": [0.0, 0.1, 0.2, 0.3], "noise.nsig": [1e-5, 1e-4, 1e-3]}
    store = make_store(tmp_path / "s.zarr", axes, fail=[(3, 2)], pending=[(0, 0)])
    view = StoreView(str(store))
    assert view.kind == "sweep" and view.swept_axes == list(axes) and view.scalar_features == ["fc_fit"]
    assert view.progress() == (11, 12)
    overlay = landscape(view, "fc_fit", "coupling.a", "noise.nsig")
    mesh, failed, best = overlay.values()
    # a regular grid is one Image; the log-spaced axis is drawn as log10 of its values
    assert isinstance(mesh, hv.Image) and [d.name for d in mesh.kdims] == ["coupling.a", "noise.nsig"]
    assert mesh.kdims[1].label == "log10 noise.nsig"
    grid = mesh.dimension_values(2, flat=False)                  # (y, x) values
    assert grid.shape == (3, 4)
    assert grid[1, 2] == pytest.approx(0.3)                      # index (2, 1) -> (2 + 1) / 10
    assert np.isnan(grid[0, 0])                                   # unfinished: blank
    assert np.isnan(grid[2, 3])                                   # failed: blank, not a low value ...
    assert failed.dimension_values(0).tolist() == [0.3] and failed.dimension_values(1).tolist() == [-3.0]  # ... crossed
    # best among finished ok points: index (3, 1) = 0.4 and (2, 2) = 0.4; the first in (y, x) order
    assert best.dimension_values(0)[0] in (0.2, 0.3) and "0.4" in best.label
    hv.render(overlay, backend="bokeh")
    irregular = make_store(tmp_path / "irr.zarr", {"coupling.a": [0.0, 0.1, 0.5], "noise.nsig": [1e-5, 1e-4, 1e-2]})
    quad = landscape(StoreView(str(irregular)), "fc_fit", "coupling.a", "noise.nsig").values()[0]
    assert isinstance(quad, hv.QuadMesh) and quad.opts.get("plot").kwargs["logy"]    # uneven: cells on log axes
    assert quad.dimension_values(2, flat=False)[2, 1] == pytest.approx(0.3)


def test_four_axes_are_fixed_by_selection_and_one_axis_draws_a_curve(tmp_path):
    axes = {"a": [0.0, 1.0], "b": [0.0, 1.0, 2.0], "c": [5.0, 6.0], "d": [0.5, 0.7]}
    view = StoreView(str(make_store(tmp_path / "four.zarr", axes)))
    overlay = landscape(view, "fc_fit", "b", "d", selection={"a": 1.0, "c": 6.0})
    grid = overlay.values()[0].dimension_values(2, flat=False)
    for (ib, id_) in itertools.product(range(3), range(2)):
        assert grid[id_, ib] == pytest.approx((1 + ib + 1 + id_) / 10)
    app = build_app([str(make_store(tmp_path / "one.zarr", {"coupling.a": [0.0, 0.5, 1.0]}))])
    line = next(p.object for p in app.select(pn.pane.HoloViews) if p.name == "landscape")[()]
    curve = line.values()[0]
    assert isinstance(curve, hv.Curve) and curve.dimension_values(1).tolist() == pytest.approx([0.0, 0.1, 0.2])
    app.get_root()


def test_bifurcation_diagram_has_every_region_branch(tmp_path):
    axes = {"model.a": [0.0, 0.1, 0.2, 0.3, 0.4], "coupling.a": [0.0, 0.1]}
    view = StoreView(str(make_store(tmp_path / "bif.zarr", axes, with_extrema=True)))
    assert view.extrema_pairs == [("min", "max")]
    scatter = bifurcation(view, "model.a", color_by="coupling.a")
    assert isinstance(scatter, hv.Scatter) and scatter.kdims[0].name == "model.a"
    assert len(scatter) == 5 * 2 * 2 * 3                             # points x {min, max} x regions
    at = scatter.select(**{"model.a": 0.4, "coupling.a": 0.1}).dframe()
    assert sorted(at["value"].round(3)) == sorted([round(v, 3) for amp in (-0.3, 0.3) for v in amp + np.arange(3) * 0.01])
    hv.render(scatter, backend="bokeh")


def test_widgets_change_the_plot(tmp_path):
    axes = {"coupling.a": [0.0, 0.1], "noise.nsig": [1e-5, 1e-4], "speed": [3.0, 10.0]}
    app = build_app([str(make_store(tmp_path / "w.zarr", axes))])
    panel = app[0]
    dmap = next(p.object for p in panel.select(pn.pane.HoloViews) if p.name == "landscape")
    before = dmap[()].values()[0].dimension_values(2, flat=False).copy()
    panel.widgets["speed"].value = 10.0
    after = dmap[()].values()[0].dimension_values(2, flat=False)
    np.testing.assert_allclose(after - before, 0.1)
    panel.widgets["y"].value = "speed"
    assert [d.name for d in dmap[()].values()[0].kdims] == ["coupling.a", "speed"]


@pytest.mark.parametrize("coupling", [[0.0, 0.1, 0.2], [0.0, 0.1, 0.3]], ids=["image", "quadmesh"])
def test_swapping_the_axes_passes_through_x_equal_y_without_an_error(tmp_path, coupling):
    """Swapping x and y sets one widget after the other: in between x = y. The drawn view must keep its element
    types there (a DynamicMap that changes type raises inside the server, printed there, and the plot shows no
    frame)."""
    axes = {"coupling.a": coupling, "noise.nsig": [1e-5, 1e-4]}
    panel = build_app([str(make_store(tmp_path / "s.zarr", axes))])[0]
    pane = next(p for p in panel.select(pn.pane.HoloViews) if p.name == "landscape")
    pane.get_root()                                       # a real Bokeh plot that updates from the streams
    kind = type(drawn(panel, "landscape").values()[0])
    assert kind is (hv.Image if coupling == [0.0, 0.1, 0.2] else hv.QuadMesh)
    panel.widgets["x"].value = "noise.nsig"                # x = y = noise.nsig (HoloViews raised here)
    assert drawn(panel, "landscape").values()[0].label == "choose two different axes"
    panel.widgets["y"].value = "coupling.a"
    frame = drawn(panel, "landscape")
    assert type(frame.values()[0]) is kind
    assert [d.name for d in frame.values()[0].kdims] == ["noise.nsig", "coupling.a"]
    assert [e.label for e in frame.values()[1:]] == ["failed or diverged", "best 0.3"]


def test_pages_of_one_server_share_the_views_and_each_redraws_when_the_store_moves(tmp_path):
    axes = {"coupling.a": [0.0, 0.1], "noise.nsig": [1e-5, 1e-4]}
    store = str(make_store(tmp_path / "live.zarr", axes, pending=[(1, 1)]))
    shared = open_views([store])
    first = build_app([store], explorer=False, shared=shared)
    first.get_root()                                             # the first page draws: the features are read
    view = first.stores[0][0]
    read = dict(view._loaded)
    second = build_app([store], explorer=False, shared=shared)
    second.get_root()
    assert second.stores[0][0] is view and read                  # the second page drew from what the first read
    assert all(view._loaded[k] is v for k, v in read.items())
    assert first[0].progress.object == second[0].progress.object == "3 / 4 points done"
    make_store(store, axes, write=(1, 1))
    refresh(second, max_age=3600)                                # read less than an hour ago: not re-read
    assert view.progress() == (3, 4) and second[0].progress.object == "3 / 4 points done"
    refresh(first)                                               # the first page's callback re-reads the store ...
    refresh(second, max_age=3600)                                # ... and the second page redraws from that read
    assert first[0].progress.object == second[0].progress.object == "4 / 4 points done"
    assert view.loaded("fc_fit").sel({"coupling.a": 0.1, "noise.nsig": 1e-4}).item() == 0.2
    for page in (first, second):                                 # the new point is drawn on both pages
        assert np.isfinite(drawn(page[0], "landscape").values()[0].dimension_values(2)).all()


def test_a_study_store_shows_history_and_best_so_far(tmp_path):
    layout = storage.TrialLayout(
        variables=(VariableSpec("coupling.a"), VariableSpec("noise.nsig"),
                   VariableSpec("objective_value", ("objective",), attrs={"directions": ["maximize"]})),
        extra_coords={"objective": np.array(["fc_fit"])}, attrs={"spec": "{}", "kind": "study"})
    path = tmp_path / "study.zarr"
    storage.create_trial_store(path, layout)
    vals = [0.1, 0.3, 0.2, 0.5, 0.4]
    storage.write_trials(path, layout, range(5), {"coupling.a": np.linspace(0, 1, 5), "noise.nsig": np.full(5, 1e-4),
                                                   "objective_value": np.array(vals)[:, None]},
                         [0, 0, 0, 0, 2], [""] * 4 + ["diverged"])
    view = StoreView(str(path))
    assert view.kind == "study" and view.search_parameters == ["coupling.a", "noise.nsig"]
    scatter, curve = study_history(view).values()
    assert scatter.dimension_values(1).tolist() == [0.1, 0.3, 0.2, 0.5]      # the failed trial left out
    assert curve.dimension_values(1).tolist() == [0.1, 0.3, 0.3, 0.5]
    table = best_trials(view).dframe()
    assert table["trial"].tolist() == [3, 1, 2, 0] and table["fc_fit"].tolist() == [0.5, 0.3, 0.2, 0.1]
    app = build_app([str(path)], explorer=False)
    app.get_root()
    # live: two more trials written while the page is open; the refresh draws them in every view of the study
    storage.write_trials(path, layout, [5, 6], {"coupling.a": np.array([0.2, 0.9]), "noise.nsig": np.full(2, 1e-4),
                                                "objective_value": np.array([[0.7], [0.05]])}, [0, 0], ["", ""])
    refresh(app)
    assert drawn(app[0], "history").values()[1].dimension_values(1).tolist() == [0.1, 0.3, 0.3, 0.5, 0.7, 0.7]
    assert drawn(app[0], "best trials").dframe()["trial"].tolist()[:2] == [5, 3]
    assert len(drawn(app[0], "samples").values()[-1].dimension_values(0)) == 6


def test_importances_find_the_parameter_that_matters(tmp_path):
    layout = storage.TrialLayout(
        variables=(VariableSpec("coupling.a"), VariableSpec("noise.nsig"),
                   VariableSpec("objective_value", ("objective",), attrs={"directions": ["maximize"]})),
        extra_coords={"objective": np.array(["fc_fit"])}, attrs={"spec": "{}", "kind": "study"})
    path = tmp_path / "imp.zarr"
    storage.create_trial_store(path, layout)
    rng = np.random.default_rng(1)
    a, nsig = rng.uniform(0, 1, 60), rng.uniform(0, 1, 60)
    storage.write_trials(path, layout, range(60), {"coupling.a": a, "noise.nsig": nsig,
                                                    "objective_value": (np.sin(3 * a) + 0.01 * nsig)[:, None]},
                         [0] * 60, [""] * 60)
    bars = parameter_importances(StoreView(str(path)))
    imp = dict(zip(bars.dimension_values(0), bars.dimension_values(1)))
    assert imp["coupling.a"] > 2 * imp["noise.nsig"]


def test_bad_paths_give_one_line_each(tmp_path):
    (tmp_path / "empty").mkdir()
    for path, message in ((tmp_path / "nope.zarr", "no such store"), (tmp_path / "empty", "not a Zarr store")):
        with pytest.raises(StoreError, match=message):
            StoreView(str(path))
    app = build_app([str(tmp_path / "nope.zarr")])
    assert "no such store" in app[0].object


def test_cli_refuses_a_public_address_without_allow_remote(tmp_path):
    from tests.helpers.cluster import cli

    store = make_store(tmp_path / "s.zarr", {"a": [0.0, 1.0]})
    proc = cli("dashboard", store, "--address", "0.0.0.0", "--no-browser")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "--allow-remote" in err and len(err.strip().splitlines()) == 1
    proc = cli("dashboard", tmp_path / "missing.zarr", "--no-browser")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "no such store" in err


@pytest.mark.slow
def test_tapping_a_landscape_cell_drills_down_to_that_point_and_reproduces_it(tmp_path):
    """A real (tiny) sweep; the tapped point is re-simulated from the stored spec and seed."""
    from brainsweep.explore import sweep

    from tests.helpers.specs import RWW_FC_FIT

    raw = dict(RWW_FC_FIT, name="drill", axes={"coupling.a": [0.0, 0.2], "noise.nsig": {"logspace": [-5, -3, 3]}})
    store = tmp_path / "drill.zarr"
    sweep(raw, store, n_workers=1)
    app = build_app([str(store)])
    panel = app[0]
    panel.widgets["tap"].event(x=0.19, y=-3.9)       # near coupling.a 0.2, log10 noise.nsig -4 (drawn as log10)
    drill = next(p for p in panel.select(pn.pane.HoloViews) if p.name == "drill-down")
    table = next(e for e in drill.object if isinstance(e, hv.Table)).dframe().set_index("parameter")["value"]
    assert table["coupling.a"] == "0.2" and float(table["noise.nsig"]) == pytest.approx(1e-4)
    # the sweep's number, reproduced to the last bit (the table shows 6 digits: compare the values themselves)
    from brainsweep.dashboards.drilldown import resimulate
    from brainsweep.explore import measure
    spec, sim, ds = resimulate(StoreView(str(store)), {"coupling.a": 0.2, "noise.nsig": 1e-4})
    fit = measure.compute(spec, sim, ds, measure.output_specs(spec, sim))["fc_fit"][0]
    stored = xr.open_zarr(store)["fc_fit"].sel({"coupling.a": 0.2}).sel({"noise.nsig": 1e-4}, method="nearest")
    assert fit == float(stored) and table["stored fc_fit"] == table["fc_fit of the FC shown"]
    assert table["data"].startswith("re-simulated")
    assert {type(e) for e in drill.object} >= {hv.Image, hv.Scatter, hv.Overlay, hv.Table}


def test_phase_plane_field_nullclines_and_trajectories_follow_the_model():
    from brainsweep.dashboards.explorer import explorer_panel, phase_plane
    from brainsweep.engine import models

    overlay = phase_plane("Generic2dOscillator", "V", "W", {"a": -2.0})
    field, dv, dw, *paths = overlay.values()
    assert isinstance(field, hv.VectorField) and isinstance(dv, hv.Contours) and len(paths) == 4
    model = models.Generic2dOscillator(a=-2.0)
    x, y, angle = (field.dimension_values(k) for k in range(3))
    d = model.evaluate_dfun(np.array([x, y]))
    np.testing.assert_allclose(angle, np.arctan2(d[1], d[0]))
    for contour, comp in ((dv, 0), (dw, 1)):                        # nullcline points: that derivative ~ 0
        pts = np.column_stack([contour.dimension_values(0), contour.dimension_values(1)])
        pts = pts[np.isfinite(pts).all(axis=1)]
        scale = np.abs(model.evaluate_dfun(np.array([x, y]))[comp]).max()
        assert np.abs(model.evaluate_dfun(pts.T)[comp]).max() < 0.05 * scale
    start = np.array([paths[0].dimension_values(0)[0], paths[0].dimension_values(1)[0]])
    end = np.array([paths[0].dimension_values(0)[-1], paths[0].dimension_values(1)[-1]])
    # a = -2: trajectories slow down towards the stable fixed point
    assert np.abs(model.evaluate_dfun(end[:, None])).max() < 0.1 * np.abs(model.evaluate_dfun(start[:, None])).max()
    panel = explorer_panel()
    before = panel.plot.object.values()[0].dimension_values(2).copy()
    next(s for s in panel.widgets["sliders"] if s.label == "a").value = 0.5
    assert not np.allclose(panel.plot.object.values()[0].dimension_values(2), before)


def test_a_large_bifurcation_diagram_is_rasterised_and_keeps_its_points(tmp_path):
    from brainsweep.dashboards.views import bifurcation

    path = make_store(tmp_path / "bif.zarr", {"model.a": np.linspace(0, 1, 6), "coupling.a": [0.0, 0.1]},
                      with_extrema=True)
    view = StoreView(str(path))
    small = bifurcation(view, "model.a")
    assert isinstance(small, hv.Scatter) and len(small.points) == 6 * 2 * 3 * 2      # axis x other x regions x min/max
    big = bifurcation(view, "model.a", datashade_above=10)
    assert isinstance(big, hv.Image) and not isinstance(big, hv.Scatter)
    # every point lands in the raster: the counts add up to the number of points
    assert float(np.nansum(big.dimension_values(2))) == len(big.points) == len(small.points)
    coloured = bifurcation(view, "model.a", color_by="coupling.a", datashade_above=10)
    values = coloured.dimension_values(2)
    assert np.nanmin(values) >= 0.0 and np.nanmax(values) <= 0.1          # mean coupling.a per pixel
    # the app's tap finds the nearest point of the rasterised diagram too
    from brainsweep.dashboards.app import _nearest_branch_point

    index = _nearest_branch_point(view, big, "model.a", 1.0, 0.9)
    assert index["model.a"] == 1.0 and index["coupling.a"] == 0.1


def test_a_live_bifurcation_diagram_keeps_its_element_type_as_the_store_fills(tmp_path, monkeypatch):
    """Rasterised or not is decided by the finished store's size: a diagram that crosses the threshold while a
    sweep writes would change the DynamicMap's element type (HoloViews raises in the server; the plot stops)."""
    from brainsweep.dashboards import views

    monkeypatch.setattr(views, "DATASHADE_ABOVE", 40)       # the finished store has 6 x 2 x 3 x 2 = 72 points
    axes = {"model.a": list(np.linspace(0, 1, 6)), "coupling.a": [0.0, 0.1]}
    everything = [(i, j) for i in range(6) for j in range(2)]
    path = make_store(tmp_path / "bif.zarr", axes, with_extrema=True, pending=everything)   # nothing done yet
    app = build_app([str(path)], explorer=False)
    panel = app[0]
    pane = next(p for p in panel.select(pn.pane.HoloViews) if p.name == "bifurcation")
    pane.get_root()
    panel.widgets["bif_color"].value = "none"               # an image of point counts
    assert isinstance(drawn(panel, "bifurcation"), hv.Image) and len(drawn(panel, "bifurcation").points) == 0
    for k, index in enumerate(everything):
        make_store(path, axes, with_extrema=True, write=index)
        if k in (2, 11):                                     # 12 points (below the threshold), then all 72
            refresh(app)
            frame = drawn(panel, "bifurcation")
            assert isinstance(frame, hv.Image) and len(frame.points) == 6 * (k + 1)
            assert float(np.nansum(frame.dimension_values(2))) == 6 * (k + 1)    # every point counted once


def test_the_server_warms_up_draws_on_a_canvas_and_acts_on_a_choice_at_once(tmp_path):
    """``serve``: the stores' features are read before the first page, plots are drawn on a 2D canvas (WebGL only
    for a bifurcation diagram drawn point by point), and select boxes skip Panel's 50 ms event batching."""
    from brainsweep.dashboards.app import _warm_up, serve

    axes = {"model.a": [0.0, 0.1, 0.2, 0.3, 0.4], "coupling.a": [0.0, 0.1]}
    store = str(make_store(tmp_path / "served.zarr", axes, with_extrema=True, with_fcd=True))
    shared = open_views([store])
    _warm_up([store], shared)
    assert {"fc_fit", "fcd_ks", "status"} <= set(shared[store]._loaded)    # fcd_ks: not drawn until chosen
    renderer = hv.renderer("bokeh")
    webgl = renderer.webgl
    server = serve([store], show=False)
    try:
        view = shared[store]
        assert renderer.get_plot(landscape(view, "fc_fit", "model.a", "coupling.a")).state.output_backend == "canvas"
        assert renderer.get_plot(bifurcation(view, "model.a")).state.output_backend == "webgl"
    finally:
        renderer.webgl = webgl
        server.stop()
    selects = build_app([store], explorer=False)[0].select(pn.widgets.Select)
    assert len(selects) == 7 and all(s._debounce == 0 for s in selects)


def test_a_bifurcation_diagram_is_coloured_by_a_feature_and_show_takes_an_opened_store(tmp_path):
    axes = {"model.a": [0.0, 0.1, 0.2, 0.3, 0.4], "coupling.a": [0.0, 0.1]}
    store = make_store(tmp_path / "bif.zarr", axes, with_extrema=True, fail=[(4, 1)])
    view = StoreView(str(store))
    scatter = bifurcation(view, "model.a", color_by="fc_fit")
    assert "fc_fit" in [d.name for d in scatter.vdims]
    assert len(scatter) == (5 * 2 - 1) * 2 * 3                      # the failed point has no branch
    df = scatter.points
    at = df[(df["model.a"] == 0.3) & (df["coupling.a"] == 0.1)]
    assert len(at) == 6 and np.allclose(at["fc_fit"], 0.4)          # grid index (3, 1): 0.4 on every region
    from bokeh.models import ColorBar

    assert hv.render(scatter, backend="bokeh").select_one({"type": ColorBar}) is not None
    app = build_app([str(store)], explorer=False)
    assert "fc_fit" in app[0].widgets["bif_color"].options
    app[0].widgets["bif_color"].value = "fc_fit"                     # the live diagram follows the widget
    dmap = next(p.object for p in app[0].select(pn.pane.HoloViews) if p.name == "bifurcation")
    assert "fc_fit" in [d.name for d in dmap[()].vdims]
    from brainsweep.dashboards import show

    shown = show(storage.open_results(store))
    assert shown.stores[0][0].path == str(store)
    with pytest.raises(ValueError, match="pass the store's path"):
        show(xr.Dataset({"x": ("t", [1.0])}))


def test_the_bifurcation_diagram_shows_the_chosen_state_variable(tmp_path):
    axes = {"model.a": [0.0, 0.1, 0.2, 0.3, 0.4], "coupling.a": [0.0, 0.1]}
    store = make_store(tmp_path / "two.zarr", axes, with_extrema=True, state_variables=("V", "W"))
    panel = build_app([str(store)], explorer=False)[0]
    assert panel.widgets["bif_variable"].options == ["V", "W"]
    dmap = next(p.object for p in panel.select(pn.pane.HoloViews) if p.name == "bifurcation")
    v = dmap[()].points.set_index(["model.a", "coupling.a", "region", "extremum"])["value"].sort_index()
    panel.widgets["bif_variable"].value = "W"
    shown = dmap[()]
    w = shown.points.set_index(["model.a", "coupling.a", "region", "extremum"])["value"].sort_index()
    np.testing.assert_allclose(w.values, 2 * v.values)              # W's extrema are twice V's in this store
    assert "of W per region" in shown.opts.get().kwargs["title"]

"""The dashboards' HoloViews object graph on small synthetic stores (written through the storage layer):
element types, key dimensions and values at known points; failed points, one axis, four axes."""
import itertools

import holoviews as hv
import numpy as np
import panel as pn
import pytest

from brainsweep import storage
from brainsweep.dashboards import StoreError, StoreView, bifurcation, build_app, landscape, study_history
from brainsweep.storage import StoreLayout, VariableSpec

REGIONS = ["rA", "rB", "lA"]


def make_store(path, axes: dict, fail=(), pending=(), with_extrema=False):
    """fc_fit = sum of the axis indices / 10 (known values); ``fail``/``pending`` are grid indices."""
    dims = tuple(axes)
    shape = tuple(len(v) for v in axes.values())
    variables = [VariableSpec("fc_fit", attrs={"long_name": "FC fit", "units": "1"})]
    extra = {}
    if with_extrema:
        extra = {"variable": np.array(["V"]), "region": np.array(REGIONS)}
        variables += [VariableSpec("min", ("variable", "region")), VariableSpec("max", ("variable", "region"))]
    layout = StoreLayout(grid_dims=dims, grid_coords={k: np.asarray(v) for k, v in axes.items()}, chunks=(1,) * len(dims),
                         variables=tuple(variables), extra_coords=extra, attrs={"spec": "{}", "title": "synthetic"})
    storage.create_store(path, layout)
    for k, block in enumerate(layout.blocks()):
        index = tuple(s.start for s in block)
        if index in pending:
            continue
        value = sum(index) / 10
        results = {"fc_fit": np.full((1,) * len(dims), value)}
        if with_extrema:
            amp = max(0.0, value - 0.2)
            results["min"] = np.full((1,) * len(dims) + (1, 3), -amp) + np.arange(3) * 0.01
            results["max"] = np.full((1,) * len(dims) + (1, 3), amp) + np.arange(3) * 0.01
        status = np.full((1,) * len(dims), storage.STATUS_FAILED if index in fail else storage.STATUS_OK, np.int8)
        storage.write_block(path, layout, k, results, status, np.full(status.shape, "boom" if index in fail else ""),
                            np.zeros(status.shape, np.int64))
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
    assert isinstance(mesh, hv.QuadMesh) and [d.name for d in mesh.kdims] == ["coupling.a", "noise.nsig"]
    grid = mesh.dimension_values(2, flat=False)                  # (y, x) values
    assert grid.shape == (3, 4)
    assert grid[1, 2] == pytest.approx(0.3)                      # index (2, 1) -> (2 + 1) / 10
    assert np.isnan(grid[0, 0])                                   # unfinished: blank
    assert np.isnan(grid[2, 3])                                   # failed: blank, not a low value ...
    assert failed.dimension_values(0).tolist() == [0.3] and failed.dimension_values(1).tolist() == [1e-3]  # ... crossed
    # best among finished ok points: index (3, 1) = 0.4 and (2, 2) = 0.4; the first in (y, x) order
    assert best.dimension_values(0)[0] in (0.2, 0.3) and "0.4" in best.label
    assert mesh.opts.get("plot").kwargs["logy"] and not mesh.opts.get("plot").kwargs["logx"]
    hv.render(overlay, backend="bokeh")


def test_four_axes_are_fixed_by_selection_and_one_axis_draws_a_curve(tmp_path):
    axes = {"a": [0.0, 1.0], "b": [0.0, 1.0, 2.0], "c": [5.0, 6.0], "d": [0.5, 0.7]}
    view = StoreView(str(make_store(tmp_path / "four.zarr", axes)))
    overlay = landscape(view, "fc_fit", "b", "d", selection={"a": 1.0, "c": 6.0})
    grid = overlay.values()[0].dimension_values(2, flat=False)
    for (ib, id_) in itertools.product(range(3), range(2)):
        assert grid[id_, ib] == pytest.approx((1 + ib + 1 + id_) / 10)
    one = StoreView(str(make_store(tmp_path / "one.zarr", {"coupling.a": [0.0, 0.5, 1.0]})))
    app = build_app([one.path])
    curves = [p.object for p in app.select(pn.pane.HoloViews)]
    assert curves and isinstance(curves[0][()], hv.Overlay)
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
    build_app([str(path)]).get_root()


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

"""The dashboards' figures as pure functions of a :class:`~brainsweep.dashboards.data.StoreView` (HoloViews).

Each function returns a HoloViews object that renders with Bokeh in a browser, in a notebook or to HTML/PNG;
nothing here knows about Panel widgets or servers (``app.py`` binds widgets to these functions).
"""
from __future__ import annotations

import holoviews as hv
import numpy as np
import xarray as xr

from brainsweep import storage

from .data import StoreView

hv.extension("bokeh", logo=False)

LOG_RATIO = 20.0          # an axis whose positive values span more than this ratio is drawn on a log scale


def _is_log(values: np.ndarray) -> bool:
    values = np.asarray(values, dtype=float)
    return bool(values.size > 2 and np.all(values > 0) and values.max() / values.min() > LOG_RATIO)


def _regular(values: np.ndarray, log: bool) -> bool:
    """Evenly spaced (in log space when ``log``)?"""
    v = np.log10(values) if log else np.asarray(values, float)
    if v.size < 2:
        return True
    step = np.diff(v)
    return bool(np.allclose(step, step[0], rtol=1e-6, atol=1e-12 * max(1.0, np.abs(v).max())))


def variable_dim(da) -> str | None:
    """The dimension naming a result's state variables (``variable``, or ``variable_<monitor>``), if any."""
    return next((d for d in da.dims if d.startswith("variable")), None)


def regular_axes(view: StoreView, axes: list[str]) -> bool:
    """Whether every one of ``axes`` is evenly spaced (in log space for a log-spaced axis): then any two of them
    are drawn by :func:`landscape` as an Image, otherwise at least one pair is a QuadMesh."""
    for a in axes:
        v = np.asarray(view.ds[a].values, float)
        if not _regular(v, _is_log(v)):
            return False
    return True


def drawn_as_log10(view: StoreView, x: str, y: str, image: bool = True) -> tuple[bool, bool]:
    """Whether :func:`landscape` (with the same ``image``) draws ``x`` / ``y`` as log10 of their values (an image
    of regular axes, log-spaced)."""
    xs, ys = (np.asarray(view.ds[d].values, float) for d in (x, y))
    lx, ly = _is_log(xs), _is_log(ys)
    image = image and _regular(xs, lx) and _regular(ys, ly)
    return image and lx, image and ly


def _edges(centres: np.ndarray, log: bool) -> np.ndarray:
    """Cell edges around ``centres`` (midpoints; geometric midpoints on a log axis, so no edge is <= 0)."""
    c = np.log10(centres) if log else np.asarray(centres, float)
    if c.size == 1:
        half = 0.5 if not log else 0.25
        e = np.array([c[0] - half, c[0] + half])
    else:
        mid = (c[1:] + c[:-1]) / 2
        e = np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])
    return 10 ** e if log else e


def landscape(view: StoreView, feature: str, x: str, y: str, selection: dict | None = None,
              reduce: str | None = "mean", image: bool = True) -> hv.Overlay:
    """``feature`` over two sweep axes: a QuadMesh with the best point marked and failed points crossed.

    Unfinished points are blank (NaN); diverged/failed points are blank too and marked with a cross, so they
    are never mistaken for low values. Other axes are fixed by ``selection`` (by value); ``repeat`` is reduced
    with ``reduce``. ``image=False`` always draws a QuadMesh on the axes' own (possibly log) scales, e.g. to
    lay other points over it.
    """
    if x == y:
        raise ValueError(f"x and y must be different axes, got {x!r} twice")
    sel = {k: v for k, v in (selection or {}).items() if k not in (x, y)}
    values = view.scalar(feature, sel, reduce=reduce)
    extra = [d for d in values.dims if d not in (x, y)]
    if extra:           # axes not fixed by the selection: their first value
        values = values.isel({d: 0 for d in extra})
    values = values.transpose(y, x)
    xs, ys = np.asarray(values[x].values, float), np.asarray(values[y].values, float)
    units = view.ds[feature].attrs.get("units", "")
    label = view.ds[feature].attrs.get("long_name", feature)
    logx, logy = _is_log(xs), _is_log(ys)
    vdim = hv.Dimension(feature, label=label, unit=units or None)
    if image and _regular(xs, logx) and _regular(ys, logy):
        # a regular grid (linear or log-spaced) is one image: far lighter to send and draw than a quad per cell
        # (Bokeh images cannot sit on log axes, so log-spaced axes are shown as log10 of the values)
        gx, gy = (np.log10(xs) if logx else xs), (np.log10(ys) if logy else ys)
        kx = hv.Dimension(x, label=f"log10 {x}" if logx else x)
        ky = hv.Dimension(y, label=f"log10 {y}" if logy else y)
        ex, ey = _edges(gx, False), _edges(gy, False)
        data = values.values                               # rows: y ascending in the store's order
        if gy[0] < gy[-1]:
            data = data[::-1]                              # an image's first row is its top
        if gx[0] > gx[-1]:
            data = data[:, ::-1]
        mesh = hv.Image(data, bounds=(min(ex[0], ex[-1]), min(ey[0], ey[-1]), max(ex[0], ex[-1]), max(ey[0], ey[-1])),
                        kdims=[kx, ky], vdims=[vdim])
        px, py = (np.log10 if logx else np.asarray), (np.log10 if logy else np.asarray)
        logx = logy = False
    else:
        mesh = hv.QuadMesh((_edges(xs, logx), _edges(ys, logy), values.values), kdims=[x, y], vdims=[vdim])
        px = py = np.asarray
    mesh = mesh.opts(colorbar=True, cmap="viridis", tools=["hover", "tap"], logx=logx, logy=logy,
                     frame_width=420, frame_height=360, title=f"{label} over {x} x {y}", clipping_colors={"NaN": "white"})
    status = view.status_array(sel)
    st_extra = [d for d in status.dims if d not in (x, y)]
    bad_mask = (status.isin([storage.STATUS_DIVERGED, storage.STATUS_FAILED])).any(st_extra) if st_extra else \
        status.isin([storage.STATUS_DIVERGED, storage.STATUS_FAILED])
    bad_mask = bad_mask.transpose(y, x).values
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    failed = hv.Points((px(xx[bad_mask]), py(yy[bad_mask])), kdims=mesh.kdims, label="failed or diverged").opts(
        marker="x", color="red", size=10)
    finite = np.isfinite(values.values)
    if finite.any():
        k = np.nanargmax(values.values)
        iy, ix = np.unravel_index(k, values.shape)
        best = hv.Points([(float(px(xs[ix])), float(py(ys[iy])))], kdims=mesh.kdims,
                         label=f"best {float(values.values[iy, ix]):.4g}").opts(
            marker="star", color="orange", size=16, line_color="black")
    else:
        best = hv.Points([], kdims=mesh.kdims, label="best").opts(marker="star", color="orange", size=16)
    # framewise: a redraw with other axes or values gets its own ranges (a DynamicMap keeps the first otherwise)
    # the legend sits above the frame: inside it, it hid the best point whenever that was in the top-left cell
    return (mesh * failed * best).opts(hv.opts.Image(framewise=True), hv.opts.QuadMesh(framewise=True),
                                       hv.opts.Points(framewise=True), hv.opts.Overlay(legend_position="top"))


#: Bifurcation diagrams with more points than this are rasterised (datashader) rather than sent point by point.
DATASHADE_ABOVE = 50_000


def bifurcation(view: StoreView, axis: str, pair: tuple[str, str] | None = None, variable: str | None = None,
                color_by: str | None = None, selection: dict | None = None,
                datashade_above: int = DATASHADE_ABOVE, rasterise: bool | None = None) -> hv.Element:
    """Per-region minima and maxima of a state variable against ``axis``: every region's branch as points.

    A fixed point has min = max (one branch); a limit cycle opens into two. Points are coloured by
    ``color_by`` when given: another axis, or a scalar feature of the store (each point's value on every region).
    Above ``datashade_above`` points the diagram is rasterised with
    datashader (an image of point counts, or of the mean ``color_by``), so a 100 x 100 grid of 80 regions
    (1.6 million points) stays light in the browser; the points stay in ``.points`` (a DataFrame) for taps.
    ``rasterise`` decides it instead (a live view keeps one element type while the store fills: see
    :func:`bifurcation_points`).
    """
    lo_name, hi_name = pair or view.extrema_pairs[0]
    lo = view.ds[lo_name]
    var_dim = variable_dim(lo)
    sel = {k: v for k, v in (selection or {}).items() if k in lo.dims and k not in (axis, color_by)}
    if var_dim is not None:
        sel[var_dim] = variable if variable is not None else str(lo[var_dim].values[0])
    status = view.status_array({k: v for k, v in sel.items() if k in view.axes})
    # colouring by a scalar feature (FC fit, frequency, ...): each point's value rides along every region's branch
    feature = color_by if color_by in view.scalar_features else None
    if feature:
        feature_values = view.loaded(feature)
        feature_values = feature_values.sel({k: v for k, v in sel.items() if k in feature_values.dims})
    frames = []
    for name, var in (("min", lo_name), ("max", hi_name)):
        da = view.loaded(var).sel(sel).where(status == storage.STATUS_OK)
        if feature:
            df = xr.Dataset({"value": da, feature: feature_values}).to_dataframe().reset_index()
        else:
            df = da.to_dataframe(name="value").reset_index()
        df["extremum"] = name
        frames.append(df)
    import pandas as pd

    df = pd.concat(frames, ignore_index=True).dropna(subset=["value"])
    region_dim = next(d for d in lo.dims if d not in view.axes and d != var_dim)
    # every other axis rides along (hover shows it; a tap drills down to exactly that point)
    vdims = ["value", "extremum", region_dim] + [a for a in view.axes if a != axis] + ([feature] if feature else [])
    keep = [axis] + vdims
    df = df[[c for c in keep if c in df.columns]]
    var_label = sel.get(var_dim, "value") if var_dim else "value"
    scatter = hv.Scatter(df, kdims=[axis], vdims=[c for c in vdims if c in df.columns])
    opts = dict(size=3, alpha=0.6, tools=["hover", "tap"], frame_width=520, frame_height=340, logx=_is_log(df[axis]),
                framewise=True,
                title=f"bifurcation diagram: min/max of {var_label} per region vs {axis}", ylabel=str(var_label))
    if color_by and color_by in df.columns:
        opts.update(color=color_by, cmap="plasma", colorbar=True)
    if (len(df) > datashade_above) if rasterise is None else rasterise:
        import datashader as ds_
        from holoviews.operation.datashader import dynspread, rasterize

        aggregator = ds_.mean(color_by) if color_by and color_by in df.columns else ds_.count()
        source, log10_x = scatter, bool(opts["logx"])
        if log10_x:                   # an image cannot sit on a log axis: rasterise over log10 of the axis
            shifted = df.assign(**{axis: np.log10(df[axis].astype(float))})
            source = hv.Scatter(shifted, kdims=[hv.Dimension(axis, label=f"log10 {axis}")],
                                vdims=scatter.vdims)
            opts["logx"] = False
        image = rasterize(source, aggregator=aggregator, dynamic=False, width=520, height=340)
        image = dynspread(image, threshold=0.8, max_px=2) if isinstance(image, hv.RGB) else image
        # one colour normalisation whatever the colouring: the live plot keeps its colour mapper when the
        # "colour by" widget changes (Bokeh cannot turn a linear mapper into an eq_hist one)
        shown = image.opts(cmap="plasma" if color_by else "fire", colorbar=True, cnorm="eq_hist",
                           tools=["hover", "tap"], frame_width=520, frame_height=340,
                           logx=opts["logx"], title=opts["title"] + f" ({len(df):,} points, rasterised)",
                           ylabel=str(var_label), clipping_colors={"NaN": "white"})
    else:
        # point by point: WebGL, whatever the renderer's default (the served app draws the rest on a 2D canvas)
        shown, log10_x = scatter.opts(**opts, backend_opts={"plot.output_backend": "webgl"}), False
    shown.points = df              # the diagram's points, for taps (a rasterised image has only pixels)
    shown.log10_x = log10_x        # the x axis is drawn as log10 of the values
    return shown


def extrema_choices(view: StoreView) -> dict[str, tuple[tuple[str, str], str | None]]:
    """The state variables a bifurcation diagram can show: ``{label: ((min name, max name), variable)}``.

    One entry per recorded variable of each extrema pair; labels are the variable names, prefixed by the pair's
    monitor (``"raw: V"``) when the store holds extrema of several monitors."""
    pairs = view.extrema_pairs
    out: dict[str, tuple[tuple[str, str], str | None]] = {}
    for lo, hi in pairs:
        da = view.ds[lo]
        var_dim = variable_dim(da)
        names = [str(v) for v in da[var_dim].values] if var_dim else [None]
        stem = lo[:-4] if lo.endswith("_min") else "extrema"
        for name in names:
            label = name if name is not None else "value"
            out[f"{stem}: {label}" if len(pairs) > 1 else label] = ((lo, hi), name)
    return out


def bifurcation_points(view: StoreView, pair: tuple[str, str] | None = None) -> int:
    """Points of :func:`bifurcation`'s diagram once every point of the store is done (minima and maxima of one
    variable, every region, over the whole grid)."""
    lo = view.ds[(pair or view.extrema_pairs[0])[0]]
    return 2 * int(np.prod([n for d, n in lo.sizes.items() if not d.startswith("variable")]))


def study_history(view: StoreView, objective: str | None = None) -> hv.Overlay:
    """A study's objective per trial (complete trials) and the best-so-far curve."""
    ds = view.ds
    names = [str(x) for x in ds["objective"].values]
    k = names.index(objective) if objective in names else 0
    values = ds["objective_value"].isel(objective=k).load()
    state = view.status_array()
    ok = (state == storage.TRIAL_COMPLETE).values & np.isfinite(values.values)
    trials = ds["trial"].values[ok]
    vals = values.values[ok]
    maximize = str((ds["objective_value"].attrs.get("directions") or ["maximize"])[k]) == "maximize"
    best = (np.fmax if maximize else np.fmin).accumulate(vals) if vals.size else vals
    scatter = hv.Scatter((trials, vals), kdims=["trial"], vdims=[names[k]], label="trial").opts(
        size=6, tools=["hover", "tap"])
    curve = hv.Curve((trials, best), kdims=["trial"], vdims=[names[k]], label="best so far").opts(color="black")
    return (scatter * curve).opts(frame_width=520, frame_height=300, title=f"optimisation history: {names[k]}",
                                  legend_position="bottom_right")


def study_samples(view: StoreView, x: str, y: str, objective: str | None = None,
                  grid: StoreView | None = None) -> hv.Element:
    """A study's sampled points over two searched parameters, coloured by the objective; over the landscape of
    the same feature from a sweep store ``grid`` of the same space when given (see :func:`matching_grid`)."""
    ds = view.ds
    names = [str(v) for v in ds["objective"].values]
    k = names.index(objective) if objective in names else 0
    values = ds["objective_value"].isel(objective=k).load().values
    ok = (view.status_array() == storage.TRIAL_COMPLETE).values & np.isfinite(values)
    xs, ys = ds[x].load().values[ok], ds[y].load().values[ok]
    pts = hv.Points((xs, ys, values[ok], ds["trial"].values[ok]), kdims=[x, y], vdims=[names[k], "trial"])
    pts = pts.opts(color=names[k], cmap="viridis", colorbar=True, size=8, tools=["hover", "tap"],
                   logx=_is_log(xs), logy=_is_log(ys), frame_width=420, frame_height=360, framewise=True,
                   title=f"sampled points, coloured by {names[k]}", line_color="white")
    if grid is None:
        return pts
    under = landscape(grid, names[k], x, y, image=False).values()[0]
    return (under.opts(alpha=0.55, colorbar=False, tools=["hover"]) * pts).opts(
        title=f"sampled points over the grid sweep ({names[k]})")


def matching_grid(study: StoreView, grids: list[StoreView], x: str, y: str) -> StoreView | None:
    """A sweep store among ``grids`` that sweeps both ``x`` and ``y`` and holds the study's first objective."""
    objective = str(study.ds["objective"].values[0])
    for g in grids:
        if g.kind == "sweep" and {x, y} <= set(g.swept_axes) and objective in g.scalar_features:
            return g
    return None


def _complete_trials(view: StoreView, k: int):
    ds = view.ds
    values = ds["objective_value"].isel(objective=k).load().values
    ok = (view.status_array() == storage.TRIAL_COMPLETE).values & np.isfinite(values)
    return ok, values


def best_trials(view: StoreView, n: int = 10, objective: str | None = None) -> hv.Table:
    """The ``n`` best complete trials: number, objective and scalar parameters."""
    ds = view.ds
    names = [str(v) for v in ds["objective"].values]
    k = names.index(objective) if objective in names else 0
    ok, values = _complete_trials(view, k)
    maximize = str((ds["objective_value"].attrs.get("directions") or ["maximize"])[k]) == "maximize"
    trials = ds["trial"].values[ok]
    order = np.argsort(-values[ok] if maximize else values[ok], kind="stable")[:n]
    params = [p for p in view.search_parameters if ds[p].ndim == 1]
    cols = {"trial": trials[order], names[k]: values[ok][order]}
    for p in params:
        cols[p] = ds[p].load().values[ok][order]
    return hv.Table(cols, kdims=["trial"], vdims=[names[k], *params]).opts(width=620, height=300,
                                                                           title="best trials")


def parameter_importances(view: StoreView, objective: str | None = None) -> hv.Bars:
    """PED-ANOVA importances (Optuna; no scikit-learn needed) of the searched (scalar) parameters for the objective, from the stored trials."""
    import optuna
    from optuna.distributions import FloatDistribution

    ds = view.ds
    names = [str(v) for v in ds["objective"].values]
    k = names.index(objective) if objective in names else 0
    ok, values = _complete_trials(view, k)
    params = [p for p in view.search_parameters if ds[p].ndim == 1]
    space = (ds.attrs.get("spec") or {}).get("search", {}).get("space", {})
    dists = {}
    for p in params:
        col = ds[p].load().values[ok]
        entry = space.get(p, {})
        low, high = float(entry.get("low", np.min(col))), float(entry.get("high", np.max(col)))
        dists[p] = FloatDistribution(low, max(high, low + 1e-12), log=bool(entry.get("log", False)))
    if len(params) < 2 or ok.sum() < 4:
        return hv.Bars([], kdims=["parameter"], vdims=["importance"]).opts(title="parameter importances (too few trials)")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()
    cols = {p: ds[p].load().values[ok] for p in params}
    for i, v in enumerate(values[ok]):
        study.add_trial(optuna.trial.create_trial(params={p: float(cols[p][i]) for p in params}, distributions=dists,
                                                  value=float(v)))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        imp = optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.PedAnovaImportanceEvaluator())
    return hv.Bars(list(imp.items()), kdims=["parameter"], vdims=["importance"]).opts(
        frame_width=360, frame_height=220, title=f"parameter importances for {names[k]} (PED-ANOVA)", tools=["hover"])


def progress_text(view: StoreView) -> str:
    done, total = view.progress()
    return f"{done} / {total} {'trials' if view.kind == 'study' else 'points'} done"


__all__ = ["landscape", "bifurcation", "study_history", "study_samples", "matching_grid", "best_trials", "parameter_importances",
           "progress_text"]

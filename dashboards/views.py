"""The dashboards' figures as pure functions of a :class:`~brainsweep.dashboards.data.StoreView` (HoloViews).

Each function returns a HoloViews object that renders with Bokeh in a browser, in a notebook or to HTML/PNG;
nothing here knows about Panel widgets or servers (``app.py`` binds widgets to these functions).
"""
from __future__ import annotations

import holoviews as hv
import numpy as np

from brainsweep import storage

from .data import StoreView

hv.extension("bokeh", logo=False)

LOG_RATIO = 20.0          # an axis whose positive values span more than this ratio is drawn on a log scale


def _is_log(values: np.ndarray) -> bool:
    values = np.asarray(values, dtype=float)
    return bool(values.size > 2 and np.all(values > 0) and values.max() / values.min() > LOG_RATIO)


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
              reduce: str | None = "mean") -> hv.Overlay:
    """``feature`` over two sweep axes: a QuadMesh with the best point marked and failed points crossed.

    Unfinished points are blank (NaN); diverged/failed points are blank too and marked with a cross, so they
    are never mistaken for low values. Other axes are fixed by ``selection`` (by value); ``repeat`` is reduced
    with ``reduce``.
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
    mesh = hv.QuadMesh((_edges(xs, logx), _edges(ys, logy), values.values), kdims=[x, y], vdims=[hv.Dimension(feature, label=label, unit=units
                                                                                     or None)])
    mesh = mesh.opts(colorbar=True, cmap="viridis", tools=["hover", "tap"], logx=logx, logy=logy,
                     frame_width=420, frame_height=360, title=f"{label} over {x} x {y}", clipping_colors={"NaN": "white"})
    status = view.status_array(sel)
    st_extra = [d for d in status.dims if d not in (x, y)]
    bad_mask = (status.isin([storage.STATUS_DIVERGED, storage.STATUS_FAILED])).any(st_extra) if st_extra else \
        status.isin([storage.STATUS_DIVERGED, storage.STATUS_FAILED])
    bad_mask = bad_mask.transpose(y, x).values
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    failed = hv.Points((xx[bad_mask], yy[bad_mask]), kdims=[x, y], label="failed or diverged").opts(
        marker="x", color="red", size=10)
    finite = np.isfinite(values.values)
    if finite.any():
        k = np.nanargmax(values.values)
        iy, ix = np.unravel_index(k, values.shape)
        best = hv.Points([(xs[ix], ys[iy])], kdims=[x, y], label=f"best {float(values.values[iy, ix]):.4g}").opts(
            marker="star", color="orange", size=16, line_color="black")
    else:
        best = hv.Points([], kdims=[x, y], label="best").opts(marker="star", color="orange", size=16)
    return (mesh * failed * best).opts(legend_position="top_left")


def bifurcation(view: StoreView, axis: str, pair: tuple[str, str] | None = None, variable: str | None = None,
                color_by: str | None = None, selection: dict | None = None) -> hv.Scatter:
    """Per-region minima and maxima of a state variable against ``axis``: every region's branch as points.

    A fixed point has min = max (one branch); a limit cycle opens into two. Points are coloured by
    ``color_by`` (another axis) when given.
    """
    lo_name, hi_name = pair or view.extrema_pairs[0]
    lo, hi = view.ds[lo_name], view.ds[hi_name]
    var_dim = next((d for d in lo.dims if d.startswith("variable")), None)
    sel = {k: v for k, v in (selection or {}).items() if k in lo.dims and k not in (axis, color_by)}
    if var_dim is not None:
        sel[var_dim] = variable if variable is not None else str(lo[var_dim].values[0])
    status = view.status_array({k: v for k, v in sel.items() if k in view.axes})
    frames = []
    for name, da in (("min", lo), ("max", hi)):
        da = da.sel(sel).load().where(status == storage.STATUS_OK)
        df = da.to_dataframe(name="value").reset_index()
        df["extremum"] = name
        frames.append(df)
    import pandas as pd

    df = pd.concat(frames, ignore_index=True).dropna(subset=["value"])
    region_dim = next(d for d in lo.dims if d not in view.axes and d != var_dim)
    vdims = ["value", "extremum", region_dim] + ([color_by] if color_by and color_by != axis else [])
    keep = [axis] + vdims
    df = df[[c for c in keep if c in df.columns]]
    var_label = sel.get(var_dim, "value") if var_dim else "value"
    scatter = hv.Scatter(df, kdims=[axis], vdims=[c for c in vdims if c in df.columns])
    opts = dict(size=3, alpha=0.6, tools=["hover", "tap"], frame_width=520, frame_height=340, logx=_is_log(df[axis]),
                title=f"bifurcation diagram: min/max of {var_label} per region vs {axis}", ylabel=str(var_label))
    if color_by and color_by in df.columns:
        opts.update(color=color_by, cmap="plasma", colorbar=True)
    return scatter.opts(**opts)


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


def study_samples(view: StoreView, x: str, y: str, objective: str | None = None) -> hv.Points:
    """A study's sampled points over two searched parameters, coloured by the objective."""
    ds = view.ds
    names = [str(v) for v in ds["objective"].values]
    k = names.index(objective) if objective in names else 0
    values = ds["objective_value"].isel(objective=k).load().values
    ok = (view.status_array() == storage.TRIAL_COMPLETE).values & np.isfinite(values)
    xs, ys = ds[x].load().values[ok], ds[y].load().values[ok]
    pts = hv.Points((xs, ys, values[ok], ds["trial"].values[ok]), kdims=[x, y], vdims=[names[k], "trial"])
    return pts.opts(color=names[k], cmap="viridis", colorbar=True, size=8, tools=["hover", "tap"],
                    logx=_is_log(xs), logy=_is_log(ys), frame_width=420, frame_height=360,
                    title=f"sampled points, coloured by {names[k]}")


def progress_text(view: StoreView) -> str:
    done, total = view.progress()
    return f"{done} / {total} {'trials' if view.kind == 'study' else 'points'} done"


__all__ = ["landscape", "bifurcation", "study_history", "study_samples", "progress_text"]

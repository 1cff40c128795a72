"""Drill-down: one point of a sweep, re-simulated from the store's recorded spec and seed.

The stored features of a point are small; its FC, time series and spectrum are not stored by default, so
the point is simulated again, alone, from the spec in the store's attrs and the point's stored seed. A point's
numbers do not depend on the batch it ran in, so the re-simulation reproduces the sweep's (checked: the FC fit
recomputed here equals the stored one, shown beside it).
"""
from __future__ import annotations

import holoviews as hv
import numpy as np

from .data import StoreView


def select(obj, index: dict):
    """``obj`` at the grid point ``index`` (numeric coordinates matched to the nearest value, text exactly)."""
    for k, v in index.items():
        if k in obj.dims:
            numeric = obj[k].dtype.kind in "iuf"
            obj = obj.sel({k: v}, method="nearest") if numeric else obj.sel({k: v})
    return obj


def point_values(view: StoreView, index: dict) -> tuple[dict, int]:
    """The swept values (by axis name, as the spec gives them) and the seed of the point at ``index``."""
    spec = view.ds.attrs["spec"]
    axes = list(spec["axes"])
    point = select(view.ds[["seed", "done"]], index)
    values = {}
    for name in axes:
        coord = point[name].values.item() if name in point.coords else index.get(name)
        if name == "connectivity.lesion":
            coord = () if coord in ("none", "", None) else tuple(str(coord).split("+"))
        values[name] = coord
    return values, int(point["seed"].values)


def resimulate(view: StoreView, index: dict):
    """``(spec, simulator, dataset)`` of the point at ``index`` (grid coordinates by value, ``repeat`` too)."""
    from brainsweep.explore.build import simulate_point
    from brainsweep.explore.spec import parse_spec

    spec = parse_spec(view.ds.attrs["spec"])
    values, seed = point_values(view, index)
    sim, ds = simulate_point(spec, values, seed)
    return spec, sim, ds


def drilldown(view: StoreView, index: dict, n_series: int = 4) -> hv.Layout:
    """FC of the point beside the empirical FC, their scatter with r, a few regions' signals, their PSD and
    the point's parameters."""
    from brainsweep.engine import features
    from brainsweep.explore import measure

    spec, sim, ds = resimulate(view, index)
    fc_feat = next((f for f in spec.features if f["name"] in ("fc_fit", "fc_rmse", "fcd_ks")), None)
    monitor = fc_feat["monitor"] if fc_feat else spec.features[0]["monitor"] if spec.features else \
        next(v for v in ds.data_vars if v not in ("diverged", "divergence_time"))
    signal = ds[monitor]
    tdim = next(d for d in signal.dims if d.startswith("time"))
    panels = []
    title = ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}" for k, v in index.items())
    stored = {}
    if fc_feat is not None:
        fc = features.functional_connectivity(signal, transient=spec.transient).isel(batch=0)
        emp = measure.empirical_fc(fc_feat["empirical"])
        r = float(features.fc_fit(fc.expand_dims("batch"), emp.values)[0])
        if "fc_fit" in view.ds:
            stored = {"stored fc_fit": float(select(view.ds["fc_fit"], index).values)}
        opts = dict(cmap="RdBu_r", clim=(-1, 1), frame_width=260, frame_height=260, xaxis=None, yaxis=None,
                    colorbar=True, tools=["hover"])
        n = fc.shape[0]
        panels.append(hv.Image(np.flipud(fc.values), bounds=(0, 0, n, n), vdims=["r"]).opts(
            title="simulated FC", **opts))
        panels.append(hv.Image(np.flipud(np.asarray(emp.values)), bounds=(0, 0, n, n), vdims=["r"]).opts(
            title="empirical FC", **opts))
        iu = np.triu_indices(n, 1)
        panels.append(hv.Scatter((np.asarray(emp.values)[iu], fc.values[iu]), kdims=["empirical FC"],
                                 vdims=["simulated FC"]).opts(size=2, alpha=0.4, frame_width=260, frame_height=260,
                                                               title=f"FC fit r = {r:.4f}"))
        stored["recomputed fc_fit"] = r
    sig = signal.isel(batch=0)
    var_dim = next((d for d in sig.dims if d.startswith("variable")), None)
    if var_dim:
        sig = sig.isel({var_dim: 0})
    space = next(d for d in sig.dims if d != tdim)
    regions = [str(x) for x in sig[space].values[:n_series]]
    curves = [hv.Curve((sig[tdim].values, sig.isel({space: k}).values), kdims=["time (ms)"], vdims=["signal"],
                       label=label) for k, label in enumerate(regions)]
    panels.append(hv.Overlay(curves).opts(frame_width=420, frame_height=220, title=f"{monitor}: first regions"))
    period = float(np.diff(sig[tdim].values[:2])[0]) if sig.sizes[tdim] > 1 else 1.0
    from scipy.signal import welch
    kept = sig.where(sig[tdim] >= spec.transient, drop=True).values
    if kept.shape[0] >= 8:
        f, pxx = welch(kept[:, :n_series], fs=1000.0 / period, axis=0, nperseg=min(256, kept.shape[0]))
        panels.append(hv.Overlay([hv.Curve((f[1:], pxx[1:, k]), kdims=["frequency (Hz)"], vdims=["PSD"], label=lab)
                                  for k, lab in enumerate(regions)]).opts(logy=True, frame_width=420,
                                                                          frame_height=220, title="power spectrum"))
    rows = [(k, str(v)) for k, v in index.items()] + [(k, f"{v:.6g}") for k, v in stored.items()]
    rows += [("seed", str(point_values(view, index)[1])), ("model", spec.model["name"]),
             ("coupling", spec.coupling["name"]), ("integrator", spec.integrator["name"]),
             ("dt (ms)", str(spec.integrator["dt"])), ("length (ms)", str(spec.length))]
    rows += [(f"model.{k}", str(v)) for k, v in spec.model.get("parameters", {}).items()]
    panels.append(hv.Table(rows, kdims=["parameter"], vdims=["value"]).opts(width=420, height=260,
                                                                           title="parameters"))
    return hv.Layout(panels).opts(title=f"point {title}").cols(3)


__all__ = ["drilldown", "resimulate", "point_values"]

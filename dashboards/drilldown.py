"""Drill-down: one point of a sweep (or one trial of a study), from the store or re-simulated.

When the sweep saved the point's FC (``fc`` feature) and signal (``timeseries`` feature), they are shown from
the store. Otherwise (the default: features are small, series are not) the point is simulated again, alone,
from the spec in the store's attrs and the point's stored seed. A point's
numbers do not depend on the batch it ran in, so the re-simulation reproduces the sweep's (checked: the FC fit
recomputed here equals the stored one, shown beside it).
"""
from __future__ import annotations

import json

import holoviews as hv
import numpy as np

from . import views
from .data import StoreView


def select(obj, index: dict):
    """``obj`` at the grid point ``index`` (numeric coordinates matched to the nearest value, text exactly)."""
    for k, v in index.items():
        if k in obj.dims:
            numeric = obj[k].dtype.kind in "iuf"
            obj = obj.sel({k: v}, method="nearest") if numeric else obj.sel({k: v})
    return obj


def point_values(view: StoreView, index: dict) -> tuple[dict, int]:
    """The swept values (by axis name, as the spec gives them) and the seed of the point at ``index``.

    For a study store ``index`` is ``{"trial": number}``: the trial's parameters and its first repeat's seed.
    """
    if view.kind == "study":
        study = _study(view)
        row = view.ds.sel(trial=int(index["trial"]))
        params = {name: row[name].values.item() for p in study.search.params for name, _ in p.expanded()}
        from brainsweep.explore.trials import trial_values

        return trial_values(study, params), int(np.asarray(row["seed"].values).reshape(-1)[0])
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


def _study(view: StoreView):
    from brainsweep.explore.trials import study_from_json

    spec = view.ds.attrs["spec"]
    return study_from_json(spec if isinstance(spec, str) else json.dumps(spec))


def point_spec(view: StoreView):
    """The :class:`~brainsweep.explore.SweepSpec` that simulates the store's points (a study's ``sim``)."""
    from brainsweep.explore.spec import parse_spec

    return _study(view).sim if view.kind == "study" else parse_spec(view.ds.attrs["spec"])


def resimulate(view: StoreView, index: dict):
    """``(spec, simulator, dataset)`` of the point at ``index`` (grid coordinates by value, ``repeat`` too; a
    study's ``{"trial": n}``)."""
    from brainsweep.explore.build import simulate_point

    spec = point_spec(view)
    values, seed = point_values(view, index)
    sim, ds = simulate_point(spec, values, seed)
    return spec, sim, ds


def prepare_resimulation(view: StoreView) -> None:
    """Compile (or load from numba's disk cache) the kernel a drill-down of ``view`` re-simulates with, and import
    what it uses, by simulating one of its points for two steps: a first click then waits for its simulation only.

    Raises whatever reading the store's spec raises (a store without a brainsweep spec cannot be re-simulated).
    """
    from dataclasses import replace

    from brainsweep.explore.build import simulate_point

    spec = point_spec(view)
    if view.kind == "study":
        from brainsweep import storage

        complete = view.ds["trial"].values[(view.status_array() == storage.TRIAL_COMPLETE).values]
        if complete.size == 0:
            return
        index = {"trial": int(complete[0])}
    else:
        index = {a: view.ds[a].values[0].item() for a in view.axes}
    values, seed = point_values(view, index)
    simulate_point(replace(spec, length=2 * float(spec.integrator["dt"])), values, seed)


def stored_output(view: StoreView, spec, kind: str, monitor: str, index: dict):
    """What a ``kind`` feature (``fc`` or ``timeseries``) of ``monitor`` stored for the point, or None."""
    from brainsweep.explore.measure import stored_name

    for feat in spec.features:
        if feat["name"] == kind and feat.get("monitor") == monitor:
            name = stored_name(feat, "fc" if kind == "fc" else f"{monitor}_series")
            if name in view.ds:
                point = select(view.ds[[name, "done"]], index)
                if "repeat" in point.dims:
                    point = point.isel(repeat=0)
                if int(np.asarray(point["done"].values).reshape(-1)[0]) == 1:
                    return point[name].load()
    return None


def drilldown(view: StoreView, index: dict, n_series: int = 4) -> hv.Layout:
    """FC of the point beside the empirical FC, their scatter with r, a few regions' signals, their PSD and
    the point's parameters."""
    from brainsweep.engine import features
    from brainsweep.explore import measure

    spec = point_spec(view)
    fc_feat = next((f for f in spec.features if f["name"] in ("fc_fit", "fc_rmse", "fcd_ks")), None)
    monitor = fc_feat["monitor"] if fc_feat else spec.features[0]["monitor"] if spec.features else None
    # the store's own FC and series when the sweep saved them; else the point is simulated again
    stored_fc = stored_output(view, spec, "fc", monitor, index) if fc_feat else None
    stored_series = stored_output(view, spec, "timeseries", monitor, index) if monitor else None
    from_store = stored_series is not None and (fc_feat is None or stored_fc is not None)
    if from_store:
        sig = stored_series
        tdim = next(d for d in sig.dims if d.startswith("time"))
    else:
        spec, sim, ds = resimulate(view, index)
        monitor = monitor or next(v for v in ds.data_vars if v not in ("diverged", "divergence_time"))
        signal = ds[monitor]
        tdim = next(d for d in signal.dims if d.startswith("time"))
        sig = signal.isel(batch=0)
    panels = []
    title = ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}" for k, v in index.items())
    stored = {}
    if fc_feat is not None:
        if stored_fc is not None and from_store:
            fc = stored_fc
        else:
            fc = features.functional_connectivity(signal, transient=spec.transient).isel(batch=0)
        emp = measure.empirical_fc(fc_feat["empirical"])
        r = float(features.fc_fit(fc.expand_dims("batch"), emp.values)[0])
        if "fc_fit" in view.ds:
            stored_fit = select(view.ds["fc_fit"], index)
            if "repeat" in stored_fit.dims:
                stored_fit = stored_fit.isel(repeat=0)
            stored = {"stored fc_fit": float(np.asarray(stored_fit.values).reshape(-1)[0])}
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
        stored["fc_fit of the FC shown"] = r
    var_dim = views.variable_dim(sig)
    if var_dim:
        sig = sig.isel({var_dim: 0})
    space = next(d for d in sig.dims if d != tdim)
    regions = [str(x) for x in sig[space].values[:n_series]]
    curves = [hv.Curve((sig[tdim].values, sig.isel({space: k}).values), kdims=["time (ms)"], vdims=["signal"],
                       label=label) for k, label in enumerate(regions)]
    panels.append(hv.Overlay(curves).opts(frame_width=420, frame_height=220, title=f"{monitor}: first regions"))
    period = float(np.diff(sig[tdim].values[:2])[0]) if sig.sizes[tdim] > 1 else 1.0
    from scipy.signal import welch
    kept = sig.values if from_store else sig.where(sig[tdim] >= spec.transient, drop=True).values
    if kept.shape[0] >= 8:
        f, pxx = welch(kept[:, :n_series], fs=1000.0 / period, axis=0, nperseg=min(256, kept.shape[0]))
        panels.append(hv.Overlay([hv.Curve((f[1:], pxx[1:, k]), kdims=["frequency (Hz)"], vdims=["PSD"], label=lab)
                                  for k, lab in enumerate(regions)]).opts(logy=True, frame_width=420,
                                                                          frame_height=220, title="power spectrum"))
    values, seed = point_values(view, index)
    rows = [(k, str(v)) for k, v in index.items()]
    if view.kind == "study":           # the trial's searched values (a per-region value as its range)
        rows += [(k, f"{v:.6g}" if np.ndim(v) == 0 and isinstance(v, (int, float, np.number)) else
                  (f"{np.min(v):.4g} .. {np.max(v):.4g} ({np.size(v)} regions)" if np.ndim(v) else str(v)))
                 for k, v in values.items()]
    rows += [(k, f"{v:.6g}") for k, v in stored.items()]
    rows += [("data", "stored in the results store" if from_store else "re-simulated from the stored spec and seed")]
    rows += [("seed", str(seed)), ("model", spec.model["name"]),
             ("coupling", spec.coupling["name"]), ("integrator", spec.integrator["name"]),
             ("dt (ms)", str(spec.integrator["dt"])), ("length (ms)", str(spec.length))]
    rows += [(f"model.{k}", str(v)) for k, v in spec.model.get("parameters", {}).items()]
    panels.append(hv.Table(rows, kdims=["parameter"], vdims=["value"]).opts(width=420, height=260,
                                                                           title="parameters"))
    return hv.Layout(panels).opts(title=f"point {title}").cols(3)


__all__ = ["prepare_resimulation", "drilldown", "resimulate", "point_values", "point_spec", "stored_output"]

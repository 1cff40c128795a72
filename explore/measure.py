"""Features of a simulated batch, computed on the worker so that only small arrays travel and get stored.

``output_specs`` describes, before anything runs, every stored feature (name, extra dimensions and their
coordinates); ``compute`` evaluates them on a batch's :class:`xarray.Dataset`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import xarray as xr

from brainsweep.engine import datasets, features, monitors
from brainsweep.engine.summaries import FCDSummary, FCSummary

from .spec import SweepSpec


@dataclass(frozen=True)
class Output:
    """One stored feature: its name, extra dimensions (after the grid's) and their coordinates."""

    name: str
    dims: tuple[str, ...]
    coords: tuple[tuple[str, tuple], ...]
    units: str = ""
    long_name: str = ""


@functools.lru_cache(maxsize=4)
def empirical_fc(source: str) -> xr.DataArray:
    if source == "hcp80":
        return datasets.bundled_hcp80().fc_dataarray()
    return xr.DataArray(datasets.load_matrices(fc=source).fc, dims=("region", "region_to"))


@functools.lru_cache(maxsize=4)
def empirical_fcd_values(source: str) -> np.ndarray:
    if source == "hcp80":
        return np.asarray(datasets.bundled_hcp80().fcd_values).ravel()
    raise ValueError(f"no empirical FCD distribution for {source!r}; fcd_ks needs empirical: hcp80")


def _monitor_space(sim, name: str):
    """(variable labels, space dim, space labels) of the monitor whose output is called ``name``."""
    vois = list(sim.model.variables_of_interest)
    for mon in sim.monitors:
        if monitors.output_name(mon) == name:
            space, labels = mon.output_space(sim.connectivity)
            return [vois[k] for k in mon.voi_indices(len(vois))], space, [str(x) for x in labels]
    raise KeyError(name)


def stored_name(feat: dict, base: str) -> str:
    """The store variable of output ``base`` of a feature: its ``as`` name if given (a prefix for features with
    several outputs: ``as: net`` -> ``net_min``, ``net_max``), else ``base``."""
    prefix = feat.get("as")
    return f"{prefix}_{base}" if prefix and feat["name"] in ("extrema", "synchrony") else (prefix or base)


#: Features with one number per point, and their outputs.
SCALAR_OUTPUTS = {"fc_fit": ("fc_fit",), "fc_rmse": ("fc_rmse",), "fcd_ks": ("fcd_ks",),
                  "synchrony": ("synchrony", "metastability")}


def scalar_names(spec: SweepSpec) -> dict[str, str]:
    """Store names of the spec's scalar outputs -> the output they are (``fc_fit``, ``metastability`` ...)."""
    return {stored_name(f, base): base for f in spec.features for base in SCALAR_OUTPUTS.get(f["name"], ())}


def series_times(spec: SweepSpec, sim, monitor: str, every: int) -> list[float]:
    """Time stamps (ms) of the samples a ``timeseries`` feature keeps: from the transient on, every ``every``-th."""
    dt = sim.integrator.dt
    n_steps = int(np.ceil(spec.length / dt))
    mon = next(m for m in sim.monitors if monitors.output_name(m) == monitor)
    times = np.asarray(mon.step_times(mon.sample_steps(1, n_steps, dt), dt), dtype=np.float64)
    return [float(x) for x in times[times >= spec.transient][::every]]


def output_specs(spec: SweepSpec, sim) -> list[Output]:
    """Every stored feature of the spec, with extra dims named so that different monitors never clash."""
    outs, seen_dims = [], {}

    def dim(name: str, labels: list, monitor: str) -> str:
        if name in seen_dims and seen_dims[name] != labels:
            name = f"{name}_{monitor}"
        seen_dims[name] = labels
        return name

    for feat in spec.features:
        kind, mon = feat["name"], feat["monitor"]
        variables, space, labels = _monitor_space(sim, mon)

        def named(base: str, feat=feat) -> str:
            return stored_name(feat, base)

        if kind in ("fc_fit", "fc_rmse", "fcd_ks"):
            outs.append(Output(named(kind), (), (), long_name={"fc_fit": "FC fit (Pearson r of upper triangles)",
                                                               "fc_rmse": "FC root mean square error",
                                                               "fcd_ks": "FCD Kolmogorov-Smirnov distance"}[kind]))
        elif kind == "synchrony":
            outs.append(Output(named("synchrony"), (), (), long_name="Kuramoto order parameter, mean"))
            outs.append(Output(named("metastability"), (), (), long_name="Kuramoto order parameter, std"))
        elif kind == "timeseries":
            every = int(feat.get("every", 1))
            times = series_times(spec, sim, mon, every)
            dt_, dv, ds_ = f"time_{mon}", dim("variable", variables, mon), dim(space, labels, mon)
            outs.append(Output(named(f"{mon}_series"), (dt_, dv, ds_),
                               ((dt_, tuple(times)), (dv, tuple(variables)), (ds_, tuple(labels))),
                               long_name=f"{mon} after the transient, every {every} sample(s)"))
        elif kind == "fc":
            d1, d2 = dim(space, labels, mon), dim(f"{space}_to", labels, mon)
            outs.append(Output(named("fc"), (d1, d2), ((d1, tuple(labels)), (d2, tuple(labels))),
                               long_name="functional connectivity"))
        else:
            dv, ds_ = dim("variable", variables, mon), dim(space, labels, mon)
            coords = ((dv, tuple(variables)), (ds_, tuple(labels)))
            if kind == "extrema":
                outs.append(Output(named("min"), (dv, ds_), coords, long_name="minimum after the transient"))
                outs.append(Output(named("max"), (dv, ds_), coords, long_name="maximum after the transient"))
            elif kind == "dominant_frequency":
                outs.append(Output(named(kind), (dv, ds_), coords, units="Hz", long_name="dominant frequency"))
            else:
                outs.append(Output(named(kind), (dv, ds_), coords, long_name=f"{kind} after the transient"))
    return outs


#: Features the engine can compute where the simulation runs (:mod:`brainsweep.engine.summaries`).
ENGINE_SUMMARISED = ("fc_fit", "fc_rmse", "fc", "fcd_ks")


def _summary_name(k: int) -> str:
    """The engine summary of feature ``k`` (its outputs: ``{name}``, ``{name}_fit``, ``{name}_rmse``,
    ``{name}_ks``)."""
    return f"feature{k}"


def _fcd_window(feat: dict) -> tuple[float, float]:
    """An ``fcd_ks`` feature's window and step (ms)."""
    return float(feat.get("window", 21600.0)), float(feat.get("step", 7200.0))


def run_summaries(spec: SweepSpec, sim) -> list:
    """The FC and FCD features to hand to ``Simulator.run(summaries=...)``: with ``backend="cuda"`` the engine
    computes them on the GPU and the series they come from stay there (unless another feature reads them); on
    the CPU none (``compute`` derives them from the series, the reference the GPU's values are tested against)."""
    if getattr(sim, "backend", "cpu") != "cuda":
        return []
    read = {f["monitor"] for f in spec.features if f["name"] not in ENGINE_SUMMARISED}
    out = []
    for k, feat in enumerate(spec.features):
        if feat["name"] not in ENGINE_SUMMARISED:
            continue
        if feat["name"] == "fcd_ks":
            window, step = _fcd_window(feat)
            out.append(FCDSummary(monitor=feat["monitor"], transient=spec.transient, window=window, step=step,
                                  empirical=empirical_fcd_values(feat["empirical"]), variable=feat.get("variable"),
                                  entries="full", keep_series=feat["monitor"] in read, name=_summary_name(k)))
            continue
        emp = None if feat["name"] == "fc" else empirical_fc(feat["empirical"]).values
        out.append(FCSummary(monitor=feat["monitor"], transient=spec.transient, empirical=emp,
                             variable=feat.get("variable"),
                             exclude_interhemispheric=bool(feat.get("exclude_interhemispheric", False)),
                             matrix=feat["name"] == "fc", keep_series=feat["monitor"] in read, name=_summary_name(k)))
    return out


def compute(spec: SweepSpec, sim, ds: xr.Dataset, outputs: list[Output]) -> dict[str, np.ndarray]:
    """Each output as an array ``(batch, *extra dims)``.

    A point's features do not depend on the batch it was simulated in: the engine's features compute each
    member on its own (``tests/engine/test_features.py`` checks it bit for bit). FC features the engine already
    computed (``run_summaries``: ``feature{k}_fit``, ``feature{k}_ks`` ...) are taken from ``ds``.
    """
    results: dict[str, np.ndarray] = {}
    it = iter(outputs)
    hemispheres = sim.connectivity.hemispheres
    for k, feat in enumerate(spec.features):
        kind = feat["name"]
        base = _summary_name(k)
        done = {"fc_fit": f"{base}_fit", "fc_rmse": f"{base}_rmse", "fc": base, "fcd_ks": f"{base}_ks"}.get(kind)
        if done in ds:
            arr = np.asarray(ds[done].values, dtype=np.float64)
            results[next(it).name] = arr if "batch" in ds[done].dims else arr[None]
            continue
        da = ds[feat["monitor"]]
        if "batch" not in da.dims:
            da = da.expand_dims("batch")
        t = spec.transient
        if kind in ("fc_fit", "fc_rmse"):
            fc = features.functional_connectivity(da, transient=t, variable=feat.get("variable"))
            fn = features.fc_fit if kind == "fc_fit" else features.fc_rmse
            val = fn(fc, empirical_fc(feat["empirical"]).values,
                     exclude_interhemispheric=bool(feat.get("exclude_interhemispheric", False)),
                     hemispheres=hemispheres if feat.get("exclude_interhemispheric") else None)
            results[next(it).name] = np.asarray(val, dtype=np.float64).reshape(-1)
        elif kind == "fcd_ks":
            window, step = _fcd_window(feat)
            fcd = features.fcd(da, window=window, step=step, transient=t, variable=feat.get("variable"), entries="full")
            results[next(it).name] = np.asarray(features.fcd_ks(fcd, empirical_fcd_values(feat["empirical"])),
                                                dtype=np.float64).reshape(-1)
        elif kind == "synchrony":
            order = features.kuramoto_order(da, transient=t, variable=feat.get("variable"))
            results[next(it).name] = np.asarray(order["synchrony"], dtype=np.float64).reshape(-1)
            results[next(it).name] = np.asarray(order["metastability"], dtype=np.float64).reshape(-1)
        elif kind == "fc":
            fc = features.functional_connectivity(da, transient=t, variable=feat.get("variable"))
            results[next(it).name] = np.asarray(fc, dtype=np.float64)
        else:
            tdim = next(d for d in da.dims if d.startswith("time"))
            kept = da.where(da[tdim] >= t, drop=True) if t > 0 else da
            others = [d for d in kept.dims if d not in ("batch", tdim)]
            if kind == "timeseries":
                out = next(it)
                series = kept.isel({tdim: slice(None, None, int(feat.get("every", 1)))})
                expected = np.asarray(out.coords[0][1])
                if series.sizes[tdim] != expected.size or not np.allclose(series[tdim].values, expected):
                    raise ValueError(f"{out.name}: recorded {series.sizes[tdim]} samples, the store expects "
                                     f"{expected.size}")
                results[out.name] = np.asarray(series.transpose("batch", tdim, *others), dtype=np.float64)
            elif kind == "extrema":
                results[next(it).name] = np.asarray(kept.min(tdim).transpose("batch", *others), dtype=np.float64)
                results[next(it).name] = np.asarray(kept.max(tdim).transpose("batch", *others), dtype=np.float64)
            elif kind == "mean":
                results[next(it).name] = np.asarray(kept.mean(tdim).transpose("batch", *others), dtype=np.float64)
            elif kind == "std":
                results[next(it).name] = np.asarray(kept.std(tdim).transpose("batch", *others), dtype=np.float64)
            elif kind == "dominant_frequency":
                per_var = [np.asarray(features.dominant_frequency(kept.isel({others[0]: v}),
                                                                  fmin=float(feat.get("fmin", 0.0)),
                                                                  fmax=feat.get("fmax")), dtype=np.float64)
                           for v in range(kept.sizes[others[0]])]
                results[next(it).name] = np.stack(per_var, axis=1)
    return results


__all__ = ["Output", "output_specs", "compute", "run_summaries", "empirical_fc"]

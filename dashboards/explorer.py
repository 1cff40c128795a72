"""Model explorer (TVB's phase-plane tool): the vector field, nullclines and trajectories of one uncoupled node.

Uses the engine's public API only: a model class's declared state variables, ranges and parameters, and
``Model.evaluate_dfun`` (the same derivative the kernel compiles). Trajectories are integrated with RK4 in
NumPy (one node, no coupling, no noise); a button runs a short network simulation of the chosen point on
TVB's 76-region connectome.
"""
from __future__ import annotations

import holoviews as hv
import numpy as np
import panel as pn

from brainsweep.engine import models
from brainsweep.engine.model import Model

from .widgets import select

GRID = 21


def model_names() -> list[str]:
    return sorted(n for n in models.__all__ if isinstance(getattr(models, n), type)
                  and issubclass(getattr(models, n), Model) and len(getattr(models, n).state_variables) >= 2)


def _model(name: str, params: dict):
    cls = getattr(models, name)
    return cls(**{k: v for k, v in params.items() if k in cls._parameters})


def phase_plane(name: str, x: str, y: str, params: dict | None = None, n_trajectories: int = 4,
                duration: float = 200.0, dt: float = 0.05) -> hv.Overlay:
    """Vector field, nullclines (dx/dt = 0 in blue, dy/dt = 0 in red) and trajectories over ``x`` x ``y``.

    Other state variables are held at the middle of their ranges for the field; trajectories evolve all of
    them from ``n_trajectories`` starting points (deterministic) for ``duration`` ms.
    """
    model = _model(name, params or {})
    svs = list(model.state_variables)
    ix, iy = svs.index(x), svs.index(y)
    (x0, x1), (y0, y1) = model.state_variable_range[x], model.state_variable_range[y]
    xs, ys = np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID)
    X, Y = np.meshgrid(xs, ys)
    state = np.array([np.full_like(X, np.mean(model.state_variable_range[sv])) for sv in svs])
    state[ix], state[iy] = X, Y
    d = model.evaluate_dfun(state)
    dx, dy = d[ix], d[iy]
    mag = np.hypot(dx, dy)
    field = hv.VectorField((X.ravel(), Y.ravel(), np.arctan2(dy, dx).ravel(), mag.ravel()),
                           kdims=[x, y], vdims=["angle", "magnitude"]).opts(
        magnitude=hv.dim("magnitude").norm() * 0.9, pivot="tail", color="grey", alpha=0.6)
    fine_x, fine_y = np.linspace(x0, x1, 121), np.linspace(y0, y1, 121)
    FX, FY = np.meshgrid(fine_x, fine_y)
    fstate = np.array([np.full_like(FX, np.mean(model.state_variable_range[sv])) for sv in svs])
    fstate[ix], fstate[iy] = FX, FY
    fd = model.evaluate_dfun(fstate)
    nullclines = []
    for k, (comp, color) in enumerate(((ix, "blue"), (iy, "red"))):
        img = hv.Image((fine_x, fine_y, fd[comp]), kdims=[x, y])
        cont = hv.operation.contours(img, levels=[0.0], filled=False)
        nullclines.append(cont.relabel(f"d{[x, y][k]}/dt = 0").opts(color=color, line_width=2, show_legend=True))
    starts = np.linspace(0.15, 0.85, n_trajectories)
    s0 = np.array([[lo + f * (hi - lo) for f in starts] for lo, hi in (model.state_variable_range[sv] for sv in svs)])
    s0[iy] = y0 + (1 - starts) * (y1 - y0)
    paths = _rk4(model, s0, duration, dt)                       # (steps, nvar, trajectories), all at once
    trajectories = [hv.Curve((paths[:, ix, k], paths[:, iy, k]), kdims=[x], vdims=[y]).opts(color="black",
                                                                                           line_width=1.5)
                    for k in range(n_trajectories)]
    over = hv.Overlay([field, *nullclines, *trajectories])
    return over.opts(hv.opts.Overlay(frame_width=460, frame_height=400, xlim=(x0, x1), ylim=(y0, y1),
                                     title=f"{name}: phase plane of one uncoupled node", legend_position="top_right"))


def _rk4(model, s: np.ndarray, duration: float, dt: float) -> np.ndarray:
    """RK4 of ``s`` (nvar, trajectories) without coupling; the model's derivative is called directly (the
    checks of ``evaluate_dfun`` would dominate thousands of tiny calls). Stops at the first non-finite step."""
    fn = model.derivative()
    nvar = len(model.state_variables)
    n_in = model.n_coupling_inputs
    zeros = [np.zeros(s.shape[1])] * (n_in + model.n_local_inputs)
    params = [model._broadcast_param(a, s.shape[1:]) for a in fn.args[model.n_fixed_args:]]

    def f(v):
        out = fn.evaluate(*v, *zeros, *params)
        return np.array(out if nvar > 1 else (out,), dtype=np.float64).reshape(v.shape)

    n = int(duration / dt)
    out = np.empty((n + 1,) + s.shape)
    out[0] = s
    for i in range(n):
        v = out[i]
        k1 = f(v)
        k2 = f(v + dt / 2 * k1)
        k3 = f(v + dt / 2 * k2)
        k4 = f(v + dt * k3)
        out[i + 1] = v + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if not np.all(np.isfinite(out[i + 1])):
            return out[: i + 1]
    return out


def network_run(name: str, params: dict, coupling_a: float, length: float = 2000.0) -> hv.Layout:
    """A short network simulation of the chosen point on TVB's 76 regions: signals of a few regions and FC."""
    import brainsweep as bs
    from brainsweep.engine import features

    sim = bs.Simulator(bs.Connectivity.from_tvb_data(), _model(name, params), bs.coupling.Linear(a=coupling_a),
                       bs.integrators.HeunDeterministic(dt=0.1), [bs.monitors.TemporalAverage(period=1.0)])
    ds = sim.run(length)
    ta = ds.temporal_average.isel(variable=0)
    curves = [hv.Curve((ta.time_temporal_average.values, ta.isel(region=k).values), kdims=["time (ms)"],
                       vdims=["signal"], label=str(ta.region.values[k])) for k in range(4)]
    fc = features.functional_connectivity(ds.temporal_average, transient=length / 4)
    n = fc.shape[-1]
    return hv.Layout([hv.Overlay(curves).opts(frame_width=420, frame_height=220, title="network: first regions"),
                      hv.Image(np.flipud(np.asarray(fc.values).reshape(n, n)), bounds=(0, 0, n, n)).opts(
                          cmap="RdBu_r", clim=(-1, 1), colorbar=True, frame_width=240, frame_height=240,
                          title="network FC", xaxis=None, yaxis=None)])


def explorer_panel() -> pn.Column:
    """Widgets (model, two state variables, one slider per ranged parameter) bound to the phase plane."""
    names = model_names()
    model = select(label="model", options=names, value="Generic2dOscillator")
    x = select(label="x", options=[], value=None)
    y = select(label="y", options=[], value=None)
    coupling = pn.widgets.FloatSlider(label="network coupling.a", start=0.0, end=0.1, step=0.001, value=0.01)
    sliders = pn.Column()
    plot = pn.pane.HoloViews(name="phase plane")
    network = pn.Column(name="network")
    run = pn.widgets.Button(label="simulate a network (TVB 76 regions, 2 s)", button_type="primary")

    def values() -> dict:
        return {s.label: s.value for s in sliders}

    busy = {"on": False}

    def redraw(*_):
        if busy["on"]:
            return
        svs = getattr(models, model.value).state_variables
        if x.value in svs and y.value in svs and x.value != y.value:
            plot.object = phase_plane(model.value, x.value, y.value, values())

    def on_model(*_):
        cls = getattr(models, model.value)
        svs = list(cls.state_variables)
        busy["on"] = True             # one redraw for the whole change, not one per widget
        x.param.update(options=svs, value=svs[0])
        y.param.update(options=svs, value=svs[1])
        new = []
        for pname, p in cls._parameters.items():
            lo, hi = p.range if p.range else (p.default - abs(p.default) - 1, p.default + abs(p.default) + 1)
            if hi <= lo:
                continue
            s = pn.widgets.FloatSlider(label=pname, start=lo, end=hi, value=p.default, step=(hi - lo) / 200)
            s.param.watch(redraw, "value")
            new.append(s)
        sliders.objects = new
        network.objects = []
        busy["on"] = False
        redraw()

    def on_run(*_):
        network.objects = [pn.pane.HoloViews(network_run(model.value, values(), coupling.value))]

    model.param.watch(on_model, "value")
    x.param.watch(redraw, "value")
    y.param.watch(redraw, "value")
    run.on_click(on_run)
    on_model()
    col = pn.Column(pn.Row(pn.Column(model, x, y, pn.pane.Markdown("**parameters**"), sliders, coupling, run),
                           plot), network, name="model explorer")
    col.widgets = {"model": model, "x": x, "y": y, "sliders": sliders, "run": run, "coupling": coupling}
    col.plot, col.network = plot, network
    return col


__all__ = ["phase_plane", "explorer_panel", "network_run", "model_names"]

"""The Panel app: one tab per store (landscape, bifurcation diagram, study history), live while it is written.

``build_app(paths)`` returns the layout (a Panel ``Tabs``), testable without a server; ``serve(paths, ...)``
serves it on loopback. Widgets are generated from what each store holds; a periodic callback re-reads the
stores' ``done`` flags every few seconds and redraws, so a running sweep fills in without a page reload.
"""
from __future__ import annotations

import gc
import html
import threading

import holoviews as hv
import numpy as np
import panel as pn
from bokeh.core.validation import silence
from bokeh.core.validation.warnings import FIXED_SIZING_MODE

from . import views
from .data import StoreError, StoreView
from .drilldown import drilldown, prepare_resimulation
from .widgets import select

REFRESH_MS = 3000

#: One per panel, in every DynamicMap of the panel: the live refresh bumps it, so each view is drawn again even
#: though its widgets did not change (HoloViews memoizes a DynamicMap on its streams' values).
Revision = hv.streams.Stream.define("Revision", revision=0)


def _selectors(view: StoreView, fixed: list[str]) -> dict[str, pn.widgets.Widget]:
    """One value selector per axis not shown on the plot (values as in the store)."""
    out = {}
    for dim in fixed:
        values = [v.item() if hasattr(v, "item") else v for v in view.ds[dim].values]
        out[dim] = pn.widgets.DiscreteSlider(label=dim, options=values, value=values[0])
    return out


def _nearest(view: StoreView, dim: str, value: float):
    """The grid value of ``dim`` nearest to a clicked coordinate (in log space on log-spaced axes)."""
    values = np.asarray(view.ds[dim].values, dtype=float)
    if views._is_log(values):
        k = int(np.argmin(np.abs(np.log10(values) - np.log10(max(float(value), 1e-300)))))
    else:
        k = int(np.argmin(np.abs(values - float(value))))
    return values[k].item()


def _drill_pane(view: StoreView, index: dict, name: str = "drill-down"):
    try:
        # linked_axes=False: another drill-down (another tab, another time span) must not share its axes
        return pn.pane.HoloViews(drilldown(view, index), name=name, linked_axes=False)
    except Exception as exc:  # noqa: BLE001 - one line in the page, not a traceback
        return pn.pane.Alert(html.escape(f"cannot show this point: {type(exc).__name__}: {exc}"),
                             alert_type="warning", name=name)


def _nearest_branch_point(view: StoreView, scatter: hv.Scatter, axis: str, tx: float, ty: float) -> dict:
    """The grid point (every axis) of the diagram's point nearest to a tap, distances scaled by each range."""

    df = scatter.points
    xs = np.asarray(df[axis], dtype=float)
    ys = np.asarray(df["value"], dtype=float)
    logx = views._is_log(xs)
    fx = np.log10 if logx else np.asarray
    span_x = np.ptp(fx(xs)) or 1.0
    span_y = np.ptp(ys) or 1.0
    d = ((fx(xs) - fx(np.asarray(float(tx)))) / span_x) ** 2 + ((ys - float(ty)) / span_y) ** 2
    row = df.iloc[int(np.argmin(d))]
    index = {}
    for a in view.axes:
        if a in df.columns:
            v = row[a]
            index[a] = v.item() if hasattr(v, "item") else v
        else:
            index[a] = view.ds[a].values[0].item()
    return index


def sweep_panel(view: StoreView) -> pn.viewable.Viewable:
    """Landscape (and bifurcation diagram when the store has extrema) of one sweep store."""
    axes = view.swept_axes
    features = view.scalar_features
    progress = pn.pane.Str(views.progress_text(view), name="progress")
    parts: list = [pn.pane.Str(html.escape(view.title)), progress]
    widgets: dict = {}
    revision = Revision()
    if features and len(axes) >= 2:
        feature = select(label="feature", options=features, value=features[0])
        x = select(label="x", options=axes, value=axes[0])
        y = select(label="y", options=axes, value=axes[1])
        reduce = select(label="over repeats", options=["mean", "max", "min", "std"], value="mean")
        others = _selectors(view, [a for a in axes if a not in (axes[0], axes[1])])
        widgets.update(feature=feature, x=x, y=y, reduce=reduce, **others)

        cache: dict = {}
        # A DynamicMap must return one element type each time (else HoloViews raises in the server and the plot
        # stops following its streams): every landscape of this store is an Image, or every one a QuadMesh
        image = views.regular_axes(view, axes)

        def drawn(feature, x, y, reduce, fixed):
            key = (feature, x, y, reduce, tuple(sorted(fixed.items())), view.progress())
            if key not in cache:
                cache.clear()
                cache[key] = views.landscape(view, feature, x, y, selection=fixed, reduce=reduce, image=image)
            return cache[key]

        # the mesh and its markers are two DynamicMaps: a Tap stream on a DynamicMap of an Overlay never fires.
        # x = y happens between the two selections of an axis swap: an empty plot of the same types
        def draw_mesh(feature, x, y, reduce, **fixed):
            if x == y:
                empty = hv.Image([]) if image else hv.QuadMesh(([0.0, 1.0], [0.0, 1.0], np.full((1, 1), np.nan)))
                return empty.relabel("choose two different axes")
            return drawn(feature, x, y, reduce, fixed).values()[0]

        def draw_marks(feature, x, y, reduce, **fixed):
            if x == y:
                return hv.Overlay([hv.Points([], label="failed or diverged"), hv.Points([], label="best")])
            return hv.Overlay(drawn(feature, x, y, reduce, fixed).values()[1:])

        def unshow(dim, value):
            """A tapped coordinate in the axis's value (log-spaced axes may be drawn as log10)."""
            logs = views.drawn_as_log10(view, x.value, y.value, image=image)
            return 10.0 ** float(value) if logs[0 if dim == x.value else 1] else value

        # One stream drives both DynamicMaps, and a widget change pushes it inside one held document: the mesh and
        # its markers reach the browser in one message and are painted once (two bindings sent two, ~90 ms apart)
        safe = {d: f"axis_{k}" for k, d in enumerate(others)}       # axis names ("noise.nsig") are not identifiers

        def current() -> dict:
            return dict(feature=feature.value, x=x.value, y=y.value, reduce=reduce.value,
                        **{safe[d]: w.value for d, w in others.items()})

        selection = hv.streams.Stream.define("Selection", **current())()

        def push(*events):
            with pn.io.hold():
                selection.event(**current())

        for widget in (feature, x, y, reduce, *others.values()):
            widget.param.watch(push, "value")

        def unsafe(kw: dict) -> dict:
            named = {d: kw[a] for d, a in safe.items()}
            return dict(feature=kw["feature"], x=kw["x"], y=kw["y"], reduce=kw["reduce"], **named)

        mesh = hv.DynamicMap(lambda **kw: draw_mesh(**unsafe(kw)), streams=[selection, revision])
        marks = hv.DynamicMap(lambda **kw: draw_marks(**unsafe(kw)), streams=[selection, revision])
        landscape = (mesh * marks).opts(legend_position="top")
        tap = hv.streams.Tap(source=mesh, x=None, y=None)

        def drill(tx, ty):
            if tx is None or ty is None:
                return pn.pane.Markdown("Click (tap) a cell of the landscape to see that point: its FC beside the "
                                        "empirical FC, signals, spectrum and parameters.", name="drill-down")
            index = {x.value: _nearest(view, x.value, unshow(x.value, tx)),
                     y.value: _nearest(view, y.value, unshow(y.value, ty)),
                     **{d: w.value for d, w in others.items()}}
            if "repeat" in view.axes:
                index["repeat"] = int(view.ds["repeat"].values[0])
            return _drill_pane(view, index)

        widgets["tap"] = tap
        parts.append(pn.Row(pn.Column(feature, x, y, reduce, *others.values()),
                            pn.pane.HoloViews(landscape, name="landscape")))
        parts.append(pn.panel(pn.bind(drill, tap.param.x, tap.param.y)))
    elif features and len(axes) == 1:
        feature = select(label="feature", options=features, value=features[0])
        widgets.update(feature=feature)

        def draw1(feature, revision=0):
            da = view.scalar(feature, reduce="mean")
            return hv.Curve((da[axes[0]].values, da.values), kdims=[axes[0]], vdims=[feature]).opts(
                frame_width=520, tools=["hover", "tap"]) * hv.Scatter(
                (da[axes[0]].values, da.values), kdims=[axes[0]], vdims=[feature]).opts(size=6)

        parts.append(pn.Row(feature, pn.pane.HoloViews(hv.DynamicMap(pn.bind(draw1, feature=feature),
                                                                     streams=[revision]), name="landscape")))
    if view.extrema_pairs and axes:
        choices = views.extrema_choices(view)
        variable = select(label="state variable", options=list(choices), value=next(iter(choices)))
        axis = select(label="bifurcation axis", options=axes, value=axes[0])
        color = select(label="colour by", options=["none"] + axes + view.scalar_features,
                       value=axes[1] if len(axes) > 1 else "none")
        widgets.update(bif_variable=variable, bif_axis=axis, bif_color=color)
        bif_cache: dict = {}
        # rasterised or not by the size of the finished store, not of what is done so far: the DynamicMap keeps
        # one element type while a sweep fills the store
        rasterise = views.bifurcation_points(view) > views.DATASHADE_ABOVE

        def draw_bif(variable, axis, color, revision=0):
            key = (variable, axis, color, view.progress())
            if key not in bif_cache:
                bif_cache.clear()
                pair, name = choices[variable]
                bif_cache[key] = views.bifurcation(view, axis, pair=pair, variable=name,
                                                   color_by=None if color == "none" else color, rasterise=rasterise)
            return bif_cache[key]

        bif = hv.DynamicMap(pn.bind(draw_bif, variable=variable, axis=axis, color=color), streams=[revision])
        bif_tap = hv.streams.Tap(source=bif, x=None, y=None)
        widgets["bif_tap"] = bif_tap

        def drill_bif(tx, ty):
            if tx is None or ty is None:
                return pn.pane.Markdown("Click (tap) a point of the bifurcation diagram to see that simulation.",
                                        name="bifurcation drill-down")
            shown = draw_bif(variable.value, axis.value, color.value)
            tx = 10.0 ** float(tx) if getattr(shown, "log10_x", False) else tx
            return _drill_pane(view, _nearest_branch_point(view, shown, axis.value, tx, ty),
                               name="bifurcation drill-down")

        parts.append(pn.Row(pn.Column(variable, axis, color), pn.pane.HoloViews(bif, name="bifurcation")))
        parts.append(pn.panel(pn.bind(drill_bif, bif_tap.param.x, bif_tap.param.y)))
    return _panel(parts, view, widgets, progress, revision)


def _panel(parts: list, view: StoreView, widgets: dict, progress: pn.pane.Str, revision) -> pn.Column:
    """The store's column, with what the live refresh needs: ``redraw()`` draws every view of it again, and
    ``drawn_progress`` is the store's progress when it last drew."""
    column = pn.Column(*parts, name=view.title)
    column.widgets = widgets          # for tests and callbacks
    column.progress = progress
    column.drawn_progress = view.progress()

    def redraw():
        column.drawn_progress = view.progress()
        with pn.io.hold():            # the panel's views reach the browser in one message
            progress.object = views.progress_text(view)
            revision.event(revision=revision.revision + 1)

    column.redraw = redraw
    return column


def study_panel(view: StoreView, grids: list[StoreView] | None = None) -> pn.viewable.Viewable:
    """Optimisation history and sampled points of one study store (over the landscape of a sweep store of the
    same space among ``grids``, when there is one); tapping a sampled point drills down to that trial."""
    progress = pn.pane.Str(views.progress_text(view), name="progress")
    params = view.search_parameters
    revision = Revision()
    parts = [pn.pane.Str(html.escape(view.title)), progress,
             pn.pane.HoloViews(hv.DynamicMap(lambda revision=0: views.study_history(view), streams=[revision]),
                               name="history")]
    widgets = {}
    if len(params) >= 2:
        x = select(label="x", options=params, value=params[0])
        y = select(label="y", options=params, value=params[1])
        widgets.update(x=x, y=y)
        samples = hv.DynamicMap(pn.bind(lambda x, y, revision=0: views.study_samples(view, x, y), x=x, y=y),
                                streams=[revision])
        tap = hv.streams.Tap(source=samples, x=None, y=None)
        widgets["tap"] = tap

        def under(x, y, revision=0):
            grid = views.matching_grid(view, grids or [], x, y)
            if grid is None:
                return hv.QuadMesh([]).opts(alpha=0)
            return views.landscape(grid, str(view.ds["objective"].values[0]), x, y, image=False).values()[0].opts(
                alpha=0.55, colorbar=False, tools=[], title="sampled points over the grid sweep")

        background = hv.DynamicMap(pn.bind(under, x=x, y=y), streams=[revision])

        def drill(tx, ty):
            if tx is None or ty is None:
                return pn.pane.Markdown("Click (tap) a sampled point to see that trial.", name="trial drill-down")
            return _drill_pane(view, {"trial": _nearest_trial(view, x.value, y.value, tx, ty)},
                               name="trial drill-down")

        parts.append(pn.Row(pn.Column(x, y), pn.pane.HoloViews(background * samples, name="samples")))
        parts.append(pn.panel(pn.bind(drill, tap.param.x, tap.param.y)))
        parts.append(pn.Row(
            pn.pane.HoloViews(hv.DynamicMap(lambda revision=0: views.parameter_importances(view), streams=[revision]),
                              name="importances"),
            pn.pane.HoloViews(hv.DynamicMap(lambda revision=0: views.best_trials(view), streams=[revision]),
                              name="best trials")))
    return _panel(parts, view, widgets, progress, revision)


def _nearest_trial(view: StoreView, x: str, y: str, tx: float, ty: float) -> int:
    """The complete trial nearest to a tap on the samples plot (log-spaced parameters compared in log10)."""

    from brainsweep import storage

    ok = (view.status_array() == storage.TRIAL_COMPLETE).values
    xs, ys = view.ds[x].load().values.astype(float), view.ds[y].load().values.astype(float)
    trials = view.ds["trial"].values
    xs, ys, trials = xs[ok], ys[ok], trials[ok]
    fx = np.log10 if views._is_log(xs) else np.asarray
    fy = np.log10 if views._is_log(ys) else np.asarray
    sx, sy = np.ptp(fx(xs)) or 1.0, np.ptp(fy(ys)) or 1.0
    d = ((fx(xs) - fx(np.asarray(float(tx)))) / sx) ** 2 + ((fy(ys) - fy(np.asarray(float(ty)))) / sy) ** 2
    return int(trials[int(np.argmin(d))])


def open_views(paths: list[str]) -> dict[str, StoreView | StoreError]:
    """Each path as a :class:`StoreView`, or the :class:`StoreError` saying why it cannot be read."""
    opened: dict[str, StoreView | StoreError] = {}
    for path in paths:
        try:
            opened[str(path)] = StoreView(str(path))
        except StoreError as exc:
            opened[str(path)] = exc
    return opened


def build_app(paths: list[str], explorer: bool = True,
              shared: dict[str, StoreView | StoreError] | None = None) -> pn.Tabs:
    """One tab per store (a store that cannot be read becomes a tab with one line saying why), then the model
    explorer.

    ``shared`` (from :func:`open_views`) lets the pages of one server share the stores' views and what they have
    read: a new page then draws from memory instead of reading every chunk again. Paths missing from it are
    opened here (a store that could not be read before is tried again)."""
    shared = {} if shared is None else shared
    for path in paths:
        if not isinstance(shared.get(str(path)), StoreView):
            shared.update(open_views([path]))
    opened = [shared[str(path)] for path in paths]
    tabs, stores = [], []
    grids = [v for v in opened if isinstance(v, StoreView) and v.kind == "sweep"]
    for path, view in zip(paths, opened):
        if isinstance(view, StoreError):
            tabs.append(pn.pane.Alert(html.escape(str(view)), alert_type="danger", name=html.escape(str(path))))
            continue
        panel = study_panel(view, grids) if view.kind == "study" else sweep_panel(view)
        stores.append((view, panel))
        tabs.append(panel)
    holder = pn.Column(name="model explorer")
    if explorer:
        tabs.append(holder)
    app = pn.Tabs(*tabs, dynamic=True)      # only the open tab is sent to the browser

    def build_explorer(event=None):
        """The explorer is built when its tab is first opened (building it costs about a second)."""
        if not holder.objects and (event is None or app[event.new] is holder):
            from .explorer import explorer_panel

            holder.objects = [explorer_panel()]

    if explorer:
        app.param.watch(build_explorer, "active")
        if len(tabs) == 1:
            build_explorer()
    app.stores = stores
    app.build_explorer = build_explorer
    return app


def refresh(app: pn.Tabs, max_age: float = 0.0) -> None:
    """Re-read every store and redraw what changed (the live view); the writer is never touched.

    A view shared by several pages is re-read at most once per ``max_age`` seconds; each page redraws when the
    store moved on since it last drew, whichever page's callback read it."""
    for view, panel in app.stores:
        try:
            view.refresh(max_age=max_age)
        except StoreError:
            continue
        if view.progress() != panel.drawn_progress:
            panel.redraw()


def free_port(address: str = "127.0.0.1") -> int:
    import socket

    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def _warm_up(paths: list[str], shared: dict) -> None:
    """Build and render the app once, and redraw it once, before serving: the first page then skips the imports and
    first-use costs of HoloViews' and Bokeh's plotting (about a second), which the later pages never pay, and
    finds the stores' scalar features already read into ``shared``."""
    from bokeh.document import Document

    try:
        app = build_app(paths, explorer=False, shared=shared)
        app.get_root(Document())
        for view, panel in app.stores:
            for name in view.scalar_features:   # what a widget may show next is in memory before the first page
                view.loaded(name)
            panel.redraw()                      # and HoloViews' update path has run once (a page's first change)
    except Exception:  # noqa: BLE001 - only a warm-up: whatever fails here is shown on the page itself
        pass


def _prepare_drilldowns(shared: dict) -> threading.Thread:
    """Compile (or load from numba's disk cache) each store's drill-down kernel on a background thread
    (:func:`~brainsweep.dashboards.drilldown.prepare_resimulation`), so a first click waits for its simulation
    only: a few seconds per store on a machine that has not compiled it yet, while the pages are already served.
    A click that comes sooner waits for that compilation (numba's compiler lock) rather than doing it again."""

    def work():
        for view in list(shared.values()):
            if isinstance(view, StoreView):
                try:
                    prepare_resimulation(view)
                except Exception:  # noqa: BLE001 - a store that cannot be re-simulated says so when clicked
                    pass

    thread = threading.Thread(target=work, name="brainsweep-drilldown-warm-up", daemon=True)
    thread.start()
    return thread


def serve(paths: list[str], address: str = "127.0.0.1", port: int = 0, show: bool = True,
          refresh_ms: int = REFRESH_MS):
    """A Bokeh server for the app (not started: ``server.start(); server.io_loop.start()``).

    ``port=0`` picks a free port; the page only accepts websocket connections addressed to ``address:port``.
    """
    port = port or free_port(address)
    # one view per store for the whole server: pages share what was read (the server runs callbacks on one thread)
    shared = open_views(paths)

    def make():
        app = build_app(paths, shared=shared)
        pn.state.add_periodic_callback(lambda: refresh(app, max_age=refresh_ms / 2000), period=refresh_ms)
        return app

    # Landscapes are an image and a few markers, drill-downs a few lines: on a 2D canvas. HoloViews' WebGL default
    # adds a WebGL pass and a copy to the canvas on every paint, and a software rasteriser in a browser without a
    # GPU (first render 2.3 -> 1.9 s, a widget change 320 -> 270 ms in benchmarks/dashboard.py, headless chromium).
    # Only a bifurcation diagram drawn point by point asks for WebGL itself. This server's process only.
    hv.renderer("bokeh").webgl = False
    _warm_up(paths, shared)
    _prepare_drilldowns(shared)
    # HoloViews sizes plots by frame_width/frame_height, which Bokeh's FIXED_SIZING_MODE check does not count: every
    # page load printed a warning in the server's terminal about plots that are sized (this server's process only)
    silence(FIXED_SIZING_MODE, True)
    # the libraries' long-lived objects (modules, HoloViews/Bokeh registries) leave the collector's generations:
    # full collections during a page build or a redraw then walk only what the pages themselves allocate
    gc.freeze()
    origins = [f"{address}:{port}"] + ([f"localhost:{port}"] if address == "127.0.0.1" else [])
    return pn.serve({"/": make}, address=address, port=port, show=show, threaded=False, start=False,
                    title="brainsweep", websocket_origin=origins)


__all__ = ["build_app", "open_views", "sweep_panel", "study_panel", "refresh", "serve"]

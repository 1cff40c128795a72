"""Export: a standalone HTML report of result stores (opens offline) and one PNG per figure.

``brainsweep report results.zarr -o report.html [--png DIR]``. The HTML embeds BokehJS (no network needed);
the PNGs are drawn with HoloViews' Matplotlib backend (no browser needed).
"""
from __future__ import annotations

import html
from pathlib import Path

import holoviews as hv

from . import views
from .data import StoreView


def figures(view: StoreView) -> dict[str, hv.core.Dimensioned]:
    """The store's figures by file-friendly name: landscapes of every scalar feature over the first two axes,
    the bifurcation diagram, or a study's history and samples."""
    out: dict = {}
    if view.kind == "study":
        out["history"] = views.study_history(view)
        params = view.search_parameters
        if len(params) >= 2:
            out["samples"] = views.study_samples(view, params[0], params[1])
        return out
    axes = view.swept_axes
    for feature in view.scalar_features:
        if len(axes) >= 2:
            out[f"landscape_{feature}"] = views.landscape(view, feature, axes[0], axes[1])
    if view.extrema_pairs and axes:
        out["bifurcation"] = views.bifurcation(view, axes[0], color_by=axes[1] if len(axes) > 1 else None)
    return out


def write_report(stores: list[str], output: str, png_dir: str | None = None) -> list[Path]:
    """Write ``output`` (HTML, self-contained) and, with ``png_dir``, one PNG per figure; returns the files."""
    from bokeh.resources import INLINE

    written = []
    sections = []
    per_store = []
    for store in stores:
        view = StoreView(str(store))
        figs = figures(view)
        per_store.append((view, figs))
        done, total = view.progress()
        header = hv.Div(f"<h2>{html.escape(view.title)}</h2><p>{html.escape(str(store))}: {done} / {total} "
                        f"{'trials' if view.kind == 'study' else 'points'} done</p>").opts(width=900, height=70)
        sections.append(header)
        sections.extend(figs.values())
    layout = hv.Layout(sections).cols(1) if len(sections) > 1 else sections[0]
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    hv.save(layout, str(out), backend="bokeh", resources=INLINE, title="brainsweep report")
    written.append(out)
    if png_dir:
        hv.extension("matplotlib", logo=False)
        hv.output(backend="bokeh")       # keep bokeh the default for everything else
        folder = Path(png_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for view, figs in per_store:
            stem = Path(view.path).name.removesuffix(".zarr")
            for name, fig in figs.items():
                path = folder / f"{stem}_{name}.png"
                hv.save(_for_matplotlib(fig), str(path), backend="matplotlib", dpi=150)
                written.append(path)
    return written


def _for_matplotlib(fig):
    """Bokeh-only options (tools, frame sizes) do not apply to Matplotlib: draw the same data with defaults."""
    def strip(element):
        title = hv.Store.lookup_options("bokeh", element, "plot").kwargs.get("title", "")
        return element.opts.clear().opts(title=title, backend="matplotlib")

    return fig.map(strip, [hv.Element])


__all__ = ["write_report", "figures"]

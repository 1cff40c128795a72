"""Dashboards: HoloViews/Panel views of result stores — landscapes, bifurcation diagrams, study histories —
served live with ``brainsweep dashboard results.zarr`` or shown in a notebook with :func:`show`.

The dashboards read stores through :mod:`brainsweep.storage` only and never write to them.
"""
from .app import build_app, serve
from .data import StoreError, StoreView
from .views import bifurcation, landscape, progress_text, study_history, study_samples


def show(*stores):
    """The dashboard of one or more stores (paths) as a Panel object, for a notebook cell."""
    return build_app([str(s) for s in stores])


__all__ = ["show", "build_app", "serve", "StoreView", "StoreError", "landscape", "bifurcation", "study_history",
           "study_samples", "progress_text"]

"""Dashboards: HoloViews/Panel views of result stores — landscapes, bifurcation diagrams, study histories —
served live with ``brainsweep dashboard results.zarr`` or shown in a notebook with :func:`show`.

The dashboards read stores through :mod:`brainsweep.storage` only and never write to them.
"""
from .app import build_app, serve
from .data import StoreError, StoreView
from .views import bifurcation, landscape, progress_text, study_history, study_samples


def show(*stores):
    """The dashboard of one or more stores as a Panel object, for a notebook cell.

    Parameters
    ----------
    *stores : str, path-like or xarray.Dataset
        Store paths, or datasets opened from a store (what ``sweep(...)`` and
        :func:`brainsweep.storage.open_results` return; read again from their store, so a running sweep stays live).
    """
    paths = []
    for store in stores:
        if hasattr(store, "data_vars"):
            source = store.encoding.get("source")
            if not source:
                raise ValueError("show: this Dataset was not opened from a result store (no encoding['source']); "
                                 "pass the store's path instead")
            store = source
        paths.append(str(store))
    return build_app(paths)


__all__ = ["show", "build_app", "serve", "StoreView", "StoreError", "landscape", "bifurcation", "study_history",
           "study_samples", "progress_text"]

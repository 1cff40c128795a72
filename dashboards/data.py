"""What the dashboards read from a result store, through the storage layer only (lazily, never writing).

A :class:`StoreView` wraps one store: whether it holds a grid sweep or a study, its axes, its scalar features
(one value per point, such as ``fc_fit``), its per-region extrema (for bifurcation diagrams) and how many
points are done. :meth:`StoreView.refresh` re-opens the store, so a view follows a sweep that is still being
written; opening never locks or modifies anything.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from brainsweep import storage

#: Store variables that are bookkeeping, not features.
BOOKKEEPING = ("done", "status", "error", "seed", "state")


class StoreError(ValueError):
    """A path that is not a readable brainsweep store; the message is one line for the page."""


@dataclass
class StoreView:
    """One store as the dashboards see it."""

    path: str
    ds: xr.Dataset = field(init=False, repr=False)
    #: variables loaded into memory, kept while the ``done`` flags do not change (redraws reuse them)
    _loaded: dict = field(init=False, repr=False, default_factory=dict)
    _done: xr.DataArray | None = field(init=False, repr=False, default=None)
    _read_at: float = field(init=False, repr=False, default=-float("inf"))

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self, max_age: float = 0.0) -> "StoreView":
        """Re-open the store (cheap: metadata and lazily indexed arrays only), unless it was re-opened less than
        ``max_age`` seconds ago (pages sharing a view)."""
        if time.monotonic() - self._read_at < max_age:
            return self
        path = Path(self.path)
        if not path.exists():
            raise StoreError(f"{self.path}: no such store")
        try:
            ds = storage.open_results(self.path, chunks=None)
        except FileNotFoundError:
            raise StoreError(f"{self.path}: not a Zarr store (no zarr.json)") from None
        except Exception as exc:  # noqa: BLE001 - a corrupt store gets one line, not a traceback
            raise StoreError(f"{self.path}: cannot be read as a brainsweep store ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
        if "done" not in ds:
            raise StoreError(f"{self.path}: not a brainsweep result store (no 'done' variable)")
        done = ds["done"].load()
        if self._done is None or not done.equals(self._done):
            self._loaded.clear()            # something new was written: read the variables again when drawn
        self.ds, self._done, self._read_at = ds, done, time.monotonic()
        return self

    def loaded(self, name: str) -> xr.DataArray:
        """Variable ``name`` in memory, read once per state of the store (see :meth:`refresh`)."""
        if name not in self._loaded:
            self._loaded[name] = self.ds[name].load()
        return self._loaded[name]

    # ------------------------------------------------------------------ what the store holds
    @property
    def kind(self) -> str:
        """``"study"`` (a ``trial`` dimension) or ``"sweep"`` (a grid)."""
        return "study" if "trial" in self.ds.dims and self.ds.attrs.get("kind") == "study" else "sweep"

    @property
    def title(self) -> str:
        return str(self.ds.attrs.get("title", Path(self.path).name))

    @property
    def axes(self) -> list[str]:
        """The grid dimensions (sweep axes and ``repeat``), in store order."""
        return list(self.ds["done"].dims)

    @property
    def swept_axes(self) -> list[str]:
        return [d for d in self.axes if d not in ("repeat", "point", "trial")]

    @property
    def scalar_features(self) -> list[str]:
        """Features with one number per point (FC fit, FCD KS, ...)."""
        grid = set(self.axes)
        return [name for name, var in self.ds.data_vars.items()
                if name not in BOOKKEEPING and set(var.dims) <= grid and var.dtype.kind == "f"
                and (self.kind == "sweep" or name not in self.search_parameters)]

    @property
    def search_parameters(self) -> list[str]:
        """A study's searched parameters (variables along ``trial`` named like ``coupling.a``)."""
        if "trial" not in self.ds.dims:
            return []
        return [n for n, v in self.ds.data_vars.items() if "." in n and v.dims[:1] == ("trial",)]

    @property
    def extrema_pairs(self) -> list[tuple[str, str]]:
        """``(min, max)`` variable names of extrema features (for bifurcation diagrams)."""
        pairs = []
        for name in self.ds.data_vars:
            if name == "min" or name.endswith("_min"):
                partner = name[:-3] + "max"
                if partner in self.ds:
                    pairs.append((name, partner))
        return pairs

    def progress(self) -> tuple[int, int]:
        """(points done, points in total) — read from the ``done`` flags only."""
        done = np.asarray(self._done.values)
        return int(done.sum()), int(done.size)

    def scalar(self, feature: str, selection: dict | None = None, reduce: str | None = None) -> xr.DataArray:
        """One feature over the grid (loaded), with failed/diverged and unfinished points as NaN.

        ``selection`` fixes the other axes (``{"noise.nsig": 1e-4}``, by value); ``reduce`` (mean, max, min,
        std) reduces over ``repeat`` when present.
        """
        da = self.loaded(feature)
        sel = {k: v for k, v in (selection or {}).items() if k in da.dims}
        if sel:
            da = da.sel(sel)
        status = self.status_array(sel)
        values = da
        values = values.where(status == storage.STATUS_OK)
        if reduce and "repeat" in values.dims:
            values = getattr(values, reduce)("repeat")
        return values

    def status_array(self, selection: dict | None = None) -> xr.DataArray:
        """Per point: 0 ok, 1 diverged, 2 failed, -1 not computed (studies: complete = 0, others failed)."""
        name = "status" if "status" in self.ds else "state"
        da = self.loaded(name)
        sel = {k: v for k, v in (selection or {}).items() if k in da.dims}
        da = da.sel(sel) if sel else da
        done = self._done
        done = done.sel(sel) if sel else done
        return da.where(done == 1, storage.STATUS_NOT_COMPUTED).astype(int)

    def point(self, index: dict) -> xr.Dataset:
        """Everything stored for one point (``{"coupling.a": 0.1, "noise.nsig": 1e-4, "repeat": 0}``), loaded."""
        return self.ds.sel({k: v for k, v in index.items() if k in self.ds.dims}).load()


__all__ = ["StoreView", "StoreError", "BOOKKEEPING"]

"""Summaries a simulation can return instead of its time series: the FC of a monitor's output, its fit to an
empirical FC.

``Simulator.run(..., summaries=[FCSummary(...)])`` adds ``fc_fit``, ``fc_rmse`` (and ``fc`` on request) per batch
member to the returned Dataset and leaves the monitor's time series out unless ``keep_series``. On the CPU they
are computed from the recorded series with :mod:`brainsweep.engine.features` (``functional_connectivity``,
``fc_fit``, ``fc_rmse``); with ``backend="cuda"`` the samples after the transient stay on the GPU and the same
quantities are computed there (:mod:`brainsweep.engine.cuda_summaries`), so only a few numbers per member cross
to the host. Both give the same values to rounding (float64: about 1e-15 relative).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from . import features


@dataclass(frozen=True, eq=False)
class FCSummary:
    """The functional connectivity of one monitor's output over one ``run``, and its fit to an empirical FC.

    Parameters
    ----------
    monitor : str
        The monitor's output name in the Dataset (``"balloon_windkessel"``, ``"bold"``, ``"temporal_average"``).
    transient : float
        ms dropped from the start of the run's samples before the FC (as ``features.functional_connectivity``:
        counted from the first sample).
    empirical : array_like, optional
        Empirical FC ``(region, region)``; without it only the FC matrix can be returned (``matrix=True``).
    variable : str or int, optional
        Variable of interest used (default the monitor's first).
    exclude_interhemispheric : bool
        Fit only pairs within a hemisphere (``features.fc_fit``).
    hemispheres : array_like of bool, optional
        True for right-hemisphere regions; default the connectome's (inferred from its labels).
    matrix : bool
        Also return the FC matrix ``(batch, region, region_to)`` (``N^2`` numbers per member).
    keep_series : bool
        Also return the monitor's time series (as without the summary).
    name : str
        Prefix of the outputs: ``{name}_fit``, ``{name}_rmse`` and ``{name}`` (default ``"fc"``).
    """

    monitor: str = "balloon_windkessel"
    transient: float = 0.0
    empirical: np.ndarray | None = field(default=None, repr=False)
    variable: str | int | None = None
    exclude_interhemispheric: bool = False
    hemispheres: np.ndarray | None = field(default=None, repr=False)
    matrix: bool = False
    keep_series: bool = False
    name: str = "fc"

    def outputs(self) -> list[str]:
        """Names of the Dataset variables this summary adds."""
        names = [self.name] if self.matrix else []
        return names + ([f"{self.name}_fit", f"{self.name}_rmse"] if self.empirical is not None else [])

    def validate(self, n_space: int, variables: list[str], times: np.ndarray, taken: set[str]) -> None:
        """Check against the monitor's space size, variables and sample times (ms) of the run; raises ValueError
        naming the field and what is allowed."""
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"FCSummary.name must be an identifier, got {self.name!r}")
        clash = set(self.outputs()) & taken
        if clash:
            raise ValueError(f"FCSummary.name {self.name!r}: output(s) {sorted(clash)} already taken by a monitor "
                             "or another summary; give each summary its own name")
        if n_space < 2:
            raise ValueError(f"FCSummary: {self.monitor!r} records {n_space} signal(s); an FC needs at least 2")
        if not self.outputs():
            raise ValueError("FCSummary: nothing to compute; give empirical= (fit) and/or matrix=True")
        try:
            transient = float(self.transient)
        except (TypeError, ValueError):
            raise ValueError(f"FCSummary.transient must be a number of ms >= 0, got {self.transient!r}") from None
        if not np.isfinite(transient) or transient < 0:
            raise ValueError(f"FCSummary.transient must be a number of ms >= 0, got {self.transient!r}")
        kept = times.size - features._drop_transient(np.asarray(times, dtype=np.float64), transient)
        if kept < 2:
            raise ValueError(f"FCSummary.transient: {kept} sample(s) of {self.monitor!r} left after a transient of "
                             f"{transient} ms (of {times.size} in the run); need at least 2: run longer or drop less")
        self.variable_index(variables)
        if self.empirical is not None:
            emp = np.asarray(self.empirical, dtype=np.float64)
            if emp.shape != (n_space, n_space):
                raise ValueError(f"FCSummary.empirical must be ({n_space}, {n_space}) for {self.monitor!r}, "
                                 f"got shape {emp.shape}")
        if self.hemispheres is not None and np.shape(self.hemispheres) != (n_space,):
            raise ValueError(f"FCSummary.hemispheres must be {n_space} booleans, got shape "
                             f"{np.shape(self.hemispheres)}")

    def variable_index(self, variables: list[str]) -> int:
        """Index of the summarised variable among the monitor's ``variables``."""
        if self.variable is None:
            return 0
        if isinstance(self.variable, (int, np.integer)) and 0 <= int(self.variable) < len(variables):
            return int(self.variable)
        if self.variable in variables:
            return variables.index(self.variable)
        raise ValueError(f"FCSummary.variable {self.variable!r}: allowed {variables} or 0..{len(variables) - 1}")

    def hemispheres_or(self, default) -> np.ndarray | None:
        """This summary's hemispheres, else ``default`` (the connectome's)."""
        return self.hemispheres if self.hemispheres is not None else default

    def pair_mask(self, n: int, hemispheres) -> np.ndarray:
        """Boolean ``(n, n)`` mask of the fitted pairs (``features``' selection)."""
        return features._pair_mask(n, self.exclude_interhemispheric, self.hemispheres_or(hemispheres), ())

    def empirical_pairs(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """The empirical FC's fitted pairs, centred as ``features.fc_fit`` centres them, and their sum of
        squares."""
        y = np.ascontiguousarray(np.asarray(self.empirical, dtype=np.float64)[mask])
        yc = y - y.mean()
        return y, yc, float((yc * yc).sum())


def on_host(summary: FCSummary, series: xr.DataArray, hemispheres) -> dict[str, xr.DataArray]:
    """A summary's outputs from a recorded series ``([batch,] time, variable, space)``, with
    :mod:`brainsweep.engine.features` (the reference the GPU's values are tested against)."""
    fc = features.functional_connectivity(series, transient=summary.transient, variable=summary.variable)
    out = {}
    if summary.matrix:
        out[summary.name] = fc.rename(summary.name)
    if summary.empirical is not None:
        emp = np.asarray(summary.empirical, dtype=np.float64)
        kw = dict(exclude_interhemispheric=summary.exclude_interhemispheric,
                  hemispheres=summary.hemispheres_or(hemispheres) if summary.exclude_interhemispheric else None)
        out[f"{summary.name}_fit"] = features.fc_fit(fc, emp, **kw).rename(f"{summary.name}_fit")
        out[f"{summary.name}_rmse"] = features.fc_rmse(fc, emp, **kw).rename(f"{summary.name}_rmse")
    return out


def fc_matrices(pairs: np.ndarray, constant: np.ndarray, bad: np.ndarray, members: int) -> np.ndarray:
    """``(members, N, N)`` FC matrices from the upper-triangle ``pairs`` ``(P, B)`` (host side, as
    ``features.functional_connectivity`` lays them out: unit diagonal, NaN rows of constant nodes)."""
    N = constant.shape[0]
    pi, pj = np.triu_indices(N, k=1)
    fc = np.empty((members, N, N))
    fc[:, pi, pj] = fc[:, pj, pi] = pairs[:, :members].T
    fc = features._finish_corr(fc, constant[:, :members].T)
    fc[bad[:members]] = np.nan
    return fc


__all__ = ["FCSummary", "on_host", "fc_matrices"]

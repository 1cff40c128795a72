"""TVB's ``tvb.datatypes.time_series``: a recording with its time axis, as an xarray DataArray on demand."""
from __future__ import annotations

import numpy as np


class TimeSeries:
    """``data`` shaped ``(time, state variable, space, mode)``, ``time`` in ms (TVB's ``TimeSeries``)."""

    space_name = "space"

    def __init__(self, data=None, time=None, sample_period: float | None = None, labels_ordering=None,
                 connectivity=None, sensors=None, title: str = "", **unused):
        self.data = None if data is None else np.asarray(data)
        self.time = None if time is None else np.asarray(time, dtype=np.float64)
        if sample_period is None and self.time is not None and self.time.size > 1:
            sample_period = float(self.time[1] - self.time[0])
        self.sample_period = sample_period
        self.labels_ordering = list(labels_ordering or ("Time", "State Variable", self.space_name.title(), "Mode"))
        self.connectivity = connectivity
        self.sensors = sensors
        self.title = title

    def configure(self):
        if self.data is None or self.data.ndim != 4:
            raise ValueError(f"{type(self).__name__}.data must have shape (time, state variable, "
                             f"{self.space_name}, mode), got {None if self.data is None else self.data.shape}")
        if self.time is None:
            step = self.sample_period or 1.0
            self.time = np.arange(self.data.shape[0]) * step
        if self.time.shape != (self.data.shape[0],):
            raise ValueError(f"{type(self).__name__}.time has {self.time.size} values for {self.data.shape[0]} samples")
        return self

    @property
    def sample_rate(self) -> float:
        """Samples per second (Hz)."""
        return 1000.0 / self.sample_period

    def space_labels(self) -> list[str]:
        n = self.data.shape[2]
        if self.connectivity is not None and getattr(self.connectivity, "region_labels", None) is not None:
            return [str(x) for x in self.connectivity.region_labels]
        if self.sensors is not None:
            return [str(x) for x in self.sensors.labels]
        return [str(k) for k in range(n)]

    def to_xarray(self):
        """The recording as ``xarray.DataArray(time, variable, <space>, mode)``."""
        import xarray as xr

        self.configure()
        return xr.DataArray(self.data, dims=("time", "variable", self.space_name, "mode"),
                            coords={"time": ("time", self.time, {"units": "ms"}), self.space_name: self.space_labels()},
                            name=self.title or None)


class TimeSeriesRegion(TimeSeries):
    """A region-level recording (``connectivity`` gives the region labels)."""

    space_name = "region"


class TimeSeriesEEG(TimeSeries):
    space_name = "sensor"


class TimeSeriesMEG(TimeSeries):
    space_name = "sensor"


class TimeSeriesSEEG(TimeSeries):
    space_name = "sensor"


__all__ = ["TimeSeries", "TimeSeriesRegion", "TimeSeriesEEG", "TimeSeriesMEG", "TimeSeriesSEEG"]

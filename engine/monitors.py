"""Monitors: what is recorded, when, with TVB's sample times.

- ``Raw``: every step, all of the model's variables of interest; time ``step * dt``.
- ``SubSample(period)``: the state every ``istep = round(period / dt)`` steps; time ``step * dt``.
- ``TemporalAverage(period)``: the mean over each window of ``istep`` steps, stamped at the window's middle,
  ``(step - istep / 2) * dt``. As in TVB, a window that started before the simulation is averaged over
  ``istep`` with the missing steps counting as zero (TVB's stock starts at zero).

``variables_of_interest`` are indices into the model's ``variables_of_interest`` (TVB's convention); empty
means all of them. Monitors keep bounded state (one accumulator per variable and node), so chunked runs give
exactly the numbers of one long run.
"""
from __future__ import annotations

import numpy as np

from .component import Component

#: TVB's default monitor period: 1024 Hz.
DEFAULT_PERIOD = 0.9765625


class Monitor(Component):
    """Base class."""

    kind: str = ""

    def __init__(self, period: float = DEFAULT_PERIOD, variables_of_interest=None):
        super().__init__()
        self.period = period
        self.variables_of_interest = variables_of_interest

    @classmethod
    def _extra_fields(cls):
        return ("period", "variables_of_interest")

    def __setattr__(self, key, value):
        name = type(self).__name__
        if key == "period":
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"{name}.period must be a positive number of ms, got {value!r}") from None
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{name}.period must be a positive number of ms, got {value!r}")
        if key == "variables_of_interest":
            if value is None:
                value = np.array([], dtype=int)
            value = np.atleast_1d(np.asarray(value))
            if value.size and not np.issubdtype(value.dtype, np.integer):
                raise ValueError(f"{name}.variables_of_interest must be indices into the model's "
                                 f"variables_of_interest, got {value!r}")
            value = value.astype(int)
        super().__setattr__(key, value)

    def istep(self, dt: float) -> int:
        """Integration steps per sample (TVB's ``iround(period / dt)``)."""
        n = int(np.round(self.period / dt))
        if n < 1:
            raise ValueError(f"{type(self).__name__}.period = {self.period} ms is shorter than the integration "
                             f"step dt = {dt} ms")
        return n

    def voi_indices(self, n_model_voi: int) -> np.ndarray:
        """Indices of the model's variables of interest this monitor records."""
        voi = self.variables_of_interest
        if voi.size == 0:
            return np.arange(n_model_voi)
        if voi.min() < 0 or voi.max() >= n_model_voi:
            raise ValueError(f"{type(self).__name__}.variables_of_interest = {voi.tolist()} but the model has "
                             f"{n_model_voi} variable(s) of interest (indices 0..{n_model_voi - 1})")
        return voi

    def sample_steps(self, first_step: int, n_steps: int, dt: float) -> np.ndarray:
        """Steps at which steps ``first_step .. first_step + n_steps - 1`` produce a sample."""
        istep = self.istep(dt)
        lo = -(-first_step // istep) * istep
        return np.arange(lo, first_step + n_steps, istep, dtype=np.int64)

    def step_times(self, steps: np.ndarray, dt: float) -> np.ndarray:
        """Time stamps (ms) of the samples taken at ``steps`` (TVB's ``step * dt``)."""
        return np.asarray(steps) * dt


class Raw(Monitor):
    """Every integration step."""

    kind = "raw"

    def __init__(self, variables_of_interest=None):
        super().__init__(period=0.0, variables_of_interest=variables_of_interest)

    def istep(self, dt: float) -> int:
        return 1


class SubSample(Monitor):
    """The instantaneous state every ``period`` ms."""

    kind = "subsample"


class TemporalAverage(Monitor):
    """The average over each ``period`` ms, stamped at the middle of the window."""

    kind = "temporal_average"

    def step_times(self, steps: np.ndarray, dt: float) -> np.ndarray:
        """The middle of each window: ``(step - istep / 2) * dt`` (TVB)."""
        return (np.asarray(steps) - self.istep(dt) / 2.0) * dt


__all__ = ["Monitor", "Raw", "SubSample", "TemporalAverage", "DEFAULT_PERIOD"]

"""Monitors: what is recorded, when, with TVB's sample times.

- ``Raw``: every step, all of the model's variables of interest; time ``step * dt``.
- ``SubSample(period)``: the state every ``istep = round(period / dt)`` steps; time ``step * dt``.
- ``TemporalAverage(period)``: the mean over each window of ``istep`` steps, stamped at the window's middle,
  ``(step - istep / 2) * dt``. As in TVB, a window that started before the simulation is averaged over
  ``istep`` with the missing steps counting as zero (TVB's stock starts at zero).

- ``Bold(period)``: TVB's haemodynamic-kernel BOLD; ``BalloonWindkessel(period)``: the Balloon-Windkessel
  model integrated online (see :mod:`brainsweep.engine.bold`).

``variables_of_interest`` are indices into the model's ``variables_of_interest`` (TVB's convention); empty
means all of them. Monitors keep bounded state (one accumulator per variable and node, a bounded ring or a
few numbers per node for BOLD), so chunked runs give exactly the numbers of one long run.

Inside the kernel every monitor is one of three recordings (``kernel_kind``: every step, the instantaneous
state every ``kernel_istep`` steps, or the average over each ``kernel_istep`` steps); monitors that need more
(BOLD) turn those recordings into their output, chunk by chunk, with a post-processor.
"""
from __future__ import annotations

import numba as nb
import numpy as np

from .component import Component, Parameter

#: TVB's default monitor period: 1024 Hz.
DEFAULT_PERIOD = 0.9765625


def _snake(name: str) -> str:
    out = []
    for k, ch in enumerate(name):
        if ch.isupper() and k and (not name[k - 1].isupper() or (k + 1 < len(name) and name[k + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def output_name(monitor) -> str:
    """The name of a monitor's recordings in a simulation's Dataset: its ``output_name`` if it has one
    (``"ieeg"``), else its class name in snake case (``TemporalAverage`` -> ``"temporal_average"``)."""
    return getattr(monitor, "output_name", None) or _snake(type(monitor).__name__)


class Monitor(Component):
    """Base class."""

    #: What the kernel records for this monitor ("raw", "subsample" or "temporal_average").
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

    # ------------------------------------------------------------------ how the kernel serves the monitor
    def kernel_istep(self, dt: float) -> int:
        """Steps between the kernel's recordings for this monitor."""
        return self.istep(dt)

    def _istep_multiple_of_kernel(self, dt: float, what: str) -> int:
        """``istep(dt)``, refused unless it is a whole number of the kernel's recordings (``what`` names them)."""
        n = Monitor.istep(self, dt)
        k = self.kernel_istep(dt)
        if n % k:
            raise ValueError(f"{type(self).__name__}.period = {self.period} ms is {n} steps of dt = {dt} ms, not a "
                             f"multiple of {what} ({k} steps); choose a period that is a multiple of {k * dt:g} ms, "
                             f"e.g. {max(1, round(n / k)) * k * dt:g}")
        return n

    def kernel_steps(self, first_step: int, n_steps: int, dt: float) -> np.ndarray:
        """Steps at which the kernel records for this monitor."""
        k = self.kernel_istep(dt)
        lo = -(-first_step // k) * k
        return np.arange(lo, first_step + n_steps, k, dtype=np.int64)

    def postprocessor(self, n_voi: int, n_nodes: int, lanes: int, dtype, dt: float):
        """An object whose ``feed(samples, steps)`` turns kernel recordings ``[sample, voi, node, lane]`` into
        output samples ``[sample, voi, space, lane]``, or None when the recordings are the output."""
        return None

    def output_space(self, connectivity) -> tuple[str, np.ndarray]:
        """Name and labels of the output's spatial dimension (regions, or sensors for projections)."""
        return "region", np.asarray([str(x) for x in connectivity.region_labels])


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


class Bold(Monitor):
    """TVB's BOLD monitor: the haemodynamic response function convolved with 4 ms averages of the activity.

    Parameters
    ----------
    period : float
        Sampling period (TR) in ms, a multiple of 4 ms (TVB: typically 2000).
    hrf_kernel : HRFKernel
        TVB's ``FirstOrderVolterra`` by default (also ``Gamma``, ``DoubleExponential``, ``MixtureOfGammas``).
    hrf_length : float
        Duration of the kernel in ms (20 s), hence of the ring of 4 ms samples kept.
    region_average : bool
        In a surface simulation, the BOLD signal of each region's mean activity (equal, the HRF convolution being
        linear, to the mean of its vertices' BOLD signals) instead of one signal per vertex: 76 series rather
        than 16,384, and the HRF ring sized accordingly. TVB computes per vertex (``False``).
    """

    kind = "temporal_average"

    def __init__(self, period: float = 2000.0, hrf_kernel=None, hrf_length: float = 20000.0,
                 variables_of_interest=None, region_average: bool = False):
        from .bold import FirstOrderVolterra

        super().__init__(period=period, variables_of_interest=variables_of_interest)
        if not isinstance(region_average, (bool, np.bool_)):
            raise ValueError(f"Bold.region_average must be True or False, got {region_average!r}")
        self.region_average = bool(region_average)
        self.hrf_kernel = FirstOrderVolterra() if hrf_kernel is None else hrf_kernel
        self.hrf_length = float(hrf_length)
        if not self.hrf_length > 0:
            raise ValueError(f"Bold.hrf_length must be a positive number of ms, got {hrf_length!r}")

    @classmethod
    def _extra_fields(cls):
        return ("period", "variables_of_interest", "hrf_kernel", "hrf_length", "region_average")

    @property
    def needs_spatial_mask(self) -> bool:
        return self.region_average

    def mask_for(self, n_nodes: int, node_regions, connectivity) -> np.ndarray:
        """The region of every node (the identity in a region simulation)."""
        return np.arange(n_nodes) if node_regions is None else np.asarray(node_regions, dtype=np.int64)

    def output_space_for(self, mask: np.ndarray, connectivity) -> tuple[str, np.ndarray]:
        return "region", np.asarray([str(x) for x in connectivity.region_labels])

    def kernel_istep(self, dt: float) -> int:
        from .bold import STOCK_SAMPLE_RATE

        return max(1, int(round(1.0 / STOCK_SAMPLE_RATE / dt)))

    def istep(self, dt: float) -> int:
        return self._istep_multiple_of_kernel(dt, "the 4 ms averages it convolves")

    def postprocessor(self, n_voi, n_nodes, lanes, dtype, dt, spatial_mask=None):
        from .bold import HRFConvolution

        if spatial_mask is not None:
            mean = _SpatialMean(spatial_mask, np.float64)
            return _Chain(mean, HRFConvolution(self.hrf_kernel, self.hrf_length, self.kernel_istep(dt),
                                               self.istep(dt), (n_voi, mean.n_areas, lanes), dtype))
        return HRFConvolution(self.hrf_kernel, self.hrf_length, self.kernel_istep(dt), self.istep(dt),
                              (n_voi, n_nodes, lanes), dtype)


class BalloonWindkessel(Monitor):
    """BOLD from the Balloon-Windkessel model integrated online (Friston 2000/2003; Stephan 2007 parameters).

    Parameters
    ----------
    period : float
        Sampling period (TR) in ms, a multiple of ``integration_period``.
    integration_period : float
        Step of the balloon integration in ms (the input is averaged over it); default 1 ms.
    kappa, gamma, tau, alpha, rho, V_0 : float
        Signal decay (1/s), flow-dependent elimination (1/s), transit time (s), Grubb's exponent, resting
        oxygen extraction fraction, resting blood volume fraction.
    """

    kind = "temporal_average"
    kappa = Parameter(0.65, unit="1/s", doc="Rate of vasodilatory signal decay.")
    gamma = Parameter(0.41, unit="1/s", doc="Rate of flow-dependent elimination (autoregulation).")
    tau = Parameter(0.98, unit="s", doc="Haemodynamic transit time.")
    alpha = Parameter(0.32, doc="Grubb's vessel stiffness exponent.")
    rho = Parameter(0.34, doc="Resting oxygen extraction fraction.")
    V_0 = Parameter(0.02, doc="Resting blood volume fraction.")

    def __init__(self, period: float = 2000.0, integration_period: float = 1.0, variables_of_interest=None,
                 **params):
        Component.__init__(self, **params)
        self.period = period
        self.variables_of_interest = variables_of_interest
        try:
            self.integration_period = float(integration_period)
        except (TypeError, ValueError):
            self.integration_period = float("nan")
        if not self.integration_period > 0:
            raise ValueError(f"BalloonWindkessel.integration_period must be a positive number of ms, "
                             f"got {integration_period!r}")

    @classmethod
    def _extra_fields(cls):
        return ("period", "variables_of_interest", "integration_period")

    def kernel_istep(self, dt: float) -> int:
        return max(1, int(round(self.integration_period / dt)))

    def istep(self, dt: float) -> int:
        return self._istep_multiple_of_kernel(dt, "integration_period")

    def postprocessor(self, n_voi, n_nodes, lanes, dtype, dt):
        from .bold import BalloonIntegrator

        params = {k: float(v[0]) for k, v in self.parameters().items()}
        return BalloonIntegrator(params, self.kernel_istep(dt) * dt / 1000.0, self.istep(dt),
                                 (n_voi, n_nodes, lanes), dtype)


class PoissonSpikes(Monitor):
    """Spike counts per bin and region, drawn from a firing-rate variable (an inhomogeneous Poisson process).

    In each bin of ``period`` ms the count is Poisson with mean ``max(r, 0) * rate_scale * n_neurons * period``,
    ``r`` being the variable averaged over the bin (e.g. a population rate in 1/ms with ``rate_scale = 1``, or in
    Hz with ``rate_scale = 1e-3``). Draws are counter-based, keyed by the member's seed, the bin, the variable
    and the region: reproducible, and independent of batching and chunking.
    """

    kind = "temporal_average"
    needs_seeds = True

    def __init__(self, period: float = 1.0, rate_scale: float = 1.0, n_neurons: float = 1.0,
                 variables_of_interest=None):
        super().__init__(period=period, variables_of_interest=variables_of_interest)
        for name, value in (("rate_scale", rate_scale), ("n_neurons", n_neurons)):
            try:
                value = float(value)
            except (TypeError, ValueError):
                value = float("nan")
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"PoissonSpikes.{name} must be a positive number, got {value!r}")
            setattr(self, name, value)

    @classmethod
    def _extra_fields(cls):
        return ("period", "variables_of_interest", "rate_scale", "n_neurons")

    def postprocessor(self, n_voi, n_nodes, lanes, dtype, dt, seeds=None):
        return _SpikeSampler(self.rate_scale * self.n_neurons * self.istep(dt) * dt, self.istep(dt),
                             list(seeds if seeds is not None else [0] * lanes), n_voi, n_nodes)


class _SpikeSampler:
    def __init__(self, scale: float, istep: int, seeds: list, n_voi: int, n_nodes: int):
        self.scale, self.istep, self.seeds = scale, istep, seeds
        self.cells = np.arange(n_voi * n_nodes, dtype=np.uint64).reshape(n_voi, n_nodes)
        self.n_cells = n_voi * n_nodes

    def feed(self, samples, steps):
        from scipy.stats import poisson

        from .rng import uniform_hash

        mean = np.maximum(np.nan_to_num(samples, nan=0.0), 0.0) * self.scale          # [n, voi, node, lane]
        counters = (np.asarray(steps, dtype=np.uint64)[:, None, None] // np.uint64(self.istep)) \
            * np.uint64(self.n_cells) + self.cells[None]
        out = np.empty(samples.shape, dtype=np.float64)
        for b, seed in enumerate(self.seeds):
            out[..., b] = poisson.ppf(uniform_hash(seed, counters), mean[..., b])
        out[~np.isfinite(samples)] = np.nan
        return out.astype(samples.dtype)


__all__ = ["Monitor", "Raw", "SubSample", "TemporalAverage", "SpatialAverage", "Bold", "BalloonWindkessel", "PoissonSpikes",
           "DEFAULT_PERIOD", "output_name"]


def __getattr__(name):
    # the projection monitors live in their own module (sensors, lead fields); expose them here too, lazily, as TVB's
    # ``monitors`` namespace does
    if name in ("EEG", "MEG", "iEEG", "SEEG", "Projection"):
        from . import projections

        return getattr(projections, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def area_means(mask) -> "scipy.sparse.csr_array":
    """Sparse ``(areas, nodes)`` matrix whose product with node values gives each area's mean (``mask``: the
    area of every node, areas numbered from 0)."""
    import scipy.sparse as sp

    mask = np.asarray(mask, dtype=np.int64)
    counts = np.bincount(mask)
    return sp.csr_array((1.0 / counts[mask], (mask, np.arange(mask.size))), shape=(counts.size, mask.size))


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _area_sums(x, area, weight, out):
    """``out[r, area[j], l] += weight[j] * x[r, j, l]`` for nodes ``j`` in order."""
    for r in range(x.shape[0]):
        for j in range(x.shape[1]):
            a, w = area[j], weight[j]
            for lane in range(x.shape[2]):
                out[r, a, lane] += w * np.float64(x[r, j, lane])


class _SpatialMean:
    """Post-processor of :class:`SpatialAverage`: node samples ``[sample, voi, node, lane]`` -> area means.

    Takes the nodes in any order, the mask given in the same order (a surface kernel's own node order). Each
    mean adds ``value / count`` over its nodes in node order, in float64: the numbers of the sparse product
    ``area_means(mask) @ values``, without its transposed float64 copy of every sample (on tvb-data's cortex,
    300 samples of 16,384 vertices: 53 ms that way, 12 ms this one)."""

    any_node_order = True

    def __init__(self, spatial_mask: np.ndarray, dtype):
        self.area = np.ascontiguousarray(spatial_mask, dtype=np.int64)
        counts = np.bincount(self.area)
        self.weight = 1.0 / counts[self.area]
        self.n_areas = counts.size
        self.dtype = dtype

    def feed(self, samples: np.ndarray, steps: np.ndarray) -> np.ndarray:
        c, v, n, b = samples.shape
        out = np.zeros((c * v, self.n_areas, b), dtype=np.float64)
        _area_sums(np.ascontiguousarray(samples).reshape(c * v, n, b), self.area, self.weight, out)
        return out.reshape(c, v, self.n_areas, b).astype(self.dtype)


class _Chain:
    """Two post-processors in a row (the first one's output feeds the second)."""

    def __init__(self, first, second):
        self.first, self.second = first, second
        self.any_node_order = getattr(first, "any_node_order", False)

    def feed(self, samples: np.ndarray, steps: np.ndarray) -> np.ndarray:
        return self.second.feed(self.first.feed(samples, steps), steps)


class SpatialAverage(Monitor):
    """TVB's ``SpatialAverage``: every ``period`` ms, the mean of the variables of interest over each area of a
    spatial mask (stamped ``step * dt``, like SubSample).

    Parameters
    ----------
    period : float
        Sampling period in ms.
    spatial_mask : array_like of int, optional
        The area of every node, areas numbered ``0 .. A - 1`` without gaps (TVB's rule). Default: in a surface
        simulation the region mapping (region means of the vertices, TVB's default); in a region simulation
        ``default_mask``.
    default_mask : {"cortical", "hemispheres"}
        TVB's fallback in a region simulation: the connectome's ``cortical`` flags or its ``hemispheres``
        (an all-true flag vector makes one area).
    variables_of_interest : array_like of int, optional
        Indices into the model's variables of interest.
    """

    kind = "subsample"
    needs_spatial_mask = True

    def __init__(self, period: float = DEFAULT_PERIOD, spatial_mask=None, default_mask: str = "cortical",
                 variables_of_interest=None):
        super().__init__(period=period, variables_of_interest=variables_of_interest)
        if default_mask not in ("cortical", "hemispheres"):
            raise ValueError(f"SpatialAverage.default_mask must be 'cortical' or 'hemispheres', got {default_mask!r}")
        self.default_mask = default_mask
        self.spatial_mask = None if spatial_mask is None else np.asarray(spatial_mask, dtype=np.int64)

    @classmethod
    def _extra_fields(cls):
        return ("period", "variables_of_interest", "default_mask")

    def mask_for(self, n_nodes: int, node_regions: np.ndarray | None, connectivity) -> np.ndarray:
        """The area of every node (see the class docstring); raises ``ValueError`` naming the field."""
        if self.spatial_mask is not None:
            mask = self.spatial_mask
        elif node_regions is not None:
            mask = np.asarray(node_regions, dtype=np.int64)
        else:
            flags = getattr(connectivity, self.default_mask)
            if flags is None:
                raise ValueError(f"SpatialAverage.default_mask = {self.default_mask!r} but the connectome has no "
                                 f"{self.default_mask} flags; give spatial_mask=")
            mask = np.asarray(flags, dtype=np.int64)
            if np.all(mask == 1):
                mask = np.zeros_like(mask)
        if mask.shape != (n_nodes,):
            raise ValueError(f"SpatialAverage.spatial_mask must have one area per node ({n_nodes}), got shape "
                             f"{mask.shape}")
        areas = np.unique(mask)
        if not np.array_equal(areas, np.arange(areas.size)):
            raise ValueError("SpatialAverage.spatial_mask: areas must be numbered 0 .. A - 1 without gaps (TVB's "
                             f"rule), got {areas[:10].tolist()}")
        return mask

    def output_space_for(self, mask: np.ndarray, connectivity) -> tuple[str, np.ndarray]:
        """Regions (labelled) when the areas are the connectome's regions, else ``area`` 0 .. A - 1."""
        n_areas = int(mask.max()) + 1
        if self.spatial_mask is None and n_areas == connectivity.number_of_regions:
            return "region", np.asarray([str(x) for x in connectivity.region_labels])
        return "area", np.arange(n_areas)

    def postprocessor(self, n_voi, n_nodes, lanes, dtype, dt, spatial_mask=None):
        return _SpatialMean(spatial_mask, dtype)

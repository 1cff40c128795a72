"""Features drawn on the cortical surface: region or vertex values on tvb-data's 16,384-vertex cortex (nilearn).

``surface(values)`` maps one value per region through tvb-data's 76-region mapping (or yours) onto the
cortex TVB simulates on (or takes one value per vertex) and draws it with :func:`nilearn.plotting.plot_surf`
from four sides (left, right, above, below); the figure is a matplotlib figure (``output_file=`` writes a PNG). Non-cortical regions have
no vertices and do not show.
"""
from __future__ import annotations

import importlib.resources
import io
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

#: tvb-data's region mappings of its 16,384-vertex cortex, by number of regions (its 192-region mapping has
#: 16,500 entries: it belongs to a cortex tvb-data does not ship).
REGION_MAPPINGS = {76: "regionMapping_16k_76.txt"}
#: (hemi, view) for nilearn: the cortex is one mesh of both hemispheres, so medial surfaces are hidden and the
#: third and fourth panels look from above and below.
VIEWS = (("left", "lateral"), ("right", "lateral"), ("left", "dorsal"), ("left", "ventral"))


@lru_cache(maxsize=2)
def cortex_mesh(name: str = "cortex_16384.zip") -> tuple[np.ndarray, np.ndarray]:
    """``(vertices (n, 3) mm, triangles (m, 3))`` of a tvb-data surface (TVB's default cortex)."""
    entry = importlib.resources.files("tvb_data.surfaceData") / name
    with importlib.resources.as_file(entry) as path, zipfile.ZipFile(path) as z:
        vertices = np.loadtxt(io.StringIO(z.read("vertices.txt").decode()))
        triangles = np.loadtxt(io.StringIO(z.read("triangles.txt").decode()), dtype=np.int64)
    return vertices, triangles


def vertex_values(values, region_mapping: str | Sequence[int] | None = None) -> np.ndarray:
    """One value per cortical vertex: ``values`` itself (16,384 of them) or region values through the mapping."""
    from brainsweep.engine.projections import load_region_mapping

    vertices, _ = cortex_mesh()
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == vertices.shape[0]:
        return values
    if region_mapping is None:
        if values.size not in REGION_MAPPINGS:
            raise ValueError(f"surface: {values.size} values are neither one per vertex ({vertices.shape[0]}) nor one "
                             f"per region of tvb-data's mappings ({sorted(REGION_MAPPINGS)}); give region_mapping")
        region_mapping = REGION_MAPPINGS[values.size]
    mapping = load_region_mapping(region_mapping, where="surface.region_mapping") \
        if isinstance(region_mapping, (str, Path)) else np.asarray(region_mapping, dtype=np.int64)
    if mapping.shape != (vertices.shape[0],):
        raise ValueError(f"surface.region_mapping has {mapping.size} entries for {vertices.shape[0]} vertices")
    if mapping.max() >= values.size:
        raise ValueError(f"surface.region_mapping refers to region {mapping.max()} but {values.size} values were "
                         f"given")
    return values[mapping]


def surface(values, region_mapping=None, title: str = "", cmap: str = "viridis", vmin: float | None = None,
            vmax: float | None = None, label: str = "", output_file=None):
    """Draw region (or vertex) values on the cortex seen from the left, the right, above and below.

    Parameters
    ----------
    values : array
        One value per region (76 for tvb-data's default connectome, otherwise give ``region_mapping``) or one
        per vertex of the 16k cortex.
    region_mapping : str or array, optional
        Vertex -> region indices, or a tvb-data / file name.
    title, cmap, vmin, vmax, label
        Figure title, colour map, colour limits (default: the values' range), colour-bar label.
    output_file : path, optional
        Also save the figure there (PNG).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from nilearn import plotting

    per_vertex = vertex_values(values, region_mapping)
    vertices, triangles = cortex_mesh()
    # tvb-data's cortex has x anterior, y left, z up; nilearn's views expect RAS (x right, y anterior, z up)
    vertices = np.column_stack([-vertices[:, 1], vertices[:, 0], vertices[:, 2]])
    finite = per_vertex[np.isfinite(per_vertex)]
    lo = float(finite.min()) if vmin is None else vmin
    hi = float(finite.max()) if vmax is None else vmax
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.2), subplot_kw={"projection": "3d"})
    for ax, (hemi, view) in zip(axes, VIEWS):
        plotting.plot_surf((vertices, triangles), surf_map=per_vertex, hemi=hemi, view=view, cmap=cmap, vmin=lo,
                           vmax=hi, axes=ax, figure=fig, colorbar=False, bg_on_data=False)
        ax.set_title(f"{hemi} {view}" if view == "lateral" else view, fontsize=9)
    mappable = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(lo, hi))
    fig.colorbar(mappable, ax=axes, shrink=0.6, label=label)
    if title:
        fig.suptitle(title)
    if output_file is not None:
        fig.savefig(output_file, dpi=110, bbox_inches="tight")
    return fig


__all__ = ["surface", "cortex_mesh", "vertex_values", "REGION_MAPPINGS"]

"""The plotting helpers ``from tvb.simulator.lab import *`` brings, drawn with matplotlib.

Each returns the matplotlib figure it drew into (TVB's return ``None``), so a script can save it.
"""
from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib.pyplot as plt

    return plt


def plot_matrix(mat, fig_name: str = "plot_this_matrix", connectivity=None, binary_matrix: bool = False):
    """A matrix as an image, labelled by ``connectivity``'s regions when given."""
    plt = _plt()
    mat = np.asarray(mat, dtype=float)
    fig = plt.figure(num=fig_name, figsize=(8, 7))
    ax = fig.gca()
    img = ax.imshow(mat > 0 if binary_matrix else mat, cmap="binary" if binary_matrix else "viridis",
                    interpolation="nearest")
    fig.colorbar(img, ax=ax)
    if connectivity is not None and len(connectivity.region_labels) <= 100:
        labels = [str(x) for x in connectivity.region_labels]
        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=5)
        ax.set_yticks(range(len(labels)), labels, fontsize=5)
    ax.set_title(fig_name)
    return fig


def plot_tri_matrix(mat, figure=None, num: str = "plot_part_of_this_matrix", size=None, cmap=None,
                    colourbar: bool = True, color_anchor=None, node_labels=None, x_tick_rot: float = 0,
                    title: str | None = None):
    """The lower triangle of a (symmetric) matrix, e.g. an FC matrix."""
    plt = _plt()
    mat = np.array(mat, dtype=float)
    fig = figure or plt.figure(num=num, figsize=size or (8, 7))
    ax = fig.gca()
    mat[np.triu_indices_from(mat, k=1)] = np.nan
    lo, hi = color_anchor if color_anchor is not None else (np.nanmin(mat), np.nanmax(mat))
    img = ax.imshow(mat, cmap=cmap or "RdBu_r", vmin=lo, vmax=hi, interpolation="nearest")
    if node_labels is not None:
        ax.set_xticks(range(len(node_labels)), node_labels, rotation=x_tick_rot, fontsize=5)
        ax.set_yticks(range(len(node_labels)), node_labels, fontsize=5)
    if colourbar:
        fig.colorbar(img, ax=ax)
    ax.set_title(title or num)
    return fig


def hinton_diagram(connectivity_weights, num, max_weight=None):
    """A Hinton diagram: one square per weight, its area proportional to the weight."""
    plt = _plt()
    w = np.asarray(connectivity_weights, dtype=float)
    fig = plt.figure(num=num)
    ax = fig.gca()
    max_weight = max_weight or np.abs(w).max() or 1.0
    ax.set_facecolor("gray")
    for (i, j), v in np.ndenumerate(w):
        side = np.sqrt(abs(v) / max_weight)
        ax.add_patch(plt.Rectangle((j - side / 2, i - side / 2), side, side, color="white" if v > 0 else "black"))
    ax.set_xlim(-1, w.shape[1])
    ax.set_ylim(w.shape[0], -1)
    ax.set_aspect("equal")
    return fig


def plot_connectivity(connectivity, num: str = "weights", order_by=None, plot_hinton: bool = False,
                      plot_tracts: bool = True):
    """Weights (and tract lengths) of a connectome side by side, regions ordered by ``order_by`` if given."""
    plt = _plt()
    order = np.arange(connectivity.number_of_regions) if order_by is None else np.argsort(order_by)
    w = np.asarray(connectivity.weights)[np.ix_(order, order)]
    panels = [("weights", w)]
    if plot_tracts:
        panels.append(("tract lengths (mm)", np.asarray(connectivity.tract_lengths)[np.ix_(order, order)]))
    fig, axes = plt.subplots(1, len(panels), num=num, figsize=(7 * len(panels), 6), squeeze=False)
    for ax, (title, mat) in zip(axes[0], panels):
        img = ax.imshow(mat, cmap="viridis", interpolation="nearest")
        fig.colorbar(img, ax=ax)
        ax.set_title(title)
    if plot_hinton:
        hinton_diagram(w, f"{num} (Hinton)")
    return fig


def plot_pattern(pattern_object, time_ms=None):
    """A region stimulus: its temporal pattern and the weight of each region."""
    plt = _plt()
    stim = pattern_object.to_brainsweep()
    t = np.linspace(0.0, 1000.0, 4001) if time_ms is None else np.asarray(time_ms, dtype=float)
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))
    a.plot(t, stim.temporal_values(t))
    a.set_xlabel("time (ms)")
    a.set_title("temporal pattern")
    b.bar(np.arange(stim.weight.size), stim.weight)
    b.set_xlabel("region")
    b.set_title("spatial weight")
    return fig


def plot_3d_centres(xyz):
    """Region centres (mm) as a 3-D scatter."""
    plt = _plt()
    xyz = np.asarray(xyz, dtype=float)
    fig = plt.figure()
    ax = fig.add_subplot(projection="3d")
    ax.scatter(xyz[:, 0], xyz[:, 1], xyz[:, 2])
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    ax.set_zlabel("z (mm)")
    return fig


__all__ = ["plot_matrix", "plot_tri_matrix", "hinton_diagram", "plot_connectivity", "plot_pattern", "plot_3d_centres"]

"""Structural and functional connectivity as NetworkX graphs, for graph metrics.

``sc_graph(connectivity)`` gives the connectome as a directed graph (an edge ``source -> target`` for every
non-zero ``weights[target, source]``, TVB's row = target convention) with ``weight`` and ``tract_length`` (mm)
on the edges and region attributes on the nodes; ``fc_graph(fc, ...)`` gives a functional-connectivity matrix
as an undirected graph, thresholded by value or by density (the strongest fraction of pairs). NetworkX then
computes whatever metric a study needs (``nx.clustering``, ``nx.average_shortest_path_length``, communities,
...). NetworkX is imported when these functions are called.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.sparse as sp
import xarray as xr


def sc_graph(connectivity, directed: bool = True):
    """The structural connectome as a ``networkx.DiGraph`` (or ``Graph`` with ``directed=False``).

    Parameters
    ----------
    connectivity : Connectivity
        Nodes are its region labels, in order, with ``index``, ``centre`` (mm) and ``hemisphere`` ("right",
        "left" or None) attributes.
    directed : bool
        ``False`` gives an undirected graph whose edge weight is the mean of the two directions (a connection
        present in one direction only keeps half its weight), as for symmetric tractography counts.

    Returns
    -------
    networkx.DiGraph or networkx.Graph
        Edge attributes ``weight`` (the connectome's units) and ``tract_length`` (mm); self-connections are
        self-loops. A sparse connectome stays sparse on the way (lengths of connections present in one
        direction only are then averaged with 0 in the undirected graph, as absent connections have no length).
    """
    import networkx as nx

    labels = [str(x) for x in connectivity.region_labels]
    graph = nx.DiGraph() if directed else nx.Graph()
    graph.graph.update(source=connectivity.source, conduction_speed_mm_per_ms=connectivity.conduction_speed)
    centres = connectivity.centres
    hemis = connectivity.hemispheres
    for k, label in enumerate(labels):
        graph.add_node(label, index=k, centre=None if centres is None else tuple(map(float, centres[k])),
                       hemisphere=None if hemis is None else ("right" if hemis[k] else "left"))
    if directed:
        targets, sources, weights, lengths = connectivity.connections()
        graph.add_edges_from((labels[j], labels[i], {"weight": float(wij), "tract_length": float(lij)})
                             for i, j, wij, lij in zip(targets, sources, weights, lengths))
    elif connectivity.is_sparse:     # stays sparse: lengths are known for existing connections only
        w, lengths = connectivity.weights, connectivity.tract_lengths
        sym = sp.triu(0.5 * (w + w.T)).tocoo()
        mean_length = 0.5 * np.asarray((lengths + lengths.T).tocsr()[sym.row, sym.col]).reshape(-1)
        graph.add_edges_from((labels[i], labels[j], {"weight": float(v), "tract_length": float(ell)})
                             for i, j, v, ell in zip(sym.row, sym.col, sym.data, mean_length))
    else:
        w = np.asarray(connectivity.weights, dtype=np.float64)
        lengths = np.asarray(connectivity.tract_lengths, dtype=np.float64)
        sym = 0.5 * (w + w.T)
        ii, jj = np.nonzero(np.triu(sym))
        graph.add_edges_from((labels[i], labels[j], {"weight": float(sym[i, j]),
                                                     "tract_length": float(0.5 * (lengths[i, j] + lengths[j, i]))})
                             for i, j in zip(ii, jj))
    return graph


def fc_graph(fc, threshold: float | None = None, density: float | None = None, absolute: bool = False,
             labels: Sequence[str] | None = None):
    """A functional-connectivity matrix as an undirected ``networkx.Graph``.

    Parameters
    ----------
    fc : array (n, n) or xarray.DataArray
        A symmetric FC matrix (e.g. :func:`brainsweep.engine.features.functional_connectivity` of one
        simulation); a DataArray's ``region`` coordinate names the nodes.
    threshold : float, optional
        Keep the pairs with ``fc > threshold`` (``|fc| >`` with ``absolute=True``).
    density : float, optional
        Keep the strongest fraction of the ``n (n - 1) / 2`` pairs instead (0 < density <= 1). Give one of
        ``threshold`` and ``density``; with neither, every pair is an edge.
    absolute : bool
        Rank and threshold by ``|fc|`` (negative correlations become edges too).
    labels : sequence of str, optional
        Node names (default: the DataArray's region labels, else ``"0", "1", ...``).

    Returns
    -------
    networkx.Graph
        Edge attribute ``weight`` = the FC value; the diagonal is ignored.
    """
    import networkx as nx

    if threshold is not None and density is not None:
        raise ValueError("fc_graph: give threshold or density, not both")
    if isinstance(fc, xr.DataArray):
        if labels is None and "region" in fc.coords:
            labels = [str(x) for x in fc["region"].values]
        fc = fc.values
    m = np.asarray(fc, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"fc_graph: fc must be one square (n, n) matrix, got shape {m.shape}; select one "
                         f"simulation of a batch first")
    n = m.shape[0]
    labels = [str(k) for k in range(n)] if labels is None else [str(x) for x in labels]
    if len(labels) != n:
        raise ValueError(f"fc_graph: {len(labels)} labels for {n} regions")
    ii, jj = np.triu_indices(n, 1)
    values = m[ii, jj]
    score = np.abs(values) if absolute else values
    keep = np.isfinite(values)
    if threshold is not None:
        keep &= score > float(threshold)
    elif density is not None:
        if not 0.0 < float(density) <= 1.0:
            raise ValueError(f"fc_graph: density must be in (0, 1], got {density!r}")
        n_edges = int(round(float(density) * values.size))
        order = np.argsort(-np.where(keep, score, -np.inf), kind="stable")
        chosen = np.zeros(values.size, bool)
        chosen[order[:n_edges]] = True
        keep &= chosen
    graph = nx.Graph()
    graph.add_nodes_from(labels)
    graph.add_edges_from((labels[i], labels[j], {"weight": float(v)})
                         for i, j, v in zip(ii[keep], jj[keep], values[keep]))
    return graph


__all__ = ["sc_graph", "fc_graph"]

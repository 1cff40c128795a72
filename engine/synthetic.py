r"""Synthetic distance-dependent sparse connectomes, for scaling studies and tests at 1,000-100,000 nodes.

Real fine parcellations (Schaefer 1000, vertex-level tractography) share two traits that set the engine's cost:
about 1% of the possible connections exist, and connection probability falls off with distance (an exponential
distance rule, Ercsey-Ravasz et al. 2013, Neuron 80:184). :func:`distance_dependent` draws such a network:
node positions uniform in an ellipsoid the size of a human brain, for every target ``k = density * (n - 1)``
distinct sources drawn without replacement with probability proportional to :math:`e^{-d / \lambda}`, weights
:math:`e^{-d / \lambda}` times a log-normal factor, tract lengths = Euclidean distances (mm). It never builds
an ``n x n`` array: targets are processed in blocks (O(block x n) memory); 20,000 nodes take about 15 s.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .connectivity import Connectivity

__all__ = ["distance_dependent"]

#: Semi-axes of the ellipsoid the nodes fill (mm): roughly a human cerebrum.
BRAIN_SEMI_AXES_MM = (70.0, 85.0, 60.0)


def distance_dependent(n_nodes: int, density: float = 0.01, decay_mm: float = 20.0, seed: int = 0,
                       conduction_speed: float = 3.0, weight_sigma: float = 0.5,
                       block: int = 256) -> Connectivity:
    r"""A sparse connectome with an exponential distance rule.

    Parameters
    ----------
    n_nodes : int
        Number of nodes (>= 2).
    density : float, default 0.01
        Fraction of the ``n (n - 1)`` possible directed connections that exist (0 < density <= 1); every node
        receives ``max(1, round(density (n - 1)))`` inputs.
    decay_mm : float, default 20.0
        Length constant :math:`\lambda` of the distance rule, in mm (> 0).
    seed : int, default 0
        Seed of the positions, the sampled connections and the weights: the same arguments give the same
        connectome.
    conduction_speed : float, default 3.0
        Conduction speed in mm/ms.
    weight_sigma : float, default 0.5
        Standard deviation of the log-normal weight factor (>= 0; 0 makes weights purely distance-given).
    block : int, default 256
        Targets per block while sampling (memory about ``3 x block x n_nodes`` float32).

    Returns
    -------
    Connectivity
        Sparse (:attr:`~Connectivity.is_sparse`), weights normalised to a maximum of 1, no self-connections,
        ``centres`` set (mm), labels ``node_00000``, ...
    """
    n = int(n_nodes)
    if n < 2:
        raise ValueError(f"n_nodes: need at least 2 nodes, got {n_nodes!r}")
    if not 0.0 < float(density) <= 1.0:
        raise ValueError(f"density: must be in (0, 1], got {density!r}")
    if not float(decay_mm) > 0.0:
        raise ValueError(f"decay_mm: must be > 0 mm, got {decay_mm!r}")
    if not float(weight_sigma) >= 0.0:
        raise ValueError(f"weight_sigma: must be >= 0, got {weight_sigma!r}")
    k = int(min(n - 1, max(1, round(float(density) * (n - 1)))))
    rng = np.random.default_rng(seed)
    # uniform in the ellipsoid: uniform in the unit ball (radius u^(1/3), isotropic direction), then scaled
    direction = rng.standard_normal((n, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    centres = direction * rng.random((n, 1)) ** (1.0 / 3.0) * np.asarray(BRAIN_SEMI_AXES_MM)
    sources = np.empty((n, k), dtype=np.int64)
    position = centres.astype(np.float32)
    rows = np.arange(int(block))
    for start in range(0, n, int(block)):
        stop = min(n, start + int(block))
        d2 = np.zeros((stop - start, n), dtype=np.float32)
        for axis in range(3):
            d2 += (position[None, :, axis] - position[start:stop, None, axis]) ** 2
        # exponential race: the k smallest of E / p (E ~ Exp(1)) are a draw of k distinct sources with
        # probabilities proportional to p = exp(-d / decay), without replacement (compared as logarithms)
        with np.errstate(divide="ignore"):      # E = 0 (log -inf) just means: certainly chosen
            key = np.log(rng.standard_exponential(size=d2.shape, dtype=np.float32)) + np.sqrt(d2) / np.float32(decay_mm)
        key[rows[:stop - start], np.arange(start, stop)] = np.inf              # no self-connections
        sources[start:stop] = np.argpartition(key, k - 1, axis=1)[:, :k]
    targets = np.repeat(np.arange(n, dtype=np.int64), k)
    sources = sources.reshape(-1)
    lengths = np.sqrt(np.sum((centres[sources] - centres[targets]) ** 2, axis=-1))
    weights = np.exp(-lengths / float(decay_mm)) * rng.lognormal(0.0, float(weight_sigma), size=lengths.size)
    weights /= weights.max()
    w = sp.csr_array((weights, (targets, sources)), shape=(n, n))
    tl = sp.csr_array((lengths, (targets, sources)), shape=(n, n))
    labels = [f"node_{i:05d}" for i in range(n)]
    return Connectivity(w, tl, labels, centres, conduction_speed,
                        source=f"synthetic distance_dependent(n_nodes={n}, density={density}, "
                               f"decay_mm={decay_mm}, seed={seed})")

"""SC and FC as NetworkX graphs: the same numbers as the matrices they come from."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import brainsweep as bs
from brainsweep.engine import features
from brainsweep.engine.graphs import fc_graph


@pytest.fixture(scope="module")
def conn():
    return bs.Connectivity.from_tvb_data(76)


def test_sc_graph_edges_follow_tvbs_row_is_target(conn):
    g = conn.to_networkx()
    w = conn.weights
    assert g.number_of_nodes() == 76 and g.number_of_edges() == np.count_nonzero(w)
    labels = list(conn.region_labels)
    i, j = np.argwhere(w > 0)[7]                            # weights[target, source]
    edge = g.edges[labels[j], labels[i]]                    # source -> target
    assert edge["weight"] == w[i, j] and edge["tract_length"] == conn.tract_lengths[i, j]
    # weighted in-degree = row sums (input strength), out-degree = column sums; same as NetworkX's own reading
    np.testing.assert_allclose([g.in_degree(l, weight="weight") for l in labels], w.sum(axis=1))
    np.testing.assert_allclose([g.out_degree(l, weight="weight") for l in labels], w.sum(axis=0))
    oracle = nx.from_numpy_array(w.T, create_using=nx.DiGraph)
    assert nx.is_isomorphic(nx.relabel_nodes(oracle, dict(enumerate(labels))), g)
    assert g.nodes[labels[0]]["hemisphere"] == "right" and len(g.nodes[labels[0]]["centre"]) == 3


def test_sc_graph_undirected_averages_the_two_directions():
    w = np.array([[0.0, 2.0, 0.0], [4.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    c = bs.Connectivity(w, np.full((3, 3), 10.0))
    g = c.to_networkx(directed=False)
    assert g.edges["region_000", "region_001"]["weight"] == 3.0
    assert g.edges["region_001", "region_002"]["weight"] == 0.5
    assert g.number_of_edges() == 2


def test_fc_graph_by_threshold_and_density(conn):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 76)) + rng.standard_normal((300, 1))
    fc = np.corrcoef(x.T)
    g = fc_graph(fc, threshold=0.5)
    iu = np.triu_indices(76, 1)
    assert g.number_of_edges() == int(np.sum(fc[iu] > 0.5)) > 0
    degree = (fc > 0.5).sum(axis=1) - 1                    # the diagonal (1.0) is not an edge
    np.testing.assert_array_equal([d for _, d in sorted(g.degree, key=lambda kv: int(kv[0]))], degree)
    dense = fc_graph(fc, density=0.1)
    assert dense.number_of_edges() == round(0.1 * iu[0].size)
    weakest_kept = min(d["weight"] for *_, d in dense.edges(data=True))
    assert weakest_kept >= np.sort(fc[iu])[::-1][dense.number_of_edges() - 1]
    with pytest.raises(ValueError, match="threshold or density"):
        fc_graph(fc, threshold=0.1, density=0.1)
    with pytest.raises(ValueError, match="one square"):
        fc_graph(np.ones((2, 3, 3)))


def test_fc_graph_of_a_simulation_keeps_region_labels(conn):
    sim = bs.Simulator(conn, coupling=bs.coupling.Linear(a=0.042),
                       integrator=bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=1e-4)),
                       monitors=[bs.monitors.TemporalAverage(period=1.0)])
    fc = features.functional_connectivity(sim.run(500.0).temporal_average, transient=100.0)
    g = fc_graph(fc, density=0.2)
    assert set(g.nodes) == set(conn.region_labels)
    assert 0.0 <= nx.average_clustering(g) <= 1.0

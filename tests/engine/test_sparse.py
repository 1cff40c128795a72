"""Sparse connectomes: scipy.sparse weights through Connectivity, its edits and the kernel, equal to the dense path;
memory at 20,000 nodes."""
from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp

import brainsweep.engine as bs
from brainsweep.engine import Connectivity, synthetic

C76 = Connectivity.from_tvb_data()


def test_sparse_weights_make_a_sparse_connectome_with_the_dense_numbers():
    s = Connectivity(sp.coo_array(C76.weights), sp.csc_matrix(C76.tract_lengths), C76.region_labels, C76.centres)
    assert s.is_sparse and not C76.is_sparse
    assert isinstance(s.weights, sp.csr_array) and isinstance(s.tract_lengths, sp.csr_array)
    assert s.number_of_connections == C76.number_of_connections == 1560
    np.testing.assert_array_equal(s.weights.toarray(), C76.weights)
    mask = C76.weights != 0
    np.testing.assert_array_equal(s.tract_lengths.toarray()[mask], C76.tract_lengths[mask])
    assert s.tract_lengths.nnz == s.weights.nnz               # lengths only where there is a connection
    for dense_part, sparse_part in zip(C76.connections(), s.connections()):
        np.testing.assert_array_equal(dense_part, sparse_part)
    np.testing.assert_array_equal(s.idelays(0.1).toarray()[mask], C76.idelays(0.1)[mask])
    assert s.horizon(0.1) == C76.horizon(0.1)
    assert s.to_dense().to_sparse() == s
    assert s.summary()["weight_range"] == C76.summary()["weight_range"]
    assert s.summary()["tract_length_range_connections"] == C76.summary()["tract_length_range_connections"]
    assert s != C76 and s.to_dense().weights.tolist() == C76.weights.tolist()
    with pytest.raises(ValueError, match="read-only"):
        s.weights.data[0] = 1.0


@pytest.mark.parametrize("edit", [
    lambda c: c.normalized("max"), lambda c: c.normalized("row_sum"), lambda c: c.lesioned([3, "rV1", 40]),
    lambda c: c.scaled_long_range(60.0, 0.25), lambda c: c.scaled_interhemispheric(0.5),
    lambda c: c.without_interhemispheric(), lambda c: c.with_speed(7.5)],
    ids=["max", "row_sum", "lesioned", "long_range", "interhemispheric", "no_interhemispheric", "speed"])
def test_edits_keep_sparsity_and_equal_the_dense_edits(edit):
    dense, sparse = edit(C76), edit(C76.to_sparse())
    assert sparse.is_sparse
    np.testing.assert_allclose(sparse.weights.toarray(), dense.weights, rtol=1e-15, atol=0)
    assert sparse.number_of_connections == dense.number_of_connections     # removed connections leave the pattern
    assert sparse.conduction_speed == dense.conduction_speed


def test_sparse_lengths_from_centres_fingerprint_pickle_and_files(tmp_path):
    w = sp.random_array((300, 300), density=0.02, random_state=np.random.default_rng(3), format="csr")
    centres = np.random.default_rng(4).uniform(-60, 60, (300, 3))
    s = Connectivity(w, centres=centres)
    d = Connectivity(w.toarray(), centres=centres)
    rows, cols, _, lengths = s.connections()
    np.testing.assert_array_equal(lengths, d.tract_lengths[rows, cols])      # Euclidean, as TVB's, per connection
    assert pickle.loads(pickle.dumps(s)) == s
    assert pickle.loads(pickle.dumps(s)).fingerprint() == s.fingerprint() != d.fingerprint()
    assert s.normalized().fingerprint() != s.fingerprint()
    sp.save_npz(tmp_path / "w.npz", sp.csr_matrix(s.weights))
    sp.save_npz(tmp_path / "l.npz", sp.csr_matrix(s.tract_lengths))
    loaded = Connectivity.from_files(tmp_path / "w.npz", tmp_path / "l.npz")
    assert loaded.is_sparse and loaded.connections()[2].tolist() == s.connections()[2].tolist()
    s.to_zip(tmp_path / "small.zip")                         # small sparse connectomes still export to TVB's zip
    back = Connectivity.from_zip(tmp_path / "small.zip")
    np.testing.assert_array_equal(back.weights, s.weights.toarray())


def test_sparse_validation_names_the_field():
    w = sp.csr_array(np.array([[0.0, 1.0], [2.0, 0.0]]))
    with pytest.raises(ValueError, match="tract_lengths: no length stored for 1 connection"):
        Connectivity(w, sp.csr_array(np.array([[0.0, 5.0], [0.0, 0.0]])))
    with pytest.raises(ValueError, match="weights: negative"):
        Connectivity(sp.csr_array(np.array([[0.0, -1.0], [2.0, 0.0]])), np.ones((2, 2)))
    with pytest.raises(ValueError, match="weights: NaN"):
        Connectivity(sp.csr_array(np.array([[0.0, np.nan], [2.0, 0.0]])), np.ones((2, 2)))
    with pytest.raises(ValueError, match="tract_lengths: expected shape"):
        Connectivity(w, sp.csr_array(np.ones((3, 3))))
    with pytest.raises(ValueError, match="weights: expected a square"):
        Connectivity(sp.csr_array(np.ones((2, 3))), np.ones((2, 3)))
    with pytest.raises(ValueError, match="tract_lengths: negative"):
        Connectivity(w, -np.ones((2, 2)))
    big = synthetic.distance_dependent(6000, density=0.001)
    with pytest.raises(ValueError, match="save_npz"):
        big.to_zip("never-written.zip")


def test_synthetic_connectome_follows_the_distance_rule_and_its_seed():
    c = synthetic.distance_dependent(2000, density=0.01, decay_mm=15.0, seed=7)
    assert c.is_sparse and c.number_of_connections == 2000 * 20
    rows, cols, w, lengths = c.connections()
    assert not np.any(rows == cols)
    assert np.all(np.bincount(rows, minlength=2000) == 20)
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 2000, (2, 20000))
    random_pairs = np.linalg.norm(c.centres[a] - c.centres[b], axis=1)
    # the exponential rule favours short connections: far shorter than random pairs of nodes
    assert np.median(lengths) < 0.5 * np.median(random_pairs)
    assert synthetic.distance_dependent(2000, density=0.01, decay_mm=15.0, seed=7) == c
    assert synthetic.distance_dependent(2000, density=0.01, decay_mm=15.0, seed=8) != c
    with pytest.raises(ValueError, match="density"):
        synthetic.distance_dependent(100, density=0.0)


@pytest.mark.parametrize("coupling", [bs.coupling.Linear(a=0.02), bs.coupling.Difference(a=0.02)],
                         ids=["Linear", "Difference"])
def test_simulation_on_1000_sparse_nodes_equals_the_dense_path(coupling):
    """Same spec and seeds: bitwise the same result from the sparse connectome and its dense copy, lesions too."""
    sparse = synthetic.distance_dependent(1000, density=0.01, seed=1, conduction_speed=10.0)
    dense = sparse.to_dense()
    lesion = np.zeros((3, 1000))
    lesion[1, :50] = 1.0
    batch = {"coupling.a": np.array([0.01, 0.02, 0.03]), "connectivity.lesion": lesion}

    def run(conn):
        sim = bs.Simulator(conn, bs.models.Generic2dOscillator(), coupling,
                           bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=1e-3)),
                           [bs.monitors.TemporalAverage(period=1.0), bs.monitors.Raw()], seed=3)
        return sim.run(20.0, batch=batch, seeds=[1, 2, 3])

    a, b = run(sparse), run(dense)
    np.testing.assert_array_equal(a.temporal_average.values, b.temporal_average.values)
    np.testing.assert_array_equal(a.raw.values, b.raw.values)
    assert np.abs(a.raw.values[1] - a.raw.values[0]).max() > 1e-6      # the batch members differ


def test_20000_sparse_nodes_batch_of_8_runs_in_under_2_gib():
    """Peak memory of a whole process (interpreter, numba, connectome, kernel) at N = 20,000, 1% dense, B = 8."""
    script = textwrap.dedent("""
        import json, resource
        import numpy as np
        import brainsweep.engine as bs
        conn = bs.synthetic.distance_dependent(20000, density=0.01, seed=1, conduction_speed=10.0)
        sim = bs.Simulator(conn, bs.models.Generic2dOscillator(), bs.coupling.Linear(a=0.002),
                           bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=1e-3)),
                           [bs.monitors.TemporalAverage(period=1.0)], seed=3)
        ds = sim.run(3.0, batch={"coupling.a": np.linspace(0.001, 0.004, 8)}, seeds=list(range(8)))
        print(json.dumps({"connections": conn.number_of_connections, "horizon": conn.horizon(0.1),
                          "shape": list(ds.temporal_average.shape),
                          "finite": bool(np.isfinite(ds.temporal_average.values).all()),
                          "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["connections"] == 20000 * 200 and result["horizon"] > 100
    assert result["shape"] == [8, 3, 1, 20000] and result["finite"]
    assert result["peak_rss_bytes"] < 2 * 2**30, f"peak RSS {result['peak_rss_bytes'] / 2**30:.2f} GiB"

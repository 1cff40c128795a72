"""Region values drawn on tvb-data's cortex with nilearn."""
from __future__ import annotations

import numpy as np
import pytest

import brainsweep as bs
from brainsweep import plotting
from brainsweep.engine.projections import load_region_mapping


def test_region_values_reach_exactly_their_vertices():
    conn = bs.Connectivity.from_tvb_data(76)
    mapping = load_region_mapping("regionMapping_16k_76.txt")
    values = np.arange(76, dtype=float)
    per_vertex = plotting.vertex_values(values)
    np.testing.assert_array_equal(per_vertex, values[mapping])
    k = list(conn.region_labels).index("lM1")
    assert np.count_nonzero(plotting.vertex_values(np.eye(76)[k])) == np.count_nonzero(mapping == k) > 100
    vertices, triangles = plotting.cortex_mesh()
    assert vertices.shape == (16384, 3) and triangles.max() == 16383
    assert plotting.vertex_values(np.ones(16384)).shape == (16384,)


def test_surface_figure_and_errors(tmp_path):
    conn = bs.Connectivity.from_tvb_data(76)
    out = tmp_path / "strength.png"
    fig = plotting.surface(conn.weights.sum(axis=1), title="in-strength", label="sum of weights", output_file=out)
    assert len(fig.axes) == 5 and out.stat().st_size > 30_000          # four views and a colour bar
    with pytest.raises(ValueError, match="neither one per vertex"):
        plotting.surface(np.ones(68))
    with pytest.raises(ValueError, match="16500 entries for 16384 vertices"):
        plotting.surface(np.ones(192), region_mapping="regionMapping_16k_192.txt")
    with pytest.raises(ValueError, match="refers to region"):
        plotting.vertex_values(np.ones(10), region_mapping="regionMapping_16k_76.txt")

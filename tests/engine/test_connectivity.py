"""Tests of brainsweep.engine.connectivity against TVB's own Connectivity and the tvb-data files."""
from __future__ import annotations

import json
import pickle
import zipfile

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from brainsweep.engine.connectivity import Connectivity

tvb_conn = pytest.importorskip("tvb.datatypes.connectivity")
TVBConnectivity = tvb_conn.Connectivity

SIZES = (66, 68, 76, 96, 192)


@pytest.fixture(scope="module")
def c76() -> Connectivity:
    return Connectivity.from_tvb_data(76)


@pytest.fixture(scope="module")
def tvb76():
    return TVBConnectivity.from_file("connectivity_76.zip")


def small(hemispheres=True) -> Connectivity:
    """4 regions: 0, 1 left; 2, 3 right. weights[i, j] = from j to i."""
    w = np.array([[0.0, 1.0, 2.0, 0.0],
                  [3.0, 0.0, 0.0, 4.0],
                  [5.0, 0.0, 0.0, 6.0],
                  [0.0, 0.0, 0.0, 0.0]])
    tl = np.array([[0.0, 10.0, 50.0, 80.0],
                   [10.0, 0.0, 60.0, 90.0],
                   [50.0, 60.0, 0.0, 20.0],
                   [80.0, 90.0, 20.0, 0.0]])
    return Connectivity(w, tl, ["a", "b", "c", "d"], conduction_speed=2.0,
                        hemispheres=[False, False, True, True] if hemispheres else None)


def assert_same_as_tvb(ours: Connectivity, tvb) -> None:
    assert ours.number_of_regions == tvb.weights.shape[0]
    assert np.array_equal(ours.weights, tvb.weights)
    assert np.array_equal(ours.tract_lengths, tvb.tract_lengths)
    assert np.array_equal(ours.centres, tvb.centres)
    assert list(ours.region_labels) == list(tvb.region_labels)


# ---------------------------------------------------------------------------------------------------------
# tvb-data and TVB parity
# ---------------------------------------------------------------------------------------------------------

def test_default_76_matches_tvb(c76, tvb76):
    assert c76.number_of_regions == 76
    assert c76.source == "tvb-data connectivity_76.zip"
    assert_same_as_tvb(c76, tvb76)
    assert np.array_equal(c76.areas, tvb76.areas)
    assert np.array_equal(c76.orientations, tvb76.orientations)
    assert np.array_equal(c76.cortical, tvb76.cortical)
    assert c76.region_labels[0] == "rA1" and c76.region_labels[-1] == "lCC"
    assert c76.number_of_connections == 1560
    assert c76.weights.dtype == np.float64 and c76.tract_lengths.dtype == np.float64
    # TVB infers hemispheres from the r/l label prefixes in configure()
    tvb76.configure()
    assert np.array_equal(c76.hemispheres, tvb76.hemispheres)
    assert c76.hemispheres.sum() == 38 and c76.hemispheres[0] and not c76.hemispheres[-1]
    assert c76.number_of_connections == tvb76.number_of_connections


@pytest.mark.parametrize("n", SIZES)
def test_all_tvb_data_sizes(n):
    ours = Connectivity.from_tvb_data(n)
    assert ours.number_of_regions == n
    tvb = TVBConnectivity.from_file(f"connectivity_{n}.zip")
    assert_same_as_tvb(ours, tvb)
    tvb.configure()
    assert np.array_equal(ours.hemispheres, tvb.hemispheres)
    assert ours.hemispheres.sum() == n // 2


def test_tvb_data_sizes_and_unknown_size():
    assert set(SIZES) <= set(Connectivity.tvb_data_sizes())
    with pytest.raises(ValueError, match=r"n: .*available sizes: \[.*66.*76.*192"):
        Connectivity.from_tvb_data(77)


def test_from_file_dispatch(c76, tmp_path):
    assert Connectivity.from_file("connectivity_76.zip") == c76
    path = c76.to_zip(tmp_path / "mine.zip")
    assert Connectivity.from_file(path) == c76
    assert Connectivity.from_file(str(path)).source == str(path)
    with pytest.raises(FileNotFoundError):
        Connectivity.from_file("connectivity_77.zip")
    txt = tmp_path / "w.txt"
    np.savetxt(txt, c76.weights)
    with pytest.raises(ValueError, match="from_files"):
        Connectivity.from_file(txt)


@pytest.mark.parametrize("speed, dt", [(3.0, 0.1), (4.0, 0.05), (2.5, 0.0122), (10.0, 1.0)])
def test_idelays_match_tvb(c76, speed, dt):
    tvb = TVBConnectivity.from_file("connectivity_76.zip")
    tvb.speed = np.array([speed])
    tvb.configure()
    tvb.set_idelays(dt)
    ours = c76.with_speed(speed)
    assert np.array_equal(ours.delays, tvb.delays)
    idel = ours.idelays(dt)
    assert idel.dtype == np.int64
    assert np.array_equal(idel, tvb.idelays)
    # horizon only counts existing connections; TVB counts every entry
    assert ours.horizon(dt) == idel[c76.weights != 0].max() + 1
    assert ours.horizon(dt) <= tvb.horizon


def test_delays_and_horizon_numbers():
    c = small()
    assert np.array_equal(c.delays, c.tract_lengths / 2.0)
    assert c.idelays(1.0)[1, 3] == 45  # 90 mm / 2 mm/ms / 1 ms
    assert c.horizon(1.0) == 46          # longest existing connection is 1 <- 3 (90 mm)
    assert c.idelays(1.0).max() + 1 == 46
    assert c.lesioned([3]).horizon(1.0) == 26  # 2 <- 0 (50 mm) -> 25 steps
    empty = Connectivity(np.zeros((2, 2)), np.ones((2, 2)))
    assert empty.horizon(0.1) == 1
    with pytest.raises(ValueError, match="dt"):
        c.idelays(0.0)


# ---------------------------------------------------------------------------------------------------------
# zip round trip
# ---------------------------------------------------------------------------------------------------------

def test_zip_round_trip_exact(c76, tmp_path):
    edited = c76.normalized("row_sum").with_speed(4.25)  # non-trivial floats
    path = edited.to_zip(tmp_path / "conn.zip")
    back = Connectivity.from_zip(path)
    assert back == edited
    for name in ("weights", "tract_lengths", "centres", "areas", "orientations", "cortical", "hemispheres"):
        assert np.array_equal(getattr(back, name), getattr(edited, name)), name
    assert list(back.region_labels) == list(c76.region_labels)
    assert back.conduction_speed == 4.25
    assert back.fingerprint() == edited.fingerprint()
    assert Connectivity.from_zip(path, conduction_speed=3.0).conduction_speed == 3.0


def test_zip_round_trip_random_floats(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.random((5, 5)) ** 7
    tl = rng.random((5, 5)) * 1e3
    c = Connectivity(w, tl, [f"n{k}" for k in range(5)], conduction_speed=1 / 3)
    assert c.centres is None and c.hemispheres is None
    back = Connectivity.from_zip(c.to_zip(tmp_path / "r.zip"))
    assert back == c
    assert back.centres is None and back.hemispheres is None


def test_tvb_reads_our_zip(c76, tmp_path):
    edited = c76.lesioned(["rA1", 5]).normalized("max")
    path = edited.to_zip(tmp_path / "for_tvb.zip")
    tvb = TVBConnectivity.from_file(str(path))
    assert_same_as_tvb(edited, tvb)
    assert np.array_equal(tvb.areas, edited.areas)
    assert np.array_equal(tvb.orientations, edited.orientations)
    assert np.array_equal(tvb.cortical, edited.cortical)
    assert np.array_equal(tvb.hemispheres, edited.hemispheres)
    tvb.configure()  # TVB accepts it
    assert tvb.number_of_regions == 76


def test_zip_reader_rules(tmp_path, c76):
    """Substring member names in a sub-folder, .bz2 members, 'centers' spelling, __MACOSX skipped."""
    import bz2
    src = zipfile.ZipFile(c76.to_zip(tmp_path / "plain.zip"))
    path = tmp_path / "odd.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__MACOSX/sub/._weights.txt", b"garbage")
        zf.writestr("sub/my_weights.txt.bz2", bz2.compress(src.read("weights.txt")))
        zf.writestr("sub/tract_lengths.txt", src.read("tract_lengths.txt"))
        zf.writestr("sub/centers.txt", src.read("centres.txt"))
    ours = Connectivity.from_zip(path)
    assert np.array_equal(ours.weights, c76.weights)
    assert np.array_equal(ours.centres, c76.centres)
    assert list(ours.region_labels) == list(c76.region_labels)
    assert ours.cortical is None and ours.areas is None
    assert np.array_equal(ours.hemispheres, c76.hemispheres)  # inferred from labels


def test_to_zip_rejects_unwritable_labels(tmp_path):
    c = Connectivity(np.ones((2, 2)), np.ones((2, 2)), ["left one", "right"])
    with pytest.raises(ValueError, match="region_labels"):
        c.to_zip(tmp_path / "x.zip")


# ---------------------------------------------------------------------------------------------------------
# separate files
# ---------------------------------------------------------------------------------------------------------

def test_text_csv_npy_files(c76, tmp_path):
    w, tl, labels, centres = c76.weights, c76.tract_lengths, list(c76.region_labels), c76.centres
    np.savetxt(tmp_path / "w.txt", w, fmt="%.18e")
    np.savetxt(tmp_path / "tl.txt", tl, fmt="%.18e")
    np.savetxt(tmp_path / "w.csv", w, fmt="%.17g", delimiter=",")
    np.savetxt(tmp_path / "tl.dat", tl, fmt="%.17g", delimiter=", ")  # comma detected from content
    np.save(tmp_path / "w.npy", w)
    np.savez(tmp_path / "both.npz", weights=w, tract_lengths=tl)
    (tmp_path / "labels.txt").write_text("\n".join(labels) + "\n")
    with open(tmp_path / "centres.txt", "w") as f:
        for lab, (x, y, z) in zip(labels, centres.tolist()):
            f.write(f"{lab} {x!r} {y!r} {z!r}\n")
    with open(tmp_path / "xyz.csv", "w") as f:
        f.write("x,y,z\n")
        for x, y, z in centres.tolist():
            f.write(f"{x!r},{y!r},{z!r}\n")

    txt = Connectivity.from_files(tmp_path / "w.txt", tmp_path / "tl.txt", tmp_path / "labels.txt")
    csv = Connectivity.from_files(tmp_path / "w.csv", tmp_path / "tl.dat", region_labels=labels)
    npy = Connectivity.from_files(tmp_path / "w.npy", tmp_path / "both.npz", tmp_path / "labels.txt")
    npz = Connectivity.from_files(tmp_path / "both.npz", tmp_path / "both.npz",
                                  centres=tmp_path / "centres.txt")
    for c in (txt, csv, npy, npz):
        assert np.array_equal(c.weights, w)
        assert np.array_equal(c.tract_lengths, tl)
        assert list(c.region_labels) == labels
    assert np.array_equal(npz.centres, centres)
    assert txt.source == str(tmp_path / "w.txt")

    # tract lengths from centres, with labels-free CSV centres
    est = Connectivity.from_files(tmp_path / "w.csv", centres=tmp_path / "xyz.csv")
    assert np.array_equal(est.centres, centres)
    assert np.allclose(est.tract_lengths, cdist(centres, centres), rtol=0, atol=1e-12)
    assert list(est.region_labels) == [f"region_{k:03d}" for k in range(76)]  # TVB's default labels
    assert est.hemispheres is None

    (tmp_path / "other_labels.txt").write_text("\n".join(reversed(labels)))
    with pytest.raises(ValueError, match="region_labels"):
        Connectivity.from_files(tmp_path / "w.txt", region_labels=tmp_path / "other_labels.txt",
                                centres=tmp_path / "centres.txt")


def test_tract_lengths_from_centres_match_cdist_and_tvb(c76):
    est = Connectivity(c76.weights, centres=c76.centres, region_labels=c76.region_labels)
    assert np.array_equal(est.tract_lengths, cdist(c76.centres, c76.centres))
    tvb = TVBConnectivity(weights=c76.weights.copy(), centres=c76.centres.copy(),
                          tract_lengths=np.array([]), region_labels=np.array(list(c76.region_labels)))
    tvb.configure()
    assert np.array_equal(est.tract_lengths, tvb.tract_lengths)


@pytest.mark.filterwarnings("ignore:Data type alias:DeprecationWarning")  # inside TVB
def test_default_labels_like_tvb():
    c = Connectivity(np.ones((3, 3)), np.ones((3, 3)))
    tvb = TVBConnectivity(weights=np.ones((3, 3)), tract_lengths=np.ones((3, 3)),
                          centres=np.zeros((3, 3)), region_labels=np.array([], dtype="U128"))
    tvb.configure()
    assert list(c.region_labels) == list(tvb.region_labels) == ["region_000", "region_001", "region_002"]
    # TVB then calls every "region_..." right-hemispheric (they start with "r"); we leave it unknown
    assert tvb.hemispheres.all()
    assert c.hemispheres is None


def test_hemispheres_inferred_from_suffix():
    c = Connectivity(np.ones((3, 3)), np.ones((3, 3)), ["V1_L", "V1_R", "thal_l"])
    assert c.hemispheres.tolist() == [False, True, False]
    assert Connectivity(np.ones((2, 2)), np.ones((2, 2)), ["x", "rA"]).hemispheres is None


# ---------------------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------------------

W = np.ones((3, 3))
T = np.ones((3, 3))
L = ["a", "b", "c"]
X = np.zeros((3, 3))


@pytest.mark.parametrize("kwargs, field", [
    (dict(weights=np.ones((3, 2)), tract_lengths=T), "weights"),
    (dict(weights=np.ones(3), tract_lengths=T), "weights"),
    (dict(weights=np.ones((0, 0)), tract_lengths=np.ones((0, 0))), "weights"),
    (dict(weights=np.where(np.eye(3) > 0, np.nan, 1.0), tract_lengths=T), "weights"),
    (dict(weights=np.where(np.eye(3) > 0, np.inf, 1.0), tract_lengths=T), "weights"),
    (dict(weights=-W, tract_lengths=T), "weights"),
    (dict(weights=[["a", "b"], ["c", "d"]], tract_lengths=np.ones((2, 2))), "weights"),
    (dict(weights=W, tract_lengths=np.ones((2, 2))), "tract_lengths"),
    (dict(weights=W, tract_lengths=-T), "tract_lengths"),
    (dict(weights=W, tract_lengths=np.full((3, 3), np.nan)), "tract_lengths"),
    (dict(weights=W), "tract_lengths"),
    (dict(weights=W, tract_lengths=T, region_labels=["a", "b"]), "region_labels"),
    (dict(weights=W, tract_lengths=T, region_labels=["a", "b", "a"]), "region_labels"),
    (dict(weights=W, tract_lengths=T, region_labels=["a", "", "c"]), "region_labels"),
    (dict(weights=W, tract_lengths=T, region_labels=["a", 2, "c"]), "region_labels"),
    (dict(weights=W, tract_lengths=T, centres=np.zeros((3, 2))), "centres"),
    (dict(weights=W, centres=np.zeros((2, 3))), "centres"),
    (dict(weights=W, centres=np.full((3, 3), np.inf)), "centres"),
    (dict(weights=W, tract_lengths=T, conduction_speed=0.0), "conduction_speed"),
    (dict(weights=W, tract_lengths=T, conduction_speed=-1.0), "conduction_speed"),
    (dict(weights=W, tract_lengths=T, conduction_speed=np.inf), "conduction_speed"),
    (dict(weights=W, tract_lengths=T, conduction_speed=np.nan), "conduction_speed"),
    (dict(weights=W, tract_lengths=T, conduction_speed=[1.0, 2.0]), "conduction_speed"),
    (dict(weights=W, tract_lengths=T, hemispheres=[True, False]), "hemispheres"),
    (dict(weights=W, tract_lengths=T, hemispheres=[0, 1, 2]), "hemispheres"),
    (dict(weights=W, tract_lengths=T, cortical=[1, 1]), "cortical"),
    (dict(weights=W, tract_lengths=T, areas=[1.0, -1.0, 1.0]), "areas"),
    (dict(weights=W, tract_lengths=T, orientations=np.ones((3, 2))), "orientations"),
])
def test_validation_errors_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=rf"^{field}:"):
        Connectivity(**kwargs)


def test_single_region_and_tvb_style_speed():
    c = Connectivity([[0.0]], [[0.0]], conduction_speed=np.array([3.0]))
    assert c.number_of_regions == 1 and c.conduction_speed == 3.0 and c.horizon(0.1) == 1


def test_edit_argument_errors(c76):
    with pytest.raises(ValueError, match=r"mode: .*'max'.*'row_sum'.*'in_strength'.*'none'"):
        c76.normalized("tract")
    with pytest.raises(ValueError, match="unknown region label 'nope'"):
        c76.lesioned(["rA1", "nope"])
    with pytest.raises(ValueError, match="out of range 0..75"):
        c76.lesioned(76)
    with pytest.raises(ValueError, match="hemispheres"):
        small(hemispheres=False).scaled_interhemispheric(0.5)
    with pytest.raises(ValueError, match="factor"):
        c76.scaled_long_range(50.0, -1.0)
    with pytest.raises(ValueError, match="conduction_speed"):
        c76.with_speed(0)


# ---------------------------------------------------------------------------------------------------------
# immutability, normalisation and edits
# ---------------------------------------------------------------------------------------------------------

def test_immutable(c76):
    w = np.ones((2, 2))
    c = Connectivity(w, w)
    w[0, 0] = 5.0
    assert c.weights[0, 0] == 1.0  # copied on construction
    for arr in (c76.weights, c76.tract_lengths, c76.region_labels, c76.centres, c76.hemispheres):
        with pytest.raises(ValueError):
            arr[0] = arr[1]
    with pytest.raises(AttributeError):
        c76.conduction_speed = 4.0
    with pytest.raises(AttributeError):
        c76.foo = 1


def test_normalisation():
    c = small()
    before = c.weights.copy()
    m = c.normalized("max")
    assert m.weights.max() == 1.0
    assert np.array_equal(m.weights, before / 6.0)
    r = c.normalized("row_sum")
    assert np.allclose(r.weights.sum(axis=1), [1.0, 1.0, 1.0, 0.0])
    assert np.array_equal(r.weights[0], [0.0, 1 / 3, 2 / 3, 0.0])
    assert np.array_equal(r.weights[3], np.zeros(4))
    assert c.normalized("in_strength") == r
    assert c.normalized("none") == c
    assert m.history == ("normalized('max')",)
    assert np.array_equal(c.weights, before) and c.history == ()


def test_normalisation_tvb_data(c76):
    before = c76.weights.copy()
    r = c76.normalized("row_sum")
    sums = r.weights.sum(axis=1)
    nonzero = c76.weights.sum(axis=1) > 0
    assert np.allclose(sums[nonzero], 1.0) and np.all(sums[~nonzero] == 0)
    assert c76.normalized("max").weights.max() == 1.0
    assert np.array_equal(c76.weights, before)


def test_lesion(c76):
    before = c76.weights.copy()
    les = c76.lesioned(["rA1", 10, np.int64(40)])
    idx = [0, 10, 40]
    assert les.number_of_regions == 76
    assert np.all(les.weights[idx, :] == 0) and np.all(les.weights[:, idx] == 0)
    keep = np.setdiff1d(np.arange(76), idx)
    assert np.array_equal(les.weights[np.ix_(keep, keep)], before[np.ix_(keep, keep)])
    assert np.array_equal(les.tract_lengths, c76.tract_lengths)
    assert les.number_of_connections < c76.number_of_connections
    assert c76.lesioned("rA1") == c76.lesioned(0)
    assert np.array_equal(c76.weights, before)


def test_scaled_long_range():
    c = small()
    s = c.scaled_long_range(55.0, 0.5)
    expected = c.weights.copy()
    expected[c.tract_lengths > 55.0] *= 0.5
    assert np.array_equal(s.weights, expected)
    # only 1 <- 3 (90 mm, w 4) and 2 <- 3? no: 2 <- 3 is 20 mm; 0 <- 2 is 50 mm, untouched
    assert s.weights[1, 3] == 2.0 and s.weights[0, 2] == 2.0 and s.weights[2, 3] == 6.0
    assert c.weights[1, 3] == 4.0


def test_scaled_long_range_tvb_data(c76):
    s = c76.scaled_long_range(80.0, 0.0)
    long = c76.tract_lengths > 80.0
    assert np.all(s.weights[long] == 0)
    assert np.array_equal(s.weights[~long], c76.weights[~long])
    assert np.count_nonzero(c76.weights[long]) > 0


def test_interhemispheric(c76):
    c = small()
    s = c.scaled_interhemispheric(0.25)
    # cross pairs: 0 <- 2 (2.0), 1 <- 3 (4.0), 2 <- 0 (5.0); 2 <- 3 (6.0) and 0 <- 1 (1.0) are within
    assert s.weights[0, 2] == 0.5 and s.weights[1, 3] == 1.0 and s.weights[2, 0] == 1.25
    assert s.weights[2, 3] == 6.0 and s.weights[0, 1] == 1.0 and s.weights[1, 0] == 3.0
    assert c.weights[0, 2] == 2.0

    cut = c76.without_interhemispheric()
    h = c76.hemispheres
    cross = h[:, None] != h[None, :]
    assert np.all(cut.weights[cross] == 0)
    assert np.array_equal(cut.weights[~cross], c76.weights[~cross])
    assert np.count_nonzero(c76.weights[cross]) > 0
    assert cut == c76.scaled_interhemispheric(0.0)


# ---------------------------------------------------------------------------------------------------------
# provenance and dunders
# ---------------------------------------------------------------------------------------------------------

def test_fingerprint_summary_repr_eq(c76):
    fp = c76.fingerprint()
    assert len(fp) == 16 and int(fp, 16) >= 0
    assert Connectivity.from_tvb_data(76).fingerprint() == fp
    assert c76.with_speed(4.0).fingerprint() != fp
    assert c76.lesioned(0).fingerprint() != fp
    assert c76.copy() == c76 and c76.copy() is not c76 and hash(c76.copy()) == hash(c76)
    assert c76 != c76.with_speed(4.0)
    assert c76 != small()
    s = c76.summary()
    json.dumps(s)
    assert s["n_regions"] == 76 and s["n_connections"] == 1560
    assert s["weight_range"] == [0.0, 3.0]
    assert s["tract_length_range"] == [0.0, float(c76.tract_lengths.max())]
    assert s["conduction_speed"] == 3.0 and s["fingerprint"] == fp
    assert s["source"] == "tvb-data connectivity_76.zip"
    r = repr(c76)
    assert "76" in r and "1560" in r and "connectivity_76.zip" in r and len(r) < 200
    assert pickle.loads(pickle.dumps(c76.lesioned(3))) == c76.lesioned(3)

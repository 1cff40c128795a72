"""Features of simulated signals: FC, FCD, fits, spectra, Kuramoto order, summaries, divergence."""
import numpy as np
import pytest
import scipy.stats
import xarray as xr

from brainsweep.engine import features as F


def simulated(data: np.ndarray, dt: float = 1.0, t0: float = 0.5, variables=("S",)) -> xr.DataArray:
    """Label ``(batch, time, region)`` data like a simulator monitor ``(batch, time, variable, region)``."""
    B, T, N = data.shape
    stacked = np.stack([data * (k + 1) for k in range(len(variables))], axis=2)
    return xr.DataArray(stacked, dims=("batch", "time", "variable", "region"),
                        coords={"batch": np.arange(B), "seed": ("batch", np.arange(B) + 10),
                                "coupling.a": ("batch", np.linspace(0.1, 0.3, B)),
                                "time": t0 + dt * np.arange(T), "variable": list(variables),
                                "region": [f"r{k}" for k in range(N)]})


@pytest.fixture
def noise():
    return np.random.default_rng(42).standard_normal((3, 400, 5)).cumsum(axis=1)


# ----------------------------------------------------------------------------------------------------- FC

def test_fc_equals_corrcoef_per_member_with_transient(noise):
    x = simulated(noise, dt=2.0, variables=("S", "R"))
    fc = F.functional_connectivity(x, transient=100.0, variable="R")
    assert fc.dims == ("batch", "region", "region_to")
    assert list(fc["seed"].values) == [10, 11, 12] and "coupling.a" in fc.coords
    assert list(fc["region_to"].values) == [f"r{k}" for k in range(5)]
    for b in range(3):
        np.testing.assert_allclose(fc.values[b], np.corrcoef(noise[b, 50:].T), atol=1e-12)
    np.testing.assert_array_equal(np.diagonal(fc.values, axis1=1, axis2=2), 1.0)


def test_fc_numpy_input_and_single_member(noise):
    fc = F.functional_connectivity(noise[1], transient=30.0, dt=1.0)
    assert fc.dims == ("region", "region_to")
    np.testing.assert_allclose(fc.values, np.corrcoef(noise[1, 30:].T), atol=1e-12)
    batch = F.functional_connectivity(noise)
    np.testing.assert_allclose(batch.values[2], np.corrcoef(noise[2].T), atol=1e-12)


def test_fisher_z_is_arctanh(noise):
    r = F.functional_connectivity(simulated(noise)).values
    z = F.functional_connectivity(simulated(noise), fisher_z=True).values
    off = ~np.eye(5, dtype=bool)
    np.testing.assert_allclose(z[:, off], np.arctanh(r[:, off]), rtol=1e-12)
    assert np.all(np.isposinf(np.diagonal(z, axis1=1, axis2=2)))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_fc_non_finite_member_gives_nan_matrix(noise, bad):
    data = noise.copy()
    data[1, 200, 3] = bad
    fc = F.functional_connectivity(simulated(data))
    assert np.isnan(fc.values[1]).all()
    for b in (0, 2):
        np.testing.assert_allclose(fc.values[b], np.corrcoef(noise[b].T), atol=1e-12)


def test_fc_constant_region_gives_nan_row():
    data = np.random.default_rng(1).standard_normal((100, 4))
    data[:, 2] = 0.3
    fc = F.functional_connectivity(data).values
    assert np.isnan(fc[2]).all() and np.isnan(fc[:, 2]).all()
    keep = [0, 1, 3]
    np.testing.assert_allclose(fc[np.ix_(keep, keep)], np.corrcoef(data[:, keep].T), atol=1e-12)


def test_transient_too_long_raises(noise):
    with pytest.raises(ValueError, match="samples left"):
        F.functional_connectivity(simulated(noise), transient=1e6)


# ---------------------------------------------------------------------------------------------------- FCD

def loop_fcd(ts: np.ndarray, width: int, step: int, full: bool = False):
    """Direct double-loop FCD of ``(time, region)`` data."""
    last = ts.shape[0] - width + 1
    fcs = [np.corrcoef(ts[s:s + width].T) for s in range(0, last, step)]
    iu = np.triu_indices(ts.shape[1], k=1)
    vec = [f.ravel() if full else f[iu] for f in fcs]
    out = np.empty((len(vec), len(vec)))
    for i, a in enumerate(vec):
        for j, b in enumerate(vec):
            out[i, j] = np.corrcoef(a, b)[0, 1]
    return out


@pytest.mark.parametrize("direct", [False, True])
def test_fcd_equals_double_loop(noise, direct, monkeypatch):
    if direct:
        monkeypatch.setattr(F, "_BLOCK_BYTES", 0)
    x = simulated(noise, dt=2.0)
    out = F.fcd(x, window=40.0, step=20.0, transient=20.0)       # 20 samples, step 10, drop 10
    assert out.dims == ("batch", "window", "window_to")
    data = noise[:, 10:]
    expected_starts = np.arange(0, data.shape[1] - 20 + 1, 10)
    np.testing.assert_allclose(out["window"].values, x["time"].values[10:][expected_starts])
    for b in range(3):
        np.testing.assert_allclose(out.values[b], loop_fcd(data[b], 20, 10), atol=1e-10)
    full = F.fcd(x, window=40.0, step=20.0, transient=20.0, entries="full")
    np.testing.assert_allclose(full.values[0], loop_fcd(data[0], 20, 10, full=True), atol=1e-10)


def test_fcd_values_and_nan_member(noise):
    data = noise.copy()
    data[0, 5, 0] = np.nan
    out = F.fcd(simulated(data), window=50.0, step=25.0)
    k = out.sizes["window"]
    values = F.fcd_values(out)
    assert values.dims == ("batch", "pair") and values.sizes["pair"] == k * (k - 1) // 2
    assert np.isnan(out.values[0]).all() and np.isfinite(out.values[1:]).all()
    np.testing.assert_allclose(values.values[1], out.values[1][np.triu_indices(k, 1)])
    np.testing.assert_allclose(F.fcd_values(out.values[2]), out.values[2][np.triu_indices(k, 1)])


def test_fcd_window_validation(noise):
    with pytest.raises(ValueError, match="window"):
        F.fcd(simulated(noise), window=1e5, step=1.0)
    with pytest.raises(ValueError, match="step"):
        F.fcd(simulated(noise), window=10.0, step=0.1)


# ---------------------------------------------------------------------------------------------------- fits

def random_fc(n: int, seed: int = 0) -> np.ndarray:
    return np.corrcoef(np.random.default_rng(seed).standard_normal((3 * n, n)).T)


def test_fc_fit_identical_and_negated():
    emp = random_fc(6)
    neg = -emp
    np.fill_diagonal(neg, 1.0)
    sim = xr.DataArray(np.stack([emp, neg, random_fc(6, 1)]), dims=("batch", "region", "region_to"),
                       coords={"seed": ("batch", [1, 2, 3])})
    r = F.fc_fit(sim, emp)
    assert r.dims == ("batch",) and r.attrs["n_pairs"] == 15 and list(r["seed"].values) == [1, 2, 3]
    np.testing.assert_allclose(r.values[:2], [1.0, -1.0], atol=1e-12)
    iu = np.triu_indices(6, 1)
    np.testing.assert_allclose(r.values[2], np.corrcoef(random_fc(6, 1)[iu], emp[iu])[0, 1], atol=1e-12)


def test_fc_fit_interhemispheric_exclusion():
    emp, sim = random_fc(6), random_fc(6, 3)
    hemi = np.array([False, True, False, True, False, True])          # L, R, L, R, ... as in the HCP data
    r = F.fc_fit(sim, emp, exclude_interhemispheric=True, hemispheres=hemi)
    assert r.attrs["n_pairs"] == 6                                     # 3 + 3 intra-hemispheric pairs
    pairs = [(i, j) for i in range(6) for j in range(i + 1, 6) if hemi[i] == hemi[j]]
    a, b = (np.array([m[i, j] for i, j in pairs]) for m in (sim, emp))
    np.testing.assert_allclose(float(r), np.corrcoef(a, b)[0, 1], atol=1e-12)
    labels = [f"reg{k}_{'R' if h else 'L'}" for k, h in enumerate(hemi)]
    labelled = xr.DataArray(sim, dims=("region", "region_to"), coords={"region": labels, "region_to": labels})
    assert float(F.fc_fit(labelled, emp, exclude_interhemispheric=True)) == pytest.approx(float(r))
    with pytest.raises(ValueError, match="hemispheres"):
        F.fc_fit(sim, emp, exclude_interhemispheric=True)


def test_fc_rmse_known_numbers():
    sim = np.eye(3)
    sim[0, 1] = sim[1, 0] = 0.1
    sim[0, 2] = sim[2, 0] = 0.2
    sim[1, 2] = sim[2, 1] = 0.3
    emp = np.eye(3)
    assert float(F.fc_rmse(sim, emp)) == pytest.approx(np.sqrt((0.01 + 0.04 + 0.09) / 3))
    batch = F.fc_rmse(np.stack([sim, emp]), emp)
    np.testing.assert_allclose(batch.values, [np.sqrt(0.14 / 3), 0.0])


def test_fcd_ks_equals_scipy():
    rng = np.random.default_rng(5)
    a, b, c = rng.normal(0, 1, 300), rng.normal(0.5, 1, 200), rng.normal(0, 2, 300)
    ks = F.fcd_ks(np.stack([a, c]), b)
    np.testing.assert_allclose(ks.values, [scipy.stats.ks_2samp(a, b).statistic,
                                           scipy.stats.ks_2samp(c, b).statistic])
    bad = a.copy()
    bad[3] = np.nan
    assert np.isnan(F.fcd_ks(bad, b).values)
    m1, m2 = random_fc(12, 1), random_fc(12, 2)                          # matrices: upper triangles compared
    iu = np.triu_indices(12, 1)
    assert float(F.fcd_ks(m1, m2)) == pytest.approx(scipy.stats.ks_2samp(m1[iu], m2[iu]).statistic)


# ------------------------------------------------------------------------------------------------- spectra

def sinusoid(freq_hz: float = 10.0, dt: float = 1.0, n: int = 4000, regions: int = 3) -> xr.DataArray:
    t = np.arange(n) * dt
    data = np.stack([(k + 1) * np.sin(2 * np.pi * freq_hz * t / 1000.0 + k) for k in range(regions)], axis=1)
    return simulated(data[None] + 0.01 * np.random.default_rng(0).standard_normal((1, n, regions)), dt=dt)


def test_power_spectrum_frequency_axis_in_hz():
    psd = F.power_spectrum(sinusoid(dt=2.0), nperseg=500)
    assert psd.dims == ("batch", "frequency", "region")
    assert psd["frequency"].attrs["units"] == "Hz"
    f = psd["frequency"].values
    assert f[-1] == pytest.approx(250.0) and f[1] == pytest.approx(1.0)     # Nyquist of 2 ms, 1/(500*2 ms)


def test_dominant_frequency_and_band_power_of_10hz_sinusoid():
    x = sinusoid()
    psd = F.power_spectrum(x)
    resolution = float(psd["frequency"][1] - psd["frequency"][0])
    dom = F.dominant_frequency(x, 1.0, 100.0)
    assert dom.dims == ("batch", "region")
    np.testing.assert_allclose(dom.values, 10.0, atol=resolution)
    np.testing.assert_allclose(F.dominant_frequency(psd, 1.0, 100.0).values, dom.values)
    bp = F.band_power(x, relative=True)
    assert list(bp["band"].values) == ["delta", "theta", "alpha", "beta", "gamma"]
    alpha = bp.sel(band="alpha").values
    assert np.all(alpha > 0.9) and np.all(alpha >= bp.max("band").values)


# ------------------------------------------------------------------------------------------ Kuramoto order

def test_kuramoto_identical_phases():
    rng = np.random.default_rng(0)
    phase = np.cumsum(rng.uniform(0, 0.5, 1000))
    data = np.repeat(phase[None, :, None], 7, axis=2)
    out = F.kuramoto_order(simulated(data), phases=True)
    np.testing.assert_allclose(out["synchrony"].values, 1.0)
    np.testing.assert_allclose(out["metastability"].values, 0.0, atol=1e-12)


def test_kuramoto_independent_phases():
    n = 100
    phases = np.random.default_rng(1).uniform(-np.pi, np.pi, (2, 2000, n))
    sync = F.kuramoto_order(phases, phases=True)["synchrony"].values
    assert np.all((sync > 0.6 / np.sqrt(n)) & (sync < 1.4 / np.sqrt(n)))   # E[R] = sqrt(pi / 4N)


def test_kuramoto_from_signals_and_band():
    x = sinusoid(n=3000, regions=1)
    x = xr.concat([x.assign_coords(region=[f"r{k}"]) for k in range(4)], dim="region")   # 4 identical regions
    out = F.kuramoto_order(x, transient=200.0, band=(8.0, 12.0))
    assert out["synchrony"].values == pytest.approx([1.0], abs=1e-6)
    nan = x.copy(data=np.where(np.arange(3000)[None, :, None, None] == 5, np.nan, x.values))
    assert np.isnan(F.kuramoto_order(nan)["synchrony"].values).all()


# ---------------------------------------------------------------------------------- summary, divergence

def test_summary(noise):
    s = F.summary(simulated(noise), transient=100.0)
    assert set(s.data_vars) == {"min", "max", "mean", "std"} and s["mean"].dims == ("batch", "region")
    tail = noise[:, 100:]
    for key, fn in (("min", np.min), ("max", np.max), ("mean", np.mean), ("std", np.std)):
        np.testing.assert_allclose(s[key].values, fn(tail, axis=1))


def test_divergence_status():
    data = np.zeros((3, 10, 2))
    data[1, 4:, 0] = np.nan
    x = simulated(data)
    ds = xr.Dataset({"temporal_average": x})
    scanned = F.divergence_status(ds)
    np.testing.assert_array_equal(scanned["diverged"].values, [False, True, False])
    np.testing.assert_array_equal(scanned["divergence_time"].values, [np.nan, 4.5, np.nan])
    ds["diverged"] = ("batch", np.array([False, True, False]))
    ds["divergence_time"] = ("batch", np.array([np.nan, 4.5, np.nan]))
    reported = F.divergence_status(ds)
    assert int(reported["n_diverged"]) == 1
    np.testing.assert_array_equal(reported["divergence_time"].values, [np.nan, 4.5, np.nan])
    assert list(reported["seed"].values) == [10, 11, 12]


def test_a_members_features_do_not_depend_on_the_batch_it_is_in():
    """Bit for bit: member k of a batch of 20 and the same member alone (or in a batch of 2), for every feature
    a sweep stores. NumPy sums 1-D arrays and rows of 2-D ones in different orders, so this is not automatic."""
    import xarray as xr

    from brainsweep.engine import features as F

    rng = np.random.default_rng(3)
    data = np.cumsum(rng.standard_normal((20, 400, 1, 80)), axis=1) + 5 * rng.standard_normal((20, 1, 1, 80))
    da = xr.DataArray(data, dims=("batch", "time", "variable", "region"),
                      coords={"time": np.arange(400) * 10.0, "variable": ["x"], "region": [f"r{k}" for k in range(80)]})
    emp = np.corrcoef(rng.standard_normal((80, 200)))
    emp_fcd = rng.uniform(-0.2, 1.0, 300)

    def all_features(x):
        fc = F.functional_connectivity(x, transient=100.0)
        fcd = F.fcd(x, window=500.0, step=100.0, transient=100.0, entries="full")
        order = F.kuramoto_order(x, transient=100.0)
        return {"fc": fc.values, "fit": np.asarray(F.fc_fit(fc, emp)), "rmse": np.asarray(F.fc_rmse(fc, emp)),
                "ks": np.asarray(F.fcd_ks(fcd, emp_fcd)),
                "sync": np.asarray(order["synchrony"]), "meta": np.asarray(order["metastability"]),
                "freq": np.asarray(F.dominant_frequency(x.isel(variable=0)))}

    whole = all_features(da)
    for members in (slice(7, 8), slice(3, 5)):
        part = all_features(da.isel(batch=members))
        for name, values in part.items():
            np.testing.assert_array_equal(values, whole[name][members], err_msg=name)

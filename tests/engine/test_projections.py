"""EEG / MEG / iEEG projection monitors: region gains and simulations against tvb-library, user gains against a
direct computation, chunked runs, and input errors."""
import types

import numpy as np
import pytest
from tvb_oracle import horizon, initial_state, tvb_float64_history

import brainsweep as bs
from brainsweep.engine.projections import EEG, MEG, SEEG, Sensors, iEEG

CONN = bs.Connectivity.from_tvb_data()
DT = 0.0625
LENGTH = 100.0
COUPLING_A = 0.0152


def _data(ds):
    return {k: v for k, v in ds.data_vars.items() if k not in ("diverged", "divergence_time")}


# ------------------------------------------------------------------------------------------------ gains vs TVB
def _tvb_gain(mon, n_regions):
    """TVB's region gain: ``config_for_sim`` on a stand-in simulator (no surface: a region simulation)."""
    from tvb.datatypes.connectivity import Connectivity

    conn = Connectivity.from_file(f"connectivity_{n_regions}.zip")
    conn.configure()
    sim = types.SimpleNamespace(surface=None, connectivity=conn, integrator=types.SimpleNamespace(dt=DT),
                                model=types.SimpleNamespace(variables_of_interest=["V"]))
    mon.config_for_sim(sim)
    return np.asarray(mon.gain)


@pytest.mark.parametrize("n_regions,rm", [(76, "regionMapping_16k_76.txt"), (192, "regionMapping_16k_192.txt")])
def test_region_gains_equal_tvb(n_regions, rm):
    """Vertex sums through the region mapping, analytic gains for non-cortical regions (116 of the 192-region
    connectome) and for no projection at all, NaN sensors zeroed: bit for bit TVB's."""
    pytest.importorskip("tvb.simulator")
    from tvb.datatypes.region_mapping import RegionMapping
    from tvb.datatypes.sensors import SensorsEEG, SensorsInternal, SensorsMEG
    from tvb.simulator import monitors

    conn = bs.Connectivity.from_tvb_data(n_regions)
    assert (~conn.cortical).sum() == (0 if n_regions == 76 else 116)
    rmap = RegionMapping.from_file(rm)
    pairs = {
        "eeg65": (EEG.from_tvb_data(region_mapping=rm), monitors.EEG.from_file(rm_f_name=rm, obsnoise=None)),
        "eeg62": (EEG.from_tvb_data(sensors="eeg_unitvector_62.txt.bz2", projection="projection_eeg_62_surface_16k.mat",
                                    region_mapping=rm),
                  monitors.EEG.from_file("eeg_unitvector_62.txt.bz2", "projection_eeg_62_surface_16k.mat",
                                         rm_f_name=rm, obsnoise=None)),
        "meg276": (MEG.from_tvb_data(region_mapping=rm), monitors.MEG.from_file(rm_f_name=rm, obsnoise=None)),
        "ieeg588-analytic": (iEEG.from_tvb_data(),
                             monitors.iEEG(sensors=SensorsInternal.from_file("seeg_588.txt"), region_mapping=rmap,
                                           obsnoise=None)),
        "eeg65-analytic": (EEG(sensors="eeg_brainstorm_65.txt"),
                           monitors.EEG(sensors=SensorsEEG.from_file("eeg_brainstorm_65.txt"), region_mapping=rmap,
                                        obsnoise=None)),
        "meg276-analytic": (MEG(sensors="meg_brainstorm_276.txt"),
                            monitors.MEG(sensors=SensorsMEG.from_file("meg_brainstorm_276.txt"), region_mapping=rmap,
                                         obsnoise=None)),
    }
    for name, (ours, theirs) in pairs.items():
        g, ref = ours.region_gain(conn), _tvb_gain(theirs, n_regions)
        assert g.shape == ref.shape == (ours.number_of_sensors, n_regions), name
        np.testing.assert_array_equal(g, ref, err_msg=name)
        assert np.isfinite(g).all() and np.abs(g).max() > 0, name
    # all-NaN sensors of the brainstorm files read zero
    g65 = pairs["eeg65"][0].region_gain(conn)
    assert (np.abs(g65).sum(axis=1) == 0).sum() == 2


# ------------------------------------------------------------------------------------------------ simulations vs TVB
def _tvb_monitors():
    from tvb.datatypes.region_mapping import RegionMapping
    from tvb.datatypes.sensors import SensorsInternal
    from tvb.simulator import monitors

    return [monitors.EEG.from_file(obsnoise=None),
            monitors.EEG.from_file(obsnoise=None, reference="average"),
            monitors.EEG.from_file(obsnoise=None, reference="Cz"),
            monitors.MEG.from_file(obsnoise=None, variables_of_interest=np.array([1])),
            monitors.iEEG(sensors=SensorsInternal.from_file("seeg_588.txt"), region_mapping=RegionMapping.from_file(),
                          obsnoise=None)]


def _our_monitors():
    return [EEG.from_tvb_data(), EEG.from_tvb_data(reference="average"), EEG.from_tvb_data(reference="Cz"),
            MEG.from_tvb_data(variables_of_interest=[1]), SEEG.from_tvb_data()]


def _run_tvb(x0, float64_history):
    from tvb.datatypes.connectivity import Connectivity
    from tvb.simulator import coupling, integrators, models, simulator

    conn = Connectivity.from_file()
    conn.speed = np.array([3.0])
    model = models.Generic2dOscillator()
    model.variables_of_interest = ["V", "W"]
    ic = np.repeat(x0[None, :, :, None], horizon(DT), axis=0)
    ctx = tvb_float64_history() if float64_history else _null()
    with ctx:
        sim = simulator.Simulator(connectivity=conn, model=model, coupling=coupling.Linear(a=np.array([COUPLING_A])),
                                  integrator=integrators.HeunDeterministic(dt=DT), monitors=_tvb_monitors(),
                                  initial_conditions=ic, simulation_length=LENGTH).configure()
        return [(t, y[..., 0]) for t, y in sim.run()]


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _make_ours(x0, monitors, **kw):
    model = bs.models.Generic2dOscillator()
    model.variables_of_interest = ["V", "W"]
    return bs.Simulator(CONN, model, bs.coupling.Linear(a=COUPLING_A), bs.integrators.HeunDeterministic(dt=DT),
                        monitors, initial_conditions=np.repeat(x0[None], horizon(DT), axis=0), **kw)


def test_eeg_meg_ieeg_match_tvb():
    pytest.importorskip("tvb.simulator")
    x0 = initial_state("Generic2dOscillator", 11)
    ref = _run_tvb(x0, float64_history=False)
    ref64 = _run_tvb(x0, float64_history=True)
    ds = _make_ours(x0, _our_monitors()).run(LENGTH)
    outs = _data(ds)
    assert list(outs) == ["eeg", "eeg_1", "eeg_2", "meg", "ieeg"]
    for (name, da), (t, y), (_, y64), n_sensors in zip(outs.items(), ref, ref64, (65, 65, 65, 276, 588)):
        ours = da.values
        tdim = da.dims[0]
        np.testing.assert_allclose(ds[tdim].values, t, rtol=0, atol=1e-12, err_msg=name)
        assert ours.shape == y.shape and ours.shape[2] == n_sensors, name
        scale = np.ptp(y64)
        assert scale > 0 and np.abs(y64[-1]).max() > 0, name
        assert np.abs(ours - y64).max() <= 1e-12 * scale, (name, np.abs(ours - y64).max() / scale)
        assert np.abs(ours - y).max() <= 1e-6 * scale, (name, np.abs(ours - y).max() / scale)
    # TVB's int(period / dt): 15 steps of 0.0625 ms (round would give 16), stamped at the window's middle
    t = ds["time_eeg"].values
    np.testing.assert_allclose(np.diff(t), 15 * DT)
    assert list(ds["eeg_sensor"].values[:3]) == ["Fp1", "Fp2", "F4"]
    assert ds["meg_sensor"].size == 276 and ds["seeg_sensor"].values[0] == "TP1"
    # average reference: zero mean over the sensors at every sample; single-sensor reference: that sensor is zero
    np.testing.assert_allclose(ds["eeg_1"].values.mean(axis=-1), 0.0, atol=1e-9 * np.ptp(ds["eeg"].values))
    assert np.all(ds["eeg_2"].sel(eeg_sensor="Cz").values == 0.0)


# ------------------------------------------------------------------------------------------------ user gains
def test_user_gain_is_gain_times_temporal_average():
    rng = np.random.default_rng(0)
    G = rng.normal(size=(5, CONN.number_of_regions))
    G[2, 7] = np.nan                                       # non-finite entries count as zero, as in TVB
    labels = ["a", "b", "c", "d", "e"]
    period = 1.0                                           # 16 steps of 0.0625: int and round agree
    x0 = initial_state("Generic2dOscillator", 4)
    mons = [bs.monitors.TemporalAverage(period=period), MEG(gain=G, sensor_labels=labels, period=period),
            EEG(gain=G, sensor_labels=labels, period=period, reference="average"),
            EEG(gain=G, sensor_labels=labels, period=period, reference="d")]
    ds = _make_ours(x0, mons).run(50.0)
    ta = ds["temporal_average"].values                    # (time, variable, region)
    G0 = np.where(np.isfinite(G), G, 0.0)
    direct = np.einsum("sr,tvr->tvs", G0, ta)
    meg = ds["meg"].values
    np.testing.assert_allclose(meg, direct, rtol=1e-12, atol=1e-12 * np.abs(direct).max())
    np.testing.assert_array_equal(ds["time_meg"].values, ds["time_temporal_average"].values)
    np.testing.assert_allclose(ds["eeg"].values, direct - direct.mean(axis=-1, keepdims=True),
                               rtol=1e-12, atol=1e-12 * np.abs(direct).max())
    np.testing.assert_allclose(ds["eeg_1"].values, direct - direct[..., 3:4], rtol=1e-12,
                               atol=1e-12 * np.abs(direct).max())
    assert list(ds["meg_sensor"].values) == labels == list(ds["eeg_sensor"].values)
    np.testing.assert_array_equal(MEG(gain=G).region_gain(CONN), G0)
    assert list(MEG(gain=G).sensor_labels) == ["0", "1", "2", "3", "4"]


def test_period_truncates_like_tvb():
    mon = EEG(gain=np.ones((2, 76)))
    assert mon.istep(0.0625) == 15 and bs.monitors.TemporalAverage().istep(0.0625) == 16
    assert mon.istep(0.1) == 9
    np.testing.assert_allclose(mon.step_times(np.array([15, 30]), 0.0625), [7.5 * 0.0625, 22.5 * 0.0625])


def test_float32_and_batch():
    rng = np.random.default_rng(1)
    G = rng.normal(size=(3, CONN.number_of_regions))
    x0 = initial_state("Generic2dOscillator", 5)
    mons = [bs.monitors.TemporalAverage(period=1.0), EEG(gain=G, period=1.0, reference="average")]
    ds = _make_ours(x0, mons).run(20.0, batch={"coupling.a": [0.0, COUPLING_A]})
    ta = ds["temporal_average"].values                    # (batch, time, variable, region)
    direct = np.einsum("sr,btvr->btvs", G, ta)
    np.testing.assert_allclose(ds["eeg"].values, direct - direct.mean(-1, keepdims=True), rtol=1e-10,
                               atol=1e-12 * np.abs(direct).max())
    ds32 = _make_ours(x0, [EEG(gain=G, period=1.0)], dtype="float32").run(20.0)
    assert ds32["eeg"].dtype == np.float32 and ds32["eeg"].shape == (20, 2, 3)


# ------------------------------------------------------------------------------------------------ chunking
def test_chunked_runs_equal_one_long_run():
    x0 = initial_state("Generic2dOscillator", 2)

    def make():
        return _make_ours(x0, [EEG.from_tvb_data(reference="average"), MEG.from_tvb_data()])

    one = make().run(LENGTH)
    small = make().run(LENGTH, chunk_steps=37)
    sim = make()
    parts = [sim.run(40.0), sim.run(60.0)]
    for name in ("eeg", "meg"):
        np.testing.assert_array_equal(one[name].values, small[name].values)
        np.testing.assert_array_equal(one[name].values, np.concatenate([p[name].values for p in parts]))
        tdim = f"time_{name}"
        np.testing.assert_array_equal(one[tdim].values, np.concatenate([p[tdim].values for p in parts]))


# ------------------------------------------------------------------------------------------------ errors
def test_bad_inputs_name_the_field():
    x0 = initial_state("Generic2dOscillator", 1)
    with pytest.raises(ValueError, match=r"EEG\.gain has shape \(4, 68\).*76 regions"):
        _make_ours(x0, [EEG(gain=np.ones((4, 68)))]).run(5.0)
    with pytest.raises(FileNotFoundError, match=r"EEG\.sensors.*no_such_sensors\.txt.*eeg_brainstorm_65\.txt"):
        EEG.from_tvb_data(sensors="no_such_sensors.txt")
    with pytest.raises(FileNotFoundError, match=r"MEG\.projection.*nope\.npy"):
        MEG.from_tvb_data(projection="nope.npy")
    with pytest.raises(FileNotFoundError, match=r"EEG\.region_mapping.*regionMapping_16k_76"):
        EEG.from_tvb_data(region_mapping="missing.txt")
    with pytest.raises(ValueError, match=r"EEG\.region_mapping: required"):
        EEG(projection=np.ones((3, 10)))
    with pytest.raises(ValueError, match=r"EEG\.obsnoise"):
        EEG(gain=np.ones((2, 76)), obsnoise=bs.noise.Additive(nsig=1.0))
    with pytest.raises(ValueError, match=r"EEG\.reference = 'Xz'"):
        EEG.from_tvb_data(reference="Xz")
    with pytest.raises(ValueError, match=r"EEG\.sensor_labels has 3 labels for 2 sensors"):
        EEG(gain=np.ones((2, 76)), sensor_labels=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"MEG\.gain has 3 rows but sensors has 276"):
        MEG(gain=np.ones((3, 76)), sensors="meg_brainstorm_276.txt")
    with pytest.raises(ValueError, match=r"iEEG: give a gain"):
        iEEG()
    with pytest.raises(ValueError, match=r"EEG\.period"):
        _make_ours(x0, [EEG(gain=np.ones((2, 76)), period=0.05)]).run(5.0)
    # a mapping of another surface / connectome
    with pytest.raises(ValueError, match=r"EEG\.projection has 16384 columns .* region_mapping maps 100 vertices"):
        EEG(projection=np.ones((2, 16384)), region_mapping=np.arange(100) % 76).region_gain(CONN)
    with pytest.raises(ValueError, match=r"EEG\.region_mapping refers to region 191 .* 76 regions"):
        EEG.from_tvb_data(region_mapping="regionMapping_16k_192.txt").region_gain(CONN)


def test_sensors_from_arrays_and_files(tmp_path):
    s = Sensors.from_file("meg_brainstorm_276.txt", orientations=True)
    assert s.number_of_sensors == 276 and s.orientations.shape == (276, 3)
    path = tmp_path / "three.txt"
    path.write_text("A 1 0 0\nB 0 1 0\nC 0 0 1\n")
    mon = iEEG(sensors=str(path), gain=np.ones((3, 76)))
    assert list(mon.sensor_labels) == ["A", "B", "C"]
    own = iEEG(sensors=Sensors(["A", "B", "C"], np.eye(3) * 50.0))
    g = own.region_gain(CONN)
    assert g.shape == (3, 76) and np.isfinite(g).all()
    assert own == own.copy() and own != iEEG(sensors=Sensors(["A", "B", "C"], np.eye(3) * 60.0))

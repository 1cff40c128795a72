"""brainsweep.lab's TVB habits, each checked against tvb-library where TVB defines the answer."""
from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

from brainsweep import lab
from brainsweep.lab import connectivity, coupling, equations, integrators, models, monitors, noise, patterns
from brainsweep.lab import simulator

tvb_lab = pytest.importorskip("tvb.simulator.lab")
logging.getLogger("tvb").setLevel(logging.ERROR)
warnings.filterwarnings("ignore", module="tvb")


def test_star_import_gives_tvbs_namespace():
    ns: dict = {}
    exec("from brainsweep.lab import *", ns)
    for name in ("connectivity", "models", "coupling", "integrators", "noise", "monitors", "simulator", "patterns",
                 "equations", "sensors", "region_mapping", "time_series", "graph", "plot_matrix",
                 "plot_connectivity", "plot_tri_matrix", "plot_pattern"):
        assert name in ns, name
    import importlib

    for mod in ("models", "connectivity", "coupling", "integrators", "noise", "monitors", "simulator", "patterns",
                "equations", "sensors", "projections", "region_mapping", "time_series", "graph"):
        assert importlib.import_module(f"brainsweep.lab.{mod}") is getattr(lab, mod)


@pytest.mark.parametrize("source", ["connectivity_76.zip", "connectivity_68.zip", "connectivity_192.zip",
                                    "paupau.zip"])
def test_from_file_matches_tvb(source):
    ours = connectivity.Connectivity.from_file(source)
    ref = tvb_lab.connectivity.Connectivity.from_file(source)
    ref.configure()
    assert ours.number_of_regions == ref.number_of_regions
    np.testing.assert_array_equal(ours.weights, ref.weights)
    np.testing.assert_array_equal(ours.tract_lengths, ref.tract_lengths)
    assert list(ours.region_labels) == list(ref.region_labels)
    np.testing.assert_allclose(ours.delays, ref.delays)
    assert ours.number_of_connections == ref.number_of_connections and ours.undirected == bool(ref.undirected)


def test_transforms_and_summary_match_tvb():
    ours = connectivity.Connectivity.from_file()
    ref = tvb_lab.connectivity.Connectivity.from_file()
    ref.configure()
    ours.weights[3, 3] = ref.weights[3, 3] = 2.0            # a self-connection to remove
    for mode in ("tract", "edge", "region", "node", "none", None):
        np.testing.assert_allclose(ours.scaled_weights(mode=mode), ref.scaled_weights(mode=mode), rtol=1e-15)
    np.testing.assert_array_equal(ours.transform_binarize_matrix(), ref.transform_binarize_matrix())
    np.testing.assert_array_equal(ours.transform_remove_self_connections(), ref.transform_remove_self_connections())
    with pytest.raises(ValueError, match="mode must be one of"):
        ours.scaled_weights(mode="rows")
    summary = ours.summary_info()
    assert summary["Number of regions"] == 76 and summary["Number of connections"] == np.count_nonzero(ours.weights)
    assert summary["weights [min, median, max]"][2] == ours.weights.max()


def test_in_place_edits_copy_save_and_errors(tmp_path):
    conn = connectivity.Connectivity.from_file()
    lesioned = conn.copy()
    lesioned.weights[5, :] = 0
    lesioned.weights[:, 5] = 0
    assert lesioned.configure() is lesioned
    assert conn.weights[5].sum() > 0                        # the original is untouched
    path = lesioned.save(tmp_path / "lesioned.zip")
    back = connectivity.Connectivity.from_file(str(path))
    np.testing.assert_array_equal(back.weights, lesioned.weights)
    np.testing.assert_array_equal(back.tract_lengths, lesioned.tract_lengths)
    ref = tvb_lab.connectivity.Connectivity.from_file(str(path))   # TVB reads what we wrote
    np.testing.assert_array_equal(ref.weights, lesioned.weights)
    custom = connectivity.Connectivity(weights=np.ones((3, 3)), centres=np.eye(3) * 10)
    custom.configure()
    np.testing.assert_allclose(custom.tract_lengths[0, 1], np.sqrt(200))    # Euclidean, as TVB's compute
    bad = connectivity.Connectivity.from_file()
    bad.weights[0, 1] = np.nan
    with pytest.raises(ValueError, match="weights"):
        bad.configure()
    with pytest.raises(TypeError, match="unknown argument"):
        connectivity.Connectivity(weigths=np.ones((2, 2)))


@pytest.mark.parametrize("name", sorted(models.MODELS))
def test_model_dfun_matches_tvb(name):
    ours = models.MODELS[name]()
    tvb_cls = getattr(tvb_lab.models, name, None)
    if tvb_cls is None:
        pytest.skip(f"TVB has no {name}")
    ref = tvb_cls()
    ref.configure()
    rng = np.random.default_rng(3)
    state = np.array([rng.uniform(*ours.state_variable_range[sv], size=(76, 1)) for sv in ours.state_variables])
    c = 0.01 * rng.standard_normal((len(ours.cvar), 76, 1))
    expected = np.asarray(ref.dfun(state.copy(), c.copy()))
    got = ours.dfun(state, c)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12 * np.abs(expected).max())
    from brainsweep.engine.models import MODELS

    assert ours.configure() is ours and isinstance(ours, MODELS[name])          # the engine's own class


def test_parameters_as_arrays_and_per_region():
    model = models.ReducedWongWang()
    model.w = np.array([0.6])
    model.J_N = np.linspace(0.2, 0.3, 76)
    conn = connectivity.Connectivity.from_file()
    sim = simulator.Simulator(model=model, connectivity=conn, integrator=integrators.HeunDeterministic(dt=0.1),
                              monitors=[monitors.TemporalAverage(period=1.0)], simulation_length=20.0)
    assert sim.configure() is sim
    (t, d), = sim.run()
    assert d.shape == (20, 1, 76, 1) and t[0] == 0.5              # TemporalAverage at window midpoints
    with pytest.raises(ValueError, match="ReducedWongWang.w"):
        model.w = np.array([np.nan])


def test_nsig_per_state_variable_and_noise_seed():
    conn = connectivity.Connectivity.from_file()

    def run(nsig, seed=42):
        model = models.Generic2dOscillator(variables_of_interest=("V", "W"))
        sim = simulator.Simulator(
            model=model, connectivity=conn,
            integrator=integrators.EulerStochastic(dt=0.1, noise=noise.Additive(nsig=nsig, noise_seed=seed)),
            monitors=[monitors.Raw()], simulation_length=5.0, initial_conditions=np.full((2, 76), 0.1))
        (_, d), = sim.run()
        return d

    quiet, only_w = run(np.array([0.0, 0.0])), run(np.array([0.0, 0.01]))
    # Euler-Maruyama: after one step V has seen no noise (its nsig is 0), W has
    np.testing.assert_array_equal(only_w[0, 0], quiet[0, 0])
    assert np.all(only_w[0, 1] != quiet[0, 1])
    a, b, c = run(np.array([0.01, 0.01])), run(np.array([0.01, 0.01])), run(np.array([0.01, 0.01]), seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    with pytest.raises(ValueError, match="noise_seed"):
        noise.Additive(noise_seed=-1)


def test_equations_both_forms_and_live_parameters():
    tvb_form = equations.PulseTrain(parameters={"T": 7.69, "tau": 0.5, "amp": 1.0, "onset": 5000.0})
    seed_form = equations.PulseTrain(onset=5000.0, period=7.69, pulse_width=0.5)
    t = np.linspace(4990.0, 5100.0, 2001)
    ref = tvb_lab.equations.PulseTrain(parameters={"T": 7.69, "tau": 0.5, "amp": 1.0, "onset": 5000.0})
    np.testing.assert_array_equal(tvb_form.evaluate(t), ref.evaluate(t))
    np.testing.assert_array_equal(seed_form.evaluate(t), ref.evaluate(t))
    seed_form.parameters["onset"] = 5050.0
    ref.parameters["onset"] = 5050.0
    np.testing.assert_array_equal(seed_form.evaluate(t), ref.evaluate(t))
    with pytest.raises(ValueError, match="unknown parameter 'width'.*allowed"):
        equations.PulseTrain(width=1.0)


def test_stimulus_spatial_mask_times_weight():
    conn = connectivity.Connectivity.from_file()
    stim = patterns.StimuliRegion(temporal=equations.PulseTrain(onset=0.0, period=10.0, pulse_width=1.0),
                                  spatial=None, weight=np.array([0.5]))
    stim.connectivity = conn
    stim.spatial = np.zeros((conn.number_of_regions,))
    stim.spatial[25] = 1.0
    w = stim.to_brainsweep().weight
    assert w[25] == 0.5 and np.count_nonzero(w) == 1
    stim.spatial = None
    with pytest.raises(ValueError, match="StimuliRegion.weight has 1 value"):
        stim.to_brainsweep()


def test_eeg_defaults_from_tvb_data_and_projection_objects():
    from brainsweep.lab import projections, region_mapping, sensors

    default = monitors.EEG(period=4.0)
    explicit = monitors.EEG(period=4.0, sensors=sensors.SensorsEEG.from_file(),
                            projection=projections.ProjectionSurfaceEEG.from_file(),
                            region_mapping=region_mapping.RegionMapping.from_file())
    conn = connectivity.Connectivity.from_file().to_brainsweep()
    np.testing.assert_array_equal(default.region_gain(conn), explicit.region_gain(conn))
    assert default.sensor_labels.size == 65
    c192 = connectivity.Connectivity.from_file("connectivity_192.zip").to_brainsweep()
    assert default.for_regions(192).region_gain(c192).shape == (65, 192)
    with pytest.raises(ValueError, match="76 or 192 regions"):
        default.for_regions(68)


def test_conduction_speed_follows_tvb_and_warns():
    conn = connectivity.Connectivity.from_file()
    sim = simulator.Simulator(connectivity=conn, conduction_speed=10.0, simulation_length=2.0)
    with pytest.warns(UserWarning, match="delays use the connectivity's"):
        sim.configure()
    assert sim.to_brainsweep().connectivity.conduction_speed == 3.0


def test_time_series_and_correlation_coefficients():
    from brainsweep.lab import graph, time_series

    conn = connectivity.Connectivity.from_file()
    sim = simulator.Simulator(connectivity=conn, coupling=coupling.Linear(a=np.array([0.042])),
                              integrator=integrators.HeunDeterministic(dt=2**-4),
                              monitors=[monitors.TemporalAverage(period=1.0)], simulation_length=200.0)
    (t, d), = sim.run()
    ts = time_series.TimeSeriesRegion(data=d, time=t, connectivity=conn, sample_period=1.0)
    assert ts.configure().sample_rate == 1000.0
    fc = graph.CorrelationCoefficients.from_time_series(ts)
    assert fc.array_data.shape == (76, 76, 1, 1)
    np.testing.assert_allclose(fc.array_data[..., 0, 0], np.corrcoef(d[:, 0, :, 0].T))
    da = ts.to_xarray()
    assert da.dims == ("time", "variable", "region", "mode") and da.region.values[0] == "rA1"


def test_to_brainsweep_and_to_sweep_spec(tmp_path):
    from brainsweep.explore import load_spec

    conn = connectivity.Connectivity.from_file()
    sim = simulator.Simulator(model=models.ReducedWongWang(), connectivity=conn,
                              coupling=coupling.Linear(a=np.array([0.014])),
                              integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([0.001]))),
                              monitors=[monitors.Bold(period=2000.0)], simulation_length=60000.0)
    engine = sim.to_brainsweep()
    assert engine.model is sim.model and engine.connectivity.number_of_regions == 76
    spec = sim.to_sweep_spec(axes={"coupling.a": {"linspace": [0.001, 0.05, 20]}})
    parsed = load_spec(spec)
    assert spec["connectivity"] == {"conduction_speed": 3.0, "tvb_data": 76} and parsed.seed == 42
    assert spec["integrator"]["noise"]["nsig"] == 0.001 and parsed.monitors[0]["name"] == "Bold"
    conn.weights[0, :] = 0                                  # edited: the spec needs a file
    sim.configure()
    with pytest.raises(ValueError, match="connectivity_file"):
        sim.to_sweep_spec(axes={"coupling.a": [0.01]})
    spec = sim.to_sweep_spec(axes={"coupling.a": [0.01]}, connectivity_file=tmp_path / "edited.zip")
    assert load_spec(spec).connectivity["file"].endswith("edited.zip")


def test_unsupported_inputs_fail_early_naming_the_field():
    conn = connectivity.Connectivity.from_file()
    with pytest.raises(TypeError, match="Simulator.surface must be a brainsweep Cortex"):
        simulator.Simulator(connectivity=conn, surface=object()).configure()
    with pytest.raises(ValueError, match="Simulator.connectivity"):
        simulator.Simulator().configure()
    with pytest.raises(TypeError, match="unknown argument"):
        simulator.Simulator(connectivity=conn, integrater=None)
    with pytest.raises(ValueError, match="dfun: local_coupling"):
        models.Generic2dOscillator().dfun(np.zeros((2, 3, 1)), np.zeros((2, 3, 1)), local_coupling=0.1)


def test_plot_helpers_draw(tmp_path):
    conn = connectivity.Connectivity.from_file()
    figs = [lab.plot_connectivity(conn), lab.plot_matrix(conn.weights, connectivity=conn),
            lab.plot_tri_matrix(np.corrcoef(np.random.default_rng(0).standard_normal((76, 50)))),
            lab.plot_pattern(patterns.StimuliRegion(temporal=equations.PulseTrain(), weight=np.ones(76),
                                                    connectivity=conn)),
            lab.plot_3d_centres(conn.centres), lab.hinton_diagram(conn.weights[:10, :10], "h")]
    for k, fig in enumerate(figs):
        fig.savefig(tmp_path / f"{k}.png", dpi=50)
        assert (tmp_path / f"{k}.png").stat().st_size > 2000


def test_port_rewrites_only_import_lines(tmp_path, capsys):
    from brainsweep.cli import main
    from brainsweep.lab import port_source

    script = tmp_path / "tvb_script.py"
    script.write_text("from tvb.simulator.lab import *\nfrom tvb.datatypes import connectivity\n"
                      "import tvb.simulator.models as m\nlabel = 'tvb.simulator.lab'  # tvb.datatypes\n")
    assert main(["port", str(script), "-o", str(tmp_path / "ported.py")]) == 0
    assert (tmp_path / "ported.py").read_text() == (
        "from brainsweep.lab import *\nfrom brainsweep.lab import connectivity\n"
        "import brainsweep.lab.models as m\nlabel = 'tvb.simulator.lab'  # tvb.datatypes\n")
    assert "3 import line(s) rewritten" in capsys.readouterr().err
    assert port_source("from tvb.simulator.models import JansenRit") == "from brainsweep.lab.models import JansenRit"

"""Features stored by a sweep are those of the point simulated on its own with its seed."""
import numpy as np
import pytest

from brainsweep.explore import build, parse_spec, point_seed, sweep

RAW = {
    "name": "series",
    "connectivity": {"tvb_data": 76},
    "model": {"name": "Generic2dOscillator"},
    "coupling": {"name": "Linear"},
    "integrator": {"name": "HeunStochastic", "dt": 0.1, "noise": {"nsig": 1.0e-3}},
    "monitors": [{"name": "TemporalAverage", "period": 1.0}, {"name": "Bold", "period": 500}],
    "features": [{"name": "timeseries", "monitor": "temporal_average", "every": 10},
                 {"name": "timeseries", "monitor": "bold"},
                 {"name": "extrema", "monitor": "temporal_average"}],
    "length": 3000.0,
    "transient": 1000.0,
    "seed": 3,
    "axes": {"coupling.a": [0.0, 0.02]},
}


@pytest.mark.cluster
def test_stored_series_and_extrema_equal_the_point_simulated_alone(tmp_path):
    ds = sweep(RAW, tmp_path / "s.zarr", n_workers=1).load()
    spec = parse_spec(RAW)
    assert ds.temporal_average_series.sizes["time_temporal_average"] == 200
    assert ds.bold_series.sizes["time_bold"] == 5
    for a in (0.0, 0.02):
        sim = build.build_simulator(spec, build.build_connectivity(spec))
        alone = sim.run(spec.length, batch={"coupling.a": np.array([a])},
                        seeds=[point_seed(spec.seed, {"coupling.a": a}, 0)])
        ta = alone.temporal_average.isel(batch=0)
        kept = ta.where(ta.time_temporal_average >= spec.transient, drop=True)
        point = ds.sel({"coupling.a": a})
        np.testing.assert_array_equal(point.temporal_average_series.values, kept.values[::10])
        np.testing.assert_array_equal(point["max"].values, kept.max("time_temporal_average").values)
        bold = alone.bold.isel(batch=0)
        np.testing.assert_array_equal(point.bold_series.values, bold.where(bold.time_bold >= 1000, drop=True).values)


def test_every_is_only_for_timeseries():
    from brainsweep.explore import SpecError

    raw = dict(RAW, features=[{"name": "mean", "monitor": "temporal_average", "every": 2}])
    with pytest.raises(SpecError, match="every only applies to timeseries"):
        parse_spec(raw)


FC = {
    "name": "fc-routing",
    "connectivity": {"dataset": "hcp80", "conduction_speed": 10.0},
    "model": {"name": "ReducedWongWang", "initial_state": {"S": 0.1}},
    "coupling": {"name": "Linear"},
    "integrator": {"name": "HeunStochastic", "dt": 1.0, "noise": {"nsig": 1.0e-3}},
    "monitors": [{"name": "BalloonWindkessel", "period": 100.0}, {"name": "TemporalAverage", "period": 10.0}],
    "features": [{"name": "fc_fit", "monitor": "balloon_windkessel", "empirical": "hcp80"},
                 {"name": "fc", "monitor": "temporal_average"},
                 {"name": "fc_rmse", "monitor": "temporal_average", "empirical": "hcp80",
                  "exclude_interhemispheric": True},
                 {"name": "fcd_ks", "monitor": "temporal_average", "empirical": "hcp80", "window": 200.0,
                  "step": 100.0},
                 {"name": "mean", "monitor": "temporal_average"}],
    "length": 1500.0,
    "transient": 500.0,
    "seed": 3,
    "axes": {"coupling.a": [0.1, 0.3]},
}


def test_fc_features_left_to_the_engine_equal_those_measured_from_the_series():
    """What a GPU worker does (``run_summaries``: the engine computes the FC and FCD features, the series it no longer
    needs stay on the device), here with the CPU engine's summaries: the same stored numbers as measuring the
    recorded series."""
    from types import SimpleNamespace

    from brainsweep.explore import measure

    spec = parse_spec(FC)
    sim = build.build_simulator(spec, build.build_connectivity(spec))
    outputs = measure.output_specs(spec, sim)
    run = dict(batch=build.batch_values(sim, [{"coupling.a": 0.1}, {"coupling.a": 0.3}]), seeds=[5, 6])
    assert measure.run_summaries(spec, sim) == []                    # the CPU keeps measuring the series
    summaries = measure.run_summaries(spec, SimpleNamespace(backend="cuda", connectivity=sim.connectivity))
    assert [s.name for s in summaries] == ["feature0", "feature1", "feature2", "feature3"]
    assert [s.keep_series for s in summaries] == [False, True, True, True]   # `mean` still reads temporal_average
    assert [type(s).__name__ for s in summaries] == ["FCSummary"] * 3 + ["FCDSummary"]
    assert summaries[3].entries == "full" and (summaries[3].window, summaries[3].step) == (200.0, 100.0)
    plain = sim.run(spec.length, **run)
    sim.reset()
    summarised = sim.run(spec.length, **run, summaries=summaries)
    assert "balloon_windkessel" not in summarised and "temporal_average" in summarised
    expected = measure.compute(spec, sim, plain, outputs)
    got = measure.compute(spec, sim, summarised, outputs)
    assert expected.keys() == got.keys() == {"fc_fit", "fc", "fc_rmse", "fcd_ks", "mean"}
    assert "feature3_ks" in summarised
    for name in expected:
        assert got[name].shape == expected[name].shape
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    assert np.isfinite(got["fc_fit"]).all() and np.isfinite(got["fc_rmse"]).all() and np.isfinite(got["fcd_ks"]).all()

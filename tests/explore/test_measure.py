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

"""A sweep over a surface model: region means stored, never the 16,384 vertices unless asked."""
from __future__ import annotations

import numpy as np
import pytest

import brainsweep.engine as bs
from brainsweep.explore import build, load_spec, sweep
from brainsweep.explore.spec import SpecError

SPEC = {
    "name": "surface-sweep",
    "connectivity": {"tvb_data": 76},
    "surface": {"tvb_data": 76},
    "model": {"name": "Generic2dOscillator", "initial_state": {"V": 0.5, "W": -0.5}},
    "coupling": {"name": "Linear"},
    "integrator": {"name": "HeunDeterministic", "dt": 0.125},
    "monitors": [{"name": "SpatialAverage", "period": 1.0}],
    "features": [{"name": "mean", "monitor": "spatial_average"}, {"name": "std", "monitor": "spatial_average"}],
    "length": 8.0,
    "axes": {"coupling.a": [0.0, 0.2], "model.a": [-2.0, -1.5]},
    "batch_size": 2,
}


def test_surface_sweep_stores_region_features_equal_to_direct_simulations(tmp_path):
    spec = load_spec(SPEC)
    ds = sweep(spec, tmp_path / "surface.zarr", n_workers=1).load()
    means = ds["mean"]
    assert set(means.dims) >= {"coupling.a", "model.a", "region"} and means.sizes["region"] == 76
    assert not any(dim in ds.dims for dim in ("node", "vertex"))
    sim = build.build_simulator(spec, build.base_connectivity(spec))
    assert sim.surface is not None and sim.surface.number_of_vertices == 16384
    for a, ma in ((0.0, -2.0), (0.2, -1.5)):
        sim.coupling.a = a
        sim.model.a = ma
        sim.reset()
        direct = sim.run(8.0).spatial_average.isel(variable=0)
        np.testing.assert_allclose(means.sel({"coupling.a": a, "model.a": ma}).squeeze().values,
                                   direct.mean("time_spatial_average" if "time_spatial_average" in direct.dims
                                               else "time").values, rtol=1e-10)
    assert float(np.abs(means.sel({"coupling.a": 0.0}) - means.sel({"coupling.a": 0.2})).max()) > 1e-6


@pytest.mark.parametrize("changes, message", [
    ({"monitors": [{"name": "TemporalAverage", "period": 1.0}]}, "would record every vertex"),
    ({"surface": {"tvb_data": 68}}, "surface.tvb_data must be 76 or 192"),
    ({"connectivity": {"tvb_data": 192}}, "set connectivity: {tvb_data: 76}"),
])
def test_surface_specs_refuse_what_cannot_or_should_not_run(changes, message):
    with pytest.raises(SpecError, match=message.replace("{", r"\{").replace("}", r"\}")):
        load_spec({**SPEC, **changes})
    stored = load_spec({**SPEC, "surface": {"tvb_data": 76, "store_vertices": True},
                        "monitors": [{"name": "TemporalAverage", "period": 1.0}], "features": []})
    assert stored.surface["store_vertices"] is True

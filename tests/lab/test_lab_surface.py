"""A TVB surface-simulation script, run as written under tvb-library and under brainsweep.lab (import lines
ported): the same numbers."""
from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

from brainsweep.lab import port_source

SCRIPT = '''
import numpy as np
from tvb.simulator.lab import *
from tvb.datatypes import cortex
conn = connectivity.Connectivity.from_file()
conn.configure()
ctx = cortex.Cortex.from_file(local_connectivity_file="local_connectivity_16384.mat")
ctx.region_mapping_data.connectivity = conn
ctx.coupling_strength = np.array([0.5])
ctx.configure()
dt = 2.0 ** -4
assert ctx.region_mapping.size == 16384
rng = np.random.default_rng(3)
x0 = np.stack([rng.uniform(-1, 1, 16384), rng.uniform(-1, 1, 16384)])
horizon = int(np.rint(conn.tract_lengths.max() / 3.0 / dt)) + 2
ic = np.repeat(x0[None, :, :, None], horizon, axis=0)
sim = simulator.Simulator(model=models.Generic2dOscillator(a=np.array([-1.8])), connectivity=conn,
                          coupling=coupling.Linear(a=np.array([0.05])),
                          integrator=integrators.HeunDeterministic(dt=dt),
                          monitors=(monitors.SpatialAverage(period=0.5),), surface=ctx,
                          initial_conditions=ic, simulation_length=6.0)
sim.configure()
(time, data), = sim.run()
'''


def run(source: str) -> tuple[np.ndarray, np.ndarray]:
    ns: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(source, "<script>", "exec"), ns)
    return ns["time"], ns["data"]


def test_tvb_surface_script_ports_and_matches_tvb():
    pytest.importorskip("tvb.simulator")
    logging.getLogger("tvb").setLevel(logging.ERROR)
    t_tvb, tvb = run(SCRIPT)
    t_bs, ours = run(port_source(SCRIPT))
    np.testing.assert_allclose(t_bs, t_tvb)
    assert ours.shape == tvb.shape == (12, 1, 76, 1)
    assert np.abs(tvb[-1] - tvb[0]).max() > 0.05
    assert np.abs(ours - tvb).max() <= 1e-6 * np.abs(tvb).max()

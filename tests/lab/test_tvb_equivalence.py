"""TVB scripts give TVB's numbers on brainsweep.lab: the same source run by tvb-library and, with its import lines
rewritten (:func:`brainsweep.lab.port_source`), by brainsweep, in the same test.

The scripts are deterministic and written as TVB users write them: in-place edits of ``conn.weights`` followed
by ``configure()``, parameters assigned as numpy arrays after construction (per region too), TVB's
``parameters={...}`` equation form changed after construction, ``conduction_speed`` on the simulator, a second
``run()`` continuing the first. Both sides start from the same history ``X0`` (TVB's layout, time x state variable
x region x mode), the only name the test puts into the script's namespace.

TVB keeps its delay buffer in float32 (see ``tvb_oracle``); the agreement asked for is 1e-6 relative.
"""
from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

pytest.importorskip("tvb.simulator.lab")

from tvb_oracle import horizon, initial_state, relative_error  # noqa: E402

from brainsweep.lab import port_source  # noqa: E402

RTOL = 1e-6

LESION_AND_CONTINUATION = """
from tvb.simulator.lab import *
import numpy as np

conn = connectivity.Connectivity.from_file()
conn.speed = np.array([4.0])
conn.weights[10, :] = 0
conn.weights[:, 10] = 0
conn.configure()

model = models.Generic2dOscillator()
model.a = np.linspace(-0.5, 0.5, conn.number_of_regions)      # one value per region
model.tau = np.array([1.5])

sim = simulator.Simulator(
    model=model,
    connectivity=conn,
    coupling=coupling.Linear(a=np.array([0.042])),
    integrator=integrators.HeunDeterministic(dt=2**-4),
    monitors=[monitors.TemporalAverage(period=2.0), monitors.Raw()],
    initial_conditions=X0,
    conduction_speed=4.0,
    simulation_length=40.0,
)
sim.configure()
first = sim.run()
second = sim.run(simulation_length=30.0)      # continues where the first stopped
"""

STIMULUS = """
from tvb.simulator.lab import *
import numpy as np

conn = connectivity.Connectivity.from_file()
conn.configure()
weights = np.zeros(conn.number_of_regions)
weights[[10, 25]] = 0.5
stimulus = patterns.StimuliRegion(
    temporal=equations.PulseTrain(parameters={"T": 20.0, "tau": 2.0, "amp": 1.0, "onset": 30.0}),
    connectivity=conn,
    weight=weights,
)
stimulus.temporal.parameters["onset"] = 5.0      # changed after construction

sim = simulator.Simulator(
    model=models.ReducedWongWang(),
    connectivity=conn,
    coupling=coupling.Linear(a=np.array([0.014])),
    integrator=integrators.HeunDeterministic(dt=0.1),
    monitors=[monitors.TemporalAverage(period=1.0)],
    stimulus=stimulus,
    initial_conditions=X0,
    simulation_length=100.0,
)
sim.configure()
first = sim.run()
second = []
"""

JANSEN_RIT = """
from tvb.simulator.lab import *
import numpy as np

conn = connectivity.Connectivity.from_file()
jr = models.JansenRit()
jr.mu = np.array([0.22])
jr.variables_of_interest = ["y0", "y1", "y2", "y3"]
sim = simulator.Simulator(
    model=jr,
    connectivity=conn,
    coupling=coupling.SigmoidalJansenRit(a=np.array([10.0])),
    integrator=integrators.HeunDeterministic(dt=2**-4),
    monitors=[monitors.SubSample(period=1.0), monitors.TemporalAverage(period=4.0)],
    initial_conditions=X0,
    simulation_length=60.0,
)
sim.configure()
first = sim.run()
second = []
"""

CASES = {"lesion-and-continuation": (LESION_AND_CONTINUATION, "Generic2dOscillator", 2**-4, 4.0),
         "stimulus": (STIMULUS, "ReducedWongWang", 0.1, 3.0),
         "jansen-rit": (JANSEN_RIT, "JansenRit", 2**-4, 3.0)}


def run_script(source: str, x0: np.ndarray) -> dict:
    ns = {"__name__": "__script__", "X0": x0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(source, "<script>", "exec"), ns)
    return ns


@pytest.mark.parametrize("case", list(CASES))
def test_script_gives_tvbs_numbers(case):
    source, model, dt, speed = CASES[case]
    logging.getLogger("tvb").setLevel(logging.ERROR)
    x0 = initial_state(model, seed=11)[None, :, :, None].repeat(horizon(dt, speed), axis=0)
    ref = run_script(source, x0)
    ported = port_source(source)
    assert ported != source and "tvb" not in ported
    ours = run_script(ported, x0)
    assert type(ours["sim"]).__module__.startswith("brainsweep.lab")
    for part in ("first", "second"):
        assert len(ours[part]) == len(ref[part])
        for k, ((t, d), (t_ref, d_ref)) in enumerate(zip(ours[part], ref[part])):
            assert d.shape == d_ref.shape, (case, part, k)
            np.testing.assert_allclose(t, t_ref, rtol=0, atol=1e-9)
            assert np.all(np.isfinite(d_ref))
            for v in range(d.shape[1]):
                err = relative_error(d[:, v], d_ref[:, v])
                assert err < RTOL, f"{case} {part} monitor {k} variable {v}: {err:.2e} relative to TVB"

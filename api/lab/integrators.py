"""TVB's ``tvb.simulator.integrators``: the engine's integrators (TVB's names, ``dt`` in ms, ``noise``)."""
from brainsweep.engine.integrators import *  # noqa: F401,F403
from brainsweep.engine.integrators import __all__  # noqa: F401

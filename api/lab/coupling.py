"""TVB's ``tvb.simulator.coupling``: the engine's couplings (TVB's names, parameters and defaults)."""
from brainsweep.engine.coupling import *  # noqa: F401,F403
from brainsweep.engine.coupling import __all__  # noqa: F401

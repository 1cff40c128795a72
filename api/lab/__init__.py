"""TVB's scripting namespace on brainsweep: port a TVB script by changing its import lines.

Replace ``tvb.simulator.lab``, ``tvb.simulator`` and ``tvb.datatypes`` with ``brainsweep.lab``::

    from brainsweep.lab import *                       # was: from tvb.simulator.lab import *
    from brainsweep.lab.models import WilsonCowan      # was: from tvb.simulator.models import WilsonCowan
    from brainsweep.lab import connectivity            # was: from tvb.datatypes import connectivity

and the rest of the script runs unchanged on brainsweep's compiled kernel: ``connectivity``, ``cortex`` (surface simulations), ``models``,
``coupling``, ``integrators``, ``noise``, ``monitors``, ``simulator``, ``patterns``, ``equations``, ``sensors``,
``projections``, ``region_mapping``, ``time_series``, ``graph`` and TVB's ``plot_*`` helpers. Everything here is a
thin translation onto brainsweep's own API (:mod:`brainsweep.engine`): the models, couplings, integrators and
monitors *are* the engine's, and ``sim.to_brainsweep()`` / ``sim.to_sweep_spec(axes=...)`` hand a configured
simulation to batches, sweeps and studies.
"""
import os as _os
import sys as _sys

if _sys.platform.startswith("linux") and "DISPLAY" not in _os.environ and "MPLBACKEND" not in _os.environ:
    try:                                     # as TVB's lab: scripts save figures on headless machines
        import matplotlib as _mpl

        _mpl.use("Agg")
    except Exception:  # noqa: BLE001 - matplotlib is optional for simulations
        pass

from . import (connectivity, cortex, coupling, equations, graph, integrators, local_connectivity,  # noqa: E402
               models, monitors, noise, patterns, projections, region_mapping, sensors, simulator, time_series)
from .porting import port_source  # noqa: E402
from .plot import (hinton_diagram, plot_3d_centres, plot_connectivity, plot_matrix, plot_pattern,  # noqa: E402
                   plot_tri_matrix)

__all__ = ["connectivity", "cortex", "local_connectivity", "coupling", "equations", "graph", "integrators", "models", "monitors", "noise", "patterns",
           "projections", "region_mapping", "sensors", "simulator", "time_series", "hinton_diagram",
           "plot_3d_centres", "plot_connectivity", "plot_matrix", "plot_pattern", "plot_tri_matrix"]

"""The simulation engine: connectome, models, couplings, integrators, noise, monitors and the kernel.

The engine does no I/O beyond reading connectome files and knows nothing of Dask. Entry point:
:class:`Simulator`. Component families are modules named as in TVB (``models``, ``coupling``,
``integrators``, ``noise``, ``monitors``) because some class names repeat across them (``models.Linear``
and ``coupling.Linear``, as in TVB).
"""
from . import _numba_support  # noqa: F401  (numba settings must precede any compilation)
from . import coupling, equations, integrators, models, monitors, noise, stimuli, surface, synthetic
from .component import Component, Parameter
from .connectivity import Connectivity
from .coupling import Coupling
from .expressions import ExpressionError
from .integrators import (EulerDeterministic, EulerStochastic, HeunDeterministic, HeunStochastic, Integrator,
                          RungeKutta4thOrderDeterministic)
from .model import Model
from .models import (Epileptor, Generic2dOscillator, JansenRit, Kuramoto, MontbrioPazoRoxin, ReducedWongWang,
                     ReducedWongWangExcInh, SupHopf, WilsonCowan)
from .monitors import (BalloonWindkessel, Bold, Monitor, PoissonSpikes, Raw, SpatialAverage, SubSample,
                       TemporalAverage)
from .noise import Additive, Multiplicative, Noise
from .simulator import Simulator
from .summaries import FCDSummary, FCSummary
from .surface import Cortex, LocalConnectivity

__all__ = [
    "Simulator", "FCSummary", "FCDSummary", "Connectivity", "Cortex", "LocalConnectivity", "SpatialAverage", "surface", "Model", "Parameter", "Component", "Coupling", "Integrator",
    "Noise", "Monitor", "ExpressionError",
    "models", "coupling", "integrators", "noise", "monitors", "equations", "stimuli", "synthetic",
    "Generic2dOscillator", "Kuramoto", "SupHopf", "ReducedWongWang", "ReducedWongWangExcInh", "JansenRit",
    "WilsonCowan", "MontbrioPazoRoxin", "Epileptor",
    "EulerDeterministic", "HeunDeterministic", "RungeKutta4thOrderDeterministic", "EulerStochastic",
    "HeunStochastic", "Additive", "Multiplicative", "Raw", "SubSample", "TemporalAverage", "Bold",
    "BalloonWindkessel", "PoissonSpikes",
]

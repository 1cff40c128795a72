"""Neural mass models: TVB 2.10's region models, same names, parameters, defaults and equations."""
from __future__ import annotations

from .epileptor import Epileptor
from .jansen_rit import JansenRit
from .linear import Linear
from .montbrio import MontbrioPazoRoxin
from .oscillator import Generic2dOscillator, Kuramoto, SupHopf
from .wilson_cowan import WilsonCowan
from .wong_wang import ReducedWongWang, ReducedWongWangExcInh

#: Every built-in model class, by (TVB) class name.
MODELS = {cls.__name__: cls for cls in (
    Generic2dOscillator, Kuramoto, SupHopf, ReducedWongWang, ReducedWongWangExcInh, JansenRit, WilsonCowan,
    MontbrioPazoRoxin, Epileptor, Linear)}

__all__ = ["Generic2dOscillator", "Kuramoto", "SupHopf", "ReducedWongWang", "ReducedWongWangExcInh", "JansenRit",
           "WilsonCowan", "MontbrioPazoRoxin", "Epileptor", "Linear", "MODELS"]

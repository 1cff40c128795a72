"""TVB's ``tvb.datatypes.equations`` for scripts: equations holding a live ``parameters`` dict.

In TVB an equation keeps its values in ``eq.parameters`` (a dict a script may change after construction:
``eq.parameters["onset"] = 500.0``). These classes keep that dict and build the engine's equation of the same
name (:mod:`brainsweep.engine.equations`, which does the arithmetic) from its current values each time they
are used. Both TVB's form, ``PulseTrain(parameters={"T": 7.69, "tau": 0.5, "amp": 1.0, "onset": 5000.0})``, and
keywords work; ``PulseTrain`` and ``SinglePulse`` also take the descriptive keywords ``period`` (= ``T``),
``pulse_width`` (= ``tau``) and ``amplitude`` (= ``amp``). Times are in ms.
"""
from __future__ import annotations

import numpy as np

from brainsweep.engine import equations as _engine_eq


class Equation:
    """A TVB-style equation: ``parameters`` dict, ``evaluate(t)``, ``to_brainsweep()``."""

    engine_class: type[_engine_eq.Equation] | None = None
    aliases: dict[str, str] = {}

    def __init__(self, parameters: dict | None = None, **keywords):
        allowed = list(self.engine_class._parameters)
        self.parameters = {name: p.default for name, p in self.engine_class._parameters.items()}
        for key, value in {**(parameters or {}), **keywords}.items():
            key = self.aliases.get(key, key)
            if key not in allowed:
                extra = f" (or {', '.join(self.aliases)})" if self.aliases else ""
                raise ValueError(f"{type(self).__name__}: unknown parameter {key!r}; allowed: {allowed}{extra}")
            self.parameters[key] = value
        self.to_brainsweep()                      # check the values now, naming the parameter

    def to_brainsweep(self) -> _engine_eq.Equation:
        """The engine equation with the current ``parameters`` (raises ``ValueError`` naming a bad one)."""
        unknown = set(self.parameters) - set(self.engine_class._parameters)
        if unknown:
            raise ValueError(f"{type(self).__name__}.parameters: unknown {sorted(unknown)}; allowed: "
                             f"{list(self.engine_class._parameters)}")
        return self.engine_class(**self.parameters)

    def evaluate(self, var) -> np.ndarray:
        """The equation at ``var`` (time in ms)."""
        return self.to_brainsweep().evaluate(np.asarray(var, dtype=float))

    def configure(self):
        return self

    def __repr__(self):
        return f"{type(self).__name__}(parameters={self.parameters!r})"


def _tvb(engine_cls, aliases=None):
    return type(engine_cls.__name__, (Equation,), {"engine_class": engine_cls, "aliases": dict(aliases or {}),
                                                   "__doc__": engine_cls.__doc__, "__module__": __name__})


_PULSE = {"period": "T", "pulse_width": "tau", "amplitude": "amp"}
Linear = _tvb(_engine_eq.Linear)
Sinusoid = _tvb(_engine_eq.Sinusoid)
Cosine = _tvb(_engine_eq.Cosine)
Gaussian = _tvb(_engine_eq.Gaussian)
PulseTrain = _tvb(_engine_eq.PulseTrain, _PULSE)
SinglePulse = _tvb(_engine_eq.SinglePulse, _PULSE)
Alpha = _tvb(_engine_eq.Alpha)
GeneralizedSigmoid = _tvb(_engine_eq.GeneralizedSigmoid)
Step = _tvb(_engine_eq.Step)


class DiscreteEquation:
    """TVB's identity equation for region stimuli: the spatial pattern is the per-region ``weight`` itself."""

    parameters: dict = {}

    def evaluate(self, var):
        return np.asarray(var, dtype=float)

    def configure(self):
        return self


def engine_equation(eq, where: str) -> _engine_eq.Equation:
    """An engine equation from a lab or engine equation (``where`` names the field in errors)."""
    if isinstance(eq, Equation):
        return eq.to_brainsweep()
    if isinstance(eq, _engine_eq.Equation):
        return eq
    raise ValueError(f"{where} must be an equation such as equations.PulseTrain(...), got {eq!r}")


__all__ = ["Equation", "Linear", "Sinusoid", "Cosine", "Gaussian", "PulseTrain", "SinglePulse", "Alpha",
           "GeneralizedSigmoid", "Step", "DiscreteEquation", "engine_equation"]

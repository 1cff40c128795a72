"""Integration schemes (TVB's names, defaults and stage-by-stage bounding).

The scheme's arithmetic is generated into the kernel (:mod:`brainsweep.engine.codegen`); these classes
declare which scheme, the step ``dt`` in ms, and the noise of the stochastic ones. As in TVB, the coupling
is computed once per step and held over the stages, and state-variable boundaries are applied to every
intermediate and final state.
"""
from __future__ import annotations

import numpy as np

from .component import Component
from .noise import Additive, Noise

#: TVB's default step (ms): 2**-6.35..., chosen so monitors at powers of 2 from 128 to 4096 Hz are exact.
DEFAULT_DT = 0.01220703125


class Integrator(Component):
    """Base class. ``dt`` is the integration step in ms."""

    scheme: str = ""
    stochastic: bool = False

    def __init__(self, dt: float = DEFAULT_DT, **values):
        super().__init__(**values)
        self.dt = dt

    @classmethod
    def _extra_fields(cls):
        return ("dt",)

    def __setattr__(self, key, value):
        if key == "dt":
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"{type(self).__name__}.dt must be a positive number of ms, got {value!r}") from None
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"{type(self).__name__}.dt must be a positive number of ms, got {value!r}")
        super().__setattr__(key, value)


class EulerDeterministic(Integrator):
    """Forward Euler: :math:`X_{n+1} = X_n + dt\\,f(X_n)`."""

    scheme = "euler"


class HeunDeterministic(Integrator):
    """Heun (explicit trapezoidal) predictor-corrector."""

    scheme = "heun"


class RungeKutta4thOrderDeterministic(Integrator):
    """Classical fourth-order Runge-Kutta."""

    scheme = "rk4"


class IntegratorStochastic(Integrator):
    """Base class of stochastic schemes; ``noise`` is Additive(nsig=1) by default, as in TVB."""

    stochastic = True

    def __init__(self, dt: float = DEFAULT_DT, noise: Noise | None = None, **values):
        super().__init__(dt=dt, **values)
        self.noise = Additive() if noise is None else noise

    @classmethod
    def _extra_fields(cls):
        return ("dt", "noise")

    def __setattr__(self, key, value):
        if key == "noise" and not isinstance(value, Noise):
            raise ValueError(f"{type(self).__name__}.noise must be a Noise (Additive or Multiplicative), "
                             f"got {value!r}")
        super().__setattr__(key, value)


class EulerStochastic(IntegratorStochastic):
    """Euler-Maruyama: :math:`X_{n+1} = X_n + dt\\,f(X_n) + g(X_n)\\sqrt{dt}\\,\\xi`."""

    scheme = "euler"


class HeunStochastic(IntegratorStochastic):
    """Stochastic Heun: the same noise increment in the predictor and the corrector (TVB's scheme)."""

    scheme = "heun"


__all__ = ["Integrator", "IntegratorStochastic", "EulerDeterministic", "HeunDeterministic",
           "RungeKutta4thOrderDeterministic", "EulerStochastic", "HeunStochastic", "DEFAULT_DT"]

"""Temporal equations (TVB's ``tvb.datatypes.equations`` names and defaults), functions of time in ms.

They shape stimuli (:class:`brainsweep.engine.stimuli.StimuliRegion`) and time-varying parameters
(``Simulator(time_varying={"coupling.a": Sinusoid(...)})``). As in TVB, time is in the simulation's unit (ms),
so frequencies are in 1/ms (``Sinusoid(frequency=0.01)`` is 10 Hz).
"""
from __future__ import annotations

import numpy as np

from .component import Component, Parameter


class Equation(Component):
    """A function of time ``t`` (ms), evaluated on numpy arrays."""

    def evaluate(self, t: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _p(self) -> dict:
        return {k: v[0] if v.size == 1 else v for k, v in self.parameters().items()}


class Linear(Equation):
    """``a * t + b``: a ramp (or a constant, with ``a = 0``)."""

    a = Parameter(1.0, unit="1/ms")
    b = Parameter(0.0)

    def evaluate(self, t):
        p = self._p()
        return p["a"] * np.asarray(t, dtype=float) + p["b"]


class Sinusoid(Equation):
    """``amp * sin(2 pi frequency t)``."""

    amp = Parameter(1.0)
    frequency = Parameter(0.01, unit="1/ms", doc="0.01 / ms = 10 Hz.")

    def evaluate(self, t):
        p = self._p()
        return p["amp"] * np.sin(6.283185307179586 * p["frequency"] * np.asarray(t, dtype=float))


class Cosine(Equation):
    """``amp * cos(2 pi frequency t)``."""

    amp = Parameter(1.0)
    frequency = Parameter(0.01, unit="1/ms")

    def evaluate(self, t):
        p = self._p()
        return p["amp"] * np.cos(6.283185307179586 * p["frequency"] * np.asarray(t, dtype=float))


class Gaussian(Equation):
    """``amp * exp(-(t - midpoint)^2 / (2 sigma^2)) + offset``: a smooth single pulse."""

    amp = Parameter(1.0)
    sigma = Parameter(1.0, unit="ms")
    midpoint = Parameter(0.0, unit="ms")
    offset = Parameter(0.0)

    def evaluate(self, t):
        p = self._p()
        t = np.asarray(t, dtype=float)
        return p["amp"] * np.exp(-((t - p["midpoint"]) ** 2 / (2.0 * p["sigma"] ** 2))) + p["offset"]


class DoubleGaussian(Equation):
    """A Mexican hat: ``amp_1 exp(-(x - midpoint_1)^2 / (2 sigma_1^2)) - amp_2 exp(-(x - midpoint_2)^2 /
    (2 sigma_2^2))`` (TVB's ``DoubleGaussian``, a local-connectivity kernel of distance in mm)."""

    amp_1 = Parameter(0.5)
    sigma_1 = Parameter(20.0, unit="mm")
    midpoint_1 = Parameter(0.0, unit="mm")
    amp_2 = Parameter(1.0)
    sigma_2 = Parameter(10.0, unit="mm")
    midpoint_2 = Parameter(0.0, unit="mm")

    def evaluate(self, t):
        p = self._p()
        t = np.asarray(t, dtype=float)
        return (p["amp_1"] * np.exp(-((t - p["midpoint_1"]) ** 2 / (2.0 * p["sigma_1"] ** 2)))
                - p["amp_2"] * np.exp(-((t - p["midpoint_2"]) ** 2 / (2.0 * p["sigma_2"] ** 2))))


class PulseTrain(Equation):
    """Rectangular pulses of width ``tau`` every ``T`` ms after ``onset`` (TVB's ``PulseTrain``; DBS at
    130 Hz: ``T = 1000 / 130``)."""

    T = Parameter(42.0, unit="ms", doc="Period.")
    tau = Parameter(13.0, unit="ms", doc="Pulse width.")
    amp = Parameter(1.0)
    onset = Parameter(30.0, unit="ms")

    def evaluate(self, t):
        p = self._p()
        t = np.asarray(t, dtype=float)
        return np.where((t > p["onset"]) & (((t - p["onset"]) % p["T"]) < p["tau"]), p["amp"], 0.0)


class SinglePulse(Equation):
    """One rectangular pulse of width ``tau`` starting after ``onset`` (a TMS-like pulse)."""

    tau = Parameter(1.0, unit="ms", doc="Pulse width.")
    amp = Parameter(1.0)
    onset = Parameter(100.0, unit="ms")

    def evaluate(self, t):
        p = self._p()
        t = np.asarray(t, dtype=float)
        return np.where((t > p["onset"]) & (t - p["onset"] < p["tau"]), p["amp"], 0.0)


class Alpha(Equation):
    """Difference of exponentials after ``onset`` (TVB's ``Alpha``)."""

    onset = Parameter(0.5, unit="ms")
    alpha = Parameter(13.0, unit="1/ms")
    beta = Parameter(42.0, unit="1/ms")

    def evaluate(self, t):
        p = self._p()
        t = np.asarray(t, dtype=float) - p["onset"]
        with np.errstate(over="ignore"):
            v = (p["alpha"] * p["beta"]) / (p["beta"] - p["alpha"]) * (np.exp(-p["alpha"] * t) - np.exp(-p["beta"] * t))
        return np.where(t > 0, v, 0.0)


class GeneralizedSigmoid(Equation):
    """A smooth step from ``low`` to ``high`` around ``midpoint`` (TVB's ``GeneralizedSigmoid``)."""

    low = Parameter(0.0)
    high = Parameter(1.0)
    midpoint = Parameter(1.0, unit="ms")
    sigma = Parameter(0.3, unit="ms")

    def evaluate(self, t):
        p = self._p()
        t = np.asarray(t, dtype=float)
        return p["low"] + (p["high"] - p["low"]) / (1.0 + np.exp(-1.8137993642342178 * (t - p["midpoint"]) / p["sigma"]))


class Step(Equation):
    """``low`` before ``onset``, ``high`` from ``onset`` on (a sharp step)."""

    low = Parameter(0.0)
    high = Parameter(1.0)
    onset = Parameter(0.0, unit="ms")

    def evaluate(self, t):
        p = self._p()
        return np.where(np.asarray(t, dtype=float) >= p["onset"], p["high"], p["low"])


class Offset(Equation):
    """``base + equation(t)``: e.g. a coupling modulated around a mean, ``Offset(Sinusoid(...), base=0.02)``."""

    base = Parameter(0.0)

    def __init__(self, equation: Equation | None = None, **values):
        super().__init__(**values)
        if not isinstance(equation, Equation):
            raise ValueError(f"Offset.equation must be an Equation, got {equation!r}")
        self.equation = equation

    @classmethod
    def _extra_fields(cls):
        return ("equation",)

    def evaluate(self, t):
        return float(self.base[0]) + self.equation.evaluate(t)


__all__ = ["Equation", "Linear", "Sinusoid", "Cosine", "Gaussian", "DoubleGaussian", "PulseTrain", "SinglePulse", "Alpha",
           "GeneralizedSigmoid", "Step", "Offset"]

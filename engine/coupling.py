r"""Long-range couplings with TVB's semantics.

TVB computes, for target region :math:`i` and coupling variable :math:`x`,

.. math::  c_i = \mathrm{post}\Big(\sum_j w_{ij}\, \mathrm{pre}(x_i(t), x_j(t - \tau_{ij}))\Big).

Here a coupling declares

- ``pre(x_j, ...)`` (optional): a function of the *source* only, applied once per node and step when the new
  state is written to the delay buffer (so the buffer already holds ``pre(x_j)``). It may return several
  *channels* (Kuramoto stores ``sin`` and ``cos``); with ``arity = 2`` it takes two coupling variables
  (``x_j0, x_j1``), as ``SigmoidalJansenRit`` does with :math:`y_1 - y_2`.
- ``post(gx, ...)``: the output from the delayed weighted sums ``gx`` (``gx_0, gx_1`` for several channels),
  optionally the target's current value ``x_i`` (``x_i0, x_i1``), the target's summed weights
  ``weight_sum`` and the number of coupling variables ``n_cvar``, and any of the coupling's parameters.

Couplings whose TVB ``pre`` mixes source and target (``Difference``: :math:`x_j - x_i`, ``Kuramoto``:
:math:`\sin(x_j - x_i)`) are rewritten exactly through these pieces
(:math:`\sum_j w_{ij} x_j - x_i \sum_j w_{ij}`; :math:`\cos x_i \sum w \sin x_j - \sin x_i \sum w \cos x_j`).
Each output feeds one coupling input ``c_k`` of the model, in order.
"""
from __future__ import annotations

import re
from typing import ClassVar

from .component import Component, Parameter
from .expressions import ScalarFunction
from .fastmath import cos, exp, sin, tanh

_SPECIAL_POST = re.compile(r"^(gx(_\d+)?|x_i\d*|weight_sum|n_cvar)$")


class Coupling(Component):
    """Base class of long-range couplings (TVB's ``Coupling``)."""

    #: Coupling variables consumed per output (TVB's SigmoidalJansenRit reads two).
    arity: ClassVar[int] = 1
    #: Buffer channels per output (what ``pre`` returns).
    n_channels: ClassVar[int] = 1

    _pre: ClassVar[ScalarFunction | None] = None
    _post: ClassVar[ScalarFunction | None] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        name = cls.__name__
        if "pre" in vars(cls) and cls.__dict__["pre"] is not None:
            fn = ScalarFunction.from_function(cls.__dict__["pre"], "coupling_pre", f"{name}.pre",
                                              parameters=cls._parameters)
            xs = ("x_j",) if cls.arity == 1 else tuple(f"x_j{k}" for k in range(cls.arity))
            if fn.args[:cls.arity] != xs:
                raise TypeError(f"{name}.pre must take {xs} first, got {fn.args}")
            bad = [a for a in fn.args[cls.arity:] if a not in cls._parameters]
            if bad:
                raise TypeError(f"{name}.pre arguments {bad} are not parameters of {name}")
            if fn.n_returns != cls.n_channels:
                raise TypeError(f"{name}.pre returns {fn.n_returns} value(s); n_channels is {cls.n_channels}")
            cls._pre = fn
        if "post" in vars(cls):
            fn = ScalarFunction.from_function(cls.__dict__["post"], "coupling_post", f"{name}.post",
                                              parameters=cls._parameters)
            gx = ("gx",) if cls.n_channels == 1 else tuple(f"gx_{k}" for k in range(cls.n_channels))
            for arg in fn.args:
                if not (_SPECIAL_POST.match(arg) or arg in cls._parameters):
                    raise TypeError(f"{name}.post argument {arg!r} is not one of gx/gx_k, x_i/x_ik, weight_sum, "
                                    f"n_cvar or a parameter of {name}")
            if not all(g in fn.args for g in gx):
                raise TypeError(f"{name}.post must take the sums {gx}")
            if fn.n_returns != 1:
                raise TypeError(f"{name}.post must return one value")
            cls._post = fn

    @classmethod
    def pre_function(cls) -> ScalarFunction | None:
        return cls._pre

    @classmethod
    def post_function(cls) -> ScalarFunction:
        if cls._post is None:
            raise TypeError(f"{cls.__name__} defines no post function")
        return cls._post

    def n_outputs(self, n_cvar: int) -> int:
        """Coupling inputs produced for a model with ``n_cvar`` coupling variables."""
        if n_cvar % self.arity:
            raise ValueError(f"{type(self).__name__} combines coupling variables {self.arity} at a time; the "
                             f"model has {n_cvar}")
        return n_cvar // self.arity


class Linear(Coupling):
    r"""Linear coupling :math:`a \sum_j w_{ij} x_j + b` (TVB's ``Linear``)."""

    a = Parameter(0.00390625, range=(0.0, 1.0), doc="Rescales the connection strength (global coupling).")
    b = Parameter(0.0, doc="Shifts the base of the connection strength.")

    @staticmethod
    def post(gx, a, b):
        return a * gx + b


class Scaling(Coupling):
    r"""Scaling coupling :math:`a \sum_j w_{ij} x_j` (TVB's ``Scaling``)."""

    a = Parameter(0.00390625, range=(0.0, 1.0), doc="Rescales the connection strength.")

    @staticmethod
    def post(gx, a):
        return a * gx


class Sigmoidal(Coupling):
    r"""Sigmoid of the summed input (TVB's ``Sigmoidal``):
    :math:`c_{min} + (c_{max} - c_{min}) / (1 + \exp(-a (g_x - midpoint) / \sigma))`."""

    cmin = Parameter(-1.0, range=(-1000.0, 1000.0), doc="Minimum of the sigmoid.")
    cmax = Parameter(1.0, range=(-1000.0, 1000.0), doc="Maximum of the sigmoid.")
    midpoint = Parameter(0.0, range=(-1000.0, 1000.0), doc="Midpoint of the linear portion of the sigmoid.")
    a = Parameter(1.0, range=(0.01, 1000.0), doc="Scaling of the sigmoid.")
    sigma = Parameter(230.0, range=(0.01, 1000.0), doc="Standard deviation of the sigmoid.")

    @staticmethod
    def post(gx, cmin, cmax, midpoint, a, sigma):
        return cmin + (cmax - cmin) / (1.0 + exp(-a * ((gx - midpoint) / sigma)))


class SigmoidalJansenRit(Coupling):
    r"""Jansen-Rit sigmoid of the source's :math:`y_1 - y_2`, summed and scaled (TVB's
    ``SigmoidalJansenRit``): :math:`a \sum_j w_{ij}\, [c_{min} + (c_{max}-c_{min}) / (1 + e^{r (m - (y_{1j} - y_{2j}))})]`."""

    arity = 2
    cmin = Parameter(0.0, range=(-1000.0, 1000.0), doc="Minimum of the sigmoid.")
    cmax = Parameter(2.0 * 0.0025, range=(-1000.0, 1000.0), unit="1/ms", doc="Maximum of the sigmoid.")
    midpoint = Parameter(6.0, range=(-1000.0, 1000.0), unit="mV", doc="Midpoint of the sigmoid.")
    r = Parameter(0.56, range=(0.01, 1000.0), unit="1/mV", doc="Steepness of the sigmoid.")
    a = Parameter(1.0, range=(0.01, 1000.0), doc="Scaling of the coupling term.")

    @staticmethod
    def pre(x_j0, x_j1, cmin, cmax, midpoint, r):
        return cmin + (cmax - cmin) / (1.0 + exp(r * (midpoint - (x_j0 - x_j1))))

    @staticmethod
    def post(gx, a):
        return a * gx


class HyperbolicTangent(Coupling):
    r"""Pre-summation hyperbolic tangent :math:`a (1 + \tanh((b x_j - midpoint)/\sigma))` (TVB's
    ``HyperbolicTangent``)."""

    a = Parameter(1.0, range=(-1000.0, 1000.0), doc="Minimum of the sigmoid function.")
    b = Parameter(1.0, range=(-1.0, 1.0), doc="Scaling factor for the variable.")
    midpoint = Parameter(0.0, range=(-1000.0, 1000.0), doc="Midpoint of the linear portion of the sigmoid.")
    sigma = Parameter(1.0, range=(0.01, 1000.0), doc="Standard deviation of the coupling.")

    @staticmethod
    def pre(x_j, a, b, midpoint, sigma):
        return a * (1.0 + tanh((b * x_j - midpoint) / sigma))

    @staticmethod
    def post(gx):
        return gx


class Difference(Coupling):
    r"""Diffusive coupling :math:`a \sum_j w_{ij} (x_j - x_i)` (TVB's ``Difference``)."""

    a = Parameter(0.1, range=(0.0, 10.0), doc="Rescales the connection strength.")

    @staticmethod
    def post(gx, x_i, weight_sum, a):
        return a * (gx - x_i * weight_sum)


class Kuramoto(Coupling):
    r"""Kuramoto coupling :math:`\frac{a}{n} \sum_j w_{ij} \sin(x_j - x_i)` (TVB's ``Kuramoto``).

    As in TVB 2.x, :math:`n` is the number of coupling variables (``gx.shape[0]`` in TVB's ``post``), not the
    number of regions: scale ``a`` by ``1/N`` yourself for the textbook normalisation.
    """

    n_channels = 2
    a = Parameter(1.0, range=(0.0, 1.0), doc="Rescales the connection strength.")

    @staticmethod
    def pre(x_j):
        return sin(x_j), cos(x_j)

    @staticmethod
    def post(gx_0, gx_1, x_i, n_cvar, a):
        return a / n_cvar * (cos(x_i) * gx_0 - sin(x_i) * gx_1)


__all__ = ["Coupling", "Linear", "Scaling", "Sigmoidal", "SigmoidalJansenRit", "HyperbolicTangent",
           "Difference", "Kuramoto"]

"""Declared parameters shared by models, couplings, noise and monitors.

A component class declares its parameters as class attributes, as TVB does with traits::

    class Linear(Coupling):
        a = Parameter(0.00390625, range=(0.0, 1.0), doc="Rescales the connection strength.")

Instances then hold one value per parameter, as a 1-D float64 array (a scalar is an array of length 1, a
per-region value an array of length N), settable as attributes (``coupling.a = np.array([0.1])``) or in
the constructor. Values are checked when set: numbers only, finite, at most one dimension.
"""
from __future__ import annotations

import copy
import json
from typing import Any, ClassVar

import numpy as np


class Parameter:
    """One declared, documented parameter.

    Parameters
    ----------
    default : float
        Default value (TVB's default for TVB's classes).
    range : (float, float), optional
        Typical range (TVB's ``domain``): documentation and sweep defaults, not enforced.
    unit : str
        Physical unit, e.g. ``"ms"``, ``"mV"``, ``"nA"``; empty for dimensionless.
    doc : str
        One-line description.
    """

    def __init__(self, default: float, *, range: tuple[float, float] | None = None, unit: str = "",
                 doc: str = ""):
        self.default = float(default)
        self.range = None if range is None else (float(range[0]), float(range[1]))
        self.unit = unit
        self.doc = doc
        self.name = "?"
        self.owner = "?"

    def __set_name__(self, owner, name):
        self.name = name
        self.owner = owner.__name__

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return obj._values[self.name]

    def __set__(self, obj, value):
        obj._values[self.name] = self.check(value)

    def check(self, value: Any) -> np.ndarray:
        """Return ``value`` as a read-only 1-D float64 array, or raise ``ValueError`` naming the parameter."""
        where = f"{self.owner}.{self.name}"
        try:
            arr = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{where} must be a number or an array of numbers, got {value!r}") from None
        if arr.ndim == 2 and 1 in arr.shape:
            arr = arr.ravel()
        if arr.ndim > 1:
            raise ValueError(f"{where} must be a scalar or a 1-D array (one value per region), "
                             f"got shape {arr.shape}")
        arr = np.atleast_1d(arr)
        if arr.size == 0:
            raise ValueError(f"{where} is empty")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{where} must be finite, got {value!r}")
        arr.setflags(write=False)
        return arr

    def describe(self) -> dict:
        return {"default": self.default, "range": self.range, "unit": self.unit, "doc": self.doc}

    def __repr__(self):
        return f"Parameter({self.default!r}, range={self.range}, unit={self.unit!r})"


class Component:
    """Base class of everything with declared parameters."""

    #: Parameters declared on the class and its bases, in declaration order.
    _parameters: ClassVar[dict[str, Parameter]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        params: dict[str, Parameter] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Parameter):
                    params[name] = value
        cls._parameters = params

    def __init__(self, **values):
        self._values: dict[str, np.ndarray] = {}
        unknown = set(values) - set(self._parameters) - set(self._extra_fields())
        if unknown:
            raise TypeError(f"{type(self).__name__} got unknown argument(s) {sorted(unknown)}; "
                            f"its parameters are {list(self._parameters)}")
        for name, param in self._parameters.items():
            setattr(self, name, values.pop(name, param.default))
        for name, value in values.items():
            setattr(self, name, value)

    @classmethod
    def _extra_fields(cls) -> tuple[str, ...]:
        """Non-parameter constructor arguments a subclass accepts."""
        return ()

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of the declared parameters (TVB's ``parameter_names``)."""
        return tuple(self._parameters)

    def parameters(self) -> dict[str, np.ndarray]:
        """Current values, by name."""
        return dict(self._values)

    def copy(self):
        """An independent copy."""
        return copy.deepcopy(self)

    def to_dict(self) -> dict:
        """JSON-friendly description: class name and parameter values (scalars as floats)."""
        out = {"class": type(self).__name__}
        for name, value in self._values.items():
            out[name] = float(value[0]) if value.size == 1 else value.tolist()
        for name in self._extra_fields():
            value = getattr(self, name)
            if isinstance(value, Component):
                out[name] = value.to_dict()
            elif isinstance(value, np.ndarray):
                out[name] = value.tolist()
            elif isinstance(value, (list, tuple)):
                out[name] = [v.to_dict() if isinstance(v, Component) else v for v in value]
            else:
                out[name] = value
        return out

    def __repr__(self):
        parts = []
        for name, value in self._values.items():
            parts.append(f"{name}={float(value[0])!r}" if value.size == 1 else f"{name}=<{value.size} values>")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __eq__(self, other):
        return type(self) is type(other) and json.dumps(self.to_dict(), sort_keys=True) == json.dumps(
            other.to_dict(), sort_keys=True)

    __hash__ = None

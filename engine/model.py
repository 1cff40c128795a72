"""The model base class: what a neural mass model declares, and nothing about how it is integrated.

A model is one short class: its state variables with their ranges, its parameters, which variables couple
to other regions, what monitors see, and a plain-Python derivative of scalars::

    class Linear(Model):
        gamma = Parameter(-10.0, range=(-100.0, 0.0), unit="1/ms", doc="Damping coefficient.")
        state_variables = ("x",)
        state_variable_range = {"x": (-1.0, 1.0)}
        variables_of_interest = ("x",)
        cvar = ("x",)

        @staticmethod
        def dfun(x, c_0, gamma):
            return gamma * x + c_0

``dfun``'s arguments are, in this order: every state variable (by name), the coupling inputs ``c_0``,
``c_1``, ... (one per coupling output the model reads), optionally the local (surface) coupling inputs
``lc_0``, ``lc_1``, ... (TVB's ``local_coupling * x`` for the state variables named in ``local_coupling``;
zero in region simulations), then any of the model's parameters, by name. It
returns the time derivatives of the state variables, in order. The kernel compiles it for each dtype and
calls it inside its lane loop, so a user-defined model runs exactly as fast as the built-in ones.
"""
from __future__ import annotations

import ast
import re
from typing import ClassVar

import numpy as np

from .component import Component, Parameter
from .expressions import ExpressionError, ScalarFunction

_COUPLING_ARG = re.compile(r"^c_(\d+)$")


class Model(Component):
    """Base class of neural mass models (TVB's ``Model``).

    Class attributes to declare in a subclass
    -----------------------------------------
    state_variables : tuple of str
        Names of the state variables, in order.
    state_variable_range : dict
        ``{name: (lo, hi)}``: range of random initial conditions (TVB's ``state_variable_range``).
    state_variable_boundaries : dict, optional
        ``{name: (lo, hi)}``: hard bounds applied after every integration stage, ``None`` for an open side.
    variables_of_interest : tuple of str
        What monitors record by default: state variable names or expressions of them (``"V - W"``).
    voi_choices : tuple of str, optional
        All admissible variables of interest (defaults to the state variables).
    cvar : tuple of str
        State variables seen by other regions through the connectome (TVB's ``cvar``).
    stvar : tuple of str, optional
        State variables that receive stimuli (TVB's ``stvar``; default: ``cvar``).
    local_coupling : tuple of str, optional
        In surface simulations, ``lc_k`` is the local connectivity matrix (times the cortex's
        ``coupling_strength``) applied to state variable ``local_coupling[k]`` of the neighbouring vertices,
        undelayed, as in TVB's ``lc_0 = local_coupling * V``. Default: the first state variable when ``dfun``
        reads ``lc_0``.
    dfun : staticmethod
        The derivative (see module docstring).
    """

    state_variables: ClassVar[tuple[str, ...]] = ()
    state_variable_range: ClassVar[dict[str, tuple[float, float]]] = {}
    state_variable_boundaries: ClassVar[dict[str, tuple[float | None, float | None]] | None] = None
    variables_of_interest: tuple[str, ...] = ()
    voi_choices: ClassVar[tuple[str, ...]] = ()
    cvar: ClassVar[tuple[str, ...]] = ()
    stvar: ClassVar[tuple[str, ...]] = ()
    local_coupling: ClassVar[tuple[str, ...]] = ()
    number_of_modes: ClassVar[int] = 1

    _dfun: ClassVar[ScalarFunction | None] = None
    _n_coupling_inputs: ClassVar[int] = 0
    _n_local_inputs: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "dfun" not in vars(cls):
            return      # an abstract intermediate class
        name = cls.__name__
        svs = tuple(cls.state_variables)
        if not svs or len(set(svs)) != len(svs):
            raise TypeError(f"{name}.state_variables must list distinct names, got {svs!r}")
        missing = [sv for sv in svs if sv not in cls.state_variable_range]
        if missing:
            raise TypeError(f"{name}.state_variable_range lacks {missing}")
        for sv, (lo, hi) in cls.state_variable_range.items():
            if sv not in svs or not lo <= hi:
                raise TypeError(f"{name}.state_variable_range[{sv!r}] = {(lo, hi)} is invalid")
        for sv in (cls.state_variable_boundaries or {}):
            if sv not in svs:
                raise TypeError(f"{name}.state_variable_boundaries names unknown state variable {sv!r}")
        cvar = tuple(svs[c] if isinstance(c, (int, np.integer)) else c for c in cls.cvar)
        if not cvar or any(c not in svs for c in cvar):
            raise TypeError(f"{name}.cvar must name state variables among {svs}, got {cls.cvar!r}")
        cls.cvar = cvar
        stvar = tuple(svs[c] if isinstance(c, (int, np.integer)) else c for c in (cls.__dict__.get("stvar") or cvar))
        if any(c not in svs for c in stvar):
            raise TypeError(f"{name}.stvar must name state variables among {svs}, got {stvar!r}")
        cls.stvar = stvar
        if not cls.voi_choices:
            cls.voi_choices = svs
        fn = ScalarFunction.from_function(cls.__dict__["dfun"], "model_dfun", f"{name}.dfun",
                                         parameters=cls._parameters)
        args = fn.args
        if args[:len(svs)] != svs:
            raise TypeError(f"{name}.dfun must take the state variables {svs} first, got {args}")
        rest = args[len(svs):]
        n_in = 0
        while n_in < len(rest) and _COUPLING_ARG.match(rest[n_in]) and rest[n_in] == f"c_{n_in}":
            n_in += 1
        n_lc = 0
        while n_in + n_lc < len(rest) and rest[n_in + n_lc] == f"lc_{n_lc}":
            n_lc += 1
        for arg in rest[n_in + n_lc:]:
            if arg not in cls._parameters:
                raise TypeError(f"{name}.dfun argument {arg!r} is neither a state variable, a coupling input "
                                f"c_k, a local coupling input lc_k (each numbered from 0, in order) nor a "
                                f"declared Parameter of {name}")
        local = tuple(cls.__dict__.get("local_coupling") or (svs[:1] if n_lc == 1 else ()))
        if len(local) != n_lc or any(v not in svs for v in local):
            raise TypeError(f"{name}.local_coupling must name one state variable among {svs} per lc_k argument "
                            f"of dfun ({n_lc}), got {local!r}")
        cls.local_coupling = local
        if fn.n_returns != len(svs):
            raise TypeError(f"{name}.dfun returns {fn.n_returns} value(s) for {len(svs)} state variable(s)")
        cls._dfun = fn
        cls._n_coupling_inputs = n_in
        cls._n_local_inputs = n_lc
        default_voi = tuple(cls.variables_of_interest) or svs
        for voi in default_voi:
            cls._check_voi(voi)
        cls.variables_of_interest = default_voi

    @classmethod
    def _extra_fields(cls):
        return ("variables_of_interest", "cvar")

    def __init__(self, **values):
        voi = values.pop("variables_of_interest", None)
        cvar = values.pop("cvar", None)
        super().__init__(**values)
        self.variables_of_interest = type(self).variables_of_interest if voi is None else voi
        self.cvar = type(self).cvar if cvar is None else cvar

    def __setattr__(self, key, value):
        if key == "cvar":
            values = [value] if isinstance(value, (str, int, np.integer)) else list(np.ravel(value))
            svs = self.state_variables
            names = []
            for c in values:
                if isinstance(c, (int, np.integer)) and 0 <= c < len(svs):
                    names.append(svs[int(c)])
                elif isinstance(c, str) and c in svs:
                    names.append(c)
                else:
                    raise ValueError(f"{type(self).__name__}.cvar must name state variables (or their indices) "
                                     f"among {list(svs)}, got {value!r}")
            if not names or len(set(names)) != len(names):
                raise ValueError(f"{type(self).__name__}.cvar must list distinct state variables, got {value!r}")
            value = tuple(names)
        if key == "variables_of_interest":
            value = (value,) if isinstance(value, str) else tuple(value)
            if not value:
                raise ValueError(f"{type(self).__name__}.variables_of_interest must not be empty")
            for voi in value:
                self._check_voi(voi)
        super().__setattr__(key, value)

    @classmethod
    def _check_voi(cls, voi: str) -> None:
        if voi in cls.voi_choices:
            return
        try:
            tree = ast.parse(voi, mode="eval")
        except SyntaxError:
            tree = None
        ok = tree is not None and all(
            isinstance(n, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.Div,
                           ast.USub, ast.UAdd, ast.Load, ast.Constant))
            or (isinstance(n, ast.Name) and n.id in cls.state_variables) for n in ast.walk(tree))
        if not ok:
            raise ValueError(f"{cls.__name__}: variable of interest {voi!r} is not allowed; choose from "
                             f"{list(cls.voi_choices)} or an arithmetic expression of {list(cls.state_variables)}")

    # ------------------------------------------------------------------ derived facts
    @property
    def nvar(self) -> int:
        """Number of state variables."""
        return len(self.state_variables)

    @property
    def cvar_indices(self) -> np.ndarray:
        """Indices of the coupling variables (TVB's integer ``cvar``)."""
        return np.array([self.state_variables.index(c) for c in self.cvar], dtype=np.int32)

    @property
    def stvar_indices(self) -> np.ndarray:
        """Indices of the state variables that receive stimuli (TVB's integer ``stvar``)."""
        return np.array([self.state_variables.index(c) for c in self.stvar], dtype=np.int32)

    @property
    def n_coupling_inputs(self) -> int:
        """How many coupling inputs (``c_0``, ``c_1``, ...) ``dfun`` reads."""
        return self._n_coupling_inputs

    @property
    def n_local_inputs(self) -> int:
        """How many local (surface) coupling inputs (``lc_0``, ...) ``dfun`` reads; 0 if it has none."""
        return self._n_local_inputs

    @property
    def local_coupling_indices(self) -> np.ndarray:
        """Indices of the state variables the local coupling inputs apply the local connectivity to."""
        return np.array([self.state_variables.index(v) for v in self.local_coupling], dtype=np.int64)

    @property
    def n_fixed_args(self) -> int:
        """``dfun`` arguments before the parameters: state variables, coupling and local coupling inputs."""
        return len(self.state_variables) + self._n_coupling_inputs + self._n_local_inputs

    @classmethod
    def derivative(cls) -> ScalarFunction:
        """The compiled-ready derivative."""
        if cls._dfun is None:
            raise TypeError(f"{cls.__name__} is abstract: it defines no dfun")
        return cls._dfun

    def bounds(self) -> list[tuple[float, float]]:
        """Per state variable ``(lo, hi)`` hard bounds, +-inf where unbounded."""
        out = []
        for sv in self.state_variables:
            lo, hi = (self.state_variable_boundaries or {}).get(sv, (None, None))
            out.append((-np.inf if lo is None else float(lo), np.inf if hi is None else float(hi)))
        return out

    def evaluate_dfun(self, state, coupling=None, local_coupling=None) -> np.ndarray:
        """Evaluate the derivative on numpy arrays.

        Parameters
        ----------
        state : array, shape (nvar, ...)
            State variables along the first axis.
        coupling : array, shape (n_coupling_inputs, ...), optional
            Coupling inputs; zeros if omitted.
        local_coupling : array, shape (n_local_inputs, ...), optional
            Local coupling inputs ``lc_k`` (already applied to the neighbours' states); zeros if omitted.

        Returns
        -------
        array, shape like ``state``
        """
        state = np.asarray(state, dtype=np.float64)
        if state.shape[0] != self.nvar:
            raise ValueError(f"state must have {self.nvar} rows ({self.state_variables}), got {state.shape}")
        if coupling is None:
            coupling = np.zeros((self.n_coupling_inputs,) + state.shape[1:])
        coupling = np.asarray(coupling, dtype=np.float64)
        if local_coupling is None:
            local_coupling = np.zeros((self.n_local_inputs,) + state.shape[1:])
        local_coupling = np.asarray(local_coupling, dtype=np.float64)
        fn = self.derivative()
        svs = len(self.state_variables)
        params = [self._broadcast_param(a, state.shape[1:]) for a in fn.args[self.n_fixed_args:]]
        out = fn.evaluate(*state, *coupling[:self.n_coupling_inputs], *local_coupling[:self.n_local_inputs], *params)
        if svs == 1:
            out = (out,)
        return np.array([np.broadcast_to(o, state.shape[1:]) for o in out])

    def _broadcast_param(self, name, shape):
        value = getattr(self, name)
        if value.size == 1:
            return value[0]
        return value.reshape(value.shape + (1,) * (len(shape) - 1)) if len(shape) > 1 else value

    def initial(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        """Uniform random values in ``state_variable_range``; ``shape`` is ``(..., nvar, nodes)``."""
        out = np.empty(shape)
        for k, sv in enumerate(self.state_variables):
            lo, hi = self.state_variable_range[sv]
            out[..., k, :] = rng.uniform(lo, hi, size=out[..., k, :].shape)
        return out

    @classmethod
    def describe(cls) -> dict:
        """Everything declared, for documentation and provenance."""
        return {
            "state_variables": list(cls.state_variables),
            "state_variable_range": {k: list(v) for k, v in cls.state_variable_range.items()},
            "state_variable_boundaries": {k: list(v) for k, v in (cls.state_variable_boundaries or {}).items()},
            "cvar": list(cls.cvar),
            "variables_of_interest": list(cls.variables_of_interest),
            "voi_choices": list(cls.voi_choices),
            "parameters": {n: p.describe() for n, p in cls._parameters.items()},
        }


__all__ = ["Model", "Parameter", "ExpressionError"]

"""TVB's ``tvb.simulator.models`` for scripts: brainsweep's models with TVB's ``dfun(state, coupling)``.

Each class here *is* the engine's model of the same name (a subclass that adds nothing to the equations): the
same parameters, defaults, state variables and compiled derivative. What it adds is TVB's calling convention,
``model.dfun(state_variables, coupling)`` on arrays shaped ``(state variable, region, mode)``, and
``configure()`` returning the model.
"""
from __future__ import annotations

import numpy as np

from brainsweep.engine import models as _engine_models
from brainsweep.engine.model import Model


class _TVBModel:
    """TVB's array-level model methods on top of an engine model."""

    def dfun(self, state_variables, coupling, local_coupling=0.0):
        """The derivative on arrays, as TVB's ``Model.dfun``.

        Parameters
        ----------
        state_variables : array, shape (nvar, regions, modes)
        coupling : array, shape (ncvar, regions, modes)
            Coupling per coupling variable (``cvar``), as TVB's simulator passes it.
        local_coupling : float
            Surface local coupling; only 0 is supported (region simulations).

        Returns
        -------
        array, shape like ``state_variables``
        """
        if np.any(np.asarray(local_coupling) != 0):
            raise ValueError(f"{type(self).__name__}.dfun: local_coupling must be 0 in region simulations")
        state = np.asarray(state_variables, dtype=np.float64)
        coupling = np.asarray(coupling, dtype=np.float64)
        if coupling.shape[0] < self.n_coupling_inputs:
            raise ValueError(f"{type(self).__name__}.dfun: coupling has {coupling.shape[0]} row(s), the model reads "
                             f"{self.n_coupling_inputs} (its cvar {list(self.cvar)})")
        return self.evaluate_dfun(state, coupling[:self.n_coupling_inputs])

    def configure(self):
        """Nothing to prepare (parameters are checked when set); returns the model, as TVB's."""
        return self


def _lab_class(engine_cls: type[Model]) -> type[Model]:
    # No ``dfun`` in the class body: the engine's class keeps its compiled derivative and its registration.
    return type(engine_cls.__name__, (_TVBModel, engine_cls),
                {"__module__": __name__, "__doc__": engine_cls.__doc__, "__qualname__": engine_cls.__name__})


MODELS = {name: _lab_class(cls) for name, cls in _engine_models.MODELS.items()}
globals().update(MODELS)

__all__ = ["Model", "MODELS", *MODELS]

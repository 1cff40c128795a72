"""TVB's ``tvb.simulator.simulator``: ``Simulator(...).configure()`` and ``run()`` returning ``(time, data)`` pairs.

A thin translation onto :class:`brainsweep.engine.Simulator`: :meth:`Simulator.configure` builds one engine
simulator from the TVB-style pieces (the same model, coupling, integrator and monitor objects, the connectome
frozen from its arrays), and :meth:`Simulator.run` runs it and reshapes each monitor's recording to TVB's
``(time, state variable, region, mode)``. A second ``run`` continues where the first stopped, as in TVB; changed
parameter values (``sim.model.a = ...``) apply from then on.

Differences from TVB a script may notice: the noise comes from brainsweep's counter-based generator keyed by
``integrator.noise.noise_seed`` (reproducible on any machine and batch, but not TVB's Mersenne-Twister numbers);
random initial conditions are drawn from that seed too. Surface simulations (``surface=cortex.Cortex...``) run
on the engine's surface kernel (:mod:`brainsweep.engine.surface`).
"""
from __future__ import annotations

import warnings

import numpy as np

from brainsweep.engine.integrators import HeunDeterministic, IntegratorStochastic
from brainsweep.engine.simulator import Simulator as _EngineSimulator

from . import coupling as _coupling
from . import models as _models
from . import monitors as _monitors
from .connectivity import Connectivity
from .noise import DEFAULT_NOISE_SEED

#: TVB's ``Simulator`` defaults.
DEFAULT_SIMULATION_LENGTH = 1000.0
DEFAULT_CONDUCTION_SPEED = 3.0


class Simulator:
    """A region simulation configured the TVB way.

    Parameters
    ----------
    connectivity : Connectivity
        A :class:`brainsweep.lab.connectivity.Connectivity` (or an engine ``Connectivity``).
    model, coupling, integrator : optional
        TVB's defaults: ``Generic2dOscillator()``, ``Linear()``, ``HeunDeterministic()``.
    monitors : sequence of Monitor, optional
        Default ``[TemporalAverage()]``.
    initial_conditions : array, optional
        TVB's ``(time, state variable, region, mode)`` history (oldest first), or ``(state variable, region)``.
    stimulus : StimuliRegion, optional
    simulation_length : float
        ms, used by ``run()`` without an argument (TVB's default 1000).
    conduction_speed : float
        mm/ms (default 3.0). As in TVB 2.10 the delays come from ``connectivity.speed``, not from this value; a
        warning says so when the two differ.
    time_varying : dict, optional
        brainsweep's extension: ``{"coupling.a": equation, ...}``, parameters that change with time in the kernel
        (see :class:`brainsweep.engine.Simulator`).
    dtype : {"float64", "float32"}
    """

    def __init__(self, connectivity=None, model=None, coupling=None, integrator=None, monitors=None,
                 initial_conditions=None, stimulus=None, simulation_length: float = DEFAULT_SIMULATION_LENGTH,
                 conduction_speed: float = DEFAULT_CONDUCTION_SPEED, surface=None, time_varying=None,
                 dtype: str = "float64", **unknown):
        if unknown:
            raise TypeError(f"Simulator got unknown argument(s) {sorted(unknown)}; allowed: connectivity, model, "
                            f"coupling, integrator, monitors, initial_conditions, stimulus, simulation_length, "
                            f"conduction_speed, time_varying, dtype")
        self.connectivity = connectivity
        self.model = _models.Generic2dOscillator() if model is None else model
        self.coupling = _coupling.Linear() if coupling is None else coupling
        self.integrator = HeunDeterministic() if integrator is None else integrator
        self.monitors = (_monitors.TemporalAverage(),) if monitors is None else monitors
        self.initial_conditions = initial_conditions
        self.stimulus = stimulus
        self.simulation_length = simulation_length
        self.conduction_speed = conduction_speed
        self.surface = surface
        self.time_varying = time_varying
        self.dtype = dtype
        self._engine: _EngineSimulator | None = None

    # ------------------------------------------------------------------ configure
    def configure(self) -> "Simulator":
        """Check everything (errors name the field) and build the engine simulator; returns ``self``.

        Configuring again starts the next ``run`` from the initial conditions.
        """
        conn = self.connectivity
        if conn is None:
            raise ValueError("Simulator.connectivity: not set; e.g. connectivity.Connectivity.from_file()")
        if isinstance(conn, Connectivity):
            engine_conn = conn.to_brainsweep()
            conn.configure_from(engine_conn)
        elif hasattr(conn, "with_speed"):
            engine_conn = conn
        else:
            raise ValueError(f"Simulator.connectivity must be a Connectivity, got {type(conn).__name__}")
        if self.conduction_speed is not None and float(self.conduction_speed) != engine_conn.conduction_speed:
            warnings.warn(f"Simulator.conduction_speed = {self.conduction_speed} differs from the connectivity's speed "
                          f"{engine_conn.conduction_speed} mm/ms; as in TVB 2.10 the delays use the connectivity's "
                          f"(set conn.speed = np.array([{self.conduction_speed}]) before configure() to change them)",
                          UserWarning, stacklevel=2)
        n = engine_conn.number_of_regions
        mons = self.monitors
        if isinstance(mons, _monitors.Monitor):
            mons = [mons]
        mons = [m.for_regions(n) if hasattr(m, "for_regions") else m for m in mons]
        stim = self.stimulus
        if stim is not None and hasattr(stim, "to_brainsweep"):
            stim = stim.to_brainsweep(n)
        ic = self.initial_conditions
        if ic is not None:
            ic = np.asarray(ic, dtype=np.float64)
        surface = self.surface
        if surface is not None and hasattr(surface, "to_brainsweep"):
            surface = surface.to_brainsweep()
        self._engine = _EngineSimulator(
            engine_conn, model=self.model, coupling=self.coupling, integrator=self.integrator, monitors=mons,
            initial_conditions=ic, seed=self._noise_seed(), dtype=self.dtype, stimulus=stim,
            time_varying=self.time_varying, simulation_length=float(self.simulation_length),
            surface=surface).configure()
        return self

    def _noise_seed(self) -> int:
        if isinstance(self.integrator, IntegratorStochastic):
            return int(getattr(self.integrator.noise, "noise_seed", DEFAULT_NOISE_SEED))
        return DEFAULT_NOISE_SEED

    # ------------------------------------------------------------------ run
    def run(self, simulation_length: float | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Simulate ``simulation_length`` ms (default ``self.simulation_length``) from where the last run stopped.

        Returns
        -------
        list of (time, data)
            One pair per monitor, in order: ``time`` in ms, shape ``(samples,)``; ``data`` shaped
            ``(samples, variable of interest, region or sensor, mode)``, as TVB's. The same run as the engine's
            labelled ``xarray.Dataset`` is kept in ``self.last_dataset``.
        """
        if self._engine is None:
            self.configure()
        if simulation_length is not None:
            self.simulation_length = simulation_length
        engine = self._engine
        # the engine reads the current parameter values of these very objects at every run
        engine.model, engine.coupling, engine.integrator = self.model, self.coupling, self.integrator
        ds = engine.run(float(self.simulation_length))
        names = [k for k in ds.data_vars if k not in ("diverged", "divergence_time")]
        out = []
        for name in names:
            da = ds[name]
            tdim = da.dims[0]
            out.append((np.asarray(ds[tdim].values, dtype=np.float64), np.asarray(da.values)[..., np.newaxis]))
        self.last_dataset = ds
        return out

    # ------------------------------------------------------------------ to brainsweep's own API
    def to_brainsweep(self) -> _EngineSimulator:
        """The configured engine :class:`brainsweep.engine.Simulator` (batches, xarray output, GPU backend)."""
        if self._engine is None:
            self.configure()
        return self._engine

    def to_sweep_spec(self, axes: dict, features=(), *, name: str = "lab-sweep", length: float | None = None,
                      transient: float = 0.0, connectivity_file=None, batch_size: int = 16, repeats: int = 1) -> dict:
        """This simulation as a sweep spec (a dict :func:`brainsweep.explore.sweep` and ``brainsweep sweep`` take).

        Parameters
        ----------
        axes : dict
            ``{"coupling.a": [..] or {"linspace": [lo, hi, n]}, "model.<p>": ..., "noise.nsig": ...}``.
        features : sequence of dict, optional
            E.g. ``[{"name": "fc_fit", "monitor": "bold", "empirical": "fc.npy"}]``.
        length : float, optional
            ms per point (default ``simulation_length``).
        connectivity_file : path, optional
            Where to save the connectome (a TVB zip) when it is not an unchanged tvb-data one.

        Returns
        -------
        dict
            Checked with :func:`brainsweep.explore.load_spec` before it is returned.
        """
        from brainsweep.engine.connectivity import Connectivity as EngineConnectivity
        from brainsweep.explore import load_spec

        engine = self.to_brainsweep()
        conn = engine.connectivity
        spec_conn: dict = {"conduction_speed": float(conn.conduction_speed)}
        n = conn.number_of_regions
        if n in EngineConnectivity.tvb_data_sizes() and \
                EngineConnectivity.from_tvb_data(n).with_speed(conn.conduction_speed).fingerprint() == conn.fingerprint():
            spec_conn["tvb_data"] = n
        elif connectivity_file is not None:
            spec_conn["file"] = str(conn.to_zip(connectivity_file))
        else:
            raise ValueError("to_sweep_spec: the connectome is not an unchanged tvb-data one; give connectivity_file "
                             "(a .zip path) to save it for the sweep")

        def params(component):
            return {k: v for k, v in component.to_dict().items() if k in component.parameter_names}

        integ = {"name": type(self.integrator).__name__, "dt": float(self.integrator.dt)}
        if isinstance(self.integrator, IntegratorStochastic):
            nsig = np.asarray(self.integrator.noise.nsig)
            if nsig.size != 1:
                raise ValueError("to_sweep_spec: sweep specs take one noise.nsig value; this simulation has "
                                 f"{nsig.size}")
            integ["noise"] = {"name": type(self.integrator.noise).__name__, "nsig": float(nsig.ravel()[0])}
        mons = []
        for mon in engine.monitors:
            if isinstance(mon, _monitors.Projection):
                raise ValueError(f"to_sweep_spec: {type(mon).__name__} monitors are not supported in sweep specs yet; "
                                 "use Raw, SubSample, TemporalAverage, Bold or BalloonWindkessel")
            entry = {"name": type(mon).__name__, "period": float(mon.period)}
            if mon.variables_of_interest.size:
                entry["variables_of_interest"] = mon.variables_of_interest.tolist()
            mons.append(entry)
        spec = {"name": name, "connectivity": spec_conn,
                "model": {"name": type(self.model).__name__, "parameters": params(self.model)},
                "coupling": {"name": type(self.coupling).__name__, "parameters": params(self.coupling)},
                "integrator": integ, "monitors": mons, "features": list(features),
                "length": float(self.simulation_length if length is None else length), "transient": float(transient),
                "seed": self._noise_seed(), "axes": dict(axes), "batch_size": int(batch_size),
                "repeats": int(repeats), "dtype": self.dtype}
        if self.stimulus is not None:
            stim = engine.stimulus
            regions = np.flatnonzero(stim.weight)
            weights = stim.weight[regions]
            if regions.size == 0 or not np.all(weights == weights[0]):
                raise ValueError("to_sweep_spec: sweep specs take a stimulus of one weight on a set of regions")
            spec["stimulus"] = {"temporal": {"name": type(stim.temporal).__name__, "parameters": params(stim.temporal)},
                                "regions": regions.tolist(), "weight": float(weights[0])}
        load_spec(spec)
        return spec

    @property
    def current_step(self) -> int:
        return 0 if self._engine is None else self._engine.current_step

    def __repr__(self):
        return (f"Simulator({type(self.model).__name__}, {type(self.coupling).__name__}, "
                f"{type(self.integrator).__name__}, {len(list(self.monitors))} monitor(s))")


__all__ = ["Simulator", "DEFAULT_SIMULATION_LENGTH", "DEFAULT_CONDUCTION_SPEED"]

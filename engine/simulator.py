"""The TVB-like simulator facade: validate, lay out, run the generated kernel in chunks, label the results.

Typical use (TVB's resting-state script)::

    sim = Simulator(connectivity=Connectivity.from_tvb_data(),
                    model=Generic2dOscillator(a=-0.5),
                    coupling=Linear(a=0.0042),
                    integrator=HeunStochastic(dt=2**-4, noise=Additive(nsig=1e-4)),
                    monitors=[TemporalAverage(period=2.0)], seed=42)
    ds = sim.run(10_000.0)              # xarray.Dataset, dims (time, variable, region)

and a batch of parameter sets sharing the connectome, in one kernel call::

    ds = sim.run(1000.0, batch={"coupling.a": np.linspace(0, 0.02, 32)}, seeds=range(32))

Semantics follow TVB 2.x: the coupling of step ``n`` uses states up to ``n - 1`` (delay 0 = current state);
step numbering, sample times and TemporalAverage windows are TVB's; a full initial history of length ``L``
starts the clock at step ``L - 1`` as in TVB. A later ``run`` continues where the previous one stopped
(same batch), so chunked runs give exactly the numbers of one long run.
"""
from __future__ import annotations

import functools
import json
import math
import os
import time
from dataclasses import dataclass
from importlib import metadata

import numpy as np
import xarray as xr

from . import codegen, features
from .component import Component
from .connectivity import Connectivity
from .coupling import Coupling, Linear
from .integrators import HeunDeterministic, Integrator, IntegratorStochastic
from .kernel import build_edges, choose_time_block, csr_edges, load_kernel
from .model import Model
from .monitors import Monitor, TemporalAverage, area_means, output_name
from .noise import Multiplicative, broadcast_nsig
from .equations import Equation
from .rng import noise_keys
from .stimuli import StimuliRegion
from .surface import group_by_degree, local_order

_DTYPES = ("float64", "float32")
_BACKENDS = ("cpu", "cuda")


def _on_device_bold(monitor) -> bool:
    """Monitors whose post-processing the CUDA kernel does itself (the Balloon-Windkessel BOLD)."""
    from .monitors import BalloonWindkessel

    return isinstance(monitor, BalloonWindkessel)


@dataclass
class _RunState:
    """Everything the kernel carries from one call to the next."""

    key: str
    X: np.ndarray
    hist: np.ndarray
    current: np.ndarray
    acc: list                          # one accumulator per (temporal-average monitor, variable)
    slot: int
    step: int                          # last completed step (TVB's current_step)
    origin: int                        # first step of the simulation: stimuli and time_varying count from it
    diverged: np.ndarray
    divergence_time: np.ndarray
    posts: list                        # per monitor: None or its post-processor (with its own state)
    device: dict | None = None         # backend "cuda": the device arrays (history, state, accumulators, balloon)


@functools.lru_cache(maxsize=None)
def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "unknown"


class Simulator:
    """A network of neural masses on a connectome, integrated by one compiled kernel.

    Parameters
    ----------
    connectivity : Connectivity
        The structural connectome (weights, tract lengths in mm, conduction speed in mm/ms).
    model : Model, optional
        Neural mass model; TVB's default ``Generic2dOscillator()``.
    coupling : Coupling, optional
        Long-range coupling; TVB's default ``Linear()``.
    integrator : Integrator, optional
        Integration scheme and step ``dt`` (ms); TVB's default ``HeunDeterministic(dt=0.01220703125)``.
    monitors : Monitor or sequence of Monitor, optional
        What to record; TVB's default ``[TemporalAverage()]``.
    initial_conditions : array, optional
        ``(variable, region)``: a history constant in time; ``(time, variable, region[, 1])``: a full history,
        oldest first (TVB's layout; the clock then starts at step ``time - 1`` as in TVB). A leading batch
        axis gives one per batch member. Default: uniform random in the model's ``state_variable_range`` at
        every history step, drawn from the seed.
    seed : int
        Seed of the noise and of random initial conditions (per batch member: see ``run(seeds=...)``).
    dtype : {"float64", "float32"}
        Arithmetic precision; float32 gives 2-3x the throughput of float64 on batches (less for one simulation).
    conduction_speed : float, optional
        Overrides ``connectivity.conduction_speed`` (mm/ms). (TVB 2.10's ``Simulator.conduction_speed`` does not change
        the delays; ``brainsweep.lab.simulator.Simulator`` follows TVB there.)
    time_block : int, optional
        Steps of long-range coupling summed per pass (see :mod:`brainsweep.engine.codegen`); chosen from the
        delays when omitted, at most the longest delay in steps plus one (a larger value is reduced to that).
        Results do not depend on it beyond summation order.
    stimulus : StimuliRegion, optional
        A region stimulus (TVB's ``stimulus``), entering the model's ``stvar`` as in TVB's integrators; in a
        surface simulation every node gets its region's weight (unmapped regions' nodes too).
    time_varying : dict, optional
        ``{"model.name" or "coupling.name": equation}``: parameters that change with time, given as an
        :class:`~brainsweep.engine.equations.Equation` or a vectorised function of time in ms (e.g.
        ``{"coupling.a": Offset(Sinusoid(amp=0.01, frequency=1e-4), base=0.02)}``). Time counts from the
        first step of the simulation.
    kernel_options : dict, optional
        Kernel tuning: ``unroll`` (edges summed per pass, default 4; changes the summation order) and
        ``cache_bytes`` (history bytes per source block, default the L2 cache size; never changes results);
        for ``backend="cuda"``, ``cuda_lanes_per_block`` and ``cuda_node_threads`` (the block shape),
        ``cuda_unroll`` (edges summed per pass, default 4), ``cuda_max_registers`` (a register cap per thread,
        for occupancy), ``cuda_lanes_per_thread`` (members each thread integrates, sharing its edge offsets;
        default by batch size), ``cuda_max_lanes`` (members per device batch; default: what fits in 80% of
        the GPU's free memory) and ``cuda_fcd_buffer_bytes`` (the window FCs of an ``FCDSummary`` are computed
        for as many members at once as fit in this many bytes; default 512 MiB).
    backend : {"cpu", "cuda"}
        Where the kernel runs. ``"cuda"`` runs the same model, coupling, noise and monitor code on an NVIDIA
        GPU (:mod:`brainsweep.engine.cuda`; install ``brainsweep[gpu]``); the noise is the same as on the
        CPU, so a point agrees with its CPU run to rounding. Batches larger than the GPU's free memory are
        split automatically (a split run cannot be continued by a later ``run``).
    threads : int
        CPU threads a batch is spread over (default 1): the members are cut into ``threads`` contiguous parts
        (at most one per member) that run side by side, one kernel each (the kernels release the GIL). Each
        member's numbers are the same bits as in one kernel call; the result is the same dataset. A later
        ``run`` with the same batch, seeds and ``threads`` continues every part. Use up to the number of
        cores (``os.cpu_count()``); Dask workers of a sweep stay at 1, they are processes already.
    surface : Cortex, optional
        A cortical surface (:class:`~brainsweep.engine.surface.Cortex`): a surface simulation as TVB's, where
        every vertex (plus one node per region without vertices) is a node, long-range coupling runs between
        regions through the region mapping with the connectome's delays, and the cortex's local connectivity
        couples neighbouring vertices instantaneously. Node-level monitors (Raw, SubSample, TemporalAverage)
        then record every node (dimension ``node``); ``SpatialAverage`` records region means. Parameters may
        be given per region (mapped to the nodes, as TVB does) or per node. CPU only.
    """

    def __init__(self, connectivity: Connectivity, model: Model | None = None, coupling: Coupling | None = None,
                 integrator: Integrator | None = None, monitors=None, initial_conditions=None, seed: int = 0,
                 dtype: str = "float64", conduction_speed: float | None = None, time_block: int | None = None,
                 simulation_length: float = 1000.0, kernel_options: dict | None = None, stimulus=None,
                 time_varying: dict | None = None, backend: str = "cpu", surface=None, threads: int = 1):
        from .models import Generic2dOscillator

        self.connectivity = connectivity
        self.model = Generic2dOscillator() if model is None else model
        self.coupling = Linear() if coupling is None else coupling
        self.integrator = HeunDeterministic() if integrator is None else integrator
        self.monitors = [TemporalAverage()] if monitors is None else monitors
        self.initial_conditions = initial_conditions
        self.seed = seed
        self.dtype = dtype
        self.conduction_speed = conduction_speed
        self.time_block = time_block
        self.simulation_length = simulation_length
        self.kernel_options = dict(kernel_options or {})
        self.stimulus = stimulus
        self.time_varying = dict(time_varying or {})
        self.backend = backend
        self.surface = surface
        self.threads = threads
        self._state: _RunState | None = None
        self._parts: tuple[str, list] | None = None  # (batch cut, a simulator per part) of a threaded run
        self._layout_cache: tuple | None = None      # (surface fingerprint, nodes) -> surface kernel layout

    # ------------------------------------------------------------------ validation
    def configure(self) -> "Simulator":
        """Check the whole configuration (raises ``ValueError``/``TypeError`` naming the field); returns self."""
        c = self.connectivity
        if not isinstance(c, Connectivity):
            raise TypeError(f"Simulator.connectivity must be a brainsweep Connectivity, got {type(c).__name__}")
        if not isinstance(self.model, Model):
            raise TypeError(f"Simulator.model must be a Model instance (e.g. ReducedWongWang()), "
                            f"got {self.model!r}")
        if not isinstance(self.coupling, Coupling):
            raise TypeError(f"Simulator.coupling must be a Coupling instance (e.g. Linear(a=0.01)), "
                            f"got {self.coupling!r}")
        if not isinstance(self.integrator, Integrator):
            raise TypeError(f"Simulator.integrator must be an Integrator instance (e.g. HeunDeterministic(dt=0.1)), "
                            f"got {self.integrator!r}")
        monitors = self.monitors
        if isinstance(monitors, Monitor):
            monitors = [monitors]
        monitors = list(monitors)
        for mon in monitors:
            if not isinstance(mon, Monitor):
                raise TypeError(f"Simulator.monitors must be Monitor instances (Raw, SubSample, TemporalAverage), "
                                f"got {mon!r}")
        if not monitors:
            raise ValueError("Simulator.monitors is empty: add at least one monitor (e.g. TemporalAverage())")
        self.monitors = monitors
        if self.dtype not in _DTYPES:
            raise ValueError(f"Simulator.dtype must be one of {_DTYPES}, got {self.dtype!r}")
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"Simulator.seed must be a non-negative integer, got {self.seed!r}")
        if self.conduction_speed is not None:
            speed = float(self.conduction_speed)
            if not np.isfinite(speed) or speed <= 0:
                raise ValueError(f"Simulator.conduction_speed must be a positive number of mm/ms, "
                                 f"got {self.conduction_speed!r}")
        if self.backend not in _BACKENDS:
            raise ValueError(f"Simulator.backend must be one of {_BACKENDS}, got {self.backend!r}")
        allowed = ("unroll", "cache_bytes", "cuda_lanes_per_block", "cuda_node_threads", "cuda_unroll", "cuda_max_lanes",
                   "cuda_max_registers", "cuda_lanes_per_thread", "cuda_fcd_buffer_bytes")
        unknown = set(self.kernel_options) - set(allowed)
        if unknown:
            raise ValueError(f"Simulator.kernel_options: unknown key(s) {sorted(unknown)}; allowed: {', '.join(allowed)}")
        for key, lo in ((k, 1) for k in allowed):
            value = self.kernel_options.get(key)
            if value is not None and (not isinstance(value, (int, np.integer)) or value < lo):
                raise ValueError(f"Simulator.kernel_options[{key!r}] must be a positive integer, got {value!r}")
        if isinstance(self.threads, bool) or not isinstance(self.threads, (int, np.integer)) or self.threads < 1:
            raise ValueError(f"Simulator.threads must be a positive integer (CPU threads a batch is spread over), "
                             f"got {self.threads!r}")
        if self.threads > 1 and self.backend != "cpu":
            raise ValueError(f"Simulator.threads applies to backend='cpu' only, got threads={self.threads} with "
                             f"backend={self.backend!r}")
        if self.time_block is not None and (not isinstance(self.time_block, (int, np.integer))
                                            or not 1 <= self.time_block <= 64):
            raise ValueError(f"Simulator.time_block must be an integer in 1..64, got {self.time_block!r}")
        if self.stimulus is not None:
            if not isinstance(self.stimulus, StimuliRegion):
                raise TypeError(f"Simulator.stimulus must be a StimuliRegion, got {self.stimulus!r}")
            if self.stimulus.weight.size != c.number_of_regions:
                raise ValueError(f"Simulator.stimulus.weight has {self.stimulus.weight.size} values; the connectome "
                                 f"has {c.number_of_regions} regions")
        used = self._kernel_parameters()
        for key, fn in self.time_varying.items():
            if key not in used:
                raise ValueError(f"Simulator.time_varying key {key!r}: not a parameter this simulation uses; "
                                 f"allowed: {sorted(used)}")
            if not (isinstance(fn, Equation) or callable(fn)):
                raise ValueError(f"Simulator.time_varying[{key!r}] must be an Equation or a function of time (ms)")
        n_out = self.coupling.n_outputs(len(self.model.cvar))
        if self.model.n_coupling_inputs > n_out:
            raise ValueError(f"{type(self.model).__name__} reads {self.model.n_coupling_inputs} coupling inputs but "
                             f"{type(self.coupling).__name__} produces {n_out} from cvar {self.model.cvar}")
        N = c.number_of_regions
        if self.surface is not None:
            self._check_surface()
        for comp, label in ((self.model, "model"), (self.coupling, "coupling")):
            for name, value in comp.parameters().items():
                if self.surface is not None and label == "coupling" and value.size != 1:
                    raise ValueError(f"coupling.{name} has {value.size} values; a surface simulation computes the "
                                     "long-range coupling per region and needs one value per coupling parameter")
                if value.size not in (1, N, self._n_nodes()):
                    nodes = f" or one per node ({self._n_nodes()})" if self.surface is not None else ""
                    raise ValueError(f"{label}.{name} has {value.size} values; give 1 or one per region ({N}){nodes}")
        if isinstance(self.integrator, IntegratorStochastic):
            self._nsig_nodes(self.integrator.noise.nsig, "integrator.noise.nsig")
        dt = self.integrator.dt
        for mon in monitors:
            mon.istep(dt)
            mon.voi_indices(len(self.model.variables_of_interest))
        if self.backend == "cuda":
            from .cuda import require_cuda

            require_cuda()
        return self

    # ------------------------------------------------------------------ surfaces
    def _check_surface(self) -> None:
        from .surface import Cortex

        if not isinstance(self.surface, Cortex):
            raise TypeError(f"Simulator.surface must be a brainsweep Cortex, got {type(self.surface).__name__}")
        self.surface.full_region_mapping(self.connectivity.number_of_regions)      # checks the region indices
        if self.backend != "cpu":
            raise ValueError("Simulator.surface: surface simulations run on backend='cpu' only")
        if self.surface.local_connectivity is not None and self.model.n_local_inputs == 0:
            raise ValueError(f"Simulator.surface has a local connectivity but {type(self.model).__name__} reads no "
                             "local coupling (its dfun has no lc_0; TVB's MontbrioPazoRoxin ignores it too); "
                             "models with one: Generic2dOscillator, SupHopf, Kuramoto, JansenRit, "
                             "ReducedWongWang, ReducedWongWangExcInh, WilsonCowan, Linear, Epileptor; or give "
                             "Cortex(..., local_connectivity=None) (TVB's numbers for such a model)")

    def _node_regions(self) -> np.ndarray:
        """The region of every simulation node (the identity in a region simulation)."""
        R = self.connectivity.number_of_regions
        if self.surface is None:
            return np.arange(R)
        return self.surface.full_region_mapping(R)

    def _n_nodes(self) -> int:
        """Simulation nodes: regions, or a surface's vertices plus its unmapped regions."""
        return self.connectivity.number_of_regions if self.surface is None else len(self._node_regions())

    def _to_nodes(self, arr: np.ndarray) -> np.ndarray:
        """Per-region values along the last axis mapped onto the nodes (TVB's spatialisation); others as given."""
        arr = np.asarray(arr)
        R = self.connectivity.number_of_regions
        if self.surface is not None and arr.ndim and arr.shape[-1] == R and R != self._n_nodes():
            return arr[..., self._node_regions()]
        return arr

    def _kernel_order(self) -> np.ndarray:
        """The original index of each of the kernel's nodes (see :meth:`_surface_layout`)."""
        if self.surface is None:
            return np.arange(self._n_nodes())
        return self._surface_layout(self._n_nodes())["order"]

    def _surface_layout(self, n_nodes: int) -> dict:
        """The surface kernel's node order and local coupling in it (see ``codegen.generate_surface``).

        ``order[k]`` is the original index of kernel node ``k`` (reverse Cuthill-McKee of the local
        connectivity, then sorted by degree within windows of 64 places: ``surface.group_by_degree``),
        ``position`` its inverse; ``lptr``/``lidx``/``lw`` the local coupling matrix with rows and
        columns in that order but each row's entries in their original order, so that every node sums its
        neighbours exactly as without the reordering (``slices``: the same as slices of ``codegen.LOCAL_SLICE``
        rows, :func:`~brainsweep.engine.codegen.local_slices`, for one simulation); ``skew`` the stage distance D.
        """
        key = (self.surface.fingerprint(), n_nodes)
        cached = self._layout_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        local = self.surface.local_coupling_matrix(n_nodes)
        order, skew = local_order(local)
        # nodes of like degree in the same slices: less padding of the slices' local-coupling rows
        order, skew = group_by_degree(local, order, 4 * codegen.LOCAL_SLICE)
        position = np.empty_like(order)
        position[order] = np.arange(order.size)
        counts = np.diff(local.indptr)[order]
        lptr = np.zeros(n_nodes + 1, dtype=np.int64)
        lptr[1:] = np.cumsum(counts)
        entries = np.repeat(local.indptr[order] - lptr[:-1], counts) + np.arange(int(lptr[-1]))
        lidx = position[local.indices[entries]].astype(np.int64)
        # one simulation steps a slice of G nodes at a time (codegen.local_slices): the neighbours of a slice's last
        # node must be ready when its first node is reached (G - 1 positions more), in whole slices
        G = codegen.LOCAL_SLICE
        if skew:
            skew = -(-(skew + G - 1) // G) * G
        layout = {"order": order, "position": position, "skew": skew, "lptr": lptr, "lidx": lidx,
                  "lw": local.data[entries], "slices": codegen.local_slices(lptr, lidx, local.data[entries], G)}
        self._layout_cache = (key, layout)
        return layout

    def _nsig_nodes(self, nsig, where: str) -> np.ndarray:
        """``nsig`` in TVB's shapes (scalar, per variable, per region or node, per variable and region or node)
        as ``(variables, nodes)``; per-region values go to every node of the region (TVB's surface case)."""
        S, R = self.model.nvar, self.connectivity.number_of_regions
        per_region = np.size(nsig) in (R, S * R) and np.size(nsig) not in (1, S)
        return self._to_nodes(broadcast_nsig(nsig, S, R if per_region else self._n_nodes(), where))

    def _output_space(self, monitor) -> tuple[str, np.ndarray]:
        """Name and labels of a monitor's spatial dimension: regions, sensors, or (surface) nodes."""
        if getattr(monitor, "needs_spatial_mask", False):
            return monitor.output_space_for(self._spatial_mask(monitor), self.connectivity)
        if self.surface is not None and hasattr(monitor, "surface_output_space"):
            return monitor.surface_output_space(self.connectivity, self.surface.number_of_vertices,
                                                self._node_regions())
        if self.surface is not None and monitor.kind in ("raw", "subsample", "temporal_average") \
                and type(monitor).output_space is Monitor.output_space:
            return "node", np.arange(self._n_nodes())
        return monitor.output_space(self.connectivity)

    def _spatial_mask(self, monitor) -> np.ndarray:
        """A SpatialAverage's area of every node: its own mask, else the region mapping (surface) or TVB's
        default mask of a region simulation."""
        return monitor.mask_for(self._n_nodes(), self._node_regions() if self.surface is not None else None,
                                self.connectivity)

    # ------------------------------------------------------------------ helpers
    def _speed(self) -> float:
        return float(self.conduction_speed) if self.conduction_speed is not None else self.connectivity.conduction_speed

    def _connection_edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(targets, sources, weights, delays in steps)`` of the existing connections, in (target, source)
        order; O(connections), the same lists for a dense connectome and its sparse copy."""
        targets, sources, weights, lengths = self.connectivity.connections()
        return targets, sources, weights, np.rint(lengths / self._speed() / self.integrator.dt).astype(np.int64)

    def _components(self) -> dict[str, Component]:
        comps = {"model": self.model, "coupling": self.coupling}
        if isinstance(self.integrator, IntegratorStochastic):
            comps["noise"] = self.integrator.noise
        if self.stimulus is not None:
            comps["stimulus"] = self.stimulus.temporal
        return comps

    def _kernel_parameters(self) -> set[str]:
        """``component.name`` of the model and coupling parameters the kernel reads."""
        used = {f"model.{a}" for a in self.model.derivative().args[self.model.n_fixed_args:]}
        for fn in (self.coupling.post_function(), self.coupling.pre_function()):
            if fn is not None:
                used |= {f"coupling.{a}" for a in fn.args if a in self.coupling.parameter_names}
        return used

    def _parse_batch(self, batch, seeds) -> tuple[int, dict[str, np.ndarray], list[int], bool]:
        N = self.connectivity.number_of_regions
        S = self.model.nvar
        comps = self._components()
        parsed: dict[str, np.ndarray] = {}
        sizes = set()
        for key, value in (batch or {}).items():
            if not isinstance(key, str) or "." not in key:
                raise ValueError(f"batch key {key!r} must be 'component.parameter' with component in "
                                 f"{sorted(comps)}, e.g. 'coupling.a'")
            comp_name, pname = key.split(".", 1)
            if comp_name == "integrator" and pname.startswith("noise."):
                comp_name, pname = "noise", pname[len("noise."):]
            if key == "connectivity.lesion":
                if self.surface is not None:
                    raise ValueError("batch['connectivity.lesion'] is not supported in surface simulations; lesion "
                                     "the connectome (Connectivity.lesioned) instead")
                arr = np.array(value, dtype=np.float64)
                if arr.ndim != 2 or arr.shape[1] != N or not np.all((arr >= 0) & (arr <= 1)):
                    raise ValueError(f"batch['connectivity.lesion'] must have shape (B, {N}) with values in [0, 1] "
                                     "(1 removes every connection of the region, 0.5 halves them)")
                sizes.add(arr.shape[0])
                parsed[key] = arr
                continue
            if comp_name in ("connectivity", "conduction_speed") or pname == "conduction_speed":
                raise ValueError(f"batch key {key!r}: members of one batch share the connectome and its delays, "
                                 "except for per-member lesions ('connectivity.lesion'); sweep conduction speed "
                                 "and other edits across batches (one Simulator per connectome)")
            if comp_name not in comps:
                raise ValueError(f"batch key {key!r}: unknown component {comp_name!r}; allowed: {sorted(comps)}"
                                 + ("" if "noise" in comps else " (noise needs a stochastic integrator)"))
            comp = comps[comp_name]
            allowed = list(comp.parameter_names) + {"noise": ["nsig"], "stimulus": ["weight"]}.get(comp_name, [])
            if pname not in allowed:
                raise ValueError(f"batch key {key!r}: {type(comp).__name__} has no parameter {pname!r}; "
                                 f"allowed: {allowed}")
            try:
                arr = np.array(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"batch[{key!r}] must be numbers, got {value!r}") from None
            if arr.ndim == 0:
                raise ValueError(f"batch[{key!r}] must have one entry per batch member, got a scalar")
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"batch[{key!r}] must be finite")
            if pname == "nsig":
                if np.any(arr < 0):
                    raise ValueError(f"batch[{key!r}]: nsig must be >= 0")
                ok = arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] in (S, N)) or arr.shape[1:] == (S, N)
                if not ok:
                    raise ValueError(f"batch[{key!r}] has shape {arr.shape}; allowed (B,), (B, {S}), (B, {N}), "
                                     f"(B, {S}, {N})")
            elif pname == "weight" and comp_name == "stimulus":
                if arr.shape[1:] != (N,):
                    raise ValueError(f"batch[{key!r}] has shape {arr.shape}; allowed (B, {N})")
            elif comp_name == "stimulus" and arr.ndim != 1:
                raise ValueError(f"batch[{key!r}] has shape {arr.shape}; allowed (B,) one value per member")
            elif f"{comp_name}.{pname}" in self.time_varying:
                raise ValueError(f"batch key {key!r} is also in time_varying; give it one or the other")
            elif self.surface is not None and comp_name == "coupling" and arr.ndim != 1:
                raise ValueError(f"batch[{key!r}] has shape {arr.shape}; a surface simulation allows (B,) one value "
                                 "per member for coupling parameters")
            elif not (arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] in (N, self._n_nodes()))):
                raise ValueError(f"batch[{key!r}] has shape {arr.shape}; allowed (B,) one value per member or "
                                 f"(B, {N}) one per member and region")
            sizes.add(arr.shape[0])
            parsed[f"{comp_name}.{pname}"] = arr
        if len(sizes) > 1:
            raise ValueError(f"batch entries have different lengths {sorted(sizes)}; all must have one entry per "
                             "batch member")
        if seeds is not None:
            seeds = [int(s) for s in np.atleast_1d(np.asarray(seeds))]
            if any(s < 0 for s in seeds):
                raise ValueError("seeds must be non-negative integers")
            sizes.add(len(seeds))
            if len(sizes) > 1:
                raise ValueError(f"seeds has {len(seeds)} entries but the batch has {min(sizes - {len(seeds)})} "
                                 "members")
        is_batch = batch is not None or seeds is not None
        B = sizes.pop() if sizes else 1
        if B < 1:
            raise ValueError("batch is empty")
        if seeds is None:
            seeds = [int(self.seed)] * B
        return B, parsed, seeds, is_batch

    def _parameter_table(self, B: int, batch: dict[str, np.ndarray]):
        """Per used parameter, its (B, N) values (N nodes); plus the kernel slots."""
        N = self._n_nodes()
        S = self.model.nvar
        values: dict[str, np.ndarray] = {}

        def full(comp_name: str, comp: Component, pname: str) -> np.ndarray:
            base = self._to_nodes(getattr(comp, pname))
            arr = np.broadcast_to(base if base.size == N else base[0], (B, N)).astype(np.float64)
            over = batch.get(f"{comp_name}.{pname}")
            if over is not None:
                over = self._to_nodes(over)
                arr = np.broadcast_to(over[:, None] if over.ndim == 1 else over, (B, N)).astype(np.float64)
            return arr

        dfun = self.model.derivative()
        for a in dfun.args[self.model.n_fixed_args:]:
            values[f"pm_{a}"] = full("model", self.model, a)
        used = set()
        pre = self.coupling.pre_function()
        for fn in (self.coupling.post_function(), pre):
            if fn is not None:
                used |= {a for a in fn.args if a in self.coupling.parameter_names}
        for a in sorted(used):
            values[f"pc_{a}"] = full("coupling", self.coupling, a)
        dt = self.integrator.dt
        values["pi_dt"] = np.full((B, N), dt)
        if isinstance(self.integrator, IntegratorStochastic):
            noise = self.integrator.noise
            over = batch.get("noise.nsig")
            if over is None:
                nsig = np.broadcast_to(self._nsig_nodes(noise.nsig, "integrator.noise.nsig"), (B, S, N))
            else:
                nsig = np.stack([self._nsig_nodes(row, "batch['noise.nsig']") for row in over])
            sig = np.sqrt(2.0 * nsig * dt)
            for s in range(S):
                values[f"ps_sig{s}"] = sig[:, s, :]
            if isinstance(noise, Multiplicative):
                values["pn_b_a"] = full("noise", noise, "b_a")
                values["pn_b_b"] = full("noise", noise, "b_b")
        slots = []
        rows = {"scalar": [], "lane": [], "region": [], "full": []}
        n_time = 0
        for code, arr in values.items():
            key = {"pm": "model.", "pc": "coupling."}.get(code[:2], "?") + code[3:]
            if key in self.time_varying:
                slots.append((code, codegen.ParamSlot(code, "time", n_time)))
                n_time += 1
                continue
            if np.all(arr == arr[0, 0]):
                kind, data = "scalar", arr[0, 0]
            elif np.all(arr == arr[:1, :]):
                kind, data = "region", arr[0]
            elif np.all(arr == arr[:, :1]):
                kind, data = "lane", arr[:, 0]
            else:
                kind, data = "full", arr.T
            slots.append((code, codegen.ParamSlot(code, kind, len(rows[kind]))))
            rows[kind].append(data)
        dtype = np.dtype(self.dtype)
        ps = np.array(rows["scalar"] or [0.0], dtype=dtype)
        pl = np.ascontiguousarray(np.array(rows["lane"] or np.zeros((1, B)), dtype=dtype).reshape(-1))
        pr = np.ascontiguousarray(np.array(rows["region"] or np.zeros((1, N)), dtype=dtype).reshape(-1))
        pf = np.ascontiguousarray(np.array(rows["full"] or np.zeros((1, N, B)), dtype=dtype).reshape(-1))
        return tuple(slots), values, (ps, pl, pr, pf)

    def _spec(self, B: int, K: int, slots, unroll: int, node_scaling: bool = False,
              self_weights: bool = True) -> codegen.KernelSpec:
        m = self.model
        mons = tuple(codegen.MonitorSpec(mon.kind, tuple(int(v) for v in mon.voi_indices(len(m.variables_of_interest))))
                     for mon in self.monitors)
        noise = "none"
        if isinstance(self.integrator, IntegratorStochastic):
            noise = "multiplicative" if isinstance(self.integrator.noise, Multiplicative) else "additive"
        bounds = tuple((None if lo == -np.inf else lo, None if hi == np.inf else hi) for lo, hi in m.bounds())
        return codegen.KernelSpec(
            dtype=self.dtype, lanes=B, time_block=K, unroll=unroll, state_variables=tuple(m.state_variables),
            bounds=bounds, dfun=m.derivative(), n_coupling_inputs=m.n_coupling_inputs,
            n_local_inputs=m.n_local_inputs, local_vars=tuple(int(v) for v in m.local_coupling_indices),
            voi_exprs=tuple(m.variables_of_interest), cvar=tuple(int(c) for c in m.cvar_indices),
            coupling_outputs=m.n_coupling_inputs, coupling_arity=self.coupling.arity, coupling_channels=self.coupling.n_channels,
            coupling_pre=self.coupling.pre_function(), coupling_post=self.coupling.post_function(),
            scheme=self.integrator.scheme, stochastic=isinstance(self.integrator, IntegratorStochastic),
            noise=noise, params=slots, monitors=mons,
            stimulus_vars=tuple(int(i) for i in m.stvar_indices) if self.stimulus is not None else (),
            node_scaling=node_scaling, self_weights=self_weights)

    def _initial_history(self, B: int, seeds: list[int], H: int, lanes: slice) -> tuple[np.ndarray, int]:
        """Batch members ``lanes``' states ``(H, S, N, lanes)`` oldest first (or ``(1, S, N, lanes)`` for a history
        constant in time), and TVB's current_step for that history. A block of members at a time keeps the
        transient memory bounded whatever the batch size (see :meth:`_history_block`)."""
        N = self._n_nodes()
        S = self.model.nvar
        ic = self.initial_conditions
        members = range(B)[lanes]
        current_step = 0
        if ic is None:
            states = np.stack([self.model.initial(np.random.default_rng(np.random.SeedSequence([int(seeds[b]), 0x1C])),
                                                  (H, S, N)) for b in members], axis=-1)
        else:
            arr = np.asarray(ic, dtype=np.float64)
            if arr.ndim in (4, 5) and arr.shape[-1] == 1 and arr.shape[-2] in (N, self.connectivity.number_of_regions):
                arr = arr[..., 0]           # TVB's trailing mode axis
            arr = self._to_nodes(arr)       # a surface simulation's region-level history: every node its region's
            if arr.ndim == 2 and arr.shape == (S, N):
                per, L = arr[None, :, :, None], 1
            elif arr.ndim == 3 and arr.shape[1:] == (S, N):
                per, L = arr[:, :, :, None], arr.shape[0]
            elif arr.ndim == 4 and arr.shape[0] == B and arr.shape[2:] == (S, N):
                per, L = np.moveaxis(arr, 0, -1)[..., lanes], arr.shape[1]
            elif arr.ndim == 4 and arr.shape[2:] == (S, N):
                raise ValueError(f"initial_conditions has {arr.shape[0]} per-member histories for a batch of {B}")
            else:
                raise ValueError(f"initial_conditions has shape {np.shape(ic)}; allowed: ({S}, {N}) constant "
                                 f"history, (time, {S}, {N}[, 1]) full history oldest first, or "
                                 f"({B}, time, {S}, {N}) one history per batch member")
            if not np.all(np.isfinite(per)):
                raise ValueError("initial_conditions must be finite")
            per = np.broadcast_to(per, per.shape[:3] + (len(members),))       # the same history for every member
            if L > 1:
                current_step = L - 1
            if L >= H:
                states = np.array(per[-H:])
            elif L == 1:
                states = np.array(per)       # constant in time: broadcast over the H rows by the caller
            else:
                states = np.concatenate([np.repeat(per[:1], H - L, axis=0), per], axis=0)
        for s, (lo, hi) in enumerate(self.model.bounds()):
            np.clip(states[:, s], lo, hi, out=states[:, s])
        return states, current_step

    def _history_block(self, H: int, B: int) -> int:
        """Batch members whose initial histories are built at once: about 32 MB of float64 states (a history
        constant in time is one row per member)."""
        constant = self.initial_conditions is not None and np.ndim(self.initial_conditions) == 2
        per_member = (1 if constant else H) * self.model.nvar * self._n_nodes() * 8
        return max(1, min(B, (32 << 20) // max(per_member, 1)))

    def _channels(self, states: np.ndarray, values: dict) -> np.ndarray:
        """Delay-buffer channels ``(C, ..., N, B)`` of states ``(..., S, N, B)``."""
        cv = self.model.cvar_indices
        ar = self.coupling.arity
        pre = self.coupling.pre_function()
        out = []
        for o in range(self.model.n_coupling_inputs):
            xs = [states[..., cv[o * ar + k], :, :] for k in range(ar)]
            if pre is None:
                out.append(xs[0])
                continue
            params = [values[f"pc_{a}"].T for a in pre.args[ar:]]
            with np.errstate(all="ignore"):
                res = pre.evaluate(*xs, *params)
            out.extend(res if isinstance(res, tuple) else [res])
        if not out:
            return np.zeros((0,) + states.shape[:1] + states.shape[2:])
        return np.stack(out)

    # ------------------------------------------------------------------ running
    def run(self, simulation_length: float | None = None, batch: dict | None = None, seeds=None,
            chunk_steps: int | None = None, summaries=None) -> xr.Dataset:
        """Simulate and return the monitors' recordings.

        Parameters
        ----------
        simulation_length : float, optional
            Length in ms (default ``self.simulation_length``); ``ceil(length / dt)`` steps are taken, as in TVB.
        batch : dict, optional
            ``{"component.parameter": values}`` with component ``model``, ``coupling`` or ``noise`` (e.g.
            ``"coupling.a"``, ``"model.w"``, ``"noise.nsig"``) and one value per batch member (shape ``(B,)``)
            or one per member and region (``(B, N)``). All members share the connectome and run in one kernel.
        seeds : sequence of int, optional
            One seed per batch member (default: the simulator's ``seed`` for every member). A member's result
            depends only on its parameters and seed, not on the batch it ran in or its position there.
        chunk_steps : int, optional
            Steps per kernel call (default about 2**14); results do not depend on it.
        summaries : sequence of FCSummary, optional
            Quantities to return instead of a monitor's series (:class:`~brainsweep.engine.summaries.FCSummary`:
            the FC over this run after a transient, its fit and RMSE to an empirical FC), one variable each per
            member (``fc_fit``, ``fc_rmse``, ``fc``). With ``backend="cuda"`` and a monitor recorded on the GPU
            (Raw, SubSample, TemporalAverage, BalloonWindkessel) they are computed on the GPU and the series
            never crosses to the host; otherwise from the recorded series, with the same functions as
            :mod:`brainsweep.engine.features`. The series is left out of the result unless ``keep_series``.

        Notes
        -----
        As in TVB, a second ``run`` continues from where the first stopped, with the components' current
        parameter values (change ``model.a`` between runs to ramp a parameter). A different ``batch`` or
        ``seeds``, or a structural change (model class, cvar, variables of interest, integrator, dt, monitors,
        connectome, dtype), starts again from the initial conditions; so does ``reset()``.

        Returns
        -------
        xarray.Dataset
            One variable per monitor, dims ``([batch,] time, variable, region)``, time in ms, plus
            ``diverged`` and ``divergence_time`` per member (and the summaries' outputs); the configuration is
            in ``attrs``.
        """
        self.configure()
        length = self.simulation_length if simulation_length is None else simulation_length
        try:
            length = float(length)
        except (TypeError, ValueError):
            raise ValueError(f"simulation_length must be a number of ms, got {simulation_length!r}") from None
        if not np.isfinite(length) or length <= 0:
            raise ValueError(f"simulation_length must be a positive number of ms, got {simulation_length!r}")
        self.simulation_length = length
        dt = self.integrator.dt
        n_steps = int(math.ceil(length / dt))
        members, user_batch, user_seeds, is_batch = self._parse_batch(batch, seeds)
        summaries = self._check_summaries(summaries, n_steps)
        if self.backend == "cuda":
            lanes = self._device_lanes(n_steps, chunk_steps, summaries)
            if members > lanes:
                cuts = list(range(0, members, lanes)) + [members]
                return self._run_in_parts(length, user_batch, user_seeds, cuts, chunk_steps, summaries)
        elif self.threads > 1 and members > 1:
            return self._run_in_parts(length, user_batch, user_seeds, self._thread_cuts(members), chunk_steps,
                                      summaries, threaded=True)
        self._parts = None
        # Lane loops of 9..15 are fully unrolled by LLVM and stay scalar; 16 lanes run faster, so such batches
        # get padding lanes (copies of the last member, discarded). Up to 8 lanes the region kernel runs its
        # model loop with the nodes inner (codegen.NODE_INNER_LANES), which vectorises; the surface kernel pads
        # from 5. Members are independent of the lanes beside them, so this changes no result.
        on_gpu = self.backend == "cuda"
        narrow = 4 if self.surface is not None else max(codegen.NODE_INNER_LANES)
        B = 16 if narrow < members < 16 and not on_gpu else members
        parsed = {k: np.concatenate([v, np.repeat(v[-1:], B - members, axis=0)]) for k, v in user_batch.items()}
        seeds = list(user_seeds) + [user_seeds[-1]] * (B - members)
        N = self._n_nodes()
        R = self.connectivity.number_of_regions
        surface = self.surface is not None
        S = self.model.nvar
        dtype = np.dtype(self.dtype)

        slots, values, (ps, pl, pr, pf) = self._parameter_table(B, parsed)
        connections = self._connection_edges()
        targets, sources, weights, idelays = connections
        unroll = int(self.kernel_options.get("unroll", 4))
        # only the coupling outputs the model reads are computed (TVB computes every cvar's)
        C = self.model.n_coupling_inputs * self.coupling.n_channels
        if surface:
            # the delay ring holds region means, one row per step (no time blocking)
            K, edges = 1, None
            H = int(idelays.max()) + 1 if idelays.size else 1
            self._check_memory(C * R * H * B * dtype.itemsize, n_steps, B, dtype.itemsize)
            layout_nodes = self._surface_layout(N)
            order, position = layout_nodes["order"], layout_nodes["position"]
            # the kernel's nodes are in `order`: per-node parameters follow
            pr = np.ascontiguousarray(pr.reshape(-1, N)[:, order]).reshape(-1)
            pf = np.ascontiguousarray(pf.reshape(-1, N, B)[:, order]).reshape(-1)
        else:
            K = self.time_block or choose_time_block(targets, sources, idelays)
            edges = build_edges(N, targets, sources, weights, idelays, B, K, unroll, dtype.itemsize,
                                cache_bytes=self.kernel_options.get("cache_bytes"))
            H, K = edges.horizon, edges.time_block
            self._check_memory(C * N * (H + K) * B * dtype.itemsize, n_steps, B, dtype.itemsize)
        lesion = parsed.get("connectivity.lesion")
        keep = None if lesion is None else 1.0 - lesion.T                    # (N, B)
        spec = self._spec(B, K, slots, unroll, node_scaling=keep is not None,
                          self_weights=edges is None or bool(np.any(edges.weight_self)))

        n_acc = sum(len(m.voi_indices(len(self.model.variables_of_interest))) for m in self.monitors
                    if m.kind == "temporal_average")
        layout = dict(C=C, N=N, H=H, B=B, S=S, n_acc=n_acc, K=K, dtype=self.dtype, backend=self.backend)
        key = json.dumps([self._structure(), {k: v.tolist() for k, v in parsed.items()}, seeds, layout],
                         sort_keys=True, default=str)
        st = self._state
        if st is None or st.key != key:
            # ring rows: time t at row t mod H (the current state, oldest-first index H - 1, at row H - 1),
            # rows 0..K-1 repeated at H..H+K-1; on the GPU the ring is (C, H + 1, N, B), time t at row
            # t mod (H + 1), row H written next. Filled a block of batch members at a time (see _history_block).
            if surface:
                # the ring holds region means (TVB: the region history of a surface simulation): (C, H, R, B)
                hist = np.empty((C, H, R, B), dtype=dtype)
                last_channels = np.empty((S, R, B), dtype=dtype)      # current region means of every variable
                averaging = area_means(self._node_regions())   # TVB's surface_state_to_rois
            else:
                # on the GPU only the history's distinct rows, (C, 1 or H, N, B): the device fills the ring from them
                hist = None if on_gpu else np.empty((C, N, H + K, B), dtype=dtype)
                last_channels = np.empty((C, N, B), dtype=dtype)
            last_state = np.empty((S, N, B), dtype=dtype)
            block = 1 if surface else self._history_block(H, B)
            for b0 in range(0, B, block):
                b1 = min(B, b0 + block)
                lanes = slice(b0, b1)
                states, current = self._initial_history(B, seeds, H, lanes)
                if surface:                                       # one member per block (see above)
                    last_state[..., lanes] = states[-1][:, order]
                    L = states.shape[0]
                    means = (averaging @ states[..., 0].reshape(L * S, N).T).T.reshape(L, S, R, 1)
                    chans = self._channels(means, {k: v[lanes, :R] for k, v in values.items()})
                    hist[..., lanes] = chans                                      # a constant history broadcasts
                    last_channels[..., lanes] = means[-1]
                    del states, chans, means
                    continue
                last_state[..., lanes] = states[-1]
                chans = self._channels(states, {k: v[lanes] for k, v in values.items()})   # (C, H or 1, N, lanes)
                if keep is not None:
                    chans = chans * keep[:, lanes]
                if on_gpu:
                    if hist is None:
                        hist = np.empty((C, chans.shape[1], N, B), dtype=dtype)
                    hist[..., lanes] = chans
                else:
                    ring = np.moveaxis(chans, 1, 2)                  # (C, N, H or 1, lanes)
                    hist[:, :, :H, lanes] = ring
                    hist[:, :, H:, lanes] = ring[:, :, np.arange(K) % ring.shape[2]]
                last_channels[..., lanes] = chans[:, -1]
                del states, chans
            st = _RunState(key=key, X=last_state.reshape(S, N * B),
                           hist=hist if on_gpu else hist.reshape(-1), current=last_channels.reshape(-1), acc=[np.zeros(N * B, dtype=dtype) for _ in range(n_acc)],
                           slot=H - 1, step=current, origin=current + 1, diverged=np.zeros(B, dtype=bool),
                           divergence_time=np.full(B, np.nan),
                           posts=[None if on_gpu and _on_device_bold(m) else
                                  m.postprocessor(len(m.voi_indices(len(self.model.variables_of_interest))), N, B,
                                                  dtype, dt, **({"seeds": seeds} if getattr(m, "needs_seeds", False)
                                                                else {}),
                                                  **({"spatial_mask": self._spatial_mask(m)[self._kernel_order()]}
                                                     if getattr(m, "needs_spatial_mask", False) else {}))
                                  for m in self.monitors])
            self._state = st

        t0 = time.perf_counter()
        kernel = None if on_gpu else load_kernel(codegen.generate_surface(spec) if surface else codegen.generate(spec))
        sizes = {"X": S * N * B, "hist": C * st.hist.shape[1] * N * B if on_gpu else C * N * (H + K) * B,
                 "current": C * N * B}
        if surface:
            sizes.update(hist=C * H * R * B, current=S * R * B)
        if len(st.acc) != n_acc or any(a.size != N * B for a in st.acc):
            raise RuntimeError("internal error: monitor accumulators do not match the monitors; call sim.reset()")
        for name, size in sizes.items():
            if getattr(st, name).size != size:      # the kernel does not bounds-check: never hand it a stale layout
                raise RuntimeError(f"internal error: {name} buffer has {getattr(st, name).size} values, expected "
                                   f"{size}; call sim.reset()")
        keys = noise_keys(seeds, S, N).reshape(-1) if spec.stochastic else np.zeros(1, dtype=np.uint64)
        half = (N + 1) // 2
        zb = np.zeros(S * 2 * half * B if spec.stochastic else 1, dtype=dtype)
        zh = np.zeros(S * 2 * half * B if spec.stochastic else 1, dtype=np.uint32)
        if not surface:
            cb = np.zeros(C * N * K * B, dtype=dtype)
            vb = np.zeros((C, K + 1, N * B), dtype=dtype)        # per channel: the current values, then each step's
            cbt = np.zeros(K * C * N * B, dtype=dtype)
            leo = np.empty(edges.loff.size + edges.soff.size, dtype=edges.loff.dtype)   # this block's rows
            lw = edges.lw.astype(dtype)
            sw = edges.sw.astype(dtype)
            if keep is None:
                wsum = edges.weight_sum.astype(dtype)
                keep_arr = np.ones(1, dtype=dtype)
            else:
                # what TVB's weights would sum to with the lesioned rows and columns scaled: keep_i sum_j w_ij keep_j
                wsum = np.stack([keep[:, b] * np.bincount(targets, weights=weights * keep[sources, b], minlength=N)
                                 for b in range(B)], axis=1).reshape(-1).astype(dtype)
                keep_arr = np.ascontiguousarray(keep, dtype=dtype).reshape(-1)
            wself = edges.weight_self.astype(dtype)

        first_step = st.step + 1
        mons = self.monitors
        isteps = np.array([m.kernel_istep(dt) for m in mons], dtype=np.int64)
        n_voi = [len(m.voi_indices(len(self.model.variables_of_interest))) for m in mons]
        sample_steps = [m.sample_steps(first_step, n_steps, dt) for m in mons]
        kernel_steps = [m.kernel_steps(first_step, n_steps, dt) if post is not None else None
                        for m, post in zip(mons, st.posts)]
        spaces = [self._output_space(m) for m in mons]
        n_space = [len(labels) for _, labels in spaces]
        if summaries:
            summaries = self._check_summaries([x[0] for x in summaries], n_steps, first_step)
        # summaries of monitors the GPU records are computed there; their series stay on the device unless kept
        on_device = {m for _s, m, _v, _t in summaries if on_gpu and not surface and st.posts[m] is None}
        summarised = {m for _s, m, _v, _t in summaries}
        omit = {m for m in summarised if not any(x.keep_series for x, mm, _v, _t in summaries if mm == m)}
        device_only = omit & on_device
        outs = [np.full((0 if m in device_only else len(s)) * v * M * B, np.nan, dtype=dtype)
                for m, (s, v, M) in enumerate(zip(sample_steps, n_voi, n_space))]
        written = [0] * len(mons)
        recorded = [0] * len(mons)
        chunk = int(chunk_steps) if chunk_steps else max(K, (1 << 14) // K * K)
        if not chunk_steps and any(post is not None for post in st.posts):
            # a post-processed monitor's chunk of samples is a scratch buffer of samples x voi x nodes x lanes:
            # keep it near 64 MiB (a 16k-vertex surface batch would otherwise ask for gigabytes)
            per_step = max(v * N * B * dtype.itemsize / k for post, k, v in zip(st.posts, isteps, n_voi)
                           if post is not None)
            chunk = max(K, min(chunk, int((1 << 26) / per_step) // K * K))
        if chunk < 1:
            raise ValueError(f"chunk_steps must be a positive integer, got {chunk_steps!r}")
        # monitors with a post-processor: the kernel records a chunk at a time into a scratch buffer
        scratch = [None if post is None else np.empty((chunk // k + 1) * v * N * B, dtype=dtype)
                   for post, k, v in zip(st.posts, isteps, n_voi)]
        # a device-only series: one chunk's samples, copied from the GPU only when a member diverges in it
        chunk_records = {m: np.full((chunk // min(int(isteps[m]), mons[m].istep(dt)) + 1) * n_voi[m] * N * B, np.nan,
                                    dtype=dtype) for m in device_only}
        # time-dependent inputs, evaluated for each chunk's steps
        time_rows = sorted(((slot.row, code) for code, slot in slots if slot.kind == "time"))
        time_fns = [self.time_varying[{"pm": "model.", "pc": "coupling."}[code[:2]] + code[3:]] for _, code in time_rows]
        ptv = np.zeros(max(len(time_fns), 1) * chunk * B, dtype=dtype)
        stim_t = np.zeros(chunk * B if self.stimulus is not None else 1, dtype=dtype)
        stim_w = np.zeros(N * B if self.stimulus is not None else 1, dtype=dtype)
        stim_overrides = {k.split(".", 1)[1]: v for k, v in parsed.items()
                          if k.startswith("stimulus.") and k != "stimulus.weight"}
        if self.stimulus is not None:
            w = parsed.get("stimulus.weight")
            w = np.repeat(self.stimulus.weight[None, :], B, axis=0) if w is None else w        # (B, regions)
            if surface:
                # every node gets its region's weight (TVB's StimuliRegion.configure_space(region_mapping)), the
                # nodes of unmapped (e.g. subcortical) regions too, in the kernel's node order
                w = w[:, self._node_regions()[order]]
            stim_w[:] = w.T.reshape(-1)
        if surface:
            rows = codegen.surface_work_rows(spec)
            # stage values live a few D nodes: rings of `window` nodes (a power of two) stay in cache. One
            # simulation steps slices of G nodes, whose values live G places more and fill whole slices of a ring
            sliced = codegen.surface_sliced(spec)
            live = len(codegen.scheme_stages(spec)) * layout_nodes["skew"] + (2 * codegen.LOCAL_SLICE if sliced else 2)
            window = 1 << int(np.ceil(np.log2(live)))
            full_rows = codegen.surface_full_rows(spec)
            work = [np.zeros((N if k in full_rows else window) * B, dtype=dtype) for k in range(len(rows))]
            creg = np.zeros(max(1, spec.n_outputs) * R * B, dtype=dtype)
            # one simulation: each node's long-range coupling and noise draws, in the kernel's node order
            cnode = np.zeros(max(1, spec.n_outputs) * N if sliced else 1, dtype=dtype)
            znode = np.zeros(S * N if sliced and spec.stochastic else 1, dtype=dtype)
            lcb = np.zeros(codegen.surface_local_sums(spec), dtype=dtype)
            eptr, esrc, edel, ew = csr_edges(R, targets, sources, weights, idelays)
            ew = ew.astype(dtype)
            region_wsum = np.bincount(targets, weights=weights, minlength=R).astype(dtype)
            inv_count = (1.0 / np.bincount(self._node_regions(), minlength=R)).astype(dtype)
            lptr, lidx, lw = (layout_nodes["slices"] if sliced else (layout_nodes[k] for k in ("lptr", "lidx", "lw")))
            if sliced and N < 2 ** 31:
                lidx = lidx.astype(np.int32)        # twice the columns per vector load in `simd.slice_sums`
            lw = lw.astype(dtype)
            skew = layout_nodes["skew"]
            regmap = self._node_regions()[order].astype(np.int64)
            rmem = np.argsort(regmap, kind="stable")              # each region's nodes, in the kernel's order
            rptr = np.zeros(R + 1, dtype=np.int64)
            rptr[1:] = np.cumsum(np.bincount(regmap, minlength=R))
        if on_gpu:
            from .cuda import DeviceRun

            from .cuda_summaries import DeviceSeries

            device = DeviceRun(spec, st, [_on_device_bold(m) for m in mons], mons, dt, connections, N, B, H, C, S,
                               dtype, chunk, n_voi, isteps, keys,
                               keep_arr, wsum, stim_w, (ps, pl, pr, pf), self.kernel_options)
            kept_series, series_of = {}, {}
            for summary, m, v, times in summaries:
                if m in on_device:
                    drop = features._drop_transient(times, float(summary.transient))
                    same = [x for x in kept_series.get(m, []) if (x.variable, x.drop) == (v, drop)]
                    if not same:
                        same = [DeviceSeries(drop, times.size, v, N, B, dtype)]
                        kept_series.setdefault(m, []).append(same[0])
                    series_of[summary.name] = same[0]
        done = 0
        while done < n_steps:
            n = min(chunk, n_steps - done)
            t_ms = (np.arange(st.step + 1, st.step + 1 + n) - st.origin) * dt
            for row, fn in enumerate(time_fns):
                values_t = np.broadcast_to(np.asarray(fn.evaluate(t_ms) if isinstance(fn, Equation) else fn(t_ms),
                                                      dtype=np.float64), (n,))
                ptv.reshape(-1, chunk, B)[row, :n] = values_t[:, None]
            if self.stimulus is not None:
                if stim_overrides:
                    for b in range(B):
                        stim_t.reshape(chunk, B)[:n, b] = self.stimulus.temporal_values(
                            t_ms, {k: v[b] for k, v in stim_overrides.items()})
                else:
                    stim_t.reshape(chunk, B)[:n] = self.stimulus.temporal_values(t_ms)[:, None]
            count = np.zeros(len(mons), dtype=np.int64)
            views = [chunk_records[m] if m in device_only else o[w * v * M * B:] if buf is None else buf
                     for m, (o, w, v, M, buf) in enumerate(zip(outs, written, n_voi, n_space, scratch))]
            if on_gpu:
                st.slot = device.launch(n, st.step + 1, st.slot, ptv, stim_t, count, views, kept_series, device_only)
                if device_only and self._newly_diverged(st, B).any():
                    # a series kept on the device crosses to the host only in a chunk where a member diverges
                    for m in device_only:
                        device.fetch(m, views[m], int(count[m]))
            elif surface:
                st.slot = int(kernel(n, st.step + 1, st.slot, H, R, skew, order, st.hist, st.current, creg, cnode,
                                     znode, lcb, zb, zh, keys,
                                     eptr, esrc, edel, ew, region_wsum, regmap, rptr, rmem, inv_count, lptr, lidx, lw,
                                     stim_t, stim_w, ptv, chunk, ps, pl, pr, pf, isteps, count,
                                     *views, *st.acc, *st.X, *work))
            else:
                vb[:, 0] = st.current.reshape(C, N * B)
                st.slot = int(kernel(n, st.step + 1, st.slot, H, st.hist, cb, cbt, zb, zh, keys,
                                     edges.lptr, edges.loff, edges.lhd, leo, lw, edges.sptr, edges.soff, edges.shd, sw,
                                     wself, wsum, keep_arr, stim_t, stim_w, ptv, chunk, ps, pl, pr, pf, isteps, count,
                                     *views, *st.acc, *st.X, *vb.reshape(C, -1)))
                st.current[:] = vb[:, 0].reshape(-1)
            for m, post in enumerate(st.posts):
                c = int(count[m])
                if post is None:
                    if surface and c:        # node-level records, in the kernel's node order: put them back
                        size = n_voi[m] * N * B
                        block = outs[m][written[m] * size:(written[m] + c) * size].reshape(c, n_voi[m], N, B)
                        block[:] = np.take(block, position, axis=2)      # 5x faster than block[:, :, position]
                    written[m] += c
                    continue
                samples = scratch[m][:c * n_voi[m] * N * B].reshape(c, n_voi[m], N, B)
                if surface and not getattr(post, "any_node_order", False):
                    samples = np.take(samples, position, axis=2)
                new = post.feed(samples, kernel_steps[m][recorded[m]:recorded[m] + c])
                size = n_voi[m] * n_space[m] * B
                recorded[m] += c
                outs[m][written[m] * size:(written[m] + len(new)) * size] = new.reshape(-1)
                written[m] += len(new)
            st.step += n
            done += n
            records = [(chunk_records[m][:int(count[m]) * n_voi[m] * N * B].reshape(int(count[m]), -1, B),
                        steps[written[m] - int(count[m]):written[m]]) if m in device_only else
                       (o[:w * v * M * B].reshape(w, v * M, B), steps)
                       for m, (o, w, v, M, steps) in enumerate(zip(outs, written, n_voi, n_space, sample_steps))]
            self._check_divergence(st, records, B, dt)
        values = {}
        if on_gpu:
            from .cuda_summaries import FCD_BUFFER_BYTES, summarise, summarise_fcd
            from .summaries import FCDSummary

            for summary, _m, _v, times in summaries:
                series = series_of.get(summary.name)
                if series is None:
                    continue
                if isinstance(summary, FCDSummary):
                    width, starts = summary.windows(times)
                    got = summarise_fcd(series, summary, width, starts,
                                        self.kernel_options.get("cuda_fcd_buffer_bytes", FCD_BUFFER_BYTES))
                    values[summary.name] = (got, width, starts)
                else:
                    mask = summary.pair_mask(N, self._hemispheres())
                    values[summary.name] = (summarise(series, summary, mask), int(mask.sum()))
        elapsed = time.perf_counter() - t0
        ds = self._dataset(outs, sample_steps, n_voi, spaces, B, members, user_seeds, user_batch, is_batch, st,
                           elapsed, n_steps, K, H, omit=device_only)
        return self._add_summaries(ds, summaries, values, omit, members, is_batch)

    def _monitor_names(self) -> list[str]:
        """Each monitor's variable name in the returned Dataset (a repeated name gets ``_1``, ``_2`` ...)."""
        names, counts = [], {}
        for mon in self.monitors:
            base = output_name(mon)
            counts[base] = counts.get(base, 0) + 1
            names.append(base if counts[base] == 1 else f"{base}_{counts[base] - 1}")
        return names

    def _check_summaries(self, summaries, n_steps: int, first_step: int | None = None) -> list:
        """``[(summary, monitor index, variable index, sample times)]``, every field checked before anything runs."""
        from .summaries import SUMMARIES

        if summaries is None:
            return []
        if isinstance(summaries, SUMMARIES):
            summaries = [summaries]
        names = self._monitor_names()
        taken = set(names) | {"diverged", "divergence_time"}
        vois = list(self.model.variables_of_interest)
        first = self.current_step + 1 if first_step is None else first_step
        out = []
        for k, summary in enumerate(summaries):
            if not isinstance(summary, SUMMARIES):
                raise ValueError(f"summaries[{k}] must be an FCSummary or an FCDSummary, got {type(summary).__name__}")
            kind = type(summary).__name__
            if summary.monitor not in names:
                raise ValueError(f"{kind}.monitor {summary.monitor!r}: allowed {names} (this simulator's monitors)")
            m = names.index(summary.monitor)
            mon = self.monitors[m]
            times = np.asarray(mon.step_times(mon.sample_steps(first, n_steps, self.integrator.dt), self.integrator.dt),
                               dtype=np.float64)
            variables = [vois[i] for i in mon.voi_indices(len(vois))]
            M = len(self._output_space(mon)[1])
            summary.validate(M, variables, times, taken)
            if getattr(summary, "exclude_interhemispheric", False) and summary.empirical is not None:
                try:                      # before the run: hemispheres given, the connectome's, or from its labels
                    summary.pair_mask(M, self._hemispheres())
                except ValueError as exc:
                    raise ValueError(f"FCSummary.exclude_interhemispheric: {exc}") from None
            taken |= set(summary.outputs())
            out.append((summary, m, summary.variable_index(variables), times))
        return out

    def _hemispheres(self) -> np.ndarray | None:
        """The connectome's hemispheres (True = right), else as ``features.fc_fit`` infers them from the labels."""
        if self.connectivity.hemispheres is not None:
            return self.connectivity.hemispheres
        return features.hemispheres_from_labels(self.connectivity.region_labels)

    def _device_lanes(self, n_steps: int, chunk_steps: int | None, summaries=()) -> int:
        """Batch members that fit on the GPU at once: ``kernel_options["cuda_max_lanes"]`` if given, else what
        fits in 80% of the device's free memory (see :func:`brainsweep.engine.cuda.bytes_per_lane`)."""
        from .cuda import bytes_per_lane, device_free_bytes

        if "cuda_max_lanes" in self.kernel_options:
            return int(self.kernel_options["cuda_max_lanes"])
        free = device_free_bytes()
        if free is None:
            return 1 << 62
        per_lane = bytes_per_lane(self, n_steps, chunk_steps)
        from .cuda_summaries import FCD_BUFFER_BYTES
        from .summaries import FCDSummary

        buffers, kept = 0, set()
        for summary, m, v, times in summaries:
            # kept samples (the kernel's dtype; one copy per variable and transient) and the float64 pairs,
            # moments and fit; an FCD's window moments and values per lane, and its window FCs in one buffer
            # shared by groups of lanes
            M = len(self._output_space(self.monitors[m])[1])
            drop = features._drop_transient(times, float(summary.transient))
            if (m, v, drop) not in kept:
                kept.add((m, v, drop))
                per_lane += (times.size - drop) * M * np.dtype(self.dtype).itemsize
            if isinstance(summary, FCDSummary):
                K = summary.windows(times)[1].size
                per_lane += (2 * K * M + K * (K - 1) // 2 + 2 * M + 4 * K + 4) * 8
                buffers += self.kernel_options.get("cuda_fcd_buffer_bytes", FCD_BUFFER_BYTES)
            else:
                per_lane += (M * (M - 1) // 2 + 2 * M + 4) * 8
        free -= min(buffers, free // 2)
        return max(1, int(0.8 * free // per_lane))

    def _thread_cuts(self, members: int) -> list[int]:
        """Where a batch is cut for ``threads``: ``min(threads, members)`` contiguous parts of equal size (one
        member more in the last ones)."""
        parts = min(int(self.threads), members)
        return [members * k // parts for k in range(parts + 1)]

    def _run_in_parts(self, length: float, user_batch: dict, user_seeds: list, cuts: list[int],
                      chunk_steps: int | None, summaries=(), threaded: bool = False) -> xr.Dataset:
        """The batch as parts ``cuts[k]:cuts[k + 1]``, one simulator each: consecutive device batches (a batch
        larger than the GPU holds) or, ``threaded``, CPU kernels side by side in threads.

        Members are independent of the batch they run in, so the parts concatenated are the whole batch's
        results. Device parts are not kept (their state would fill the GPU), so a later ``run`` starts again;
        threaded parts are, and a later ``run`` with the same cut continues each of them."""
        import copy

        members = len(user_seeds)
        key = json.dumps([cuts, {k: np.asarray(v).tolist() for k, v in user_batch.items()},
                          [int(s) for s in user_seeds]], default=str)
        if threaded and self._parts is not None and self._parts[0] == key:
            sims = self._parts[1]
            # components set on this simulator since the last run reach the parts (a changed structure makes
            # a part start again, exactly as this simulator would)
            public = {k: v for k, v in vars(self).items() if not k.startswith("_")}
            for part in sims:
                vars(part).update(public, threads=1)
        else:
            if self.surface is not None:
                self._surface_layout(self._n_nodes())     # one vertex ordering, shared by the parts' copies
            sims = []
            for _ in cuts[:-1]:
                part = copy.copy(self)
                part.threads, part._state, part._parts = 1, None, None
                sims.append(part)
        self._state = None
        self._parts = (key, sims) if threaded else None

        def run_part(k: int) -> xr.Dataset:
            lo, hi = cuts[k], cuts[k + 1]
            return sims[k].run(length, batch={k_: v[lo:hi] for k_, v in user_batch.items()},
                               seeds=list(user_seeds[lo:hi]), chunk_steps=chunk_steps,
                               summaries=[s[0] for s in summaries] or None)

        t0 = time.perf_counter()
        if threaded:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=len(sims), thread_name_prefix="brainsweep-part") as pool:
                parts = list(pool.map(run_part, range(len(sims))))
        else:
            parts = [run_part(k) for k in range(len(sims))]
        ds = xr.concat(parts, dim="batch", data_vars="minimal", coords="minimal", compat="override",
                       combine_attrs="override")
        ds = ds.assign_coords(batch=np.arange(members))
        config = json.loads(ds.attrs["configuration"])
        config.update({"seeds": [int(s) for s in user_seeds],
                       "batch": {k: np.asarray(v).tolist() for k, v in user_batch.items()}})
        config.update({"threads": int(self.threads), "thread_parts": len(parts)} if threaded
                      else {"device_batches": len(parts)})
        ds.attrs["configuration"] = json.dumps(config, default=str)
        ds.attrs["wall_time_s"] = (time.perf_counter() - t0 if threaded
                                   else float(sum(p.attrs["wall_time_s"] for p in parts)))
        return ds

    def _check_memory(self, history_bytes: int, n_steps: int, B: int, itemsize: int) -> None:
        """Refuse, before allocating, a run whose buffers cannot fit in this machine's memory."""
        n_voi = len(self.model.variables_of_interest)
        out_bytes = sum((n_steps // mon.istep(self.integrator.dt) + 1) * len(self._output_space(mon)[1])
                        for mon in self.monitors) * n_voi * B * itemsize
        try:
            total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
            return
        gib = 2.0 ** 30
        if history_bytes > 0.5 * total:
            raise MemoryError(
                f"the delay buffer would need {history_bytes / gib:.1f} GiB (longest delay "
                f"{np.max(self.connectivity.connections()[3], initial=0.0) / self._speed():.3g} ms at dt = {self.integrator.dt} ms, "
                f"{B} batch member(s)); this machine has {total / gib:.1f} GiB. Use a larger dt, a higher "
                "conduction_speed or a smaller batch")
        if out_bytes > 0.5 * total:
            raise MemoryError(
                f"the monitors would record {out_bytes / gib:.1f} GiB for {n_steps} steps; this machine has "
                f"{total / gib:.1f} GiB. Record less (a longer monitor period, fewer variables of interest) or run "
                "in several shorter calls (a later run() continues where the previous one stopped)")

    @staticmethod
    def _newly_diverged(st, B: int) -> np.ndarray:
        """Per member: its state is no longer finite and it was not known to have diverged."""
        return ~np.isfinite(st.X.reshape(-1, B)).all(axis=0) & ~st.diverged

    def _check_divergence(self, st, records, B, dt):
        """Members whose state is no longer finite, and when: the first non-finite sample of ``records`` (per
        monitor: samples ``(time, values, B)`` and their steps), else the end of the chunk."""
        new = self._newly_diverged(st, B)
        if not new.any():
            return
        for b in np.nonzero(new)[0]:
            first = np.inf
            for samples, steps in records:
                data = samples[:, :, b]
                bad = ~np.isfinite(data).all(axis=1)
                if bad.any():
                    first = min(first, steps[np.argmax(bad)] * dt)
            st.divergence_time[b] = first if np.isfinite(first) else st.step * dt
        st.diverged |= new

    def _structure(self) -> dict:
        """What a continued run must share with the previous one (parameter values may change, as in TVB)."""
        d = self._describe()
        params = {"model": self.model.parameter_names, "coupling": self.coupling.parameter_names}
        for comp, names in params.items():
            d[comp] = {k: v for k, v in d[comp].items() if k not in names}
        noise = d["integrator"].get("noise")
        if isinstance(noise, dict):
            d["integrator"]["noise"] = noise["class"]
        return d

    def _describe(self) -> dict:
        c = self.connectivity
        integ = self.integrator.to_dict()
        return {
            "model": self.model.to_dict(),
            "coupling": self.coupling.to_dict(),
            "integrator": integ,
            "monitors": [m.to_dict() for m in self.monitors],
            "connectivity": {"fingerprint": c.fingerprint(), "number_of_regions": c.number_of_regions,
                             "conduction_speed": self._speed(), "source": getattr(c, "source", "")},
            "seed": int(self.seed),
            "dtype": self.dtype,
            "time_block": self.time_block,
            "kernel_options": self.kernel_options,
            "stimulus": None if self.stimulus is None else self.stimulus.to_dict(),
            "surface": None if self.surface is None else {"source": self.surface.source,
                                                          "fingerprint": self.surface.fingerprint(),
                                                          "number_of_nodes": self._n_nodes()},
            "time_varying": {k: v.to_dict() if isinstance(v, Equation) else repr(v)
                             for k, v in self.time_varying.items()},
        }

    def _dataset(self, outs, sample_steps, n_voi, spaces, B, members, seeds, parsed, is_batch, st, elapsed, n_steps,
                 K, H, omit=()):
        """Label the kernel's outputs; ``B`` lanes were simulated, the first ``members`` are the user's. Monitors in
        ``omit`` are left out (their dims are named as if they were there)."""
        N = self.connectivity.number_of_regions
        labels = [str(x) for x in self.connectivity.region_labels]
        dt = self.integrator.dt
        vois = list(self.model.variables_of_interest)
        names = self._monitor_names()
        arrays = {}
        all_vars = [[vois[k] for k in mon.voi_indices(len(vois))] for mon in self.monitors]
        for m, (name, mon, out, steps, v, (space, space_labels)) in enumerate(
                zip(names, self.monitors, outs, sample_steps, n_voi, spaces)):
            if m in omit:
                continue
            data = out.reshape(len(steps), v, len(space_labels), B)
            data = np.moveaxis(data, -1, 0)[:members]
            t = mon.step_times(steps, dt)
            arrays[name] = (data, t, all_vars[m], space, space_labels)
        single_time = len(self.monitors) == 1
        shared_var = all(v == all_vars[0] for v in all_vars)
        data_vars = {}
        coords = {"region": ("region", labels)}
        for name, (data, t, voi_names, space, space_labels) in arrays.items():
            if space in coords and list(coords[space][1]) != list(space_labels):
                space = f"{space}_{name}"          # two sensor sets: one dimension each
            coords[space] = (space, space_labels)
            tdim = "time" if single_time else f"time_{name}"
            vdim = "variable" if shared_var else f"variable_{name}"
            coords[tdim] = (tdim, t, {"units": "ms", "long_name": "time"})
            coords[vdim] = (vdim, voi_names)
            dims = ("batch", tdim, vdim, space)
            if not is_batch:
                data, dims = data[0], dims[1:]
            data_vars[name] = (dims, data, {"long_name": f"{type(self.model).__name__} "
                                                        f"{', '.join(voi_names)} ({name.replace('_', ' ')})",
                                            "units": "a.u."})
        diverged = st.diverged[:members].copy()
        dtime = st.divergence_time[:members].copy()
        if is_batch:
            data_vars["diverged"] = ("batch", diverged, {"long_name": "NaN/inf reached"})
            data_vars["divergence_time"] = ("batch", dtime, {"units": "ms",
                                                             "long_name": "first sample time with NaN/inf"})
            coords["batch"] = ("batch", np.arange(members))
            coords["seed"] = ("batch", np.array(seeds, dtype=np.int64))
            for key, arr in parsed.items():
                if arr.ndim == 1:
                    coords[key] = ("batch", arr)
                elif arr.shape[1:] == (N,):
                    coords[key] = (("batch", "region"), arr)
                else:
                    coords[key] = (("batch",) + tuple(f"{key}_dim{k}" for k in range(1, arr.ndim)), arr)
        else:
            data_vars["diverged"] = ((), bool(diverged[0]), {"long_name": "NaN/inf reached"})
            data_vars["divergence_time"] = ((), float(dtime[0]), {"units": "ms"})
        config = self._describe()
        config.update({"backend": self.backend,
                       "seeds": [int(s) for s in seeds], "batch": {k: v.tolist() for k, v in parsed.items()},
                       "dt": dt, "n_steps": n_steps, "horizon": H, "time_block_used": K,
                       "simulation_length": self.simulation_length})
        attrs = {
            "title": f"brainsweep simulation: {type(self.model).__name__} on {N} regions",
            "configuration": json.dumps(config, default=str),
            "brainsweep_version": _version("brainsweep"),
            "numba_version": _version("numba"),
            "numpy_version": _version("numpy"),
            "wall_time_s": elapsed,
            "dt_ms": dt,
        }
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)

    def _add_summaries(self, ds: xr.Dataset, summaries: list, values: dict, omit: set, members: int,
                       is_batch: bool) -> xr.Dataset:
        """The summaries' outputs added to ``ds`` (``values``: those computed on the GPU, by name; the others from
        the recorded series), and the series of ``omit`` (monitors summarised and not kept) left out."""
        if not summaries:
            return ds
        from .summaries import FCDSummary, fc_matrices, on_host

        names = self._monitor_names()
        labels = [str(x) for x in self.connectivity.region_labels]

        def label(arr, dims=(), coords=None, attrs=None, name=None):
            """The user's members of a GPU result as a DataArray (no batch dim for a single simulation)."""
            da = xr.DataArray(np.asarray(arr)[:members], dims=("batch", *dims), coords=coords, attrs=attrs, name=name)
            return da if is_batch else da.isel(batch=0)

        new = {}
        for summary, m, _v, _times in summaries:
            if summary.name not in values:
                new.update(on_host(summary, ds[names[m]], self._hemispheres()))
                continue
            if isinstance(summary, FCDSummary):
                new.update(self._fcd_outputs(summary, *values[summary.name], _times, members, label))
                continue
            got, n_pairs = values[summary.name]
            if summary.matrix:
                fc = fc_matrices(got["pairs"], got["constant"], got["bad"], members)
                new[summary.name] = label(fc, ("region", "region_to"), {"region": ("region", labels),
                                                                        "region_to": ("region_to", labels)},
                                          {"long_name": "functional connectivity (Pearson r)", "units": "1",
                                           "transient_ms": summary.transient}, summary.name)
            if summary.empirical is not None:
                new[f"{summary.name}_fit"] = label(got["fit"], attrs={
                    "long_name": "FC fit (Pearson r of upper triangles)", "units": "1", "n_pairs": n_pairs})
                new[f"{summary.name}_rmse"] = label(got["rmse"], attrs={
                    "long_name": "FC root-mean-square error (upper triangles)", "units": "1", "n_pairs": n_pairs})
        ds = ds.drop_vars([names[m] for m in omit if names[m] in ds.data_vars])
        spaces = {self._output_space(self.monitors[m])[0] for m in omit} - {"region"}
        unused = [d for d in ds.dims if (d.startswith(("time", "variable")) or d in spaces)
                  and not any(d in v.dims for v in ds.data_vars.values())]
        ds = ds.drop_dims(unused) if unused else ds
        for k, da in new.items():
            ds[k] = da.drop_vars([c for c in da.coords if c not in ("region", "region_to", "window", "window_to")])
        return ds

    @staticmethod
    def _fcd_outputs(summary, got: dict, width: int, starts: np.ndarray, times: np.ndarray, members: int,
                     label) -> dict:
        """An FCD summary's outputs from the GPU's values (the KS distance taken here, with ``features.fcd_ks``)."""
        from .summaries import fc_matrices

        period = features._sampling_period(times)
        attrs = {"window_ms": width * period, "step_ms": (int(starts[1] - starts[0]) if starts.size > 1 else 0) * period,
                 "transient_ms": summary.transient, "entries": summary.entries}
        values = got["values"]        # NaN for members with non-finite samples (the pair kernel's rule)
        out = {}
        if summary.matrix:
            t0 = times[features._drop_transient(times, float(summary.transient)) + starts]
            coord = {"units": "ms", "long_name": "window start"}
            out[summary.name] = label(fc_matrices(values, got["constant"], got["bad"], members), ("window", "window_to"),
                                      {"window": ("window", t0, coord), "window_to": ("window_to", t0, coord)},
                                      {"long_name": "functional connectivity dynamics", "units": "1", **attrs},
                                      summary.name)
        if summary.empirical is not None:
            ks = features.fcd_ks(xr.DataArray(values[:, :members].T, dims=("batch", "pair")),
                                 np.asarray(summary.empirical, dtype=np.float64))
            out[f"{summary.name}_ks"] = label(ks.values, attrs={"long_name": "FCD Kolmogorov-Smirnov distance",
                                                                 "units": "1", **attrs})
        return out

    def reset(self) -> None:
        """Forget the current state: the next ``run`` starts again from the initial conditions."""
        self._state = None
        self._parts = None

    @property
    def current_step(self) -> int:
        """TVB's ``current_step``: the last completed step (0 before any run)."""
        if self._parts is not None:
            return self._parts[1][0].current_step
        return 0 if self._state is None else self._state.step


__all__ = ["Simulator"]

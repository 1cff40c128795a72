"""Study specifications: a sweep spec whose ``axes`` are replaced by a ``search`` section.

::

    search:
      space:
        coupling.a: {low: 0.0, high: 0.3}                    # float
        noise.nsig: {low: 1.0e-5, high: 1.0e-3, log: true}   # log-float
        model.w: {low: 0.5, high: 1.0, step: 0.05}           # float on a grid of steps
        connectivity.conduction_speed: {low: 2, high: 20, type: int}
        model.J_N: {choices: [0.2, 0.2609, 0.3]}             # categorical
      objective: fc_fit           # a feature; or {fc_fit: 1.0, fcd_ks: -1.0} (weighted sum);
                                  # or a list of those for a multi-objective study
      direction: maximize         # or minimize; a list for several objectives (default from the feature)
      sampler: tpe                # tpe (default), cmaes, gp, random, grid, qmc
      seed: 1
      batch_size: 8               # trials simulated together in one engine batch (one Dask task)
      prune: {at: 0.5, warmup_trials: 8}   # report the objective after half the simulation; median pruner

The sampler's ``grid`` needs ``grid: n`` (points per parameter) on float/int parameters. ``repeats`` (top level)
simulates each trial with that many noise seeds and averages the objective over them. A trial's seeds derive
from the spec's seed and the trial's parameter values, exactly like a sweep point's: a trial and a grid point
with the same values give the same numbers.
"""
from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any


from .measure import SCALAR_OUTPUTS, scalar_names, stored_name
from .spec import CONNECTOME_AXES, SpecError, SweepSpec, _fail, _mapping, _number, parse_spec, read_spec_file

SAMPLERS = ("tpe", "cmaes", "gp", "random", "grid", "qmc")
#: Features an objective may use: the scalar features of the spec, and their default direction.
SCALAR_FEATURES = {"fc_fit": "maximize", "fc_rmse": "minimize", "fcd_ks": "minimize", "synchrony": "maximize",
                   "metastability": "maximize"}


@dataclass(frozen=True)
class SearchParam:
    """One searched parameter."""

    name: str
    kind: str                      # float, int or categorical
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple = ()
    grid: int | None = None
    regions: tuple = ()            # per-region parameter: one searched value per region label

    @property
    def connectome_level(self) -> bool:
        return self.name in CONNECTOME_AXES

    def expanded(self) -> list[tuple[str, "SearchParam"]]:
        """``(Optuna parameter name, parameter)``: ``model.w[rA1]``, ... for a per-region parameter."""
        if not self.regions:
            return [(self.name, self)]
        return [(f"{self.name}[{label}]", self) for label in self.regions]


@dataclass(frozen=True)
class SearchSpec:
    """The ``search`` section, validated."""

    params: tuple
    objectives: tuple              # one {feature: weight} per objective
    directions: tuple
    sampler: str = "tpe"
    seed: int = 0
    batch_size: int = 8
    prune_at: float | None = None  # fraction of the simulation after which the objective is reported
    prune_warmup_trials: int = 8

    @property
    def objective_names(self) -> tuple:
        return tuple(" + ".join(f"{w:g}*{k}" if w != 1 else k for k, w in obj.items()) for obj in self.objectives)


@dataclass(frozen=True)
class StudySpec:
    """A study: what to simulate and measure (``sim``, a :class:`SweepSpec`) and how to search (``search``)."""

    sim: SweepSpec
    search: SearchSpec

    @property
    def name(self) -> str:
        return self.sim.name

    def to_dict(self) -> dict:
        """The spec as a mapping that :func:`parse_study` reads back to an equal spec (sent to the workers)."""
        d = self.sim.to_dict()
        d.pop("axes")
        d.pop("combine")
        s = self.search
        space = {}
        for p in s.params:
            if p.kind == "categorical":
                space[p.name] = {"choices": list(p.choices)}
            else:
                space[p.name] = {k: v for k, v in (("low", p.low), ("high", p.high), ("type", p.kind),
                                                   ("log", p.log), ("step", p.step), ("grid", p.grid))
                                 if v is not None}
            if p.regions:
                space[p.name]["per_region"] = True
        d["search"] = {"space": space, "objective": [dict(o) for o in s.objectives],
                       "direction": list(s.directions), "sampler": s.sampler, "seed": s.seed,
                       "batch_size": s.batch_size}
        if s.prune_at is not None:
            d["search"]["prune"] = {"at": s.prune_at, "warmup_trials": s.prune_warmup_trials}
        return d

    def fingerprint(self) -> str:
        return hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:16]


def _param(name: str, raw) -> SearchParam:
    where = f"search.space.{name}"
    raw = _mapping(where, raw, allowed=("low", "high", "log", "step", "type", "choices", "grid", "per_region"))
    kind = raw.get("type", "categorical" if "choices" in raw else "float")
    if kind not in ("float", "int", "categorical"):
        _fail(f"{where}.type must be float, int or categorical, got {kind!r}")
    if kind == "categorical":
        choices = raw.get("choices")
        if not isinstance(choices, list) or not choices:
            _fail(f"{where}.choices must be a non-empty list")
        for c in choices:
            if not isinstance(c, (int, float)) or isinstance(c, bool):
                _fail(f"{where}.choices: every choice must be a number, got {c!r}")
        return SearchParam(name, "categorical", choices=tuple(float(c) for c in choices))
    for key in ("low", "high"):
        if key not in raw:
            _fail(f"{where} lacks {key} (or give choices: [...] for a categorical parameter)")
    low = _number(f"{where}.low", raw["low"], integer=kind == "int")
    high = _number(f"{where}.high", raw["high"], integer=kind == "int")
    if not low < high:
        _fail(f"{where}: low ({low}) must be below high ({high})")
    log = raw.get("log", False)
    if not isinstance(log, bool):
        _fail(f"{where}.log must be true or false, got {log!r}")
    if log and low <= 0:
        _fail(f"{where}: a log-scaled parameter needs low > 0, got {low}")
    step = raw.get("step")
    if step is not None:
        step = _number(f"{where}.step", step, positive=True, integer=kind == "int")
        if log:
            _fail(f"{where}: step and log cannot be combined")
    grid = raw.get("grid")
    if grid is not None:
        grid = _number(f"{where}.grid", grid, integer=True, minimum=2)
    per_region = raw.get("per_region", False)
    if not isinstance(per_region, bool):
        _fail(f"{where}.per_region must be true or false, got {per_region!r}")
    if per_region and not name.startswith("model."):
        _fail(f"{where}.per_region: only model parameters can differ between regions")
    return SearchParam(name, kind, low=low, high=high, log=log, step=step, grid=grid,
                       regions=("*",) if per_region else ())


def _objective(where: str, raw, features: set[str]) -> dict:
    if isinstance(raw, str):
        raw = {raw: 1.0}
    raw = _mapping(where, raw)
    if not raw:
        _fail(f"{where} is empty")
    out = {}
    for feat, weight in raw.items():
        if feat not in features:
            _fail(f"{where}: {feat!r} is not a scalar feature of this spec; available: {sorted(features)} "
                  "(add it under features)")
        out[str(feat)] = _number(f"{where}.{feat}", weight)
    return out


def parse_study(raw: dict, source: str = "") -> StudySpec:
    """Validate a study spec given as a mapping; raises :class:`SpecError` naming the field."""
    raw = _mapping("spec", copy.deepcopy(raw))
    if "search" not in raw:
        _fail("spec has no search section: a study needs search: {space: ..., objective: ...} "
              "(use brainsweep sweep for a grid)")
    if "axes" in raw:
        _fail("spec has both axes and search: a sweep has axes, a study has search")
    search = _mapping("search", raw.pop("search"), required=("space", "objective"),
                      allowed=("space", "objective", "direction", "sampler", "seed", "batch_size", "prune"))
    space = _mapping("search.space", search["space"])
    if not space:
        _fail("search.space is empty: give at least one parameter, e.g. coupling.a: {low: 0.0, high: 0.3}")
    params = [_param(str(name), value) for name, value in space.items()]
    # the simulation part is validated as a sweep whose axes are the searched parameters (names, components)
    raw["axes"] = {p.name: list(p.choices) if p.kind == "categorical" else [p.low, p.high] for p in params}
    raw.setdefault("batch_size", search.get("batch_size", 8))
    sim = parse_spec(raw, source=source)
    if any(p.name == "connectivity.lesion" for p in params):
        _fail("search.space: connectivity.lesion cannot be searched (use a sweep)")
    if any(p.regions for p in params):
        from dataclasses import replace

        from .build import base_connectivity
        labels = tuple(str(x) for x in base_connectivity(sim).region_labels)
        params = [replace(p, regions=labels) if p.regions else p for p in params]
        if search.get("sampler") == "grid":
            _fail("search.sampler: grid cannot search per-region parameters (one value per region); use tpe or cmaes")

    outputs = scalar_names(sim)            # store name -> output (the names measure.compute gives them)
    available = set(outputs)
    if not available:
        _fail("features: a study needs at least one scalar feature (fc_fit, fc_rmse, fcd_ks or synchrony)")
    objs = search["objective"]
    objectives = [_objective(f"search.objective[{k}]", o, available) for k, o in enumerate(objs)] \
        if isinstance(objs, list) else [_objective("search.objective", objs, available)]
    direction = search.get("direction")
    if direction is None:
        directions = []
        for k, obj in enumerate(objectives):
            if len(obj) > 1:
                _fail(f"search.direction is required for the weighted objective {obj}")
            feat = next(iter(obj))
            base = SCALAR_FEATURES[outputs[feat]]
            directions.append(base if obj[feat] > 0 else {"maximize": "minimize", "minimize": "maximize"}[base])
    else:
        directions = direction if isinstance(direction, list) else [direction]
        if len(directions) != len(objectives):
            _fail(f"search.direction: {len(directions)} direction(s) for {len(objectives)} objective(s)")
        for d in directions:
            if d not in ("maximize", "minimize"):
                _fail(f"search.direction must be maximize or minimize, got {d!r}")
    sampler = search.get("sampler", "tpe")
    if sampler not in SAMPLERS:
        _fail(f"search.sampler: unknown {sampler!r}; choose from {list(SAMPLERS)}")
    if sampler == "cmaes" and (len(objectives) > 1 or any(p.kind == "categorical" for p in params)):
        _fail("search.sampler: cmaes needs one objective and no categorical parameters; use tpe")
    if sampler == "grid":
        for p in params:
            if p.kind != "categorical" and p.grid is None:
                _fail(f"search.space.{p.name}: the grid sampler needs grid: <points> (or choices)")
    prune_at, warmup = None, 8
    if search.get("prune") is not None:
        prune = _mapping("search.prune", search["prune"], required=("at",), allowed=("at", "warmup_trials"))
        prune_at = _number("search.prune.at", prune["at"], positive=True)
        if prune_at >= 1:
            _fail(f"search.prune.at is a fraction of the simulation, 0 < at < 1, got {prune_at}")
        if len(objectives) > 1:
            _fail("search.prune: pruning needs a single objective")
        partial = sim.transient + prune_at * (sim.length - sim.transient)
        from .spec import _check_feature_fits  # the partial signal must still carry the features
        periods = dict(_monitor_periods(sim))
        for k, feat in enumerate(sim.features):
            if any(stored_name(feat, b) in objectives[0] for b in SCALAR_OUTPUTS.get(feat["name"], ())):
                period = periods[feat["monitor"]]
                try:
                    _check_feature_fits(k, feat, period, partial - sim.transient)
                except SpecError as exc:
                    _fail(f"search.prune.at = {prune_at}: too early for the objective ({exc})")
        warmup = _number("search.prune.warmup_trials", prune.get("warmup_trials", 8), integer=True, minimum=0)
    return StudySpec(sim=sim, search=SearchSpec(
        params=tuple(params), objectives=tuple(objectives), directions=tuple(directions), sampler=sampler,
        seed=_number("search.seed", search.get("seed", sim.seed), integer=True, minimum=0),
        batch_size=_number("search.batch_size", search.get("batch_size", sim.batch_size), integer=True, minimum=1),
        prune_at=prune_at, prune_warmup_trials=warmup))


def _monitor_periods(sim: SweepSpec) -> list[tuple[str, float]]:
    """(output name, sampling period in ms) of each monitor of the spec."""
    from brainsweep.engine import monitors

    insts = [getattr(monitors, m["name"])(**{k: v for k, v in m.items() if k != "name"}) for m in sim.monitors]
    return [(monitors.output_name(i), float(getattr(i, "period", sim.integrator["dt"]))) for i in insts]


def load_study(spec: Any) -> StudySpec:
    """A :class:`StudySpec` from a path (YAML or TOML), a mapping, or a study spec."""
    if isinstance(spec, StudySpec):
        return spec
    if isinstance(spec, dict):
        return parse_study(spec)
    raw, source = read_spec_file(spec)
    return parse_study(raw, source=source)


__all__ = ["SearchParam", "SearchSpec", "StudySpec", "parse_study", "load_study", "SAMPLERS"]

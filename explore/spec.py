"""Sweep specifications: what to simulate, what to measure, and which axes to sweep.

A spec is written in YAML or TOML (or given as a dict / :class:`SweepSpec`)::

    name: rww-fc-fit
    connectivity: {dataset: hcp80, conduction_speed: 10.0}     # or {tvb_data: 76} or {file: my_conn.zip}
    model: {name: ReducedWongWang, initial_state: {S: 0.1}}
    coupling: {name: Linear}
    integrator: {name: HeunStochastic, dt: 0.5, noise: {nsig: 1.0e-4}}
    monitors: [{name: BalloonWindkessel, period: 720}, {name: TemporalAverage, period: 10}]
    features:
      - {name: fc_fit, monitor: balloon_windkessel, empirical: hcp80}
      - {name: mean, monitor: temporal_average}
    length: 120000          # ms
    transient: 20000        # ms, dropped before features
    seed: 1
    repeats: 2              # independent noise realisations per parameter set (a "repeat" dimension)
    axes:
      coupling.a: {linspace: [0.0, 0.3, 8]}
      noise.nsig: {logspace: [-5, -3, 3]}
    combine: grid           # or zip
    batch_size: 16
    dtype: float32

:func:`load_spec` validates everything it can without simulating (names, types, ranges, files), raising
:class:`SpecError` with one line that names the field and what is allowed.
"""
from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

#: Features a sweep can compute per point, and the monitors' outputs they read.
FEATURES = ("fc_fit", "fc_rmse", "fcd_ks", "fc", "mean", "std", "extrema", "dominant_frequency", "synchrony",
            "timeseries")
#: Axes that change the connectome: points along them never share a batch.
CONNECTOME_AXES = ("connectivity.conduction_speed", "connectivity.long_range_scale",
                   "connectivity.interhemispheric_scale")
#: Axes evaluated per batch member without touching the shared connectome.
LANE_COMPONENTS = ("model", "coupling", "noise", "stimulus")


class SpecError(ValueError):
    """A sweep specification that cannot run; the message is one line naming the field."""


@dataclass(frozen=True)
class Axis:
    """One swept quantity: ``name`` (``component.parameter``) and its values."""

    name: str
    values: tuple

    @property
    def connectome_level(self) -> bool:
        return self.name in CONNECTOME_AXES


#: ``backend`` values: blocks on the CPU kernel, on the CUDA kernel (workers advertising a ``GPU`` resource),
#: or each worker's own choice (its GPU if it advertises one, else its CPU)
BACKENDS = ("cpu", "cuda", "auto")


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep (see the module docstring for the fields)."""

    connectivity: dict
    model: dict
    coupling: dict
    integrator: dict
    monitors: tuple
    features: tuple
    length: float
    axes: tuple
    transient: float = 0.0
    seed: int = 0
    repeats: int = 1
    combine: str = "grid"
    batch_size: int = 16
    dtype: str = "float64"
    stimulus: dict | None = None
    #: a cortical surface (surface simulation): {tvb_data: 76 or 192, local_connectivity, coupling_strength,
    #: store_vertices}; None for a region simulation
    surface: dict | None = None
    name: str = "sweep"
    #: where blocks run: "cpu", "cuda" (workers with a GPU resource) or "auto" (the GPU where a worker has one)
    backend: str = "cpu"
    source: str = field(default="", compare=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("source")
        d["axes"] = {a["name"]: list(a["values"]) for a in d["axes"]}
        d["monitors"] = list(d["monitors"])
        d["features"] = list(d["features"])
        return d

    def fingerprint(self) -> str:
        """Hash of everything that defines the results."""
        d = self.to_dict()
        d["axis_order"] = [a.name for a in self.axes]      # sort_keys below would hide the grid's order
        if d["backend"] == "cpu":
            del d["backend"]           # stores made before the GPU backend existed keep their fingerprint
        if d["surface"] is None:
            del d["surface"]           # nor do region sweeps made before surfaces
        return hashlib.sha1(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------------------- parsing
def _fail(message: str):
    raise SpecError(message)


def _check_feature_fits(k: int, feat: dict, period: float, kept_ms: float) -> None:
    """Refuse a feature that the recorded signal after the transient is too short for (before simulating)."""
    samples = int(kept_ms // period) - 1      # conservative by one: where the transient cut falls
    if feat["name"] in ("fc_fit", "fc_rmse", "fc", "synchrony") and samples < 3:
        _fail(f"features[{k}] ({feat['name']}): {kept_ms:g} ms after the transient is {samples} samples of the "
              f"{feat['monitor']} monitor (period {period:g} ms); need at least 3: lengthen the simulation")
    if feat["name"] == "fcd_ks":
        window = _number(f"features[{k}].window", feat.get("window", 21600.0), positive=True)
        step = _number(f"features[{k}].step", feat.get("step", 7200.0), positive=True)
        width, stride = int(round(window / period)), int(round(step / period))
        if stride < 1:
            _fail(f"features[{k}].step: {step:g} ms is shorter than the {feat['monitor']} period ({period:g} ms)")
        n_windows = (samples - width) // stride + 1 if samples >= width else 0
        if width < 2 or n_windows < 2:
            _fail(f"features[{k}] (fcd_ks): window {window:g} ms every {step:g} ms gives {max(n_windows, 0)} "
                  f"window(s) in the {kept_ms:g} ms ({samples} samples of {period:g} ms) after the transient; "
                  "need at least 2 windows of at least 2 samples: lengthen the simulation or shorten window/step")


def _number(where: str, value, positive: bool = False, integer: bool = False, minimum=None):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(f"{where} must be a number, got {value!r}")
    if integer and not float(value).is_integer():
        _fail(f"{where} must be an integer, got {value!r}")
    if not np.isfinite(value):
        _fail(f"{where} must be finite, got {value!r}")
    if positive and value <= 0:
        _fail(f"{where} must be > 0, got {value!r}")
    if minimum is not None and value < minimum:
        _fail(f"{where} must be >= {minimum}, got {value!r}")
    return int(value) if integer else float(value)


def _mapping(where: str, value, required=(), allowed=None) -> dict:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        _fail(f"{where} must be a mapping, got {type(value).__name__}")
    missing = [k for k in required if k not in value]
    if missing:
        _fail(f"{where} lacks {', '.join(missing)}")
    if allowed is not None:
        extra = sorted(set(value) - set(allowed))
        if extra:
            _fail(f"{where}: unknown key(s) {extra}; allowed: {sorted(allowed)}")
    return dict(value)


def logspace(start: float, stop: float, num: int) -> list[float]:
    """``10 ** linspace(start, stop, num)``, the same bits on every CPU.

    ``np.logspace`` raises 10 to a power with whatever ``np.power`` loop the CPU dispatches to: on CPUs with
    AVX-512 it is a SIMD routine whose last bit may differ from the C library's (there ``np.logspace(-5, -3, 3)[0]``
    is ``9.999999999999999e-06``). A point's seed hashes its values' text, so a grid made on one CPU then had other
    seeds, hence other noise, than the same grid on another. The exponents come from ``np.linspace`` (only +, *,
    the same everywhere); the power is taken in decimal arithmetic at 40 digits, then rounded once to a float.
    """
    import decimal

    context = decimal.Context(prec=40)
    ten = decimal.Decimal(10)
    return [float(context.power(ten, decimal.Decimal(float(y)))) for y in np.linspace(start, stop, num)]


def _axis_values(name: str, spec) -> tuple:
    where = f"axes.{name}"
    if isinstance(spec, list):
        values = spec
    else:
        spec = _mapping(where, spec, allowed=("values", "linspace", "logspace"))
        if len(spec) != 1:
            _fail(f"{where} must give exactly one of values, linspace or logspace")
        kind, args = next(iter(spec.items()))
        if kind == "values":
            values = args
        else:
            if not isinstance(args, list) or len(args) != 3:
                _fail(f"{where}.{kind} must be [start, stop, num], got {args!r}")
            start, stop = (_number(f"{where}.{kind}", a) for a in args[:2])
            num = _number(f"{where}.{kind} num", args[2], integer=True, minimum=1)
            values = list(np.linspace(start, stop, num)) if kind == "linspace" else logspace(start, stop, num)
    if not isinstance(values, list) or not values:
        _fail(f"{where} is empty: give at least one value")
    if name == "connectivity.lesion":
        out = []
        for v in values:
            regions = v if isinstance(v, list) else ([] if v in (None, "none", "") else [v])
            if not all(isinstance(r, (str, int)) and not isinstance(r, bool) for r in regions):
                _fail(f"{where}: each value is a region label, an index, a list of them or 'none'; got {v!r}")
            out.append(tuple(regions))
        return tuple(out)
    out = tuple(_number(where, v) for v in values)
    if len(set(out)) != len(out):
        _fail(f"{where} repeats values {sorted({v for v in out if out.count(v) > 1})}")
    return out


def _component(where: str, value, namespace, extra=()) -> dict:
    value = _mapping(where, value, required=("name",), allowed=("name", "parameters", *extra))
    cls = getattr(namespace, str(value["name"]), None)
    if not isinstance(cls, type):
        choices = sorted(getattr(namespace, "MODELS", None) or [n for n in getattr(namespace, "__all__", [])])
        _fail(f"{where}.name: unknown {value['name']!r}; choose from {choices}")
    params = _mapping(f"{where}.parameters", value.get("parameters"))
    allowed = getattr(cls, "_parameters", {})
    for key, v in params.items():
        if key not in allowed:
            _fail(f"{where}.parameters.{key}: {cls.__name__} has no such parameter; allowed: {list(allowed)}")
        if isinstance(v, list):
            [_number(f"{where}.parameters.{key}", x) for x in v]
        else:
            _number(f"{where}.parameters.{key}", v)
    value["parameters"] = params
    return value


def parse_spec(raw: dict, source: str = "") -> SweepSpec:
    """Validate a spec given as a mapping (see module docstring); raises :class:`SpecError`."""
    from brainsweep.engine import coupling as couplings
    from brainsweep.engine import integrators, models, monitors

    top = ("name", "connectivity", "model", "coupling", "integrator", "monitors", "features", "length",
           "transient", "seed", "repeats", "axes", "combine", "batch_size", "dtype", "stimulus", "backend", "surface")
    raw = _mapping("spec", raw, required=("connectivity", "model", "integrator", "monitors", "length", "axes"),
                   allowed=top)
    conn = _mapping("connectivity", raw["connectivity"],
                    allowed=("dataset", "tvb_data", "file", "conduction_speed", "normalization", "long_range_length"))
    sources = [k for k in ("dataset", "tvb_data", "file") if k in conn]
    if len(sources) != 1:
        _fail("connectivity must give exactly one of dataset (hcp80), tvb_data (66, 68, 76, 96, 192) or file")
    if "dataset" in conn and conn["dataset"] != "hcp80":
        _fail(f"connectivity.dataset: unknown {conn['dataset']!r}; available: hcp80 (bundled HCP AAL2 group data)")
    if "tvb_data" in conn and conn["tvb_data"] not in (66, 68, 76, 96, 192):
        _fail(f"connectivity.tvb_data must be one of 66, 68, 76, 96, 192, got {conn['tvb_data']!r}")
    if "file" in conn:
        path = Path(str(conn["file"])).expanduser()
        if not path.is_absolute() and source:
            path = Path(source).parent / path
        if not path.exists():
            _fail(f"connectivity.file: {path} does not exist")
        conn["file"] = str(path)
    if "conduction_speed" in conn:
        conn["conduction_speed"] = _number("connectivity.conduction_speed", conn["conduction_speed"], positive=True)
    if conn.get("normalization", "none") not in ("none", "max", "row_sum", "in_strength"):
        _fail(f"connectivity.normalization must be none, max, row_sum or in_strength, got {conn['normalization']!r}")

    model = _component("model", raw["model"], models, extra=("variables_of_interest", "initial_state", "cvar"))
    mcls = getattr(models, model["name"])
    if "initial_state" in model:
        state = _mapping("model.initial_state", model["initial_state"], allowed=mcls.state_variables)
        model["initial_state"] = {k: _number(f"model.initial_state.{k}", v) for k, v in state.items()}
    if "variables_of_interest" in model:
        try:
            mcls(variables_of_interest=tuple(model["variables_of_interest"]))
        except (ValueError, TypeError) as exc:
            _fail(f"model.variables_of_interest: {exc}")
    cpl = _component("coupling", raw.get("coupling", {"name": "Linear"}), couplings)
    integ = _mapping("integrator", raw["integrator"], required=("name", "dt"), allowed=("name", "dt", "noise"))
    icls = getattr(integrators, str(integ["name"]), None)
    if not isinstance(icls, type) or not issubclass(icls, integrators.Integrator):
        _fail(f"integrator.name: unknown {integ['name']!r}; choose from {integrators.__all__[2:-1]}")
    integ["dt"] = _number("integrator.dt", integ["dt"], positive=True)
    if issubclass(icls, integrators.IntegratorStochastic):
        noise = _mapping("integrator.noise", integ.get("noise"), allowed=("name", "nsig", "parameters"))
        if noise.get("name", "Additive") not in ("Additive", "Multiplicative"):
            _fail(f"integrator.noise.name must be Additive or Multiplicative, got {noise['name']!r}")
        noise["nsig"] = _number("integrator.noise.nsig", noise.get("nsig", 1.0), minimum=0)
        integ["noise"] = noise
    elif "noise" in integ:
        _fail(f"integrator.noise: {integ['name']} is deterministic; use EulerStochastic or HeunStochastic")

    surface = raw.get("surface")
    if surface is not None:
        surface = _mapping("surface", surface, required=("tvb_data",),
                           allowed=("tvb_data", "local_connectivity", "coupling_strength", "store_vertices"))
        if surface["tvb_data"] not in (76, 192):
            _fail(f"surface.tvb_data must be 76 or 192 (tvb-data's 16k cortex mapped to those connectomes), got "
                  f"{surface['tvb_data']!r}")
        if conn.get("tvb_data", surface["tvb_data"]) != surface["tvb_data"] or "tvb_data" not in conn:
            _fail(f"surface.tvb_data: the cortex maps onto tvb-data's {surface['tvb_data']}-region connectome; set "
                  f"connectivity: {{tvb_data: {surface['tvb_data']}}}")
        for key in ("local_connectivity", "store_vertices"):
            if not isinstance(surface.setdefault(key, key == "local_connectivity"), bool):
                _fail(f"surface.{key} must be true or false, got {surface[key]!r}")
        surface["coupling_strength"] = _number("surface.coupling_strength", surface.get("coupling_strength", 1.0),
                                               minimum=0)
    mons = raw["monitors"]
    if not isinstance(mons, list) or not mons:
        _fail("monitors must be a non-empty list, e.g. [{name: TemporalAverage, period: 1.0}]")
    monitor_names, monitor_periods = [], []
    parsed_mons = []
    for k, mon in enumerate(mons):
        mon = _mapping(f"monitors[{k}]", mon, required=("name",))
        cls = getattr(monitors, str(mon["name"]), None)
        if not isinstance(cls, type) or not issubclass(cls, monitors.Monitor):
            _fail(f"monitors[{k}].name: unknown {mon['name']!r}; choose from Raw, SubSample, TemporalAverage, Bold, "
                  "BalloonWindkessel, PoissonSpikes, EEG, MEG, iEEG")
        kwargs = {k2: v for k2, v in mon.items() if k2 != "name"}
        try:
            instance = cls(**kwargs)
            instance.istep(integ["dt"])
        except (TypeError, ValueError) as exc:
            _fail(f"monitors[{k}]: {exc}")
        if surface is not None and not surface["store_vertices"] and cls.output_space is monitors.Monitor.output_space \
                and not getattr(instance, "needs_spatial_mask", False):
            hint = " (or region_average: true)" if mon["name"] == "Bold" else ""
            _fail(f"monitors[{k}]: {mon['name']} would record every vertex of the 16,384-vertex surface; record "
                  f"region means (SpatialAverage{hint}) or sensors (EEG, MEG), or set surface.store_vertices: true")
        monitor_names.append(monitors.output_name(instance))
        monitor_periods.append(float(getattr(instance, "period", integ["dt"])))
        parsed_mons.append(mon)

    feats = []
    for k, feat in enumerate(raw.get("features") or []):
        feat = _mapping(f"features[{k}]", feat, required=("name",),
                        allowed=("name", "monitor", "empirical", "as", "exclude_interhemispheric", "window", "step",
                                 "fmin", "fmax", "variable", "every"))
        if feat["name"] not in FEATURES:
            _fail(f"features[{k}].name: unknown {feat['name']!r}; choose from {list(FEATURES)}")
        feat.setdefault("monitor", monitor_names[0])
        if feat["monitor"] not in monitor_names:
            _fail(f"features[{k}].monitor: no monitor {feat['monitor']!r} in this spec; monitors: {monitor_names}")
        if feat["name"] in ("fc_fit", "fc_rmse", "fcd_ks"):
            if feat.get("empirical") not in ("hcp80",) and not (isinstance(feat.get("empirical"), str)
                                                               and Path(feat["empirical"]).exists()):
                _fail(f"features[{k}].empirical must be hcp80 (bundled) or an existing .npy/.txt/.csv FC file")
        if "every" in feat:
            if feat["name"] != "timeseries":
                _fail(f"features[{k}].every only applies to timeseries")
            _number(f"features[{k}].every", feat["every"], integer=True, minimum=1)
        feats.append(feat)

    length = _number("length", raw["length"], positive=True)
    transient = _number("transient", raw.get("transient", 0.0), minimum=0)
    if transient >= length:
        _fail(f"transient ({transient} ms) must be shorter than length ({length} ms)")
    for k, feat in enumerate(feats):
        _check_feature_fits(k, feat, monitor_periods[monitor_names.index(feat["monitor"])], length - transient)
    axes_raw = _mapping("axes", raw["axes"])
    if not axes_raw:
        _fail("axes is empty: give at least one axis, e.g. coupling.a: {linspace: [0, 0.1, 8]}")
    axes = []
    for name, values in axes_raw.items():
        comp, _, pname = str(name).partition(".")
        if name in CONNECTOME_AXES or name == "connectivity.lesion":
            pass
        elif comp == "model":
            if pname not in mcls._parameters:
                _fail(f"axes.{name}: {mcls.__name__} has no parameter {pname!r}; allowed: {list(mcls._parameters)}")
        elif comp == "coupling":
            ccls = getattr(couplings, cpl["name"])
            if pname not in ccls._parameters:
                _fail(f"axes.{name}: {ccls.__name__} has no parameter {pname!r}; allowed: {list(ccls._parameters)}")
        elif comp == "noise":
            if "noise" not in integ or pname not in ("nsig",):
                _fail(f"axes.{name}: only noise.nsig can be swept, with a stochastic integrator")
        elif comp == "stimulus":
            if raw.get("stimulus") is None:
                _fail(f"axes.{name}: the spec has no stimulus")
        else:
            _fail(f"axes.{name}: unknown axis; use model.<p>, coupling.<p>, noise.nsig, stimulus.<p>, "
                  f"connectivity.lesion or one of {list(CONNECTOME_AXES)}")
        if name == "connectivity.long_range_scale" and "long_range_length" not in conn:
            _fail("axes.connectivity.long_range_scale needs connectivity.long_range_length (mm)")
        axes.append(Axis(str(name), _axis_values(str(name), values)))
    combine = raw.get("combine", "grid")
    if combine not in ("grid", "zip"):
        _fail(f"combine must be grid or zip, got {combine!r}")
    if combine == "zip" and len({len(a.values) for a in axes}) > 1:
        _fail(f"combine: zip needs axes of equal length, got {[len(a.values) for a in axes]}")
    dtype = raw.get("dtype", "float64")
    if dtype not in ("float64", "float32"):
        _fail(f"dtype must be float64 or float32, got {dtype!r}")
    backend = raw.get("backend", "cpu")
    if backend not in BACKENDS:
        _fail(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    stim = raw.get("stimulus")
    if stim is not None:
        stim = _mapping("stimulus", stim, required=("temporal", "regions"), allowed=("temporal", "regions", "weight"))
        from brainsweep.engine import equations

        stim["temporal"] = _component("stimulus.temporal", stim["temporal"], equations)
        _number("stimulus.weight", stim.get("weight", 1.0))
    return SweepSpec(
        name=str(raw.get("name", "sweep")), connectivity=conn, model=model, coupling=cpl, integrator=integ,
        monitors=tuple(parsed_mons), features=tuple(feats), length=length, transient=transient,
        seed=_number("seed", raw.get("seed", 0), integer=True, minimum=0),
        repeats=_number("repeats", raw.get("repeats", 1), integer=True, minimum=1), axes=tuple(axes),
        combine=combine, batch_size=_number("batch_size", raw.get("batch_size", 16), integer=True, minimum=1),
        dtype=dtype, stimulus=stim, backend=backend, surface=surface, source=source)


def read_spec_file(spec) -> tuple[dict, str]:
    """The mapping in a YAML or TOML spec file and the file's absolute path; :class:`SpecError` otherwise."""
    path = Path(spec)
    if not path.exists():
        _fail(f"spec file {path} does not exist")
    text = path.read_text()
    try:
        raw = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        _fail(f"{path}: not valid {'TOML' if path.suffix == '.toml' else 'YAML'}: {str(exc).splitlines()[0]}")
    return raw, str(path.resolve())


def load_spec(spec: Any) -> SweepSpec:
    """A :class:`SweepSpec` from a path (YAML or TOML), a mapping, or a spec."""
    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, dict):
        return parse_spec(spec)
    raw, source = read_spec_file(spec)
    return parse_spec(raw, source=source)


__all__ = ["SweepSpec", "Axis", "SpecError", "load_spec", "parse_spec", "logspace", "FEATURES", "CONNECTOME_AXES"]

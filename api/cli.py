"""The ``brainsweep`` command.

``brainsweep sweep spec.yaml -o results.zarr`` runs a parameter sweep on an embedded Dask LocalCluster (or an
existing cluster with ``--scheduler``), streaming results into a Zarr store that can be resumed.
``brainsweep simulate`` runs one simulation (or one batch) from command-line options; with no options it
runs TVB's basic resting-state script (Generic2dOscillator on TVB's 76-region connectome, Linear coupling
0.042, Heun dt = 2**-4 ms, TemporalAverage 2 ms, 10 s) and prints what it did and how fast.
``brainsweep info`` prints versions, the models and where compiled kernels are cached.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np


def _number_list(text: str) -> np.ndarray:
    """``0.1,0.2``, ``linspace(0,1,16)`` or ``logspace(-4,-2,8)``."""
    m = re.fullmatch(r"\s*(linspace|logspace)\(([^)]*)\)\s*", text)
    if m:
        args = [float(a) for a in m.group(2).split(",")]
        if len(args) != 3:
            raise argparse.ArgumentTypeError(f"{m.group(1)} needs (start, stop, num), got {text!r}")
        if m.group(1) == "logspace":
            from brainsweep.explore.spec import logspace   # the same bits on every CPU (see there)

            return np.array(logspace(args[0], args[1], int(args[2])))
        return np.linspace(args[0], args[1], int(args[2]))
    try:
        return np.array([float(v) for v in text.split(",")])
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 0.1,0.2 or linspace(0,1,16), got {text!r}") from None


def _assignment(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected component.parameter=value, got {text!r}")
    key, value = text.split("=", 1)
    return key.strip(), value.strip()


def _build(args):
    import brainsweep as bs

    if re.fullmatch(r"\d+", args.connectivity):
        conn = bs.Connectivity.from_tvb_data(int(args.connectivity))
    else:
        conn = bs.Connectivity.from_file(args.connectivity)
    if args.speed is not None:
        conn = conn.with_speed(args.speed)
    components = {"model": getattr(bs.models, args.model, None), "coupling": getattr(bs.coupling, args.coupling, None)}
    for kind, cls in components.items():
        if cls is None:
            choices = sorted(bs.models.MODELS) if kind == "model" else sorted(bs.coupling.__all__[1:])
            raise SystemExit(f"brainsweep: unknown {kind} {getattr(args, kind)!r}; choose from {choices}")
    params = {"model": {}, "coupling": {}}
    for key, value in args.param:
        comp, _, name = key.partition(".")
        if comp not in params or not name:
            raise SystemExit(f"brainsweep: --param {key}: use model.<name> or coupling.<name>")
        params[comp][name] = _number_list(value) if "," in value or "(" in value else float(value)
    model = components["model"](**params["model"])
    if args.voi:
        model.variables_of_interest = tuple(v.strip() for v in args.voi.split(","))
    coupling = components["coupling"](**params["coupling"])
    if args.nsig:
        integ_cls = getattr(bs.integrators, args.integrator.replace("Deterministic", "Stochastic"), None)
        if integ_cls is None:
            raise SystemExit(f"brainsweep: {args.integrator} has no stochastic variant; use Euler or Heun")
        integrator = integ_cls(dt=args.dt, noise=bs.noise.Additive(nsig=args.nsig))
    else:
        integrator = getattr(bs.integrators, args.integrator)(dt=args.dt)
    monitors = []
    for spec in args.monitor:
        name, _, period = spec.partition(":")
        cls = getattr(bs.monitors, name, None)
        if cls is None or not isinstance(cls, type) or not issubclass(cls, bs.monitors.Monitor):
            raise SystemExit(f"brainsweep: unknown monitor {name!r}; choose from Raw, SubSample, TemporalAverage")
        monitors.append(cls() if name == "Raw" else cls(period=float(period) if period else 0.9765625))
    return bs.Simulator(conn, model, coupling, integrator, monitors, seed=args.seed, dtype=args.dtype,
                        backend=args.backend, threads=args.threads)


def simulate(args) -> int:
    from brainsweep.engine.cuda import CudaUnavailable

    try:
        sim = _build(args)
        batch = {key: _number_list(value) for key, value in args.batch} or None
        seeds = _number_list(args.seeds).astype(int) if args.seeds else None
        t0 = time.perf_counter()
        ds = sim.run(args.length, batch=batch, seeds=seeds)
        wall = time.perf_counter() - t0
    except (ValueError, TypeError, MemoryError, CudaUnavailable) as exc:
        print(f"brainsweep: {exc}", file=sys.stderr)
        return 2
    members = ds.sizes.get("batch", 1)
    config = json.loads(ds.attrs["configuration"])
    if not args.quiet:
        print(f"model        {config['model']['class']} on {sim.connectivity.number_of_regions} regions "
              f"({sim.connectivity.source}), conduction speed {config['connectivity']['conduction_speed']} mm/ms")
        print(f"coupling     {sim.coupling!r}")
        print(f"integrator   {type(sim.integrator).__name__}(dt={sim.integrator.dt}), dtype {sim.dtype}")
        print(f"simulated    {args.length:g} ms x {members} member(s) in {wall:.2f} s wall "
              f"({members * args.length / 1000 / wall:.1f} simulated s per wall s, kernel compile/load included)")
        for name, da in ds.data_vars.items():
            if name in ("diverged", "divergence_time"):
                continue
            print(f"recorded     {name}{tuple(da.dims)} = {tuple(da.shape)}, range [{float(da.min()):.4g}, "
                  f"{float(da.max()):.4g}]")
        diverged = int(np.sum(ds.diverged.values))
        print(f"diverged     {diverged} of {members}")
    if args.output:
        path = Path(args.output)
        out = ds.copy()
        out.attrs = {k: (str(v) if isinstance(v, bool) else v) for k, v in out.attrs.items()}
        out["diverged"] = out["diverged"].astype("int8")
        out.to_netcdf(path)
        if not args.quiet:
            print(f"written      {path}")
    return 0


def sweep(args) -> int:
    from brainsweep import storage
    from brainsweep.explore import SpecError, SweepReport
    from brainsweep.explore import sweep as run_sweep
    from brainsweep.explore.schedule import ClusterError

    from brainsweep.deploy import ClusterLaunchError

    report = SweepReport(store=args.output)
    say = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    try:
        if args.cluster != "local":
            from brainsweep.explore import load_spec
            load_spec(args.spec)  # a bad spec fails before any job or pod is started
        with _cluster_client(args, say) as client:
            ds = run_sweep(args.spec, args.output, client, scheduler=args.scheduler,
                           scheduler_file=args.scheduler_file, n_workers=args.workers, overwrite=args.overwrite,
                           quiet=args.quiet, report=report, announce=say, backend=args.backend)
    except (SpecError, ClusterError, ClusterLaunchError, storage.StoreMismatchError,
            storage.StoreNotWritableError) as exc:
        print(f"brainsweep: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nbrainsweep: interrupted; {args.output} keeps every block already written. Run the same command "
              "again to compute only the missing points.", file=sys.stderr)
        return 130
    print(f"sweep        {report.points} points in {report.blocks} blocks ({report.skipped_blocks} already done), "
          f"{report.wall_s:.1f} s wall, {report.workers} worker(s)")
    print(f"status       {report.ok} ok, {report.diverged} diverged, {report.failed} failed")
    print(f"stored       {args.output}  (xarray.open_zarr)")
    if "fc_fit" in ds:
        fit = ds["fc_fit"].load()
        mean = fit.mean("repeat") if "repeat" in fit.dims else fit
        if mean.ndim and bool(mean.notnull().any()):
            flat = mean.stack(point=mean.dims)
            best = flat.isel(point=int(flat.argmax("point", skipna=True)))
            where = ", ".join(f"{d} = {best[d].item():.4g}" if isinstance(best[d].item(), float)
                              else f"{d} = {best[d].item()}" for d in mean.dims)
            print(f"best FC fit  r = {float(best):.3f} at {where}")
        else:
            print("best FC fit  none (no point finished)")
    return 0


def optimize(args) -> int:
    from brainsweep import storage
    from brainsweep.explore import SpecError, StudyMismatchError, StudyReport
    from brainsweep.explore import optimize as run_study
    from brainsweep.explore.schedule import ClusterError

    from brainsweep.deploy import ClusterLaunchError

    report = StudyReport(store=args.output)
    say = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    try:
        if args.cluster != "local":
            from brainsweep.explore import load_study
            load_study(args.spec)  # a bad spec fails before any job or pod is started
        with _cluster_client(args, say) as client:
            run_study(args.spec, args.output, args.trials, study_name=args.study, storage_url=args.storage,
                      client=client, scheduler=args.scheduler, scheduler_file=args.scheduler_file,
                      n_workers=args.workers, overwrite=args.overwrite, quiet=args.quiet, report=report,
                      announce=say, backend=args.backend)
    except (SpecError, ClusterError, ClusterLaunchError, StudyMismatchError, storage.StoreMismatchError,
            storage.StoreNotWritableError) as exc:
        print(f"brainsweep: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nbrainsweep: interrupted; the study and {args.output} keep every finished trial. Run the same "
              "command again to resume it.", file=sys.stderr)
        return 130
    ran = report.complete + report.pruned + report.failed
    others = report.finished_total - report.previously_finished - ran
    print(f"study        {report.study_name!r} in {report.storage}: {report.finished_total} of "
          f"{report.requested} trials finished ({ran} now, {report.previously_finished} before"
          + (f", {others} by other clients meanwhile" if others else "")
          + (f", {report.abandoned_recovered} abandoned trial(s) asked again" if report.abandoned_recovered else "")
          + (f", {report.surplus} surplus trial(s) dropped unrun" if report.surplus else "")
          + f"), {report.wall_s:.1f} s wall, {report.workers} worker(s)")
    print(f"trials       {report.complete} complete, {report.pruned} pruned, {report.failed} failed")
    print(f"stored       {args.output}  (xarray.open_zarr; optuna-dashboard {report.storage})")
    for best in report.best[:3]:
        items = list(best["params"].items())
        where = ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}" for k, v in items[:6])
        where += f", ... ({len(items)} parameters; see the store)" if len(items) > 6 else ""
        values = ", ".join(f"{v:.4f}" for v in best["values"])
        print(f"best         trial {best['number']}: {values} at {where}")
    return 0


def dashboard(args) -> int:
    from brainsweep.dashboards import serve

    loopback = args.address in ("127.0.0.1", "localhost", "::1")
    if not loopback and not args.allow_remote:
        print(f"brainsweep: --address {args.address} would expose the dashboard beyond this machine; add "
              "--allow-remote to do so on purpose", file=sys.stderr)
        return 2
    if not loopback:
        print(f"warning: serving on {args.address}: anyone who can reach this address can see the results",
              file=sys.stderr)
    missing = [p for p in args.stores if not Path(p).exists()]
    if missing:
        print(f"brainsweep: no such store: {', '.join(missing)}", file=sys.stderr)
        return 2
    # the views are drawn once before serving (a second or two): say so, or the command looks stuck
    print("preparing    the views", flush=True)
    try:
        server = serve(args.stores, address=args.address, port=args.port, show=False)
    except OSError as exc:      # the port is taken (or the address is not this machine's): one line
        print(f"brainsweep: cannot serve on {args.address}:{args.port}: {exc} (--port to choose another)",
              file=sys.stderr)
        return 2
    server.start()
    print(f"dashboard    http://{args.address}:{server.port}/  (Ctrl-C stops it)", flush=True)
    if not args.no_browser:
        server.io_loop.add_callback(server.show, "/")
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    return 0


def report(args) -> int:
    from brainsweep.dashboards import StoreError
    from brainsweep.dashboards.report import write_report

    try:
        files = write_report(args.stores, args.output, args.png)
    except StoreError as exc:
        print(f"brainsweep: {exc}", file=sys.stderr)
        return 2
    for f in files:
        print(f"written      {f}")
    return 0


def info(args) -> int:
    import numba

    import brainsweep as bs
    from brainsweep.engine import _numba_support
    from brainsweep.engine.kernel import cache_dir

    print(f"brainsweep {bs.__version__}, numba {numba.__version__}, numpy {np.__version__}")
    print(f"kernel cache {cache_dir()}")
    print(f"512-bit vectors {'on' if _numba_support.WIDE_VECTORS else 'off'}")
    print("models       " + ", ".join(sorted(bs.models.MODELS)))
    print("couplings    " + ", ".join(bs.coupling.__all__[1:]))
    print("connectomes  tvb-data " + ", ".join(str(n) for n in bs.Connectivity.tvb_data_sizes()) + " regions")
    return 0


def _cluster_arguments(p: argparse.ArgumentParser, overwrite: str) -> None:
    """Where a sweep or study runs, and how it treats an existing store (the same for both commands)."""
    p.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler (tcp://host:8786)")
    p.add_argument("--scheduler-file", default=None, help="Dask scheduler file of an existing cluster")
    p.add_argument("--workers", type=int, default=None,
                   help="workers of the embedded LocalCluster (default: cores); with --cluster kubernetes: worker pods")
    p.add_argument("--overwrite", action="store_true", help=overwrite)
    p.add_argument("--quiet", action="store_true", help="no progress bar (batch jobs)")
    p.add_argument("--backend", choices=["cpu", "cuda", "auto"], default=None,
                   help="where blocks run (overrides the spec's backend): cpu, cuda (workers with a GPU resource; "
                        "the embedded cluster starts one GPU worker) or auto (each worker's GPU if it has one)")
    p.add_argument("--gpu", dest="backend", action="store_const", const="cuda", help="same as --backend cuda")
    c = p.add_argument_group("clusters started for this run (worker jobs / pods are released at the end, on "
                             "Ctrl-C and on SIGTERM)")
    c.add_argument("--cluster", choices=["local", "slurm", "kubernetes"], default="local",
                   help="local: an embedded LocalCluster (default); slurm: Dask workers as Slurm jobs "
                        "(dask-jobqueue); kubernetes: a DaskCluster through the Dask operator")
    c.add_argument("--jobs", type=int, default=None, help="slurm: worker jobs to submit (default 1)")
    c.add_argument("--jobqueue-config", default=None, metavar="YAML",
                   help="slurm: dask-jobqueue settings (default: brainsweep's deploy/slurm/jobqueue.yaml)")
    c.add_argument("--cores", type=int, default=None, help="slurm: CPUs per worker job (one worker per CPU)")
    c.add_argument("--memory", default=None, help="slurm: memory per worker job, e.g. 4GiB")
    c.add_argument("--walltime", default=None, help="slurm: time limit of a worker job, HH:MM:SS")
    c.add_argument("--account", default=None, help="slurm: account to charge")
    c.add_argument("--partition", default=None, help="slurm: partition (queue)")
    c.add_argument("--job-extra", action="append", default=None, metavar="SBATCH_OPTION",
                   help="slurm: another #SBATCH option, e.g. --job-extra=--qos=low (repeatable)")
    c.add_argument("--interface", default=None, help="slurm: network interface of scheduler and workers (e.g. ib0)")
    c.add_argument("--log-directory", default=None, help="slurm: directory for the worker jobs' logs")
    c.add_argument("--image", default=None, help="kubernetes: the brainsweep container image of the pods")
    c.add_argument("--namespace", default=None, help="kubernetes: namespace (default: kubectl's current one)")
    c.add_argument("--pod-memory", default="2Gi", help="kubernetes: memory of a worker pod (default 2Gi)")
    c.add_argument("--secret", default=None,
                   help="kubernetes: a Secret whose keys become the pods' environment (store credentials)")


def _cluster_client(args, say):
    """The launcher ``--cluster`` asks for, as a context manager yielding a client (``None`` for local)."""
    import contextlib

    from brainsweep.deploy import ClusterLaunchError

    only = {"slurm": ("jobs", "jobqueue_config", "cores", "memory", "walltime", "account", "partition", "job_extra",
                      "interface", "log_directory"),
            "kubernetes": ("image", "namespace", "secret")}
    for kind, names in only.items():
        given = [n for n in names if getattr(args, n) is not None]
        if given and args.cluster != kind:
            flag = "--" + given[0].replace("_", "-")
            raise ClusterLaunchError(f"{flag} needs --cluster {kind} (this run: --cluster {args.cluster})")
    if args.cluster == "local":
        return contextlib.nullcontext(None)
    if args.scheduler or args.scheduler_file:
        raise ClusterLaunchError(f"--cluster {args.cluster} starts its own scheduler: leave out --scheduler and "
                                 "--scheduler-file")
    if args.cluster == "slurm":
        from brainsweep.deploy import slurm_client, slurm_settings

        if args.workers is not None:
            raise ClusterLaunchError("--workers is for the local cluster; with --cluster slurm use --jobs (worker "
                                     "jobs) and --cores (workers per job)")
        settings = slurm_settings(args.jobqueue_config, cores=args.cores, memory=args.memory,
                                  walltime=args.walltime, account=args.account, queue=args.partition,
                                  job_extra_directives=args.job_extra, interface=args.interface,
                                  log_directory=args.log_directory)
        return slurm_client(args.jobs if args.jobs is not None else 1, settings, announce=say)
    from brainsweep.deploy import kubernetes_client, kubernetes_spec

    if not args.image:
        raise ClusterLaunchError("--cluster kubernetes needs --image (a brainsweep image the cluster can pull)")
    spec = kubernetes_spec(args.workers or 1, args.image, memory=args.pod_memory, secret=args.secret)
    return kubernetes_client(spec, namespace=args.namespace, announce=say)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="brainsweep", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("simulate", help="run one simulation or batch (default: TVB's resting-state example)")
    s.add_argument("--connectivity", default="76", help="tvb-data size (66, 68, 76, 96, 192) or a TVB zip path")
    s.add_argument("--speed", type=float, default=None, help="conduction speed, mm/ms (default: the connectome's)")
    s.add_argument("--model", default="Generic2dOscillator")
    s.add_argument("--coupling", default="Linear")
    s.add_argument("--param", type=_assignment, action="append", default=[("coupling.a", "0.042")],
                   metavar="COMPONENT.NAME=VALUE", help="e.g. model.a=-0.5 or coupling.a=0.01 (repeatable)")
    s.add_argument("--voi", default=None, help="variables of interest, comma separated")
    s.add_argument("--integrator", default="HeunDeterministic",
                   choices=["EulerDeterministic", "HeunDeterministic", "RungeKutta4thOrderDeterministic"])
    s.add_argument("--dt", type=float, default=2 ** -4, help="integration step, ms")
    s.add_argument("--nsig", type=float, default=0.0, help="additive noise nsig (makes the scheme stochastic)")
    s.add_argument("--monitor", action="append", default=None, metavar="NAME[:PERIOD]",
                   help="Raw, SubSample:1.0 or TemporalAverage:2.0 (repeatable; default TemporalAverage:2.0)")
    s.add_argument("--length", type=float, default=10_000.0, help="simulation length, ms")
    s.add_argument("--batch", type=_assignment, action="append", default=[], metavar="COMPONENT.NAME=VALUES",
                   help="a batch axis, e.g. coupling.a=linspace(0,0.1,32) (repeatable, zipped)")
    s.add_argument("--seeds", default=None, help="one seed per batch member, e.g. 0,1,2 or linspace(0,31,32)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    s.add_argument("--threads", type=int, default=1,
                   help="CPU threads the batch is spread over (up to the number of cores; same numbers)")
    s.add_argument("--backend", default="cpu", choices=["cpu", "cuda"], help="where the kernel runs")
    s.add_argument("--gpu", dest="backend", action="store_const", const="cuda", help="same as --backend cuda")
    s.add_argument("-o", "--output", default=None, help="write the results as NetCDF")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=simulate)
    w = sub.add_parser("sweep", help="run a parameter sweep into a Zarr store (resumable)")
    w.add_argument("spec", help="sweep spec, YAML or TOML")
    w.add_argument("-o", "--output", required=True, help="Zarr store (a directory) for the results")
    _cluster_arguments(w, overwrite="replace a store made from another spec")
    w.set_defaults(func=sweep)
    o = sub.add_parser("optimize", help="run or resume an Optuna study whose trials run on Dask workers")
    o.add_argument("spec", help="study spec (YAML or TOML) with a search section")
    o.add_argument("--trials", type=int, required=True, help="finished trials the study should have in total")
    o.add_argument("--study", default=None, help="study name (default: the spec's name)")
    o.add_argument("-o", "--output", required=True, help="Zarr store for the trials")
    o.add_argument("--storage", default=None,
                   help="Optuna storage: a journal file path, an RDB URL (postgresql://...), or dask[:PATH] "
                        "(held on the Dask scheduler); default: RESULTS.optuna.log next to the store")
    _cluster_arguments(o, overwrite="delete the study and the store and start again")
    o.set_defaults(func=optimize)
    d = sub.add_parser("dashboard", help="serve a live view of result stores (sweeps and studies)")
    d.add_argument("stores", nargs="+", help="Zarr result stores")
    d.add_argument("--address", default="127.0.0.1", help="address to bind (default loopback)")
    d.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    d.add_argument("--no-browser", action="store_true", help="do not open a browser")
    d.add_argument("--allow-remote", action="store_true", help="allow binding to a non-loopback address")
    d.set_defaults(func=dashboard)
    r = sub.add_parser("report", help="write a standalone HTML report (and PNGs) of result stores")
    r.add_argument("stores", nargs="+", help="Zarr result stores")
    r.add_argument("-o", "--output", required=True, help="HTML file to write")
    r.add_argument("--png", default=None, metavar="DIR", help="also write each figure as a PNG into DIR")
    r.set_defaults(func=report)
    k = sub.add_parser("deploy", help="render cluster manifests (Kubernetes DaskCluster)")
    ksub = k.add_subparsers(dest="target", required=True)
    kk = ksub.add_parser("kubernetes", help="a DaskCluster for the Dask Kubernetes operator, as YAML")
    kk.add_argument("--workers", type=int, required=True, help="worker pods (one single-threaded worker each)")
    kk.add_argument("--image", required=True, help="brainsweep container image the cluster can pull")
    kk.add_argument("--name", default="brainsweep", help="the DaskCluster's name (default brainsweep)")
    kk.add_argument("--cpu", default="1", help="CPU request and limit of a worker pod (default 1)")
    kk.add_argument("--memory", default="2Gi", help="memory request and limit of a worker pod (default 2Gi)")
    kk.add_argument("--scheduler-memory", default="2Gi", help="memory of the scheduler pod (default 2Gi)")
    kk.add_argument("--secret", default=None,
                    help="a Secret whose keys become every pod's environment (e.g. AWS_ACCESS_KEY_ID for s3:// stores)")
    kk.add_argument("--with-secret-template", action="store_true",
                    help="also write an example Secret named by --secret (fill in before applying)")
    kk.add_argument("-o", "--output", default=None, help="file to write (default: print to stdout)")
    kk.set_defaults(func=deploy_kubernetes)
    i = sub.add_parser("info", help="versions, models, kernel cache")
    i.set_defaults(func=info)
    t = sub.add_parser("port", help="rewrite a TVB script's imports to brainsweep.lab (prints it, or writes -o)")
    t.add_argument("script", help="a Python script that imports tvb.simulator.lab / tvb.simulator / tvb.datatypes")
    t.add_argument("-o", "--output", default=None, help="file to write (default: print to stdout)")
    t.set_defaults(func=port)
    return p


def _version() -> str:
    import brainsweep

    return brainsweep.__version__


def deploy_kubernetes(args) -> int:
    """``brainsweep deploy kubernetes``: a DaskCluster manifest for ``kubectl apply -f``."""
    from brainsweep.deploy import ClusterLaunchError, kubernetes_spec, render_kubernetes

    if args.with_secret_template and not args.secret:
        print("brainsweep: --with-secret-template needs --secret NAME", file=sys.stderr)
        return 2
    try:
        spec = kubernetes_spec(args.workers, args.image, name=args.name, cpu=args.cpu, memory=args.memory,
                               scheduler_memory=args.scheduler_memory, secret=args.secret)
    except ClusterLaunchError as exc:
        print(f"brainsweep: {exc}", file=sys.stderr)
        return 2
    command = "brainsweep deploy kubernetes " + " ".join(sys.argv[3:] if sys.argv[1:3] == ["deploy", "kubernetes"]
                                                         else [])
    header = (f"Rendered by: {command.strip()}\n(brainsweep {_version()}). Needs the Dask Kubernetes operator in the "
              "cluster; apply with kubectl apply -f FILE,\nthen: brainsweep sweep spec.yaml -o s3://bucket/out.zarr "
              f"--scheduler tcp://{args.name}-scheduler:8786 (from a pod in the cluster)\nor kubectl port-forward "
              f"svc/{args.name}-scheduler 8786 and --scheduler tcp://127.0.0.1:8786. Delete: kubectl delete "
              f"daskcluster {args.name}")
    text = render_kubernetes(spec, secret_template=args.secret if args.with_secret_template else None,
                             header=header)
    if args.output:
        Path(args.output).write_text(text)
        print(f"written      {args.output}: DaskCluster {args.name!r}, {args.workers} worker pod(s) of {args.cpu} CPU "
              f"and {args.memory}; kubectl apply -f {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def port(args) -> int:
    """``brainsweep port script.py``: the script with its TVB import lines pointing at brainsweep.lab."""
    from brainsweep.lab.porting import REWRITES, port_source

    path = Path(args.script)
    if not path.is_file():
        print(f"brainsweep port: no such file {path}", file=sys.stderr)
        return 2
    source = path.read_text()
    ported = port_source(source)
    changed = sum(a != b for a, b in zip(source.splitlines(), ported.splitlines()))
    if args.output:
        Path(args.output).write_text(ported)
    else:
        sys.stdout.write(ported)
    print(f"brainsweep port: {changed} import line(s) rewritten ({', '.join(a for a, _ in REWRITES)} -> "
          f"brainsweep.lab)", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "monitor", False) is None:
        args.monitor = ["TemporalAverage:2.0"]
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Optuna studies whose trials run in engine batches across Dask workers.

The client holds the study: it asks the sampler for a batch of trials, sends the batch to a worker as one task
(one kernel call for all of them), tells the results back, and writes each finished trial into the Zarr store
(a ``trial`` dimension). One batch per worker is in flight, so every core works while the sampler still sees
results early; TPE's constant liar (Optuna 5's default) keeps batches asked while others run diverse.

Study storage: by default an Optuna journal file next to the results (``results.zarr`` ->
``results.optuna.log``, readable by ``optuna-dashboard``); any Optuna storage URL (``postgresql://...``,
``sqlite:///...``) or ``dask`` / ``dask:PATH`` (storage held on the Dask scheduler, optionally journaled to
``PATH`` on its disk). Running the same command again resumes the study up to ``trials`` trials in total.

Trials whose task fails (worker killed more often than ``retries``, or an error) are told FAIL with the reason;
trials left RUNNING by a client that was killed are found on the next start (their owner process is gone, or
they are older than ``stale_after_s``; a trial the client was killed too early to stamp with its owner, when no
other client registered in the study may still be running), marked FAIL as abandoned and asked again with the
same parameters; a client that runs out of work while the study is still short looks for such trials again.
Abandoned trials do not count towards ``trials``.

Several clients may run the same study at once (e.g. two ``optimize`` commands on one PostgreSQL storage): before
each batch a client asks only for what the study still lacks, counting every client's running trials, and a
trial asked in a race is kept only if fewer than ``trials`` counted trials precede it (trial numbers are unique
and ordered in every Optuna storage); the others are told FAIL as ``surplus`` before they run, and, like
abandoned ones, do not count. So the study ends with exactly ``trials`` counted trials however many clients ran.
"""
from __future__ import annotations

import datetime
import json
import os
import socket
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from brainsweep import storage

from . import build, trials as trial_tasks
from .plugins import warmed_up
from .schedule import Progress, check_local_gpu, connect, gpu_workers, share, task_resources, with_backend
from .search import StudySpec, load_study
from .spec import SpecError


class StudyMismatchError(ValueError):
    """The named study exists in the storage but was made from another spec."""


@dataclass
class StudyReport:
    """What a study run did: counts, timings (s), the best trial(s)."""

    store: str
    study_name: str = ""
    storage: str = ""
    requested: int = 0
    previously_finished: int = 0
    complete: int = 0
    pruned: int = 0
    failed: int = 0
    abandoned_recovered: int = 0
    #: trials asked in a race with another client on the same study and dropped before they ran
    surplus: int = 0
    #: counted trials in the study at the end (all clients together)
    finished_total: int = 0
    wall_s: float = 0.0
    kernel_s: float = 0.0
    task_s: float = 0.0
    sampler_s: float = 0.0
    batches: int = 0
    workers: int = 0
    dashboard: str = ""
    best: list = field(default_factory=list)


def default_storage_path(store: str) -> Path:
    """The journal file next to a result store: ``results.zarr`` -> ``results.optuna.log``."""
    p = Path(store)
    return p.with_name((p.stem if p.suffix == ".zarr" else p.name) + ".optuna.log")


def _rdb_storage(url: str, attempts: int = 5):
    """``RDBStorage(url)``, tolerating another client creating Optuna's tables at the same moment (a fresh
    database shared by clients started together: the loser's CREATE fails on a duplicate key; the tables exist
    by then, so connecting again succeeds)."""
    import optuna
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    for attempt in range(attempts):
        try:
            return optuna.storages.RDBStorage(url)
        except (IntegrityError, ProgrammingError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))


def open_storage(url: str | None, store: str):
    """An Optuna storage from a URL / path / ``dask[:PATH]``, and a description of it."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    def journal(path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path), lock_obj=JournalFileOpenLock(str(path))))

    if url is None:
        path = default_storage_path(store)
        return journal(path), str(path)
    if url == "dask" or url.startswith("dask:"):
        from optuna_integration import DaskStorage
        inner = journal(Path(url[5:])) if url.startswith("dask:") else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return DaskStorage(storage=inner), url
    if "://" in url:
        return _rdb_storage(url), url
    return journal(Path(url)), url


def make_sampler(study: StudySpec):
    import optuna

    s = study.search
    if s.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=s.seed)
    if s.sampler == "random":
        return optuna.samplers.RandomSampler(seed=s.seed)
    if s.sampler == "qmc":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.QMCSampler(seed=s.seed, scramble=True)
    if s.sampler == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=s.seed)
    if s.sampler == "gp":
        os.environ.setdefault("OMP_NUM_THREADS", "1")   # torch's threads would fight the Dask workers for cores
        try:
            import torch  # noqa: F401
        except ImportError:
            raise SpecError("search.sampler: gp needs PyTorch (pip install torch); or choose tpe, cmaes, random, "
                            "grid or qmc") from None
        return optuna.samplers.GPSampler(seed=s.seed)
    grid = {}
    for p in s.params:
        if p.kind == "categorical":
            grid[p.name] = list(p.choices)
        elif p.log:
            grid[p.name] = [float(v) for v in np.geomspace(p.low, p.high, p.grid)]
        else:
            vals = np.linspace(p.low, p.high, p.grid)
            grid[p.name] = [int(round(v)) for v in vals] if p.kind == "int" else [float(v) for v in vals]
    return optuna.samplers.GridSampler(grid, seed=s.seed)


def distributions(study: StudySpec) -> dict:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out = {}
    for name, p in (item for q in study.search.params for item in q.expanded()):
        if p.kind == "categorical":
            out[name] = CategoricalDistribution(list(p.choices))
        elif p.kind == "int":
            out[name] = IntDistribution(int(p.low), int(p.high), log=p.log, step=int(p.step or 1))
        else:
            out[name] = FloatDistribution(p.low, p.high, log=p.log, step=p.step)
    return out


def trial_layout(study: StudySpec, prep: trial_tasks.PreparedStudy, study_name: str) -> storage.TrialLayout:
    """The Zarr layout of the study's trials."""
    R = study.sim.repeats
    variables, extra = [], {"repeat": np.arange(R), "objective": np.array(study.search.objective_names)}
    for p in study.search.params:
        if p.regions:
            extra["region"] = np.array(p.regions)
        variables.append(storage.VariableSpec(p.name, ("region",) if p.regions else (),
                                              attrs={"long_name": f"searched parameter {p.name}"}))
    for out in prep.outputs:
        for name, labels in out.coords:
            extra[name] = np.array(labels)
        variables.append(storage.VariableSpec(out.name, ("repeat", *out.dims),
                                              attrs={"units": out.units, "long_name": out.long_name}))
    variables.append(storage.VariableSpec("objective_value", ("objective",),
                                          attrs={"long_name": "objective (mean over repeats)",
                                                 "directions": list(study.search.directions)}))
    if study.search.prune_at is not None:
        variables.append(storage.VariableSpec("intermediate_value", attrs={
            "long_name": f"objective after {study.search.prune_at:g} of the simulation (pruning)"}))
    variables.append(storage.VariableSpec("seed", ("repeat",), dtype="int64", attrs={"long_name": "noise seeds"}))
    attrs = {"title": f"brainsweep study {study_name}", "study_name": study_name,
             "spec": json.dumps(study.to_dict(), default=str), "spec_fingerprint": study.fingerprint(),
             "kind": "study", "seed_policy": "trial seed = sha256(spec seed, parameter values, repeat index)",
             "trial_states": "0 complete, 1 pruned, 2 failed, -1 not recorded"}
    return storage.TrialLayout(variables=tuple(variables), extra_coords=extra, attrs=attrs)


def _owner() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid(), "run": uuid.uuid4().hex[:12]}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: a client stamps a trial with its owner right after asking it (the sampler's work for one trial lies in
#: between); a trial without an owner for longer than this was asked by a client that stopped in between
ORPHAN_GRACE_S = 600.0
_CLIENT_KEY = "brainsweep_client:"


def _register(study, owner: dict) -> None:
    """Record this client in the study (one key per run, so concurrent clients never overwrite each other)."""
    study.set_user_attr(_CLIENT_KEY + owner["run"], {**owner, "since": datetime.datetime.now().isoformat()})


def _unregister(study, owner: dict) -> None:
    try:
        entry = study.user_attrs.get(_CLIENT_KEY + owner["run"])
        if entry is not None:
            study.set_user_attr(_CLIENT_KEY + owner["run"], {**entry, "ended": True})
    except Exception:  # noqa: BLE001 - never hide the error that ended the run; a dead pid says the same later
        pass


def _gone(client: dict, me: dict) -> bool:
    """Whether a registered client has certainly stopped (one on another host may be alive: unknown)."""
    if client.get("ended"):
        return True
    if client.get("run") == me["run"] or client.get("host") != me["host"]:
        return False
    pid = int(client.get("pid", -1))
    # another run of this very process is an earlier call that has ended
    return pid == me["pid"] or not _pid_alive(pid)


def _recover_abandoned(study, stale_after_s: float, write, me: dict, now: datetime.datetime | None = None) -> int:
    """Trials RUNNING for a client that is gone: FAIL (abandoned) and ask their parameters again.

    A trial stamped with its owner is abandoned when the owner is a process of this host that is no longer running,
    or when it is older than ``stale_after_s`` (an owner on another host). A trial without an owner was asked by a
    client killed before it could stamp it: it is abandoned when every other client registered in the study before
    the trial started has certainly stopped, or once it is older than ``ORPHAN_GRACE_S``.
    """
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    now = now or datetime.datetime.now()
    others = [c for k, c in study.user_attrs.items()
              if k.startswith(_CLIENT_KEY) and isinstance(c, dict) and c.get("run") != me["run"]]
    recovered = 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner = t.user_attrs.get("brainsweep_owner")
        age = (now - t.datetime_start).total_seconds() if t.datetime_start is not None else 0.0
        if owner:
            abandoned = _gone(owner, me) or age > stale_after_s
        else:
            started = t.datetime_start or now
            live = [c for c in others if not _gone(c, me)
                    and datetime.datetime.fromisoformat(c.get("since", "1970-01-01")) <= started]
            abandoned = not live or age > ORPHAN_GRACE_S
        if not abandoned:
            continue
        reason = "abandoned: its client stopped before the trial finished; asked again as a new trial"
        write([t.number], [t.params], None, [storage.TRIAL_FAILED], [reason])
        try:
            study._storage.set_trial_user_attr(t._trial_id, "abandoned", True)
            study._storage.set_trial_user_attr(t._trial_id, "error", reason)
            _tell(study, t.number, state=TrialState.FAIL)
        except UpdateFinishedTrialError:
            continue          # another client recovered it first (the storage lets one of them finish it)
        study.enqueue_trial(t.params, user_attrs={"retry_of": t.number}, skip_if_exists=False)
        recovered += 1
    return recovered


def _not_counted(t) -> bool:
    return bool(t.user_attrs.get("abandoned") or t.user_attrs.get("surplus"))


def _counted(study) -> int:
    """Finished trials that count towards the requested number (abandoned and surplus ones do not)."""
    from optuna.trial import TrialState

    return sum(1 for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED,
                                                                     TrialState.FAIL))
               if not _not_counted(t))


def _committed(study) -> list[int]:
    """Numbers of the trials that count or will: finished ones and every client's running ones."""
    from optuna.trial import TrialState

    return sorted(t.number for t in study.get_trials(deepcopy=False, states=(
        TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING)) if not _not_counted(t))


def _reserve(study, asked: list, trials: int) -> list:
    """Of the trials just ``asked``, those the study still needs; the rest are told FAIL as surplus.

    A trial is kept when fewer than ``trials`` committed trials have a smaller number. Trials another client asked
    at the same moment are counted while their own client decides on them; one it then finds surplus can only
    have come after ``trials`` committed ones, so the count here is right either way.
    """
    from optuna.trial import TrialState

    committed = _committed(study)
    kept = []
    for t in asked:
        before = sum(1 for n in committed if n < t.number)
        if before < trials:
            kept.append(t)
            continue
        reason = (f"surplus: the study already had {trials} trials (finished or running on other clients) when "
                  "this one was asked; never simulated")
        t.set_user_attr("surplus", True)
        t.set_user_attr("error", reason)
        _tell(study, t, state=TrialState.FAIL)
        committed.remove(t.number)
    return kept


def optimize(spec, store, trials: int, *, study_name: str | None = None, storage_url: str | None = None,
             client=None, scheduler: str | None = None, scheduler_file: str | None = None,
             n_workers: int | None = None, overwrite: bool = False, quiet: bool = True, retries: int = 2,
             stale_after_s: float = 6 * 3600.0, report: StudyReport | None = None, announce=None,
             backend: str | None = None):
    """Run (or resume) an Optuna study of ``spec`` until it has ``trials`` finished trials.

    Parameters
    ----------
    spec : StudySpec, mapping or path
        The study (YAML/TOML with a ``search`` section, a dict, or a parsed spec).
    store : str or path
        Zarr (v3) store for the trials (``trial`` dimension).
    trials : int
        Finished trials (complete, pruned or failed) the study should have in total.
    study_name : str, optional
        Optuna study name (default: the spec's ``name``).
    storage_url : str, optional
        Optuna storage (see the module docstring); default a journal file next to ``store``.
    client, scheduler, scheduler_file, n_workers
        Where to run, as for :func:`brainsweep.explore.sweep`.
    overwrite : bool
        Delete an existing study of that name and the store first.
    retries : int
        Times a batch is retried when its worker dies.
    stale_after_s : float
        A RUNNING trial older than this (from a client on another host) is taken as abandoned.

    Returns
    -------
    xarray.Dataset
        The trials, lazily opened from ``store``.
    """
    import optuna

    t_start = time.perf_counter()
    if not isinstance(trials, int) or isinstance(trials, bool) or trials < 1:
        raise SpecError(f"trials must be a positive integer, got {trials!r}")
    study_spec = load_study(spec)
    if backend is not None:
        import dataclasses

        study_spec = dataclasses.replace(study_spec, sim=with_backend(study_spec.sim, backend))
    check_local_gpu(study_spec.sim.backend, client, scheduler, scheduler_file)
    store = os.fspath(store)
    storage.check_writable(store)
    base = build.base_connectivity(study_spec.sim)
    prep = trial_tasks.prepare(study_spec, base)
    name = study_name or study_spec.name
    layout = trial_layout(study_spec, prep, name)
    sampler = make_sampler(study_spec)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    report = report if report is not None else StudyReport(store=store)
    report.store, report.study_name, report.requested = store, name, trials
    study_json = json.dumps(study_spec.to_dict(), default=str)

    with connect(client, scheduler, scheduler_file, n_workers, gpu=study_spec.sim.backend == "cuda") as c:
        storage_obj, report.storage = open_storage(storage_url, store)
        if overwrite:
            try:
                optuna.delete_study(study_name=name, storage=storage_obj)
            except KeyError:
                pass
        pruner = (optuna.pruners.MedianPruner(n_startup_trials=study_spec.search.prune_warmup_trials)
                  if study_spec.search.prune_at is not None else optuna.pruners.NopPruner())
        study = optuna.create_study(study_name=name, storage=storage_obj, sampler=sampler, pruner=pruner,
                                    directions=list(study_spec.search.directions), load_if_exists=True)
        fp = study.user_attrs.get("brainsweep_fingerprint")
        if fp is not None and fp != study_spec.fingerprint():
            raise StudyMismatchError(f"study {name!r} in {report.storage} was made from a different spec; "
                                     "pass --overwrite to start it again, or choose another --study name")
        if [d.name.lower() for d in study.directions] != list(study_spec.search.directions):
            raise StudyMismatchError(f"study {name!r} has directions {[d.name.lower() for d in study.directions]}, "
                                     f"the spec {list(study_spec.search.directions)}")
        study.set_user_attr("brainsweep_fingerprint", study_spec.fingerprint())
        study.set_user_attr("brainsweep_store", os.path.abspath(store))
        storage.create_trial_store(store, layout, overwrite=overwrite)

        def write(numbers, params, result, states, errors, intermediate=None):
            values = {p.name: np.array([[float(pp.get(name, np.nan)) for name, _ in p.expanded()] for pp in params]
                                       ).reshape(len(params), *((len(p.regions),) if p.regions else ()))
                      for p in study_spec.search.params}
            if result is not None:
                for out in prep.outputs:
                    values[out.name] = np.asarray(result["features"][out.name])
                values["objective_value"] = np.asarray(result["objective"])
                values["seed"] = np.array(result["seeds"], dtype=np.int64)
            if intermediate is not None and study_spec.search.prune_at is not None:
                values["intermediate_value"] = np.asarray(intermediate, dtype=np.float64)
            storage.write_trials(store, layout, numbers, values, states, errors)

        owner = _owner()
        _register(study, owner)
        try:
            report.abandoned_recovered = _recover_abandoned(study, stale_after_s, write, owner)
            report.previously_finished = _counted(study)
            _run(c, study, study_spec, study_json, base, trials, write, report, quiet, retries, announce, owner,
                 stale_after_s)
            report.finished_total = _counted(study)
        finally:
            _unregister(study, owner)
        _best(study, report)
    report.wall_s = time.perf_counter() - t_start
    return storage.open_results(store)


def _best(study, report: StudyReport) -> None:
    try:
        report.best = [{"number": t.number, "values": list(t.values), "params": dict(t.params)}
                       for t in study.best_trials]
    except ValueError:
        report.best = []


def _run(client, study, study_spec: StudySpec, study_json, base, trials: int, write, report, quiet, retries,
         announce, owner, stale_after_s):
    workers = list(client.scheduler_info(n_workers=-1)["workers"])
    report.workers = len(workers)
    report.dashboard = getattr(client, "dashboard_link", "") or ""
    if announce:
        announce(f"Dask: {report.workers} worker(s), dashboard {report.dashboard or '(none)'}; study "
                 f"{report.study_name!r} in {report.storage}")
    if trials - len(_committed(study)) <= 0:
        return
    base_future = share(client, base)
    with warmed_up(client, trial_tasks.warm_up, study_json, base):
        _loop(client, study, study_spec, study_json, base_future, trials, write, report, quiet, retries, owner,
              stale_after_s)


def _loop(client, study, study_spec: StudySpec, study_json, base_future, trials: int, write, report, quiet, retries,
          owner, stale_after_s):
    from distributed import wait
    from optuna.trial import TrialState

    resources = task_resources(study_spec.sim.backend, client)
    workers = gpu_workers(client) if resources else list(client.scheduler_info(n_workers=-1)["workers"])
    dists = distributions(study_spec)
    search = study_spec.search
    pruning = search.prune_at is not None
    progress = Progress(max(trials - len(_committed(study)), 0), quiet=quiet, unit="trials")
    in_flight: dict = {}

    def submit(ts, stage, worker=None, info=None):
        key = f"{owner['run']}-{ts[0].number}"
        placement = {"workers": [worker], "allow_other_workers": True} if worker else {}
        fut = client.submit(trial_tasks.run_trials, study_json, [t.params for t in ts], base_future, stage, key,
                            pure=False, retries=retries, resources=resources, **placement)
        in_flight[fut] = (ts, stage, info)

    try:
        while True:
            t0 = time.perf_counter()
            # one batch per worker: the sampler sees results as early as possible (the client's ask/tell takes
            # milliseconds per trial against seconds of simulation per batch, so workers barely wait)
            while len(in_flight) < max(len(workers), 1):
                # what the study still lacks, counting the trials running on this and any other client
                missing = trials - len(_committed(study))
                if missing <= 0:
                    break
                ts = []
                for _ in range(min(search.batch_size, missing)):
                    ts.append(study.ask(dists))
                    ts[-1].set_user_attr("brainsweep_owner", owner)    # at once: see _recover_abandoned
                kept = _reserve(study, ts, trials)
                report.surplus += len(ts) - len(kept)
                ts = kept
                if not ts:
                    break
                submit(ts, "first" if pruning else "full")
            report.sampler_s += time.perf_counter() - t0
            if not in_flight:
                # what the study still lacks runs on other clients, or was left by one killed since this run
                # started (recovered at once, rather than on the next start)
                if _counted(study) < trials:
                    recovered = _recover_abandoned(study, stale_after_s, write, owner)
                    report.abandoned_recovered += recovered
                    if recovered:
                        progress.total += recovered
                        continue
                break
            done, _ = wait(list(in_flight), return_when="FIRST_COMPLETED")
            for fut in done:
                ts, stage, info = in_flight.pop(fut)
                report.batches += 1
                try:
                    result = fut.result()
                except Exception as exc:  # noqa: BLE001 - worker lost too often, or the task failed
                    reason = f"task failed: {type(exc).__name__}: {exc}"[:500]
                    result = {"error": [reason] * len(ts), "objective": np.full((len(ts), 1), np.nan)}
                    write([t.number for t in ts], [t.params for t in ts], None, [storage.TRIAL_FAILED] * len(ts),
                          [reason] * len(ts))
                    for t in ts:
                        t.set_user_attr("error", reason)
                        _tell(study, t, state=TrialState.FAIL)
                    report.failed += len(ts)
                    progress.update(len(ts))
                    continue
                report.kernel_s += result["kernel_s"]
                report.task_s += result["task_s"]
                t0 = time.perf_counter()
                if stage == "first":
                    inter = result["objective"][:, 0]
                    survivors = []
                    for i, t in enumerate(ts):
                        if result["error"][i] or not np.isfinite(inter[i]):
                            continue
                        t.report(float(inter[i]), step=0)
                        if not t.should_prune():
                            survivors.append(i)
                    stopped = [i for i in range(len(ts)) if i not in survivors]
                    if stopped:
                        _record(study, [ts[i] for i in stopped], _subset(result, stopped), write, report,
                                progress, inter[stopped], stopped_early=True)
                    if survivors:
                        # the batch's lanes run together: the rest is simulated for the batch as it was asked,
                        # on the worker that holds its first part; only the survivors are told
                        submit(ts, "rest", worker=result["worker"], info=(survivors, inter))
                elif stage == "rest":
                    survivors, inter = info
                    _record(study, [ts[i] for i in survivors], _subset(result, survivors), write, report, progress,
                            inter[survivors])
                else:
                    _record(study, ts, result, write, report, progress)
                report.sampler_s += time.perf_counter() - t0
    except BaseException:
        client.cancel(list(in_flight))
        raise
    finally:
        progress.close()


def _tell(study, trial, *args, **kw) -> None:
    """``study.tell``, tolerating the grid sampler's ``study.stop()`` (meant for ``optimize``; under ask-and-tell it
    raises after the trial has been recorded) once its grid is exhausted."""
    try:
        study.tell(trial, *args, **kw)
    except RuntimeError as exc:
        if "Study.stop" not in str(exc):
            raise


def _subset(result: dict, idx) -> dict:
    idx = list(idx)
    return {"features": {k: v[idx] for k, v in result["features"].items()}, "objective": result["objective"][idx],
            "error": [result["error"][i] for i in idx], "seeds": [result["seeds"][i] for i in idx],
            "diverged": result["diverged"][idx]}


def _record(study, ts, result, write, report, progress, intermediate=None, stopped_early=False) -> None:
    """Write the trials' rows, then tell the study how they ended.

    A trial with an error or a non-finite objective fails with the reason; otherwise it completes with its
    objective(s), or, when ``stopped_early`` (the pruner stopped it after the first part), it is pruned and its
    row keeps no features (only the intermediate value).
    """
    from optuna.trial import TrialState

    # The row is written before the study is told: a client killed in between leaves a RUNNING trial (recovered as
    # abandoned and asked again on resume) rather than a finished trial whose row is missing from the store.
    states, errors, tells = [], [], []
    for i, t in enumerate(ts):
        err = result["error"][i]
        values = [float(intermediate[i])] if stopped_early else [float(v) for v in result["objective"][i]]
        if err or not np.all(np.isfinite(values)):
            err = err or "objective is not finite (NaN features)"
            states.append(storage.TRIAL_FAILED)
            tells.append({"state": TrialState.FAIL})
            report.failed += 1
        elif stopped_early:
            states.append(storage.TRIAL_PRUNED)
            tells.append({"state": TrialState.PRUNED})
            report.pruned += 1
        else:
            states.append(storage.TRIAL_COMPLETE)
            tells.append({"values": values if len(values) > 1 else values[0]})
            report.complete += 1
        errors.append(err)
    written = result
    if stopped_early:
        written = {"features": {k: np.full_like(v, np.nan) for k, v in result["features"].items()},
                   "objective": np.full_like(result["objective"], np.nan), "seeds": result["seeds"]}
    write([t.number for t in ts], [t.params for t in ts], written, states, errors,
          None if intermediate is None else np.asarray(intermediate))
    for t, err, tell in zip(ts, errors, tells):
        if err:
            t.set_user_attr("error", err)
        _tell(study, t, **tell)
    progress.update(len(ts))


__all__ = ["optimize", "StudyReport", "StudyMismatchError", "open_storage", "default_storage_path",
           "make_sampler", "distributions", "trial_layout"]

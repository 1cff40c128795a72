"""Optuna studies on real multi-process Dask clusters: resume after the client is killed, exact trial counts,
workers killed mid-study, pruning, trials equal to sweep points, bad study specs refused before simulating."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import numpy as np
import optuna
import pytest
import xarray as xr
import yaml
from optuna.trial import TrialState

from brainsweep.explore import SpecError, parse_study
from brainsweep.explore.studies import distributions
from tests.helpers.cluster import ENV, Cluster, cli, free_port
from tests.helpers.postgres import postgres_url  # noqa: F401 - fixture

pytestmark = pytest.mark.cluster

STUDY = {
    "name": "study-test",
    "connectivity": {"dataset": "hcp80", "conduction_speed": 10.0},
    "model": {"name": "ReducedWongWang", "initial_state": {"S": 0.1}},
    "coupling": {"name": "Linear"},
    "integrator": {"name": "HeunStochastic", "dt": 0.5, "noise": {"nsig": 1.0e-4}},
    "monitors": [{"name": "BalloonWindkessel", "period": 720.0}],
    "features": [{"name": "fc_fit", "monitor": "balloon_windkessel", "empirical": "hcp80"}],
    "length": 16000.0,
    "transient": 2000.0,
    "seed": 11,
    "search": {"space": {"coupling.a": {"low": 0.0, "high": 0.3},
                         "noise.nsig": {"low": 1.0e-5, "high": 1.0e-3, "log": True}},
               "objective": "fc_fit", "batch_size": 2, "seed": 5},
    "dtype": "float32",
}


def write_study(path, search=None, **changes):
    spec = dict(STUDY, **changes)
    if search:
        spec["search"] = dict(STUDY["search"], **search)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def journal(store=None, path=None):
    """The journal next to a store (or at ``path``)."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(str(path or str(store).removesuffix(".zarr") + ".optuna.log")))


def counted(trials):
    return [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
            and not t.user_attrs.get("abandoned") and not t.user_attrs.get("surplus")]


def rows_done(store) -> int:
    try:
        return int(xr.open_zarr(store, consolidated=False)["done"].sum())
    except Exception:  # noqa: BLE001 - not created yet
        return 0


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(2, tmp_path)
    yield c
    c.close()


def test_study_resumes_after_the_client_is_killed_with_an_exact_trial_count(cluster, tmp_path):
    spec, store = write_study(tmp_path / "study.yaml"), tmp_path / "fit.zarr"
    args = ("optimize", spec, "--trials", 12, "-o", store, "--scheduler", cluster.address, "--quiet")
    proc = cli(*args, start_new_session=True)
    deadline = time.time() + 300
    while rows_done(store) < 4 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "the study finished before it could be killed"
    os.killpg(os.getpgid(proc.pid), signal.SIGKILL)
    proc.wait(timeout=60)
    before = optuna.load_study(study_name="study-test", storage=journal(store)).get_trials()
    # rows are written before the study is told: the kill may land between the two for the last batch
    assert 2 <= len(counted(before)) < 12
    # and, as when the kill lands between asking a trial and stamping it with its client, a trial with no owner
    orphan = optuna.load_study(study_name="study-test", storage=journal(store)).ask(
        distributions(parse_study(yaml.safe_load(spec.read_text()))))
    again = cli(*args)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    trials = optuna.load_study(study_name="study-test", storage=journal(store)).get_trials()
    assert len(counted(trials)) == 12                                     # exactly the requested number
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    abandoned = [t for t in trials if t.user_attrs.get("abandoned")]
    assert orphan.number in {t.number for t in abandoned}
    assert all(t.state == TrialState.FAIL and "abandoned" in t.user_attrs["error"] for t in abandoned)
    retried = {t.user_attrs["retry_of"] for t in trials if "retry_of" in t.user_attrs}
    assert retried == {t.number for t in abandoned}                        # each asked again, same parameters
    ds = xr.open_zarr(store).load()
    assert ds.sizes["trial"] == len(trials)
    for t in counted(trials):
        row = ds.sel(trial=t.number)
        assert int(row.done) == 1 and int(row.state) == 0
        assert float(row["coupling.a"]) == t.params["coupling.a"]
        assert float(row.objective_value.squeeze()) == pytest.approx(t.value, rel=0, abs=0)
    for t in abandoned:
        assert int(ds.sel(trial=t.number).state) == 2


def test_a_worker_killed_mid_study_loses_no_trial(cluster, tmp_path):
    spec, store = write_study(tmp_path / "study.yaml"), tmp_path / "fit.zarr"
    proc = cli("optimize", spec, "--trials", 10, "-o", store, "--scheduler", cluster.address, "--quiet")
    deadline = time.time() + 300
    while rows_done(store) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    cluster.kill_worker(0)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    trials = optuna.load_study(study_name="study-test", storage=journal(store)).get_trials()
    assert len(trials) == 10 and all(t.state == TrialState.COMPLETE for t in trials)
    ds = xr.open_zarr(store).load()
    assert int(ds.done.sum()) == 10 and np.isfinite(ds.fc_fit).all()


def test_a_trial_gives_the_numbers_of_the_sweep_point_with_the_same_values(tmp_path):
    """Grid sampler over the sweep's axis values: the same seeds, the same FC fit, bit for bit."""
    from brainsweep.explore import optimize, sweep

    search = {"space": {"coupling.a": {"low": 0.0, "high": 0.2, "grid": 3}}, "sampler": "grid", "batch_size": 3}
    spec = write_study(tmp_path / "grid.yaml", search=search, repeats=2)
    ds = optimize(spec, tmp_path / "grid.zarr", 3, n_workers=1).load()
    raw = dict(STUDY, repeats=2, axes={"coupling.a": {"linspace": [0.0, 0.2, 3]}}, batch_size=6)
    raw.pop("search")
    grid = sweep(raw, tmp_path / "sweep.zarr", n_workers=1).load()
    for t in range(3):
        a = float(ds["coupling.a"].sel(trial=t))
        np.testing.assert_array_equal(ds.fc_fit.sel(trial=t).values, grid.fc_fit.sel({"coupling.a": a}).values)
        assert float(ds.objective_value.sel(trial=t).squeeze()) == float(grid.fc_fit.sel({"coupling.a": a}).mean())


def test_pruning_stops_hopeless_trials_and_records_them(tmp_path):
    search = {"prune": {"at": 0.5, "warmup_trials": 2}, "batch_size": 1, "sampler": "random"}
    spec = write_study(tmp_path / "prune.yaml", search=search, length=20000.0)
    proc = cli("optimize", spec, "--trials", 12, "-o", tmp_path / "p.zarr", "--workers", "2", "--quiet")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    trials = optuna.load_study(study_name="study-test", storage=journal(tmp_path / "p.zarr")).get_trials()
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(trials) == 12 and pruned and complete
    ds = xr.open_zarr(tmp_path / "p.zarr").load()
    for t in pruned:     # pruned below the median of the intermediate values reported before it
        row = ds.sel(trial=t.number)
        assert int(row.state) == 1 and np.isnan(row.fc_fit).all()
        assert float(row.intermediate_value) == t.intermediate_values[0]
    for t in complete:
        assert float(ds.intermediate_value.sel(trial=t.number)) == t.intermediate_values[0]
    assert f"{len(pruned)} pruned" in out


def test_optuna_dashboard_opens_the_study_journal(tmp_path):
    spec = write_study(tmp_path / "s.yaml")
    proc = cli("optimize", spec, "--trials", 2, "-o", tmp_path / "d.zarr", "--workers", "1", "--quiet")
    assert proc.wait(timeout=600) == 0
    port = free_port()
    exe = os.path.join(os.path.dirname(sys.executable), "optuna-dashboard")
    dash = subprocess.Popen([exe, str(tmp_path / "d.optuna.log"), "--host",
                             "127.0.0.1", "--port", str(port)], env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline, body = time.time() + 60, None
        while time.time() < deadline and body is None:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=2).read()
            except OSError:
                time.sleep(0.3)
        studies = json.loads(body)["study_summaries"]
        assert [s["study_name"] for s in studies] == ["study-test"]
    finally:
        dash.kill()
        dash.wait(timeout=30)


@pytest.mark.parametrize("search, message", [
    ({"space": {"model.nope": {"low": 0, "high": 1}}}, "has no parameter 'nope'"),
    ({"space": {"coupling.a": {"low": 1.0, "high": 0.5}}}, "low (1.0) must be below high"),
    ({"space": {"noise.nsig": {"low": 0.0, "high": 1.0e-3, "log": True}}}, "log-scaled parameter needs low > 0"),
    ({"objective": "fcd_ks"}, "'fcd_ks' is not a scalar feature of this spec"),
    ({"sampler": "annealing"}, "unknown 'annealing'"),
    ({"objective": {"fc_fit": 1.0, "fc_rmse": -1.0}}, "not a scalar feature"),
    ({"prune": {"at": 1.5}}, "0 < at < 1"),
    ({"prune": {"at": 0.05}}, "too early for the objective"),
])
def test_bad_study_specs_are_refused_naming_the_field(search, message):
    raw = json.loads(json.dumps(STUDY))
    raw["search"].update(search)
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_study(raw)


def test_cli_bad_study_exits_2_with_one_line(tmp_path):
    spec = write_study(tmp_path / "bad.yaml", search={"sampler": "annealing"})
    proc = cli("optimize", spec, "--trials", 5, "-o", tmp_path / "x.zarr")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and len(err.strip().splitlines()) == 1 and "search.sampler" in err
    assert not (tmp_path / "x.zarr").exists()


def test_diverging_trials_fail_with_the_reason_and_the_study_goes_on(tmp_path):
    """TVB's Linear model grows without bound for gamma > 0: those trials fail, the others complete."""
    spec = write_study(
        tmp_path / "div.yaml", model={"name": "Linear"},
        integrator={"name": "HeunStochastic", "dt": 0.1, "noise": {"nsig": 1.0e-3}},
        monitors=[{"name": "TemporalAverage", "period": 10.0}],
        features=[{"name": "fc_fit", "monitor": "temporal_average", "empirical": "hcp80"}], length=3000.0,
        transient=500.0, search={"space": {"model.gamma": {"choices": [-10.0, 2.0]}}, "sampler": "grid",
                                 "batch_size": 2})
    proc = cli("optimize", spec, "--trials", 2, "-o", tmp_path / "div.zarr", "--workers", "1", "--quiet")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert "1 complete, 0 pruned, 1 failed" in out
    trials = optuna.load_study(study_name="study-test", storage=journal(tmp_path / "div.zarr")).get_trials()
    bad = next(t for t in trials if t.params["model.gamma"] == 2.0)
    assert bad.state == TrialState.FAIL and bad.user_attrs["error"].startswith("diverged")
    ds = xr.open_zarr(tmp_path / "div.zarr").load()
    assert int(ds.state.sel(trial=bad.number)) == 2 and str(ds.error.sel(trial=bad.number).values).startswith("diverged")


@pytest.mark.parametrize("kind", ["postgresql", "sqlite", "dask"])
def test_other_study_storages_resume_too(cluster, tmp_path, kind, request):
    """A PostgreSQL server (the cluster case), an SQLite URL, and storage held on the Dask scheduler."""
    url = {"postgresql": lambda: request.getfixturevalue("postgres_url"),
           "sqlite": lambda: f"sqlite:///{tmp_path / 'study.db'}",
           "dask": lambda: f"dask:{tmp_path / 'on-scheduler.log'}"}[kind]()
    spec = write_study(tmp_path / "s.yaml")
    for total in (2, 4):
        proc = cli("optimize", spec, "--trials", total, "-o", tmp_path / "r.zarr", "--storage", url, "--scheduler",
                   cluster.address, "--quiet")
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        assert f"{total} of {total} trials finished (2 now, {total - 2} before)" in out
    storage = journal(path=tmp_path / "on-scheduler.log") if kind == "dask" else url
    trials = optuna.load_study(study_name="study-test", storage=storage).get_trials()
    assert len(trials) == 4 and all(t.state == TrialState.COMPLETE for t in trials)
    assert int(xr.open_zarr(tmp_path / "r.zarr").done.sum()) == 4


@pytest.mark.parametrize("sampler", ["cmaes", "gp", "qmc"])
def test_every_sampler_runs_a_study(tmp_path, sampler):
    if sampler == "gp":
        pytest.importorskip("torch", reason="the GP sampler needs PyTorch (pip install brainsweep[gp])")
    from brainsweep.explore import optimize

    spec = write_study(tmp_path / f"{sampler}.yaml", search={"sampler": sampler, "batch_size": 3}, length=8000.0)
    ds = optimize(spec, tmp_path / f"{sampler}.zarr", 6, n_workers=1).load()
    assert int(ds.done.sum()) == 6 and (ds.state == 0).all()
    a = ds["coupling.a"].values
    assert ((0.0 <= a) & (a <= 0.3)).all() and len(set(a)) == 6


def test_regional_heterogeneity_searches_one_value_per_region(tmp_path):
    """model.w per region: 80 searched values per trial, stored along region and simulated as (B, N) values."""
    from brainsweep.explore import build, optimize
    from brainsweep.explore.trials import trial_seeds

    search = {"space": {"coupling.a": {"low": 0.0, "high": 0.3},
                        "model.w": {"low": 0.5, "high": 1.0, "per_region": True}},
              "sampler": "cmaes", "batch_size": 2}
    spec = write_study(tmp_path / "het.yaml", search=search, length=8000.0)
    ds = optimize(spec, tmp_path / "het.zarr", 2, n_workers=1).load()
    assert ds["model.w"].dims == ("trial", "region") and ds.sizes["region"] == 80
    w = ds["model.w"].values
    assert ((0.5 <= w) & (w <= 1.0)).all() and len(np.unique(w)) > 80      # values differ between regions
    study = parse_study(yaml.safe_load(spec.read_text()))
    # trial 0 alone, with the engine's (1, N) batch form, gives the stored FC fit
    params = {"coupling.a": float(ds["coupling.a"][0]),
              **{f"model.w[{r}]": float(v) for r, v in zip(ds.region.values, w[0])}}
    sim = build.build_simulator(study.sim, build.build_connectivity(study.sim))
    alone = sim.run(study.sim.length, batch={"coupling.a": np.array([params["coupling.a"]]), "model.w": w[:1]},
                    seeds=trial_seeds(study, params))
    from brainsweep.explore import measure
    outs = measure.output_specs(study.sim, sim)
    fit = measure.compute(study.sim, sim, alone, outs)["fc_fit"]
    assert float(fit[0]) == float(ds.fc_fit.sel(trial=0).squeeze())


def test_objectives_are_named_like_the_stored_features():
    """``as`` renames a feature's outputs in the store; a study's objective uses the same names."""
    from brainsweep.explore import build, measure

    raw = json.loads(json.dumps(STUDY))
    raw["features"] = [{"name": "synchrony", "monitor": "balloon_windkessel", "as": "net"},
                       {"name": "fc_fit", "monitor": "balloon_windkessel", "empirical": "hcp80", "as": "fit"}]
    raw["search"]["objective"] = {"fit": 1.0, "net_metastability": 0.5}
    raw["search"]["direction"] = "maximize"
    study = parse_study(raw)
    sim = build.build_simulator(study.sim, build.build_connectivity(study.sim))
    stored = {o.name for o in measure.output_specs(study.sim, sim) if not o.dims}
    assert stored == {"fit", "net_synchrony", "net_metastability"}
    assert set(study.search.objectives[0]) <= stored


def test_two_clients_on_one_postgresql_study_give_exactly_the_requested_trials(cluster, tmp_path, postgres_url):
    """Two `optimize` commands at once on one study (PostgreSQL) and one store: 7 trials in all, never more."""
    spec, store = write_study(tmp_path / "shared.yaml", length=8000.0), tmp_path / "shared.zarr"
    args = ("optimize", spec, "--trials", 7, "-o", store, "--storage", postgres_url, "--study", "two-clients",
            "--scheduler", cluster.address, "--quiet")
    procs = [cli(*args), cli(*args)]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    trials = optuna.load_study(study_name="two-clients", storage=postgres_url).get_trials()
    kept = [t for t in trials if not t.user_attrs.get("surplus")]
    surplus = [t for t in trials if t.user_attrs.get("surplus")]
    assert len(counted(trials)) == 7 and len(kept) == 7
    assert all(t.state == TrialState.COMPLETE for t in kept)
    assert all(t.state == TrialState.FAIL and "surplus" in t.user_attrs["error"] for t in surplus)
    # both clients ran trials, and the last to finish reports the whole study
    owners = {t.user_attrs["brainsweep_owner"]["pid"] for t in kept}
    assert owners == {p.pid for p in procs}
    assert any("7 of 7 trials finished" in out for out, _ in outs)
    ds = xr.open_zarr(store).load()
    done = {int(n) for n in ds.trial.values[ds.done.values == 1]}
    assert done == {t.number for t in kept}
    assert (ds.state.sel(trial=sorted(done)) == 0).all() and np.isfinite(ds.objective_value.sel(trial=sorted(done))).all()

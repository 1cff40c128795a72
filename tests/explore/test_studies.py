"""Which RUNNING trials a resuming client takes as abandoned: stamped ones whose owner stopped, and trials asked
by a client killed before it could stamp them (between ``study.ask`` and the stamp), unless another registered
client may still own them; two clients recovering one trial. In-memory Optuna storage, but for one study run on a
LocalCluster in which a client is killed mid-run."""
import datetime
import os
import socket
import subprocess
import sys

import optuna
import pytest
from optuna.distributions import FloatDistribution
import yaml
from optuna.trial import TrialState

from brainsweep.explore import studies
from tests.explore.test_optimize import STUDY, counted, journal

DISTS = {"coupling.a": FloatDistribution(0.0, 0.3)}


def client(pid=None, host=None, run="r"):
    return {"host": host or socket.gethostname(), "pid": pid or os.getpid(), "run": run}


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def study():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(storage=optuna.storages.InMemoryStorage())


def recover(study, me, now=None, stale_after_s=3600.0):
    rows = []
    n = studies._recover_abandoned(study, stale_after_s, lambda numbers, *a: rows.extend(numbers), me, now=now)
    return n, rows


def test_a_stamped_trial_of_a_stopped_process_is_abandoned_and_asked_again(study):
    live = study.ask(DISTS)
    live.set_user_attr("brainsweep_owner", client(pid=os.getppid(), run="live"))
    gone = study.ask(DISTS)
    gone.set_user_attr("brainsweep_owner", client(pid=dead_pid(), run="gone"))
    n, rows = recover(study, client(run="me"))
    assert (n, rows) == (1, [gone.number])
    t = study.trials[gone.number]
    assert t.state == TrialState.FAIL and t.user_attrs["abandoned"] and "abandoned" in t.user_attrs["error"]
    assert study.trials[live.number].state == TrialState.RUNNING
    waiting = study.get_trials(states=(TrialState.WAITING,))
    assert [(w.system_attrs["fixed_params"], w.user_attrs["retry_of"]) for w in waiting] == [(gone.params, gone.number)]


def test_an_unstamped_trial_is_abandoned_when_no_other_client_can_own_it(study):
    """The CI failure of 2026-11-27: a client killed between ask and stamp left a RUNNING trial that counted
    forever, so the resumed study ended one trial short."""
    killed = client(pid=dead_pid(), run="killed")
    studies._register(study, killed)
    orphan = study.ask(DISTS)
    n, rows = recover(study, client(run="me"))
    assert (n, rows) == (1, [orphan.number]) and study.trials[orphan.number].state == TrialState.FAIL
    assert study.get_trials(states=(TrialState.WAITING,))[0].system_attrs["fixed_params"] == orphan.params


def test_an_unstamped_trial_waits_while_a_client_that_may_own_it_runs(study):
    elsewhere = client(host="other-host", run="elsewhere")               # alive or not: this host cannot tell
    studies._register(study, elsewhere)
    later = client(host="other-host", run="later")
    orphan = study.ask(DISTS)
    studies._register(study, later)                                      # registered after the trial: not its owner
    me = client(run="me")
    assert recover(study, me) == (0, [])
    assert study.trials[orphan.number].state == TrialState.RUNNING
    studies._unregister(study, elsewhere)                                # it ended: nothing can own the trial now
    assert recover(study, me) == (1, [orphan.number])


def test_an_unstamped_trial_older_than_the_grace_is_abandoned_whoever_runs(study):
    studies._register(study, client(host="other-host", run="elsewhere"))
    orphan = study.ask(DISTS)
    me = client(run="me")
    now = datetime.datetime.now() + datetime.timedelta(seconds=studies.ORPHAN_GRACE_S - 5)
    assert recover(study, me, now=now) == (0, [])
    now += datetime.timedelta(seconds=10)
    assert recover(study, me, now=now) == (1, [orphan.number])


def test_an_earlier_call_of_this_process_is_gone_but_this_one_is_not(study):
    me = client(run="me")
    earlier = client(run="earlier")                                      # same pid, another run: ended
    assert studies._gone(earlier, me) and not studies._gone(client(pid=os.getppid(), run="x"), me)
    assert not studies._gone(me, me)
    assert studies._gone(dict(client(host="other-host"), ended=True), me)
    assert not studies._gone(client(host="other-host"), me)


@pytest.mark.cluster
def test_a_trial_left_by_a_client_killed_during_the_run_is_taken_over_before_it_ends(tmp_path):
    """A client killed (before stamping its trial) while this one runs: this one, finding the study short at the
    end, recovers the trial and runs it again, so the study still ends with exactly the requested trials."""
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump(dict(STUDY, length=6000.0), sort_keys=False))
    store = tmp_path / "s.zarr"
    orphans = []

    def killed_client_appears(_message):       # called once this run has recovered what it found at its start
        study = optuna.load_study(study_name="study-test", storage=journal(store))
        studies._register(study, client(pid=dead_pid(), run="killed"))
        orphans.append(study.ask(DISTS).number)

    report = studies.StudyReport(store=str(store))
    studies.optimize(spec, store, 3, n_workers=1, announce=killed_client_appears, report=report)
    trials = optuna.load_study(study_name="study-test", storage=journal(store)).get_trials()
    assert len(counted(trials)) == 3 and report.abandoned_recovered == 1
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    orphan = trials[orphans[0]]
    assert orphan.state == TrialState.FAIL and orphan.user_attrs["abandoned"]
    retry = next(t for t in trials if t.user_attrs.get("retry_of") == orphan.number)
    assert retry.state == TrialState.COMPLETE and retry.params["coupling.a"] == orphan.params["coupling.a"]


def test_a_trial_another_client_recovered_first_is_left_to_it(study, monkeypatch):
    """Two clients recovering at once: the one that finds the trial already finished does nothing more (no
    second retry, no error)."""
    gone = study.ask(DISTS)
    gone.set_user_attr("brainsweep_owner", client(pid=dead_pid(), run="gone"))
    seen = study.get_trials(deepcopy=True, states=(TrialState.RUNNING,))
    assert recover(study, client(run="first")) == (1, [gone.number])
    monkeypatch.setattr(study, "get_trials", lambda *a, **k: seen)           # the second listed it before that
    n, _rows = recover(study, client(run="second"))
    monkeypatch.undo()
    assert n == 0 and len(study.get_trials(states=(TrialState.WAITING,))) == 1

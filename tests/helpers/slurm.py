"""A real single-node Slurm on 127.0.0.1 for tests: munged, slurmctld and slurmd started from a temporary
``slurm.conf`` (Debian's slurmctld/slurmd/slurm-client/munge packages; skipped where they are missing or the
tests do not run as root, which Slurm's daemons need here).

Only the daemons started here are stopped, by PID. Client commands (``sbatch``, ``squeue``, ``scancel``) and
dask-jobqueue find this Slurm through ``SLURM_CONF`` in :data:`Slurm.env`.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.helpers.cluster import ENV, free_port

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo")


class Slurm:
    def __init__(self, root: Path):
        self.root = root
        self.host = socket.gethostname().split(".")[0]
        self.conf = root / "slurm.conf"
        self.env = dict(ENV, SLURM_CONF=str(self.conf))
        self.procs: list[subprocess.Popen] = []

    def write_conf(self) -> None:
        for sub in ("state", "spool", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        mem_mb = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 * 0.8)
        self.conf.write_text(f"""\
ClusterName=brainsweep-ci
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
AuthType=auth/munge
StateSaveLocation={self.root}/state
SlurmdSpoolDir={self.root}/spool
SlurmctldPidFile={self.root}/slurmctld.pid
SlurmdPidFile={self.root}/slurmd.pid
SlurmctldLogFile={self.root}/log/slurmctld.log
SlurmdLogFile={self.root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
MinJobAge=2
KillWait=5
NodeName={self.host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={mem_mb} State=UNKNOWN
PartitionName=debug Nodes={self.host} Default=YES MaxTime=INFINITE State=UP
""")

    def start(self) -> None:
        self.write_conf()
        if subprocess.run("munge -n | unmunge", shell=True, capture_output=True).returncode != 0:
            if not Path("/etc/munge/munge.key").exists():
                subprocess.run(["mungekey", "-c"], check=True, capture_output=True)
                shutil.chown("/etc/munge/munge.key", user="munge", group="munge")
            os.makedirs("/run/munge", exist_ok=True)
            shutil.chown("/run/munge", user="munge", group="munge")
            # munged daemonises; it is found and stopped through its pid file
            subprocess.run(["runuser", "-u", "munge", "--", "/usr/sbin/munged"], check=True, capture_output=True)
            self.munged_started = True
        log = open(self.root / "log" / "daemons.out", "w")
        for daemon in ("slurmctld", "slurmd"):
            self.procs.append(subprocess.Popen([shutil.which(daemon), "-D", "-f", str(self.conf)], env=self.env,
                                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
            time.sleep(0.5)
        deadline = time.time() + 60
        while self.run("sinfo", "-h", "-o", "%T").stdout.strip() != "idle":
            if time.time() > deadline or any(p.poll() is not None for p in self.procs):
                raise RuntimeError("Slurm did not come up:\n" + self.logs())
            time.sleep(0.3)

    def run(self, *cmd: str, check: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run(list(cmd), env=self.env, capture_output=True, text=True, check=check)

    def jobs(self, name: str | None = None) -> list[tuple[str, str, str]]:
        """(job id, name, state) of every job Slurm still lists."""
        out = self.run("squeue", "-h", "-o", "%i|%j|%T").stdout
        rows = [tuple(line.split("|")) for line in out.splitlines() if line.strip()]
        return [r for r in rows if name is None or r[1] == name]

    def logs(self) -> str:
        parts = []
        for f in sorted((self.root / "log").glob("*")):
            parts.append(f"--- {f.name}\n" + f.read_text()[-3000:])
        return "\n".join(parts)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        if getattr(self, "munged_started", False):
            pid = Path("/run/munge/munged.pid")
            if pid.exists():
                try:
                    os.kill(int(pid.read_text().strip()), 15)
                except (ProcessLookupError, ValueError):
                    pass


@pytest.fixture(scope="session")
def slurm():
    missing = [d for d in DAEMONS if shutil.which(d) is None and not Path(f"/usr/sbin/{d}").exists()]
    if missing:
        pytest.skip(f"Slurm is not installed (missing {', '.join(missing)}; apt-get install slurmctld slurmd "
                    "slurm-client munge)")
    if os.geteuid() != 0:
        pytest.skip("Slurm's daemons are started as root here (SlurmUser=root)")
    root = Path(tempfile.mkdtemp(prefix="bs-slurm-"))
    cluster = Slurm(root)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)

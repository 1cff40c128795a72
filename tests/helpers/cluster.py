"""Real Dask clusters for tests: a `dask scheduler` and `dask worker` processes on 127.0.0.1, and the CLI."""
import os
import signal
import socket
import subprocess
import sys

ENV = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args, **kw):
    """``brainsweep ARGS`` as a subprocess (text pipes)."""
    kw.setdefault("env", ENV)
    return subprocess.Popen([sys.executable, "-m", "brainsweep.cli", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


class Cluster:
    """A `dask scheduler` and `dask worker` processes on 127.0.0.1."""

    def __init__(self, n_workers: int, tmp, gpu_workers: int = 0):
        """``gpu_workers`` of the ``n_workers`` advertise a ``GPU`` resource and run CUDA kernels in numba's CUDA
        simulator (``NUMBA_ENABLE_CUDASIM=1``): a GPU worker as the scheduler sees it, on a machine without one."""
        self.gpu_workers = gpu_workers
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.log = open(tmp / f"cluster-{self.port}.log", "w")
        self.scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                                           "127.0.0.1", "--port", str(self.port), "--no-dashboard"],
                                          env=ENV, stdout=self.log, stderr=subprocess.STDOUT)
        self.workers = [self._worker(k) for k in range(n_workers)]
        from distributed import Client

        with Client(self.address, timeout="30s") as c:
            c.wait_for_workers(n_workers, timeout=60)

    def _worker(self, k):
        gpu = k < self.gpu_workers
        extra = ["--resources", "GPU=1"] if gpu else []
        env = dict(ENV, NUMBA_ENABLE_CUDASIM="1") if gpu else ENV
        return subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--nthreads", "1",
                                 "--nworkers", "1", "--no-dashboard", "--name", f"{'gpu' if gpu else 'w'}{k}-{self.port}",
                                 "--death-timeout", "30", *extra],
                                env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill_worker(self, k):
        os.killpg(os.getpgid(self.workers[k].pid), signal.SIGKILL)

    def close(self):
        for p in self.workers + [self.scheduler]:
            try:
                os.killpg(os.getpgid(p.pid), signal.SIGKILL) if p in self.workers else p.kill()
            except (ProcessLookupError, PermissionError):
                pass
        for p in self.workers + [self.scheduler]:
            p.wait(timeout=30)
        self.log.close()



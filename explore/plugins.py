"""A Dask worker plugin that readies the kernel of a sweep or study on every worker, joining ones included."""
from __future__ import annotations

import asyncio
import contextlib
import uuid

from distributed.diagnostics.plugin import WorkerPlugin

_ATTR = "_brainsweep_warm_ups"


class KernelWarmUp(WorkerPlugin):
    """Runs ``fn(*args)`` once on each worker when the plugin is registered, and on workers that join later.

    ``fn`` compiles the kernel of the run (or loads it from the on-disk numba cache) with a tiny simulation, so
    that the first task a worker takes does not pay for it. It runs in a thread beside the worker's event loop
    (a compilation takes seconds; the worker must keep answering the scheduler meanwhile). Its result (timings)
    is kept on the worker for :func:`warm_up_results`.
    """

    def __init__(self, fn, *args):
        self.name = f"brainsweep-warm-up-{uuid.uuid4().hex[:8]}"
        self.fn, self.args = fn, args

    async def setup(self, worker) -> None:
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(None, self.fn, *self.args)
        except Exception as exc:  # noqa: BLE001 - the tasks will meet (and record) the same error
            result = {"error": f"{type(exc).__name__}: {exc}"}
        if not hasattr(worker, _ATTR):
            setattr(worker, _ATTR, {})
        getattr(worker, _ATTR)[self.name] = result


def _results(name: str, dask_worker=None):
    return getattr(dask_worker, _ATTR, {}).get(name)


@contextlib.contextmanager
def warmed_up(client, fn, *args):
    """Register a :class:`KernelWarmUp` for the duration of the block; yields a callable giving the results."""
    plugin = KernelWarmUp(fn, *args)
    client.register_plugin(plugin)

    def results() -> list:
        return [r for r in client.run(_results, plugin.name).values() if r and "error" not in r]

    try:
        yield results
    finally:
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(plugin.name)


__all__ = ["KernelWarmUp", "warmed_up"]

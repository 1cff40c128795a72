"""Compile (or load from cache) generated kernels, and lay out the connectome for them.

Generated kernel sources are written once to a content-addressed file in the kernel cache directory
(``$BRAINSWEEP_CACHE_DIR``, else ``$XDG_CACHE_HOME/brainsweep`` or ``~/.cache/brainsweep``) and imported
from there, so numba's on-disk cache (``cache=True``) works across processes: a new process or Dask worker
loads the machine code instead of compiling it. A changed model, coupling or engine module changes the
source text, hence the file name, so a stale cache can never be used.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_LOCK = threading.Lock()
_LOADED: dict[str, object] = {}


def cache_dir() -> Path:
    """Directory holding generated kernel modules and numba's cache of them."""
    root = os.environ.get("BRAINSWEEP_CACHE_DIR")
    if root:
        base = Path(root)
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "brainsweep"
    path = base / "kernels"
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError:
        path = Path(tempfile.gettempdir()) / f"brainsweep-{os.getuid() if hasattr(os, 'getuid') else 'user'}" / "kernels"
        path.mkdir(parents=True, exist_ok=True)
    return path


def load_kernel(source: str):
    """The ``run`` dispatcher of a generated module (written and imported once per process)."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:20]
    with _LOCK:
        kernel = _LOADED.get(digest)
        if kernel is not None:
            return kernel
        path = cache_dir() / f"bs_kernel_{digest}.py"
        if not path.exists() or path.read_text() != source:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(source)
            os.replace(tmp, path)
        name = f"brainsweep_kernels.k_{digest}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        kernel = _LOADED[digest] = module.run
        return kernel


@dataclass(frozen=True)
class EdgeLayout:
    """The connectome as kernel edge lists (offsets into the node-major doubled ring ``[node, 2H, lane]``).

    Long edges (delay >= K - 1) come in chunks of ``unroll`` edges, grouped by (source block, target). Short edges (delay < K - 1) are listed per target. Undelayed
    self-connections are kept apart as ``weight_self`` (summed in the model loop from the current value).
    """

    horizon: int
    time_block: int
    source_block: int
    lptr: np.ndarray
    loff: np.ndarray
    lhd: np.ndarray
    lw: np.ndarray
    sptr: np.ndarray
    soff: np.ndarray
    shd: np.ndarray
    sw: np.ndarray
    weight_self: np.ndarray
    weight_sum: np.ndarray
    n_long: int
    n_short: int


def l2_cache_bytes(default: int = 1 << 20) -> int:
    """Per-core L2 cache size from sysfs (Linux), else ``default``."""
    root = Path("/sys/devices/system/cpu/cpu0/cache")
    try:
        for index in sorted(root.glob("index*")):
            if (index / "level").read_text().strip() == "2":
                text = (index / "size").read_text().strip().upper()
                scale = {"K": 1 << 10, "M": 1 << 20}.get(text[-1], 1)
                return int(text.rstrip("KM")) * scale
    except (OSError, ValueError):
        pass
    return default


def choose_time_block(targets: np.ndarray, sources: np.ndarray, idelays: np.ndarray,
                      max_short_fraction: float = 0.05) -> int:
    """Largest time block K (from 1, 2, 4, 8, 16, 24, 32) that leaves at most ``max_short_fraction`` of the
    off-diagonal connections shorter than ``K - 1`` steps (those are summed per step instead).

    K depends on the delays only, never on the batch size: it fixes which edges are summed per block and which
    per step, hence the summation order, and a point's result must not depend on the batch it runs in.
    ``targets``, ``sources`` and ``idelays`` list the existing connections (see
    :meth:`~brainsweep.engine.Connectivity.connections`).
    """
    d = np.asarray(idelays)[np.asarray(targets) != np.asarray(sources)]
    if d.size == 0:
        return 1
    best = 1
    for K in (2, 4, 8, 16, 24, 32):
        if np.mean(d < K - 1) <= max_short_fraction:
            best = K
    return best


def build_edges(n_nodes: int, targets: np.ndarray, sources: np.ndarray, weights: np.ndarray, idelays: np.ndarray,
                lanes: int, time_block: int, unroll: int, itemsize: int, cache_bytes: int | None = None) -> EdgeLayout:
    """Kernel edge lists from the connections (``targets``, ``sources``, ``weights``, integer delays in steps).

    Takes O(connections) memory: nothing here is ``n_nodes x n_nodes``, so sparse connectomes of 20,000+ nodes
    build in seconds. The connections must be ordered by target then source (as
    :meth:`~brainsweep.engine.Connectivity.connections` gives them, for dense and sparse connectomes alike).
    """
    N = int(n_nodes)
    ii = np.asarray(targets, dtype=np.int64)
    jj = np.asarray(sources, dtype=np.int64)
    d = np.asarray(idelays, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float64)
    # a sequential sum in connection order: the same for a dense connectome and its sparse copy
    weight_sum = np.bincount(ii, weights=w, minlength=N)
    H = int(d.max()) + 1 if d.size else 1
    # a block no longer than the ring: a short edge's row then goes round at most once in a block, into the
    # repeated rows (choose_time_block never picks more; a time_block given by the user may be)
    K = min(int(time_block), H)
    # undelayed self-connections read the node's own current value inside the model loop
    self_loop = (ii == jj) & (d == 0)
    weight_self = np.zeros(N)
    weight_self[ii[self_loop]] = w[self_loop]
    ii, jj, d, w = ii[~self_loop], jj[~self_loop], d[~self_loop], w[~self_loop]
    stride = (H + K) * lanes
    off = jj * stride                  # the source's ring; the row is (p + H - d) mod H at run time
    hd = H - d
    is_long = d >= K - 1
    cache_bytes = l2_cache_bytes() if cache_bytes is None else cache_bytes
    # Long edges of each target, in increasing source order, are cut into chunks of `unroll` consecutive
    # edges (the last one padded with zero weights); a chunk is summed as a small tree, then added to the
    # target's sum. Chunks are visited by source block (so that a block's ring stays in cache), each under the
    # block of its first source; as blocks are ranges of sources, every target still adds its chunks in
    # increasing source order. The summation order therefore depends on the connectome and `unroll` only,
    # not on the block size (which depends on the number of lanes): results are bitwise independent of the
    # batch size.
    source_block = int(max(1, min(N, cache_bytes // max(1, stride * itemsize))))
    n_blocks = -(-N // source_block)
    li, lj, lo, lhv, lwv = ii[is_long], jj[is_long], off[is_long], hd[is_long], w[is_long]
    order = np.lexsort((lj, li))
    li, lj, lo, lhv, lwv = li[order], lj[order], lo[order], lhv[order], lwv[order]
    per_target = np.bincount(li, minlength=N)
    first = np.zeros(N + 1, dtype=np.int64)
    first[1:] = np.cumsum(per_target)
    rank = np.arange(li.size) - first[li]
    n_chunks = -(-per_target // unroll)
    chunk_base = np.zeros(N + 1, dtype=np.int64)
    chunk_base[1:] = np.cumsum(n_chunks)
    chunk = chunk_base[li] + rank // unroll                # global chunk id of each edge
    total = int(chunk_base[-1])
    chunk_target = np.repeat(np.arange(N), n_chunks)
    chunk_first_source = np.zeros(total, dtype=np.int64)
    heads = rank % unroll == 0
    chunk_first_source[chunk[heads]] = lj[heads]
    chunk_group = (chunk_first_source // source_block) * N + chunk_target
    chunk_order = np.lexsort((np.arange(total), chunk_group))   # stable: chunks keep their order per group
    new_pos = np.empty(total, dtype=np.int64)
    new_pos[chunk_order] = np.arange(total)
    loff = np.zeros(total * unroll, dtype=np.int64)      # padding: zero weight, any row of source 0
    lhd = np.full(total * unroll, H, dtype=np.int64)
    lw = np.zeros(total * unroll, dtype=np.float64)
    slot = new_pos[chunk] * unroll + rank % unroll
    loff[slot] = lo
    lhd[slot] = lhv
    lw[slot] = lwv
    lptr = np.zeros(n_blocks * N + 1, dtype=np.int64)
    lptr[1:] = np.cumsum(np.bincount(chunk_group, minlength=n_blocks * N)) * unroll
    short = ~is_long
    s_order = np.lexsort((jj[short], ii[short]))
    sptr = np.zeros(N + 1, dtype=np.int64)
    sptr[1:] = np.cumsum(np.bincount(ii[short], minlength=N))
    return EdgeLayout(horizon=H, time_block=K, source_block=source_block, lptr=lptr, loff=loff, lhd=lhd, lw=lw,
                      sptr=sptr, soff=off[short][s_order].astype(np.int64), shd=hd[short][s_order].astype(np.int64),
                      sw=w[short][s_order],
                      weight_self=weight_self, weight_sum=weight_sum, n_long=int(is_long.sum()), n_short=int(short.sum()))


def csr_edges(n_nodes: int, targets: np.ndarray, sources: np.ndarray, weights: np.ndarray,
              idelays: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Edges per target (the existing connections, self-connections included), sources ascending:
    ``(eptr, esrc, edel, ew)``; the plain layout of the CUDA and surface kernels."""
    ii, jj = np.asarray(targets, dtype=np.int64), np.asarray(sources, dtype=np.int64)
    order = np.lexsort((jj, ii))
    ii, jj = ii[order], jj[order]
    eptr = np.zeros(n_nodes + 1, dtype=np.int64)
    eptr[1:] = np.cumsum(np.bincount(ii, minlength=n_nodes))
    return (eptr, jj, np.asarray(idelays, dtype=np.int64)[order],
            np.asarray(weights, dtype=np.float64)[order])

"""numba options shared by the generated kernels.

On AVX-512 CPUs, LLVM's tuning for Intel server parts prefers 256-bit vectors; the kernel's lane loops
run about 15% faster with 512-bit ones, so ``prefer_wide_vectors`` lifts that preference for the process
(only if nothing has been compiled yet and the user has not set ``NUMBA_CPU_FEATURES``; set
``BRAINSWEEP_PREFER_256=1`` to keep LLVM's default).

``kernel_jit`` compiles a kernel once per signature, caches the machine code on disk (``cache=True``),
releases the GIL (so threads of a Dask worker can run kernels side by side) and tells LLVM that array
arguments do not alias: without that, LLVM re-checks array overlap before every vectorised lane loop.
numba has the ``noalias`` code-generation flag (used for its parallel gufuncs) but no public ``njit``
option for it; it is exposed here when the installed numba has the flag, and silently skipped otherwise.
"""
from __future__ import annotations

import os

import numba as nb

try:
    from numba.core import cpu as _cpu
    from numba.core import options as _options

    if not hasattr(_cpu.CPUTargetOptions, "noalias"):
        _cpu.CPUTargetOptions.noalias = _options.TargetOptions.Mapping("noalias")
    NOALIAS = {"noalias": True}
except Exception:  # pragma: no cover - depends on numba internals
    NOALIAS = {}

kernel_jit = nb.njit(nogil=True, cache=True, error_model="numpy", boundscheck=False, fastmath={"contract"},
                     **NOALIAS)


def prefer_wide_vectors() -> bool:
    """Let LLVM use 512-bit vectors on AVX-512 CPUs (see module docstring); True if applied."""
    if os.environ.get("NUMBA_CPU_FEATURES") or os.environ.get("BRAINSWEEP_PREFER_256"):
        return False
    try:
        import llvmlite.binding as ll
        from numba.core import config, registry

        if config.CPU_FEATURES is not None or "_toplevel_target_context" in registry.cpu_target.__dict__:
            return False
        features = ll.get_host_cpu_features().flatten()
        if "+avx512f" not in features.split(","):
            return False
        config.CPU_FEATURES = features + ",-prefer-256-bit"
        return True
    except Exception:  # pragma: no cover - depends on numba internals
        return False


WIDE_VECTORS = prefer_wide_vectors()

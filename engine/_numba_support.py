"""numba options shared by the generated kernels.

``kernel_jit`` compiles a kernel once per signature, caches the machine code on disk (``cache=True``),
releases the GIL (so threads of a Dask worker can run kernels side by side) and tells LLVM that array
arguments do not alias: without that, LLVM re-checks array overlap before every vectorised lane loop.
numba has the ``noalias`` code-generation flag (used for its parallel gufuncs) but no public ``njit``
option for it; it is exposed here when the installed numba has the flag, and silently skipped otherwise.
"""
from __future__ import annotations

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

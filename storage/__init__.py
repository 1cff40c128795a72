"""Result storage of parameter sweeps: one Zarr v3 store per sweep, opened as a labelled xarray grid.

:mod:`~brainsweep.storage.layout` describes the grid, blocks and variables (no Zarr);
:mod:`~brainsweep.storage.zarr_store` creates the store, writes blocks from workers, finds the blocks left on
resume and opens the results. Nothing else in the project knows Zarr.
"""
from .layout import (RESERVED_VARIABLES, STATUS_DIVERGED, STATUS_FAILED, STATUS_NOT_COMPUTED, STATUS_OK,
                     VARIABLE_DTYPES, StoreLayout, VariableSpec)
from .trials import (TRIAL_COMPLETE, TRIAL_FAILED, TRIAL_NOT_RECORDED, TRIAL_PRUNED, TrialLayout, create_trial_store,
                     read_trials, write_trials)
from .zarr_store import (MAX_ERROR_CHARS, StoreMismatchError, StoreNotWritableError, check_writable, create_store,
                         finalize_store, open_results, pending_blocks, write_block)

__all__ = [
    "VariableSpec",
    "StoreLayout",
    "RESERVED_VARIABLES",
    "VARIABLE_DTYPES",
    "STATUS_OK",
    "STATUS_DIVERGED",
    "STATUS_FAILED",
    "STATUS_NOT_COMPUTED",
    "MAX_ERROR_CHARS",
    "StoreMismatchError",
    "StoreNotWritableError",
    "check_writable",
    "create_store",
    "pending_blocks",
    "write_block",
    "finalize_store",
    "open_results",
    "TrialLayout",
    "create_trial_store",
    "write_trials",
    "read_trials",
    "TRIAL_COMPLETE",
    "TRIAL_PRUNED",
    "TRIAL_FAILED",
    "TRIAL_NOT_RECORDED",
]

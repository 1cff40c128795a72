"""TVB's ``tvb.datatypes.local_connectivity`` (see :mod:`brainsweep.lab.cortex`)."""
from .cortex import LocalConnectivity

__all__ = ["LocalConnectivity"]

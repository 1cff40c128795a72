"""brainsweep: whole-brain network simulation and parameter exploration."""

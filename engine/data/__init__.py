"""Data files shipped with brainsweep (read with :mod:`importlib.resources`); see the README files here."""

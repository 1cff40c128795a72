"""Test configuration: helper modules live in tests/helpers (tests are imported in importlib mode)."""
import os
import sys
from pathlib import Path

# Kernels compiled by the tests go to a cache private to this checkout unless the caller chose one.
os.environ.setdefault("BRAINSWEEP_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".bench" / "cache"))
sys.path.insert(0, str(Path(__file__).parent / "helpers"))


"""Locations used by tests."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Development data shared beside the repository (absent in a user's clone: tests that need it skip).
SHARED = REPO.parent / "shared"

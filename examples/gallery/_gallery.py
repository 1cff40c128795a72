"""What every gallery script shares: its command line (``--quick``, ``--out``) and saving its figure."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")


def arguments(doc: str, argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short simulations (seconds of wall time), as the tests run")
    parser.add_argument("--out", type=Path, default=Path("gallery-figures"), help="folder for the PNG figure")
    return parser.parse_args(argv)


def save(fig, args: argparse.Namespace, name: str) -> Path:
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{name}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    print(f"figure: {path}")
    return path

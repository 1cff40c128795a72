"""Connectomes: TVB's default, your own matrices, edits that return new connectomes (seed examples 1-3).

brainsweep's :class:`~brainsweep.Connectivity` is immutable: normalising, lesioning or rescaling returns a new
connectome and records the edit in its ``history``, so a sweep can always say which connectome it ran on.

    python examples/gallery/01_connectomes.py [--quick] [--out DIR]
"""
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from _gallery import arguments, save

import brainsweep as bs


def main(argv=None):
    args = arguments(__doc__, argv)
    # 1. TVB's default 76-region connectome, bundled with tvb-data
    conn = bs.Connectivity.from_tvb_data()
    print(f"{conn.number_of_regions} regions, {conn.number_of_connections} connections, "
          f"first labels {list(conn.region_labels[:5])}")

    # 2. your own tractography output: weights, fibre lengths, labels, centres in text files
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.savetxt(tmp / "weights.txt", conn.weights)
        np.savetxt(tmp / "distances.txt", conn.tract_lengths)
        np.savetxt(tmp / "labels.txt", conn.region_labels, fmt="%s")
        np.savetxt(tmp / "centers.txt", conn.centres)
        custom = bs.Connectivity.from_files(tmp / "weights.txt", tmp / "distances.txt",
                                            region_labels=tmp / "labels.txt", centres=tmp / "centers.txt")
        custom = custom.normalized("max")                          # weights / max weight, a new object
        saved = custom.to_zip(tmp / "my_connectivity.zip")         # a TVB zip: TVB reads it too
        again = bs.Connectivity.from_file(saved)
        assert np.array_equal(again.weights, custom.weights)

    # 3. a parcellation without fibre lengths: Euclidean distances between centres stand in for them
    estimated = bs.Connectivity(conn.weights, centres=conn.centres, region_labels=conn.region_labels)

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    img = axes[0].imshow(custom.weights, cmap="hot", interpolation="nearest")
    fig.colorbar(img, ax=axes[0], label="weight (max-normalised)")
    axes[0].set_title(f"structural connectivity ({conn.number_of_regions} regions)")
    img = axes[1].imshow(conn.tract_lengths, cmap="viridis", interpolation="nearest")
    fig.colorbar(img, ax=axes[1], label="tract length (mm)")
    axes[1].set_title("tract lengths")
    mask = conn.weights > 0
    axes[2].scatter(conn.tract_lengths[mask], estimated.tract_lengths[mask], s=3, alpha=0.4)
    top = conn.tract_lengths.max()
    axes[2].plot([0, top], [0, top], "k--", lw=1)
    axes[2].set_xlabel("tract length (mm)")
    axes[2].set_ylabel("Euclidean distance of centres (mm)")
    axes[2].set_title("fibre length vs straight line")
    save(fig, args, "connectomes")


if __name__ == "__main__":
    main()

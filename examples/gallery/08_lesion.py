"""A virtual lesion: how removing one region's connections changes FC (seed example 12).

``Connectivity.lesioned(region)`` returns a new connectome without that region's connections (the original is
untouched). The intact and the lesioned brain run as two members of one batch with the same noise seed
(``connectivity.lesion`` per member), so the FC difference is the lesion's effect, not noise.

    python examples/gallery/08_lesion.py [--quick] [--out DIR]
"""
import matplotlib.pyplot as plt
import numpy as np
from _gallery import arguments, save

import brainsweep as bs
from brainsweep.engine import features


def main(argv=None):
    args = arguments(__doc__, argv)
    conn = bs.Connectivity.from_tvb_data()
    target = 10
    lesioned = conn.lesioned(target)
    print(f"lesion {conn.region_labels[target]}: {conn.number_of_connections - lesioned.number_of_connections} "
          f"connections removed; history {lesioned.history}")
    sim = bs.Simulator(
        connectivity=conn,
        model=bs.models.ReducedWongWang(),
        coupling=bs.coupling.Linear(a=0.014),
        integrator=bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=0.001)),
        monitors=[bs.monitors.Bold(period=2000.0)],
        seed=12,
    )
    length = 24_000.0 if args.quick else 600_000.0
    mask = np.zeros((2, conn.number_of_regions))
    mask[1, target] = 1.0                                   # member 0 intact, member 1 lesioned
    ds = sim.run(length, batch={"connectivity.lesion": mask}, seeds=[12, 12])
    fc = np.asarray(features.functional_connectivity(ds.bold, transient=4_000.0))
    intact, after = fc[0], fc[1]
    change = np.abs(after - intact)
    np.fill_diagonal(change, 0)
    print(f"mean |ΔFC| of the lesioned region's pairs {change[target].mean():.3f}, of all others "
          f"{np.delete(np.delete(change, target, 0), target, 1).mean():.3f}")

    fig, axes = plt.subplots(1, 3, figsize=(17, 4.8))
    for ax, mat, title, lim in ((axes[0], intact, "FC intact", 1), (axes[1], after, "FC after lesion", 1),
                                (axes[2], after - intact, "difference", 0.5)):
        img = ax.imshow(mat, cmap="RdBu_r", vmin=-lim, vmax=lim)
        fig.colorbar(img, ax=ax)
        ax.set_title(title)
    axes[2].axhline(target, color="k", lw=0.5)
    axes[2].axvline(target, color="k", lw=0.5)
    save(fig, args, "lesion")


if __name__ == "__main__":
    main()

"""Alzheimer-like disconnection: weaken long-range connections and watch the fit to healthy FC fall (seed example 13).

``Connectivity.scaled_long_range(50, 0.5)`` halves every connection longer than 50 mm and returns a new
connectome (its ``history`` records the edit). Healthy and "AD" brains run with the same noise seeds; the
figure shows how much FC between distant regions is lost and how the fit to the (healthy) empirical HCP FC
changes.

    python examples/gallery/09_alzheimer.py [--quick] [--out DIR]
"""
import matplotlib.pyplot as plt
import numpy as np
from _gallery import arguments, save

import brainsweep as bs
from brainsweep.engine import datasets, features


def run(conn, length, seeds):
    sim = bs.Simulator(
        connectivity=conn,
        model=bs.models.ReducedWongWang(),
        coupling=bs.coupling.Linear(a=0.13),
        integrator=bs.integrators.HeunStochastic(dt=0.5, noise=bs.noise.Additive(nsig=1e-4)),
        monitors=[bs.monitors.BalloonWindkessel(period=720.0)],
        initial_conditions=np.full((1, conn.number_of_regions), 0.1),
    )
    ds = sim.run(length, batch={"coupling.a": np.full(len(seeds), 0.13)}, seeds=seeds)
    return features.functional_connectivity(ds.balloon_windkessel, transient=5_000.0)


def main(argv=None):
    args = arguments(__doc__, argv)
    hcp = datasets.bundled_hcp80()
    healthy = hcp.connectivity(speed=10.0)
    disease = healthy.scaled_long_range(50.0, 0.5)
    long = healthy.tract_lengths > 50.0
    print(f"{int(long[healthy.weights > 0].sum())} of {healthy.number_of_connections} connections are longer than "
          f"50 mm; {disease.history}")
    length = 30_000.0 if args.quick else 600_000.0
    seeds = [1, 2] if args.quick else [1, 2, 3, 4]
    fcs = {name: run(conn, length, seeds) for name, conn in (("healthy", healthy), ("AD-like", disease))}
    empirical = hcp.fc_dataarray()
    fits = {name: np.asarray(features.fc_fit(fc, empirical)) for name, fc in fcs.items()}
    for name, r in fits.items():
        print(f"{name:8s} FC fit r = {r.mean():.3f} ± {r.std():.3f} over {len(seeds)} seeds")

    mean_fc = {name: np.asarray(fc).mean(0) for name, fc in fcs.items()}
    iu = np.triu_indices(80, 1)
    far = long[iu]
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.8))
    img = axes[0].imshow(mean_fc["AD-like"] - mean_fc["healthy"], cmap="RdBu_r", vmin=-0.3, vmax=0.3)
    fig.colorbar(img, ax=axes[0])
    axes[0].set_title("FC change (AD-like - healthy)")
    for name, fc in mean_fc.items():
        axes[1].hist(fc[iu][far], bins=40, alpha=0.5, label=name)
    axes[1].set_xlabel("FC of pairs more than 50 mm apart")
    axes[1].legend()
    axes[1].set_title("long-range functional coupling")
    axes[2].bar(list(fits), [r.mean() for r in fits.values()], yerr=[r.std() for r in fits.values()],
                color=["C0", "C3"])
    axes[2].set_ylabel("fit r to healthy empirical FC")
    axes[2].set_title("fit to HCP group FC")
    save(fig, args, "alzheimer")


if __name__ == "__main__":
    main()

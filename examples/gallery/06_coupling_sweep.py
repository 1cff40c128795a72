"""A global-coupling sweep in one kernel call: FC fit against coupling (seed example 10).

The seed loops over 20 couplings, building and running one TVB simulator each. Here the 20 couplings (times
two noise seeds) are one batch of 40 members sharing the connectome: one compiled kernel call, and each
member's result is the same as if it had run alone. The fit to the empirical HCP group FC rises towards the
coupling where the network leaves its low-activity state, and falls after it.

    python examples/gallery/06_coupling_sweep.py [--quick] [--out DIR]
"""
import matplotlib.pyplot as plt
import numpy as np
from _gallery import arguments, save

import brainsweep as bs
from brainsweep.engine import datasets, features


def main(argv=None):
    args = arguments(__doc__, argv)
    hcp = datasets.bundled_hcp80()
    couplings = np.linspace(0.0, 0.3, 20)
    seeds = [1] if args.quick else [1, 2]
    sim = bs.Simulator(
        connectivity=hcp.connectivity(speed=10.0),
        model=bs.models.ReducedWongWang(),
        integrator=bs.integrators.HeunStochastic(dt=0.5, noise=bs.noise.Additive(nsig=1e-4)),
        monitors=[bs.monitors.BalloonWindkessel(period=720.0), bs.monitors.TemporalAverage(period=10.0)],
        initial_conditions=np.full((1, 80), 0.1),
        dtype="float32",
    )
    length, transient = (12_000.0, 3_000.0) if args.quick else (300_000.0, 20_000.0)
    ds = sim.run(length, batch={"coupling.a": np.repeat(couplings, len(seeds))}, seeds=seeds * len(couplings))
    fc = features.functional_connectivity(ds.balloon_windkessel, transient=transient)
    fit = np.asarray(features.fc_fit(fc, hcp.fc_dataarray())).reshape(len(couplings), len(seeds))
    mean_s = np.asarray(ds.temporal_average.sel(time_temporal_average=slice(transient, None))
                        .mean(("time_temporal_average", "variable", "region"))).reshape(len(couplings), len(seeds))
    simulated = length / 1000 * ds.sizes["batch"]
    print(f"{ds.sizes['batch']} members x {length / 1000:g} s in {ds.attrs['wall_time_s']:.1f} s "
          f"({simulated / ds.attrs['wall_time_s']:.0f} simulated s per wall s); best fit r = {np.nanmax(fit):.3f} "
          f"at coupling {couplings[np.nanargmax(fit.mean(1))]:.3f}")

    fig, ax = plt.subplots(figsize=(9, 4.8))
    ax.errorbar(couplings, fit.mean(1), yerr=fit.std(1), marker="o", label="FC fit r (mean ± sd over seeds)")
    ax.set_xlabel("global coupling (coupling.a)")
    ax.set_ylabel("FC fit r")
    twin = ax.twinx()
    twin.plot(couplings, mean_s.mean(1), color="C3", ls="--", label="mean S")
    twin.set_ylabel("mean synaptic gating S", color="C3")
    ax.set_title(f"ReducedWongWang on HCP 80 regions: one batch of {ds.sizes['batch']} simulations")
    ax.legend(loc="upper left")
    save(fig, args, "coupling_sweep")


if __name__ == "__main__":
    main()

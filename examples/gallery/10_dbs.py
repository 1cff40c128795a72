"""Deep brain stimulation: a 130 Hz pulse train into one region, and what the network does (seed example 14).

A :class:`~brainsweep.engine.stimuli.StimuliRegion` adds ``temporal(t) * weight[i]`` to the derivative of the
model's stimulated variable (ReducedWongWang's S), exactly where TVB's integrators add it. Pulses of 0.5 ms every
1000/130 ms start at 5 s. The run is repeated with the same noise seed and no stimulus, so the difference
between the two is the stimulation's effect alone: the target is driven up, and the regions it projects to
follow, more the stronger their connection.

    python examples/gallery/10_dbs.py [--quick] [--out DIR]
"""
import matplotlib.pyplot as plt
import numpy as np
from _gallery import arguments, save

import brainsweep as bs
from brainsweep.engine.equations import PulseTrain
from brainsweep.engine.stimuli import StimuliRegion


def main(argv=None):
    args = arguments(__doc__, argv)
    conn = bs.Connectivity.from_tvb_data()
    target = 25
    weight = np.zeros(conn.number_of_regions)
    weight[target] = 0.5
    stimulus = StimuliRegion(temporal=PulseTrain(T=1000.0 / 130.0, tau=0.5, amp=1.0, onset=5000.0), weight=weight)
    def run(stim):
        sim = bs.Simulator(
            connectivity=conn,
            model=bs.models.ReducedWongWang(),
            coupling=bs.coupling.Linear(a=0.014),
            integrator=bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=1e-5)),
            monitors=[bs.monitors.TemporalAverage(period=10.0)],
            stimulus=stim,
            seed=14,
        )
        return sim.run(length).temporal_average.sel(variable="S")

    length = 10_000.0 if args.quick else 30_000.0
    # the same noise seed with and without stimulation: the difference is the stimulation's effect alone
    control, stimulated = run(None), run(stimulus)
    after = slice(6000.0, None)
    change = (stimulated - control).sel(time=after).mean("time")
    partners = np.argsort(conn.weights[:, target])[::-1][:4]
    print(f"target {conn.region_labels[target]}: mean S {float(control.sel(time=after)[:, target].mean()):.3f}"
          f" -> {float(stimulated.sel(time=after)[:, target].mean()):.3f}; strongest partners "
          f"change by {np.round(change.values[partners], 4).tolist()}")

    fig, axes = plt.subplots(1, 2, figsize=(16, 4.8))
    t = control.time / 1000
    for k, colour in zip([target, partners[0]], ["C3", "C0"]):
        axes[0].plot(t, control[:, k], color="0.6", lw=0.8)
        axes[0].plot(t, stimulated[:, k], color=colour, lw=0.8,
                     label=f"{conn.region_labels[k]}{' (target)' if k == target else ' (strongest partner)'}")
    axes[0].axvline(5.0, color="k", ls="--", lw=0.8)
    axes[0].set_xlabel("time (s)")
    axes[0].set_ylabel("S (grey: the same run without stimulation)")
    axes[0].legend(fontsize=8)
    axes[0].set_title("130 Hz stimulation from 5 s (dashed)")
    others = np.delete(np.arange(conn.number_of_regions), target)
    axes[1].scatter(conn.weights[others, target], change.values[others], s=12)
    axes[1].set_xscale("symlog", linthresh=1e-2)
    axes[1].set_xlabel(f"connection weight from {conn.region_labels[target]}")
    axes[1].set_ylabel("mean change of S during stimulation")
    axes[1].set_title("the network's response follows the connectome")
    save(fig, args, "dbs")


if __name__ == "__main__":
    main()

"""A bifurcation diagram: where the regions start to oscillate (seed example 11).

The seed scans Generic2dOscillator's ``tau`` over [-2, 0], where the model's time scale is negative and every
run diverges (in TVB as well). The meaningful scan is the nullcline offset ``a``: for each value, a batch member
runs to steady state, and each region's minimum and maximum of V afterwards are plotted. A fixed point has
min = max; a limit cycle opens into two branches (a Hopf bifurcation), at slightly different values of ``a`` in
different regions because each region feels a different input from the network.

    python examples/gallery/07_bifurcation.py [--quick] [--out DIR]
"""
import matplotlib.pyplot as plt
import numpy as np
from _gallery import arguments, save

import brainsweep as bs


def main(argv=None):
    args = arguments(__doc__, argv)
    values = np.linspace(-3.0, 3.0, 31 if args.quick else 121)
    sim = bs.Simulator(
        connectivity=bs.Connectivity.from_tvb_data(),
        model=bs.models.Generic2dOscillator(),
        coupling=bs.coupling.Linear(a=0.01),
        integrator=bs.integrators.HeunDeterministic(dt=0.1),
        monitors=[bs.monitors.TemporalAverage(period=1.0)],
    )
    length, transient = (1_500.0, 1_000.0) if args.quick else (4_000.0, 2_000.0)
    ds = sim.run(length, batch={"model.a": values})
    v = ds.temporal_average.sel(variable="V", time=slice(transient, None))
    low, high = v.min("time"), v.max("time")                  # (batch, region)
    oscillating = (high - low).max("region") > 0.05          # peak-to-peak of V in any region
    onsets = values[1:][np.diff(oscillating.values.astype(int)) != 0]     # first value after each switch
    print(f"{len(values)} values of a in one batch, {ds.attrs['wall_time_s']:.1f} s; the oscillation "
          f"switches on/off at a ≈ {', '.join(f'{x:.2f}' for x in onsets)}")

    fig, ax = plt.subplots(figsize=(9, 5))
    for region in range(v.sizes["region"]):
        ax.plot(values, low[:, region], ".", color="C0", ms=2)
        ax.plot(values, high[:, region], ".", color="C3", ms=2)
    ax.set_xlabel("model.a (nullcline offset)")
    ax.set_ylabel("V: minimum (blue) and maximum (red) per region")
    ax.set_title("Generic2dOscillator on 76 regions: fixed points and limit cycles")
    save(fig, args, "bifurcation")


if __name__ == "__main__":
    main()

"""Time-varying coupling, in the kernel: a global coupling that oscillates slowly (seed example 15).

TVB needs a coupling subclass for this (the seed sketches one and leaves it unimplemented). In brainsweep a
parameter can be any function of time, evaluated inside the compiled kernel at every step:
``time_varying={"coupling.a": Offset(Sinusoid(amp=..., frequency=...), base=...)}``. Here ReducedWongWang's
global coupling on the HCP connectome swings between 0.08 and 0.14 with a 20 s period, across the range where
functional connectivity builds up, and the mean FC in sliding 4 s windows rises and falls with it.

    python examples/gallery/11_time_varying_coupling.py [--quick] [--out DIR]
"""
import matplotlib.pyplot as plt
import numpy as np
from _gallery import arguments, save

import brainsweep as bs
from brainsweep.engine import datasets
from brainsweep.engine.equations import Offset, Sinusoid


def main(argv=None):
    args = arguments(__doc__, argv)
    hcp = datasets.bundled_hcp80()
    period = 20_000.0                                                 # ms
    modulation = Offset(Sinusoid(amp=0.03, frequency=1.0 / period), base=0.11)       # 0.08 .. 0.14
    sim = bs.Simulator(
        connectivity=hcp.connectivity(speed=10.0),
        model=bs.models.ReducedWongWang(),
        coupling=bs.coupling.Linear(),
        integrator=bs.integrators.HeunStochastic(dt=0.5, noise=bs.noise.Additive(nsig=1e-4)),
        monitors=[bs.monitors.TemporalAverage(period=10.0)],
        time_varying={"coupling.a": modulation},
        initial_conditions=np.full((1, 80), 0.1),
        seed=15,
    )
    length = 40_000.0 if args.quick else 120_000.0
    s = sim.run(length).temporal_average.sel(variable="S")
    width, step = 4_000.0, 500.0
    starts = np.arange(5_000.0, length - width + 1, step)            # after a 5 s transient
    iu = np.triu_indices(s.sizes["region"], 1)
    mean_fc = [np.corrcoef(s.sel(time=slice(t0, t0 + width)).values.T)[iu].mean() for t0 in starts]
    centres = starts + width / 2
    coupling_at = modulation.evaluate(centres)
    r = np.corrcoef(coupling_at, mean_fc)[0, 1]
    print(f"{len(starts)} windows; correlation between the coupling and the windowed mean FC: {r:.2f}")

    fig, ax = plt.subplots(figsize=(10, 4.6))
    ax.plot(centres / 1000, mean_fc, marker=".", label="mean FC of S in a 4 s window")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mean FC")
    twin = ax.twinx()
    t = np.linspace(0, length, 400)
    twin.plot(t / 1000, modulation.evaluate(t), color="C3", ls="--")
    twin.set_ylabel("coupling.a(t)", color="C3")
    ax.set_title(f"coupling modulated in the kernel; FC follows it (r = {r:.2f})")
    ax.legend(loc="upper left")
    save(fig, args, "time_varying_coupling")


if __name__ == "__main__":
    main()

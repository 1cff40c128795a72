"""Time-varying coupling, in the kernel: a global coupling that oscillates slowly (seed example 15).

TVB needs a coupling subclass for this (the seed sketches one and leaves it unimplemented). In brainsweep a
parameter can be any function of time, evaluated inside the compiled kernel at every step:
``time_varying={"coupling.a": Offset(Sinusoid(amp=..., frequency=...), base=...)}``. Here the coupling swings
around its mean with a 10 s period, and FC in sliding 2 s windows follows it.

    python examples/gallery/11_time_varying_coupling.py [--quick] [--out DIR]
"""
import matplotlib.pyplot as plt
import numpy as np
from _gallery import arguments, save

import brainsweep as bs
from brainsweep.engine.equations import Offset, Sinusoid


def main(argv=None):
    args = arguments(__doc__, argv)
    modulation = Offset(Sinusoid(amp=0.3 * 0.042, frequency=1.0 / 10_000.0), base=0.042)   # 1 +- 0.3, 10 s
    sim = bs.Simulator(
        connectivity=bs.Connectivity.from_tvb_data(),
        model=bs.models.Generic2dOscillator(a=1.05),                  # just beyond the onset of oscillations
        coupling=bs.coupling.Linear(),
        integrator=bs.integrators.HeunStochastic(dt=0.1, noise=bs.noise.Additive(nsig=1e-4)),
        monitors=[bs.monitors.TemporalAverage(period=5.0)],
        time_varying={"coupling.a": modulation},
        seed=15,
    )
    length = 10_000.0 if args.quick else 40_000.0
    v = sim.run(length).temporal_average.sel(variable="V")
    width, step = 2_000.0, 250.0
    starts = np.arange(1_000.0, length - width + 1, step)
    iu = np.triu_indices(v.sizes["region"], 1)
    mean_fc = []
    for t0 in starts:
        window = v.sel(time=slice(t0, t0 + width)).values
        mean_fc.append(np.corrcoef(window.T)[iu].mean())
    centres = starts + width / 2
    coupling_at = modulation.evaluate(centres)
    r = np.corrcoef(coupling_at, mean_fc)[0, 1]
    print(f"{len(starts)} windows; correlation between the coupling and the windowed mean FC: {r:.2f}")

    fig, ax = plt.subplots(figsize=(10, 4.6))
    ax.plot(centres / 1000, mean_fc, marker=".", label="mean FC in a 2 s window")
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

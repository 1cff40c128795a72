"""A TVB script, ported by changing its imports, then grown into a batch and a sweep spec (seed example 10).

The first half is the seed's coupling sweep as TVB users write it, with ``from tvb.simulator.lab import *``
changed to ``from brainsweep.lab import *`` and nothing else (fewer couplings and seconds with ``--quick``).
The second half hands the configured simulation to brainsweep's own API: ``sim.to_brainsweep()`` runs all the
couplings as one batch (each member gives the same numbers as its own run above: the noise depends only on
the seed), and ``sim.to_sweep_spec(...)`` writes the spec ``brainsweep sweep`` runs on a Dask cluster.

    python examples/gallery/14_tvb_script_ported.py [--quick] [--out DIR]
"""
import time

import numpy as np
import yaml
from _gallery import arguments, save

from brainsweep.lab import *  # noqa: F403 -- was: from tvb.simulator.lab import *


def main(argv=None):
    args = arguments(__doc__, argv)
    import matplotlib.pyplot as plt

    conn = connectivity.Connectivity.from_file()  # noqa: F405
    model = models.ReducedWongWang()  # noqa: F405
    coupling_values = np.linspace(0.001, 0.05, 4 if args.quick else 20)
    simulation_length = 10000.0 if args.quick else 60000.0

    # --- the seed's loop, as written for TVB ---------------------------------------------------------------
    t0 = time.perf_counter()
    fc_simulated_all = []
    for coupling_strength in coupling_values:
        coupl = coupling.Linear(a=np.array([coupling_strength]))  # noqa: F405
        heunint = integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([0.001])))  # noqa: F405
        bold_monitor = monitors.Bold(period=2000.0)  # noqa: F405
        sim = simulator.Simulator(model=model, connectivity=conn, coupling=coupl, integrator=heunint,  # noqa: F405
                                  monitors=[bold_monitor])
        sim.configure()
        (bold_time, bold_data), = sim.run(simulation_length=simulation_length)
        fc_simulated_all.append(np.corrcoef(bold_data[:, 0, :, 0].T))
    loop_s = time.perf_counter() - t0

    # --- the same sweep as one batch on the engine -----------------------------------------------------------
    engine = sim.to_brainsweep()
    t0 = time.perf_counter()
    engine.reset()
    ds = engine.run(simulation_length, batch={"coupling.a": coupling_values}, seeds=[42] * len(coupling_values))
    batch_s = time.perf_counter() - t0
    batched = [np.corrcoef(b.T) for b in ds.bold.isel(variable=0).values]
    agree = max(float(np.nanmax(np.abs(a - b))) for a, b in zip(fc_simulated_all, batched))
    print(f"loop of {len(coupling_values)} TVB-style runs: {loop_s:.1f} s; one batch: {batch_s:.1f} s; "
          f"largest FC difference between the two: {agree:.1e}")

    spec = sim.to_sweep_spec(axes={"coupling.a": {"linspace": [0.001, 0.05, 20]}},
                             features=[{"name": "fc", "monitor": "bold"}], name="seed-example-10")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "seed_example_10.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    print(f"sweep spec: {args.out / 'seed_example_10.yaml'} (run: brainsweep sweep {args.out / 'seed_example_10.yaml'}"
          f" -o seed10.zarr)")

    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    spread = [np.nanstd(fc[np.triu_indices(76, 1)]) for fc in fc_simulated_all]
    axes[0].plot(coupling_values, spread, "o-", label="TVB-style loop")
    axes[0].plot(coupling_values, [np.nanstd(fc[np.triu_indices(76, 1)]) for fc in batched], "x--",
                 label="one batch")
    axes[0].set_xlabel("coupling")
    axes[0].set_ylabel("spread of FC values (sd)")
    axes[0].legend()
    axes[0].set_title("ported loop and batch agree")
    axes[1].imshow(fc_simulated_all[-1], cmap="RdBu_r", vmin=-1, vmax=1)
    axes[1].set_title(f"FC at coupling {coupling_values[-1]:.3f}")
    save(fig, args, "tvb_script_ported")


if __name__ == "__main__":
    main()

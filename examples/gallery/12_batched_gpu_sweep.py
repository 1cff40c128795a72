"""A batched, GPU-ready sweep: a whole parameter grid in one kernel call (seed example 16).

The seed's GPU note is "experimental, depends on the TVB version". In brainsweep a grid of parameter sets is one
batch sharing the connectome, run by one compiled kernel: on the CPU here, and with ``backend="cuda"`` the same
call runs the same model, coupling and noise code on an NVIDIA GPU (``pip install brainsweep[gpu]``), giving the
same numbers. For grids larger than one machine, ``brainsweep sweep spec.yaml --gpu`` sends the batches to Dask
workers that advertise a GPU.

    python examples/gallery/12_batched_gpu_sweep.py [--quick] [--out DIR]
"""
import os

import matplotlib.pyplot as plt
import numpy as np
from _gallery import arguments, save

import brainsweep as bs
from brainsweep.engine import datasets, features
from brainsweep.engine.cuda import cuda_status


def main(argv=None):
    args = arguments(__doc__, argv)
    on_gpu = cuda_status()[0] and os.environ.get("NUMBA_ENABLE_CUDASIM") != "1"
    backend = "cuda" if on_gpu else "cpu"
    hcp = datasets.bundled_hcp80()
    couplings = np.linspace(0.0, 0.24, 7 if args.quick else 13)
    noises = np.logspace(-5, -3, 3 if args.quick else 5)
    grid_c, grid_n = np.meshgrid(couplings, noises, indexing="ij")
    sim = bs.Simulator(
        connectivity=hcp.connectivity(speed=10.0),
        model=bs.models.ReducedWongWang(),
        integrator=bs.integrators.HeunStochastic(dt=0.5, noise=bs.noise.Additive()),
        monitors=[bs.monitors.BalloonWindkessel(period=720.0)],
        initial_conditions=np.full((1, 80), 0.1),
        dtype="float32",
        backend=backend,
    )
    length, transient = (12_000.0, 3_000.0) if args.quick else (120_000.0, 20_000.0)
    ds = sim.run(length, batch={"coupling.a": grid_c.ravel(), "noise.nsig": grid_n.ravel()}, seeds=[16] * grid_c.size)
    fit = np.asarray(features.fc_fit(features.functional_connectivity(ds.balloon_windkessel, transient=transient),
                                     hcp.fc_dataarray())).reshape(grid_c.shape)
    wall = ds.attrs["wall_time_s"]
    print(f"{grid_c.size} parameter sets x {length / 1000:g} s on {backend} in {wall:.1f} s: "
          f"{grid_c.size * length / 1000 / wall:.0f} simulated s per wall s")

    fig, ax = plt.subplots(figsize=(9, 5))
    mesh = ax.pcolormesh(couplings, noises, fit.T, shading="nearest", cmap="viridis")
    fig.colorbar(mesh, ax=ax, label="FC fit r")
    best = np.unravel_index(np.nanargmax(fit), fit.shape)
    ax.plot(couplings[best[0]], noises[best[1]], "r*", ms=14)
    ax.set_yscale("log")
    ax.set_xlabel("coupling.a")
    ax.set_ylabel("noise.nsig")
    ax.set_title(f"{grid_c.size} simulations in one kernel call ({backend})")
    save(fig, args, "batched_gpu_sweep")


if __name__ == "__main__":
    main()

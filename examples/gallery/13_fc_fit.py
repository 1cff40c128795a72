"""Fitting a model to empirical FC with scipy.optimize and Optuna, on one objective (seed example 17).

The seed hands TVB simulations to ``scipy.optimize.minimize``. Two things make that work well here: the noise
is keyed by seed, so the objective uses *common random numbers* (the same seeds at every evaluation: a
deterministic function of the parameters, which optimisers need), and each evaluation runs its seeds as one
batch. The same function is then driven by Nelder-Mead and by Optuna's TPE sampler, and both are drawn over
the landscape of the same space computed as one batched grid.

    python examples/gallery/13_fc_fit.py [--quick] [--out DIR]
"""
import matplotlib.pyplot as plt
import numpy as np
import optuna
from _gallery import arguments, save
from scipy.optimize import minimize

import brainsweep as bs
from brainsweep.engine import datasets, features

HCP = datasets.bundled_hcp80()
SEEDS = [1, 2]
BOUNDS = [(0.0, 0.25), (-5.0, -3.0)]              # coupling.a, log10(noise.nsig)


def simulator() -> bs.Simulator:
    return bs.Simulator(
        connectivity=HCP.connectivity(speed=10.0),
        model=bs.models.ReducedWongWang(),
        integrator=bs.integrators.HeunStochastic(dt=0.5, noise=bs.noise.Additive()),
        monitors=[bs.monitors.BalloonWindkessel(period=720.0)],
        initial_conditions=np.full((1, 80), 0.1),
        dtype="float32",
    )


def fc_fits(couplings, log_noises, length, transient):
    """FC fit r for each (coupling, log10 nsig) pair, mean over SEEDS; everything in one batch."""
    couplings, log_noises = np.atleast_1d(couplings), np.atleast_1d(log_noises)
    ds = simulator().run(length, batch={"coupling.a": np.repeat(couplings, len(SEEDS)),
                                        "noise.nsig": np.repeat(10.0 ** log_noises, len(SEEDS))},
                         seeds=SEEDS * couplings.size)
    fc = features.functional_connectivity(ds.balloon_windkessel, transient=transient)
    return np.asarray(features.fc_fit(fc, HCP.fc_dataarray())).reshape(couplings.size, len(SEEDS)).mean(1)


def main(argv=None):
    args = arguments(__doc__, argv)
    length, transient = (10_000.0, 2_000.0) if args.quick else (120_000.0, 20_000.0)
    budget = 5 if args.quick else 25

    def objective(params):                        # what scipy minimises: the negative fit
        r = fc_fits(params[0], params[1], length, transient)[0]
        return -r if np.isfinite(r) else 1.0

    nm = minimize(objective, x0=[0.1, -4.0], method="Nelder-Mead", bounds=BOUNDS,
                  options={"maxfev": budget, "xatol": 1e-3, "fatol": 1e-3, "initial_simplex":
                           [[0.1, -4.0], [0.15, -4.0], [0.1, -3.5]]})
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=17))
    study.optimize(lambda t: objective([t.suggest_float("coupling", *BOUNDS[0]),
                                        t.suggest_float("log10_nsig", *BOUNDS[1])]), n_trials=budget)
    print(f"Nelder-Mead: r = {-nm.fun:.3f} at coupling {nm.x[0]:.3f}, nsig 1e{nm.x[1]:.2f} ({nm.nfev} runs)")
    print(f"Optuna TPE : r = {-study.best_value:.3f} at coupling {study.best_params['coupling']:.3f}, "
          f"nsig 1e{study.best_params['log10_nsig']:.2f} ({len(study.trials)} runs)")
    # the same objective is deterministic: evaluating the best point again gives the same number
    assert objective(nm.x) == nm.fun

    cs = np.linspace(*BOUNDS[0], 4 if args.quick else 11)
    ns = np.linspace(*BOUNDS[1], 2 if args.quick else 5)
    gc, gn = np.meshgrid(cs, ns, indexing="ij")
    landscape = fc_fits(gc.ravel(), gn.ravel(), length, transient).reshape(gc.shape)
    fig, ax = plt.subplots(figsize=(9, 5))
    mesh = ax.pcolormesh(cs, ns, landscape.T, shading="nearest", cmap="viridis")
    fig.colorbar(mesh, ax=ax, label="FC fit r (grid, one batch)")
    trials = np.array([[t.params["coupling"], t.params["log10_nsig"]] for t in study.trials])
    ax.scatter(trials[:, 0], trials[:, 1], c="w", edgecolors="k", s=30, label="Optuna TPE trials")
    ax.plot(nm.x[0], nm.x[1], "r*", ms=15, label="Nelder-Mead optimum")
    ax.set_xlabel("coupling.a")
    ax.set_ylabel("log10 noise.nsig")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("one objective, two optimisers, over the grid landscape")
    save(fig, args, "fc_fit")


if __name__ == "__main__":
    main()

"""The four models of the seed: phase planes and single-region dynamics (seed examples 4-6).

Every model is one short module with TVB's names, parameters and defaults; ``evaluate_dfun`` evaluates its
derivative on numpy arrays, which is all a phase-plane needs.

    python examples/gallery/02_models.py [--quick] [--out DIR]
"""
import matplotlib.pyplot as plt
import numpy as np
from _gallery import arguments, save

import brainsweep as bs


def phase_plane(ax, model, x_name, y_name, lims, coupling=0.0):
    """Vector field and nullclines of a 2-variable model (one isolated region)."""
    (x0, x1), (y0, y1) = lims
    X, Y = np.meshgrid(np.linspace(x0, x1, 120), np.linspace(y0, y1, 120))
    state = np.array([X, Y])
    c = np.full((model.n_coupling_inputs,) + X.shape, coupling)
    dX, dY = model.evaluate_dfun(state, c)
    ax.streamplot(X, Y, dX, dY, density=0.9, color="0.6", linewidth=0.6)
    ax.contour(X, Y, dX, levels=[0], colors="C0")
    ax.contour(X, Y, dY, levels=[0], colors="C3")
    ax.set_xlabel(x_name)
    ax.set_ylabel(y_name)


def single_region(model, length, dt, monitor_period, nsig):
    """One isolated region (a 1-node connectome without self-connection), driven by noise."""
    one = bs.Connectivity(np.zeros((1, 1)), np.zeros((1, 1)))
    sim = bs.Simulator(one, model=model, monitors=[bs.monitors.TemporalAverage(period=monitor_period)],
                       integrator=bs.integrators.HeunStochastic(dt=dt, noise=bs.noise.Additive(nsig=nsig)), seed=4)
    return sim.run(length).temporal_average


def main(argv=None):
    args = arguments(__doc__, argv)
    wc = bs.models.WilsonCowan(c_ee=12.0, c_ei=4.0, c_ie=13.0, c_ii=11.0, tau_e=10.0, tau_i=10.0, a_e=1.2, a_i=2.0)
    rww = bs.models.ReducedWongWang(a=0.270, b=0.108, d=154.0, gamma=0.641, tau_s=100.0, w=0.6, J_N=0.2609)
    jr = bs.models.JansenRit(A=3.25, B=22.0, a=0.1, b=0.05, v0=6.0, nu_max=0.0025, r=0.56)
    print("state variables:", wc.state_variables, rww.state_variables, jr.state_variables)

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    phase_plane(axes[0], wc, "E", "I", ((0, 1), (0, 1)))
    axes[0].set_title("WilsonCowan: E (blue) and I (red) nullclines")
    S = np.linspace(0, 1, 400)
    for k, I_o in enumerate([0.30, 0.33, 0.36]):
        drive = bs.models.ReducedWongWang(I_o=I_o, w=0.6, J_N=0.2609)
        axes[1].plot(S, drive.evaluate_dfun(S[None], np.zeros((1, S.size)))[0], label=f"I_o = {I_o} nA")
    axes[1].axhline(0, color="k", lw=0.6)
    axes[1].set_xlabel("S")
    axes[1].set_ylabel("dS/dt (1/ms)")
    axes[1].set_title("ReducedWongWang: fixed points where dS/dt = 0")
    axes[1].legend()
    length = 1500.0 if args.quick else 3000.0
    # noise on y4, the derivative of the pyramidal cells' excitatory input (Jansen & Rit's p(t))
    trace = single_region(jr, length, dt=0.1, monitor_period=1.0, nsig=np.array([0, 0, 0, 0, 1e-3, 0]))
    trace = trace.sel(time=slice(1000.0, None))                # after the start-up transient
    axes[2].plot(trace.time, trace.sel(variable="y1")[:, 0] - trace.sel(variable="y2")[:, 0])
    axes[2].set_xlabel("time (ms)")
    axes[2].set_ylabel("y1 - y2 (mV)")
    axes[2].set_title("JansenRit: one region (the EEG source term)")
    fig.tight_layout()
    save(fig, args, "models")


if __name__ == "__main__":
    main()

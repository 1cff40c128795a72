"""The time-blocked, source-blocked kernel against a plain per-step numpy loop, on random small connectomes.

Whatever the delays (self-loops with and without delay, zero-delay edges between regions, short and long
edges), the time block K, the source-block size and the number of lanes, the kernel must compute the same
delayed coupling as the textbook loop.
"""
import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

import brainsweep as bs


def reference(W, D, x0, gamma, a, dt, n_steps):
    """Euler on dx = gamma x + a sum_j W_ij x_j(t - D_ij), delay 0 = current state, constant history."""
    N = W.shape[0]
    H = int(D.max()) + 1
    hist = np.repeat(x0[None], H, axis=0)          # hist[-1] = current
    out = []
    x = x0.copy()
    ii, jj = np.nonzero(W)
    for _ in range(n_steps):
        c = np.zeros(N)
        np.add.at(c, ii, W[ii, jj] * hist[H - 1 - D[ii, jj], jj])
        x = x + dt * (gamma * x + a * c)
        hist = np.concatenate([hist[1:], x[None]])
        out.append(x.copy())
    return np.array(out)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 9), density=st.floats(0.2, 1.0), max_delay=st.integers(0, 25),
       time_block=st.sampled_from([1, 2, 3, 4, 8, 16]), lanes=st.sampled_from([1, 3]),
       cache_bytes=st.sampled_from([1, 200, 1 << 20]), seed=st.integers(0, 2**16))
# a time block longer than the ring (every edge short): rows go round more than once per block
@example(n=2, density=1.0, max_delay=0, time_block=3, lanes=1, cache_bytes=1, seed=0)
def test_kernel_equals_per_step_loop(n, density, max_delay, time_block, lanes, cache_bytes, seed):
    rng = np.random.default_rng(seed)
    W = rng.uniform(0.1, 1.0, (n, n)) * (rng.uniform(size=(n, n)) < density)
    D = rng.integers(0, max_delay + 1, (n, n))
    dt, speed = 0.1, 2.0
    conn = bs.Connectivity(W, tract_lengths=D * dt * speed, conduction_speed=speed)
    x0 = rng.uniform(-1, 1, n)
    gammas = np.array([-0.5, -1.0, -0.2])[:lanes]
    sim = bs.Simulator(conn, bs.models.Linear(), bs.coupling.Linear(a=0.3), bs.integrators.EulerDeterministic(dt=dt),
                       [bs.monitors.Raw()], initial_conditions=x0[None], time_block=time_block,
                       kernel_options={"cache_bytes": cache_bytes})
    ds = sim.run(40 * dt, batch={"model.gamma": gammas})
    for b, gamma in enumerate(gammas):
        ref = reference(W, D, x0, gamma, 0.3, dt, 40)
        np.testing.assert_allclose(ds.raw.values[b, :, 0], ref, rtol=1e-12, atol=1e-12)

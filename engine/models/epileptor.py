"""The six-dimensional Epileptor of Jirsa et al. (2014)."""
from __future__ import annotations

from ..fastmath import exp, where
from ..model import Model, Parameter


class Epileptor(Model):
    r"""Hindmarsh-Rose-Jirsa Epileptor (TVB's ``Epileptor``; Jirsa et al. 2014, Brain 137:2210; permittivity
    coupling and the ``modification`` of the slow variable after Proix et al. 2014, J. Neurosci. 34:15009).

    .. math::
        \dot x_1 &= t_t \left(y_1 - z + I_{ext} + K_{vf} c_0 + f_1(x_1, x_2, z)\, x_1\right) \\
        \dot y_1 &= t_t \left(c - d x_1^2 - y_1\right) \\
        \dot z &= t_t\, r \left(h(x_1, z) - z + K_s c_0\right) \\
        \dot x_2 &= t_t \left(-y_2 + x_2 - x_2^3 + I_{ext2} + b_b g - 0.3 (z - 3.5) + K_f c_1\right) \\
        \dot y_2 &= t_t \left(-y_2 + f_2(x_2)\right) / \tau \\
        \dot g &= -0.01\, t_t \left(g - 0.1 x_1\right)

    with

    .. math::
        f_1 &= \begin{cases} -a x_1^2 + b x_1 & x_1 < 0 \\
                             \mathrm{slope} - x_2 + 0.6 (z - 4)^2 & x_1 \ge 0 \end{cases} \\
        h &= \begin{cases} x_0 + \dfrac{3}{1 + \exp(-(x_1 + 0.5)/0.1)} & \text{modification} \\
                           4 (x_1 - x_0) - 0.1 z^7 [z < 0] & \text{otherwise} \end{cases} \\
        f_2 &= \begin{cases} 0 & x_2 < -0.25 \\ a_a (x_2 + 0.25) & x_2 \ge -0.25 \end{cases}

    Coupling: ``cvar`` is ``(x1, x2)``; ``c_0`` (through ``x1``) drives ``x1`` (``Kvf``) and ``z`` (``Ks``,
    permittivity coupling), ``c_1`` (through ``x2``) drives ``x2`` (``Kf``). ``modification`` is TVB's boolean
    as a float (> 0.5: True). ``s`` is declared for TVB compatibility but TVB's equations use the literal 4.
    Time in ms (scaled by ``tt``).

    References
    ----------
    V. K. Jirsa, W. C. Stacey, P. P. Quilichini, A. I. Ivanov, C. Bernard, *On the nature of seizure
    dynamics*, Brain 137:2210-2230, 2014. T. Proix, F. Bartolomei, P. Chauvel, C. Bernard, V. K. Jirsa,
    *Permittivity coupling across brain regions determines seizure recruitment in partial epilepsy*,
    J. Neurosci. 34:15009-15021, 2014.
    """

    a = Parameter(1.0, doc="Coefficient of the cubic term in the first state variable.")
    b = Parameter(3.0, doc="Coefficient of the squared term in the first state variable.")
    c = Parameter(1.0, doc="Additive coefficient of the second state variable (y0 in Jirsa et al.).")
    d = Parameter(5.0, doc="Coefficient of the squared term in the second state variable.")
    r = Parameter(0.00035, range=(0.0, 0.001), doc="Temporal scaling of the slow variable z (1/tau0).")
    s = Parameter(4.0, doc="Linear coefficient in the third state variable (unused, as in TVB).")
    x0 = Parameter(-1.6, range=(-3.0, -1.0), doc="Epileptogenicity parameter.")
    Iext = Parameter(3.1, range=(1.5, 5.0), doc="External input current to the first population.")
    slope = Parameter(0.0, range=(-16.0, 6.0), doc="Linear coefficient in the first state variable.")
    Iext2 = Parameter(0.45, range=(0.0, 1.0), doc="External input current to the second population.")
    tau = Parameter(10.0, doc="Temporal scaling coefficient of the fifth state variable.")
    aa = Parameter(6.0, doc="Linear coefficient in the fifth state variable.")
    bb = Parameter(2.0, doc="Linear coefficient of the low-pass excitatory coupling in the fourth state variable.")
    Kvf = Parameter(0.0, range=(0.0, 4.0), doc="Coupling scaling on a very fast time scale.")
    Kf = Parameter(0.0, range=(0.0, 4.0), doc="Coupling scaling on a fast time scale.")
    Ks = Parameter(0.0, range=(-4.0, 4.0), doc="Permittivity coupling, from the fast time scale toward the slow one.")
    tt = Parameter(1.0, range=(0.001, 10.0), doc="Time scaling of the whole system.")
    modification = Parameter(0.0, doc="TVB's boolean flag (1.0 True, 0.0 False): nonlinear influence on z.")

    state_variables = ("x1", "y1", "z", "x2", "y2", "g")
    state_variable_range = {"x1": (-2.0, 1.0), "y1": (-20.0, 2.0), "z": (2.0, 5.0),
                            "x2": (-2.0, 0.0), "y2": (0.0, 2.0), "g": (-1.0, 1.0)}
    variables_of_interest = ("x2 - x1", "z")
    voi_choices = ("x1", "y1", "z", "x2", "y2", "g", "x2 - x1")
    cvar = ("x1", "x2")

    @staticmethod
    def dfun(x1, y1, z, x2, y2, g, c_0, c_1, lc_0, x0, Iext, Iext2, a, b, slope, tt, Kvf, c, d, r, Ks, Kf, aa, bb,
             tau, modification):
        # population 1
        f1 = where(x1 < 0.0, -a * x1 ** 2 + b * x1, slope - x2 + 0.6 * (z - 4.0) ** 2)
        dx1 = tt * (y1 - z + Iext + lc_0 + Kvf * c_0 + f1 * x1)
        dy1 = tt * (c - d * x1 ** 2 - y1)
        # energy
        z7 = where(z < 0.0, -0.1 * z ** 7, 0.0)
        h = where(modification > 0.5, x0 + 3 / (1 + exp(-(x1 + 0.5) / 0.1)), 4 * (x1 - x0) + z7)
        dz = tt * (r * (h - z + Ks * c_0))
        # population 2
        dx2 = tt * (-y2 + x2 - x2 ** 3 + Iext2 + bb * g - 0.3 * (z - 3.5) + Kf * c_1)
        f2 = where(x2 < -0.25, 0.0, aa * (x2 + 0.25))
        dy2 = tt * ((-y2 + f2) / tau)
        # filter
        dg = tt * (-0.01 * (g - 0.1 * x1))
        return dx1, dy1, dz, dx2, dy2, dg

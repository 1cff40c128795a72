"""Phenomenological oscillators: TVB's Generic2dOscillator, Kuramoto and SupHopf."""
from __future__ import annotations

from ..fastmath import pi, sin
from ..model import Model, Parameter


class Generic2dOscillator(Model):
    r"""Generic planar oscillator with a cubic and a configurable quadratic nullcline (TVB's
    ``Generic2dOscillator``; FitzHugh 1961, Nagumo 1962, Stefanescu & Jirsa 2008).

    .. math::
        \dot V &= d\,\tau\,(\alpha W - f V^3 + e V^2 + g V + \gamma I + \gamma c_0 + lc_0) \\
        \dot W &= \frac{d}{\tau}\,(a + b V + c V^2 - \beta W)

    The defaults give FitzHugh-Nagumo-like excitable dynamics; ``a = 2`` gives a limit cycle. Time in ms.
    """

    tau = Parameter(1.0, range=(1.0, 5.0), doc="Time-scale hierarchy between V and W (1: none).")
    I = Parameter(0.0, range=(-5.0, 5.0), doc="Baseline shift of the cubic nullcline.")
    a = Parameter(-2.0, range=(-5.0, 5.0), doc="Vertical shift of the configurable nullcline.")
    b = Parameter(-10.0, range=(-20.0, 15.0), doc="Linear slope of the configurable nullcline.")
    c = Parameter(0.0, range=(-10.0, 10.0), doc="Parabolic term of the configurable nullcline.")
    d = Parameter(0.02, range=(0.0001, 1.0), unit="1/ms", doc="Temporal scale factor.")
    e = Parameter(3.0, range=(-5.0, 5.0), doc="Coefficient of the quadratic term of the cubic nullcline.")
    f = Parameter(1.0, range=(-5.0, 5.0), doc="Coefficient of the cubic term of the cubic nullcline.")
    g = Parameter(0.0, range=(-5.0, 5.0), doc="Coefficient of the linear term of the cubic nullcline.")
    alpha = Parameter(1.0, range=(-5.0, 5.0), doc="Rate of feedback from the slow to the fast variable.")
    beta = Parameter(1.0, range=(-5.0, 5.0), doc="Rate of feedback from the slow variable to itself.")
    gamma = Parameter(1.0, range=(-1.0, 1.0), doc="Scales I and the long-range coupling (FHN sign convention).")

    state_variables = ("V", "W")
    state_variable_range = {"V": (-2.0, 4.0), "W": (-6.0, 6.0)}
    variables_of_interest = ("V",)
    voi_choices = ("V", "W", "V + W", "V - W")
    cvar = ("V",)
    local_coupling = ("V",)

    @staticmethod
    def dfun(V, W, c_0, lc_0, tau, I, a, b, c, d, e, f, g, alpha, beta, gamma):
        V2 = V * V
        dV = d * tau * (alpha * W - f * V2 * V + e * V2 + g * V + gamma * I + gamma * c_0 + lc_0)
        dW = d * (a + b * V + c * V2 - beta * W) / tau
        return dV, dW


class Kuramoto(Model):
    r"""Kuramoto phase oscillator (TVB's ``Kuramoto``; Kuramoto 1975, Strogatz 2000, Cabral et al. 2011,
    NeuroImage 57:130).

    .. math::
        \dot\theta_k = \omega_k + c_0 + \sin(\mathrm{lc}_0)

    :math:`\theta` is the phase (rad); ``c_0`` is the long-range input, normally from TVB's ``Kuramoto``
    coupling :math:`\frac{a}{N}\sum_j w_{kj} \sin(\theta_j - \theta_k)`; on a surface ``lc_0`` is the local
    coupling of the neighbouring vertices' phases, entering as TVB's ``sin(local_coupling * theta)`` (zero in a
    region simulation). The phase is not wrapped. Time in ms. (TVB's ``Kuramoto.dfun`` returns one reused
    buffer, so with local coupling TVB's Heun and Runge-Kutta stages alias; brainsweep integrates the scheme
    as written, and equals TVB's Euler.)

    References
    ----------
    Y. Kuramoto, *International Symposium on Mathematical Problems in Theoretical Physics*, Lecture Notes in
    Physics 39:420, 1975. S. H. Strogatz, *From Kuramoto to Crawford*, Physica D 143:1, 2000.
    """

    omega = Parameter(1.0, range=(0.01, 200.0), unit="rad/ms", doc="Natural (base line) angular frequency.")

    state_variables = ("theta",)
    state_variable_range = {"theta": (0.0, 2.0 * pi)}
    variables_of_interest = ("theta",)
    cvar = ("theta",)
    local_coupling = ("theta",)

    @staticmethod
    def dfun(theta, c_0, lc_0, omega):
        return omega + c_0 + sin(lc_0)


class SupHopf(Model):
    r"""Normal form of a supercritical Hopf bifurcation in Cartesian coordinates (TVB's ``SupHopf``;
    Kuznetsov 2013; Deco et al. 2017, Sci. Rep. 7:3095).

    .. math::
        \dot x_k &= (a_k - x_k^2 - y_k^2)\, x_k - \omega_k y_k + c_0 \\
        \dot y_k &= (a_k - x_k^2 - y_k^2)\, y_k + \omega_k x_k + c_1

    ``a < 0``: damped oscillations to a stable focus; ``a > 0``: limit cycle of radius :math:`\sqrt a`.
    Both ``x`` and ``y`` couple (``c_0`` enters ``x``, ``c_1`` enters ``y``). Time in ms.

    References
    ----------
    Y. A. Kuznetsov, *Elements of applied bifurcation theory*, Springer, 2013. G. Deco, M. L. Kringelbach,
    V. K. Jirsa, P. Ritter, *The dynamics of resting fluctuations in the brain: metastability and its dynamical
    cortical core*, Sci. Rep. 7:3095, 2017.
    """

    a = Parameter(-0.5, range=(-10.0, 10.0), doc="Local bifurcation parameter.")
    omega = Parameter(1.0, range=(0.05, 630.0), unit="rad/ms", doc="Angular frequency.")

    state_variables = ("x", "y")
    state_variable_range = {"x": (-5.0, 5.0), "y": (-5.0, 5.0)}
    variables_of_interest = ("x",)
    voi_choices = ("x", "y")
    cvar = ("x", "y")

    @staticmethod
    def dfun(x, y, c_0, c_1, lc_0, a, omega):
        dx = (a - x ** 2 - y ** 2) * x - omega * y + c_0 + lc_0
        dy = (a - x ** 2 - y ** 2) * y + omega * x + c_1
        return dx, dy

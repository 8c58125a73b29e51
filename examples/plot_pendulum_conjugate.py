r"""
A pendulum past its conjugate time
==================================

A pendulum at rest is a least-action path only up to its first conjugate time, pi divided by
the square root of lambda; past it, ``is_minimum`` flips to False and a swing has less
action. Both are checked against closed forms.

The pendulum :math:`\theta'' = -\lambda\sin\theta` (:math:`\lambda = g/\ell`) is, in
``lagopt``'s convention :math:`\theta'' = \lambda\nabla L(\theta)` (see :doc:`/conventions`),
the Euler–Lagrange equation of the loss

.. math::

    L(\theta) = \cos\theta ,

whose *maximum* :math:`\theta = 0` is the pendulum's stable rest position. The path that
stays at rest, :math:`\theta \equiv 0` from :math:`\theta(0) = 0` to :math:`\theta(T) = 0`,
solves the equation for every horizon :math:`T`, with action
:math:`S = \int_0^T \lambda\cos 0\,dt = \lambda T`. But it is a minimum of the action only
up to the first conjugate time. The Jacobi equation along it, :math:`\eta'' = -\lambda\eta`,
has the solution :math:`\eta = \sin(\sqrt\lambda\,t)`, which vanishes again at

.. math::

    T_c = \pi / \sqrt{\lambda}.

For :math:`T < T_c` the second variation is positive definite and the rest path is a strict
local minimum; at :math:`T = T_c` the boundary value problem is singular; for
:math:`T > T_c` the rest path is a saddle, and a swing of the pendulum (out and back in time
:math:`T`) has less action. This example checks all three statements with
``path.is_minimum`` (:class:`lagopt.ActionPath`).
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.special import ellipk

import lagopt

pendulum = lagopt.CallableObjective(
    lambda th: np.cos(th[0]), 1,
    grad=lambda th: -np.sin(th),
    hess=lambda th: -np.cos(th)[None, :],
    name="pendulum")

# %%
# The rest path across the conjugate time
# ---------------------------------------
# With both ends at 0 the initial guess (the straight line) is already the exact solution;
# what changes with :math:`T` is the verdict of the second variation. At :math:`T = \pi`
# exactly the package refuses to certify the path (``Status.NOT_CONVERGED``): :math:`T` is a
# conjugate point, where the problem has no unique solution.

lam = 1.0
T_c = np.pi / np.sqrt(lam)
Ts = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.1, np.pi, 3.2, 3.5, 4.0, 5.0, 6.0, 7.0]
rest = {}
print(f"lambda = {lam:g}, first conjugate time pi/sqrt(lambda) = {T_c:.6f}")
print(f"{'T':>8s} {'success':>8s} {'status':>18s} {'action':>9s} {'lam*T':>7s} "
      f"{'is_minimum':>10s} {'conjugate pts':>13s} {'expected':>8s}")
for T in Ts:
    p = lagopt.solve_action_path(pendulum, [0.0], [0.0], T=T, lam=lam)
    rest[T] = p
    sv = p.info["second_variation"]
    expected = int(np.floor(T * np.sqrt(lam) / np.pi)) if abs(T - T_c) > 1e-9 else "-"
    print(f"{T:8.4f} {str(p.success):>8s} {str(p.status):>18s} {p.action:9.5f} {lam * T:7.3f} "
          f"{str(p.is_minimum):>10s} {str(sv.get('morse_index', '-')):>13s} {expected!s:>8s}")
print("at T = pi:", rest[np.pi].message.split(" | ")[-1])

# %%
# The Morse index the package counts (the number of conjugate points in :math:`(0, T)`)
# matches :math:`\lfloor T\sqrt\lambda/\pi\rfloor`: one conjugate point between
# :math:`\pi` and :math:`2\pi`, two beyond.
#
# The same with a stiffer pendulum
# --------------------------------
# The conjugate time scales like :math:`1/\sqrt\lambda`: for :math:`\lambda = 4` it is
# :math:`\pi/2`.

for lam4_T in (1.5, 1.6):
    p = lagopt.solve_action_path(pendulum, [0.0], [0.0], T=lam4_T, lam=4.0)
    print(f"lambda = 4, T = {lam4_T} (pi/2 = {np.pi / 2:.4f}): is_minimum = {p.is_minimum}")

# %%
# Past the conjugate time a swing has less action
# -----------------------------------------------
# For :math:`T > \pi/\sqrt\lambda` the pendulum can swing out to an amplitude :math:`A` and
# come back in time :math:`T`: half a period, :math:`T\sqrt\lambda = 2K(k)` with
# :math:`k = \sin(A/2)` and :math:`K` the complete elliptic integral of the first kind.
# Energy conservation, :math:`\tfrac12\theta'^2 = \lambda(\cos\theta - \cos A)`, gives its
# action in closed form up to one quadrature:
#
# .. math::
#
#     S = \int_0^T \theta'^2\,dt + \lambda T\cos A
#       = 2\int_0^A \sqrt{2\lambda(\cos\theta - \cos A)}\,d\theta + \lambda T\cos A .
#
# Starting from a guess that swings (``guess=``), collocation finds it.


def swing_exact(T, lam):
    """Amplitude and action of the swing 0 -> A -> 0 in time T (T sqrt(lam) > pi)."""
    m = brentq(lambda m: 2 * ellipk(m) - T * np.sqrt(lam), 1e-15, 1 - 1e-15)  # m = k^2
    A = 2 * np.arcsin(np.sqrt(m))
    inner = quad(lambda th: np.sqrt(2 * lam * (np.cos(th) - np.cos(A))), 0.0, A, limit=200)[0]
    return A, 2 * inner + lam * T * np.cos(A)


T_swing = [3.3, 3.6, 4.0, 4.5, 5.0, 5.5, 6.0]
swings = {}
print(f"{'T':>5s} {'amplitude':>10s} {'exact':>10s} {'error':>8s} {'action':>10s} "
      f"{'exact':>10s} {'error':>8s} {'lam*T':>6s} {'is_minimum':>10s}")
for T in T_swing:
    guess = 2.0 * np.sin(np.pi * np.linspace(0.0, 1.0, 21))[None, :]
    p = lagopt.solve_action_path(pendulum, [0.0], [0.0], T=T, lam=lam, guess=guess)
    swings[T] = p
    A, S = swing_exact(T, lam)
    amp = np.max(np.abs(p(np.linspace(0.0, T, 4001))[0]))
    print(f"{T:5.2f} {amp:10.7f} {A:10.7f} {abs(amp - A):8.1e} {p.action:10.7f} {S:10.7f} "
          f"{abs(p.action - S):8.1e} {lam * T:6.2f} {str(p.is_minimum):>10s}")

# %%
# Every swing is certified a local minimum, with less action than the rest path of the same
# duration, which is a saddle: past the conjugate time, staying put is no longer the path of
# least action.

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
T_line = np.linspace(0.3, 7.2, 100)
ax1.plot(T_line, lam * T_line, color="0.6", lw=1, label=r"rest path: $S = \lambda T$")
for T, p in rest.items():
    color = {True: "tab:blue", False: "tab:red", None: "k"}[p.is_minimum]
    ax1.plot(T, p.action, "o", color=color, ms=6)
ax1.plot([], [], "o", color="tab:blue", label="rest path, is_minimum True")
ax1.plot([], [], "o", color="tab:red", label="rest path, is_minimum False (saddle)")
ax1.plot([], [], "o", color="k", label=r"$T = \pi$: conjugate point, not certified")
ax1.plot(list(swings), [p.action for p in swings.values()], "s-", color="tab:green", ms=5,
         label="swing, is_minimum True")
ax1.axvline(T_c, color="k", ls="--", lw=1)
ax1.text(T_c + 0.08, 0.5, r"$T_c = \pi/\sqrt{\lambda}$", fontsize=9)
ax1.set_xlabel("horizon T")
ax1.set_ylabel("action S")
ax1.set_title(r"Pendulum $L = \cos\theta$, $\lambda = 1$: action and is_minimum")
ax1.legend(fontsize=8, loc="upper left")
ax1.grid(alpha=0.3)

for T, p in swings.items():
    t = np.linspace(0.0, T, 300)
    ax2.plot(t, p(t)[0], lw=1.8, label=f"T = {T:g}")
ax2.axhline(0.0, color="tab:red", lw=1.5, ls=":", label="rest path (a saddle here)")
ax2.set_xlabel("t")
ax2.set_ylabel(r"$\theta(t)$")
ax2.set_title(r"Least-action swings for $T > \pi/\sqrt{\lambda}$ ($\lambda = 1$)")
ax2.set_ylim(-1.0, 3.0)
ax2.legend(fontsize=7.5, ncol=4, loc="lower center")
ax2.grid(alpha=0.3)
fig.tight_layout()
plt.show()

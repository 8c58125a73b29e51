r"""
Bratu's problem: two solutions, one minimum
===========================================

Bratu's boundary value problem has two solutions for small enough parameter. This example finds
both with ``lagopt.solve_action_path`` from two initial guesses, checks them against the
closed form, and shows that only one of them is a minimum of the action.

The problem

.. math::

    y'' + \mu e^{y} = 0, \qquad y(0) = y(1) = 0,

has two solutions for :math:`0 < \mu < \mu_c \approx 3.5138` and none above. In ``lagopt``'s
sign convention (:math:`\theta'' = \lambda\nabla L(\theta)`, see :doc:`/conventions`) it is
the Euler–Lagrange equation of the loss

.. math::

    L(\theta) = -e^{\theta}, \qquad \lambda = \mu, \qquad T = 1,

so its solutions are the stationary paths of the action
:math:`S = \int_0^1 \bigl(\tfrac12\theta'^2 - \mu e^{\theta}\bigr)\,dt`. Both are known in
closed form,

.. math::

    \theta(t) = -2\ln\frac{\cosh\bigl((t - \tfrac12)\,c/2\bigr)}{\cosh(c/4)},
    \qquad c = \sqrt{2\mu}\,\cosh(c/4),

one solution per root :math:`c` (the small root gives the lower branch, the large root the
upper one). This example finds both with :func:`lagopt.solve_action_path` from two initial
guesses, checks them against the closed form, and asks the package which one is a minimum of
the action.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import brentq

import lagopt

# %%
# The loss and the closed form
# ----------------------------
# The loss is a plain Python function of a 1-vector; giving its gradient and Hessian makes the
# solve exact (otherwise they are taken by finite differences).

bratu = lagopt.CallableObjective(
    lambda th: -np.exp(th[0]), 1,
    grad=lambda th: -np.exp(th),
    hess=lambda th: -np.exp(th)[None, :],
    name="bratu")


def roots_c(mu):
    """Both roots of c = sqrt(2 mu) cosh(c / 4) (none above the fold mu_c)."""
    g = lambda c: c - np.sqrt(2 * mu) * np.cosh(c / 4)
    grid = np.linspace(1e-9, 40.0, 4001)
    v = g(grid)
    return [brentq(g, a, b) for a, b, va, vb in zip(grid[:-1], grid[1:], v[:-1], v[1:])
            if va * vb < 0]


def exact(t, c):
    return -2 * np.log(np.cosh((np.asarray(t) - 0.5) * c / 2) / np.cosh(c / 4))


mu = 1.0
c_low, c_up = roots_c(mu)
print(f"mu = lambda = {mu}: c = {c_low:.10f} (lower branch), {c_up:.10f} (upper branch)")

# %%
# Two initial guesses, two solutions
# ----------------------------------
# ``guess=`` takes an initial path as points equally spaced on :math:`[0, T]`. A small bump
# leads to the lower branch, a tall one (height 4, near the upper branch's 4.09) to the upper
# branch. The default ``method="auto"`` uses collocation here.

s = np.linspace(0.0, 1.0, 11)
guesses = {"lower": 0.1 * np.sin(np.pi * s)[None, :],
           "upper": 4.0 * np.sin(np.pi * s)[None, :]}
paths = {name: lagopt.solve_action_path(bratu, [0.0], [0.0], T=1.0, lam=mu, guess=g)
         for name, g in guesses.items()}

t = np.linspace(0.0, 1.0, 401)
print(f"{'branch':7s} {'method':12s} {'success':8s} {'action':>11s} {'exact action':>13s} "
      f"{'max |error|':>11s} {'residual_rel':>12s} {'is_minimum':>10s}")
for (name, path), c in zip(paths.items(), (c_low, c_up)):
    exact_action = lagopt.action(bratu, lambda tt, c=c: exact(np.atleast_1d(tt), c)[None, :],
                                 lam=mu, T=1.0)
    err = np.max(np.abs(path(t)[0] - exact(t, c)))
    print(f"{name:7s} {path.method:12s} {str(path.success):8s} {path.action:11.7f} "
          f"{exact_action:13.7f} {err:11.1e} {path.info['residual_rel']:12.1e} "
          f"{str(path.is_minimum):>10s}")
    print(f"        second variation: {path.info['second_variation']['reason']}")

# %%
# Both paths agree with the closed form to about :math:`10^{-8}`. They are both stationary,
# but only the lower one is a minimum of the action: along the upper branch the second
# variation has one negative eigenvalue (one conjugate point in :math:`(0, 1)`), so it is a
# saddle. Its action, 16.44, is far above the lower branch's, -1.047.

fig, ax = plt.subplots(figsize=(6.4, 4.2))
for (name, path), c, color in zip(paths.items(), (c_low, c_up), ("tab:blue", "tab:red")):
    kind = "minimum" if path.is_minimum else "saddle"
    ax.plot(t, path(t)[0], color=color, lw=2.5,
            label=f"{name} branch, solved: S = {path.action:.4f} ({kind})")
    ax.plot(t, exact(t, c), "k--", lw=1, label="closed form" if name == "upper" else None)
ax.set_xlabel("t  (T = 1)")
ax.set_ylabel(r"$\theta(t)$")
ax.set_title(rf"Bratu: $\theta'' = -\mu e^\theta$, i.e. $L = -e^\theta$, $\lambda = \mu = {mu:g}$")
ax.legend(fontsize=8, loc="center")
ax.grid(alpha=0.3)
fig.tight_layout()

# %%
# The direct method minimises
# ---------------------------
# The direct method minimises the discretised action, so it cannot settle on a saddle. Here
# the action is moreover unbounded below (a tall bump makes :math:`-\mu\int e^\theta dt` as
# negative as one likes): the lower branch is a *local* minimum, and the upper branch is the
# mountain pass between it and the region where the action falls without bound. So from a
# guess below the pass (height 3) the direct method returns the lower branch, and from the
# tall guess (height 4, beyond the pass) it follows the action down until the loss overflows,
# and reports that honestly (``Status.NON_FINITE``). Collocation, which solves the equation
# instead of minimising, found the saddle from the same tall guess.

for height in (3.0, 4.0):
    with np.errstate(over="ignore", invalid="ignore"):   # the divergent run overflows
        direct = lagopt.solve_action_path(bratu, [0.0], [0.0], T=1.0, lam=mu, method="direct",
                                          guess=height * np.sin(np.pi * s)[None, :])
    print(f"direct from the guess of height {height:g}: success={direct.success}, "
          f"status={direct.status}, is_minimum={direct.is_minimum}")
    if direct.success:
        print(f"    action={direct.action:.7f}, theta(1/2)={direct(0.5)[0]:.6f} "
              f"(lower branch: {exact(0.5, c_low):.6f})")
    else:
        print(f"    {direct.message}")

# %%
# Both branches against :math:`\mu`
# ---------------------------------
# The same two guesses for several :math:`\mu = \lambda`, against the closed form of
# :math:`\theta(1/2)` on both branches. Near the fold the two branches merge. At small
# :math:`\mu` the upper branch rises above the tall guess (:math:`\theta(1/2) > 5` for
# :math:`\mu = 0.25`), and collocation from the same guess lands on the lower branch instead:
# which solution a method finds depends on where it starts.

mus = [0.25, 0.5, 1.0, 2.0, 3.0, 3.4, 3.5]
rows = []
for m in mus:
    lo, up = roots_c(m)
    for name, g in guesses.items():
        p = lagopt.solve_action_path(bratu, [0.0], [0.0], T=1.0, lam=m, guess=g)
        mid = p(0.5)[0]
        branch = "lower" if abs(mid - exact(0.5, lo)) < abs(mid - exact(0.5, up)) else "upper"
        err = abs(mid - exact(0.5, lo if branch == "lower" else up))
        rows.append((m, name, p.success, branch, mid, err, p.is_minimum))
        print(f"mu = {m:4.2f}, {name:5s} guess: success={p.success}, reached the {branch} "
              f"branch, theta(1/2) = {mid:.6f} (error {err:.1e}), is_minimum={p.is_minimum}")

mu_fine = np.linspace(0.2, 3.51, 300)
branches = np.array([roots_c(m) for m in mu_fine[:-1]])
fig, ax = plt.subplots(figsize=(6.4, 4.2))
ax.plot(mu_fine[:-1], exact(0.5, branches[:, 0]), "b-", lw=1, label="closed form, lower")
ax.plot(mu_fine[:-1], exact(0.5, branches[:, 1]), "r-", lw=1, label="closed form, upper")
for m, name, ok, branch, mid, err, is_min in rows:
    ax.plot(m, mid, "o" if is_min else "s", ms=7 if name == "upper" else 4,
            mfc="none" if name == "upper" else ("tab:blue" if is_min else "tab:red"),
            mec="tab:blue" if is_min else "tab:red")
ax.plot([], [], "o", color="tab:blue", ms=4, label="small guess: is_minimum True")
ax.plot([], [], "s", mfc="none", mec="tab:red", ms=7, label="tall guess: is_minimum False")
ax.plot([], [], "o", mfc="none", mec="tab:blue", ms=7,
        label="tall guess, lower branch reached: True")
ax.set_xlabel(r"$\mu = \lambda$   (T = 1)")
ax.set_ylabel(r"$\theta(1/2)$")
ax.set_title(r"Bratu's two branches against $\lambda = \mu$ (T = 1)")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

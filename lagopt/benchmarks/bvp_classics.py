"""The classic boundary value problems: lagopt's path solvers against ``scipy.integrate.solve_bvp``.

The question: on the textbook two-point problems that a user would otherwise hand to
`scipy.integrate.solve_bvp`, does `solve_action_path` return the right solution (the right
branch, the least-action one), certified, in comparable time? Every problem is written in
lagopt's gradient form ``theta'' = lam grad L(theta)``, ``theta(0) = theta0``,
``theta(T) = thetaT``, and defined once as vectorized numpy functions of points-as-columns
``P`` (shape ``(n, m)``): ``loss(P) -> (m,)``, ``grad(P) -> (n, m)``, ``hess(P) -> (n, n, m)``.
From that one definition come lagopt's objective (``CallableObjective(loss, n, grad=grad,
hess=hess, vectorized=True)``) and scipy's problem on ``y = (theta, v)`` (``fun``, an analytic
``fun_jac`` with blocks ``[[0, I], [lam hess, 0]]``, ``bc``, ``bc_jac``, the straight line on
11 nodes as initial guess, ``tol=1e-6`` as lagopt's `Collocation` default, default
``max_nodes``).

Problems (``split`` "tune": the problems on which settings may be chosen; "judge": held out):

* Bratu ``y'' = -k e^y``, ``y(0) = y(1) = 0`` (``L = -exp(theta)``, ``lam = k``): ``k = 1``
  lower and upper branch (tune), ``k = 3.5138`` lower and upper branch near the fold
  ``k* = 3.51383071912516`` (judge). Reference ``y'(0)`` from the closed form
  ``y = -2 ln[cosh((x - 1/2) s/2) / cosh(s/4)]``, ``s = sqrt(2k) cosh(s/4)``,
  ``y'(0) = s tanh(s/4)`` (``s`` by `scipy.optimize.brentq`). Upper branches: both solvers
  start from the closed-form path (``guess=``).
* Troesch ``y'' = mu sinh(mu y)``, ``y(0) = 0``, ``y(1) = 1`` (``L = cosh(mu theta)``,
  ``lam = 1``), ``mu`` = 1, 5, 20 (tune), 10, 30, 50 and 100 (judge; 100 a moonshot).
  Reference ``y'(0)`` from the literature (``8 exp(-mu)`` beyond ``mu = 30``, relative error
  about ``exp(-mu/2)``), ``y'(1)`` from energy conservation,
  ``y'(1)^2 = y'(0)^2 + 2 (cosh mu - 1)``. Targets: ``y'(0)`` within 1e-3 and ``y'(1)``
  within 1e-5 (relative).
* Pendulum ``theta'' = -sin theta`` (``L = cos theta``, ``lam = 1``), 0 to 0.5 on
  ``T`` = 3.5 (judge), 4.5 (tune), 7 (judge). Past ``T = pi`` several solutions exist; the
  reference is the least-action one, found by the direct method, which minimises the action.
* The double well of the README, ``L = (x^2 - 1)^2 + y^2/2 + x/5``, (-1, 0.5) to (1, -0.5),
  ``T = 2``, ``lam = 1`` (judge).
* Held out (judge): a coupled 3-D quartic ``L = sum(theta^4)/4 + theta^T C theta / 2`` (fixed
  SPD ``C``), a coupled Gelfand pair ``L = -exp(theta_1) - exp(theta_2)/2 + theta_1 theta_2 /
  10``, and the 37-parameter tanh network of `lagopt.benchmarks.solver_speed` (the seed
  network on ``make_dataset("nonlinear")``, ``init_params(42)`` to ``theta0 + 0.3 xi``,
  ``T = lam = 1``).

Problems without a closed form take as reference the direct method at ``tol=1e-10`` with
Numerov's fourth-order rule (`REFERENCE_METHOD`; the default second-order rule cannot reach
1e-10 within its node cap), cross-checked by collocation at ``tol=1e-10`` started on the
reference path; both are reported.

Measured, in one process: the default call ``solve_action_path(obj, theta0, thetaT, T=T,
lam=lam)`` (with ``guess=`` for the upper branches), each method of ``--methods`` by name, and
solve_bvp. Per row: success, ``is_minimum``, status, ``y'(0)`` (``|theta'(0)|`` for
``n > 1``), relative errors, the median time of ``--repeat`` runs after a warm-up call (numba
compilation excluded), the ratio lagopt time / solve_bvp time, and the share of the call spent
measuring and certifying the paths, ``info["certificate_time"] / wall_time``. Targets (printed
MET / NOT MET): default call median ratio <= 1 and worst <= 2 on the easy classics (Bratu
``k = 1`` lower, Troesch 1 and 5, pendulum 3.5, double well); certificates <= 25 % of the call;
Troesch 10 to 50 certified within the targets; the pendulum's default call returns the minimum.

Writes ``bvp_classics.md`` (also printed) and ``bvp_classics.png`` (time ratio of the default
call per problem) to ``--out``.

Usage::

    lagopt bench --only bvp_classics
    python benchmarks/bvp_classics.py --quick --out DIR     # about 30 s
    python benchmarks/bvp_classics.py --only bratu_k1_lower troesch_mu10 --out DIR
"""
import argparse
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import scipy.integrate
import scipy.optimize

from lagopt.objectives import CallableObjective
from lagopt.paths import Collocation, Direct, solve_action_path

#: Methods measured by name in a full run (``auto`` is the default call).
METHODS = ("auto", "collocation", "direct", "shooting", "multiple_shooting")
#: solve_bvp's tolerance: lagopt's `Collocation` default.
SCIPY_TOL = 1e-6
#: Nodes of the initial guesses given to solve_bvp.
GUESS_NODES = 11
#: A call slower than this (seconds) is not repeated.
CALL_CAP_S = 60.0
#: The reference of the problems without a closed form. Numerov's fourth-order rule: the
#: default (trapezoid) rule cannot meet tol=1e-10 within its node cap (MAX_ITER).
REFERENCE_METHOD = Direct(tol=1e-10, rule="numerov")
#: Its cross-check, started on the reference path.
CROSS_CHECK_METHOD = Collocation(tol=1e-10)

# Targets of the issue.
V0_TARGET = 1e-3            # relative error of y'(0), every problem
V1_TARGET = 1e-5            # relative error of y'(1), Troesch
RATIO_MEDIAN_TARGET = 1.0   # default call / solve_bvp, median over the easy classics
RATIO_WORST_TARGET = 2.0    # ... and worst
CERT_SHARE_TARGET = 0.25    # share of the call spent certifying

BRATU_FOLD_K = 3.51383071912516
#: Quoted digits of Bratu's y'(0), (k, branch) -> value; the closed form must reproduce them.
BRATU_QUOTED = {(1.0, "lower"): 0.549352728775, (1.0, "upper"): 10.846899019389}
#: The literature's value near the fold, checked against the closed form (which is used).
BRATU_LITERATURE = {(3.5138, "lower"): 3.98582305}
#: Troesch's y'(0) from the literature; beyond mu = 30, 8 exp(-mu).
TROESCH_V0 = {1.0: 0.845202685310, 5.0: 0.0457504614063, 10.0: 3.5833778463081369e-4,
              20.0: 1.6487731827804036e-8, 30.0: 7.4860937950438118e-13}

EASY = ("bratu_k1_lower", "troesch_mu1", "troesch_mu5", "pendulum_T3.5", "double_well")
TUNE = ("bratu_k1_lower", "bratu_k1_upper", "troesch_mu1", "troesch_mu5", "troesch_mu20",
        "pendulum_T4.5")
QUICK = ("bratu_k1_lower", "troesch_mu5", "troesch_mu10", "pendulum_T4.5", "double_well")
TROESCH_JUDGED = ("troesch_mu10", "troesch_mu20", "troesch_mu30", "troesch_mu50")


# ----------------------------------------------------------------------------- problems
@dataclass
class Problem:
    """One boundary value problem ``theta'' = lam grad L``, defined once by vectorized
    functions of points-as-columns ``P`` (shape ``(n, m)``).

    ``ref_v0`` is the reference ``theta'(0)`` (None: computed by `REFERENCE_METHOD` at run
    time), ``ref_v1`` the reference ``theta'(T)`` where one is judged (Troesch). ``guess``,
    when given, maps ``t`` (shape ``(k,)``) to ``(theta, theta')`` (shapes ``(n, k)``): the
    start of both solvers (a branch that the straight line does not reach).
    """

    name: str
    family: str
    n: int
    loss: Callable
    grad: Callable
    hess: Callable
    theta0: np.ndarray
    thetaT: np.ndarray
    T: float = 1.0
    lam: float = 1.0
    ref_v0: Optional[np.ndarray] = None
    ref_v1: Optional[np.ndarray] = None
    ref_source: str = ""
    guess: Optional[Callable] = None
    note: str = ""
    _objective: object = field(default=None, repr=False)

    @property
    def split(self):
        """``"tune"`` (settings may be chosen on it) or ``"judge"`` (held out)."""
        return "tune" if self.name in TUNE else "judge"

    @property
    def objective(self):
        """lagopt's objective, built from the vectorized functions (once)."""
        if self._objective is None:
            self._objective = CallableObjective(self.loss, self.n, grad=self.grad,
                                                hess=self.hess, vectorized=True,
                                                name=self.name)
        return self._objective

    def lagopt_guess(self):
        """The guess as lagopt takes it, a callable ``t -> theta`` (shape ``(n,)``)."""
        if self.guess is None:
            return None
        return lambda t: self.guess(np.atleast_1d(np.asarray(t, float)))[0][:, 0]


def bratu_s(k, branch):
    """The root ``s`` of ``s = sqrt(2k) cosh(s/4)`` on `branch` ("lower" or "upper")."""
    c = np.sqrt(2.0 * k)
    g = lambda s: s - c * np.cosh(s / 4.0)  # noqa: E731
    s_fold = 4.0 * np.arcsinh(4.0 / c)       # g'(s_fold) = 0: the two roots straddle it
    if g(s_fold) <= 0.0:
        raise ValueError(f"Bratu: no solution for k = {k} beyond the fold k* = {BRATU_FOLD_K}.")
    if branch == "lower":
        return scipy.optimize.brentq(g, 0.0, s_fold, xtol=1e-15, rtol=4 * np.finfo(float).eps)
    hi = 2.0 * s_fold
    while g(hi) > 0.0:
        hi *= 2.0
    return scipy.optimize.brentq(g, s_fold, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps)


def bratu_reference(k, branch):
    """Bratu's ``y'(0) = s tanh(s/4)`` from the closed form, on `branch`."""
    s = bratu_s(k, branch)
    return s * np.tanh(s / 4.0)


def bratu_closed_form(k, branch):
    """``t -> (y, y')`` (shapes ``(1, len(t))``) of the closed-form solution on `branch`."""
    s = bratu_s(k, branch)

    def path(t):
        z = (np.asarray(t, float) - 0.5) * s / 2.0
        y = -2.0 * np.log(np.cosh(z) / np.cosh(s / 4.0))
        return y[None, :], (-s * np.tanh(z))[None, :]
    return path


def check_quoted_references():
    """Assert that the closed form reproduces the quoted Bratu digits; return the comparison
    with the literature near the fold as ``{(k, branch): (literature, closed form)}``."""
    for (k, branch), quoted in BRATU_QUOTED.items():
        value = bratu_reference(k, branch)
        assert abs(value - quoted) <= 5e-13 * max(1.0, abs(quoted)), (k, branch, value, quoted)
    return {key: (lit, bratu_reference(*key)) for key, lit in BRATU_LITERATURE.items()}


def _bratu(k, branch):
    name = f"bratu_k{k:g}_{branch}"
    v0 = bratu_reference(k, branch)
    return Problem(
        name=name, family="bratu", n=1,
        loss=lambda P: -np.exp(P[0]), grad=lambda P: -np.exp(P),
        hess=lambda P: -np.exp(P)[None], theta0=np.zeros(1), thetaT=np.zeros(1), T=1.0,
        lam=k, ref_v0=np.array([v0]), ref_source="closed form (brentq)",
        guess=bratu_closed_form(k, branch) if branch == "upper" else None,
        note="closed-form guess" if branch == "upper" else "")


def _troesch(mu):
    v0 = TROESCH_V0.get(mu, 8.0 * np.exp(-mu))
    v1 = np.sqrt(v0 ** 2 + 2.0 * (np.cosh(mu) - 1.0))
    source = "literature" if mu in TROESCH_V0 else "8 exp(-mu)"
    return Problem(
        name=f"troesch_mu{mu:g}", family="troesch", n=1,
        loss=lambda P: np.cosh(mu * P[0]), grad=lambda P: mu * np.sinh(mu * P),
        hess=lambda P: (mu * mu * np.cosh(mu * P))[None], theta0=np.zeros(1),
        thetaT=np.ones(1), ref_v0=np.array([v0]), ref_v1=np.array([v1]),
        ref_source=source + "; y'(1) by energy", note="moonshot" if mu == 100 else "")


def _pendulum(T):
    return Problem(
        name=f"pendulum_T{T:g}", family="pendulum", n=1,
        loss=lambda P: np.cos(P[0]), grad=lambda P: -np.sin(P),
        hess=lambda P: -np.cos(P)[None], theta0=np.zeros(1), thetaT=np.array([0.5]), T=T)


def _double_well():
    def loss(P):
        x, y = P
        return (x * x - 1.0) ** 2 + 0.5 * y * y + 0.2 * x

    def grad(P):
        x, y = P
        return np.stack([4.0 * x * (x * x - 1.0) + 0.2, y])

    def hess(P):
        x = P[0]
        H = np.zeros((2, 2, P.shape[1]))
        H[0, 0] = 12.0 * x * x - 4.0
        H[1, 1] = 1.0
        return H
    return Problem(name="double_well", family="double well", n=2, loss=loss, grad=grad,
                   hess=hess, theta0=np.array([-1.0, 0.5]), thetaT=np.array([1.0, -0.5]),
                   T=2.0)


#: The fixed SPD coupling of the 3-D quartic.
QUARTIC_C = np.array([[2.0, 0.5, 0.2], [0.5, 1.5, 0.3], [0.2, 0.3, 1.0]])


def _quartic_3d():
    C = QUARTIC_C
    return Problem(
        name="quartic_3d", family="quartic", n=3,
        loss=lambda P: 0.25 * np.sum(P ** 4, axis=0) + 0.5 * np.einsum("im,ij,jm->m", P, C, P),
        grad=lambda P: P ** 3 + C @ P,
        hess=lambda P: C[:, :, None] + np.einsum("ij,jm->ijm", np.eye(3), 3.0 * P ** 2),
        theta0=np.array([1.0, -1.0, 0.5]), thetaT=np.array([-0.5, 1.0, 1.5]), T=2.0)


def _gelfand_2d():
    def hess(P):
        H = np.empty((2, 2, P.shape[1]))
        H[0, 0] = -np.exp(P[0])
        H[1, 1] = -0.5 * np.exp(P[1])
        H[0, 1] = H[1, 0] = 0.1
        return H
    return Problem(
        name="gelfand_2d", family="gelfand", n=2,
        loss=lambda P: -np.exp(P[0]) - 0.5 * np.exp(P[1]) + 0.1 * P[0] * P[1],
        grad=lambda P: np.stack([-np.exp(P[0]) + 0.1 * P[1], -0.5 * np.exp(P[1]) + 0.1 * P[0]]),
        hess=hess, theta0=np.zeros(2), thetaT=np.array([0.5, -0.5]))


def _mlp_tanh():
    from lagopt.benchmarks.solver_speed import seed_network_case
    f, _, _, theta0, thetaT = seed_network_case("tanh")
    return Problem(name="mlp_tanh_37", family="network", n=f.n_params, loss=f.loss_batch,
                   grad=f.grad_batch, hess=f.hess_batch, theta0=theta0, thetaT=thetaT)


#: name -> factory, in report order.
PROBLEMS = {
    "bratu_k1_lower": lambda: _bratu(1.0, "lower"),
    "bratu_k1_upper": lambda: _bratu(1.0, "upper"),
    "bratu_k3.5138_lower": lambda: _bratu(3.5138, "lower"),
    "bratu_k3.5138_upper": lambda: _bratu(3.5138, "upper"),
    **{f"troesch_mu{mu:g}": (lambda mu=mu: _troesch(float(mu)))
       for mu in (1, 5, 10, 20, 30, 50, 100)},
    **{f"pendulum_T{T:g}": (lambda T=T: _pendulum(T)) for T in (3.5, 4.5, 7.0)},
    "double_well": _double_well,
    "quartic_3d": _quartic_3d,
    "gelfand_2d": _gelfand_2d,
    "mlp_tanh_37": _mlp_tanh,
}


def make_problem(name):
    """The problem called `name` (a key of `PROBLEMS`)."""
    return PROBLEMS[name]()


# ----------------------------------------------------------------------------- scipy
def scipy_problem(prob):
    """``(fun, bc, fun_jac, bc_jac)`` of `prob` for ``scipy.integrate.solve_bvp`` on
    ``y = (theta, v)``."""
    n, lam = prob.n, prob.lam

    def fun(x, y):
        return np.vstack([y[n:], lam * prob.grad(y[:n])])

    def fun_jac(x, y):
        J = np.zeros((2 * n, 2 * n, y.shape[1]))
        J[:n, n:] = np.eye(n)[:, :, None]
        J[n:, :n] = lam * prob.hess(y[:n])
        return J

    def bc(ya, yb):
        return np.concatenate([ya[:n] - prob.theta0, yb[:n] - prob.thetaT])

    Ja, Jb = np.zeros((2 * n, 2 * n)), np.zeros((2 * n, 2 * n))
    Ja[:n, :n] = np.eye(n)
    Jb[n:, :n] = np.eye(n)

    def bc_jac(ya, yb):
        return Ja, Jb
    return fun, bc, fun_jac, bc_jac


def scipy_guess(prob):
    """solve_bvp's start on `GUESS_NODES` nodes: the straight line, or `prob.guess`."""
    x = np.linspace(0.0, prob.T, GUESS_NODES)
    if prob.guess is not None:
        theta, v = prob.guess(x)
        return x, np.vstack([theta, v])
    slope = (prob.thetaT - prob.theta0) / prob.T
    theta = prob.theta0[:, None] + np.outer(slope, x)
    return x, np.vstack([theta, np.repeat(slope[:, None], x.size, axis=1)])


def solve_scipy(prob):
    """solve_bvp on `prob` with analytic Jacobians and ``tol=SCIPY_TOL``."""
    fun, bc, fun_jac, bc_jac = scipy_problem(prob)
    x, y = scipy_guess(prob)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return scipy.integrate.solve_bvp(fun, bc, x, y, fun_jac=fun_jac, bc_jac=bc_jac,
                                         tol=SCIPY_TOL)


# ----------------------------------------------------------------------------- lagopt
def solve_lagopt(prob, method=None):
    """`solve_action_path` on `prob`: the default call when `method` is None."""
    kw = {} if method is None else {"method": method}
    guess = prob.lagopt_guess()
    if guess is not None:
        kw["guess"] = guess
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return solve_action_path(prob.objective, prob.theta0, prob.thetaT, T=prob.T,
                                 lam=prob.lam, **kw)


def compute_reference(prob):
    """Fill ``prob.ref_v0`` by `REFERENCE_METHOD` (when it has no closed form); returns a dict
    describing the reference and its cross-check, or None."""
    if prob.ref_v0 is not None:
        return None
    start = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ref = solve_action_path(prob.objective, prob.theta0, prob.thetaT, T=prob.T,
                                lam=prob.lam, method=REFERENCE_METHOD)
        seconds = time.perf_counter() - start
        try:
            check = solve_action_path(prob.objective, prob.theta0, prob.thetaT, T=prob.T,
                                      lam=prob.lam, method=CROSS_CHECK_METHOD, guess=ref)
            check_status, check_v0 = check.status.name, check.theta_dot[:, 0]
        except Exception as exc:  # noqa: BLE001 - reported, never fatal
            check_status, check_v0 = f"{type(exc).__name__}: {exc}", None
    prob.ref_v0 = ref.theta_dot[:, 0].copy()
    prob.ref_source = "direct, tol=1e-10, Numerov"
    scale = max(np.linalg.norm(prob.ref_v0), np.finfo(float).tiny)
    return {"status": ref.status.name, "is_minimum": ref.is_minimum, "seconds": seconds,
            "action": ref.action, "check_status": check_status,
            "disagreement": (np.nan if check_v0 is None
                             else float(np.linalg.norm(check_v0 - prob.ref_v0) / scale))}


# ----------------------------------------------------------------------------- measuring
def _relerr(value, ref):
    if ref is None or value is None:
        return np.nan
    ref = np.asarray(ref, float)
    return float(np.linalg.norm(np.asarray(value) - ref) / max(np.linalg.norm(ref),
                                                               np.finfo(float).tiny))


def _timed(fn, repeat, cap):
    """One warm-up call, then `repeat` timed calls (none after a call longer than `cap`):
    ``(times, results)``; a warm-up longer than `cap` is itself the one timing."""
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    if first > cap:
        return [first], [out]
    times, outs = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        outs.append(fn())
        times.append(time.perf_counter() - t0)
        if times[-1] > cap:
            break
    return times, outs


def _row(prob, method, **values):
    row = {"problem": prob.name, "split": prob.split, "method": method, "used": "",
           "success": False, "is_minimum": None, "status": "", "v0": np.nan, "err0": np.nan,
           "err1": np.nan, "time": np.nan, "runs": 0, "ratio": np.nan, "cert": np.nan,
           "n": prob.n}
    row.update(values)
    return row


def _v0_value(v0):
    return float(v0[0]) if v0.size == 1 else float(np.linalg.norm(v0))


def measure_lagopt(prob, method, repeat, cap=CALL_CAP_S):
    """A row for `solve_lagopt(prob, method)` (method None: the default call)."""
    label = "auto (default)" if method is None else method
    try:
        times, paths = _timed(lambda: solve_lagopt(prob, method), repeat, cap)
    except Exception as exc:  # noqa: BLE001 - a failing call is a row, not a crash
        return _row(prob, label, status=f"exception {type(exc).__name__}: {exc}"[:120])
    path = paths[-1]
    v0, v1 = path.theta_dot[:, 0], path.theta_dot[:, -1]
    shares = [p.info["certificate_time"] / p.wall_time for p in paths if p.wall_time > 0]
    return _row(prob, label, used=path.method, success=bool(path.success),
                is_minimum=path.is_minimum, status=path.status.name, v0=_v0_value(v0),
                err0=_relerr(v0, prob.ref_v0), err1=_relerr(v1, prob.ref_v1),
                time=float(np.median(times)), runs=len(times),
                cert=float(np.median(shares)) if shares else np.nan)


def measure_scipy(prob, repeat, cap=CALL_CAP_S):
    """A row for solve_bvp on `prob`."""
    try:
        times, sols = _timed(lambda: solve_scipy(prob), repeat, cap)
    except Exception as exc:  # noqa: BLE001
        return _row(prob, "solve_bvp", used="scipy",
                    status=f"exception {type(exc).__name__}: {exc}"[:120])
    sol = sols[-1]
    n = prob.n
    v0, v1 = sol.y[n:, 0], sol.y[n:, -1]
    status = "SUCCESS" if sol.status == 0 else f"{sol.status}: {sol.message}"
    return _row(prob, "solve_bvp", used="scipy", success=sol.status == 0, status=status,
                v0=_v0_value(v0), err0=_relerr(v0, prob.ref_v0), err1=_relerr(v1, prob.ref_v1),
                time=float(np.median(times)), runs=len(times))


def within_target(row, prob):
    """Certified and within the error targets (y'(0), and y'(1) where judged)."""
    if not row["success"] or not row["err0"] <= V0_TARGET:
        return False
    return prob.ref_v1 is None or row["err1"] <= V1_TARGET


def run(names, methods, repeat, log=print):
    """Rows and reference notes for the problems `names`."""
    rows, refs = [], []
    for name in names:
        prob = make_problem(name)
        ref = compute_reference(prob)
        refs.append({"problem": name, "split": prob.split, "source": prob.ref_source,
                     "v0": _v0_value(prob.ref_v0),
                     "v1": np.nan if prob.ref_v1 is None else float(prob.ref_v1[0]),
                     "note": prob.note, "direct": ref})
        here = [measure_lagopt(prob, None, repeat)]
        here += [measure_lagopt(prob, m, repeat) for m in methods if m != "auto"]
        alt = measure_scipy(prob, repeat)
        for r in here:
            r["ratio"] = r["time"] / alt["time"]
            r["target"] = within_target(r, prob)
        alt["target"] = within_target(alt, prob)
        for r in here + [alt]:
            log(f"[{name}] {r['method']:17s} {r['used']:12s} success={r['success']!s:5s} "
                f"err y'(0)={r['err0']:.1e}  {r['time'] * 1e3:9.1f} ms  {r['status'][:60]}")
        rows += here + [alt]
    return rows, refs


# ----------------------------------------------------------------------------- report
def _judge(ok, quick, judged=True):
    if quick:
        return "not judged by a --quick run"
    if not judged:
        return "not judged (no row)"
    return "MET" if ok else "NOT MET"


def _fmt(x, spec):
    return "-" if x is None or (isinstance(x, float) and not np.isfinite(x)) else format(x, spec)


def summary(rows, quick):
    """The summary lines (targets with their verdicts)."""
    default = {r["problem"]: r for r in rows if r["method"] == "auto (default)"}
    alt = {r["problem"]: r for r in rows if r["method"] == "solve_bvp"}
    easy = [p for p in EASY if p in default and default[p]["success"] and alt[p]["success"]]
    ratios = np.array([default[p]["ratio"] for p in easy])
    lines = []
    if ratios.size:
        med, worst = float(np.median(ratios)), float(np.max(ratios))
        ok = med <= RATIO_MEDIAN_TARGET and worst <= RATIO_WORST_TARGET
        lines.append(f"- Easy classics ({', '.join(easy)}; both solvers succeeded): default "
                     f"call / solve_bvp time, median x{med:.2f}, worst x{worst:.2f} (target "
                     f"median <= {RATIO_MEDIAN_TARGET:g}x, worst <= {RATIO_WORST_TARGET:g}x)"
                     f" -> {_judge(ok, quick)}")
    else:
        lines.append("- Easy classics: no problem where both solvers succeeded -> "
                     + _judge(False, quick, judged=False))
    good = [p for p, r in default.items() if r["target"]]
    lines.append(f"- Default call certified and within its target error (y'(0) <= "
                 f"{V0_TARGET:g}, Troesch y'(1) <= {V1_TARGET:g}): {len(good)} of "
                 f"{len(default)} problems; solve_bvp within the same targets: "
                 f"{sum(r['target'] for r in alt.values())} of {len(alt)}.")
    shares = np.array([r["cert"] for r in default.values() if np.isfinite(r["cert"])])
    if shares.size:
        ok = float(np.max(shares)) <= CERT_SHARE_TARGET
        lines.append(f"- Certificate share of the default call (certificate_time / wall_time): "
                     f"median {np.median(shares):.0%}, max {np.max(shares):.0%} (target <= "
                     f"{CERT_SHARE_TARGET:.0%}) -> {_judge(ok, quick)}")
    every = np.array([r["cert"] for r in rows if np.isfinite(r["cert"])])
    if every.size > shares.size:
        lines.append(f"  Over every lagopt row: median {np.median(every):.0%}, max "
                     f"{np.max(every):.0%}.")
    tro = [p for p in TROESCH_JUDGED if p in default]
    ok = len(tro) == len(TROESCH_JUDGED) and all(default[p]["target"] for p in tro)
    met = [p for p in tro if default[p]["target"]]
    lines.append(f"- Troesch mu = 10 to 50 certified within the targets by the default call: "
                 f"{len(met)} of {len(tro)} run ({', '.join(met) or 'none'}) -> "
                 f"{_judge(ok, quick, judged=len(tro) == len(TROESCH_JUDGED))}")
    pend = [p for p in default if p.startswith("pendulum")]
    mins = [p for p in pend if default[p]["is_minimum"] is True
            and default[p]["err0"] <= V0_TARGET]
    lines.append(f"- Pendulum: the default call returns the least-action solution (is_minimum "
                 f"and y'(0) on the reference) on {len(mins)} of {len(pend)} horizons run "
                 f"({', '.join(mins) or 'none'}) -> "
                 f"{_judge(len(mins) == len(pend), quick, judged=len(pend) == 3)}")
    return lines


def report(rows, refs, quick, repeat, elapsed, fold):
    """The markdown of the run."""
    lines = [
        "# Classic boundary value problems against solve_bvp", "",
        f"Mode: {'quick' if quick else 'full'}; median of {repeat} timed runs after a warm-up "
        f"call; total run time {elapsed:.2f} s. Every problem is one vectorized definition "
        "(loss, gradient, Hessian on points-as-columns) given to lagopt as "
        "`CallableObjective(..., vectorized=True)` and to `scipy.integrate.solve_bvp` as "
        f"`fun` with analytic `fun_jac` and `bc_jac`, `tol={SCIPY_TOL:g}`, straight line on "
        f"{GUESS_NODES} nodes (the closed-form path for the upper Bratu branches, given to "
        "both). Ratio: lagopt time / solve_bvp time (< 1: lagopt faster). Certificate share: "
        "`info['certificate_time'] / wall_time`. For n > 1, y'(0) is |theta'(0)| and its error "
        "the relative norm of the vector difference.", "",
        "Splits: the *tune* problems (Bratu k = 1, Troesch mu = 1, 5, 20, pendulum T = 4.5) "
        "are the ones on which solver settings may be chosen; the *judge* problems are held "
        "out and judge. This run chose no settings: every call uses lagopt's defaults, so "
        "both splits only measure.", "",
        "| problem | split | method | used | success | is_minimum | status | y'(0) | "
        "rel. err y'(0) | rel. err y'(1) | time (ms) | ratio vs solve_bvp | certificate "
        "share |",
        "|---|---|---|---|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        status = r["status"].replace("|", "/")
        runs = "" if r["runs"] in (0, repeat) else f" ({r['runs']} run{'s' * (r['runs'] > 1)})"
        lines.append(
            f"| {r['problem']} | {r['split']} | {r['method']} | {r['used']} | {r['success']} | "
            f"{'-' if r['is_minimum'] is None else r['is_minimum']} | {status[:70]} | "
            f"{_fmt(r['v0'], '.10g')} | {_fmt(r['err0'], '.1e')} | {_fmt(r['err1'], '.1e')} | "
            f"{_fmt(r['time'] * 1e3, '.1f')}{runs} | {_fmt(r['ratio'], '.2f')} | "
            f"{_fmt(r['cert'], '.0%')} |")
    lines += ["", "## Summary", ""] + summary(rows, quick)
    lines += ["", "## References", "",
              "| problem | split | y'(0) | y'(1) | source | reference status | is_minimum | "
              "cross-check (collocation tol=1e-10 from it) | disagreement |",
              "|---|---|---:|---:|---|---|---|---|---:|"]
    for ref in refs:
        d = ref["direct"] or {}
        lines.append(
            f"| {ref['problem']} | {ref['split']} | {ref['v0']:.13g} | {_fmt(ref['v1'], '.13g')}"
            f" | {ref['source']}{'; ' + ref['note'] if ref['note'] else ''} | "
            f"{d.get('status', '-')} | {d.get('is_minimum', '-')} | "
            f"{str(d.get('check_status', '-'))[:60]} | {_fmt(d.get('disagreement'), '.1e')} |")
    lines.append("")
    for (k, branch), (lit, closed) in fold.items():
        lines.append(f"Bratu k = {k:g}, {branch} branch: literature y'(0) = {lit:.8f}, closed "
                     f"form {closed:.12f} (difference {abs(lit - closed):.1e}); the closed "
                     "form is used. The quoted k = 1 digits (0.549352728775, 10.846899019389) "
                     "are reproduced by the closed form.")
    return "\n".join(lines) + "\n"


def figure(rows, path):
    """Bar chart of the default call's time ratio against solve_bvp, per problem."""
    from lagopt import plotting
    plotting.use_agg()
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    rs = [r for r in rows if r["method"] == "auto (default)" and np.isfinite(r["ratio"])]
    alt_ok = {r["problem"]: r["success"] for r in rows if r["method"] == "solve_bvp"}
    fig, ax = plt.subplots(figsize=(max(5.0, 0.55 * len(rs) + 2.0), 4.0))
    x = np.arange(len(rs))
    for xi, r in zip(x, rs):
        ax.bar(xi, r["ratio"], color="#0072B2" if r["success"] else "#BBBBBB",
               edgecolor="k", linewidth=1.2 if r["split"] == "tune" else 0.0,
               hatch=None if alt_ok.get(r["problem"]) else "//")
    ax.axhline(1.0, color="#D55E00", lw=1.2, label="solve_bvp time")
    ax.set_yscale("log")
    # Labels at 1-2-5 steps only: labelled minor ticks of a log axis overprint each other.
    ax.yaxis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(x)
    ax.set_xticklabels([r["problem"] for r in rs], rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("default call time / solve_bvp time")
    ax.set_title("lagopt default call against solve_bvp (grey: not certified; hatched: "
                 "solve_bvp failed; outlined: tune split)", fontsize=9)
    ax.legend(fontsize=8)
    return plotting.save(fig, path)


# ----------------------------------------------------------------------------- main
def _parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="five problems, the default call and solve_bvp, 3 repeats")
    parser.add_argument("--out", default="results/", help="output directory")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed runs per call (default 5; 3 with --quick)")
    parser.add_argument("--methods", nargs="+", default=None, choices=METHODS,
                        help="methods run by name (default: all; auto only with --quick)")
    parser.add_argument("--only", nargs="+", default=None, metavar="NAME",
                        help=f"run only these problems: {', '.join(PROBLEMS)}")
    return parser


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.only:
        unknown = [n for n in args.only if n not in PROBLEMS]
        if unknown:
            parser.error(f"unknown problem(s) {', '.join(unknown)}; choose from "
                         f"{', '.join(PROBLEMS)}")
    names = args.only or (QUICK if args.quick else tuple(PROBLEMS))
    methods = args.methods or (("auto",) if args.quick else METHODS)
    repeat = args.repeat or (3 if args.quick else 5)
    start = time.perf_counter()
    fold = check_quoted_references()
    rows, refs = run(names, methods, repeat)
    text = report(rows, refs, args.quick, repeat, time.perf_counter() - start, fold)
    os.makedirs(args.out, exist_ok=True)
    md = os.path.join(args.out, "bvp_classics.md")
    with open(md, "w") as fh:
        fh.write(text)
    png = figure(rows, os.path.join(args.out, "bvp_classics.png"))
    print(text)
    print(f"wrote {md} and {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

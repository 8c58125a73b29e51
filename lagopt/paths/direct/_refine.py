"""Solving ``S_h`` on one grid, and refining the grid until the discretisation error is small.

`solve_grid` picks the branch (Newton, L-BFGS, Newton on the kink manifold) for one grid.
`refine_path` solves a first grid and, asked to, halves the spacing until a Richardson estimate
of the error of the finer grid's solution is below ``tol``; it returns a
`RefinementOutcome`, which says where and why it stopped.
"""
import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..._status import Status
from .._measure import measure
from ._discrete_action import DiscreteAction
from ._krylov import KrylovStats, newton_krylov
from ._lbfgs import LBFGS_WINDOW, lbfgs
from ._newton import kink_newton, newton
from ._stopping import Outcome

__all__ = ["Settings", "RefinementOutcome", "solve_grid", "refine_path", "prolong",
           "newton_fits", "NEWTON_MAX_DIM"]

# Newton needs (N-1) Hessians of n x n (each ~n Hessian-vector products) and their block
# Cholesky factor (O(N n^3)); beyond these sizes "auto" takes L-BFGS, O(N n) memory.
NEWTON_MAX_DIM = 200
_NEWTON_MAX_UNKNOWNS = 20_000  # n (N - 1)
_NEWTON_MAX_BLOCK_FLOATS = 2**21  # n^2 (N - 1): 16 MB per array of Hessian blocks
#: Iteration caps of the branches on each grid when `maxiter` is not given.
DEFAULT_MAXITER = {"newton": 500, "lbfgs": 10_000, "krylov": 200}
# L-BFGS stall window when Newton on the kink manifold takes over after the stall.
_LBFGS_KINK_WINDOW = 50
# Richardson orders: the scheme is second order where the loss is smooth (Numerov's fourth);
# where the path crosses kinks of a non-smooth loss its positions err by O(h) only.
_ORDER_SMOOTH, _ORDER_NONSMOOTH, _ORDER_NUMEROV = 2, 1, 4
# Grids refine by halving the spacing.
_REFINE_FACTOR = 2
#: Resolution the Numerov route requires of its returned grid, ``omega h`` with ``omega`` from
#: CG's Ritz values (the same bound as the second-order rules' a-priori ``OMEGA_H_MAX``). With
#: the high-order node velocities the returned path's pointwise residual is then 1e-5 to 1e-4
#: (quadratics with ``omega`` 3 to 20, 16 to 64 intervals), ten times inside the gate.
OMEGA_H_NUMEROV = 0.5


@dataclass(frozen=True)
class Settings:
    """The validated options of `lagopt.paths.direct.solve`, under their public names (see its
    parameters): ``tol`` the path's relative accuracy, ``newton_tol`` each discrete problem's
    residual test, ``max_nodes`` the node cap. The counts of the Newton-Krylov branch are not
    settings: they accumulate in a `KrylovStats` passed alongside."""

    rule: str
    tol: float
    newton_tol: float
    solver: str
    maxiter: Optional[int]
    max_time: float
    deadline: float  # a time.perf_counter value: start + max_time
    refine: bool
    max_nodes: int
    smooth: bool  # objective.smooth


@dataclass
class RefinementOutcome:
    """Where the grid refinement stopped.

    ``da``, ``out`` and ``solver`` are the returned grid's `DiscreteAction`, solver `Outcome`
    and branch(es); ``status`` the overall `Status`; ``levels`` one record per grid solved;
    ``estimate`` the ``(action, position)`` relative error estimates of the returned grid (None
    if not estimated); ``failed`` ``(N, Outcome, solver)`` of a refinement whose discrete
    problem did not converge; ``at_cap``: no finer grid below the node cap; ``timed_out``: the
    wall time ran out between grids; ``coarse`` ``(da, out)`` of the grid the returned one was
    checked against; ``theta``, ``theta_dot`` the returned path, ``extrapolated`` whether it
    was Richardson-extrapolated.
    """

    da: DiscreteAction
    out: Outcome
    solver: str
    status: Status
    levels: list
    estimate: Optional[tuple] = None
    failed: Optional[tuple] = None
    at_cap: bool = False
    timed_out: bool = False
    coarse: Optional[tuple] = None
    theta: Optional[np.ndarray] = field(default=None, repr=False)
    theta_dot: Optional[np.ndarray] = field(default=None, repr=False)
    extrapolated: bool = False


def newton_fits(n, N):
    """Newton's memory: ``N - 1`` Hessian blocks of ``n x n`` (several arrays of them)."""
    M = N - 1
    return n <= NEWTON_MAX_DIM and (n * M <= _NEWTON_MAX_UNKNOWNS
                                    or n * n * M <= _NEWTON_MAX_BLOCK_FLOATS)


def _running(out, deadline):
    """A stall or the iteration cap, with time left: another branch may finish the job."""
    return (out.status in (Status.MAX_ITER, Status.NOT_CONVERGED)
            and time.perf_counter() < deadline)


def solve_grid(problem, N, X0, settings, stats=None):
    """Minimise ``S_h`` on the grid of ``N`` intervals from ``X0``:
    ``(DiscreteAction, Outcome, branches used joined by "+")``. `stats`, a `KrylovStats`,
    accumulates the counts of the Newton-Krylov branch."""
    s = settings
    tol = s.newton_tol
    da = DiscreteAction(problem, N, s.rule)
    if s.solver == "krylov" or (s.solver == "auto" and s.rule == "numerov"):
        it = s.maxiter or DEFAULT_MAXITER["krylov"]
        return da, newton_krylov(da, X0, tol, it, s.deadline, stats), "krylov"
    fits = newton_fits(problem.n, N)
    branch = s.solver if s.solver != "auto" else ("newton" if fits else "lbfgs")
    used = [branch]
    kinked = not getattr(problem.objective, "smooth", True) and s.rule == "trapezoid"
    # On kinks, a Newton that fits finishes what L-BFGS cannot: L-BFGS hands over sooner.
    polish = s.solver == "auto" and kinked and fits
    window = _LBFGS_KINK_WINDOW if polish else LBFGS_WINDOW
    it_newton = s.maxiter or DEFAULT_MAXITER["newton"]
    it_lbfgs = s.maxiter or DEFAULT_MAXITER["lbfgs"]
    if branch == "newton":
        out = newton(da, X0, tol, it_newton, s.deadline)
        if s.solver == "auto" and _running(out, s.deadline):
            used.append("lbfgs")
            nit = out.nit
            out = lbfgs(da, out.X, tol, it_lbfgs, s.deadline, window=window)
            out.nit += nit
    else:
        out = lbfgs(da, X0, tol, it_lbfgs, s.deadline, window=window)
    if polish and _running(out, s.deadline):
        # L-BFGS crawls along kinks of a ReLU loss: finish with Newton on the kink manifold.
        used.append("kink-newton")
        polished = kink_newton(da, out.X, tol, it_newton, s.deadline)
        polished.nit += out.nit
        if polished.status == Status.SUCCESS or polished.resid <= out.resid:
            out = polished
        else:
            out.message += f"; Newton on the kink manifold did not finish ({polished.message})"
    return da, out, "+".join(used)


def prolong(da, X):
    """Warm start on the grid of half the spacing: the coarse nodes, and between them
    ``(theta_i + theta_{i+1}) / 2 - h^2 (a_i + a_{i+1}) / 16`` with ``a`` the discrete
    accelerations (``lam grad L`` at the end nodes): the midpoint of the cubic through the
    nodes, ``O(h^4)`` where the path is smooth."""
    Theta = da.nodes(X)
    n, k = Theta.shape
    h = da.h
    A = np.zeros_like(Theta)
    A[:, 1:-1] = (Theta[:, 2:] - 2.0 * Theta[:, 1:-1] + Theta[:, :-2]) / h**2
    if da.lam != 0.0:
        with np.errstate(all="ignore"):
            g = da.obj.grad_batch(np.ascontiguousarray(Theta[:, [0, -1]]))
        if np.all(np.isfinite(g)):
            A[:, 0], A[:, -1] = da.lam * g[:, 0], da.lam * g[:, 1]
        else:
            A[:, 0], A[:, -1] = A[:, 1], A[:, -2]
    mid = 0.5 * (Theta[:, :-1] + Theta[:, 1:]) - (h * h / 16.0) * (A[:, :-1] + A[:, 1:])
    if not np.all(np.isfinite(mid)):
        mid = 0.5 * (Theta[:, :-1] + Theta[:, 1:])
    fine = np.empty((n, 2 * k - 1))
    fine[:, ::2] = Theta
    fine[:, 1::2] = mid
    return fine[:, 1:-1]


def _measured_action(da, out):
    """``(action, magnitude)`` of a grid's path as `solve_action_path` measures it (Gauss
    quadrature of the cubic Hermite interpolant of nodes and velocities, `lagopt.paths.action`'s
    rule; the magnitude is then left to `_richardson`, None); for Numerov the fourth-order node
    rule `DiscreteAction.node_action`, which costs no evaluation (a quadrature would cost
    hundreds of losses, the whole solve's cost at large ``n``) and gives the magnitude too."""
    if da.rule == "numerov":
        return da.node_action(out.X)
    Theta = da.nodes(out.X)
    V = da.velocities(Theta)
    t = np.linspace(0.0, da.T, da.N + 1)
    return measure(da.obj, da.lam, da.T, t, Theta, V, residual=False)["action"], None


def _richardson(coarse, fine, order):
    """Estimated relative errors ``(action, positions)`` of the fine grid's solution.

    `coarse` and `fine` are ``(discrete action, outcome, (measured action, magnitude))``. With
    an error ``~ C h^p`` the fine solution (spacing ``h / r``) errs by about ``|fine - coarse| /
    (r^p - 1)``. Actions: the measured ones (`_measured_action`, what the returned path
    reports), relative to `DiscreteAction.magnitude`. The discrete ``S_h`` is not used: its
    trapezoid error is ``O(h^2)`` with a large constant while the measured action of the path,
    stationary at the solution, errs by ``O(h^4)``; ``S_h`` would refine to the node cap paths
    that are already accurate. Positions: compared at the shared nodes, relative to the path's
    extent (largest range of a coordinate over the nodes).
    """
    (da_c, out_c, (A_c, _)), (da_f, out_f, (A_f, mag)) = coarse, fine
    r = da_f.N // da_c.N
    div = float(r**order - 1)
    Th_c, Th_f = da_c.nodes(out_c.X), da_f.nodes(out_f.X)
    dS = abs(A_f - A_c)
    if mag is None:
        mag = da_f.magnitude(Th_f)
    err_S = dS / div / mag if mag > 0 else (0.0 if dS == 0 else np.inf)
    dX = float(np.max(np.abs(Th_f[:, ::r] - Th_c)))
    extent = float(np.max(np.ptp(Th_f, axis=1)))
    err_X = dX / div / extent if extent > 0 else (0.0 if dX == 0 else np.inf)
    return float(err_S), float(err_X)


def _midpoints(d):
    """Values midway between the columns of `d` (spacing 2h): cubic interpolation inside,
    quadratic at the two ends. Linear interpolation would leave an O(h^2) error in the
    correction at every other node, which the dense output shows as an alternating defect."""
    m = d.shape[1]
    if m < 4:
        return 0.5 * (d[:, :-1] + d[:, 1:])
    mid = np.empty((d.shape[0], m - 1))
    mid[:, 1:-1] = (9.0 * (d[:, 1:-2] + d[:, 2:-1]) - (d[:, :-3] + d[:, 3:])) / 16.0
    mid[:, 0] = (3.0 * d[:, 0] + 6.0 * d[:, 1] - d[:, 2]) / 8.0
    mid[:, -1] = (3.0 * d[:, -1] + 6.0 * d[:, -2] - d[:, -3]) / 8.0
    return mid


def _extrapolate(coarse, Theta, V, order):
    """Richardson extrapolation of a fine solution against the coarse one (spacing 2h):
    ``theta + (theta - theta_coarse) / (2^order - 1)`` at the shared nodes (``/ 3`` for the
    second-order rules), the correction interpolated
    (cubic, `_midpoints`) to the others; the same for the velocities. Positions and velocities
    are then
    ``O(h^4)`` where the solution is smooth (what the finaliser's residual sees)."""
    da_c, out_c = coarse
    Th_c = da_c.nodes(out_c.X)
    V_c = da_c.velocities(Th_c)
    out = []
    div = float(_REFINE_FACTOR**order - 1)
    for F, C in ((Theta, Th_c), (V, V_c)):
        d = (F[:, ::2] - C) / div
        E = F.copy()
        E[:, ::2] += d
        E[:, 1::2] += _midpoints(d)
        out.append(E)
    out[0][:, 0], out[0][:, -1] = Theta[:, 0], Theta[:, -1]  # the end points, exactly
    return out[0], out[1]


class _Grids:
    """Solves the discrete problem on successive grids and keeps a record (``levels``) of each:
    ``N, solver, status, nit, discrete_action, residual, n_eval, seconds``; ``stats`` (a
    `KrylovStats`) accumulates the Newton-Krylov counts over the grids."""

    def __init__(self, problem, settings, stats):
        self.problem, self.settings, self.stats = problem, settings, stats
        self.levels = []

    def run(self, N, X0):
        tic = time.perf_counter()
        da, out, used = solve_grid(self.problem, N, X0, self.settings, self.stats)
        self.levels.append({"N": N, "solver": used, "status": out.status, "nit": out.nit,
                            "discrete_action": out.S, "newton_residual": out.resid,
                            "n_eval": da.n_eval, "seconds": time.perf_counter() - tic})
        return da, out, used


def refine_path(problem, N, X0, settings, stats=None):
    """Solve on ``N`` intervals from ``X0``, then (if ``settings.refine``) on grids of half the
    spacing until the Richardson estimate is below ``settings.tol`` or a limit is met (the
    node cap, the deadline, a failed or non-finite grid). Returns the `RefinementOutcome`, with
    the path to return. `stats` (a `KrylovStats`, None for a fresh one) accumulates the counts
    of the Newton-Krylov branch."""
    s = settings
    grids = _Grids(problem, s, KrylovStats() if stats is None else stats)
    da, out, used = grids.run(N, X0)
    result = RefinementOutcome(da, out, used, out.status, grids.levels)
    if result.status == Status.SUCCESS and problem.lam == 0.0:
        result.estimate = (0.0, 0.0)  # the straight line: exact on any grid
    elif result.status == Status.SUCCESS and s.refine:
        order = _order(s)
        _refine_loop(grids, result, order, s.max_nodes - 1, s.tol)
    _finish(result, s)
    return result


def _order(settings):
    """The Richardson order of the scheme (see the constants above)."""
    if not settings.smooth:
        return _ORDER_NONSMOOTH
    return _ORDER_NUMEROV if settings.rule == "numerov" else _ORDER_SMOOTH


def _refine_loop(grids, result, order, N_cap, tol):
    """Halve the spacing of ``result``'s grid until the estimate meets `tol`, updating
    ``result`` in place."""
    r, levels = result, grids.levels
    A = None  # measured action of the current grid's path
    while True:
        N2 = _REFINE_FACTOR * r.da.N
        if N2 > N_cap:
            r.status, r.at_cap = Status.MAX_ITER, True
            return
        if time.perf_counter() > grids.settings.deadline:
            r.status, r.timed_out = Status.MAX_TIME, True
            return
        da2, out2, used2 = grids.run(N2, prolong(r.da, r.out.X))
        if out2.status != Status.SUCCESS:
            r.status, r.failed = out2.status, (N2, out2, used2)
            return
        with np.errstate(all="ignore"):
            if A is None:
                A = _measured_action(r.da, r.out)
                levels[-2]["action"] = A[0]
            A2 = _measured_action(da2, out2)
            r.estimate = _richardson((r.da, r.out, A), (da2, out2, A2), order)
        levels[-1]["action"] = A2[0]
        r.coarse = (r.da, r.out)
        r.da, r.out, r.solver, A = da2, out2, used2, A2
        if not np.all(np.isfinite(r.estimate)):
            r.status = Status.NON_FINITE
            return
        if max(r.estimate) <= tol and _resolved(grids.settings, grids.stats, r.da):
            return


def _resolved(settings, stats, da):
    """Numerov: whether the grid resolves the stiffness CG found (`OMEGA_H_NUMEROV`, from the
    `KrylovStats` `stats`); the second-order rules were resolved a priori (`OMEGA_H_MAX`) and
    rely on the estimate."""
    if settings.rule != "numerov" or stats is None:
        return True
    omega = stats.omega(da.T)
    return omega is None or omega * da.h <= OMEGA_H_NUMEROV


def _finish(result, settings):
    """The returned path: nodes and velocities of the final grid, Richardson-extrapolated on
    success for smooth objectives; non-finite values turn the status to ``NON_FINITE``."""
    r, refine, smooth = result, settings.refine, settings.smooth
    Theta = r.da.nodes(r.out.X)
    finite = bool(np.all(np.isfinite(Theta)))
    if not finite:
        r.status = Status.NON_FINITE
    with np.errstate(all="ignore"):
        V = r.da.velocities(Theta) if finite else np.full_like(Theta, np.nan)
    if r.status == Status.SUCCESS and not np.all(np.isfinite(V)):
        r.status = Status.NON_FINITE
    if r.status == Status.SUCCESS and refine and smooth and r.coarse is not None:
        # Richardson-extrapolate the accepted fine solution (smooth objectives only): the
        # O(h^2) error term is removed, the estimate stays as a conservative bound.
        with np.errstate(all="ignore"):
            Th_x, V_x = _extrapolate(r.coarse, Theta, V, _order(settings))
        if np.all(np.isfinite(Th_x)) and np.all(np.isfinite(V_x)):
            Theta, V, r.extrapolated = Th_x, V_x, True
    r.theta, r.theta_dot = Theta, V

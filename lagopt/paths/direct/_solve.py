"""The public entry point of the direct method: options, the first grid, the returned solution.

`solve` validates its options, chooses the first grid from an a-priori stiffness estimate,
lets `refine_path` solve and refine, and assembles the `RawSolution` with its message.
"""
import time

import numpy as np

from ..._status import Status
from ..._validation import choice, positive_float, positive_int
from .._formulas import DENSE_HESSIAN_MAX, largest_hessian_eigenvalue
from .._measure import (quintic_dense, velocities_from_accelerations,
                        velocities_from_accelerations_high_order)
from .._problem import RawSolution
from .._variational import estimate_omega, guess_on_mesh
from ._discrete_action import RULES
from ._krylov import KrylovStats
from ._refine import NEWTON_MAX_DIM, Settings, refine_path
from ._report import message

__all__ = ["solve", "default_max_nodes", "OMEGA_H_MAX", "TOL_PATH"]

#: First grid without `n_nodes`: N = 64 intervals (65 nodes), raised a priori for stiff problems.
_DEFAULT_N = 64
#: First grid of the Numerov rule (fourth order: 16 intervals resolve what 64 do at second
#: order). No a-priori stiffness estimate there: at 10^4-10^5 parameters its Lanczos runs cost
#: more than the solve; CG's Ritz values give ``omega`` afterwards.
_NUMEROV_N = 8
#: A-priori resolution bound: the first grid has ``omega h <= OMEGA_H_MAX`` (where the node
#: cap allows). The trapezoid rule's growth rate of a mode ``exp(omega t)`` then errs by
#: ``(omega h)^2 / 24 ~ 1 %``: the mode is resolved and Richardson's estimate is meaningful.
OMEGA_H_MAX = 0.5
#: Default `tol`: the estimated relative error of the path (its action and positions) against
#: the continuous solution -- the meaning `tol` has for every method. Non-smooth objectives
#: (kinks, where the error estimate converges at first order) default to the looser value.
TOL_PATH = 1e-5
_TOL_PATH_NONSMOOTH = 1e-4
# Default residual tolerance of each discrete problem; looser for non-smooth objectives, whose
# kink nodes are certified by gradient sampling at a radius tied to it.
_TOL_SMOOTH, _TOL_NONSMOOTH = 1e-8, 1e-6
# Default node cap: n (N + 1) <= 2**20 floats, N between 128 and 16,384.
_MAX_NODE_FLOATS = 2**20
_MIN_INTERVALS = 128
_MAX_INTERVALS = 16_384
# omega T / OMEGA_H_MAX is rounded up after subtracting this, so that a ratio that is an
# integer up to rounding does not ask for one more interval.
_CEIL_SLACK = 1e-9


def default_max_nodes(n):
    """Default node cap for ``n`` parameters: ``n (N + 1) <= 2**20`` floats per copy of the
    path (L-BFGS keeps about 25 copies, ~200 MB at the cap), between 129 and 16,385 nodes."""
    return int(min(_MAX_INTERVALS, max(_MIN_INTERVALS, _MAX_NODE_FLOATS // max(int(n), 1)))) + 1


def _stiffness(problem, guess):
    """A-priori ``omega = sqrt(lam h_max)``: `estimate_omega` (points inside the straight line
    and the guess) and the two end points, where a path between minima spends its time and
    the curvature is often largest (Mueller-Brown: ``omega`` 64 at a minimum, 32 inside).
    Dense eigenvalues at the end points up to `DENSE_HESSIAN_MAX` parameters, Lanczos on
    Hessian-vector products beyond."""
    omega = float(estimate_omega(problem, guess)[0])
    obj, n = problem.objective, problem.n
    ends = np.ascontiguousarray(np.column_stack([problem.theta0, problem.thetaT]))
    if n <= DENSE_HESSIAN_MAX:
        H = np.moveaxis(obj.hess_batch(ends), 2, 0)
        if not np.all(np.isfinite(H)):
            return np.inf
        h_end = float(np.max(np.linalg.eigvalsh(0.5 * (H + np.swapaxes(H, 1, 2)))))
    else:
        h_end = -np.inf
        for p in ends.T:
            h_end = max(h_end, largest_hessian_eigenvalue(obj, np.ascontiguousarray(p)))
    if not np.isfinite(h_end):
        return omega
    return max(omega, float(np.sqrt(problem.lam * max(h_end, 0.0))))


def _settings(problem, n_nodes, rule, newton_tol, maxiter, max_time, solver, refine, tol,
              max_nodes, start):
    """Validate the options of `solve`: ``(Settings, n_nodes)`` (``n_nodes`` None or checked),
    the defaults that depend on the problem (tolerances, node cap) resolved."""
    smooth = bool(getattr(problem.objective, "smooth", True))
    choice(solver, "solver", ("auto", "newton", "lbfgs", "krylov"))
    rule = _rule(rule, solver, smooth, problem.n)
    default_tol = _TOL_SMOOTH if smooth else _TOL_NONSMOOTH
    newton_tol = (default_tol if newton_tol is None
                  else positive_float(newton_tol, "newton_tol"))
    max_time = positive_float(max_time, "max_time")
    if maxiter is not None:
        maxiter = positive_int(maxiter, "maxiter")
    tol = ((TOL_PATH if smooth else _TOL_PATH_NONSMOOTH) if tol is None
           else positive_float(tol, "tol"))
    max_nodes = (default_max_nodes(problem.n) if max_nodes is None
                 else positive_int(max_nodes, "max_nodes", minimum=3))
    if n_nodes is not None:
        n_nodes = positive_int(n_nodes, "n_nodes", minimum=3)
        if n_nodes > max_nodes:
            raise ValueError(f"`n_nodes` ({n_nodes}) exceeds `max_nodes` ({max_nodes}).")
    if refine is not None and not isinstance(refine, (bool, np.bool_)):
        raise TypeError(f"`refine` must be True, False or None, got {type(refine).__name__}.")
    refine = (n_nodes is None) if refine is None else bool(refine)
    settings = Settings(rule=rule, tol=tol, newton_tol=newton_tol, solver=solver,
                        maxiter=maxiter, max_time=max_time, deadline=start + max_time,
                        refine=refine, max_nodes=max_nodes, smooth=smooth)
    return settings, n_nodes


def _rule(rule, solver, smooth, n):
    """The validated `rule`; None chooses Numerov for smooth objectives when the solver is
    Newton-Krylov (``"krylov"``, or ``"auto"`` above ``NEWTON_MAX_DIM`` parameters, where
    block Newton does not fit), else the trapezoid rule."""
    if rule is None:
        krylov = solver == "krylov" or (solver == "auto" and n > NEWTON_MAX_DIM)
        return "numerov" if (smooth and krylov) else "trapezoid"
    choice(rule, "rule", RULES)
    if rule == "numerov" and not smooth:
        raise ValueError("rule='numerov' needs a smooth objective (its fourth order fails "
                         "across the kinks of this one); use rule='trapezoid'.")
    if rule == "numerov" and solver == "newton":
        raise ValueError("rule='numerov' has no block-tridiagonal Hessian for solver='newton'; "
                         "use solver='krylov' (or 'lbfgs', 'auto').")
    return rule


def _first_grid(problem, guess, settings, n_nodes):
    """``(N, omega)``: the first grid's number of intervals and the a-priori stiffness (None
    when not estimated: a fixed grid). The grid resolves the fastest mode, ``omega h <=
    OMEGA_H_MAX``, within the node cap, leaving room for the refinement that estimates the
    error."""
    fixed = n_nodes is not None
    lam0 = problem.lam == 0.0
    omega = None
    numerov = settings.rule == "numerov"
    if lam0:
        omega = 0.0
    elif (settings.refine or not fixed) and not numerov:
        with np.errstate(all="ignore"):
            try:
                omega = _stiffness(problem, guess)
            except (ArithmeticError, ValueError, np.linalg.LinAlgError, RuntimeError):
                omega = np.nan  # no a-priori raise; the a-posteriori estimate still applies
    N_cap = settings.max_nodes - 1
    # A refined first grid leaves room for one doubling below the cap (2 intervals at least).
    top = max(2, N_cap // 2) if (settings.refine and not lam0) else N_cap
    N = n_nodes - 1 if fixed else min(_NUMEROV_N if numerov else _DEFAULT_N, top)
    if (settings.refine or not fixed) and omega is not None and np.isfinite(omega) and omega > 0:
        need = int(np.ceil(omega * problem.T / OMEGA_H_MAX - _CEIL_SLACK))
        if need > N:
            N = max(N, min(need, top))
    return N, omega


def solve(problem, guess=None, *, n_nodes=None, rule=None, tol=None, newton_tol=None,
          maxiter=None, max_time=60.0, solver="auto", refine=None, max_nodes=None):
    """Least-action path by minimising the discretised action over the interior nodes.

    The discrete problem is solved on a uniform grid, and the grid is refined until the
    discretisation error -- estimated, not assumed -- is below `tol` (see Notes).

    Parameters
    ----------
    problem : BVPProblem
        The boundary value problem (objective, end points, ``T``, ``lam``).
    guess : Guess or None, optional
        Initial path on any mesh; linearly interpolated to the nodes. ``None``: the straight line.
    n_nodes : int or None, optional
        Number of nodes ``N + 1`` (``>= 3``) of the first grid, uniform with spacing
        ``h = T / N``. ``None`` (default): chosen a priori, ``N = max(64, ceil(omega T /
        OMEGA_H_MAX))``. An explicit value fixes the grid unless ``refine=True``.
    rule : {"trapezoid", "midpoint", "numerov"} or None, optional
        Quadrature of the potential term: loss at the nodes (ends weighted 1/2) or at the
        interval midpoints (second order), or Numerov's fourth-order scheme [3]_ [4]_ written
        as a minimisation (smooth objectives only; no block Newton). None (default): Numerov for
        smooth objectives when the solver is ``"krylov"``, or ``"auto"`` with more than 200
        parameters; the trapezoid rule otherwise.
    tol : float, optional
        Relative accuracy of the returned path, as for every method: the Richardson estimate
        of its discretisation error must be below it (default ``1e-5``; ``1e-4`` for
        non-smooth objectives, where the estimate converges only at first order near kinks).
        Both the error of the measured action (see Notes), relative to
        ``K_h + lam h sum w_i |L_i|`` (the magnitudes of the terms of ``S_h``: the action
        itself can be near zero or negative), and the position error at the shared nodes,
        relative to the path's extent (largest range of a coordinate), are tested.
    newton_tol : float, optional
        Convergence test of each discrete problem on its Euler-Lagrange residual:
        ``max |dS_h/dtheta_i| / h`` relative to the size of the accelerations it balances (see
        Notes). Default ``1e-8``, or ``1e-6`` for non-smooth objectives (``objective.smooth``
        False), where nodes on kinks are certified by gradient sampling.
    maxiter : int, optional
        Iteration cap of the solver on each grid (default 500 for Newton, 10,000 for L-BFGS;
        both also stop when they make no progress, see Notes).
    max_time : float, optional
        Wall-time cap in seconds for the whole solve, refinements included (checked between
        iterations).
    solver : {"auto", "newton", "lbfgs", "krylov"}, optional
        ``"newton"``: damped Newton with the block-tridiagonal Hessian (one ``hess_batch`` per
        iteration). ``"lbfgs"``: preconditioned L-BFGS [8]_, memory ``O(N n)``. ``"krylov"``:
        matrix-free (inexact) Newton-Krylov [5]_ [6]_ (conjugate gradients on batched
        Hessian-vector products in the sine coordinates, memory ``O(N n)``; the Numerov
        route's solver, and ``"auto"``'s whenever the rule is Numerov). ``"auto"``: Newton
        when ``n <= 200`` and its Hessian blocks fit (``n (N - 1) <= 20,000`` or
        ``n^2 (N - 1) <= 2^21``), else L-BFGS, decided per grid; Newton that stalls (the kinks
        of a ReLU loss) hands over to L-BFGS, and on non-smooth objectives an L-BFGS stall is
        finished by Newton on the kink manifold where Newton fits (``info["solver"]`` then
        reads ``"newton+lbfgs+kink-newton"``).
    refine : bool or None, optional
        Estimate the discretisation error by solving again on the grid of half the spacing
        (warm-started from the coarse solution) and refine until the estimate is below
        `tol`. ``None`` (default): True unless `n_nodes` is given. With ``refine=False``
        the path solves the discrete problem on one grid: ``success`` then means only that,
        and the message says that the discretisation error was not estimated (``info``
        has ``error_estimate=None``); this is what callers that need a fixed number of
        nodes get (e.g. the LAML path stage with 3-5 nodes, or convergence studies).
    max_nodes : int, optional
        Cap on the number of nodes ``N + 1`` (``>= 3``). Default `default_max_nodes`:
        ``2**20 // n`` clipped to ``[129, 16385]`` (memory is ``O(N n)``). If the error
        estimate is still above `tol` at the cap, the result has ``success=False``,
        ``status=Status.MAX_ITER`` (1) and a message saying what to try.

    Returns
    -------
    RawSolution
        Nodes ``t`` (``N + 1``), positions, second-order velocities of the finest grid whose
        discrete problem converged (Richardson-extrapolated on success for smooth objectives,
        see Notes). ``info`` holds ``N`` and ``n_nodes`` (used), ``rule``,
        ``solver`` (the branch(es) used on that grid), ``newton_residual`` (its final relative
        discrete residual, which `newton_tol` bounds; not `ActionPath.residual`),
        ``grad_norm``, ``discrete_action``, ``n_eval``, ``kink_nodes``,
        ``omega`` (a-priori stiffness estimate, None if not computed) and ``omega_h``,
        ``refine``, ``tol``, ``max_nodes``, ``refinements`` (finer grids tried after the
        first),
        ``action_error``, ``position_error`` and ``error_estimate`` (their maximum, the
        number compared with `tol`; None when not estimated), ``extrapolated``, and
        ``levels`` (one dict per
        grid: ``N, solver, status, nit, discrete_action, newton_residual, n_eval, seconds`` and,
        where estimated, ``action``, the measured action of that grid's path). After a
        Newton-Krylov solve also ``newton_iterations``, ``krylov_iterations`` (each one batched
        Hessian-vector product), ``negative_curvature`` and ``omega_ritz`` (the stiffness
        implied by CG's largest Ritz value; the Numerov grid is refined until ``omega_ritz h
        <= 0.5``).

    Notes
    -----
    On nodes ``theta_i = theta(i h)``, ``h = T / N``, with ``theta_0``, ``theta_N`` fixed,

    .. math::

        S_h = \\sum_{i=0}^{N-1} \\frac{\\|\\theta_{i+1} - \\theta_i\\|^2}{2h}
              + \\lambda h \\sum_i w_i L(\\theta_i)

    (trapezoid weights ``w_0 = w_N = 1/2``; the midpoint rule uses ``L((theta_i +
    theta_{i+1})/2)`` instead). Its stationarity conditions are the discrete Euler-Lagrange
    equations ``(theta_{i+1} - 2 theta_i + theta_{i-1}) / h^2 = lam grad L(theta_i)``, a
    second-order discretisation of ``theta'' = lam grad L``, i.e. a variational integrator
    [1]_: its discrete energy stays close to the conserved ``H``. Each evaluation costs one
    ``grad_batch`` over the ``N - 1`` interior nodes (``N`` midpoints).

    The Hessian is block tridiagonal, ``2I/h + lam h grad^2 L(theta_i)`` on the diagonal and
    ``-I/h`` off it; Newton factors it by block Cholesky (``O(N n^3)``), adding Levenberg
    damping ``mu I`` where it is not positive definite, with an Armijo search on ``S_h``. L-BFGS
    works in coordinates where the kinetic term is ``|Z|^2 / 2`` (a discrete sine transform), which
    removes the ``O(N^2)`` ill-conditioning of the kinetic term.

    Convergence of a discrete problem: ``max_i |dS_h/dtheta_i|_inf / h <= tol * scale`` with
    ``scale`` the largest of ``|thetaT - theta0|_inf / T^2``, the discrete accelerations and
    ``lam |grad L|_inf`` at the nodes. With ReLU losses the minimiser of ``S_h`` can sit on a
    kink, where the gradient jumps and the node residual cannot vanish; for such nodes the test
    uses the smallest residual over convex combinations of gradients sampled at distance
    ``~1e-7 |theta_i|`` (a Clarke-stationarity certificate, as in gradient sampling [2]_) and
    the message says how many nodes needed it.

    Progress. Newton and L-BFGS stop early only when they make no progress: neither a new best
    residual nor a real decrease of ``S_h`` over a run of iterations (on a non-convex landscape
    ``S_h`` falls for many iterations while the residual stays put, as when a path is pulled
    over a barrier). On ReLU losses L-BFGS can crawl along a kink with a residual stuck just
    above `tol`: nodes pinned to the kink surface, the remaining force tangential to it. The
    "auto" solver then runs Newton on the kink manifold: nodes on kinks (found by the jump of
    sampled gradients, whose directions are the kink normals) move only tangentially, where
    ``L`` is smooth, so Newton converges there; the certificate above checks the normal forces.

    Resolution. Solving the discrete problem is not solving the continuous one. A mode
    ``u'' = omega^2 u`` is resolved by the trapezoid rule only when ``omega h`` is small: its
    discrete growth rate per step is ``2 asinh(omega h / 2) ~ omega h (1 - (omega h)^2 / 24)``
    and the action of a boundary layer errs by about ``(omega h)^2 / 12`` relative. Hence two
    checks:

    * a priori, ``omega = sqrt(lam h_max)`` is estimated (`estimate_omega`: largest Hessian
      eigenvalue at a few points of the straight line and of the guess, and at both end
      points) and the first grid has ``omega h <= OMEGA_H_MAX = 0.5`` where `max_nodes` allows
      (~2 % for the action of a stiff mode: resolved, and in the asymptotic regime of the
      estimate below);
    * a posteriori, the problem is solved again on the grid of half the spacing, warm-started
      by cubic interpolation of the coarse nodes, and the errors of the fine solution are
      estimated by Richardson's rule [7]_: ``|A_h - A_{h/2}| / (2^p - 1)`` with ``A`` the action
      of each grid's path as the package measures it (Gauss quadrature of its cubic Hermite
      interpolant, what ``ActionPath.action`` reports), and the same with the positions at the
      shared nodes; ``p = 2`` for smooth objectives (second-order scheme). For non-smooth ones
      the solution's acceleration jumps where the path crosses a kink, the position error near
      such crossings is only ``O(h)`` and the pointwise Euler-Lagrange residual of the path
      cannot vanish there, so the estimate uses ``p = 1`` (the plain difference between the
      grids, a conservative bound for any order ``>= 1``) and never the pointwise residual.
      The grid is doubled until both relative estimates are below `tol`, or `max_nodes`
      is reached (``Status.MAX_ITER``), or `max_time` (``Status.MAX_TIME``). With ``lam = 0``
      the straight line is exact on every grid and nothing is refined.

    For smooth objectives the accepted fine solution is then Richardson-extrapolated against
    the coarse one (positions and velocities, ``+ (fine - coarse) / 3`` at the shared nodes,
    the correction interpolated linearly between them; ``info["extrapolated"]``): the
    ``O(h^2)`` term cancels, which improves the measured action by orders of magnitude and the
    finaliser's Euler-Lagrange residual (a local defect test that sees the ``O(h^2)`` defect of
    a second-order scheme, ``~ (omega_eff h)^2 / 12`` relative) about tenfold. The estimate
    reported stays that of the unextrapolated fine solution, a conservative bound. The returned
    nodes are then no longer a stationary point of ``S_h``; ``info["discrete_action"]`` is the
    fine grid's ``S_h``.

    Coarse and fine grids are minimised from related starts; on a non-convex landscape they can
    still reach different stationary paths, which shows up as a large, non-decreasing estimate
    and ends in ``Status.MAX_ITER``, never in a false success.

    References
    ----------
    .. [1] J. E. Marsden and M. West, "Discrete mechanics and variational integrators",
       Acta Numerica 10 (2001), 357-514.
    .. [2] J. V. Burke, A. S. Lewis and M. L. Overton, "A robust gradient sampling algorithm for
       nonsmooth, nonconvex optimization", SIAM J. Optim. 15 (2005), 751-779.
    .. [3] B. V. Numerov, "A method of extrapolation of perturbations", Monthly Notices of the
       Royal Astronomical Society 84 (1924), 592-601.
    .. [4] E. Hairer, S. P. Nørsett and G. Wanner, "Solving Ordinary Differential Equations I:
       Nonstiff Problems", 2nd ed., Springer (1993), sec. III.10.
    .. [5] D. A. Knoll and D. E. Keyes, "Jacobian-free Newton-Krylov methods: a survey of
       approaches and applications", J. Comput. Phys. 193 (2004), 357-397.
    .. [6] R. S. Dembo, S. C. Eisenstat and T. Steihaug, "Inexact Newton methods", SIAM J.
       Numer. Anal. 19 (1982), 400-408.
    .. [7] L. F. Richardson, "The approximate arithmetical solution by finite differences of
       physical problems involving differential equations, with an application to the
       stresses in a masonry dam", Phil. Trans. R. Soc. Lond. A 210 (1911), 307-357.
    .. [8] D. C. Liu and J. Nocedal, "On the limited memory BFGS method for large scale
       optimization", Math. Programming 45 (1989), 503-528.
    """
    start = time.perf_counter()
    settings, n_nodes = _settings(problem, n_nodes, rule, newton_tol, maxiter, max_time, solver,
                                  refine, tol, max_nodes, start)
    N, omega = _first_grid(problem, guess, settings, n_nodes)
    t0 = np.linspace(0.0, problem.T, N + 1)[1:-1]
    X0 = problem.straight_line(t0) if guess is None else guess_on_mesh(guess, t0)[0]
    stats = KrylovStats()
    r = refine_path(problem, N, X0, settings, stats)
    info = _info(r, settings, stats, omega, problem.T)
    info["wall_time"] = time.perf_counter() - start
    t = np.linspace(0.0, problem.T, r.da.N + 1)
    theta_dot, dense = _dense_output(problem, t, r.theta, r.theta_dot,
                                     high_order=settings.rule == "numerov")
    return RawSolution(t=t, theta=r.theta, theta_dot=theta_dot,
                       success=r.status == Status.SUCCESS, status=r.status,
                       message=message(r, settings, omega, problem.T), dense=dense,
                       nit=int(sum(lv["nit"] for lv in r.levels)), info=info)


def _dense_output(problem, t, theta, theta_dot, high_order=False):
    """Velocities and dense output consistent with the scheme: the nodes' accelerations are
    ``lam grad L(theta_i)`` (what the discrete Euler-Lagrange equations impose), velocities
    of fourth order from them (with `high_order`, for the fourth-order Numerov nodes, as accurate
    as the nodes: `velocities_from_accelerations_high_order`), and the C2 quintic Hermite
    interpolant through all three.

    A cubic through second-order velocities would show a defect of order ``(omega h)^2``
    between the nodes even where the nodes themselves are accurate to ``1e-10``. Falls back to
    the scheme's own velocities (and the finaliser's cubic) when the nodes are not finite.
    """
    if not (np.all(np.isfinite(theta)) and np.all(np.isfinite(theta_dot))):
        return theta_dot, None
    with np.errstate(all="ignore"):
        acc = problem.lam * problem.objective.grad_batch(np.ascontiguousarray(theta))
    if not np.all(np.isfinite(acc)):
        return theta_dot, None
    velocities = (velocities_from_accelerations_high_order if high_order
                  else velocities_from_accelerations)
    V = velocities(t[1] - t[0], theta, acc)
    return V, quintic_dense(t, theta, V, acc)


def _info(r, settings, stats, omega, T):
    """The ``info`` dict of the returned `RawSolution` (see `solve`), without ``wall_time``."""
    est, out, N = r.estimate, r.out, r.da.N
    return {
        "N": N, "n_nodes": N + 1, "rule": settings.rule, "solver": r.solver,
        "newton_residual": out.resid, "grad_norm": out.grad_norm, "discrete_action": out.S,
        "n_eval": int(sum(lv["n_eval"] for lv in r.levels)), "kink_nodes": out.kinks,
        "omega": omega, "omega_h": None if omega is None else omega * T / N,
        "refine": settings.refine, "tol": settings.tol, "newton_tol": settings.newton_tol,
        "max_nodes": settings.max_nodes,
        "refinements": len(r.levels) - 1,
        "action_error": None if est is None else est[0],
        "position_error": None if est is None else est[1],
        "error_estimate": None if est is None else float(max(est)),
        "extrapolated": r.extrapolated, "levels": r.levels,
        **_krylov_info(stats, T),
    }


def _krylov_info(stats, T):
    """Counts of the Newton-Krylov branch (all grids): ``newton_iterations``,
    ``krylov_iterations`` (each one batched Hessian-vector product over the nodes) and
    ``omega_ritz``, the stiffness ``sqrt(lam h_max)`` that CG's largest Ritz value ``1 + lam
    h_max T^2 / pi^2`` implies (None when Newton-Krylov did not run)."""
    k = stats
    if k is None or k.newton == 0:
        return {}
    return {"newton_iterations": k.newton, "krylov_iterations": k.cg, "omega_ritz": k.omega(T),
            "negative_curvature": k.negative_curvature}

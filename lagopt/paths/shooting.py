"""Single shooting: Newton on the initial velocity ``v0`` so that ``theta(T; v0) = thetaT``.

Cheap and accurate when the problem is mildly unstable; hopeless when it is not, because the
Euler-Lagrange system amplifies errors like ``exp(omega t)``. The solver estimates ``omega``
first and declines (``Status.DECLINED``) instead of returning garbage.
"""
import time

import numpy as np
import scipy.linalg

from .._validation import choice, positive_float, positive_int
from .._status import Status
from ._problem import RawSolution
from ._variational import INTEGRATORS, estimate_omega, guess_on_mesh, integrate

__all__ = ["solve", "dense_from_sol", "refine_mesh", "MAX_OMEGA_T", "MAX_DIM"]

# d theta(T) / d v0 has condition number ~ exp(omega T) / (omega T); single shooting is declined
# beyond this omega T (exp(12) ~ 1.6e5: with integration tolerance 1e-10, F(v0) is still
# resolved to ~1e-5 relative before Newton's correction, and float64 leaves 11 digits).
MAX_OMEGA_T = 12.0
# The dense variational system has 2 n^2 unknowns and needs a full Hessian per step.
MAX_DIM = 400

NONSMOOTH_MESSAGE = (
    "{name} declined: the loss is not smooth (objective.smooth is False, e.g. a ReLU "
    "network); the integrator would have to resolve every kink the trajectory crosses and the "
    "almost-everywhere Hessian gives a wrong Newton matrix there. Use method='direct' (robust "
    "on kinks), or a smooth surrogate such as activation='softplus' with a large `beta`; "
    "`allow_nonsmooth=True` tries anyway.")


def dense_from_sol(sol, n):
    """Wrap a `solve_ivp` dense output of ``(theta, v, ...)`` as ``t -> (theta, theta_dot)``."""

    def dense(t):
        y = sol(np.atleast_1d(np.asarray(t, dtype=float)))
        return y[:n], y[n: 2 * n]

    return dense


def refine_mesh(t_steps, dense, n_mesh):
    """At least ``n_mesh`` mesh points: each integrator step split evenly, values from ``dense``.

    The integrator's steps follow the solution's scales (boundary layers of stiff modes), but
    they are long: a cubic Hermite interpolant of the mesh values -- what the residual and the
    energy are measured on downstream -- would be ``O(h^4)`` off where the dense output is
    accurate to the integration tolerance.
    """
    steps = len(t_steps) - 1
    m = max(1, -(-(n_mesh - 1) // max(steps, 1)))  # ceil
    frac = np.arange(m) / m
    t = np.concatenate([t_steps[:-1, None] + np.diff(t_steps)[:, None] * frac[None, :]]
                       ).ravel()
    t = np.append(t, t_steps[-1])
    theta, theta_dot = dense(t)
    return t, theta, theta_dot


def _scales(problem):
    """Sizes against which a miss in ``theta`` and in ``v`` is measured."""
    th = max(float(np.max(np.abs(problem.theta0))), float(np.max(np.abs(problem.thetaT))),
             float(np.max(np.abs(problem.thetaT - problem.theta0))))
    th = th if th > 0 else 1.0
    return th, th / problem.T


def _declined(problem, guess, status, message, info):
    t = np.linspace(0.0, problem.T, 2) if guess is None else np.asarray(guess.t, dtype=float)
    theta = problem.straight_line(t) if guess is None else np.asarray(guess.theta, dtype=float)
    theta_dot = (np.repeat(((problem.thetaT - problem.theta0) / problem.T)[:, None], len(t), 1)
                 if guess is None else guess_on_mesh(guess, t)[1])
    return RawSolution(t=t, theta=theta, theta_dot=theta_dot, success=False, status=status,
                       message=message, info=info)


def solve(problem, guess=None, *, tol=1e-8, rtol=1e-10, maxiter=50, max_time=60.0,
          max_omega_T=MAX_OMEGA_T, integrator="DOP853", allow_nonsmooth=False, n_mesh=129):
    """Least-action path by single shooting on the initial velocity.

    Parameters
    ----------
    problem : BVPProblem
        The boundary value problem.
    guess : Guess or None, optional
        Initial path; only its slope at ``t = 0`` is used (second-order finite difference).
        ``None``: ``v0 = (thetaT - theta0) / T``.
    tol : float, optional
        Success requires ``|theta(T) - thetaT|_inf <= tol * scale``, ``scale`` the largest of
        ``|theta0|_inf``, ``|thetaT|_inf`` and ``|thetaT - theta0|_inf`` (1 if all vanish).
    rtol : float, optional
        Relative (and, times ``scale``, absolute) tolerance of `scipy.integrate.solve_ivp`.
    maxiter : int, optional
        Newton iterations.
    max_time : float, optional
        Wall-time cap in seconds, enforced inside the integrations too.
    max_omega_T : float, optional
        Decline (``Status.DECLINED``) when the estimated ``omega T`` exceeds this (see Notes).
    integrator : str, optional
        `scipy.integrate.solve_ivp` method, one of ``INTEGRATORS`` (``"RK23"``, ``"RK45"``,
        ``"DOP853"``, ``"Radau"``, ``"BDF"``, ``"LSODA"``; default ``"DOP853"``).
    allow_nonsmooth : bool, optional
        Try even when ``objective.smooth`` is False (see Notes). Default False: decline.
    n_mesh : int, optional
        Minimum number of points of the returned mesh: the integrator's steps, each split
        evenly, with values from the dense output.

    Returns
    -------
    RawSolution
        The final trajectory on the refined mesh of the integrator's steps, with its dense
        output.
        ``info`` holds ``omega``, ``omega_T``, ``h_max``, ``miss`` (final
        ``|theta(T) - thetaT|_inf``), ``n_integrations`` and ``nfev`` (right-hand-side calls).

    Notes
    -----
    Simple shooting [1]_ [2]_: ``F(v0) = theta(T; v0) - thetaT`` is solved by Newton's method,
    damped by backtracking on ``|F|``. Its Jacobian ``J = d theta(T) / d v0`` is the
    upper-right block of the state transition matrix, integrated with the trajectory from the
    variational equations ``Phi' = [[0, I], [lam grad^2 L(theta), 0]] Phi``,
    ``Phi(0) = [[0], [I]]``.

    For a quadratic loss, in the eigenbasis of the Hessian ``J = diag(sinh(omega_k T) /
    omega_k)``: modes grow like ``exp(omega T)``, ``omega = sqrt(lam h_max)``, and ``J`` has
    condition number ``~ exp(omega T) / (omega T)``. A velocity error of one unit in the last
    place then moves ``theta(T)`` by ``eps exp(omega T) |v0| / omega``, and integration errors
    grow at the same rate. ``omega`` is estimated before any integration from the largest
    Hessian eigenvalue at a few points of the straight line (and of the guess); above
    ``omega T = max_omega_T`` the method declines and recommends multiple shooting (segments of
    length ``~1/omega``), collocation or the direct method. Newton also stops
    (``NOT_CONVERGED``) when ``J`` is numerically singular (a conjugate point, or stiffness the
    estimate missed).

    A non-smooth loss (ReLU network) is declined by default: its gradient jumps on every
    activation boundary the trajectory crosses, which a high-order adaptive integrator can only
    resolve by shrinking its step at each crossing (on the seed ReLU network, one trajectory to
    ``rtol = 1e-10`` did not finish in 60 s), and the almost-everywhere Hessian misses the
    jump terms of the true sensitivity, so Newton's Jacobian is wrong there.

    Success is never reported unless the returned trajectory ends within ``tol * scale`` of
    ``thetaT``.

    References
    ----------
    .. [1] J. Stoer and R. Bulirsch, "Introduction to Numerical Analysis", 3rd ed., Springer
       (2002), sec. 7.3.
    .. [2] U. M. Ascher, R. M. M. Mattheij and R. D. Russell, "Numerical Solution of Boundary
       Value Problems for Ordinary Differential Equations", SIAM (1995), ch. 4.
    """
    tol = positive_float(tol, "tol")
    rtol = positive_float(rtol, "rtol")
    maxiter = positive_int(maxiter, "maxiter")
    max_time = positive_float(max_time, "max_time")
    max_omega_T = positive_float(max_omega_T, "max_omega_T")
    choice(integrator, "integrator", INTEGRATORS)
    n_mesh = positive_int(n_mesh, "n_mesh", minimum=2)
    deadline = time.perf_counter() + max_time
    n, T = problem.n, problem.T
    info = {"max_omega_T": max_omega_T, "n_integrations": 0, "nfev": 0}
    refusal = _refusal(problem, guess, max_omega_T, allow_nonsmooth, info)
    if refusal is not None:
        return _declined(problem, guess, Status.DECLINED, refusal, info)

    sc_th, sc_v = _scales(problem)
    atol = rtol * sc_th
    if guess is None:
        v0 = (problem.thetaT - problem.theta0) / T
    else:
        v0 = guess_on_mesh(guess, np.array([0.0]))[1][:, 0]
    # Trajectories of this unstable system that stray far are hopeless (and may blow up in
    # finite time for super-quadratic losses): stop them early.
    bound = 1e8 * max(sc_th, sc_v * T, float(np.max(np.abs(v0))) * T)
    tangent = np.vstack([np.zeros((n, n)), np.eye(n)])
    target = tol * sc_th

    def run(v, with_tangent):
        info["n_integrations"] += 1
        tr = integrate(problem, problem.theta0, v, 0.0, T, rtol=rtol, atol=atol,
                       tangent=tangent if with_tangent else None,
                       dense_output=not with_tangent, integrator=integrator, bound=bound,
                       deadline=deadline)
        info["nfev"] += tr.nfev
        return tr

    traj = run(v0, False)
    if traj.status != Status.SUCCESS:
        return _fail(problem, guess, traj.status,
                     f"the first trajectory failed ({traj.message}); try "
                     "method='multiple_shooting' or 'direct'", info, 0)
    miss = float(np.max(np.abs(traj.theta - problem.thetaT)))
    nit = 0
    while miss > target:
        if nit >= maxiter:
            return _finish(problem, traj, n_mesh, Status.MAX_ITER,
                           f"Newton did not converge in {maxiter} "
                           "iterations; increase `maxiter` or try method='multiple_shooting'.",
                           info, nit, miss, target)
        nit += 1
        full = run(v0, True)
        if full.status != Status.SUCCESS:
            return _finish(problem, traj, n_mesh, full.status,
                           f"the variational integration failed ({full.message})", info, nit,
                           miss, target)
        J = full.Phi[:n]
        F = full.theta - problem.thetaT
        s = scipy.linalg.svdvals(J)
        info["cond"] = float(s[0] / s[-1]) if s[-1] > 0 else np.inf
        if not s[-1] > 1e-13 * s[0]:
            return _finish(problem, traj, n_mesh, Status.NOT_CONVERGED,
                           "the Newton matrix d theta(T)/d v0 is numerically "
                           f"singular (condition {info['cond']:.1e}): a conjugate point or a "
                           "stiffness the estimate missed. Try method='multiple_shooting' or "
                           "'direct'.", info, nit, miss, target)
        step = -scipy.linalg.solve(J, F, check_finite=False)
        norm0 = float(np.linalg.norm(F))
        alpha, accepted = 1.0, False
        while alpha >= 1.0 / 1024:
            trial = run(v0 + alpha * step, False)
            if trial.status == Status.MAX_TIME:
                return _finish(problem, traj, n_mesh, Status.MAX_TIME,
                               "the wall-time cap was reached; increase "
                               "`max_time`.", info, nit, miss, target)
            if trial.status == Status.SUCCESS:
                Ft = trial.theta - problem.thetaT
                if np.linalg.norm(Ft) <= (1.0 - 1e-4 * alpha) * norm0:
                    accepted = True
                    break
            alpha *= 0.5
        if not accepted:
            return _finish(problem, traj, n_mesh, Status.NOT_CONVERGED,
                           "the damped Newton step could not reduce the miss "
                           "|theta(T) - thetaT| (the integration noise, amplified by "
                           "exp(omega*T), may exceed `tol`). Try method='multiple_shooting' or "
                           "'direct', or loosen `tol`.", info, nit, miss, target)
        v0, traj = v0 + alpha * step, trial
        miss = float(np.max(np.abs(traj.theta - problem.thetaT)))
    return _finish(problem, traj, n_mesh, Status.SUCCESS, "", info, nit, miss, target)


def _refusal(problem, guess, max_omega_T, allow_nonsmooth, info):
    """Why single shooting declines this problem (None: it does not)."""
    n, T = problem.n, problem.T
    if not (allow_nonsmooth or getattr(problem.objective, "smooth", True)):
        return NONSMOOTH_MESSAGE.format(name="Single shooting")
    if n > MAX_DIM:
        return (f"Single shooting declined: n = {n} parameters need 2 n^2 = {2 * n * n} "
                "variational equations and a full Hessian per step. Use method='direct' "
                "(scales to large n) or 'collocation'.")
    omega, h_max = estimate_omega(problem, guess)
    info.update(omega=omega, omega_T=omega * T, h_max=h_max)
    if not omega * T <= max_omega_T:
        return (f"{Status.DECLINED.message()} Single shooting declined: omega*T = "
                f"{omega * T:.3g} exceeds max_omega_T = {max_omega_T:g} (omega = sqrt(lam * "
                f"largest Hessian eigenvalue) = {omega:.3g}); the Newton matrix d theta(T)/d v0 "
                f"would have condition number ~exp(omega*T) = "
                f"{np.exp(min(omega * T, 700)):.1e}. Use method='multiple_shooting' (segments "
                "of length ~1/omega), 'collocation' or 'direct'.")
    return None


def _fail(problem, guess, status, why, info, nit):
    raw = _declined(problem, guess, status, f"{Status(status).message()} Single shooting: {why}.",
                    info)
    raw.nit = nit
    return raw


def _finish(problem, traj, n_mesh, status, why, info, nit, miss, target):
    """The last accepted trajectory, successful only if it ends within ``target`` of thetaT."""
    n = problem.n
    info["miss"] = miss
    if status == Status.SUCCESS and not miss <= target:  # defensive: success only on a hit
        status, why = 5, "the trajectory misses thetaT"
    msg = Status(status).message() + " Single shooting"
    msg += (f": |theta(T) - thetaT| = {miss:.2e} <= {target:.2e} after {nit} Newton iterations."
            if status == Status.SUCCESS
            else f" (|theta(T) - thetaT| = {miss:.2e}, target {target:.2e}): {why}")
    dense = dense_from_sol(traj.sol, n)
    t, theta, theta_dot = refine_mesh(traj.t, dense, n_mesh)
    return RawSolution(t=t, theta=theta, theta_dot=theta_dot, success=status == Status.SUCCESS,
                       status=status, message=msg, dense=dense, nit=nit, info=info)

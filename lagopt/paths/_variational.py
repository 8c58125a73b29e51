"""Trajectories of ``theta'' = lam grad L`` with their variational equations (shooting methods).

A trajectory is integrated as the first-order system ``y = (theta, v)``,
``theta' = v``, ``v' = lam grad L(theta)``, optionally together with tangent directions
``Phi`` (shape ``(2n, k)``) that obey the variational equations

    Phi' = [[0, I], [lam grad^2 L(theta), 0]] Phi.

With ``Phi(t0) = I`` this is the state-transition matrix ``d y(t1) / d y(t0)``; with
``Phi(t0) = [[0], [I]]`` only the ``n`` columns ``d y(t1) / d v(t0)`` single shooting needs.

Also here: initial values from a `Guess`, and the stiffness estimate ``omega`` both shooting
methods use to decide how hard the problem is.
"""
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np
import scipy.integrate
import scipy.sparse.linalg

from .._status import Status
from ._formulas import DENSE_HESSIAN_MAX, AbortSolve, largest_hessian_eigenvalue

__all__ = ["Trajectory", "integrate", "guess_on_mesh", "estimate_omega", "INTEGRATORS"]

#: The integrators of `scipy.integrate.solve_ivp` the shooting methods accept.
INTEGRATORS = ("RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA")


@dataclass
class Trajectory:
    """The end of an integrated trajectory, and how the integration went.

    ``status``: ``SUCCESS`` reached ``t1``; ``MAX_TIME`` wall-time cap; ``NON_FINITE``
    non-finite values or blow-up past ``bound``; ``NOT_CONVERGED`` the integrator failed (step
    size underflow).
    """

    theta: Optional[np.ndarray]  # (n,) at t1
    v: Optional[np.ndarray]  # (n,) at t1
    Phi: Optional[np.ndarray]  # (2n, k) at t1, or None without tangents
    status: Status
    message: str
    t: Optional[np.ndarray] = None  # integrator steps
    y: Optional[np.ndarray] = None  # (2n, len(t)) states at the steps
    sol: Optional[object] = None  # OdeSolution of the full augmented state (dense_output)
    nfev: int = 0


def integrate(problem, theta, v, t0, t1, *, tangent=None, dense_output=False, rtol=1e-10,
              atol=1e-12, integrator="DOP853", bound=np.inf, deadline=np.inf):
    """Integrate ``(theta, v)`` (and tangents) from ``t0`` to ``t1``.

    Parameters
    ----------
    problem : BVPProblem
        Supplies the objective and ``lam``.
    theta, v : (n,) ndarray
        State at ``t0``.
    t0, t1 : float
        Interval.
    tangent : (2n, k) ndarray, optional
        Initial tangent directions ``Phi(t0)``; ``None`` integrates the state only.
    dense_output : bool, optional
        Keep `solve_ivp`'s dense output (of the full augmented state) in ``sol``.
    rtol, atol : float
        Tolerances of `scipy.integrate.solve_ivp`, applied to every component.
    integrator : str, optional
        `solve_ivp` method, one of `INTEGRATORS` (default ``"DOP853"``).
    bound : float, optional
        Stop (``Status.NON_FINITE``) as soon as ``max |y|`` exceeds it: a trajectory of this
        unstable system that leaves the region of interest only grows, and may reach infinity
        in finite time.
    deadline : float, optional
        ``time.perf_counter()`` value after which to stop (``Status.MAX_TIME``).

    Returns
    -------
    Trajectory
    """
    obj, lam = problem.objective, problem.lam
    n = theta.shape[0]
    k = 0 if tangent is None else tangent.shape[1]
    # Few tangent columns: Hessian-vector products are cheaper than forming the Hessian.
    use_hessp = k > 0 and k * getattr(obj, "hessp_cost", 2.0) < n
    counter = [0]

    def rhs(t, y):
        counter[0] += 1
        if counter[0] % 64 == 0 and time.perf_counter() > deadline:
            raise AbortSolve(Status.MAX_TIME, "wall-time cap reached during the integration")
        if not np.all(np.isfinite(y)):
            raise AbortSolve(Status.NON_FINITE, "non-finite state during the integration")
        th = y[:n]
        if np.max(np.abs(y[: 2 * n])) > bound:
            raise AbortSolve(Status.NON_FINITE,
                             f"the trajectory left the region |y| <= {bound:.3g} (blow-up)")
        dy = np.empty_like(y)
        dy[:n] = y[n: 2 * n]
        g = obj.grad(th)
        dy[n: 2 * n] = lam * g
        if k:
            Phi = y[2 * n:].reshape(2 * n, k)
            dPhi = dy[2 * n:].reshape(2 * n, k)
            dPhi[:n] = Phi[n:]
            if lam == 0.0:
                dPhi[n:] = 0.0
            elif use_hessp:
                for j in range(k):
                    dPhi[n:, j] = lam * obj.hessp(th, np.ascontiguousarray(Phi[:n, j]))
            else:
                dPhi[n:] = lam * (obj.hess(th) @ Phi[:n])
        if not np.all(np.isfinite(dy)):
            raise AbortSolve(Status.NON_FINITE,
                             "non-finite gradient or Hessian during the integration")
        return dy

    y0 = np.concatenate([theta, v] + ([] if tangent is None else [tangent.ravel()]))
    try:
        sol = scipy.integrate.solve_ivp(rhs, (t0, t1), y0, method=integrator, rtol=rtol,
                                        atol=atol, dense_output=dense_output)
    except AbortSolve as exc:
        return Trajectory(None, None, None, exc.status, exc.message, nfev=counter[0])
    if not sol.success:
        return Trajectory(None, None, None, Status.NOT_CONVERGED,
                          f"integrator failed: {sol.message}", nfev=counter[0])
    yT = sol.y[:, -1]
    if not np.all(np.isfinite(yT)) or np.max(np.abs(yT[: 2 * n])) > bound:
        return Trajectory(None, None, None, Status.NON_FINITE,
                          "non-finite or unbounded end state", nfev=counter[0])
    Phi = yT[2 * n:].reshape(2 * n, k) if k else None
    return Trajectory(theta=yT[:n].copy(), v=yT[n: 2 * n].copy(), Phi=Phi, status=Status.SUCCESS,
                      message="ok", t=sol.t, y=sol.y[: 2 * n], sol=sol.sol, nfev=counter[0])


def _interp_columns(t_mesh, Y, t):
    """Piecewise-linear interpolation of the columns ``Y[:, j]`` at ``t_mesh[j]``; clamps."""
    t = np.clip(np.asarray(t, dtype=float), t_mesh[0], t_mesh[-1])
    j = np.clip(np.searchsorted(t_mesh, t, side="right") - 1, 0, len(t_mesh) - 2)
    w = (t - t_mesh[j]) / (t_mesh[j + 1] - t_mesh[j])
    return Y[:, j] * (1.0 - w) + Y[:, j + 1] * w


def guess_on_mesh(guess, t):
    """Values and slopes of a `Guess` at times ``t``: ``(theta, theta_dot)``, each ``(n, len t)``.

    Linear interpolation of the values, and of second-order finite-difference slopes.
    """
    tg = np.asarray(guess.t, dtype=float)
    Y = np.asarray(guess.theta, dtype=float)
    if tg.shape[0] < 2:
        raise ValueError("A guess needs at least two mesh points.")
    if tg.shape[0] == 2:
        dY = np.repeat(((Y[:, 1] - Y[:, 0]) / (tg[1] - tg[0]))[:, None], 2, axis=1)
    else:
        dY = np.gradient(Y, tg, axis=1, edge_order=2)
    return _interp_columns(tg, Y, t), _interp_columns(tg, dY, t)


def estimate_omega(problem, guess=None, n_points=5):
    """``omega = sqrt(lam * h_max)``, the growth rate of the fastest mode of the EL system.

    ``h_max`` is the largest Hessian eigenvalue found at ``n_points`` points of the straight line
    (and of the guess, when given): exact (``eigvalsh``) for ``n <= 300``, else a few Lanczos
    iterations on ``hessp``. Perturbations of a trajectory grow like ``exp(omega t)``.
    Returns ``(omega, h_max)``; ``omega = 0`` where the loss has no positive curvature.
    """
    lam = problem.lam
    if lam == 0.0:
        return 0.0, 0.0
    s = (np.arange(n_points) + 0.5) / n_points
    P = problem.straight_line(s * problem.T)
    if guess is not None:
        P = np.hstack([P, guess_on_mesh(guess, s * problem.T)[0]])
    obj = problem.objective
    n = problem.n
    h_max = -np.inf
    for j in range(P.shape[1]):
        p = np.ascontiguousarray(P[:, j])
        if not np.all(np.isfinite(p)):
            continue
        if n <= DENSE_HESSIAN_MAX:
            H = obj.hess(p)
            ev = np.linalg.eigvalsh(0.5 * (H + H.T))[-1] if np.all(np.isfinite(H)) else np.inf
        else:
            ev = largest_hessian_eigenvalue(obj, p)
        h_max = max(h_max, float(ev))
    h_max = max(h_max, 0.0) if np.isfinite(h_max) else np.inf
    return float(np.sqrt(lam * h_max)), h_max

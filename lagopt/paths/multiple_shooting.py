"""Multiple shooting: K short trajectories joined by Newton on their initial states.

Where single shooting integrates across the whole horizon and loses ``omega T / ln 10`` digits,
each segment here is only ``~c / omega`` long, so every segment's state-transition matrix is
well conditioned, and the block-sparse Newton system inherits the good conditioning of the
boundary value problem itself.
"""
import math
import time
import warnings

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from .._status import Status
from .._validation import choice, positive_float, positive_int
from ._formulas import straight_line
from ._problem import RawSolution
from ._variational import INTEGRATORS, Trajectory, estimate_omega, guess_on_mesh, integrate
from .shooting import NONSMOOTH_MESSAGE, _declined, _scales, refine_mesh

__all__ = ["solve", "SEGMENT_OMEGA_T", "MAX_SEGMENT_STATE", "MAX_STATE"]

#: Target ``omega * segment length``: each segment amplifies errors by at most ``e^2 ~ 7``.
SEGMENT_OMEGA_T = 2.0
#: Caps on memory: one segment's variational system (2n + 4n^2 values, held ~13 times by
#: DOP853's stages) and the K stored state-transition matrices ((2n)^2 values each).
MAX_SEGMENT_STATE = 2e6
MAX_STATE = 2e7


def solve(problem, guess=None, *, n_segments=None, tol=1e-8, rtol=1e-10, maxiter=50,
          max_time=60.0, max_segments=1000, integrator="DOP853", allow_nonsmooth=False,
          n_mesh=129):
    """Least-action path by multiple shooting.

    Parameters
    ----------
    problem : BVPProblem
        The boundary value problem.
    guess : Guess or None, optional
        Initial path; its values and slopes at the segment starts give the initial unknowns.
        ``None``: the straight line, at constant velocity.
    n_segments : int, optional
        Number of segments ``K``. Default ``max(1, ceil(omega T / SEGMENT_OMEGA_T))`` with
        ``omega`` estimated along the straight line (and the guess), capped at ``max_segments``.
    tol : float, optional
        Success requires every continuity gap and the end miss to be at most ``tol`` times the
        position scale (positions; ``|theta0|``, ``|thetaT|``, ``|thetaT - theta0|``) or the
        velocity scale (the position scale over ``T``, or the largest node velocity).
    rtol : float, optional
        Tolerance of `scipy.integrate.solve_ivp` on every segment.
    maxiter : int, optional
        Newton iterations.
    max_time : float, optional
        Wall-time cap in seconds, enforced inside the integrations too.
    max_segments : int, optional
        Cap on the automatic ``K``.
    integrator : str, optional
        `scipy.integrate.solve_ivp` method, one of ``INTEGRATORS`` (``"RK23"``, ``"RK45"``,
        ``"DOP853"``, ``"Radau"``, ``"BDF"``, ``"LSODA"``; default ``"DOP853"``).
    allow_nonsmooth : bool, optional
        Try even when ``objective.smooth`` is False; default False declines
        (``Status.DECLINED``) for the
        reasons given in `lagopt.paths.shooting.solve`.
    n_mesh : int, optional
        Minimum number of points of the returned mesh (the integrator's steps on all segments,
        each split evenly, values from the dense output).

    Returns
    -------
    RawSolution
        The path on the refined mesh of the integrator's steps (segment joins included); dense
        output pieced together from the segments. ``info`` holds ``n_segments``, ``omega``,
        ``omega_T``, ``gap`` (largest scaled continuity gap or end miss), ``n_integrations``
        and ``nfev``.

    Notes
    -----
    Multiple shooting [1]_ [2]_. With nodes ``0 = t_0 < ... < t_K = T`` (uniform) and
    unknowns ``z = (v_0, theta_1, v_1, ..., theta_{K-1}, v_{K-1})`` (``theta_0`` is fixed),
    let ``y_k(t; theta_k, v_k)`` solve ``theta' = v``, ``v' = lam grad L(theta)`` on
    ``[t_k, t_{k+1}]``. Newton solves

    .. math::

        R_k = y_k(t_{k+1}) - (\\theta_{k+1}, v_{k+1}) = 0 \\; (k < K-1), \\qquad
        R_{K-1} = \\theta_{K-1}(T) - \\theta_T = 0,

    ``n + 2n(K-1)`` equations in as many unknowns. The Jacobian is block bidiagonal: the
    segments' state-transition matrices ``Phi_k`` (from the variational equations) on the
    diagonal, ``-I`` beside them; it is factored by sparse LU (SuperLU). Steps are damped by
    backtracking on the scaled ``|R|``.

    Why ``K ~ omega T / 2``: a segment of length ``Delta`` amplifies errors by up to
    ``exp(omega Delta)``; with ``omega Delta <= 2`` each ``Phi_k`` is computed to nearly the
    integration tolerance, while the dichotomy of the boundary value problem keeps the global
    system well conditioned [1]_. ``K = 1`` is single shooting without its stiffness check.

    References
    ----------
    .. [1] U. M. Ascher, R. M. M. Mattheij and R. D. Russell, "Numerical Solution of Boundary
       Value Problems for Ordinary Differential Equations", SIAM (1995), ch. 4.
    .. [2] J. Stoer and R. Bulirsch, "Introduction to Numerical Analysis", 3rd ed., Springer
       (2002), sec. 7.3.
    """
    tol = positive_float(tol, "tol")
    rtol = positive_float(rtol, "rtol")
    maxiter = positive_int(maxiter, "maxiter")
    max_time = positive_float(max_time, "max_time")
    max_segments = positive_int(max_segments, "max_segments")
    choice(integrator, "integrator", INTEGRATORS)
    n_mesh = positive_int(n_mesh, "n_mesh", minimum=2)
    if n_segments is not None:
        n_segments = positive_int(n_segments, "n_segments")
    deadline = time.perf_counter() + max_time
    info = {"n_integrations": 0, "nfev": 0}
    if not (allow_nonsmooth or getattr(problem.objective, "smooth", True)):
        return _declined(problem, guess, Status.DECLINED,
                         NONSMOOTH_MESSAGE.format(name="Multiple shooting"), info)
    K, refusal = _n_segments(problem, guess, n_segments, max_segments, info)
    if refusal is not None:
        return _declined(problem, guess, Status.DECLINED, refusal, info)
    segs = _Segments(problem, guess, K, rtol, integrator, deadline, info)
    Th, V = segs.start_values(guess)
    trajs = segs.integrate(Th, V, False)
    if not isinstance(trajs, list):
        return _failed_start(problem, segs.tk, Th, V, trajs, info)
    trajs, gap, nit, status, why = _newton(segs, Th, V, trajs, tol, maxiter)
    info["gap"] = gap
    msg = Status(status).message() + f" Multiple shooting (K={K})"
    msg += (f": largest scaled gap {gap:.2e} <= tol {tol:.1e} after {nit} Newton iterations."
            if status == Status.SUCCESS else
            f" (largest scaled gap {gap:.2e}, tol {tol:.1e}): {why}")
    t, dense = _assemble(trajs, segs.tk, problem.n)
    t, theta, theta_dot = refine_mesh(t, dense, n_mesh)
    return RawSolution(t=t, theta=theta, theta_dot=theta_dot,
                       success=status == Status.SUCCESS, status=status, message=msg,
                       dense=dense, nit=nit, info=info)


def _n_segments(problem, guess, n_segments, max_segments, info):
    """``(K, refusal)``: the number of segments, and a message when memory caps refuse it."""
    n, T = problem.n, problem.T
    K = n_segments or 1
    seg_state = 2 * n * (2 * n + 1)
    if seg_state <= MAX_SEGMENT_STATE:  # else refused below, without the estimate
        omega, h_max = estimate_omega(problem, guess)
        info.update(omega=omega, omega_T=omega * T, h_max=h_max)
        if n_segments is None:
            K = int(min(max_segments, max(1, math.ceil(omega * T / SEGMENT_OMEGA_T))))
    info["n_segments"] = K
    if seg_state > MAX_SEGMENT_STATE or K * 4 * n * n > MAX_STATE:
        return K, (f"Multiple shooting declined: n = {n} and K = {K} segments need {seg_state} "
                   f"variational unknowns per segment and {K * 4 * n * n} stored values (caps "
                   f"{MAX_SEGMENT_STATE:.0e}, {MAX_STATE:.0e}). Use method='direct' (scales to "
                   "large n) or 'collocation'.")
    return K, None


class _Segments:
    """The K segments on a uniform grid: integration of all of them, and the scaled residual."""

    #: Integrations stop (status NON_FINITE) once |y| exceeds this many times the path's scale:
    #: the unstable system is then on its way to overflow.
    BLOW_UP = 1e8

    def __init__(self, problem, guess, K, rtol, integrator, deadline, info):
        n, T = problem.n, problem.T
        self.problem, self.K, self.n = problem, K, n
        self.integrator, self.rtol, self.deadline, self.info = integrator, rtol, deadline, info
        self.tk = np.linspace(0.0, T, K + 1)
        self.sc_th, self.sc_v = _scales(problem)
        self.guess = guess
        # Residual weights: positions in units of sc_th, velocities of sc_v.
        self.eye2 = np.eye(2 * n)

    def start_values(self, guess):
        """Initial unknowns from the guess (or the straight line); fixes the scales."""
        problem, tk, n = self.problem, self.tk, self.n
        if guess is None:
            Th, V = straight_line(problem.theta0, problem.thetaT, tk[:-1], problem.T)
        else:
            Th, V = guess_on_mesh(guess, tk[:-1])
        Th[:, 0] = problem.theta0
        self.sc_v = max(self.sc_v, float(np.max(np.abs(V))))
        self.atol = self.rtol * self.sc_th
        self.bound = self.BLOW_UP * max(self.sc_th, self.sc_v * problem.T)
        self.w_seg = np.concatenate([np.full(n, 1.0 / self.sc_th), np.full(n, 1.0 / self.sc_v)])
        return Th, V

    def integrate(self, Th, V, with_tangent):
        """Integrate every segment: the list of trajectories, or the first failed one."""
        trajs = []
        for k in range(self.K):
            if time.perf_counter() > self.deadline:   # many short segments: check here too
                return Trajectory(None, None, None, Status.MAX_TIME,
                                  "the wall-time cap was reached")
            self.info["n_integrations"] += 1
            tang = None if not with_tangent else (self.eye2[:, self.n:] if k == 0 else self.eye2)
            tr = integrate(self.problem, Th[:, k], V[:, k], self.tk[k], self.tk[k + 1],
                           tangent=tang, dense_output=not with_tangent, rtol=self.rtol,
                           atol=self.atol, integrator=self.integrator, bound=self.bound,
                           deadline=self.deadline)
            self.info["nfev"] += tr.nfev
            if tr.status != Status.SUCCESS:
                return tr
            trajs.append(tr)
        return trajs

    def residual(self, Th, V, trajs):
        """Scaled continuity gaps and end miss, ``n + 2n(K-1)`` values."""
        n, K = self.n, self.K
        R = np.empty(n + 2 * n * (K - 1))
        for k in range(K - 1):
            R[2 * n * k: 2 * n * (k + 1)] = np.concatenate(
                [trajs[k].theta - Th[:, k + 1], trajs[k].v - V[:, k + 1]]) * self.w_seg
        R[2 * n * (K - 1):] = (trajs[-1].theta - self.problem.thetaT) / self.sc_th
        return R


#: Backtracking of the damped Newton step: halve down to this fraction of the full step...
_MIN_STEP = 1.0 / 1024
#: ...and accept a step that reduces |R| by at least this fraction of the step (Armijo).
_ARMIJO = 1e-4


def _newton(segs, Th, V, trajs, tol, maxiter):
    """Damped Newton on the segment starts: ``(trajs, gap, nit, status, why)``."""
    R = segs.residual(Th, V, trajs)
    nit = 0
    while True:
        gap = float(np.max(np.abs(R)))
        if not np.isfinite(gap):
            return trajs, gap, nit, Status.NON_FINITE, "non-finite residual"
        if gap <= tol:
            return trajs, gap, nit, Status.SUCCESS, ""
        if nit >= maxiter:
            return trajs, gap, nit, Status.MAX_ITER, (
                f"Newton did not converge in {maxiter} iterations; increase `maxiter` or "
                "`n_segments`, or try method='direct'.")
        nit += 1
        full = segs.integrate(Th, V, True)
        if not isinstance(full, list):
            return trajs, gap, nit, full.status, (
                f"a variational integration failed ({full.message})")
        J = _jacobian(full, segs.K, segs.n, segs.w_seg, segs.sc_th)
        step = _sparse_solve(J, -segs.residual(Th, V, full))
        if step is None:
            return trajs, gap, nit, Status.NOT_CONVERGED, (
                "the multiple-shooting Jacobian is numerically singular (a conjugate point?); "
                "try method='direct' or another guess.")
        found = _line_search(segs, Th, V, _unpack(step, segs.K, segs.n), float(np.linalg.norm(R)))
        if found is None:
            if time.perf_counter() > segs.deadline:
                return trajs, gap, nit, Status.MAX_TIME, (
                    "the wall-time cap was reached; increase `max_time`.")
            return trajs, gap, nit, Status.NOT_CONVERGED, (
                "the damped Newton step could not reduce the residual; try more `n_segments`, "
                "another guess, or method='direct'.")
        Th, V, trajs, R = found


def _line_search(segs, Th, V, direction, norm0):
    """Backtracking along the Newton step: ``(Th, V, trajs, R)`` of the accepted trial, or
    None when no step reduced ``|R|`` (or the time ran out)."""
    dTh, dV = direction
    alpha = 1.0
    while alpha >= _MIN_STEP:
        Th_t, V_t = Th + alpha * dTh, V + alpha * dV
        tr = segs.integrate(Th_t, V_t, False)
        if not isinstance(tr, list) and tr.status == Status.MAX_TIME:
            return None
        if isinstance(tr, list):
            R_t = segs.residual(Th_t, V_t, tr)
            if np.linalg.norm(R_t) <= (1.0 - _ARMIJO * alpha) * norm0:
                return Th_t, V_t, tr, R_t
        alpha *= 0.5
    return None


def _jacobian(trajs, K, n, w_seg, sc_th):
    """Scaled block-bidiagonal Jacobian of the residual, as a CSC matrix."""
    rows, cols, vals = [], [], []
    m = n + 2 * n * (K - 1)

    def col0(k):  # first unknown of segment k's start state
        return 0 if k == 0 else n + 2 * n * (k - 1)

    def put(r0, c0, block):
        r, c = np.nonzero(block)
        rows.append(r + r0)
        cols.append(c + c0)
        vals.append(block[r, c])

    for k in range(K):
        Phi = trajs[k].Phi  # (2n, n) for k = 0 (d/dv_0 only), else (2n, 2n)
        if k < K - 1:
            put(2 * n * k, col0(k), Phi * w_seg[:, None])
            put(2 * n * k, col0(k + 1), -np.diag(w_seg))
        else:
            put(2 * n * k, col0(k), Phi[:n] / sc_th)
    J = scipy.sparse.coo_matrix((np.concatenate(vals), (np.concatenate(rows),
                                                        np.concatenate(cols))), shape=(m, m))
    return J.tocsc()


def _sparse_solve(J, b):
    """Solve ``J x = b`` by sparse LU; ``None`` when ``J`` is (numerically) singular."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.sparse.linalg.MatrixRankWarning)
        try:
            lu = scipy.sparse.linalg.splu(J)
        except RuntimeError:  # "Factor is exactly singular"
            return None
    u = np.abs(lu.U.diagonal())
    # Pivot growth is modest with the partial pivoting SuperLU does; a tiny pivot relative to
    # the largest is the practical sign of a singular system.
    if not u.min() > 1e-14 * u.max():
        return None
    x = lu.solve(b)
    return x if np.all(np.isfinite(x)) else None


def _unpack(step, K, n):
    dTh = np.zeros((n, K))
    dV = np.empty((n, K))
    dV[:, 0] = step[:n]
    if K > 1:
        rest = step[n:].reshape(K - 1, 2 * n)
        dTh[:, 1:] = rest[:, :n].T
        dV[:, 1:] = rest[:, n:].T
    return dTh, dV


def _assemble(trajs, tk, n):
    """The segments' integrator steps, and a piecewise dense output."""
    # A join belongs to the segment it starts.
    t = np.concatenate([tr.t[:-1] for tr in trajs[:-1]] + [trajs[-1].t])
    sols = [tr.sol for tr in trajs]

    def dense(tq):
        tq = np.atleast_1d(np.asarray(tq, dtype=float))
        seg = np.clip(np.searchsorted(tk, tq, side="right") - 1, 0, len(sols) - 1)
        out = np.empty((2 * n, tq.shape[0]))
        for k in np.unique(seg):
            sel = seg == k
            out[:, sel] = sols[k](tq[sel])[: 2 * n]
        return out[:n], out[n:]

    return t, dense


def _failed_start(problem, tk, Th, V, tr, info):
    Thf = np.column_stack([Th, problem.thetaT])
    Vf = np.column_stack([V, V[:, -1]])
    advice = ("increase `max_time`, or use fewer `n_segments`" if tr.status == Status.MAX_TIME
              else "try more `n_segments`, another guess, or method='direct'")
    msg = (f"{Status(tr.status).message()} Multiple shooting: integrating the initial guess "
           f"failed ({tr.message}); {advice}.")
    return RawSolution(t=tk, theta=Thf, theta_dot=Vf, success=False, status=tr.status,
                       message=msg, info=info)

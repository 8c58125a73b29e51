"""Newton-Krylov on ``S_h`` without Hessian matrices: for networks of 10^4-10^5 parameters.

Each Newton step solves ``H p = -g`` by conjugate gradients in the sine-transform coordinates
(`SinePreconditioner`), where the kinetic part of the Hessian is the identity and the rest,
``lam h grad^2 L(theta_i)`` at each node, is applied by Hessian-vector products batched over the
nodes. In these coordinates the Hessian's eigenvalues lie in ``[1 + lam h_min T^2 / pi^2,
1 + lam h_max T^2 / pi^2]`` (``h_min``, ``h_max`` the extreme eigenvalues of ``grad^2 L`` along
the path), whatever ``N``, so CG needs few iterations where the path is not stiff. Memory is
``O(N n)``: a handful of arrays the size of the path.

This is a matrix-free ("Jacobian-free") Newton-Krylov method [3]_: the Hessian is never
formed, only applied to vectors. The inner solves are inexact [4]_ (Eisenstat-Walker forcing
terms [1]_: loose while far from the solution, tighter as the residual falls), negative
curvature stops CG (Steihaug's rule [2]_), and an Armijo search on ``S_h`` globalises. CG's
Lanczos coefficients [5]_ give the largest eigenvalue of the preconditioned Hessian for free,
hence the stiffness ``omega`` of the path.

References
----------
.. [1] S. C. Eisenstat and H. F. Walker, "Choosing the forcing terms in an inexact Newton
   method", SIAM J. Sci. Comput. 17 (1996), 16-32.
.. [2] T. Steihaug, "The conjugate gradient method and trust regions in large scale
   optimization", SIAM J. Numer. Anal. 20 (1983), 626-637.
.. [3] D. A. Knoll and D. E. Keyes, "Jacobian-free Newton-Krylov methods: a survey of
   approaches and applications", J. Comput. Phys. 193 (2004), 357-397.
.. [4] R. S. Dembo, S. C. Eisenstat and T. Steihaug, "Inexact Newton methods", SIAM J. Numer.
   Anal. 19 (1982), 400-408.
.. [5] C. Lanczos, "An iteration method for the solution of the eigenvalue problem of linear
   differential and integral operators", J. Res. Nat. Bur. Standards 45 (1950), 255-282.
"""
import time

import numpy as np

from ..._status import Status
from ._discrete_action import SinePreconditioner
from ._lbfgs import backtrack
from ._stopping import ROUNDING_SLACK, Convergence, Outcome, Progress, check_stop, dot

__all__ = ["newton_krylov", "KrylovStats"]

#: First forcing term (relative CG residual) and its cap: a loose first solve.
ETA_MAX = 0.5
# Eisenstat-Walker "choice 2": eta_k = _EW_GAMMA (|g_k| / |g_{k-1}|)^2, safeguarded by
# _EW_GAMMA eta_{k-1}^2 when that exceeds _EW_SAFEGUARD (no sudden over-solving).
_EW_GAMMA = 0.9
_EW_SAFEGUARD = 0.1
# Never ask CG for more than this relative accuracy (rounding of the Hessian products).
_ETA_MIN = 1e-10
#: CG iterations per Newton step at most.
MAX_CG = 100
# Newton iterations without progress before the method reports a stall.
_WINDOW = 8
_BEST_FACTOR = 0.5
_DROP = 1e-8


class KrylovStats:
    """Counts of one Newton-Krylov run: Newton steps, CG iterations (each one batched
    Hessian-vector product over the interior nodes), and the largest Ritz value of the
    preconditioned Hessian seen by CG (``1 + lam h_max T^2 / pi^2`` roughly)."""

    def __init__(self):
        self.newton, self.cg, self.ritz_max, self.negative_curvature = 0, 0, np.nan, 0

    def omega(self, T):
        """The stiffness ``sqrt(lam h_max)`` that the largest Ritz value implies (the Hessian's
        largest eigenvalue in sine coordinates is ``1 + lam h_max T^2 / pi^2`` up to
        ``O(h^2)``); None before CG has run."""
        if not np.isfinite(self.ritz_max):
            return None
        return float(np.pi * np.sqrt(max(self.ritz_max - 1.0, 0.0)) / T)


def _cg(hvp, g, eta, maxiter, stats):
    """Steihaug-CG for ``H p = -g`` to relative residual `eta`; ``p`` (a descent direction)."""
    p = np.zeros_like(g)
    r = -g
    d = r.copy()
    rr = dot(r, r)
    stop = eta * eta * rr
    alphas, betas = [], []
    for _ in range(maxiter):
        Hd = hvp(d)
        stats.cg += 1
        dHd = dot(d, Hd)
        if not np.isfinite(dHd):
            break
        if dHd <= 1e-14 * dot(d, d):
            stats.negative_curvature += 1
            if not alphas:  # negative curvature along -g itself: steepest descent
                p = -g
            break
        alpha = rr / dHd
        alphas.append(alpha)
        p += alpha * d
        r -= alpha * Hd
        rr_new = dot(r, r)
        if rr_new <= stop:
            break
        beta = rr_new / rr
        betas.append(beta)
        d = r + beta * d
        rr = rr_new
    _ritz(alphas, betas, stats)
    return p


def _ritz(alphas, betas, stats):
    """Largest eigenvalue of CG's Lanczos tridiagonal (from its step lengths ``alpha`` and
    ``beta``): a lower bound of the Hessian's largest eigenvalue, usually close to it."""
    k = len(alphas)
    if not k:
        return
    a = np.asarray(alphas)
    b = np.asarray(betas[:k - 1])
    diag = 1.0 / a
    diag[1:] += b / a[:-1]
    off = np.sqrt(b) / a[:-1]
    T = np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)
    top = float(np.linalg.eigvalsh(T)[-1])
    stats.ritz_max = top if not np.isfinite(stats.ritz_max) else max(stats.ritz_max, top)


def _forcing(eta, gnorm, gnorm_prev):
    """The next Eisenstat-Walker forcing term."""
    if gnorm_prev is None:
        return ETA_MAX
    new = _EW_GAMMA * (gnorm / gnorm_prev) ** 2
    guard = _EW_GAMMA * eta * eta
    if guard > _EW_SAFEGUARD:
        new = max(new, guard)
    return float(min(ETA_MAX, max(new, _ETA_MIN)))


def newton_krylov(da, X, tol, maxiter, deadline, stats=None):
    """Inexact Newton with CG on ``S_h`` (trapezoid or Numerov rule) in sine coordinates.

    ``da`` is the `DiscreteAction`, ``X`` the start, ``tol`` the relative residual tolerance,
    ``maxiter`` the Newton iteration cap, ``deadline`` a `time.perf_counter` value, `stats` a
    `KrylovStats` to update. Returns an `Outcome`; status ``NOT_CONVERGED`` when it stalls
    or the line search fails.
    """
    stats = KrylovStats() if stats is None else stats
    pre = SinePreconditioner(da)
    conv = Convergence(da, tol)
    z = pre.to_z(X)
    S, G, scale = da.value_grad(X)
    g = pre.grad_z(G)
    progress = Progress(_BEST_FACTOR, _WINDOW, _DROP)
    eta, gnorm_prev = ETA_MAX, None
    for it in range(maxiter + 1):  # the last pass returns from check_stop (maxiter)
        res, stop = check_stop(conv, X, S, G, scale, it, maxiter, deadline, stalled=False)
        if stop is not None:
            return stop
        if progress.update(res, S, da.abs_sum):
            return Outcome(X, Status.NOT_CONVERGED, f"no progress in {_WINDOW} Newton-Krylov "
                           "iterations", it, res, S, G)
        gnorm = float(np.sqrt(dot(g, g)))
        eta = _forcing(eta, gnorm, gnorm_prev)
        gnorm_prev = gnorm

        def hvp(v, X=X):
            return v + pre.grad_z(da.hessp(X, pre.dX(v)))

        p = _cg(hvp, g, eta, MAX_CG, stats)
        stats.newton += 1
        slack = ROUNDING_SLACK * da.abs_sum
        step = backtrack(da, pre, z, p, S, dot(g, p), slack)
        if step is None and time.perf_counter() <= deadline:
            step = backtrack(da, pre, z, -g, S, -dot(g, g), slack)
        if step is None:
            status = Status.MAX_TIME if time.perf_counter() > deadline else Status.NOT_CONVERGED
            return Outcome(X, status, "time" if status == Status.MAX_TIME else
                           "the Newton-Krylov line search failed", it, res, S, G)
        z, X, S, G, scale = step
        g = pre.grad_z(G)

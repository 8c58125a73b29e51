"""Damped Newton on ``S_h`` with its block-tridiagonal Hessian, free or on the kinks of the loss.

`newton` is the plain method for any objective. `kink_newton` is Newton restricted to the
manifold of kinks the nodes sit on, for non-smooth (ReLU) objectives with the trapezoid rule,
where the plain methods crawl along the kinks. Both return an `Outcome`; status
``NOT_CONVERGED`` means "stalled", and the caller may hand over to another method.
"""
import time

import numpy as np

from ..._status import Status
from ._blocktri import block_tridiagonal_solve
from ._kinks import kink_bases, kink_radius, kink_residuals
from ._stopping import (ARMIJO, ROUNDING_SLACK, Convergence, Outcome, Progress, check_stop,
                        dot, rel, search_failed)

__all__ = ["newton", "kink_newton"]

#: A relative decrease of ``S_h`` below this is no progress (`Progress`).
NEWTON_DROP = 1e-6
# A new best residual must beat the previous one by this factor to count as progress.
_BEST_FACTOR = 0.5
# Iterations without progress before Newton stops ...
_WINDOW = 8
# ... and on a non-smooth loss, where a kink can stop the residual from falling while S_h
# creeps down: hand over to L-BFGS sooner.
_WINDOW_KINKED = 3
# After this many iterations without progress the convergence test samples for kinks.
_SAMPLE_AFTER = 3
# Levenberg damping mu, in units of the kinetic diagonal 2 / h: grown by _MU_GROWTH per
# rejected try, from _MU_INDEFINITE when the Hessian is not positive definite (a nudge) or
# from _MU_REJECTED when the line search failed (a real damping), at most _MAX_TRIES tries
# (enough for mu to turn the step into a tiny steepest-descent step); shrunk by _MU_GROWTH
# after a full step and dropped below _MU_OFF.
_MU_GROWTH = 10.0
_MU_INDEFINITE = 1e-8
_MU_REJECTED = 1e-4
_MU_OFF = 1e-12
_MAX_TRIES = 30
# Backtracking halves the step down to this fraction of the Newton step, then damps mu.
_ALPHA_MIN = 1e-4
# Kink normals: gradient jumps below this fraction of tol * scale are not kinks.
_JUMP_PER_TOL = 0.01


def newton(da, X, tol, maxiter, deadline):
    """Damped Newton on ``S_h`` with its block-tridiagonal Hessian (Levenberg damping, Armijo).

    ``da`` is the `DiscreteAction`, ``X`` the start, ``tol`` the relative residual tolerance,
    ``maxiter`` the iteration cap and ``deadline`` a `time.perf_counter` value. Returns an
    `Outcome`; status ``NOT_CONVERGED`` means "stalled" (the caller may fall back to L-BFGS).
    """
    conv = Convergence(da, tol)
    S, G, scale = da.value_grad(X)
    mu = 0.0
    progress = Progress(_BEST_FACTOR, _WINDOW if conv.smooth else _WINDOW_KINKED, NEWTON_DROP)
    for it in range(maxiter + 1):  # the last pass returns from check_stop (maxiter)
        res, stop = check_stop(conv, X, S, G, scale, it, maxiter, deadline,
                               stalled=progress.since >= _SAMPLE_AFTER)
        if stop is not None:
            return stop
        if progress.update(res, S, da.abs_sum):
            return Outcome(X, Status.NOT_CONVERGED, f"Newton made no progress in "
                           f"{progress.window} iterations", it, res, S, G)
        Dblk, Bblk = da.hessian_blocks(X)
        step, alpha, mu = _damped_step(da, X, S, G, Dblk, Bblk, mu, deadline)
        if step is None:
            return search_failed("Newton", X, it, res, S, G, deadline)
        X, S, G, scale = step
        mu = _relaxed(mu, alpha, da.h)


def kink_newton(da, X, tol, maxiter, deadline):
    """Newton on the active kink manifold (non-smooth objectives, trapezoid rule).

    A node ``i`` that sits on kinks of ``L`` (found by `kink_bases`: the gradient jumps across
    them, along their normals ``V_i``) moves only tangentially, ``P_i = I - V_i V_i^T``: its
    gradient row is ``P_i G_i`` and its Hessian rows and columns are projected. Along the kinks
    ``L`` is smooth (for one-hidden-layer ReLU networks the kinks are hyperplanes), so the
    projected problem converges quadratically where L-BFGS crawls along the kink (the stalls
    on ReLU paths). The normal component is left to the Clarke certificate (`Convergence`): a
    node whose normal force lies outside the subdifferential (it should leave the kink) is
    released and moves freely again. Arguments and result as for `newton`.
    """
    conv = Convergence(da, tol)
    S, G, scale = da.value_grad(X)
    mu = 0.0
    progress = Progress(_BEST_FACTOR, _WINDOW, NEWTON_DROP)
    manifold = _KinkManifold(da, tol)
    for it in range(maxiter + 1):  # the last pass returns from check_stop (maxiter)
        res, stop = check_stop(conv, X, S, G, scale, it, maxiter, deadline, stalled=True)
        if stop is not None:
            return stop
        Gp = manifold.project(X, G, scale)
        res_p = rel(Gp, da.h, scale)
        if res_p <= tol:
            # Converged along the kinks, yet not certified: release the kink nodes whose
            # normal force the subdifferential cannot balance, and iterate again.
            if not manifold.release_uncertified(X, scale):
                return Outcome(X, Status.NOT_CONVERGED, "converged along the kinks but the "
                               "certificate failed", it, res, S, G)
            continue
        if progress.update(res_p, S, da.abs_sum):
            return Outcome(X, Status.NOT_CONVERGED, f"Newton on the kink manifold made no "
                           f"progress in {progress.window} iterations", it, res, S, G)
        Dblk, Bblk = da.hessian_blocks(X)
        manifold.project_hessian(Dblk, Bblk, 2.0 / da.h)
        step, alpha, mu = _damped_step(da, X, S, Gp, Dblk, Bblk, mu, deadline)
        if step is None:
            return search_failed("Newton", X, it, res, S, G, deadline)
        X, S, G, scale = step
        mu = _relaxed(mu, alpha, da.h)


class _KinkManifold:
    """The kinks the nodes sit on: ``bases`` ``{node: V}`` (orthonormal kink normals) and the
    nodes ``released`` from them because their certificate failed."""

    def __init__(self, da, tol):
        self.da, self.tol = da, tol
        self.radius = kink_radius(tol)
        self.bases, self.released = {}, set()

    def project(self, X, G, scale):
        """Find kinks at the failing nodes not yet known; the gradient with the normal
        components of the kink nodes removed."""
        da, tol = self.da, self.tol
        r = np.max(np.abs(G), axis=0) / da.h / scale
        bad = [i for i in np.flatnonzero(r > tol) if i not in self.released]
        self.bases.update(kink_bases(da, X, bad, self.radius, _JUMP_PER_TOL * tol * scale))
        Gp = G.copy()
        for i, V in self.bases.items():
            Gp[:, i] -= V @ (V.T @ G[:, i])
        return Gp

    def release_uncertified(self, X, scale):
        """Release the kink nodes whose Clarke certificate fails; False if there are none."""
        nodes = sorted(self.bases)
        cert = kink_residuals(self.da, X, nodes, self.radius) / scale
        drop = [i for i, c in zip(nodes, cert) if c > self.tol]
        for i in drop:
            del self.bases[i]
            self.released.add(i)
        return bool(drop)

    def project_hessian(self, Dblk, Bblk, diag_scale):
        """Project the Hessian blocks in place onto the tangent spaces of the kink nodes; the
        normal directions get the kinetic diagonal `diag_scale` (they stay fixed)."""
        n, M = Dblk.shape[1], Dblk.shape[0]
        for i, V in self.bases.items():
            P = np.eye(n) - V @ V.T
            Dblk[i] = P @ Dblk[i] @ P + diag_scale * (V @ V.T)
            if i < M - 1:
                Bblk[i] = P @ Bblk[i]
            if i > 0:
                Bblk[i - 1] = Bblk[i - 1] @ P


def _damped_step(da, X, S, G, Dblk, Bblk, mu, deadline):
    """A Levenberg-damped Newton step with Armijo backtracking on ``S_h``.

    Returns ``(step, alpha, mu)``: ``step = (X, S, G, scale)`` at the accepted point (None if no
    step was accepted within the tries or the `deadline`), ``alpha`` its fraction of the damped
    Newton step and ``mu`` the damping used.
    """
    n, M = X.shape
    diag_scale = 2.0 / da.h
    g = G.T.ravel()  # node-major
    slack = ROUNDING_SLACK * da.abs_sum
    alpha = 1.0
    overflow = None
    for _ in range(_MAX_TRIES):
        try:
            step = -block_tridiagonal_solve(Dblk, Bblk, mu, G.T).ravel()
        except np.linalg.LinAlgError:
            # Not positive definite: the action has negative curvature here; damp it.
            mu = max(_MU_GROWTH * mu, _MU_INDEFINITE * diag_scale)
            continue
        dX = step.reshape(M, n).T
        slope = dot(g, step)
        alpha = 1.0
        while alpha >= _ALPHA_MIN:
            Xt = X + alpha * dX
            try:
                St, Gt, sct = da.value_grad(Xt)
            except ArithmeticError as exc:
                # The trial point overflows the loss (a long step near a fold: Bratu at
                # k = 3.5138): a rejected trial, not yet a breakdown of the method.
                St, overflow = np.inf, exc
            if np.isfinite(St) and St <= S + ARMIJO * alpha * slope + slack:
                return (Xt, St, Gt, sct), alpha, mu
            alpha *= 0.5
        if time.perf_counter() > deadline:
            break
        mu = max(_MU_GROWTH * mu, _MU_REJECTED * diag_scale)
    if overflow is not None:
        raise overflow   # no damping found a finite step: the loss overflows this way
    return None, alpha, mu


def _relaxed(mu, alpha, h):
    """The damping for the next iteration: less after a full step, none once negligible."""
    mu = mu / _MU_GROWTH if alpha == 1.0 else mu
    return 0.0 if mu < _MU_OFF * (2.0 / h) else mu

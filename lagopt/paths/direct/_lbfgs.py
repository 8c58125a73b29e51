"""L-BFGS on ``S_h`` in the sine-transform coordinates where its kinetic term is ``|Z|^2 / 2``.

A plain two-loop L-BFGS [1]_ [2]_ with a backtracking Armijo search. It is written out rather than
taken from `scipy.optimize` for one reason: like Newton here, its sufficient-decrease test allows
the rounding error of ``S_h``, so it keeps reducing the residual where ``S_h`` is flat to machine
precision. (scipy's L-BFGS-B, which needs ``S_h`` to decrease, stalled at a relative residual of
2e-8 on a 5-D quadratic that this loop takes below 1e-9.) Memory ``O(N n)``.

References
----------
.. [1] D. C. Liu and J. Nocedal, "On the limited memory BFGS method for large scale
   optimization", Math. Programming 45 (1989), 503-528.
.. [2] J. Nocedal and S. J. Wright, "Numerical Optimization", 2nd ed., Springer (2006),
   sec. 7.2.
"""
import time

import numpy as np

from ..._status import Status
from ._discrete_action import SinePreconditioner
from ._stopping import (ARMIJO, ROUNDING_SLACK, Convergence, Outcome, Progress, check_stop,
                        dot, search_failed)

__all__ = ["lbfgs", "two_loop", "backtrack", "LBFGS_WINDOW"]

#: Iterations without progress after which L-BFGS stops (the default `window`).
LBFGS_WINDOW = 200
#: A relative decrease of ``S_h`` below this is no progress (`Progress`).
LBFGS_DROP = 1e-8
# A new best residual must beat the previous one by this factor to count as progress.
_BEST_FACTOR = 0.9
# During a stall the convergence test samples for kinks every this many iterations.
_SAMPLE_EVERY = 10
# Curvature pairs kept (the L-BFGS memory).
_MEMORY = 10
# A pair is kept only if s.y exceeds this fraction of |s| |y| (a positive curvature well
# above rounding), which keeps the inverse-Hessian model positive definite.
_MIN_CURVATURE = 1e-12
# Trial steps per search direction before the search gives up on it.
_MAX_BACKTRACKS = 40
# Safeguards of the quadratic interpolation: the next trial lies in [0.1, 0.5] times the last;
# after a non-finite value the step shrinks tenfold.
_SHRINK_MIN, _SHRINK_MAX = 0.1, 0.5
# Search directions tried per iteration: the L-BFGS one, then (if it fails) steepest descent.
_DIRECTIONS = 2


def lbfgs(da, X, tol, maxiter, deadline, window=LBFGS_WINDOW):
    """L-BFGS on ``S_h`` in the coordinates of `SinePreconditioner`.

    ``da`` is the `DiscreteAction`, ``X`` the start, ``tol`` the relative residual tolerance,
    ``maxiter`` the iteration cap and ``deadline`` a `time.perf_counter` value. Returns an
    `Outcome`; status ``NOT_CONVERGED`` after `window` iterations without progress
    (`Progress`) or when the line search fails.
    """
    pre = SinePreconditioner(da)
    z = pre.to_z(X)
    S, G, scale = da.value_grad(X)
    g = pre.grad_z(G)
    pairs = []  # (s, y, 1 / y.s)
    conv = Convergence(da, tol)
    progress = Progress(_BEST_FACTOR, window, LBFGS_DROP)
    for it in range(maxiter + 1):  # the last pass returns from check_stop (maxiter)
        since = progress.since
        res, stop = check_stop(conv, X, S, G, scale, it, maxiter, deadline,
                               stalled=since >= _SAMPLE_EVERY and since % _SAMPLE_EVERY == 0)
        if stop is not None:
            return stop
        if progress.update(res, S, da.abs_sum):
            return Outcome(X, Status.NOT_CONVERGED, f"no progress in {progress.window} "
                           "iterations", it, res, S, G)
        step = _search(da, pre, z, S, g, pairs, deadline)
        if step is None:
            return search_failed("L-BFGS", X, it, res, S, G, deadline)
        zt, Xt, St, Gt, sct = step
        gt = pre.grad_z(Gt)
        _remember(pairs, zt - z, gt - g)
        z, X, S, G, g, scale = zt, Xt, St, Gt, gt, sct


def _search(da, pre, z, S, g, pairs, deadline):
    """One line search from ``z``: along the L-BFGS direction, then, if that fails with a
    curvature model, along steepest descent with the model dropped. ``(z, X, S, G, scale)`` at
    the accepted point, or None."""
    slack = ROUNDING_SLACK * da.abs_sum
    step = None
    for _ in range(_DIRECTIONS):
        d = -two_loop(g, pairs)
        slope = dot(g, d)
        if slope >= 0.0:
            pairs.clear()
            d, slope = -g, -dot(g, g)
        step = backtrack(da, pre, z, d, S, slope, slack)
        if step is not None or not pairs or time.perf_counter() > deadline:
            return step
        pairs.clear()  # a stale curvature model: retry along the steepest descent
    return step


def backtrack(da, pre, z, d, S, slope, slack):
    """Armijo backtracking from ``z`` along ``d`` (``slope = g . d < 0``) by safeguarded
    quadratic interpolation of ``S`` along ``d``; ``(z, X, S, G, scale)`` or None."""
    alpha = 1.0
    overflow = None
    for _ in range(_MAX_BACKTRACKS):
        zt = z + alpha * d
        Xt = pre.to_X(zt)
        try:
            St, Gt, sct = da.value_grad(Xt)
        except ArithmeticError as exc:   # the trial overflows the loss: a rejected trial
            St, overflow = np.inf, exc
        if np.isfinite(St) and St <= S + ARMIJO * alpha * slope + slack:
            return zt, Xt, St, Gt, sct
        if np.isfinite(St):
            den = 2.0 * (St - S - slope * alpha)
            a_new = -slope * alpha * alpha / den if den > 0 else _SHRINK_MAX * alpha
            alpha = min(_SHRINK_MAX * alpha, max(_SHRINK_MIN * alpha, a_new))
        else:
            alpha *= _SHRINK_MIN
    if overflow is not None:
        raise overflow   # every shorter step failed too: the loss overflows this way
    return None


def _remember(pairs, s, y):
    """Append the pair ``(s, y)`` if its curvature is positive, keeping the last `_MEMORY`."""
    sy = dot(s, y)
    if sy > _MIN_CURVATURE * np.sqrt(dot(s, s) * dot(y, y)):
        pairs.append((s, y, 1.0 / sy))
        if len(pairs) > _MEMORY:
            pairs.pop(0)


def two_loop(g, pairs):
    """L-BFGS inverse-Hessian product ``H g`` from the pairs ``(s, y, 1 / y.s)``, oldest first.

    ``H`` is the BFGS update of ``H_0 = gamma I`` by the pairs in order; the initial scaling
    ``gamma`` is ``s.y / y.y`` of the last pair (1 without pairs, the kinetic term's curvature
    in the preconditioned coordinates).
    """
    q = g.copy()
    alphas = []
    for s, y, rho in reversed(pairs):
        a = rho * dot(s, q)
        alphas.append(a)
        q -= a * y
    if pairs:
        s, y, rho = pairs[-1]
        q *= 1.0 / (rho * dot(y, y))
    for (s, y, rho), a in zip(pairs, reversed(alphas)):
        b = rho * dot(y, q)
        q += (a - b) * s
    return q

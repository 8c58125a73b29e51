"""When the minimisers of ``S_h`` stop: convergence (with kink certificates), stalls, caps.

Shared by Newton and L-BFGS: the `Outcome` they return, the convergence test, the stall
detector, the checks each iteration starts with, and the rounding slack of their line searches.
"""
import time

import numpy as np

from ..._status import Status
from ._kinks import kink_radius, kink_residuals

__all__ = ["Outcome", "Convergence", "Progress", "check_stop", "search_failed", "dot", "rel",
           "ARMIJO", "ROUNDING_SLACK"]

#: Sufficient-decrease constant of the Armijo line searches.
ARMIJO = 1e-4
#: The accumulated absolute terms of ``S_h`` (``DiscreteAction.abs_sum``) times this bound its
#: rounding error; the Armijo test allows that much, so that the minimisers can finish where
#: ``S_h`` is flat to machine precision.
ROUNDING_SLACK = 64 * np.finfo(float).eps

# Gradient sampling is worth its cost only when few nodes hold the residual: at most this many
# nodes, or this fraction (1 / _SAMPLE_FRACTION) of them ...
_SAMPLE_MAX_NODES = 2
_SAMPLE_FRACTION = 10
# ... and, unless the caller reports a stall, only on every this-many-th failing test.
_SAMPLE_EVERY = 5


class Outcome:
    """Where a branch stopped: its iterate ``X``, `Status`, a message, the iteration count, the
    relative residual, ``S_h``, the number of nodes certified on kinks, and ``grad_norm`` (the
    largest entry of the gradient ``G`` of ``S_h``)."""

    def __init__(self, X, status, message, nit, resid, S, G, kinks=0):
        self.X, self.status, self.message, self.nit = X, Status(status), message, nit
        self.resid, self.S, self.kinks = resid, S, kinks
        self.grad_norm = float(np.max(np.abs(G))) if G.size else np.nan


def dot(a, b):
    """``a . b`` of 1-D arrays without BLAS. Called right after numba's parallel kernels, a
    multi-threaded BLAS ``ddot`` waits on its own thread pool: measured 50-100x slower (a
    two-loop L-BFGS product on 37 x 511 unknowns: ~100 ms instead of ~1 ms)."""
    return float(np.einsum("i,i->", a, b))


def rel(G, h, scale):
    """The relative Euler-Lagrange residual ``max |G| / h / scale`` of a gradient ``G``."""
    r = float(np.max(np.abs(G))) / h if G.size else 0.0
    return r / scale if scale > 0 else (0.0 if r == 0 else np.inf)


class Convergence:
    """The convergence test, with a certificate for nodes that sit on kinks of the loss.

    Smooth objectives: the relative residual `rel`. Non-smooth ones (``objective.smooth`` is
    False, e.g. ReLU networks): a node on a kink has no vanishing gradient, only a vanishing
    element of the Clarke subdifferential. For the few nodes whose residual fails, the test
    samples ``grad L`` around the node (`lagopt.paths.direct._kinks`) and takes the smallest
    residual over convex combinations of the sampled gradients. Trapezoid rule only (a node's
    residual then involves ``grad L`` at that node alone). ``kinks`` is the number of nodes
    certified so at the last success.
    """

    def __init__(self, da, tol):
        self.da, self.tol = da, tol
        self.smooth = getattr(da.obj, "smooth", True)
        self.nonsmooth = not self.smooth and da.rule == "trapezoid"
        self.kinks = 0
        self.calls = 0

    def __call__(self, X, G, scale, stalled):
        """``(residual, converged)``; the residual is certified where kinks were sampled.

        `stalled` (the caller makes no progress) makes the test sample whatever the count of
        failing nodes.
        """
        da, tol = self.da, self.tol
        res = rel(G, da.h, scale)
        if res <= tol or not self.nonsmooth or scale <= 0:
            return res, res <= tol
        r = np.max(np.abs(G), axis=0) / da.h / scale
        bad = np.flatnonzero(r > tol)
        self.calls += 1
        few = len(bad) <= max(_SAMPLE_MAX_NODES, X.shape[1] // _SAMPLE_FRACTION)
        if not stalled and (not few or self.calls % _SAMPLE_EVERY):
            return res, False
        cert = kink_residuals(da, X, bad, kink_radius(tol)) / scale
        worst = max(float(np.max(r[r <= tol], initial=0.0)), float(np.max(cert)))
        if worst <= tol:
            self.kinks = len(bad)
            return worst, True
        return res, False


class Progress:
    """Stall detection: a run of `window` iterations with neither a new best residual (by the
    factor `factor`) nor a decrease of ``S_h`` by more than ``drop * magnitude`` since the last
    progress.

    The residual alone is not a measure of progress: on a non-convex landscape (a path pulled
    over a barrier, the saddles of Mueller-Brown) the minimiser descends ``S_h`` for many
    iterations while the max-norm residual stays put, and stopping there reported "no
    progress" on problems that then converge. A decrease of ``S_h`` of relative size `drop`
    is real progress; the creep of ``S_h`` at rounding level along a kink is not.
    """

    def __init__(self, factor, window, drop):
        self.factor, self.window, self.drop = factor, window, drop
        self.best_res, self.since, self.S_mark = np.inf, 0, np.inf

    def update(self, res, S, magnitude):
        """Record an iteration; True when the last `window` iterations made no progress."""
        if res < self.factor * self.best_res:
            self.best_res, self.since, self.S_mark = res, 0, S
        elif self.S_mark - S > self.drop * magnitude:
            self.since, self.S_mark = 0, S
        else:
            self.since += 1
        return self.since >= self.window


def check_stop(conv, X, S, G, scale, it, maxiter, deadline, stalled):
    """The checks an iteration starts with: ``(residual, outcome)``, ``outcome`` None when the
    iteration goes on, else the `Outcome` to return (non-finite values, convergence, the
    iteration cap `maxiter`, the wall-time `deadline`, in this order)."""
    if not (np.isfinite(S) and np.all(np.isfinite(G))):
        return np.inf, Outcome(X, Status.NON_FINITE, "non-finite action or gradient", it,
                               np.inf, S, G)
    res, ok = conv(X, G, scale, stalled)
    if ok:
        return res, Outcome(X, Status.SUCCESS, "converged", it, res, S, G, conv.kinks)
    if it == maxiter:
        return res, Outcome(X, Status.MAX_ITER, "maxiter", it, res, S, G)
    if time.perf_counter() > deadline:
        return res, Outcome(X, Status.MAX_TIME, "time", it, res, S, G)
    return res, None


def search_failed(name, X, it, res, S, G, deadline):
    """The `Outcome` of a line search of the method `name` that accepted no step."""
    if time.perf_counter() > deadline:
        return Outcome(X, Status.MAX_TIME, "time", it, res, S, G)
    return Outcome(X, Status.NOT_CONVERGED, f"the {name} line search failed", it, res, S, G)

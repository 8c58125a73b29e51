"""The direct method: minimise the discretised action over the interior nodes of the path.

This is the robust and the scalable path method. It needs only gradients (Hessians where they
are affordable, to take Newton steps), it does not integrate anything, so it neither suffers from
the exponential instability of shooting nor refines its mesh without end on the kinks of a ReLU
loss, and in its L-BFGS branch its memory is ``O(N n)``.

Solving the discrete problem is not solving the continuous one: `solve` chooses the first grid
from the stiffness ``omega`` and refines it until a Richardson estimate of the discretisation
error (grid ``h`` against ``h/2``) is below ``tol_path``; a path that the node cap cannot
resolve is reported as a failure (``status=1``), not as a success.
"""
import time

import numpy as np
import scipy.fft
import scipy.optimize
import scipy.sparse.linalg
from numba import njit

from .._validation import choice, positive_float, positive_int
from ._measure import measure
from ._problem import STATUS_MESSAGES, RawSolution
from ._variational import estimate_omega, guess_on_mesh, largest_hessian_eigenvalue

__all__ = ["solve", "default_max_nodes", "OMEGA_H_MAX", "TOL_PATH"]

# Newton needs (N-1) Hessians of n x n (each ~n Hessian-vector products) and their block
# Cholesky factor (O(N n^3)); beyond these sizes "auto" takes L-BFGS, O(N n) memory.
_NEWTON_MAX_DIM = 200
_NEWTON_MAX_UNKNOWNS = 20_000  # n (N - 1)
_NEWTON_MAX_BLOCK_FLOATS = 2**21  # n^2 (N - 1): 16 MB per array of Hessian blocks

#: First grid without `n_nodes`: N = 64 intervals (65 nodes), raised a priori for stiff problems.
_DEFAULT_N = 64
#: A-priori resolution bound: the first grid has ``omega h <= OMEGA_H_MAX`` (where the node
#: cap allows). The trapezoid rule's growth rate of a mode ``exp(omega t)`` then errs by
#: ``(omega h)^2 / 24 ~ 1 %``: the mode is resolved and Richardson's estimate is meaningful.
OMEGA_H_MAX = 0.5
#: Default tolerance of the estimated relative discretisation error (action and positions).
TOL_PATH = 1e-4
# Up to this n the a-priori stiffness at the end points uses dense eigenvalues (as
# estimate_omega does), Lanczos on Hessian-vector products beyond.
_ENDS_DENSE_EIG_MAX = 300
# Default node cap: n (N + 1) <= 2**20 floats, N between 128 and 16,384.
_MAX_NODE_FLOATS = 2**20
_MAX_INTERVALS = 16_384

_DEFAULT_MAXITER = {"newton": 500, "lbfgs": 10_000}
# Stall detection (`_Progress`): relative decrease of S_h that counts as progress, and the
# number of iterations without progress after which a branch stops.
_NEWTON_DROP = 1e-6
_LBFGS_DROP = 1e-8
_LBFGS_WINDOW = 200
_LBFGS_KINK_WINDOW = 50  # when Newton on the kink manifold takes over after the stall


class _DiscreteAction:
    """``S_h`` on a uniform mesh, its gradient and its block-tridiagonal Hessian.

    The unknowns are the interior nodes, stored as the columns of ``X`` (shape ``(n, N-1)``).
    """

    def __init__(self, problem, N, rule):
        self.obj = problem.objective
        self.lam = problem.lam
        self.N, self.h, self.rule = N, problem.T / N, rule
        self.theta0, self.thetaT = problem.theta0, problem.thetaT
        self.T = problem.T
        # The trapezoid rule's end terms do not depend on the unknowns: evaluate them once.
        self.end_loss = 0.0
        if rule == "trapezoid" and self.lam != 0.0:
            ends = np.column_stack([self.theta0, self.thetaT])
            self.end_loss = 0.5 * float(np.sum(self.obj.loss_batch(ends)))
        self.n_eval = 0  # evaluations of S_h and its gradient

    def nodes(self, X):
        return np.column_stack([self.theta0, X, self.thetaT])

    def _points(self, Theta):
        """Columns at which L is evaluated: interior nodes (trapezoid) or midpoints."""
        if self.rule == "trapezoid":
            return Theta[:, 1:-1]
        return 0.5 * (Theta[:, 1:] + Theta[:, :-1])

    def value_grad(self, X):
        """``(S_h, dS_h/dX, scale)``; ``scale`` is the size of the terms the residual balances."""
        self.n_eval += 1
        h, lam = self.h, self.lam
        Theta = self.nodes(X)
        D = np.diff(Theta, axis=1)
        kinetic = 0.5 * float(np.sum(D * D)) / h
        G = (D[:, :-1] - D[:, 1:]) / h  # d kinetic / d X
        S = kinetic
        gmax = 0.0
        if lam != 0.0:
            P = np.ascontiguousarray(self._points(Theta))
            Lv = self.obj.loss_batch(P)
            gL = self.obj.grad_batch(P)
            if self.rule == "trapezoid":
                S += lam * h * (float(np.sum(Lv)) + self.end_loss)
                G += lam * h * gL
            else:
                S += lam * h * float(np.sum(Lv))
                G += 0.5 * lam * h * (gL[:, :-1] + gL[:, 1:])
            gmax = lam * float(np.max(np.abs(gL))) if gL.size else 0.0
            self.abs_sum = kinetic + lam * h * (float(np.sum(np.abs(Lv))) + abs(self.end_loss))
        else:
            self.abs_sum = kinetic
        # Stationarity is (theta_{i+1} - 2 theta_i + theta_{i-1}) / h^2 = lam grad L: the
        # residual G / h is an acceleration, measured against the accelerations it balances.
        accel = float(np.max(np.abs(D[:, 1:] - D[:, :-1]))) / h**2 if X.shape[1] else 0.0
        scale = max(float(np.max(np.abs(self.thetaT - self.theta0))) / self.T**2, accel, gmax)
        return S, G, scale

    def hessian_blocks(self, X):
        """Blocks of the (block tridiagonal) Hessian of ``S_h``: ``(D, B)``.

        ``D`` (shape ``(N-1, n, n)``) holds the diagonal blocks, ``B`` (``(N-2, n, n)``) the
        blocks ``(i, i+1)`` above them. Trapezoid: ``D_i = 2I/h + lam h H(theta_i)``,
        ``B_i = -I/h``. Midpoint: the midpoint Hessians enter both, ``D_i = 2I/h + lam h/4
        (H(m_{i-1}) + H(m_i))``, ``B_i = -I/h + lam h/4 H(m_i)``.
        """
        n, M, h, lam = X.shape[0], X.shape[1], self.h, self.lam
        Theta = self.nodes(X)
        n_pts = M if self.rule == "trapezoid" else M + 1
        if lam != 0.0:
            Hb = np.moveaxis(self.obj.hess_batch(np.ascontiguousarray(self._points(Theta))), 2, 0)
        else:
            Hb = np.zeros((n_pts, n, n))
        if self.rule == "trapezoid":
            D = lam * h * Hb
            B = np.zeros((max(M - 1, 0), n, n))
        else:
            D = 0.25 * lam * h * (Hb[:-1] + Hb[1:])
            B = 0.25 * lam * h * Hb[1:-1]
        idx = np.arange(n)
        D[:, idx, idx] += 2.0 / h
        B[:, idx, idx] -= 1.0 / h
        return D, B

    def discrete_action(self, X):
        S, _, _ = self.value_grad(X)
        return S

    def velocities(self, Theta):
        """Second-order velocities at the nodes.

        Central differences inside; at the ends the discrete Legendre transform of the rule's
        discrete Lagrangian, ``p_0 = -D_1 L_d(theta_0, theta_1)``, ``p_N = D_2 L_d(...)``.
        """
        h, lam = self.h, self.lam
        V = np.empty_like(Theta)
        V[:, 1:-1] = (Theta[:, 2:] - Theta[:, :-2]) / (2 * h)
        d0 = (Theta[:, 1] - Theta[:, 0]) / h
        dN = (Theta[:, -1] - Theta[:, -2]) / h
        if lam != 0.0:
            if self.rule == "trapezoid":
                ends = np.column_stack([Theta[:, 0], Theta[:, -1]])
            else:
                ends = np.column_stack([0.5 * (Theta[:, 0] + Theta[:, 1]),
                                        0.5 * (Theta[:, -2] + Theta[:, -1])])
            g = self.obj.grad_batch(np.ascontiguousarray(ends))
            d0 = d0 - 0.5 * h * lam * g[:, 0]
            dN = dN + 0.5 * h * lam * g[:, 1]
        V[:, 0], V[:, -1] = d0, dN
        return V


class _Outcome:
    """Where a branch stopped: its iterate, status and a message."""

    def __init__(self, X, status, message, nit, resid, S, kinks=0, G=None):
        self.X, self.status, self.message, self.nit = X, status, message, nit
        self.resid, self.S, self.kinks = resid, S, kinks
        self.grad_norm = float(np.max(np.abs(G))) if G is not None and G.size else np.nan


def _dot(a, b):
    """``a . b`` of 1-D arrays without BLAS. Called right after numba's parallel kernels, a
    multi-threaded BLAS ``ddot`` waits on its own thread pool: measured 50-100x slower (a
    two-loop L-BFGS product on 37 x 511 unknowns: ~100 ms instead of ~1 ms)."""
    return float(np.einsum("i,i->", a, b))


def _rel(G, h, scale):
    r = float(np.max(np.abs(G))) / h if G.size else 0.0
    return r / scale if scale > 0 else (0.0 if r == 0 else np.inf)


# Gradient sampling at kinks: radius relative to max(1, |theta_i|) (at most tol / 10, so that
# the smooth variation of grad L over the ball cannot pass for a kink), and antipodal pairs of
# directions (a pair puts one sample on each side of any single kink through the node).
_KINK_RADIUS = 1e-7
_KINK_PAIRS = 4


class _Convergence:
    """The convergence test, with a certificate for nodes that sit on kinks of the loss.

    Smooth objectives: the relative residual `_rel`. Non-smooth ones (``objective.smooth`` is
    False, e.g. ReLU networks): a node on a kink has no vanishing gradient, only a vanishing
    element of the Clarke subdifferential. For the few nodes whose residual fails, the test
    samples ``grad L`` at ``2 * _KINK_PAIRS`` points at distance ``min(1e-7, tol / 10)
    max(1, |theta_i|_inf)`` of the node and
    takes the smallest residual over convex combinations of the sampled gradients (gradient
    sampling, Burke, Lewis & Overton 2005). Trapezoid rule only (a node's residual then
    involves ``grad L`` at that node alone).
    """

    def __init__(self, da, tol):
        self.da, self.tol = da, tol
        self.smooth = getattr(da.obj, "smooth", True)
        self.nonsmooth = not self.smooth and da.rule == "trapezoid"
        self.kinks = 0
        self.calls = 0

    def __call__(self, X, G, scale, stalled=False):
        """``(residual, converged)``; the residual is certified where kinks were sampled."""
        da, tol = self.da, self.tol
        res = _rel(G, da.h, scale)
        if res <= tol or not self.nonsmooth or scale <= 0:
            return res, res <= tol
        r = np.max(np.abs(G), axis=0) / da.h / scale
        bad = np.flatnonzero(r > tol)
        # Worth sampling only when a few isolated nodes hold the residual (or on a stall).
        self.calls += 1
        if not stalled and (len(bad) > max(2, X.shape[1] // 10) or self.calls % 5):
            return res, False
        cert = _kink_residuals(da, X, bad, min(_KINK_RADIUS, 0.1 * tol)) / scale
        worst = max(float(np.max(r[r <= tol], initial=0.0)), float(np.max(cert)))
        if worst <= tol:
            self.kinks = len(bad)
            return worst, True
        return res, False


def _sample_gradients(da, X, nodes, radius):
    """``lam grad L`` at each node of `nodes` (column 0) and at ``_KINK_PAIRS`` antipodal pairs
    ``theta_i +- u_k`` at distance ``radius max(1, |theta_i|_inf)`` (columns ``1..p``, then
    ``p+1..2p``): one array ``(n, 1 + 2p)`` per node, in one batched evaluation."""
    n = X.shape[0]
    Theta = da.nodes(X)
    rng = np.random.RandomState(0)  # deterministic certificates
    m = 1 + 2 * _KINK_PAIRS
    pts = np.empty((n, m * len(nodes)))
    for k, i in enumerate(nodes):
        th = Theta[:, i + 1]
        U = rng.randn(n, _KINK_PAIRS)
        U *= radius * max(1.0, float(np.max(np.abs(th)))) / np.sqrt(np.sum(U * U, axis=0))
        pts[:, k * m: (k + 1) * m] = np.column_stack([th, th[:, None] + U, th[:, None] - U])
    grads = da.lam * da.obj.grad_batch(pts) if len(nodes) else np.empty((n, 0))
    return [grads[:, k * m: (k + 1) * m] for k in range(len(nodes))]


def _kink_residuals(da, X, nodes, radius):
    """Smallest ``|lam sum_j w_j grad L(p_j) - (theta_{i+1} - 2 theta_i + theta_{i-1}) / h^2|``
    over convex weights ``w`` and sample points ``p_j`` near each node ``i`` in ``nodes``."""
    Theta = da.nodes(X)
    samples = _sample_gradients(da, X, nodes, radius)
    out = np.empty(len(nodes))
    for k, i in enumerate(nodes):
        a = (Theta[:, i + 2] - 2.0 * Theta[:, i + 1] + Theta[:, i]) / da.h**2
        Gs = samples[k]
        m = Gs.shape[1]
        # Least squares over the simplex: NNLS with a heavily weighted row sum(w) = 1.
        rho = 1e3 * max(1.0, float(np.max(np.abs(Gs))), float(np.max(np.abs(a))))
        w, _ = scipy.optimize.nnls(np.vstack([Gs, np.full(m, rho)]), np.append(a, rho))
        w /= max(w.sum(), np.finfo(float).tiny)
        out[k] = float(np.max(np.abs(Gs @ w - a)))
    return out


def _kink_bases(da, X, nodes, radius, threshold):
    """Orthonormal bases ``V`` (``n x k``) of the jumps of ``lam grad L`` at kinks through the
    nodes: ``{i: V}`` for the nodes that sit on at least one kink.

    For an antipodal pair ``g(theta + u) + g(theta - u) - 2 g(theta)`` is ``O(|u|^2)`` where
    ``L`` is smooth and carries the jump ``J`` of the gradient where the pair straddles a kink.
    For a ReLU network the jump across ``z = 0`` is ``dL/drelu(z) grad z``, normal to the kink
    surface, so ``V`` spans the normals of the kinks through the node. Jumps below `threshold`
    (a fraction of the residual tolerance) are ignored.
    """
    out = {}
    p = _KINK_PAIRS
    for i, Gs in zip(nodes, _sample_gradients(da, X, nodes, radius)):
        D2 = Gs[:, 1:1 + p] + Gs[:, 1 + p:] - 2.0 * Gs[:, :1]
        U, sv, _ = np.linalg.svd(D2, full_matrices=False)
        keep = sv > threshold
        if np.any(keep):
            out[int(i)] = U[:, keep]
    return out


class _Progress:
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
        if res < self.factor * self.best_res:
            self.best_res, self.since, self.S_mark = res, 0, S
        elif self.S_mark - S > self.drop * magnitude:
            self.since, self.S_mark = 0, S
        else:
            self.since += 1
        return self.since >= self.window


def _newton(da, X, tol, maxiter, deadline, manifold=False):
    """Damped Newton on ``S_h`` with its block-tridiagonal Hessian (Levenberg damping, Armijo).

    Returns an `_Outcome` whose status 5 means "stalled" (the caller may fall back to L-BFGS).

    ``manifold=True`` (non-smooth objectives, trapezoid rule): Newton on the active kink
    manifold. A node ``i`` that sits on kinks of ``L`` (found by `_kink_bases`: the gradient
    jumps across them, along their normals ``V_i``) moves only tangentially, ``P_i = I - V_i
    V_i^T``: its gradient row is ``P_i G_i`` and its Hessian rows and columns are projected.
    Along the kinks ``L`` is smooth (for one-hidden-layer ReLU networks the kinks are
    hyperplanes), so the projected problem converges quadratically where L-BFGS crawls along
    the kink (the stalls on ReLU paths). The normal component is left to the Clarke
    certificate (`_Convergence`): a node whose normal force lies outside the subdifferential
    (it should leave the kink) is released and moves freely again.
    """
    h = da.h
    n, M = X.shape
    conv = _Convergence(da, tol)
    S, G, scale = da.value_grad(X)
    mu = 0.0
    # A kink of a ReLU loss can stop the residual from falling while S creeps down: after a
    # run of iterations without progress, hand over to L-BFGS (sooner on non-smooth losses).
    progress = _Progress(0.5, 8 if conv.smooth or manifold else 3, _NEWTON_DROP)
    bases, released = {}, set()
    radius = min(_KINK_RADIUS, 0.1 * tol)
    for it in range(maxiter + 1):
        if not (np.isfinite(S) and np.all(np.isfinite(G))):
            return _Outcome(X, 3, "non-finite action or gradient", it, np.inf, S, G=G)
        res, ok = conv(X, G, scale, stalled=manifold or progress.since >= 3)
        if ok:
            return _Outcome(X, 0, "converged", it, res, S, conv.kinks, G=G)
        if it == maxiter:
            break
        if time.perf_counter() > deadline:
            return _Outcome(X, 2, "time", it, res, S, G=G)
        Gp, res_p = G, res
        if manifold:
            r = np.max(np.abs(G), axis=0) / h / scale
            bad = [i for i in np.flatnonzero(r > tol) if i not in released]
            bases.update(_kink_bases(da, X, bad, radius, 0.01 * tol * scale))
            Gp = G.copy()
            for i, V in bases.items():
                Gp[:, i] -= V @ (V.T @ G[:, i])
            res_p = _rel(Gp, h, scale)
            if res_p <= tol:
                # Converged along the kinks, yet not certified: release the kink nodes whose
                # normal force the subdifferential cannot balance.
                nodes = sorted(bases)
                cert = _kink_residuals(da, X, nodes, radius) / scale
                drop = [i for i, c in zip(nodes, cert) if c > tol]
                if not drop:
                    return _Outcome(X, 5, "converged along the kinks but the certificate "
                                    "failed", it, res, S, G=G)
                for i in drop:
                    del bases[i]
                    released.add(i)
                continue
        if progress.update(res_p, S, da.abs_sum):
            what = "on the kink manifold " if manifold else ""
            return _Outcome(X, 5, f"Newton {what}made no progress in {progress.window} "
                            "iterations", it, res, S, G=G)
        Dblk, Bblk = da.hessian_blocks(X)
        diag_scale = 2.0 / h
        for i, V in bases.items():
            P = np.eye(n) - V @ V.T
            Dblk[i] = P @ Dblk[i] @ P + diag_scale * (V @ V.T)
            if i < M - 1:
                Bblk[i] = P @ Bblk[i]
            if i > 0:
                Bblk[i - 1] = Bblk[i - 1] @ P
        g = Gp.T.ravel()  # node-major
        # Accumulated |terms| of S bound its rounding error; Armijo gets that much slack so
        # that Newton can finish where S is flat to machine precision.
        slack = 64 * np.finfo(float).eps * da.abs_sum
        accepted = False
        for _ in range(30):
            try:
                step = -_block_tridiagonal_solve(Dblk, Bblk, mu, Gp.T).ravel()
            except np.linalg.LinAlgError:
                # Not positive definite: the action has negative curvature here; damp it.
                mu = max(10.0 * mu, 1e-8 * diag_scale)
                continue
            dX = step.reshape(M, n).T
            slope = _dot(g, step)
            alpha = 1.0
            while alpha >= 1e-4:
                Xt = X + alpha * dX
                St, Gt, sct = da.value_grad(Xt)
                if np.isfinite(St) and St <= S + 1e-4 * alpha * slope + slack:
                    accepted = True
                    break
                alpha *= 0.5
            if accepted or time.perf_counter() > deadline:
                break
            mu = max(10.0 * mu, 1e-4 * diag_scale)
        if not accepted:
            if time.perf_counter() > deadline:
                return _Outcome(X, 2, "time", it, res, S, G=G)
            return _Outcome(X, 5, "the Newton line search failed", it, res, S, G=G)
        mu = mu / 10.0 if alpha == 1.0 else mu
        if mu < 1e-12 * diag_scale:
            mu = 0.0
        X, S, G, scale = Xt, St, Gt, sct
    return _Outcome(X, 1, "maxiter", maxiter, res, S, G=G)


@njit(cache=True)
def _block_cholesky_solve(D, B, mu, rhs, x):
    """Numba kernel of `_block_tridiagonal_solve`; returns False if not positive definite.

    Plain loops, no BLAS: these are many small (n x n) factorisations and solves, for which a
    multi-threaded BLAS spends more time synchronising than computing (100x slower measured
    next to numba's own thread pool on a loaded 2-core machine).
    """
    M, n = rhs.shape
    Ld = np.zeros((M, n, n))
    Lo = np.zeros((M, n, n))  # Lo[i] = L_{i+1, i}
    y = np.zeros((M, n))
    C = np.empty((n, n))
    for i in range(M):
        # C = D_i + mu I - L_{i,i-1} L_{i,i-1}^T, the Schur complement to factor.
        for a in range(n):
            for b in range(a + 1):
                s = D[i, a, b]
                if i > 0:
                    for c in range(n):
                        s -= Lo[i - 1, a, c] * Lo[i - 1, b, c]
                C[a, b] = s
            C[a, a] += mu
        L = Ld[i]
        for a in range(n):  # Cholesky, row by row
            for b in range(a + 1):
                s = C[a, b]
                for c in range(b):
                    s -= L[a, c] * L[b, c]
                if a == b:
                    if not s > 0.0:
                        return False
                    L[a, a] = np.sqrt(s)
                else:
                    L[a, b] = s / L[b, b]
        for a in range(n):  # forward substitution for y_i
            s = rhs[i, a]
            if i > 0:
                for c in range(n):
                    s -= Lo[i - 1, a, c] * y[i - 1, c]
            for c in range(a):
                s -= L[a, c] * y[i, c]
            y[i, a] = s / L[a, a]
        if i < M - 1:
            # L_{i+1,i} = (L_ii^{-1} B_i)^T: forward substitution, column j of B_i at a time.
            for j in range(n):
                for a in range(n):
                    s = B[i, a, j]
                    for c in range(a):
                        s -= L[a, c] * Lo[i, j, c]
                    Lo[i, j, a] = s / L[a, a]
    for i in range(M - 1, -1, -1):  # back substitution with L^T
        L = Ld[i]
        for a in range(n - 1, -1, -1):
            s = y[i, a]
            if i < M - 1:
                for c in range(n):
                    s -= Lo[i, c, a] * x[i + 1, c]
            for c in range(a + 1, n):
                s -= L[c, a] * x[i, c]
            x[i, a] = s / L[a, a]
    return True


def _block_tridiagonal_solve(D, B, mu, rhs):
    """Solve ``(A + mu I) x = rhs`` for symmetric block-tridiagonal ``A`` by block Cholesky.

    ``D`` (``(M, n, n)``) are the diagonal blocks, ``B`` (``(M-1, n, n)``) the blocks above them;
    ``rhs`` and the result have shape ``(M, n)``. ``O(M n^3)`` flops. Raises
    `numpy.linalg.LinAlgError` when ``A + mu I`` is not positive definite.
    """
    M, n = rhs.shape
    Bc = np.ascontiguousarray(B) if M > 1 else np.zeros((1, n, n))
    x = np.empty((M, n))
    if not _block_cholesky_solve(np.ascontiguousarray(D), Bc, float(mu),
                                 np.ascontiguousarray(rhs), x):
        raise np.linalg.LinAlgError("not positive definite")
    return x


class _Preconditioner:
    """Coordinates ``Z`` in which the kinetic part of ``S_h`` is ``1/2 |Z|^2``.

    With ``X = X_line + Y`` (``X_line`` the straight line, a stationary point of the kinetic
    term) the kinetic term is ``1/2 tr(Y K Y^T) + const``, ``K = tridiag(-1, 2, -1) / h``. The
    orthonormal DST-I ``U`` diagonalises ``K = U diag(mu) U``, ``mu_k = (2 - 2 cos(k pi / N)) / h``,
    so ``Y = (U diag(mu^-1/2) Z^T)^T`` makes it ``1/2 |Z|^2``. The condition number of ``S_h``
    drops from ``~ 4 N^2 / pi^2`` to ``~ 1 + lam h_max T^2 / pi^2``, independent of ``N``.
    """

    def __init__(self, da, n):
        N = da.N
        s = np.arange(1, N) / N
        self.X_line = da.theta0[:, None] + np.outer(da.thetaT - da.theta0, s)
        mu = (2.0 - 2.0 * np.cos(np.pi * np.arange(1, N) / N)) / da.h
        self.r = 1.0 / np.sqrt(mu)
        self.shape = (n, N - 1)

    def to_X(self, z):
        Z = z.reshape(self.shape)
        return self.X_line + scipy.fft.dst(Z * self.r, type=1, norm="ortho", axis=1)

    def to_z(self, X):
        return (scipy.fft.dst(X - self.X_line, type=1, norm="ortho", axis=1) / self.r).ravel()

    def grad_z(self, G):
        return (scipy.fft.dst(G, type=1, norm="ortho", axis=1) * self.r).ravel()


def _lbfgs(da, X, tol, maxiter, deadline, memory=10, window=_LBFGS_WINDOW):
    """L-BFGS on ``S_h`` in the preconditioned coordinates of `_Preconditioner`.

    A plain two-loop L-BFGS with a backtracking Armijo search. It is written out rather than
    taken from `scipy.optimize` for one reason: like Newton here, its sufficient-decrease test
    allows the rounding error of ``S_h``, so it keeps reducing the residual where ``S_h`` is flat
    to machine precision. (scipy's L-BFGS-B, which needs ``S_h`` to decrease, stalled at a
    relative residual of 2e-8 on a 5-D quadratic that this loop takes below 1e-9.)

    Stops with status 5 after `window` iterations without progress (`_Progress`).
    """
    n = X.shape[0]
    pre = _Preconditioner(da, n)
    z = pre.to_z(X)
    S, G, scale = da.value_grad(X)
    g = pre.grad_z(G)
    pairs = []  # (s, y, 1 / y.s)
    conv = _Convergence(da, tol)
    progress = _Progress(0.9, window, _LBFGS_DROP)
    for it in range(maxiter + 1):
        if not (np.isfinite(S) and np.all(np.isfinite(G))):
            return _Outcome(X, 3, "non-finite action or gradient", it, np.inf, S, G=G)
        since = progress.since
        res, ok = conv(X, G, scale, stalled=since >= 10 and since % 10 == 0)
        if ok:
            return _Outcome(X, 0, "converged", it, res, S, conv.kinks, G=G)
        if it == maxiter:
            return _Outcome(X, 1, "maxiter", it, res, S, G=G)
        if time.perf_counter() > deadline:
            return _Outcome(X, 2, "time", it, res, S, G=G)
        if progress.update(res, S, da.abs_sum):
            return _Outcome(X, 5, f"no progress in {progress.window} iterations", it, res, S,
                            G=G)
        slack = 64 * np.finfo(float).eps * da.abs_sum
        for _attempt in range(2):
            d = -_two_loop(g, pairs)
            slope = _dot(g, d)
            if slope >= 0.0:
                pairs.clear()
                d, slope = -g, -_dot(g, g)
            alpha, accepted = 1.0, False
            for _ in range(40):
                zt = z + alpha * d
                Xt = pre.to_X(zt)
                St, Gt, sct = da.value_grad(Xt)
                if np.isfinite(St) and St <= S + 1e-4 * alpha * slope + slack:
                    accepted = True
                    break
                # Safeguarded quadratic interpolation of S along d.
                if np.isfinite(St):
                    den = 2.0 * (St - S - slope * alpha)
                    a_new = -slope * alpha * alpha / den if den > 0 else 0.5 * alpha
                    alpha = min(0.5 * alpha, max(0.1 * alpha, a_new))
                else:
                    alpha *= 0.1
            if accepted or not pairs or time.perf_counter() > deadline:
                break
            pairs.clear()  # a stale curvature model: retry along the steepest descent
        if not accepted:
            if time.perf_counter() > deadline:
                return _Outcome(X, 2, "time", it, res, S, G=G)
            return _Outcome(X, 5, "the L-BFGS line search failed", it, res, S, G=G)
        gt = pre.grad_z(Gt)
        s_vec, y_vec = zt - z, gt - g
        sy = _dot(s_vec, y_vec)
        if sy > 1e-12 * np.sqrt(_dot(s_vec, s_vec) * _dot(y_vec, y_vec)):
            pairs.append((s_vec, y_vec, 1.0 / sy))
            if len(pairs) > memory:
                pairs.pop(0)
        z, X, S, G, g, scale = zt, Xt, St, Gt, gt, sct
    return _Outcome(X, 1, "maxiter", maxiter, res, S, G=G)


def _two_loop(g, pairs):
    """L-BFGS inverse-Hessian product; the initial scaling is ``s.y / y.y`` of the last pair
    (1 without pairs, the kinetic term's curvature in these coordinates)."""
    q = g.copy()
    alphas = []
    for s, y, rho in reversed(pairs):
        a = rho * _dot(s, q)
        alphas.append(a)
        q -= a * y
    if pairs:
        s, y, rho = pairs[-1]
        q *= 1.0 / (rho * _dot(y, y))
    for (s, y, rho), a in zip(pairs, reversed(alphas)):
        b = rho * _dot(y, q)
        q += (a - b) * s
    return q


# ----------------------------------------------------------------------------- resolution
def default_max_nodes(n):
    """Default node cap for ``n`` parameters: ``n (N + 1) <= 2**20`` floats per copy of the
    path (L-BFGS keeps about 25 copies, ~200 MB at the cap), between 129 and 16,385 nodes."""
    return int(min(_MAX_INTERVALS, max(128, _MAX_NODE_FLOATS // max(int(n), 1)))) + 1


def _newton_fits(n, N):
    """Newton's memory: ``N - 1`` Hessian blocks of ``n x n`` (several arrays of them)."""
    M = N - 1
    return n <= _NEWTON_MAX_DIM and (n * M <= _NEWTON_MAX_UNKNOWNS
                                     or n * n * M <= _NEWTON_MAX_BLOCK_FLOATS)


def _solve_grid(problem, N, rule, X0, tol, solver, maxiter, deadline):
    """Minimise ``S_h`` on one grid from ``X0``: ``(discrete action, outcome, branches)``."""
    da = _DiscreteAction(problem, N, rule)
    if solver == "auto":
        branch = "newton" if _newton_fits(problem.n, N) else "lbfgs"
    else:
        branch = solver
    used = [branch]
    kinked = not getattr(problem.objective, "smooth", True) and rule == "trapezoid"
    # On kinks, a Newton that fits finishes what L-BFGS cannot: L-BFGS hands over sooner.
    polish = solver == "auto" and kinked and _newton_fits(problem.n, N)
    window = _LBFGS_KINK_WINDOW if polish else _LBFGS_WINDOW
    it_newton = maxiter or _DEFAULT_MAXITER["newton"]
    it_lbfgs = maxiter or _DEFAULT_MAXITER["lbfgs"]
    if branch == "newton":
        out = _newton(da, X0, tol, it_newton, deadline)
        if solver == "auto" and out.status in (1, 5) and time.perf_counter() < deadline:
            used.append("lbfgs")
            nit = out.nit
            out = _lbfgs(da, out.X, tol, it_lbfgs, deadline, window=window)
            out.nit += nit
    else:
        out = _lbfgs(da, X0, tol, it_lbfgs, deadline, window=window)
    if polish and out.status in (1, 5) and time.perf_counter() < deadline:
        # L-BFGS crawls along kinks of a ReLU loss: finish with Newton on the kink manifold.
        used.append("kink-newton")
        polished = _newton(da, out.X, tol, it_newton, deadline, manifold=True)
        polished.nit += out.nit
        if polished.status == 0 or polished.resid <= out.resid:
            out = polished
        else:
            out.message += f"; Newton on the kink manifold did not finish ({polished.message})"
    return da, out, "+".join(used)


def _prolong(da, X):
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


def _action_magnitude(da, Theta):
    """``K_h + lam h sum_i w_i |L(p_i)|``: the size of the terms whose sum is ``S_h`` (the
    scale of the relative action error; ``S_h`` itself can be near zero or negative)."""
    h, lam = da.h, da.lam
    D = np.diff(Theta, axis=1)
    mag = 0.5 * float(np.sum(D * D)) / h
    if lam != 0.0:
        if da.rule == "trapezoid":
            Lv = np.abs(da.obj.loss_batch(np.ascontiguousarray(Theta)))
            mag += lam * h * (float(np.sum(Lv[1:-1])) + 0.5 * float(Lv[0] + Lv[-1]))
        else:
            P = np.ascontiguousarray(0.5 * (Theta[:, 1:] + Theta[:, :-1]))
            mag += lam * h * float(np.sum(np.abs(da.obj.loss_batch(P))))
    return mag


def _measured_action(da, out):
    """The action of a grid's path as `solve_action_path` measures it (Gauss quadrature of the
    cubic Hermite interpolant of nodes and velocities, `lagopt.paths.action`'s rule)."""
    Theta = da.nodes(out.X)
    V = da.velocities(Theta)
    t = np.linspace(0.0, da.T, da.N + 1)
    return measure(da.obj, da.lam, da.T, t, Theta, V, residual=False)["action"]


def _richardson(coarse, fine, order):
    """Estimated relative errors ``(action, positions)`` of the fine grid's solution.

    `coarse` and `fine` are ``(discrete action, outcome, measured action)``. With an error
    ``~ C h^p`` the fine solution (spacing ``h / r``) errs by about ``|fine - coarse| / (r^p -
    1)``. Actions: the measured ones (`_measured_action`, what the returned path reports),
    relative to `_action_magnitude`. The discrete ``S_h`` is not used: its trapezoid error is
    ``O(h^2)`` with a large constant while the measured action of the path, stationary at the
    solution, errs by ``O(h^4)``; ``S_h`` would refine to the node cap paths that are already
    accurate. Positions: compared at the shared nodes, relative to the path's extent (largest
    range of a coordinate over the nodes).
    """
    (da_c, out_c, A_c), (da_f, out_f, A_f) = coarse, fine
    r = da_f.N // da_c.N
    div = float(r**order - 1)
    Th_c, Th_f = da_c.nodes(out_c.X), da_f.nodes(out_f.X)
    dS = abs(A_f - A_c)
    mag = _action_magnitude(da_f, Th_f)
    err_S = dS / div / mag if mag > 0 else (0.0 if dS == 0 else np.inf)
    dX = float(np.max(np.abs(Th_f[:, ::r] - Th_c)))
    extent = float(np.max(np.ptp(Th_f, axis=1)))
    err_X = dX / div / extent if extent > 0 else (0.0 if dX == 0 else np.inf)
    return float(err_S), float(err_X)


def _stiffness(problem, guess):
    """A-priori ``omega = sqrt(lam h_max)``: `estimate_omega` (points inside the straight line
    and the guess) and the two end points, where a path between minima spends its time and
    the curvature is often largest (Mueller-Brown: ``omega`` 64 at a minimum, 32 inside)."""
    omega = float(estimate_omega(problem, guess)[0])
    obj, n = problem.objective, problem.n
    ends = np.ascontiguousarray(np.column_stack([problem.theta0, problem.thetaT]))
    if n <= _ENDS_DENSE_EIG_MAX:
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


def _extrapolate(coarse, Theta, V):
    """Richardson extrapolation of a fine solution against the coarse one (spacing 2h):
    ``theta + (theta - theta_coarse) / 3`` at the shared nodes, the correction interpolated
    linearly to the others; the same for the velocities. Positions and velocities are then
    ``O(h^4)`` where the solution is smooth (what the finaliser's residual sees)."""
    da_c, out_c = coarse
    Th_c = da_c.nodes(out_c.X)
    V_c = da_c.velocities(Th_c)
    out = []
    for F, C in ((Theta, Th_c), (V, V_c)):
        d = (F[:, ::2] - C) / 3.0
        E = F.copy()
        E[:, ::2] += d
        E[:, 1::2] += 0.5 * (d[:, :-1] + d[:, 1:])
        out.append(E)
    out[0][:, 0], out[0][:, -1] = Theta[:, 0], Theta[:, -1]  # the end points, exactly
    return out[0], out[1]


def solve(problem, guess=None, *, n_nodes=None, rule="trapezoid", tol=None, maxiter=None,
          max_time=60.0, solver="auto", refine=None, tol_path=TOL_PATH, max_nodes=None):
    """Least-action path by minimising the discretised action over the interior nodes.

    The discrete problem is solved on a uniform grid, and the grid is refined until the
    discretisation error -- estimated, not assumed -- is below `tol_path` (see Notes).

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
    rule : {"trapezoid", "midpoint"}, optional
        Quadrature of the potential term: loss at the nodes (ends weighted 1/2) or at the
        interval midpoints.
    tol : float, optional
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
    solver : {"auto", "newton", "lbfgs"}, optional
        ``"newton"``: damped Newton with the block-tridiagonal Hessian (one ``hess_batch`` per
        iteration). ``"lbfgs"``: preconditioned L-BFGS, memory ``O(N n)``. ``"auto"``: Newton
        when ``n <= 200`` and its Hessian blocks fit (``n (N - 1) <= 20,000`` or
        ``n^2 (N - 1) <= 2^21``), else L-BFGS, decided per grid; Newton that stalls (the kinks
        of a ReLU loss) hands over to L-BFGS, and on non-smooth objectives an L-BFGS stall is
        finished by Newton on the kink manifold where Newton fits (``info["solver"]`` then
        reads ``"newton+lbfgs+kink-newton"``).
    refine : bool or None, optional
        Estimate the discretisation error by solving again on the grid of half the spacing
        (warm-started from the coarse solution) and refine until the estimate is below
        `tol_path`. ``None`` (default): True unless `n_nodes` is given. With ``refine=False``
        the path solves the discrete problem on one grid: ``success`` then means only that,
        and the message says that the discretisation error was not estimated (``info``
        has ``error_estimate=None``); this is what callers that need a fixed number of
        nodes get (e.g. the LAML path stage with 3-5 nodes, or convergence studies).
    tol_path : float, optional
        Tolerance of the estimated relative discretisation error (default ``1e-4``): both the
        error of the measured action (see Notes), relative to ``K_h + lam h sum w_i |L_i|``
        (the magnitudes of the terms of ``S_h``: the action itself can be near zero or
        negative), and the position error at the shared nodes, relative to the path's extent
        (largest range of a coordinate).
    max_nodes : int, optional
        Cap on the number of nodes ``N + 1`` (``>= 3``). Default `default_max_nodes`:
        ``2**20 // n`` clipped to ``[129, 16385]`` (memory is ``O(N n)``). If the error
        estimate is still above `tol_path` at the cap, the result has ``success=False``,
        ``status=1`` and a message saying what to try.

    Returns
    -------
    RawSolution
        Nodes ``t`` (``N + 1``), positions, second-order velocities of the finest grid whose
        discrete problem converged (Richardson-extrapolated on success for smooth objectives,
        see Notes). ``info`` holds ``N`` and ``n_nodes`` (used), ``rule``,
        ``solver`` (the branch(es) used on that grid), ``residual`` (its final relative
        discrete residual), ``grad_norm``, ``discrete_action``, ``n_eval``, ``kink_nodes``,
        ``omega`` (a-priori stiffness estimate, None if not computed) and ``omega_h``,
        ``refine``, ``tol_path``, ``max_nodes``, ``refinements`` (finer grids tried after the
        first),
        ``action_error``, ``position_error`` and ``error_estimate`` (their maximum, the
        number compared with `tol_path`; None when not estimated), ``extrapolated``, and
        ``levels`` (one dict per
        grid: ``N, solver, status, nit, discrete_action, residual, n_eval, seconds`` and,
        where estimated, ``action``, the measured action of that grid's path).

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
      estimated by Richardson's rule: ``|A_h - A_{h/2}| / (2^p - 1)`` with ``A`` the action
      of each grid's path as the package measures it (Gauss quadrature of its cubic Hermite
      interpolant, what ``ActionPath.action`` reports), and the same with the positions at the
      shared nodes; ``p = 2`` for smooth objectives (second-order scheme). For non-smooth ones
      the solution's acceleration jumps where the path crosses a kink, the position error near
      such crossings is only ``O(h)`` and the pointwise Euler-Lagrange residual of the path
      cannot vanish there, so the estimate uses ``p = 1`` (the plain difference between the
      grids, a conservative bound for any order ``>= 1``) and never the pointwise residual.
      The grid is doubled until both relative estimates are below `tol_path`, or `max_nodes`
      is reached (``status=1``), or `max_time` (``status=2``). With ``lam = 0`` the straight
      line is exact on every grid and nothing is refined.

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
    and ends in ``status=1``, never in a false success.

    References
    ----------
    .. [1] J. E. Marsden and M. West, "Discrete mechanics and variational integrators",
       Acta Numerica 10 (2001), 357-514.
    .. [2] J. V. Burke, A. S. Lewis and M. L. Overton, "A robust gradient sampling algorithm for
       nonsmooth, nonconvex optimization", SIAM J. Optim. 15 (2005), 751-779.
    """
    choice(rule, "rule", ("trapezoid", "midpoint"))
    smooth = bool(getattr(problem.objective, "smooth", True))
    tol = (1e-8 if smooth else 1e-6) if tol is None else positive_float(tol, "tol")
    max_time = positive_float(max_time, "max_time")
    choice(solver, "solver", ("auto", "newton", "lbfgs"))
    if maxiter is not None:
        maxiter = positive_int(maxiter, "maxiter")
    tol_path = positive_float(tol_path, "tol_path")
    n = problem.n
    cap = default_max_nodes(n) if max_nodes is None else positive_int(max_nodes, "max_nodes",
                                                                         minimum=3)
    fixed = n_nodes is not None
    if fixed:
        n_nodes = positive_int(n_nodes, "n_nodes", minimum=3)
        if n_nodes > cap:
            raise ValueError(f"`n_nodes` ({n_nodes}) exceeds `max_nodes` ({cap}).")
    if refine is not None and not isinstance(refine, (bool, np.bool_)):
        raise TypeError(f"`refine` must be True, False or None, got {type(refine).__name__}.")
    refine = (not fixed) if refine is None else bool(refine)
    start = time.perf_counter()
    deadline = start + max_time
    lam0 = problem.lam == 0.0

    # A priori: the first grid resolves the fastest mode, omega h <= OMEGA_H_MAX.
    omega = None
    if lam0:
        omega = 0.0
    elif refine or not fixed:
        with np.errstate(all="ignore"):
            try:
                omega = _stiffness(problem, guess)
            except (ArithmeticError, ValueError, np.linalg.LinAlgError, RuntimeError):
                omega = np.nan  # no a-priori raise; the a-posteriori estimate still applies
    N_cap = cap - 1
    # Leave room for the refinement that estimates the error.
    top = max(2, N_cap // 2) if (refine and not lam0) else N_cap
    N = n_nodes - 1 if fixed else min(_DEFAULT_N, top)
    if (refine or not fixed) and omega is not None and np.isfinite(omega) and omega > 0:
        need = int(np.ceil(omega * problem.T / OMEGA_H_MAX - 1e-9))
        if need > N:
            N = max(N, min(need, top))

    t0 = np.linspace(0.0, problem.T, N + 1)[1:-1]
    X0 = problem.straight_line(t0) if guess is None else guess_on_mesh(guess, t0)[0]
    levels = []

    def run(N, X0):
        tic = time.perf_counter()
        da, out, used = _solve_grid(problem, N, rule, X0, tol, solver, maxiter, deadline)
        levels.append({"N": N, "solver": used, "status": out.status, "nit": out.nit,
                       "discrete_action": out.S, "residual": out.resid, "n_eval": da.n_eval,
                       "seconds": time.perf_counter() - tic})
        return da, out, used

    da, out, used = run(N, X0)
    status = out.status
    est = None  # (action, position) relative error estimates of the returned grid
    failed = None  # (N, outcome) of a refinement whose discrete problem did not converge
    at_cap = False  # the error estimate did not meet tol_path below max_nodes
    coarse = None  # (discrete action, outcome) of the grid the returned one was checked on
    timed_out = False  # max_time ran out between two grids
    if status == 0 and lam0:
        est = (0.0, 0.0)  # the straight line: exact on any grid
    elif status == 0 and refine:
        order = 2 if smooth else 1
        A = None  # measured action of the current grid's path
        while True:
            N2 = 2 * da.N
            if N2 > N_cap:
                status, at_cap = 1, True
                break
            if time.perf_counter() > deadline:
                status, timed_out = 2, True
                break
            da2, out2, used2 = run(N2, _prolong(da, out.X))
            if out2.status != 0:
                status, failed = out2.status, (N2, out2, used2)
                break
            with np.errstate(all="ignore"):
                if A is None:
                    A = _measured_action(da, out)
                    levels[-2]["action"] = A
                A2 = _measured_action(da2, out2)
                est = _richardson((da, out, A), (da2, out2, A2), order)
            levels[-1]["action"] = A2
            coarse = (da, out)
            da, out, used, A = da2, out2, used2, A2
            if not np.all(np.isfinite(est)):
                status = 3
                break
            if max(est) <= tol_path:
                break

    Theta = da.nodes(out.X)
    finite = bool(np.all(np.isfinite(Theta)))
    if not finite:
        status = 3
    with np.errstate(all="ignore"):
        V = da.velocities(Theta) if finite else np.full_like(Theta, np.nan)
    if status == 0 and not np.all(np.isfinite(V)):
        status = 3
    extrapolated = False
    if status == 0 and refine and smooth and coarse is not None:
        # Richardson-extrapolate the accepted fine solution (smooth objectives only): the
        # O(h^2) error term is removed, the estimate above stays as a conservative bound.
        with np.errstate(all="ignore"):
            Th_x, V_x = _extrapolate(coarse, Theta, V)
        if np.all(np.isfinite(Th_x)) and np.all(np.isfinite(V_x)):
            Theta, V, extrapolated = Th_x, V_x, True
    ctx = {"N": da.N, "N0": levels[0]["N"], "solver": used, "tol": tol, "max_time": max_time,
           "refine": refine, "est": est, "tol_path": tol_path, "cap": cap, "omega": omega,
           "T": problem.T, "failed": failed, "at_cap": at_cap, "timed_out": timed_out,
           "smooth": smooth, "levels": levels, "extrapolated": extrapolated}
    message = _message(status, out, ctx)
    error = None if est is None else float(max(est))
    info = {
        "N": da.N, "n_nodes": da.N + 1, "rule": rule, "solver": used,
        "residual": out.resid, "grad_norm": out.grad_norm, "discrete_action": out.S,
        "n_eval": int(sum(lv["n_eval"] for lv in levels)), "kink_nodes": out.kinks,
        "omega": omega, "omega_h": None if omega is None else omega * problem.T / da.N,
        "refine": refine, "tol_path": tol_path, "max_nodes": cap,
        "refinements": len(levels) - 1,
        "action_error": None if est is None else est[0],
        "position_error": None if est is None else est[1],
        "error_estimate": error, "extrapolated": extrapolated, "levels": levels,
        "wall_time": time.perf_counter() - start,
    }
    nit = int(sum(lv["nit"] for lv in levels))
    return RawSolution(t=np.linspace(0.0, problem.T, da.N + 1), theta=Theta, theta_dot=V,
                       success=status == 0, status=status, message=message, dense=None,
                       nit=nit, info=info)


def _message(status, out, ctx):
    """What happened, with the numbers, and on failure what to try."""
    head = STATUS_MESSAGES[status]
    N, solver, tol, tol_path = ctx["N"], ctx["solver"], ctx["tol"], ctx["tol_path"]
    failed = ctx["failed"]
    res = f"relative discrete Euler-Lagrange residual {out.resid:.2e} (tol {tol:.1e})"
    grid = f"N={N}"
    if N != ctx["N0"]:
        grid += f", refined from N={ctx['N0']}"
    omega = ctx["omega"]
    wh = ""
    if omega is not None and np.isfinite(omega) and omega > 0:
        wh = f"omega h = {omega * ctx['T'] / N:.2g} (omega T = {omega * ctx['T']:.3g})"
    est = ""
    if ctx["est"] is not None:
        a, p = ctx["est"]
        kind = "" if ctx["smooth"] else ", first order: non-smooth loss"
        est = (f"estimated discretisation error (Richardson, N={N // 2} vs {N}{kind}): action "
               f"{a:.1e}, positions {p:.1e} relative (tol_path {tol_path:.0e})")
    kinks = ""
    if out.kinks:
        kinks = (f" {out.kinks} node(s) sit on kinks of the non-smooth loss; their residual is "
                 "certified by gradient sampling (a Clarke-stationary point).")
    if status == 0:
        if not ctx["refine"]:
            note = f" ({wh})" if wh else ""
            return (f"{head} Direct method ({solver}, {grid}): {res}. This solves the discrete "
                    f"problem on a fixed grid: its discretisation error was not estimated "
                    f"(refine=False){note}; refine=True estimates and controls it.{kinks}")
        if ctx["est"] == (0.0, 0.0) and len(ctx["levels"]) == 1:
            return (f"{head} Direct method ({solver}, {grid}): {res}; lam = 0, the straight "
                    f"line is exact on any grid.")
        extra = ("; the returned path is Richardson-extrapolated (fine + (fine - coarse) / 3)"
                 if ctx["extrapolated"] else "")
        return f"{head} Direct method ({solver}, {grid}): {res}; {est}{extra}.{kinks}"
    if ctx["at_cap"]:
        why = (f"the {est}, is above tol_path" if est else
               f"max_nodes={ctx['cap']} leaves no finer grid to estimate the error on")
        w = f" ({wh})" if wh else ""
        return (f"{head} Direct method ({solver}): the discrete problem converged on {grid} "
                f"({res}) but the grid does not resolve the continuous path to tol_path: "
                f"{why} at the node cap max_nodes={ctx['cap']}{w}. Try more nodes (a larger "
                "`max_nodes`; memory grows as N n), a looser `tol_path`, or, for a stiff smooth "
                "problem, method='multiple_shooting' or 'collocation', which adapt to its "
                "exponential layers.")
    prefix = ""
    o = out
    if failed is not None:
        N2, o, fsolver = failed
        solver = fsolver
        prefix = (f" The discrete problem converged on {grid} ({res}), but the refinement to "
                  f"N={N2} that estimates the discretisation error failed"
                  + (f" (the last estimate: {est})" if est else "") + "; the returned path is "
                  f"the N={N} solution.")
        res = f"relative discrete Euler-Lagrange residual {o.resid:.2e} (tol {tol:.1e})"
        grid = f"N={N2}"
    if status == 1:
        return (f"{head}{prefix} Direct method ({solver}, {grid}) stopped at {res} "
                "(maxiter). Increase `maxiter`, or try solver='newton' if n is small.")
    if status == 2 and ctx["timed_out"]:
        last = f" (the last {est})" if est else ""
        return (f"{head} Direct method ({solver}): the discrete problem converged on {grid} "
                f"({res}), but max_time={ctx['max_time']:g} s ran out before the "
                f"discretisation error was brought below tol_path{last}. Increase "
                "`max_time`, or loosen `tol_path`.")
    if status == 2:
        where = prefix or (f" ({est})" if est else "")
        return (f"{head}{where} Direct method ({solver}, {grid}) stopped after "
                f"{ctx['max_time']:g} s at {res}. Increase `max_time`, or reduce `n_nodes` / "
                "loosen `tol_path`.")
    if status == 3:
        return (f"{head}{prefix} The loss or its gradient was not finite along the path; "
                "check the objective on the segment between the end points.")
    if ctx["smooth"]:
        hint = ("The landscape is smooth: try another initial guess (`n_starts` > 1), "
                "solver='newton' or 'lbfgs', a larger `maxiter`, or method='collocation'.")
    else:
        hint = ("For a non-smooth (ReLU) loss the minimiser can sit on kinks whose residual "
                "the gradient-sampling certificate could not confirm: the path is usable (its "
                "discrete action is minimal to the printed residual) but not certified; a "
                "smooth surrogate (softplus) or a looser `tol` gives a clean convergence.")
    return (f"{head}{prefix} Direct method ({solver}, {grid}) stalled ({o.message}) at {res}. "
            + hint)

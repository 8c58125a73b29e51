"""The direct method: minimise the discretised action over the interior nodes of the path.

This is the robust and the scalable path method. It needs only gradients (Hessians where they
are affordable, to take Newton steps), it does not integrate anything, so it neither suffers from
the exponential instability of shooting nor refines its mesh without end on the kinks of a ReLU
loss, and in its L-BFGS branch its memory is ``O(N n)``.
"""
import time

import numpy as np
import scipy.fft
import scipy.optimize
from numba import njit

from .._validation import choice, positive_float, positive_int
from ._problem import STATUS_MESSAGES, RawSolution
from ._variational import guess_on_mesh

__all__ = ["solve"]

# Newton needs (N-1) Hessians of n x n (each ~n Hessian-vector products) and their block
# Cholesky factor (O(N n^3)); beyond these sizes "auto" takes L-BFGS, O(N n) memory.
_NEWTON_MAX_DIM = 200
_NEWTON_MAX_UNKNOWNS = 20_000  # n (N - 1)

_DEFAULT_MAXITER = {"newton": 100, "lbfgs": 10_000}


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


def _kink_residuals(da, X, nodes, radius):
    """Smallest ``|lam sum_j w_j grad L(p_j) - (theta_{i+1} - 2 theta_i + theta_{i-1}) / h^2|``
    over convex weights ``w`` and sample points ``p_j`` near each node ``i`` in ``nodes``."""
    n = X.shape[0]
    Theta = da.nodes(X)
    rng = np.random.RandomState(0)  # deterministic certificates
    m = 1 + 2 * _KINK_PAIRS
    pts = np.empty((n, m * len(nodes)))
    for k, i in enumerate(nodes):
        th = Theta[:, i + 1]
        U = rng.randn(n, _KINK_PAIRS)
        U *= radius * max(1.0, float(np.max(np.abs(th)))) / np.linalg.norm(U, axis=0)
        pts[:, k * m: (k + 1) * m] = np.column_stack([th, th[:, None] + U, th[:, None] - U])
    grads = da.lam * da.obj.grad_batch(pts)
    out = np.empty(len(nodes))
    for k, i in enumerate(nodes):
        a = (Theta[:, i + 2] - 2.0 * Theta[:, i + 1] + Theta[:, i]) / da.h**2
        Gs = grads[:, k * m: (k + 1) * m]
        # Least squares over the simplex: NNLS with a heavily weighted row sum(w) = 1.
        rho = 1e3 * max(1.0, float(np.max(np.abs(Gs))), float(np.max(np.abs(a))))
        w, _ = scipy.optimize.nnls(np.vstack([Gs, np.full(m, rho)]), np.append(a, rho))
        w /= max(w.sum(), np.finfo(float).tiny)
        out[k] = float(np.max(np.abs(Gs @ w - a)))
    return out


def _newton(da, X, tol, maxiter, deadline):
    """Damped Newton on ``S_h`` with its block-tridiagonal Hessian (Levenberg damping, Armijo).

    Returns an `_Outcome` whose status 5 means "stalled" (the caller may fall back to L-BFGS).
    """
    h = da.h
    n, M = X.shape
    conv = _Convergence(da, tol)
    S, G, scale = da.value_grad(X)
    mu = 0.0
    best_res, since_best = np.inf, 0
    for it in range(maxiter + 1):
        if not (np.isfinite(S) and np.all(np.isfinite(G))):
            return _Outcome(X, 3, "non-finite action or gradient", it, np.inf, S, G=G)
        res, ok = conv(X, G, scale, stalled=since_best >= 3)
        if ok:
            return _Outcome(X, 0, "converged", it, res, S, conv.kinks, G=G)
        if it == maxiter:
            break
        if time.perf_counter() > deadline:
            return _Outcome(X, 2, "time", it, res, S, G=G)
        # A kink of a ReLU loss can stop the residual from falling while S creeps down: after
        # a run of iterations without a new best residual, hand over to L-BFGS.
        if res < 0.5 * best_res:
            best_res, since_best = res, 0
        else:
            since_best += 1
            if since_best >= 8 or (since_best >= 3 and not conv.smooth):
                return _Outcome(X, 5, "Newton made no progress on the residual", it, res, S, G=G)
        Dblk, Bblk = da.hessian_blocks(X)
        g = G.T.ravel()  # node-major
        diag_scale = 2.0 / h
        # Accumulated |terms| of S bound its rounding error; Armijo gets that much slack so
        # that Newton can finish where S is flat to machine precision.
        slack = 64 * np.finfo(float).eps * da.abs_sum
        accepted = False
        for _ in range(30):
            try:
                step = -_block_tridiagonal_solve(Dblk, Bblk, mu, G.T).ravel()
            except np.linalg.LinAlgError:
                # Not positive definite: the action has negative curvature here; damp it.
                mu = max(10.0 * mu, 1e-8 * diag_scale)
                continue
            dX = step.reshape(M, n).T
            slope = float(g @ step)
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


def _lbfgs(da, X, tol, maxiter, deadline, memory=10):
    """L-BFGS on ``S_h`` in the preconditioned coordinates of `_Preconditioner`.

    A plain two-loop L-BFGS with a backtracking Armijo search. It is written out rather than
    taken from `scipy.optimize` for one reason: like Newton here, its sufficient-decrease test
    allows the rounding error of ``S_h``, so it keeps reducing the residual where ``S_h`` is flat
    to machine precision. (scipy's L-BFGS-B, which needs ``S_h`` to decrease, stalled at a
    relative residual of 2e-8 on a 5-D quadratic that this loop takes below 1e-9.)
    """
    n = X.shape[0]
    pre = _Preconditioner(da, n)
    z = pre.to_z(X)
    S, G, scale = da.value_grad(X)
    g = pre.grad_z(G)
    pairs = []  # (s, y, 1 / y.s)
    conv = _Convergence(da, tol)
    best_res, since_best = np.inf, 0
    for it in range(maxiter + 1):
        if not (np.isfinite(S) and np.all(np.isfinite(G))):
            return _Outcome(X, 3, "non-finite action or gradient", it, np.inf, S, G=G)
        res, ok = conv(X, G, scale, stalled=since_best >= 10 and since_best % 10 == 0)
        if ok:
            return _Outcome(X, 0, "converged", it, res, S, conv.kinks, G=G)
        if it == maxiter:
            return _Outcome(X, 1, "maxiter", it, res, S, G=G)
        if time.perf_counter() > deadline:
            return _Outcome(X, 2, "time", it, res, S, G=G)
        if res < 0.9 * best_res:
            best_res, since_best = res, 0
        else:
            since_best += 1
            if since_best >= 200:
                return _Outcome(X, 5, "no progress on the residual in 200 iterations", it,
                                res, S, G=G)
        slack = 64 * np.finfo(float).eps * da.abs_sum
        for _attempt in range(2):
            d = -_two_loop(g, pairs)
            slope = float(g @ d)
            if slope >= 0.0:
                pairs.clear()
                d, slope = -g, -float(g @ g)
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
        sy = float(s_vec @ y_vec)
        if sy > 1e-12 * np.linalg.norm(s_vec) * np.linalg.norm(y_vec):
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
        a = rho * float(s @ q)
        alphas.append(a)
        q -= a * y
    if pairs:
        s, y, rho = pairs[-1]
        q *= 1.0 / (rho * float(y @ y))
    for (s, y, rho), a in zip(pairs, reversed(alphas)):
        b = rho * float(y @ q)
        q += (a - b) * s
    return q


def solve(problem, guess=None, *, n_nodes=65, rule="trapezoid", tol=None, maxiter=None,
          max_time=60.0, solver="auto"):
    """Least-action path by minimising the discretised action over the interior nodes.

    Parameters
    ----------
    problem : BVPProblem
        The boundary value problem (objective, end points, ``T``, ``lam``).
    guess : Guess or None, optional
        Initial path on any mesh; linearly interpolated to the nodes. ``None``: the straight line.
    n_nodes : int, optional
        Number of nodes ``N + 1`` (``>= 3``), uniform with spacing ``h = T / N``. The error in
        the nodes is ``O(h^2)``.
    rule : {"trapezoid", "midpoint"}, optional
        Quadrature of the potential term: loss at the nodes (ends weighted 1/2) or at the
        interval midpoints.
    tol : float, optional
        Convergence test on the discrete Euler-Lagrange residual: ``max |dS_h/dtheta_i| / h``
        relative to the size of the accelerations it balances (see Notes). Default ``1e-8``,
        or ``1e-6`` for non-smooth objectives (``objective.smooth`` False), where nodes on kinks
        are certified by gradient sampling; either is far below the ``O(h^2)`` discretisation
        error.
    maxiter : int, optional
        Iteration cap of the solver used (default 100 for Newton, 10,000 for L-BFGS).
    max_time : float, optional
        Wall-time cap in seconds (checked between iterations).
    solver : {"auto", "newton", "lbfgs"}, optional
        ``"newton"``: damped Newton with the block-tridiagonal Hessian (one ``hess_batch`` per
        iteration). ``"lbfgs"``: preconditioned L-BFGS, memory ``O(N n)``. ``"auto"``: Newton
        when ``n <= 200`` and ``n (N - 1) <= 20,000``, else L-BFGS; Newton that stalls (the
        kinks of a ReLU loss) hands over to L-BFGS.

    Returns
    -------
    RawSolution
        Nodes ``t`` (``N + 1``), positions, second-order velocities; ``info`` holds ``N``,
        ``rule``, ``solver`` (the branch(es) used), ``residual`` (final relative residual),
        ``grad_norm`` (max-norm of ``dS_h/dtheta``), ``discrete_action`` and ``n_eval``.

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

    Convergence: ``max_i |dS_h/dtheta_i|_inf / h <= tol * scale`` with ``scale`` the largest of
    ``|thetaT - theta0|_inf / T^2``, the discrete accelerations and ``lam |grad L|_inf`` at the
    nodes. With ReLU losses the minimiser of ``S_h`` can sit on a kink, where the gradient jumps
    and the node residual cannot vanish; for such nodes the test uses the smallest residual over
    convex combinations of gradients sampled at distance ``~1e-7 |theta_i|`` (a
    Clarke-stationarity certificate, as in gradient sampling [2]_) and the message says how many
    nodes needed it. A path that passes neither test is returned with ``success=False``.

    References
    ----------
    .. [1] J. E. Marsden and M. West, "Discrete mechanics and variational integrators",
       Acta Numerica 10 (2001), 357-514.
    .. [2] J. V. Burke, A. S. Lewis and M. L. Overton, "A robust gradient sampling algorithm for
       nonsmooth, nonconvex optimization", SIAM J. Optim. 15 (2005), 751-779.
    """
    N = positive_int(n_nodes, "n_nodes", minimum=3) - 1
    choice(rule, "rule", ("trapezoid", "midpoint"))
    smooth = getattr(problem.objective, "smooth", True)
    tol = (1e-8 if smooth else 1e-6) if tol is None else positive_float(tol, "tol")
    max_time = positive_float(max_time, "max_time")
    choice(solver, "solver", ("auto", "newton", "lbfgs"))
    if maxiter is not None:
        maxiter = positive_int(maxiter, "maxiter")
    start = time.perf_counter()
    deadline = start + max_time
    n = problem.n
    da = _DiscreteAction(problem, N, rule)
    t = np.linspace(0.0, problem.T, N + 1)
    if guess is None:
        X = problem.straight_line(t[1:-1])
    else:
        X = guess_on_mesh(guess, t[1:-1])[0]

    if solver == "auto":
        fits = n <= _NEWTON_MAX_DIM and n * (N - 1) <= _NEWTON_MAX_UNKNOWNS
        branch = "newton" if fits else "lbfgs"
    else:
        branch = solver
    used = [branch]
    it_cap = maxiter or _DEFAULT_MAXITER[branch]
    if branch == "newton":
        out = _newton(da, X, tol, it_cap, deadline)
        if solver == "auto" and out.status in (1, 5) and time.perf_counter() < deadline:
            used.append("lbfgs")
            nit = out.nit
            out = _lbfgs(da, out.X, tol, maxiter or _DEFAULT_MAXITER["lbfgs"], deadline)
            out.nit += nit
    else:
        out = _lbfgs(da, X, tol, it_cap, deadline)

    Theta = da.nodes(out.X)
    finite = bool(np.all(np.isfinite(Theta)))
    status = out.status if finite else 3
    V = da.velocities(Theta) if finite else np.full_like(Theta, np.nan)
    if status == 0 and not np.all(np.isfinite(V)):
        status = 3
    solver_used = "+".join(used)
    message = _message(status, out, solver_used, N, tol, max_time)
    info = {
        "N": N, "n_nodes": N + 1, "rule": rule, "solver": solver_used,
        "residual": out.resid, "grad_norm": out.grad_norm, "discrete_action": out.S,
        "n_eval": da.n_eval, "kink_nodes": out.kinks, "wall_time": time.perf_counter() - start,
    }
    return RawSolution(t=t, theta=Theta, theta_dot=V, success=status == 0, status=status,
                       message=message, dense=None, nit=out.nit, info=info)


def _message(status, out, solver, N, tol, max_time):
    head = STATUS_MESSAGES[status]
    res = f"relative discrete Euler-Lagrange residual {out.resid:.2e} (tol {tol:.1e})"
    if status == 0:
        kinks = ""
        if out.kinks:
            kinks = (f" {out.kinks} node(s) sit on kinks of the non-smooth loss; their residual "
                     "is certified by gradient sampling (a Clarke-stationary point).")
        return f"{head} Direct method ({solver}, N={N}): {res}.{kinks}"
    if status == 1:
        return (f"{head} Direct method ({solver}, N={N}) stopped at {res}. Increase `maxiter`, "
                "or try solver='newton' if n is small.")
    if status == 2:
        return (f"{head} Direct method ({solver}, N={N}) stopped after {max_time:g} s at {res}. "
                "Increase `max_time` or reduce `n_nodes`.")
    if status == 3:
        return (f"{head} The loss or its gradient was not finite along the path; check the "
                "objective on the segment between the end points.")
    return (f"{head} Direct method ({solver}, N={N}) stalled ({out.message}) at {res}. For a "
            "non-smooth (ReLU) loss the minimiser can sit on a kink: the path is usable (its "
            "action is minimal to the printed residual) but not a smooth stationary path; "
            "a smooth surrogate (softplus) or a looser `tol` gives a clean convergence.")

"""The discretised action ``S_h`` on a uniform grid, and coordinates that precondition it.

On nodes ``theta_i = theta(i h)``, ``h = T / N``, with ``theta_0`` and ``theta_N`` fixed,
``S_h = sum_i |theta_{i+1} - theta_i|^2 / (2h) + lam h sum_i w_i L(p_i)``: the points ``p_i``
are the nodes with trapezoid weights (``w_0 = w_N = 1/2``) or the interval midpoints with
weight 1. The unknowns are the ``N - 1`` interior nodes.
"""
import numpy as np
import scipy.fft

__all__ = ["DiscreteAction", "SinePreconditioner"]


class DiscreteAction:
    """``S_h`` on a uniform mesh, its gradient and its block-tridiagonal Hessian.

    The unknowns are the interior nodes, stored as the columns of ``X`` (shape ``(n, N-1)``).
    ``n_eval`` counts the evaluations of ``S_h`` and its gradient; after each, ``abs_sum`` holds
    the sum of the absolute values of the terms of ``S_h``, which bounds its rounding error.
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
        self.n_eval = 0
        self.abs_sum = np.nan

    def nodes(self, X):
        """All ``N + 1`` nodes: the end points around the interior nodes ``X``."""
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

    def magnitude(self, Theta):
        """``K_h + lam h sum_i w_i |L(p_i)|`` for the nodes ``Theta``: the size of the terms whose
        sum is ``S_h`` (the scale of a relative action error; ``S_h`` itself can be near zero or
        negative)."""
        h, lam = self.h, self.lam
        D = np.diff(Theta, axis=1)
        mag = 0.5 * float(np.sum(D * D)) / h
        if lam != 0.0:
            if self.rule == "trapezoid":
                Lv = np.abs(self.obj.loss_batch(np.ascontiguousarray(Theta)))
                mag += lam * h * (float(np.sum(Lv[1:-1])) + 0.5 * float(Lv[0] + Lv[-1]))
            else:
                P = np.ascontiguousarray(0.5 * (Theta[:, 1:] + Theta[:, :-1]))
                mag += lam * h * float(np.sum(np.abs(self.obj.loss_batch(P))))
        return mag


class SinePreconditioner:
    """Coordinates ``Z`` in which the kinetic part of ``S_h`` is ``1/2 |Z|^2``.

    With ``X = X_line + Y`` (``X_line`` the straight line, a stationary point of the kinetic
    term) the kinetic term is ``1/2 tr(Y K Y^T) + const``, ``K = tridiag(-1, 2, -1) / h``. The
    orthonormal DST-I ``U`` diagonalises ``K = U diag(mu) U``, ``mu_k = (2 - 2 cos(k pi / N)) / h``,
    so ``Y = (U diag(mu^-1/2) Z^T)^T`` makes it ``1/2 |Z|^2``. The condition number of ``S_h``
    drops from ``~ 4 N^2 / pi^2`` to ``~ 1 + lam h_max T^2 / pi^2``, independent of ``N``.

    Vectors ``z`` are the flattened ``Z`` (shape ``(n, N-1)``, row-major).
    """

    def __init__(self, da):
        N = da.N
        s = np.arange(1, N) / N
        self.X_line = da.theta0[:, None] + np.outer(da.thetaT - da.theta0, s)
        mu = (2.0 - 2.0 * np.cos(np.pi * np.arange(1, N) / N)) / da.h
        self.r = 1.0 / np.sqrt(mu)
        self.shape = (da.theta0.size, N - 1)

    def to_X(self, z):
        """Interior nodes ``X`` of the coordinates ``z``."""
        Z = z.reshape(self.shape)
        return self.X_line + scipy.fft.dst(Z * self.r, type=1, norm="ortho", axis=1)

    def to_z(self, X):
        """Coordinates ``z`` of the interior nodes ``X`` (the inverse of `to_X`)."""
        return (scipy.fft.dst(X - self.X_line, type=1, norm="ortho", axis=1) / self.r).ravel()

    def grad_z(self, G):
        """The gradient with respect to ``z`` of a function whose gradient in ``X`` is ``G``."""
        return (scipy.fft.dst(G, type=1, norm="ortho", axis=1) * self.r).ravel()

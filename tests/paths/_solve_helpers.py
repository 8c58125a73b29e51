"""Objectives for the measurement/collocation/dispatcher tests.

`Quadratic` is ``lagopt.objectives.Quadratic`` when that imports, else a local stand-in with
the same constructor. The others are deliberately odd objectives (a kink, NaN regions, a
count of calls) that the package does not ship.
"""
import numpy as np

from lagopt.objectives._base import Objective

try:  # the real one, once lagopt.objectives lands
    from lagopt.objectives import Quadratic
except ImportError:  # pragma: no cover - stand-in while the objectives package is written
    class Quadratic(Objective):
        """``1/2 (theta - c)^T A (theta - c)``."""

        def __init__(self, A, c=None):
            A = np.asarray(A, dtype=float)
            super().__init__(A.shape[0])
            self.A = 0.5 * (A + A.T)
            self.c = np.zeros(A.shape[0]) if c is None else np.asarray(c, dtype=float)

        def _loss(self, theta):
            d = theta - self.c
            return 0.5 * d @ self.A @ d

        def _grad(self, theta):
            return self.A @ (theta - self.c)

        def _hess(self, theta):
            return self.A.copy()

        def _loss_batch(self, P):
            D = P - self.c[:, None]
            return 0.5 * np.einsum("im,im->m", D, self.A @ D)

        def _grad_batch(self, P):
            return self.A @ (P - self.c[:, None])

        def _hess_batch(self, P):
            return np.repeat(self.A[:, :, None], P.shape[1], axis=2)


class Kink(Objective):
    """``1/2 |theta|^2 + 2 sum relu(theta_i - 0.3)``: a gradient that jumps, like ReLU nets."""

    smooth = False

    def _loss(self, x):
        return 0.5 * x @ x + 2.0 * np.maximum(x - 0.3, 0.0).sum()

    def _grad(self, x):
        return x + 2.0 * (x > 0.3)

    def _hess(self, x):
        return np.eye(self.n_params)

    def _loss_batch(self, P):
        return 0.5 * (P * P).sum(0) + 2.0 * np.maximum(P - 0.3, 0.0).sum(0)

    def _grad_batch(self, P):
        return P + 2.0 * (P > 0.3)

    def _hess_batch(self, P):
        return np.repeat(np.eye(self.n_params)[:, :, None], P.shape[1], axis=2)


class NaNBeyond(Objective):
    """``1/2 |theta|^2`` whose loss and gradient are NaN where ``theta_0 > 0.5``."""

    def _loss(self, x):
        return np.nan if x[0] > 0.5 else 0.5 * x @ x

    def _grad(self, x):
        return np.full_like(x, np.nan) if x[0] > 0.5 else x.copy()

    def _hess(self, x):
        return np.eye(self.n_params)

    def _loss_batch(self, P):
        return np.where(P[0] > 0.5, np.nan, 0.5 * (P * P).sum(0))

    def _grad_batch(self, P):
        return np.where(P[0] > 0.5, np.nan, P)

    def _hess_batch(self, P):
        return np.repeat(np.eye(self.n_params)[:, :, None], P.shape[1], axis=2)


def spread_matrix(n, lo, hi, seed=0):
    """Symmetric positive definite matrix with eigenvalues logspace(lo, hi, n), random basis."""
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    A = Q @ np.diag(np.logspace(lo, hi, n)) @ Q.T
    return 0.5 * (A + A.T)


try:
    from lagopt.objectives import MullerBrown, Rosenbrock
except ImportError:  # pragma: no cover - stand-ins while the objectives package is written
    class MullerBrown(Objective):
        """The Mueller-Brown potential (Mueller & Brown 1979), exact derivatives."""

        _A = np.array([-200.0, -100.0, -170.0, 15.0])
        _a = np.array([-1.0, -1.0, -6.5, 0.7])
        _b = np.array([0.0, 0.0, 11.0, 0.6])
        _c = np.array([-10.0, -10.0, -6.5, 0.7])
        _x = np.array([1.0, 0.0, -0.5, -1.0])
        _y = np.array([0.0, 0.5, 1.5, 1.0])
        minima = np.array([[-0.558224, 1.441726], [0.623499, 0.028038], [-0.050011, 0.466694]])
        domain = ((-1.5, 1.2), (-0.5, 2.0))

        def __init__(self):
            super().__init__(2)

        def _terms(self, P):
            dx, dy = P[0][None, :] - self._x[:, None], P[1][None, :] - self._y[:, None]
            a, b, c = self._a[:, None], self._b[:, None], self._c[:, None]
            E = self._A[:, None] * np.exp(a * dx * dx + b * dx * dy + c * dy * dy)
            return E, 2 * a * dx + b * dy, b * dx + 2 * c * dy, a, b, c

        def _loss(self, x):
            return float(self._loss_batch(x[:, None])[0])

        def _grad(self, x):
            return self._grad_batch(x[:, None])[:, 0]

        def _hess(self, x):
            return self._hess_batch(x[:, None])[:, :, 0]

        def _loss_batch(self, P):
            return self._terms(P)[0].sum(0)

        def _grad_batch(self, P):
            E, gx, gy = self._terms(P)[:3]
            return np.vstack(((E * gx).sum(0), (E * gy).sum(0)))

        def _hess_batch(self, P):
            E, gx, gy, a, b, c = self._terms(P)
            H = np.empty((2, 2, P.shape[1]))
            H[0, 0] = (E * (gx * gx + 2 * a)).sum(0)
            H[1, 1] = (E * (gy * gy + 2 * c)).sum(0)
            H[0, 1] = H[1, 0] = (E * (gx * gy + b)).sum(0)
            return H

    class Rosenbrock(Objective):
        """``(a - x)^2 + b (y - x^2)^2`` with a = 1, b = 100."""

        minima = np.array([[1.0, 1.0]])
        domain = ((-2.0, 2.0), (-1.0, 3.0))

        def __init__(self, a=1.0, b=100.0):
            super().__init__(2)
            self.a, self.b = a, b

        def _loss(self, p):
            x, y = p
            return (self.a - x) ** 2 + self.b * (y - x * x) ** 2

        def _grad(self, p):
            x, y = p
            return np.array([-2 * (self.a - x) - 4 * self.b * x * (y - x * x),
                             2 * self.b * (y - x * x)])

        def _hess(self, p):
            x, y = p
            return np.array([[2 - 4 * self.b * (y - 3 * x * x), -4 * self.b * x],
                             [-4 * self.b * x, 2 * self.b]])

"""Objectives for the measurement/collocation/dispatcher tests.

`Quadratic`, `MullerBrown` and `Rosenbrock` are the package's own (re-exported here so the
tests import one place); the others are deliberately odd objectives (a kink, NaN regions) that
the package does not ship.
"""
import numpy as np

from lagopt.objectives._base import Objective

from lagopt.objectives import MullerBrown, Quadratic, Rosenbrock


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


__all__ = ["Kink", "NaNBeyond", "spread_matrix", "MullerBrown", "Quadratic", "Rosenbrock"]

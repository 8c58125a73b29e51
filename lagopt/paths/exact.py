"""Closed-form least-action paths for quadratic losses (the ground truth the solvers are tested on).

For ``L(theta) = 1/2 (theta - c)^T A (theta - c)`` with ``A`` symmetric, write
``u = Q^T (theta - c)`` in the eigenbasis ``A = Q diag(a) Q^T``. Each coordinate solves
``u'' = lam a u``. With ``omega = sqrt(lam |a|)``:

    a > 0:  u(t) = [u0 sinh(omega (T - t)) + uT sinh(omega t)] / sinh(omega T)
    a < 0:  u(t) = [u0 sin(omega (T - t)) + uT sin(omega t)] / sin(omega T)

(the straight line where ``omega = 0``). A negative mode has no solution, or infinitely many,
when ``omega T`` is a multiple of ``pi``: those horizons are the conjugate points. The path is
a local minimum of the action exactly when every negative mode has ``omega T < pi``
(`QuadraticSolution.is_minimum`). Integrating by parts, the action of a mode is
``1/2 [u u']_0^T = omega [(u0^2 + uT^2) coth(omega T) - 2 u0 uT / sinh(omega T)] / 2``, and since
the energy ``H = 1/2 u'^2 - 1/2 omega^2 u^2`` is constant, kinetic ``K`` and potential ``V``
parts follow from ``K + V = S`` and ``K - V = H T``. Every hyperbolic ratio is evaluated in an
overflow-free exponential form so that stiff cases (``omega T`` in the hundreds) stay exact.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_matrix, as_vector, positive_float

__all__ = ["QuadraticSolution", "quadratic_solution"]

# A negative mode with |sin(omega T)| below this (relative to max(omega T, 1)) is at a
# conjugate point: the formulas would divide by (nearly) zero.
_CONJUGATE = 1e-10
# Below this omega*T a mode is treated as free (straight line): the hyperbolic formulas lose
# all precision to cancellation there, while the straight line is exact to O((omega T)^2).
_FREE_MODE = 1e-8


def _sinh_ratio(x, X):
    """sinh(x) / sinh(X) for 0 <= x <= X, X > 0, without overflow."""
    return np.exp(x - X) * (-np.expm1(-2.0 * x)) / (-np.expm1(-2.0 * X))


def _cosh_ratio(x, X):
    """cosh(x) / sinh(X) for 0 <= x <= X, X > 0, without overflow."""
    return np.exp(x - X) * (1.0 + np.exp(-2.0 * x)) / (-np.expm1(-2.0 * X))


class QuadraticSolution:
    """The exact stationary path of the action for a quadratic loss.

    Call it with times ``t`` (scalar or 1-D) to get ``theta`` of shape ``(n, len(t))``;
    ``velocity(t)`` gives ``theta'``. Attributes ``action``, ``kinetic``, ``potential`` and
    ``energy`` (the conserved ``H = 1/2 |theta'|^2 - lam L(theta)``) are exact, and so is
    ``is_minimum``: no conjugate point in ``(0, T]`` (every negative mode has ``omega T < pi``).
    """

    action: float
    kinetic: float
    potential: float
    energy: float
    is_minimum: bool

    def __init__(self, A: NDArray[np.float64], c: NDArray[np.float64],
                 theta0: NDArray[np.float64], thetaT: NDArray[np.float64], T: float,
                 lam: float) -> None:
        a, Q = np.linalg.eigh(A)
        a = np.where(np.abs(a) < 1e-14 * max(1.0, np.abs(a).max()), 0.0, a)
        self.Q, self.c, self.T, self.lam = Q, c, T, lam
        self.omega = np.sqrt(lam * np.abs(a))
        self.negative = (a < 0) & (self.omega * T >= _FREE_MODE)
        phase = self.omega[self.negative] * T
        if np.any(np.abs(np.sin(phase)) < _CONJUGATE * np.maximum(phase, 1.0)):
            raise ValueError("`T` is at a conjugate point of the quadratic (omega T a multiple "
                             "of pi for a negative eigenvalue): no unique stationary path.")
        self.is_minimum = bool(np.all(phase < np.pi))
        self.u0 = Q.T @ (theta0 - c)
        self.uT = Q.T @ (thetaT - c)
        self.free = self.omega * T < _FREE_MODE
        self._modes_action()

    def _modes_action(self):
        w, T, u0, uT = self.omega, self.T, self.u0, self.uT
        S = np.empty_like(w)
        H = np.empty_like(w)
        f = self.free
        S[f] = 0.5 * (uT[f] - u0[f]) ** 2 / T
        H[f] = S[f] / T  # free motion: all kinetic, H = 1/2 v^2, S = H T
        m = self.negative
        if np.any(m):
            X = w[m] * T
            cot, csc = np.cos(X) / np.sin(X), 1.0 / np.sin(X)
            S[m] = 0.5 * w[m] * ((u0[m] ** 2 + uT[m] ** 2) * cot - 2.0 * u0[m] * uT[m] * csc)
            v0 = w[m] * (-u0[m] * cot + uT[m] * csc)  # u'(0)
            H[m] = 0.5 * v0**2 + 0.5 * w[m] ** 2 * u0[m] ** 2
        g = ~(f | m)
        if np.any(g):
            X = w[g] * T
            coth = (1.0 + np.exp(-2.0 * X)) / (-np.expm1(-2.0 * X))
            csch = 2.0 * np.exp(-X) / (-np.expm1(-2.0 * X))
            S[g] = 0.5 * w[g] * ((u0[g] ** 2 + uT[g] ** 2) * coth - 2.0 * u0[g] * uT[g] * csch)
            v0 = w[g] * (-u0[g] * coth + uT[g] * csch)  # u'(0)
            H[g] = 0.5 * v0**2 - 0.5 * w[g] ** 2 * u0[g] ** 2
        self.action = float(S.sum())
        self.energy = float(H.sum())
        self.kinetic = 0.5 * (self.action + self.energy * T)
        self.potential = 0.5 * (self.action - self.energy * T)

    def _modes(self, t):
        t = np.atleast_1d(np.asarray(t, dtype=float))
        w, T = self.omega[:, None], self.T
        u0, uT = self.u0[:, None], self.uT[:, None]
        s = t[None, :] / T
        u = u0 + (uT - u0) * s  # free modes
        du = np.broadcast_to((uT - u0) / T, u.shape).copy()
        m = self.negative
        if np.any(m):
            wm = w[m]
            X = wm * T
            x1, x2 = wm * (T - t[None, :]), wm * t[None, :]
            u[m] = (u0[m] * np.sin(x1) + uT[m] * np.sin(x2)) / np.sin(X)
            du[m] = wm * (-u0[m] * np.cos(x1) + uT[m] * np.cos(x2)) / np.sin(X)
        g = ~(self.free | m)
        if np.any(g):
            wg = w[g]
            X = wg * T
            x1, x2 = wg * (T - t[None, :]), wg * t[None, :]
            u[g] = u0[g] * _sinh_ratio(x1, X) + uT[g] * _sinh_ratio(x2, X)
            du[g] = wg * (-u0[g] * _cosh_ratio(x1, X) + uT[g] * _cosh_ratio(x2, X))
        return u, du

    def __call__(self, t: ArrayLike) -> NDArray[np.float64]:
        u, _ = self._modes(t)
        return self.c[:, None] + self.Q @ u

    def velocity(self, t: ArrayLike) -> NDArray[np.float64]:
        _, du = self._modes(t)
        return self.Q @ du


def quadratic_solution(A: ArrayLike, theta0: ArrayLike, thetaT: ArrayLike, T: float = 1.0,
                       lam: float = 1.0, c: Optional[ArrayLike] = None) -> QuadraticSolution:
    """Exact least-action path of ``1/2 (theta - c)^T A (theta - c)`` between two points.

    Parameters
    ----------
    A : (n, n) array_like
        Symmetric matrix (a `lagopt.Quadratic` objective's ``A``), definite or not.
    theta0, thetaT : (n,) array_like
        End points.
    T : float, optional
        Horizon, ``> 0``.
    lam : float, optional
        Weight of the loss in the action, ``>= 0``.
    c : (n,) array_like, optional
        Centre of the quadratic (default zero).

    Returns
    -------
    QuadraticSolution

    Raises
    ------
    ValueError
        When ``T`` is a conjugate point (``omega T`` a multiple of ``pi`` for a negative
        eigenvalue of ``A``): there is then no unique stationary path.
    """
    A = as_matrix(A, "A")
    n = A.shape[0]
    if A.shape != (n, n) or not np.allclose(A, A.T, atol=1e-12 * max(1.0, np.abs(A).max())):
        raise ValueError("`A` must be a symmetric square matrix.")
    theta0 = as_vector(theta0, "theta0", n)
    thetaT = as_vector(thetaT, "thetaT", n)
    c = np.zeros(n) if c is None else as_vector(c, "c", n)
    T = positive_float(T, "T")
    lam = positive_float(lam, "lam", allow_zero=True)
    return QuadraticSolution(0.5 * (A + A.T), c, theta0, thetaT, T, lam)

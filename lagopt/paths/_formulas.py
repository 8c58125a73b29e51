"""Formulas used across the package, each written once.

This module sits at the bottom of the package: it imports nothing from ``lagopt``.

* the straight line and the smoothstep interpolant (the original experiment's path);
* the discrete action of a polyline with the trapezoid rule for the loss;
* the original experiment's 10-point "action" rule;
* the size up to which methods form dense Hessians, and the Lanczos estimate of the largest
  Hessian eigenvalue used beyond it;
* the exception methods raise from inside callbacks to stop with a status.
"""
import numpy as np
import scipy.sparse.linalg

__all__ = ["DENSE_HESSIAN_MAX", "AbortSolve", "smoothstep", "straight_line",
           "largest_hessian_eigenvalue", "polyline_kinetic", "trapezoid_potential",
           "polyline_action", "seed_rule_parts"]

#: Up to this many parameters methods form dense Hessians (exact eigenvalues for the stiffness,
#: collocation's Jacobian blocks, warm-up of the Hessian kernel); beyond it they work with
#: Hessian-vector products only. A dense n x n Hessian per mesh node costs n gradient
#: evaluations and n^2 floats, which stops paying at a few hundred parameters.
DENSE_HESSIAN_MAX = 300


class AbortSolve(Exception):
    """Raised inside a method (or a scipy callback it gave) to stop it with a status.

    ``status`` is a :class:`lagopt._status.Status`; ``message`` says why.
    """

    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def largest_hessian_eigenvalue(obj, p, magnitude=False):
    """Largest eigenvalue of the Hessian at ``p`` (largest in magnitude with `magnitude`, as
    its absolute value) by Lanczos [1]_ on Hessian-vector products (ARPACK through
    ``scipy.sparse.linalg.eigsh``): never forms the n x n matrix, and a loose tolerance is
    enough for a stiffness estimate. NaN (or, for `magnitude`, inf) when Lanczos finds nothing.

    References
    ----------
    .. [1] C. Lanczos, "An iteration method for the solution of the eigenvalue problem of
       linear differential and integral operators", J. Res. Nat. Bur. Standards 45 (1950),
       255-282.
    """
    n = p.shape[0]
    op = scipy.sparse.linalg.LinearOperator((n, n), matvec=lambda x: obj.hessp(p, x),
                                            dtype=float)
    try:
        vals = scipy.sparse.linalg.eigsh(op, k=1, which="LM" if magnitude else "LA", tol=1e-3,
                                         maxiter=60, return_eigenvectors=False)
    except scipy.sparse.linalg.ArpackNoConvergence as exc:
        vals = exc.eigenvalues
    if not len(vals):
        return np.inf if magnitude else np.nan
    return float(np.max(np.abs(vals))) if magnitude else float(vals[0])


def smoothstep(s):
    """Smoothstep weight ``w(s) = 3s^2 - 2s^3`` and its derivative ``6s(1 - s)`` on ``[0, 1]``.

    The original LAML experiment's path is ``theta0 + w(t/T) (thetaT - theta0)``: the straight
    segment travelled with speed profile ``6s(1-s)``, whose kinetic energy is 1.2 times the
    uniform line's whatever the loss.
    """
    s = np.asarray(s, dtype=np.float64)
    return 3 * s**2 - 2 * s**3, 6 * s * (1 - s)


def straight_line(theta0, thetaT, t, T):
    """The uniform-speed line from `theta0` (t = 0) to `thetaT` (t = T) at times `t`.

    Returns ``(theta, theta_dot)``, both of shape ``(n, len(t))``.
    """
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))
    D = np.asarray(thetaT, dtype=np.float64) - np.asarray(theta0, dtype=np.float64)
    theta = np.asarray(theta0, dtype=np.float64)[:, None] + np.outer(D, t / T)
    return theta, np.repeat((D / T)[:, None], t.size, axis=1)


def polyline_kinetic(t, theta):
    """``sum_j |theta_{j+1} - theta_j|^2 / (2 h_j)``, ``h_j = t_{j+1} - t_j``: the exact kinetic
    part of the action of the polyline through ``theta[:, j]`` at times ``t[j]``."""
    d = np.diff(theta, axis=1)
    h = np.diff(t)
    return float(0.5 * np.sum(np.einsum("ij,ij->j", d, d) / h))


def trapezoid_potential(t, losses, lam):
    """``lam sum_j h_j (L_j + L_{j+1}) / 2``: the trapezoid rule for ``lam int L dt`` from the
    losses at the nodes (NaN where a loss is NaN)."""
    h = np.diff(t)
    return float(lam * np.sum(h * 0.5 * (losses[:-1] + losses[1:])))


def polyline_action(t, theta, losses, lam):
    """Discrete action of the polyline through ``theta[:, j]`` at times ``t[j]``:
    ``(kinetic, potential)`` from `polyline_kinetic` and `trapezoid_potential`."""
    return polyline_kinetic(t, theta), trapezoid_potential(t, losses, lam)


def seed_rule_parts(points, losses, lam):
    """Kinetic and potential parts of the original experiment's discrete "action".

    For ``m`` points ``theta_0 .. theta_{m-1}`` (the last axis; leading axes batch several
    paths) and the losses at the first ``m - 1`` of them:
    ``sum_{i<m-1} [1/2 |theta_{i+1} - theta_i|^2 + lam L(theta_i)] / m``. It is not a
    quadrature of the action (no time step, the last point's loss is ignored); it is kept
    because the published experiment used it.
    """
    m = points.shape[-1]
    steps = np.diff(points, axis=-1)
    kinetic = 0.5 * np.sum(steps * steps, axis=(-2, -1)) / m
    potential = lam * np.sum(losses, axis=-1) / m
    return kinetic, potential

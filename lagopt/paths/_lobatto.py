r"""A lean Lobatto IIIA collocation solver for the Euler-Lagrange system of a few parameters.

The same fourth-order scheme and mesh control as ``scipy.integrate.solve_bvp`` (Kierzenka and
Shampine [1]_), written for ``y = (theta, v)``, ``f(y) = (v, lam grad L(theta) + forcing(t))``
with two-point Dirichlet conditions on ``theta``, so that each Newton iteration costs one
batched gradient and one batched Hessian call (nodes and midpoints together) and one banded
solve. On problems of a few parameters ``solve_bvp``'s general machinery (sparse Jacobian
assembly, a sparse LU, callbacks at nodes and midpoints apart) dominates its wall time; this
solver is several times faster there and returns the same kind of solution: the C1 cubic
Hermite interpolant of ``y`` with slopes ``f(y)`` at the nodes.

Scheme, on a mesh ``x_0 < ... < x_{m-1}``, ``h_i = x_{i+1} - x_i``:

.. math::

    y_{i+1/2} = \tfrac12 (y_i + y_{i+1}) - \tfrac{h_i}{8} (f_{i+1} - f_i), \qquad
    y_{i+1} - y_i - \tfrac{h_i}{6} (f_i + 4 f(y_{i+1/2}) + f_{i+1}) = 0,

with ``theta_0 = theta0`` and ``theta_{m-1} = thetaT``. Unknowns are ordered node by node, the
equations as (boundary at 0, intervals, boundary at T), so the Jacobian is banded with
``3n - 1`` diagonals on each side. Newton steps are damped by backtracking on the scaled
residual. After convergence the RMS of the relative residual of the interpolant over each
interval (5-point Lobatto quadrature, solve_bvp's measure) decides the mesh: intervals above
``tol`` get one new node, above ``100 tol`` two, until every interval is below ``tol``.

The solver gives up (status ``NOT_CONVERGED``) when Newton does not converge within a few
iterations; its caller then runs ``solve_bvp`` from the same start, so nothing is lost but a
few milliseconds.

References
----------
.. [1] J. Kierzenka and L. F. Shampine, "A BVP solver based on residual control and the
   MATLAB PSE", ACM Trans. Math. Software 27 (2001), 299-316.
"""
import functools
import time

import numpy as np
from scipy.linalg.lapack import dgbtrf, dgbtrs

from .._status import NonFiniteError, Status

__all__ = ["solve", "MAX_PARAMS", "HermiteSolution"]

#: Largest number of parameters this solver takes (the band is ``6n - 1`` wide).
MAX_PARAMS = 8
#: Mesh refinements before giving up.
_MAX_REFINEMENTS = 24
# Lobatto points of the residual estimate, as fractions of an interval (solve_bvp's).
_LOBATTO = 0.5 * np.sqrt(3.0 / 7.0)


class HermiteSolution:
    """The C1 cubic Hermite interpolant of values ``Y`` with slopes ``F`` on a mesh ``x``.

    Calling it with times ``tq`` returns an array of shape ``(2n, len(tq))`` (as a scipy
    ``PPoly`` of solve_bvp's solution does).
    """

    def __init__(self, x, Y, F):
        self.x, self.Y, self.F = x, Y, F
        h = np.diff(x)
        Y0, Y1, hF0, hF1 = Y[:, :-1], Y[:, 1:], h * F[:, :-1], h * F[:, 1:]
        # Coefficients of the cubic in s = (t - x_i) / h_i on every interval (Horner form).
        self._c = np.stack((Y0, hF0, 3.0 * (Y1 - Y0) - 2.0 * hF0 - hF1,
                            2.0 * (Y0 - Y1) + hF0 + hF1))

    def __call__(self, tq):
        tq = np.atleast_1d(np.asarray(tq, dtype=float))
        x = self.x
        i = np.searchsorted(x, tq, side="right") - 1
        i = np.minimum(np.maximum(i, 0), x.size - 2)
        s = (tq - x[i]) / (x[i + 1] - x[i])
        c = self._c[:, :, i]
        return c[0] + s * (c[1] + s * (c[2] + s * c[3]))


class _Run:
    """Outcome of `solve` (the fields collocation's callers read)."""

    def __init__(self, status, x, y, sol=None, niter=0, rms=np.nan, detail=""):
        self.status, self.x, self.y, self.sol = status, x, y, sol
        self.niter, self.rms, self.detail = niter, rms, detail
        self.bvp_status = None
        self.history = None
        self.engine = "lobatto"
        # On success without forcing: ``(dS, fS)`` of the last residual evaluation (the
        # Hermite interpolant's derivative and f at the mid and interior Lobatto points of
        # every interval), from which the certificate's residual follows without new
        # gradient evaluations (`_measure.sampled_residual`).
        self.samples = None


@functools.lru_cache(maxsize=64)
def _band_index(n, m):
    """Row and column (in LAPACK's banded storage, before its pivoting rows) of every entry of
    the interval blocks and of the two boundary blocks, for `m` nodes of ``2n`` unknowns."""
    k = 2 * n
    u = 3 * n - 1
    i = np.arange(m - 1)[:, None, None]
    a = np.arange(k)[None, :, None]
    b = np.arange(2 * k)[None, None, :]
    rows = n + k * i + a                      # (m-1, 2n, 1)
    cols = k * i + b                          # (m-1, 1, 4n)
    band = u + rows - cols                    # (m-1, 2n, 4n)
    cols = np.broadcast_to(cols, band.shape)
    first = (u + np.arange(n)[:, None] - np.arange(n)[None, :], np.arange(n)[None, :]
             + 0 * np.arange(n)[:, None])
    last_rows = n + k * (m - 1) + np.arange(n)
    last_cols = k * (m - 1) + np.arange(n)
    last = (u + last_rows[:, None] - last_cols[None, :],
            np.broadcast_to(last_cols[None, :], (n, n)))
    return band, cols, first, last


def _f(obj, lam, Y, x, forcing):
    """``f(y)`` at the columns of Y (times x), and ``lam grad L``'s Jacobian pieces."""
    n = Y.shape[0] // 2
    g = obj.grad_batch(np.ascontiguousarray(Y[:n]))
    if not np.isfinite(g).all():
        raise NonFiniteError("non-finite gradient")
    acc = lam * g if forcing is None else lam * g + forcing(x)
    return np.vstack((Y[n:], acc))


def _residuals(obj, lam, x, Y, forcing, theta0, thetaT):
    """Collocation residuals (2n, m-1), boundary residuals, F at nodes, Y_mid, F_mid."""
    n = Y.shape[0] // 2
    h = np.diff(x)
    F = _f(obj, lam, Y, x, forcing)
    Ym = 0.5 * (Y[:, 1:] + Y[:, :-1]) - 0.125 * h * (F[:, 1:] - F[:, :-1])
    Fm = _f(obj, lam, Ym, x[:-1] + 0.5 * h, forcing)
    R = Y[:, 1:] - Y[:, :-1] - h / 6.0 * (F[:, :-1] + F[:, 1:] + 4.0 * Fm)
    bc = np.concatenate((Y[:n, 0] - theta0, Y[:n, -1] - thetaT))
    return R, bc, F, Ym, Fm


def _jacobian_band(obj, lam, x, Y, Ym):
    """The banded Newton matrix of the collocation system."""
    n2, m = Y.shape
    n = n2 // 2
    h = np.diff(x)
    P = np.ascontiguousarray(np.hstack((Y[:n], Ym[:n])))
    H = obj.hess_batch(P)
    if not np.isfinite(H).all():
        raise NonFiniteError("non-finite Hessian")
    H = np.moveaxis(H, 2, 0) * lam                 # (2m-1, n, n)
    J = np.zeros((H.shape[0], n2, n2))
    J[:, :n, n:] = np.eye(n)
    J[:, n:, :n] = H
    Jn, Jm = J[:m], J[m:]
    eye = np.eye(n2)
    hh = h[:, None, None]
    A = -eye - hh / 6.0 * (Jn[:-1] + 4.0 * Jm @ (0.5 * eye + 0.125 * hh * Jn[:-1]))
    B = eye - hh / 6.0 * (Jn[1:] + 4.0 * Jm @ (0.5 * eye - 0.125 * hh * Jn[1:]))
    band, cols, first, last = _band_index(n, m)
    u = 3 * n - 1
    # LAPACK's banded LU storage: u extra rows on top for the fill-in of row pivoting.
    ab = np.zeros((3 * u + 1, n2 * m))
    ab[u + band, cols] = np.concatenate((A, B), axis=2)
    ab[u + first[0], first[1]] = 1.0 * (first[0] == u)          # identity on theta_0
    ab[u + last[0], last[1]] = 1.0 * (last[0] - u == n)        # identity on theta_{m-1}
    lu, piv, info = dgbtrf(ab, u, u, overwrite_ab=1)
    if info > 0:
        raise np.linalg.LinAlgError("singular collocation Jacobian")
    return lu, piv, u


def _converged(R, bc, Fm, h, tol):
    """solve_bvp's Newton test: every collocation residual below ``(2/3) h 0.05 tol (1 +
    |f_mid|)`` and the boundary residuals below ``tol``."""
    bound = (2.0 / 3.0) * h * 5e-2 * tol * (1.0 + np.abs(Fm))
    return bool(np.all(np.abs(R) <= bound) and np.all(np.abs(bc) <= tol))


def _rhs(R, bc, n):
    return np.concatenate((bc[:n], R.T.ravel(), bc[n:]))


def _newton(obj, lam, x, Y, forcing, theta0, thetaT, tol, deadline):
    """Damped Newton on one mesh, as solve_bvp's: the affine-invariant cost ``|J^-1 r|^2``
    with the last Jacobian, Armijo backtracking (``sigma = 0.2``, halving, four trials), the
    Jacobian kept after a full step, at most eight iterations and four Jacobians. Returns
    ``(Y, F, iterations, converged)``."""
    h = np.diff(x)
    n2, m = Y.shape
    n = n2 // 2
    R, bc, F, Ym, Fm = _residuals(obj, lam, x, Y, forcing, theta0, thetaT)
    if _converged(R, bc, Fm, h, tol):
        return Y, F, 0, True
    jacobians, fresh = 0, True
    for it in range(1, 9):
        if time.perf_counter() > deadline:
            raise TimeoutError
        if fresh:
            lu, piv, u = _jacobian_band(obj, lam, x, Y, Ym)
            jacobians += 1
            step, _ = dgbtrs(lu, u, u, _rhs(R, bc, n), piv)
            cost = float(step @ step)
        if not np.isfinite(step).all():
            return Y, F, it, False
        dY = step.reshape(m, n2).T
        alpha = 1.0
        for trial in range(5):
            Y_new = Y - alpha * dY
            try:
                R_new, bc_new, F_new, Ym_new, Fm_new = _residuals(obj, lam, x, Y_new, forcing,
                                                                  theta0, thetaT)
                step_new, _ = dgbtrs(lu, u, u, _rhs(R_new, bc_new, n), piv)
                cost_new = float(step_new @ step_new)
            except NonFiniteError:
                cost_new = np.inf
            if cost_new < (1.0 - 0.4 * alpha) * cost:
                break
            if trial < 4:
                alpha *= 0.5
        if not np.isfinite(cost_new):
            return Y, F, it, False
        Y, R, bc, F, Ym, Fm = Y_new, R_new, bc_new, F_new, Ym_new, Fm_new
        if _converged(R, bc, Fm, h, tol):
            return Y, F, it, True
        if jacobians == 4:
            return Y, F, it, False
        fresh = alpha != 1.0
        if not fresh:
            step, cost = step_new, cost_new
    return Y, F, 8, False


def _rms_residuals(obj, lam, x, Y, F, forcing):
    """RMS over each interval of the relative residual of the Hermite interpolant (solve_bvp's
    measure: 5-point Lobatto quadrature, the two end points having zero residual)."""
    h = np.diff(x)
    sol = HermiteSolution(x, Y, F)
    mid = x[:-1] + 0.5 * h
    pts = np.concatenate((mid, mid - _LOBATTO * h, mid + _LOBATTO * h))
    S = sol(pts)
    # Derivative of the Hermite interpolant at the same points.
    i = np.tile(np.arange(x.size - 1), 3)
    hi = h[i]
    s = (pts - x[i]) / hi
    d00, d10 = 6 * s * s - 6 * s, 3 * s * s - 4 * s + 1
    d01, d11 = -6 * s * s + 6 * s, 3 * s * s - 2 * s
    dS = (d00 * Y[:, i] + d01 * Y[:, i + 1]) / hi + d10 * F[:, i] + d11 * F[:, i + 1]
    fS = _f(obj, lam, S, pts, forcing)
    r = (dS - fS) / (1.0 + np.abs(fS))
    r2 = np.sum(r * r, axis=0).reshape(3, -1)
    return np.sqrt(0.5 * (32.0 / 45.0 * r2[0] + 49.0 / 90.0 * (r2[1] + r2[2]))), (dS, fS)


def _refine(x, rms, tol):
    """solve_bvp's rule: one node in intervals above tol, two above 100 tol."""
    one = (rms > tol) & (rms < 100 * tol)
    two = rms >= 100 * tol
    h = np.diff(x)
    new = [x, x[:-1][one] + 0.5 * h[one], x[:-1][two] + h[two] / 3.0,
           x[:-1][two] + 2.0 * h[two] / 3.0]
    # (np.unique: a node inserted into an interval of a few ulps rounds onto its ends)
    return np.unique(np.concatenate(new))


def solve(problem, lam, x, Y, tol, max_nodes, deadline, forcing=None):
    """Solve ``theta'' = lam grad L + forcing`` by Lobatto IIIA collocation with mesh control.

    Parameters
    ----------
    problem : BVPProblem
        Supplies the objective, the end points and ``T``.
    lam : float
        The weight solved for (continuation passes a fraction of ``problem.lam``).
    x, Y : ndarray
        Initial mesh (m,) and values (2n, m) of ``(theta, v)``.
    tol : float
        Bound on every interval's RMS relative residual (solve_bvp's `tol`).
    max_nodes : int
        Node cap (``Status.MAX_ITER`` beyond).
    deadline : float
        ``time.perf_counter()`` value after which it stops (``Status.MAX_TIME``).
    forcing : callable, optional
        ``t -> (n, len(t))`` added to the acceleration.

    Returns
    -------
    _Run
        ``status`` (``SUCCESS``, ``MAX_ITER``, ``MAX_TIME``, ``NON_FINITE`` or
        ``NOT_CONVERGED``), the last mesh and values, ``sol`` (a `HermiteSolution`) on
        success, Newton iterations, and the largest RMS residual.
    """
    obj = problem.objective
    theta0, thetaT = problem.theta0, problem.thetaT
    x, Y = np.array(x, dtype=float), np.array(Y, dtype=float)
    niter = 0
    try:
        for _ in range(_MAX_REFINEMENTS):
            Y, F, it, ok = _newton(obj, lam, x, Y, forcing, theta0, thetaT, tol, deadline)
            niter += it
            rms, samples = _rms_residuals(obj, lam, x, Y, F, forcing)
            worst = float(rms.max()) if rms.size else 0.0
            if not np.isfinite(worst):
                return _Run(Status.NOT_CONVERGED, x, Y, niter=niter,
                            detail="Newton did not converge")
            if ok and worst < tol:
                run = _Run(Status.SUCCESS, x, Y, sol=HermiteSolution(x, Y, F), niter=niter,
                           rms=worst)
                run.samples = samples if forcing is None else None
                run.lam = lam
                return run
            x_new = _refine(x, rms, tol)
            if x_new.size > max_nodes:
                return _Run(Status.MAX_ITER, x, Y, niter=niter, rms=worst)
            if x_new.size == x.size:
                return _Run(Status.NOT_CONVERGED, x, Y, niter=niter, rms=worst,
                            detail="mesh intervals too short to split in floating point")
            Y = HermiteSolution(x, Y, F)(x_new)
            x = x_new
    except NonFiniteError as exc:
        return _Run(Status.NON_FINITE, x, Y, niter=niter, detail=str(exc))
    except TimeoutError:
        return _Run(Status.MAX_TIME, x, Y, niter=niter, detail="time")
    except np.linalg.LinAlgError as exc:
        return _Run(Status.NOT_CONVERGED, x, Y, niter=niter, detail=f"singular ({exc})")
    return _Run(Status.NOT_CONVERGED, x, Y, niter=niter, detail="too many mesh refinements")

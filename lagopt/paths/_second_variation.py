r"""Is a stationary path a least-action path? The second variation of the action.

On a uniform grid ``t_i = i h``, ``h = T / N``, the discretised action
``S_h = sum_i |theta_{i+1} - theta_i|^2 / (2h) + h lam sum_i L(theta_i)`` has, at the interior
nodes of a path, the block-tridiagonal Hessian

.. math::

    A = \frac{1}{h}\,\mathrm{tridiag}(-1, 2, -1) \otimes I_n
        + \mathrm{blockdiag}\bigl(h \lambda \nabla^2 L(\theta_i)\bigr).

It discretises the second variation ``delta^2 S[eta] = int (|eta'|^2 + lam eta^T H eta) dt`` with
``eta(0) = eta(T) = 0``. By the Jacobi theory of the calculus of variations [1]_, the second
variation of a stationary path is positive definite exactly when there is no point conjugate to
``t = 0`` in ``(0, T]``: the path is then a strict local minimum of the action. The number of
negative eigenvalues (the Morse index) counts the conjugate points. For ``L = a x^2 / 2`` with
``a < 0`` the first conjugate point is at ``T = pi / sqrt(lam |a|)``.

The eigenvalues ``mu`` of the pencil ``A v = mu K v``, where ``K`` is the kinetic part, are
dimensionless (``mu = 1`` for a free particle; ``mu_k -> 1 - T^2 / (k pi / omega)^2`` for a
negative mode of a quadratic) and converge as the grid is refined, so a margin around zero has
one meaning for every problem. An eigenvalue within ``MARGIN`` of zero means a conjugate point
at ``T`` (within the discretisation): the boundary value problem is singular there, its
solution not unique (or not existing), and `is_minimum` is None.

Two routes, both on the same pencil:

* **block LDL^T** (``n <= BLOCK_MAX_PARAMS``): Sylvester's law of inertia counts the
  eigenvalues below ``-MARGIN`` and below ``+MARGIN`` from the pivot blocks of
  ``A - sigma K`` (block tridiagonal, ``O(N n^3)``). It is evaluated on two grids (``N`` and
  ``2N``); when they disagree the answer is None. The count below ``-MARGIN`` is the Morse
  index: the number of conjugate points in ``(0, T)``.
* **Lanczos** [2]_ (large ``n``): the smallest eigenvalue of ``K^{-1/2} A K^{-1/2}``, with
  ``K`` inverted exactly by the sine transform, by ARPACK's implicitly restarted Lanczos
  method [3]_ (``scipy.sparse.linalg.eigsh``). That operator is the identity plus a compact
  part, so Lanczos converges in few Hessian-vector products. Its sign decides unless it is
  within ``MARGIN`` of zero. (It sees only the smallest eigenvalue: a conjugate point at ``T``
  behind an earlier one is not detected.)

For ReLU networks the Hessian used is the almost-everywhere one: the curvature concentrated on
the activation kinks is not seen, so the answer describes the piecewise-smooth pieces.

References
----------
.. [1] I. M. Gelfand and S. V. Fomin, "Calculus of Variations", Prentice-Hall (1963), ch. 5-6.
.. [2] C. Lanczos, "An iteration method for the solution of the eigenvalue problem of linear
   differential and integral operators", J. Res. Nat. Bur. Standards 45 (1950), 255-282.
.. [3] R. B. Lehoucq, D. C. Sorensen and C. Yang, "ARPACK Users' Guide", SIAM (1998).
"""
import numpy as np
import scipy.fft
import scipy.sparse.linalg

from ._formulas import largest_hessian_eigenvalue

__all__ = ["second_variation", "BLOCK_MAX_PARAMS", "MARGIN"]

#: Up to this many parameters the block LDL^T route is used (it forms n x n Hessians).
BLOCK_MAX_PARAMS = 64
#: Above this many parameters the certificate is not evaluated by default: each Lanczos step
#: costs N - 1 Hessian-vector products, more than the path solve itself at that size.
LANCZOS_MAX_PARAMS = 2000
#: Resolution of the grid: ``omega h <= OMEGA_H`` with ``omega = sqrt(lam max|eig H|)``, so
#: that the fastest mode of the Jacobi equation is resolved.
OMEGA_H = 0.25
#: Fewest and most intervals of the grid.
MIN_INTERVALS, MAX_INTERVALS = 64, 4096
#: Most floats the Hessian blocks of one grid may take (block route).
MAX_BLOCK_FLOATS = 2**24
#: Pencil eigenvalues within this distance of zero mean a conjugate point at T. It is larger
#: than the discretisation error of the low modes, about (pi / N)^2 / 12 <= 2e-4 for N >= 64.
MARGIN = 1e-3
#: Lanczos tolerance and iteration cap (each iteration costs N - 1 Hessian-vector products).
_LANCZOS_TOL, _LANCZOS_MAXITER = 1e-6, 300


def _grid(T, N):
    return np.linspace(0.0, T, N + 1)[1:-1]


def _n_intervals(objective, lam, T, dense):
    """Intervals resolving the fastest mode: ``omega h <= OMEGA_H``."""
    if lam == 0.0:
        return MIN_INTERVALS
    t = _grid(T, 8)
    theta, _ = dense(t)
    n = theta.shape[0]
    if n <= BLOCK_MAX_PARAMS:
        H = objective.hess_batch(np.ascontiguousarray(theta))
        top = max(float(np.max(np.abs(np.linalg.eigvalsh(H[:, :, j])))) for j in range(t.size))
    else:
        top = max(largest_hessian_eigenvalue(objective, theta[:, j], magnitude=True)
                  for j in range(t.size))
    omega = np.sqrt(lam * top) if np.isfinite(top) else np.inf
    N = int(np.ceil(omega * T / OMEGA_H)) if np.isfinite(omega) else MAX_INTERVALS
    return int(min(MAX_INTERVALS, max(MIN_INTERVALS, N)))


def _pencil_inertia(H, lam, h, sigma):
    """Number of eigenvalues ``mu < sigma`` of the pencil ``A v = mu K v`` on one grid.

    Sylvester's law of inertia on the block LDL^T factorisation of ``h (A - sigma K)``, whose
    diagonal blocks are ``2 (1 - sigma) I + h^2 lam H_i`` and off-diagonal blocks
    ``-(1 - sigma) I``. Returns ``(count, smallest |pivot eigenvalue|)``.
    """
    n, _, m = H.shape
    eye = np.eye(n)
    c = 1.0 - sigma
    count, smallest = 0, np.inf
    schur = None   # (1 - sigma)^2 D_{i-1}^{-1}
    for i in range(m):
        D = 2.0 * c * eye + (h * h * lam) * H[:, :, i]
        if schur is not None:
            D = D - schur
        w, V = np.linalg.eigh(0.5 * (D + D.T))
        count += int(np.sum(w < 0))
        smallest = min(smallest, float(np.min(np.abs(w))))
        if smallest == 0.0:
            break
        schur = (c * c) * ((V / w) @ V.T)
    return count, smallest


def _block_route(objective, lam, T, dense, N, n):
    N = int(min(N, max(MIN_INTERVALS // 2, MAX_BLOCK_FLOATS // (2 * n * n))))
    below, near = [], []
    for M in (N, 2 * N):
        h = T / M
        theta, _ = dense(_grid(T, M))
        H = objective.hess_batch(np.ascontiguousarray(theta))     # (n, n, M - 1)
        low, _ = _pencil_inertia(H, lam, h, -MARGIN)
        high, smallest = _pencil_inertia(H, lam, h, MARGIN)
        if not np.isfinite(smallest):
            return {"is_minimum": None, "N": M, "route": "block LDL^T",
                    "reason": "the Hessian along the path is not finite"}
        below.append(low)
        near.append(high - low)
    return _verdict(below[1], near[1], 2 * N, "block LDL^T",
                    agree=below[0] == below[1] and near[0] == near[1],
                    detail=f"(grids of {N} and {2 * N} intervals disagree: {below[0]} vs "
                           f"{below[1]} conjugate points)")


def _verdict(index, near, N, route, agree=True, detail=""):
    """The answer from the Morse index and the eigenvalues near zero."""
    out = {"N": N, "route": route, "morse_index": index, "singular": near > 0}
    if near > 0:
        out.update(is_minimum=None, reason=(
            f"{near} eigenvalue(s) of the second variation within {MARGIN:g} of zero: T is "
            "(within the discretisation) a conjugate point, where the boundary value problem "
            "has no unique solution"))
    elif not agree:
        out.update(is_minimum=None, reason="a conjugate point lies within the discretisation "
                   "error of T " + detail)
    elif index == 0:
        out.update(is_minimum=True, reason="second variation positive definite: no conjugate "
                   "point in (0, T], a strict local minimum of the action")
    else:
        out.update(is_minimum=False, reason=(
            f"second variation has {index} negative eigenvalue(s): {index} conjugate point(s) "
            "in (0, T), the path is a saddle of the action, not a minimum"))
    return out


def _kinetic_inverse_sqrt(N, h):
    """``x -> K^{-1/2} x`` for ``K = (1/h) tridiag(-1, 2, -1)`` along axis 1 (sine transform)."""
    k = np.arange(1, N)
    mu = (2.0 / h) * (1.0 - np.cos(np.pi * k / N))
    scale = 1.0 / np.sqrt(mu)

    def apply(X):
        # DST-I is its own inverse up to the factor 2N.
        Y = scipy.fft.dst(X, type=1, axis=1) * scale
        return scipy.fft.dst(Y, type=1, axis=1) / (2.0 * N)

    return apply


def _lanczos_route(objective, lam, T, dense, N, n):
    h = T / N
    theta, _ = dense(_grid(T, N))
    theta = np.ascontiguousarray(theta)
    m = N - 1
    root = _kinetic_inverse_sqrt(N, h)

    def matvec(x):
        Z = root(x.reshape(n, m))
        VZ = np.column_stack([objective.hessp(theta[:, i], Z[:, i]) for i in range(m)])
        return x + (h * lam * root(VZ)).ravel()

    op = scipy.sparse.linalg.LinearOperator((n * m, n * m), matvec=matvec, dtype=float)
    try:
        low = float(scipy.sparse.linalg.eigsh(op, k=1, which="SA", tol=_LANCZOS_TOL,
                                              maxiter=_LANCZOS_MAXITER,
                                              return_eigenvectors=False)[0])
    except scipy.sparse.linalg.ArpackNoConvergence:
        return {"is_minimum": None, "N": N, "route": "Lanczos",
                "reason": "Lanczos on the second variation did not converge"}
    out = _verdict(int(low < -MARGIN), int(abs(low) <= MARGIN), N, "Lanczos")
    out["min_eigenvalue"] = low
    if low < -MARGIN:
        out["morse_index"] = None   # at least 1; Lanczos found only the smallest eigenvalue
    return out


def second_variation(objective, lam, T, dense):
    """Decide whether the path ``dense`` (a stationary path) is a local minimum of the action.

    Parameters
    ----------
    objective : Objective
    lam, T : float
    dense : callable
        ``t -> (theta(t), theta'(t))``, arrays of shape ``(n, len(t))``.

    Returns
    -------
    dict
        ``is_minimum`` (True, False, or None when it cannot be decided), ``reason``, ``N``
        (intervals of the grid), ``route``, ``singular`` (a conjugate point at ``T``: the
        boundary value problem has no unique solution) and, where known, ``morse_index`` (the
        number of conjugate points in ``(0, T)``) or ``min_eigenvalue``.

    Notes
    -----
    A stationary path is a strict local minimum of the action when its second variation
    ``int (|eta'|^2 + lam eta^T grad^2 L eta) dt`` is positive definite on variations with
    ``eta(0) = eta(T) = 0``, that is (Jacobi's condition) when no point conjugate to ``t = 0``
    lies in ``(0, T]`` [1]_. The discretised second variation is tested by the inertia of its
    block LDL^T factorisation for up to ``BLOCK_MAX_PARAMS`` parameters, and by Lanczos [2]_
    above (see the module docstring of :mod:`lagopt.paths._second_variation`).

    References
    ----------
    .. [1] I. M. Gelfand and S. V. Fomin, "Calculus of Variations", Prentice-Hall (1963),
       ch. 5-6.
    .. [2] C. Lanczos, "An iteration method for the solution of the eigenvalue problem of
       linear differential and integral operators", J. Res. Nat. Bur. Standards 45 (1950),
       255-282.

    Examples
    --------
    For ``L = (-x^2 + y^2) / 2`` the first conjugate point is at ``T = pi``:

    >>> import numpy as np
    >>> from lagopt import Quadratic
    >>> from lagopt.paths import quadratic_solution, second_variation
    >>> A = np.diag([-1.0, 1.0])
    >>> for T in (2.0, 4.0):
    ...     exact = quadratic_solution(A, [1.0, 0.0], [0.5, 1.0], T)
    ...     sv = second_variation(Quadratic(A), 1.0, T, lambda t: (exact(t), exact.velocity(t)))
    ...     print(T, sv["is_minimum"], sv["morse_index"])
    2.0 True 0
    4.0 False 1
    """
    n = np.asarray(dense(np.array([0.0]))[0]).shape[0]
    if n > LANCZOS_MAX_PARAMS:
        return {"is_minimum": None, "route": None,
                "reason": f"not evaluated for n = {n} > {LANCZOS_MAX_PARAMS} parameters (each "
                          "Lanczos step costs a Hessian-vector product per grid node); call "
                          "lagopt.paths.second_variation(objective, lam, T, path.dense) to "
                          "decide it at that cost"}
    with np.errstate(all="ignore"):
        try:
            N = _n_intervals(objective, lam, T, dense)
            if n <= BLOCK_MAX_PARAMS:
                return _block_route(objective, lam, T, dense, N, n)
            return _lanczos_route(objective, lam, T, dense, N, n)
        except (ArithmeticError, np.linalg.LinAlgError, ValueError) as exc:
            return {"is_minimum": None,
                    "reason": f"the second variation could not be evaluated ({exc})"}

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
dimensionless (``mu = 1`` for a free particle; ``mu_k -> 1 + lam a (T / (k pi))^2`` for the
``k``-th sine mode of a quadratic with Hessian eigenvalue ``a``) and converge as the grid is
refined, so a margin around zero has one meaning for every problem. An eigenvalue at zero
means a conjugate point at ``T``: the boundary value problem is singular there, its solution
not unique (or not existing), and `is_minimum` is None.

Two routes, both on the same pencil:

* **block LDL^T** (``n <= BLOCK_MAX_PARAMS``): Sylvester's law of inertia counts the
  eigenvalues below ``-MARGIN`` and below ``+MARGIN`` from the pivot blocks of
  ``A - sigma K`` (block tridiagonal, ``O(N n^3)``, a compiled kernel), on two grids (``N``
  and ``2N`` intervals; the Hessians are evaluated once, on the finer grid). When neither grid
  has an eigenvalue within ``MARGIN`` of zero and they agree, the count below ``-MARGIN`` is
  the Morse index: the number of conjugate points in ``(0, T)``. Otherwise the eigenvalues in
  question are located on both grids by bisection on the inertia count (it changes by one at
  each eigenvalue) and judged against their own discretisation error: the scheme is second
  order, so ``|mu_N - mu_2N| / 3`` estimates the error of ``mu_2N`` (Richardson [4]_). Such
  an eigenvalue is a conjugate point at ``T`` only when ``|mu_2N| <= max(FLOOR, SAFETY *
  error)`` (and ``|mu_2N| <= MARGIN``); otherwise its sign decides, so that a strict minimum
  with a soft mode (a small positive eigenvalue, resolved by the grids) is a minimum and a
  small negative one counts in the Morse index. While the error is too large to decide, the
  grid is doubled (at most ``MAX_REFINEMENTS`` times, within ``MAX_REFINE_WORK``) and the two
  finest grids judge again.
* **Lanczos** [2]_ (large ``n``): the smallest eigenvalue of ``K^{-1/2} A K^{-1/2}``, with
  ``K`` inverted exactly by the sine transform, by ARPACK's implicitly restarted Lanczos
  method [3]_ (``scipy.sparse.linalg.eigsh``). That operator is the identity plus a compact
  part, so Lanczos converges in few Hessian-vector products. Its sign decides unless it is
  within the fixed ``MARGIN`` of zero, which then means a conjugate point at ``T`` (one grid
  only: no error estimate). (It sees only the smallest eigenvalue: a conjugate point at
  ``T`` behind an earlier one is not detected.)

For ReLU networks the Hessian used is the almost-everywhere one: the curvature concentrated on
the activation kinks is not seen, so the answer describes the piecewise-smooth pieces.

References
----------
.. [1] I. M. Gelfand and S. V. Fomin, "Calculus of Variations", Prentice-Hall (1963), ch. 5-6.
.. [2] C. Lanczos, "An iteration method for the solution of the eigenvalue problem of linear
   differential and integral operators", J. Res. Nat. Bur. Standards 45 (1950), 255-282.
.. [3] R. B. Lehoucq, D. C. Sorensen and C. Yang, "ARPACK Users' Guide", SIAM (1998).
.. [4] L. F. Richardson and J. A. Gaunt, "The deferred approach to the limit", Phil. Trans.
   R. Soc. A 226 (1927), 299-361.
"""
import numpy as np
import scipy.fft
import scipy.sparse.linalg
from numba import njit

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
#: Pencil eigenvalues within this distance of zero are located and judged against their own
#: discretisation error (block route); beyond it they are never a conjugate point at T. The
#: Lanczos route, on one grid, takes an eigenvalue within it for a conjugate point at T.
MARGIN = 1e-3
#: Block route: an eigenvalue ``mu`` of the finer grid is a conjugate point at T when
#: ``|mu| <= max(FLOOR, SAFETY * error)``, ``error`` its estimated discretisation error.
SAFETY, FLOOR = 4.0, 1e-8
#: Block route: grid doublings at most while an eigenvalue near zero is undecided, each only
#: while ``intervals * n^3 <= MAX_REFINE_WORK`` (a bisection pass costs about that, in flops).
MAX_REFINEMENTS, MAX_REFINE_WORK = 2, 2**27
#: Relative and absolute accuracy of the eigenvalues located by bisection.
_BISECT_RTOL, _BISECT_ATOL = 1e-3, 1e-11
#: Lanczos tolerance and iteration cap (each iteration costs N - 1 Hessian-vector products).
#: The verdict needs the smallest eigenvalue's sign against MARGIN = 1e-3, and Ritz values
#: approach it from above: a relative accuracy of 1e-4 decides it (1e-6 cost a third more).
_LANCZOS_TOL, _LANCZOS_MAXITER = 1e-4, 300


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
        # Every 4th node: the fastest mode's rate (eigenvalues of 127 blocks of 37 x 37 cost
        # more than the inertia itself); the grid then has 31 samples of it.
        top = float(np.max(np.abs(np.linalg.eigvalsh(np.moveaxis(H[:, :, ::4], 2, 0)))))
    else:
        top = max(largest_hessian_eigenvalue(objective, theta[:, j], magnitude=True)
                  for j in range(t.size))
    omega = np.sqrt(lam * top) if np.isfinite(top) else np.inf
    N = int(np.ceil(omega * T / OMEGA_H)) if np.isfinite(omega) else MAX_INTERVALS
    return int(min(MAX_INTERVALS, max(MIN_INTERVALS, N)))


@njit(cache=True)
def _inertia_pass(H, lam, h, sigma):
    """One pass of the block LDL^T of ``h (A - sigma K)``: ``(count, smallest)``.

    The diagonal blocks are ``2 (1 - sigma) I + h^2 lam H_i``, the off-diagonal blocks
    ``-(1 - sigma) I``, so the pivots obey ``D_i = 2c I + h^2 lam H_i - c^2 D_{i-1}^{-1}``
    with ``c = 1 - sigma``. ``count`` is the number of negative pivot eigenvalues (Sylvester:
    of pencil eigenvalues below ``sigma``). ``smallest`` is 0 exactly when a pivot is exactly
    singular (the pass then stops) and not finite when a pivot is not: for ``n = 1`` and for
    indefinite pivots the smallest ``|pivot eigenvalue|``, for positive definite pivots
    (factored by Cholesky, not eigendecomposed) the smallest squared Cholesky diagonal, a
    positive number.
    """
    n, m = H.shape[0], H.shape[2]
    c = 1.0 - sigma
    hl = h * h * lam
    count, smallest = 0, np.inf
    if n == 1:   # scalar recurrence
        prev = 1.0
        for i in range(m):
            d = 2.0 * c + hl * H[0, 0, i]
            if i > 0:
                d = d - (c * c) * (1.0 / prev)
            if d < 0.0:
                count += 1
            smallest = min(smallest, abs(d))
            if smallest == 0.0:
                break
            prev = d
        return count, smallest
    D = np.empty((n, n))
    L = np.empty((n, n))
    Linv = np.zeros((n, n))
    schur = np.zeros((n, n))   # c^2 D_{i-1}^{-1}
    cc = c * c
    for i in range(m):
        # The pivot, symmetrised in place (no allocation per node: n is small, m large).
        for a in range(n):
            D[a, a] = (2.0 * c + hl * H[a, a, i]) - schur[a, a]
            for b in range(a):
                v = 0.5 * (hl * (H[a, b, i] + H[b, a, i]) - schur[a, b] - schur[b, a])
                D[a, b] = v
                D[b, a] = v
        if _cholesky(D, L):
            # Positive definite pivot (the common case along a minimum): no negative
            # eigenvalue, the inverse from the factor at a third of eigh's cost.
            for k in range(n):
                smallest = min(smallest, L[k, k] * L[k, k])
            _cholesky_inverse(L, Linv, schur, cc)
            continue
        w, V = np.linalg.eigh(D)
        for k in range(n):
            if w[k] < 0.0:
                count += 1
            smallest = min(smallest, abs(w[k]))
        if smallest == 0.0:
            break
        schur = cc * np.dot(V / w, V.T)
    return count, smallest


@njit(cache=True)
def _cholesky(D, L):
    """Cholesky factor of `D` into `L` (lower); False when a pivot is not positive (or not
    finite), `D` then not positive definite."""
    n = D.shape[0]
    for j in range(n):
        d = D[j, j]
        for k in range(j):
            d -= L[j, k] * L[j, k]
        if not d > 0.0:
            return False
        L[j, j] = np.sqrt(d)
        for i in range(j + 1, n):
            e = D[i, j]
            for k in range(j):
                e -= L[i, k] * L[j, k]
            L[i, j] = e / L[j, j]
        for i in range(j):
            L[i, j] = 0.0
    return True


@njit(cache=True)
def _cholesky_inverse(L, Linv, out, scale):
    """``out = scale (L L^T)^{-1}`` from the lower Cholesky factor (`Linv` is workspace)."""
    n = L.shape[0]
    for j in range(n):
        Linv[j, j] = 1.0 / L[j, j]
        for i in range(j + 1, n):
            acc = 0.0
            for k in range(j, i):
                acc -= L[i, k] * Linv[k, j]
            Linv[i, j] = acc / L[i, i]
    # (L^-1)^T L^-1, lower triangular L^-1: entry (a, b) sums over k >= max(a, b).
    for a in range(n):
        for b in range(a + 1):
            acc = 0.0
            for k in range(a, n):
                acc += Linv[k, a] * Linv[k, b]
            out[a, b] = scale * acc
            out[b, a] = scale * acc


@njit(cache=True)
def _pencil_inertia(H, lam, h, sigmas):
    """Inertia of the pencil ``A v = mu K v`` on one grid, for each shift in ``sigmas``.

    Parameters
    ----------
    H : ndarray, shape (n, n, m)
        Hessians at the ``m`` interior nodes, C-contiguous.
    lam, h : float
        Weight of the loss and grid step.
    sigmas : ndarray, shape (k,)
        Shifts.

    Returns
    -------
    counts : ndarray of int64, shape (k,)
        Number of eigenvalues ``mu < sigma`` (Sylvester's law of inertia on the block LDL^T
        factorisation of ``h (A - sigma K)``), one pass over the nodes per shift.
    smallest : ndarray, shape (k,)
        Smallest ``|pivot eigenvalue|`` of each factorisation (0 when exactly singular, the
        count then partial).
    """
    counts = np.empty(sigmas.size, np.int64)
    smallest = np.empty(sigmas.size)
    for s in range(sigmas.size):
        counts[s], smallest[s] = _inertia_pass(H, lam, h, sigmas[s])
    return counts, smallest


@njit(cache=True)
def _count(H, lam, h, sigma, shift):
    """``(count below sigma, sigma)``, ``sigma`` moved by ``shift`` off a singular pivot."""
    count = 0
    for _ in range(4):
        count, smallest = _inertia_pass(H, lam, h, sigma)
        if smallest != 0.0:
            break
        sigma += shift
    return count, sigma


@njit(cache=True)
def _pencil_eigenvalues(H, lam, h, j0, j1, lo, hi, rtol, atol):
    """Eigenvalues ``j0, ..., j1 - 1`` (0-based, ascending) of the pencil, by bisection.

    The bracket ``[lo, hi]`` is widened until it holds them; each is then located to
    ``max(atol, rtol |mu|)``. Eigenvalues not found are NaN.
    """
    out = np.full(j1 - j0, np.nan)
    clo, lo = _count(H, lam, h, lo, -atol)
    chi, hi = _count(H, lam, h, hi, atol)
    step = hi - lo
    for _ in range(64):
        if clo <= j0:
            break
        lo -= step
        step *= 2.0
        clo, lo = _count(H, lam, h, lo, -atol)
    step = hi - lo
    for _ in range(64):
        if chi >= j1:
            break
        hi += step
        step *= 2.0
        chi, hi = _count(H, lam, h, hi, atol)
    stack = [(lo, hi, clo, chi)]
    while len(stack) > 0:
        a, b, ca, cb = stack.pop()
        if cb <= j0 or ca >= j1 or cb <= ca:
            continue
        if b - a <= max(atol, rtol * min(abs(a), abs(b))):
            for j in range(max(ca, j0), min(cb, j1)):
                out[j - j0] = 0.5 * (a + b)
            continue
        cm, mid = _count(H, lam, h, 0.5 * (a + b), 0.01 * (b - a))
        stack.append((a, mid, ca, cm))
        stack.append((mid, b, cm, cb))
    return out


class _Grid:
    """The pencil on one grid: its Hessians, its inertia at ``-+MARGIN``, located eigenvalues.

    Parameters
    ----------
    H : ndarray, shape (n, n, M - 1)
        Hessians at the interior nodes of the grid of ``M`` intervals on ``[0, T]``.
    lam, T : float
    """

    def __init__(self, H, lam, T):
        self.H = np.ascontiguousarray(H, dtype=float)
        self.M = self.H.shape[2] + 1
        self.lam, self.h = float(lam), float(T) / self.M
        self.finite = bool(np.isfinite(self.H).all())
        self.low = self.high = 0
        if self.finite:
            counts, smallest = _pencil_inertia(self.H, self.lam, self.h,
                                               np.array([-MARGIN, MARGIN]))
            self.low, self.high = int(counts[0]), int(counts[1])
            self.finite = bool(np.isfinite(smallest).all())
        self._mu = {}

    def eigenvalues(self, j0, j1):
        """Eigenvalues ``j0, ..., j1 - 1`` (0-based, ascending) of the pencil."""
        missing = [j for j in range(j0, j1) if j not in self._mu]
        if missing:
            a, b = missing[0], missing[-1] + 1
            mu = _pencil_eigenvalues(self.H, self.lam, self.h, a, b, -MARGIN, MARGIN,
                                     _BISECT_RTOL, _BISECT_ATOL)
            if not np.isfinite(mu).all():
                raise ArithmeticError("an eigenvalue near zero could not be located")
            self._mu.update(zip(range(a, b), mu.tolist()))
        return np.array([self._mu[j] for j in range(j0, j1)])


def _hessians(objective, dense, t):
    theta, _ = dense(t)
    return objective.hess_batch(np.ascontiguousarray(theta))


def _refined(objective, lam, T, dense, grid):
    """The `_Grid` of twice as many intervals: Hessians at the new midpoints only."""
    n, _, m = grid.H.shape
    M = m + 1
    H = np.empty((n, n, 2 * M - 1))
    H[:, :, 1::2] = grid.H
    H[:, :, 0::2] = _hessians(objective, dense, (2.0 * np.arange(M) + 1.0) * (T / (2 * M)))
    return _Grid(H, lam, T)


def _near_zero(coarse, fine):
    """Compare the eigenvalues near zero of two grids (``fine`` of twice the intervals).

    Returns
    -------
    dict
        ``morse_index`` (eigenvalues resolved below zero), ``resolved`` (every eigenvalue
        within ``MARGIN`` of zero on either grid is decided by its sign) and, when there are
        such eigenvalues, ``min_eigenvalue`` (the one nearest zero, undecided ones first) and
        ``min_eigenvalue_error`` (its estimated discretisation error on the fine grid).
    """
    j0, j1 = min(coarse.low, fine.low), max(coarse.high, fine.high)
    if j0 == j1:   # no eigenvalue near zero, and the grids agree
        return {"morse_index": j0, "resolved": True}
    mu_coarse, mu = coarse.eigenvalues(j0, j1), fine.eigenvalues(j0, j1)
    err = np.abs(mu_coarse - mu) / 3.0   # Richardson, second order: error of the fine grid
    decided = np.abs(mu) > np.maximum(FLOOR, SAFETY * err)
    pool = np.flatnonzero(~decided) if not decided.all() else np.arange(mu.size)
    k = pool[np.argmin(np.abs(mu[pool]))]
    return {"morse_index": j0 + int(np.sum(decided & (mu < 0.0))),
            "resolved": bool(decided.all()), "min_eigenvalue": float(mu[k]),
            "min_eigenvalue_error": float(err[k])}


def _can_refine(M, n):
    return 2 * M * n * n <= MAX_BLOCK_FLOATS and 2 * M * n**3 <= MAX_REFINE_WORK


def _block_hessians(objective, lam, T, dense, n):
    """``(N, H)``: the coarse grid's intervals and the Hessians at the interior nodes of the
    grid of ``2N`` intervals. ``N`` starts at `MIN_INTERVALS` and grows to resolve the fastest
    mode seen at those nodes (``omega h <= OMEGA_H``, at most `MAX_INTERVALS`), so that a
    smooth path costs one Hessian evaluation."""
    cap = int(max(MIN_INTERVALS // 2, MAX_BLOCK_FLOATS // (2 * n * n)))
    N = min(MIN_INTERVALS, cap)
    H = _hessians(objective, dense, _grid(T, 2 * N))     # (n, n, 2N - 1)
    if lam > 0.0 and np.isfinite(H).all():
        # Every 4th node: the fastest mode's rate (eigenvalues of 127 blocks of 37 x 37 cost
        # more than the inertia itself); the grid then has 31 samples of it.
        sample = H[:, :, ::4]
        top = float(np.max(np.abs(sample if n == 1 else
                                  np.linalg.eigvalsh(np.moveaxis(sample, 2, 0)))))
        need = int(min(MAX_INTERVALS, cap, np.ceil(np.sqrt(lam * top) * T / OMEGA_H)))
        if need > N:
            N = need
            H = _hessians(objective, dense, _grid(T, 2 * N))
    return N, H


def _block_route(objective, lam, T, dense, n):
    # One Hessian evaluation: the nodes of grid N are the odd-indexed interior nodes of 2N.
    N, H = _block_hessians(objective, lam, T, dense, n)
    coarse, fine = _Grid(H[:, :, 1::2], lam, T), _Grid(H, lam, T)
    for refinement in range(MAX_REFINEMENTS + 1):
        if not (coarse.finite and fine.finite):
            return {"is_minimum": None, "N": fine.M, "route": "block LDL^T",
                    "reason": "the Hessian along the path is not finite"}
        near = _near_zero(coarse, fine)
        if near["resolved"] or refinement == MAX_REFINEMENTS or not _can_refine(fine.M, n):
            break
        coarse, fine = fine, _refined(objective, lam, T, dense, fine)
    return _block_verdict(near, coarse.M, fine.M)


def _block_verdict(near, coarse_M, M):
    """The block route's answer from `_near_zero` on grids of ``coarse_M`` and ``M``."""
    index = near["morse_index"]
    out = _verdict(index, 0, M, "block LDL^T", agree=near["resolved"])
    if "min_eigenvalue" not in near:
        return out
    mu, err = near["min_eigenvalue"], near["min_eigenvalue_error"]
    out.update(min_eigenvalue=mu, min_eigenvalue_error=err)
    within = (f"an eigenvalue {mu:.3g} of the second variation (discretisation error about "
              f"{err:.2g}, from grids of {coarse_M} and {M} intervals)")
    if near["resolved"]:
        return out
    if abs(mu) <= MARGIN:
        out.update(singular=True, reason=(
            f"{within} is zero within its error: T is a conjugate point, where the boundary "
            "value problem has no unique solution"))
    else:
        out["reason"] = f"a conjugate point lies within the discretisation error of T: {within}"
    return out


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
        # One batched call over the nodes (the objective's parallel kernel where it has one).
        VZ = objective.hessp_batch(theta, np.ascontiguousarray(Z))
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


def second_variation(objective, lam, T, dense, n=None):
    """Decide whether the path ``dense`` (a stationary path) is a local minimum of the action.

    Parameters
    ----------
    objective : Objective
    lam, T : float
    dense : callable
        ``t -> (theta(t), theta'(t))``, arrays of shape ``(n, len(t))``.
    n : int, optional
        Number of parameters (default: read from `dense`).

    Returns
    -------
    dict
        ``is_minimum`` (True, False, or None when it cannot be decided), ``reason``, ``N``
        (intervals of the finest grid), ``route``, ``singular`` (a conjugate point at ``T``:
        the boundary value problem has no unique solution) and, where known, ``morse_index``
        (the number of conjugate points in ``(0, T)``) and ``min_eigenvalue``: by the block
        route the eigenvalue of the second variation nearest zero, when one lies within
        ``MARGIN`` of zero, with ``min_eigenvalue_error`` its estimated discretisation error;
        by the Lanczos route the smallest eigenvalue.

    Notes
    -----
    A stationary path is a strict local minimum of the action when its second variation
    ``int (|eta'|^2 + lam eta^T grad^2 L eta) dt`` is positive definite on variations with
    ``eta(0) = eta(T) = 0``, that is (Jacobi's condition) when no point conjugate to ``t = 0``
    lies in ``(0, T]`` [1]_. The discretised second variation is tested by the inertia of its
    block LDL^T factorisation for up to ``BLOCK_MAX_PARAMS`` parameters, and by Lanczos [2]_
    above (see the module docstring of :mod:`lagopt.paths._second_variation`).

    An eigenvalue at zero is a conjugate point at ``T``. By the block route an eigenvalue
    within ``MARGIN`` of zero is located on two grids (``N`` and ``2N`` intervals) and judged
    against its own discretisation error, ``|mu_N - mu_2N| / 3`` for the second-order scheme
    (Richardson [3]_): a conjugate point only when ``|mu_2N| <= max(FLOOR, SAFETY * error)``,
    the grid being doubled (a few times at most) while that cannot be decided; otherwise its
    sign decides. So a strict minimum with a soft mode (a small positive eigenvalue, resolved
    by the grids) is a minimum. The Lanczos route, on one grid, takes any eigenvalue within
    ``MARGIN`` of zero for a conjugate point.

    References
    ----------
    .. [1] I. M. Gelfand and S. V. Fomin, "Calculus of Variations", Prentice-Hall (1963),
       ch. 5-6.
    .. [2] C. Lanczos, "An iteration method for the solution of the eigenvalue problem of
       linear differential and integral operators", J. Res. Nat. Bur. Standards 45 (1950),
       255-282.
    .. [3] L. F. Richardson and J. A. Gaunt, "The deferred approach to the limit", Phil.
       Trans. R. Soc. A 226 (1927), 299-361.

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
    if n is None:
        n = np.asarray(dense(np.array([0.0]))[0]).shape[0]
    if n > LANCZOS_MAX_PARAMS:
        return {"is_minimum": None, "route": None,
                "reason": f"not evaluated for n = {n} > {LANCZOS_MAX_PARAMS} parameters (each "
                          "Lanczos step costs a Hessian-vector product per grid node); call "
                          "lagopt.paths.second_variation(objective, lam, T, path.dense) to "
                          "decide it at that cost"}
    with np.errstate(all="ignore"):
        try:
            if n <= BLOCK_MAX_PARAMS:
                return _block_route(objective, lam, T, dense, n)
            return _lanczos_route(objective, lam, T, dense, _n_intervals(objective, lam, T,
                                                                         dense), n)
        except (ArithmeticError, np.linalg.LinAlgError, ValueError) as exc:
            return {"is_minimum": None,
                    "reason": f"the second variation could not be evaluated ({exc})"}


def compile_kernels():
    """Compile (or load from numba's cache) the block route's kernels, outside any timing.

    On a cold cache this takes seconds; loading cached kernels a fraction of a second, once
    per process.
    """
    H = np.ones((1, 1, 3))
    for block in (H, np.ones((2, 2, 3))):
        _pencil_inertia(block, 1.0, 0.25, np.array([-MARGIN, MARGIN]))
    _pencil_eigenvalues(H, 1.0, 0.25, 0, 1, -MARGIN, MARGIN, _BISECT_RTOL, _BISECT_ATOL)

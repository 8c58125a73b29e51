"""Numba kernels for the analytic test functions (Rosenbrock, Rastrigin, Ackley, Müller–Brown).

Every function has one point kernel ``_name(x, prm, order, g, H)`` that returns the value and,
up to ``order``, writes the gradient into ``g`` and the Hessian into ``H``; ``prm`` is a flat
float64 array of the function's constants, so all kernels share one signature. ``evaluate``
and ``evaluate_batch`` dispatch on an integer code: a handful of kernels to compile (once,
cached) instead of one per function and derivative.
"""
import numpy as np
from numba import njit, prange

ROSENBROCK, RASTRIGIN, ACKLEY, MULLER_BROWN = 0, 1, 2, 3

# Work (about 20 units per coordinate evaluated, times n for Hessians) below which a batch runs
# serially: a parallel region costs more than it saves on short work (see _mlp_kernels).
PARALLEL_MIN_WORK = 2_000_000


@njit(cache=True)
def _rosenbrock(x, prm, order, g, H):
    """``sum_i b (x_{i+1} - x_i^2)^2 + (a - x_i)^2`` (chained form); ``prm = (a, b)``."""
    a = prm[0]
    b = prm[1]
    n = x.shape[0]
    f = 0.0
    if order >= 1:
        g[:] = 0.0
    if order >= 2:
        H[:, :] = 0.0
    for i in range(n - 1):
        u = x[i + 1] - x[i] * x[i]
        w = a - x[i]
        f += b * u * u + w * w
        if order >= 1:
            g[i] += -4.0 * b * x[i] * u - 2.0 * w
            g[i + 1] += 2.0 * b * u
        if order >= 2:
            H[i, i] += 12.0 * b * x[i] * x[i] - 4.0 * b * x[i + 1] + 2.0
            H[i, i + 1] += -4.0 * b * x[i]
            H[i + 1, i] += -4.0 * b * x[i]
            H[i + 1, i + 1] += 2.0 * b
    return f


@njit(cache=True)
def _rastrigin(x, prm, order, g, H):
    """``A n + sum_i x_i^2 - A cos(2 pi x_i)``; ``prm = (A,)``."""
    A = prm[0]
    n = x.shape[0]
    w = 2.0 * np.pi
    f = A * n
    if order >= 2:
        H[:, :] = 0.0
    for i in range(n):
        f += x[i] * x[i] - A * np.cos(w * x[i])
        if order >= 1:
            g[i] = 2.0 * x[i] + A * w * np.sin(w * x[i])
        if order >= 2:
            H[i, i] = 2.0 + A * w * w * np.cos(w * x[i])
    return f


@njit(cache=True)
def _ackley(x, prm, order, g, H):
    """``-a exp(-b r) - exp(s) + a + e`` with ``r = sqrt(mean x^2)``, ``s = mean cos(c x)``.

    ``prm = (a, b, c)``. The cone ``r`` is not differentiable at the origin: there the
    gradient of the first term is taken as 0 (a subgradient; the origin is the minimiser) and
    its Hessian, which grows like ``1/r``, is left out.
    """
    a = prm[0]
    b = prm[1]
    c = prm[2]
    n = x.shape[0]
    ss = 0.0
    sc = 0.0
    for i in range(n):
        ss += x[i] * x[i]
        sc += np.cos(c * x[i])
    r = np.sqrt(ss / n)
    e1 = np.exp(-b * r)
    e2 = np.exp(sc / n)
    f = -a * e1 - e2 + a + np.e
    if order >= 1:
        # d/dx of -a exp(-b r) is a b e1 x / (n r); of -exp(s) it is e2 (c/n) sin(c x).
        t1 = a * b * e1 / (n * r) if r > 0.0 else 0.0
        for i in range(n):
            g[i] = t1 * x[i] + e2 * (c / n) * np.sin(c * x[i])
    if order >= 2:
        # Cone term: T'' u u^T + T' (I/(n r) - u u^T / r), u = x/(n r), T(r) = -a exp(-b r).
        # Cosine term: -e2 (ds ds^T + diag(-(c^2/n) cos(c x))), ds = -(c/n) sin(c x).
        d1 = a * b * e1
        d2 = -a * b * b * e1
        for i in range(n):
            si = -(c / n) * np.sin(c * x[i])
            for j in range(i, n):
                sj = -(c / n) * np.sin(c * x[j])
                h = -e2 * si * sj
                if i == j:
                    h += e2 * (c * c / n) * np.cos(c * x[i])
                if r > 0.0:
                    uij = x[i] * x[j] / (n * n * r * r)
                    h += (d2 - d1 / r) * uij
                    if i == j:
                        h += d1 / (n * r)
                H[i, j] = h
                H[j, i] = h
    return f


@njit(cache=True)
def _muller_brown(x, prm, order, g, H):
    """``scale * sum_k A_k exp(a_k dx^2 + b_k dx dy + c_k dy^2)``, ``dx = x - x0_k``.

    ``prm = (A[4], a[4], b[4], c[4], x0[4], y0[4], scale)``.
    """
    s = prm[24]
    f = 0.0
    gx = 0.0
    gy = 0.0
    hxx = 0.0
    hxy = 0.0
    hyy = 0.0
    for k in range(4):
        A = prm[k]
        a = prm[4 + k]
        b = prm[8 + k]
        c = prm[12 + k]
        dx = x[0] - prm[16 + k]
        dy = x[1] - prm[20 + k]
        e = A * np.exp(a * dx * dx + b * dx * dy + c * dy * dy)
        f += e
        qx = 2.0 * a * dx + b * dy
        qy = b * dx + 2.0 * c * dy
        gx += e * qx
        gy += e * qy
        hxx += e * (qx * qx + 2.0 * a)
        hxy += e * (qx * qy + b)
        hyy += e * (qy * qy + 2.0 * c)
    if order >= 1:
        g[0] = s * gx
        g[1] = s * gy
    if order >= 2:
        H[0, 0] = s * hxx
        H[0, 1] = s * hxy
        H[1, 0] = s * hxy
        H[1, 1] = s * hyy
    return s * f


@njit(cache=True)
def evaluate(fn, x, prm, order, g, H):
    """Value of test function ``fn`` at ``x``; gradient into ``g`` (``order >= 1``) and
    Hessian into ``H`` (``order == 2``)."""
    if fn == ROSENBROCK:
        return _rosenbrock(x, prm, order, g, H)
    if fn == RASTRIGIN:
        return _rastrigin(x, prm, order, g, H)
    if fn == ACKLEY:
        return _ackley(x, prm, order, g, H)
    return _muller_brown(x, prm, order, g, H)


@njit(cache=True, nogil=True)
def evaluate_range(fn, P, prm, order, f, G, H3, j0, j1):
    """``evaluate`` at the columns ``j0:j1`` of ``P`` (``n x m``): values into ``f`` (``m``),
    gradients into ``G`` (``n x m``, ``order >= 1``), Hessians into ``H3`` (``n x n x m``,
    ``order == 2``). Explicit copy loops: numba's slice assignment is slow to compile."""
    n = P.shape[0]
    x = np.empty(n)
    g = np.empty(n if order >= 1 else 0)
    H = np.empty((n, n) if order >= 2 else (0, 0))
    for j in range(j0, j1):
        for p in range(n):
            x[p] = P[p, j]
        f[j] = evaluate(fn, x, prm, order, g, H)
        if order >= 1:
            for p in range(n):
                G[p, j] = g[p]
        if order >= 2:
            for p in range(n):
                for q in range(n):
                    H3[p, q, j] = H[p, q]


@njit(cache=True, parallel=True)
def evaluate_parallel(fn, P, prm, order, f, G, H3, chunks):
    """:func:`evaluate_range` over all columns, in ``chunks`` ranges run in parallel."""
    m = P.shape[1]
    for c in prange(chunks):
        i = np.int64(c)  # the prange index is unsigned; keep one signature for the callee
        evaluate_range(fn, P, prm, order, f, G, H3, i * m // chunks, (i + 1) * m // chunks)
